#!/usr/bin/env bash
# Runs every fuzz target of the project in turn, sharing a total time budget.
#   scripts/fuzz.sh [TOTAL]        TOTAL as Go durations: 10m (default), 90s…
# Prints one line per target and a summary; exits 1 if any target fails.
# New failing inputs are written by Go under the package's testdata/fuzz/.
set -uo pipefail
cd "$(dirname "$0")/.."
total=${1:-10m}
mapfile -t targets < <(grep -rl --include='*_test.go' '^func Fuzz' internal cmd 2>/dev/null | sort | while read -r f; do
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed "s|^func |$(dirname "$f") |"
done)
n=${#targets[@]}
if [ "$n" = 0 ]; then echo "no fuzz targets"; exit 1; fi
secs=$(go run ./scripts/duration "$total")
per=$(( secs / n ))
[ "$per" -lt 5 ] && per=5
echo "fuzzing $n targets, ${per}s each (total $total) on $(nproc) cores, $(date -u +%FT%TZ)"
fail=0
for t in "${targets[@]}"; do
  pkg=${t% *}; name=${t#* }
  start=$(date +%s)
  corpus="$pkg/testdata/fuzz/$name"
  before=$(ls "$corpus" 2>/dev/null | wc -l)
  out=$(go test -run "^$" -fuzz "^${name}\$" -fuzztime "${per}s" -fuzzminimizetime 10x "./$pkg" 2>&1)
  rc=$?
  execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | awk '{print $2}')
  status=ok
  if [ $rc -ne 0 ]; then
    after=$(ls "$corpus" 2>/dev/null | wc -l)
    if [ "$after" = "$before" ] && echo "$out" | grep -q '^    context deadline exceeded$'; then
      # Go 1.26's fuzzing coordinator can report its own -fuzztime deadline
      # as a failure when a worker is mid-input at that moment
      # (golang/go#75804, fixed in Go 1.27): no input is written, nothing
      # was found. Reported, not counted as a failure.
      status=ok; rc=0; note=" (coordinator deadline race, golang/go#75804; no input written)"
    else
      status=FAIL; fail=1
    fi
  fi
  printf '%-4s %-40s %-22s %6ss %12s execs%s\n' "$status" "./$pkg" "$name" "$(( $(date +%s) - start ))" "${execs:-?}" "${note:-}"
  note=""
  [ $rc -ne 0 ] && echo "$out" | tail -30
done
exit $fail
