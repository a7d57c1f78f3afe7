#!/bin/sh
# bench-demo.sh: run "vigil demo" at the seed operation's scale (360,000
# files, 39 suspects, 96 groups, 103 distributors) and write the time of
# each stage, CPU time and peak memory to docs/bench/demo.md, a fragment
# that scripts/bench.sh merges into docs/BENCHMARKS.md.
#
#   scripts/bench-demo.sh                 # seed scale, seed 1
#   SCALE=small scripts/bench-demo.sh     # a quick check of the script
#
# Environment: SCALE (small, seed or a number of files; default seed),
# SEED (default 1), WORK (scratch directory; default a new one under
# /tmp, removed at the end unless KEEP=1), OUT (default docs/bench/demo.md).
# Needs Go and about 4 GB of free disk at the seed scale.
set -eu
cd "$(dirname "$0")/.."
SCALE=${SCALE:-seed}
SEED=${SEED:-1}
OUT=${OUT:-docs/bench/demo.md}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-demo.XXXXXX")}
KEEP=${KEEP:-0}
mkdir -p "$WORK" "$(dirname "$OUT")"
if [ "$KEEP" != 1 ]; then
	trap 'rm -rf "$WORK"' EXIT
fi

go build -o "$WORK/vigil" ./cmd/vigil
export VIGIL_KEYS="$WORK/keys" VIGIL_ACTOR=bench
echo "bench-demo: vigil demo --scale $SCALE --seed $SEED in $WORK" >&2
# The demo measures itself (wall and CPU time per stage, the process's peak
# resident memory); /usr/bin/time, where installed, is kept beside it.
if [ -x /usr/bin/time ]; then
	/usr/bin/time -v "$WORK/vigil" demo --dir "$WORK/demo" --scale "$SCALE" --seed "$SEED" --bench-md "$WORK/demo.md" \
		>"$WORK/demo.out" 2>"$WORK/demo.err" || { tail -40 "$WORK/demo.err" >&2; exit 1; }
	rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$WORK/demo.err")
else
	"$WORK/vigil" demo --dir "$WORK/demo" --scale "$SCALE" --seed "$SEED" --bench-md "$WORK/demo.md" \
		>"$WORK/demo.out" 2>"$WORK/demo.err" || { tail -40 "$WORK/demo.err" >&2; exit 1; }
	rss=
fi
{
	cat "$WORK/demo.md"
	if [ -n "$rss" ]; then
		echo
		echo "/usr/bin/time -v: maximum resident set size $((rss / 1024)) MiB."
	fi
} >"$OUT"
sed -n '/^What was found/,$p' "$WORK/demo.out" >&2
echo "bench-demo: wrote $OUT" >&2
