#!/usr/bin/env bash
# bench.sh: measures Vigil beside its peers on this machine and writes
# docs/BENCHMARKS.md. Each section writes a fragment docs/bench/<name>.md;
# the page is assembled from every fragment present, so a section can be
# measured again on its own:
#
#   scripts/bench.sh                    # limit ingest pdq sets whatsapp network
#   scripts/bench.sh ingest pdq         # only these sections
#   LARGE=1 scripts/bench.sh sets       # with the 10M-entry and 1M-message sizes
#   scripts/bench.sh demo               # vigil demo at the seed's scale (scripts/bench-demo.sh)
#
# Environment: BENCH_DIR (corpus and scratch, default /tmp/vigil-bench; the
# 20,000-file corpus, ~2.6 GB, is generated once and kept), RUNS (timed
# runs per command, default 3), PDQ_REFERENCE (the C++ reference
# pdq-photo-hasher, built from facebook/ThreatExchange, to time it in the
# same run; without it the figures of research/pdq.md are quoted), LARGE=1.
# Needs Go; installs hashdeep and GNU time with apt when root.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/tmp/vigil-bench}
RUNS=${RUNS:-3}
NCPU=$(nproc)
mkdir -p "$BENCH_DIR" docs/bench
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(limit ingest pdq sets whatsapp network)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	need=""
	command -v hashdeep >/dev/null || need="$need hashdeep"
	[ -x /usr/bin/time ] || need="$need time"
	if [ -n "$need" ]; then
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
	fi
fi

go build -o "$BENCH_DIR/vigil" ./cmd/vigil
VIGIL="$BENCH_DIR/vigil"
export VIGIL_KEYS="$BENCH_DIR/keys" VIGIL_ACTOR=bench

machine() {
	echo "$(date -u +%Y-%m-%d), $(hostname), $NCPU cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# timed CMD...: runs CMD under GNU time, prints "wall_seconds max_rss_kb"
timed() {
	/usr/bin/time -f '%e %M' -o "$BENCH_DIR/time.out" "$@" >/dev/null 2>"$BENCH_DIR/cmd.err" || { cat "$BENCH_DIR/cmd.err" >&2; return 1; }
	cat "$BENCH_DIR/time.out"
}

# gobench PKG PATTERN [ARGS]: go test -bench, raw lines
gobench() {
	local pkg=$1 pat=$2
	shift 2
	go test -run '^$' -bench "$pat" "$@" "$pkg" 2>&1 | grep -E '^(Benchmark|ok|FAIL|---)' || true
}

section_limit() {
	local out=docs/bench/limit.md raw
	raw=$(gobench ./internal/intake 'HashLimit(Lanes)?$' -cpu "1,$NCPU" -count 5 -benchtime 2s)
	local one all lone lall
	one=$(echo "$raw" | awk '$1=="BenchmarkHashLimit" {print $(NF-1)}' | median)
	all=$(echo "$raw" | awk -v n="BenchmarkHashLimit-$NCPU" '$1==n {print $(NF-1)}' | median)
	lone=$(echo "$raw" | awk '$1=="BenchmarkHashLimitLanes" {print $(NF-1)}' | median)
	lall=$(echo "$raw" | awk -v n="BenchmarkHashLimitLanes-$NCPU" '$1==n {print $(NF-1)}' | median)
	echo "$all" >"$BENCH_DIR/limit"
	echo "$lall" >"$BENCH_DIR/limit-lanes"
	{
		echo "## The machine's limit: MD5 + SHA-1 + SHA-256 in memory"
		echo
		echo "$(machine)."
		echo
		echo "\`go test -bench HashLimit -cpu 1,$NCPU ./internal/intake\`: the three digests over 1 MiB buffers, one stream per goroutine, no I/O, no store (median of 5)."
		echo
		echo "| cores | one crypto/md5 stream per goroutine, MB/s | MD5 on multi-buffer lanes (8 streams per core), MB/s |"
		echo "|---|---:|---:|"
		echo "| 1 | $one | ${lone:-n/a} |"
		echo "| $NCPU | $all | ${lall:-n/a} |"
		echo
		echo "The first column is the limit issue 2 names (\"about 600 MB/s on these 2 cores\"); the second is what the intake itself can reach, since it runs MD5 on github.com/minio/md5-simd lanes when the CPU has AVX2."
		echo
		echo '```'
		echo "$raw"
		echo '```'
	} >"$out"
}

section_ingest() {
	local out=docs/bench/ingest.md corpus=$BENCH_DIR/corpus
	if [ ! -d "$corpus" ]; then
		echo "bench: generating the corpus in $corpus (once)" >&2
		go run ./scripts/corpus -dir "$corpus" -files 20000 -seed 42 >&2
	fi
	local files bytes
	files=$(find "$corpus" -type f | wc -l)
	bytes=$(du -sb "$corpus" | cut -f1)
	cat "$corpus"/*/* >/dev/null # warm cache
	local hd=() hdrss=() np=() nprss=() fu=() furss=() line
	for i in $(seq "$RUNS"); do
		line=$(timed hashdeep -r -c md5,sha1,sha256 -j "$NCPU" "$corpus")
		hd+=("${line% *}") hdrss+=("${line#* }")
		rm -rf "$BENCH_DIR/case" && "$VIGIL" init "$BENCH_DIR/case" >/dev/null
		line=$(timed "$VIGIL" -q --case "$BENCH_DIR/case" ingest --no-pdq --device BENCH "$corpus")
		np+=("${line% *}") nprss+=("${line#* }")
		rm -rf "$BENCH_DIR/case" && "$VIGIL" init "$BENCH_DIR/case" >/dev/null
		line=$(timed "$VIGIL" -q --case "$BENCH_DIR/case" ingest --device BENCH "$corpus")
		fu+=("${line% *}") furss+=("${line#* }")
	done
	med() { printf '%s\n' "$@" | median; }
	top() { printf '%s\n' "$@" | sort -g | tail -1; }
	local limit="" lanes=""
	[ -f "$BENCH_DIR/limit" ] && limit=$(cat "$BENCH_DIR/limit")
	[ -f "$BENCH_DIR/limit-lanes" ] && lanes=$(cat "$BENCH_DIR/limit-lanes")
	awk -v f="$files" -v b="$bytes" -v n="$NCPU" -v runs="$RUNS" -v lim="$limit" -v lanes="$lanes" -v m="$(machine)" \
		-v h="$(med "${hd[@]}")" -v hm="$(top "${hdrss[@]}")" -v hall="${hd[*]}" \
		-v p="$(med "${np[@]}")" -v pm="$(top "${nprss[@]}")" -v pall="${np[*]}" \
		-v u="$(med "${fu[@]}")" -v um="$(top "${furss[@]}")" -v uall="${fu[*]}" '
	function row(name, t, rss) { printf "| %s | %.2f | %.0f | %.0f | %.0f | %.2f× |\n", name, t, f/t, b/1e6/t, rss/1024, h/t }
	BEGIN {
		print "## Ingest against hashdeep"
		print ""
		print m "."
		print ""
		printf "Corpus: %d files, %.2f GB (scripts/corpus: 95%% of files 10–200 KB and 5%% 200 KB–5 MB of random bytes, 5%% generated 1024×768 JPEGs), warm page cache, each tool %d times, medians. ", f, b/1e9, runs
		printf "`vigil ingest --no-pdq` is the measure issue 2 sets: MD5, SHA-1 and SHA-256, type sniffing, EXIF and the SQLite writes with their audit records; `vigil ingest` adds the PDQ hash and its eight dihedral hashes of every image (1,000 JPEGs here), which is most of the difference.\n"
		print ""
		print "| tool | wall (s) | files/s | MB/s | peak RSS (MB) | vs hashdeep |"
		print "|---|---:|---:|---:|---:|---:|"
		row("hashdeep -r -c md5,sha1,sha256 -j " n, h, hm)
		row("vigil ingest --no-pdq", p, pm)
		row("vigil ingest", u, um)
		print ""
		printf "Runs: hashdeep %s s; vigil --no-pdq %s s; vigil %s s.", hall, pall, uall
		if (lim != "") printf " The machine'"'"'s limit with one crypto/md5 stream per core (section above) is %s MB/s: `vigil ingest --no-pdq` reaches **%.0f%%** of it", lim, 100*(b/1e6/p)/lim
		if (lanes != "") printf ", and %.0f%% of the %s MB/s the three digests reach with MD5 on multi-buffer lanes as the intake runs them", 100*(b/1e6/p)/lanes, lanes
		if (lim != "") printf "."
		print ""
	}' >"$out"
}

section_pdq() {
	local out=docs/bench/pdq.md raw
	raw=$(gobench ./internal/pdq 'HashLuma512$|DecodeHashJPEG1024x768$|DecodeHashPNG256$|Parallel$' -cpu "1,$NCPU" -count 5 -benchtime 2s)
	{
		echo "## PDQ"
		echo
		echo "$(machine)."
		echo
		echo "\`go test -bench . -cpu 1,$NCPU ./internal/pdq\` (median of 5). The hash core on a 512×512 luma plane (target ≤ 1 ms), and decode + hash per image. The reference pipeline (C++ pdq-photo-hasher through ImageMagick) measured 7–10 images/s on 1024×768 JPEGs and 18–27 images/s on 256×256 PNGs per core on these machines (research/pdq.md §6); the target is 10× that per core."
		echo
		echo '```'
		echo "$raw"
		echo '```'
		if [ -n "${PDQ_REFERENCE:-}" ] && [ -x "$PDQ_REFERENCE" ]; then
			local dir=$BENCH_DIR/pdq-jpegs
			[ -d "$dir" ] || PDQ_BENCH_JPEG_DIR="$dir" go test -count=1 -run TestWriteBenchJPEGs ./internal/pdq >/dev/null
			local ref=() ours=() r
			for i in $(seq "$RUNS"); do
				r=$( { /usr/bin/time -f '%U %S' env PATH=/usr/bin:/bin "$PDQ_REFERENCE" "$dir"/*.jpg >/dev/null; } 2>&1 | tail -1)
				ref+=("$(echo "$r" | awk '{print $1+$2}')")
				r=$( { /usr/bin/time -f '%U %S' "$VIGIL" pdq -j 1 "$dir"/*.jpg >/dev/null; } 2>&1 | tail -1)
				ours+=("$(echo "$r" | awk '{print $1+$2}')")
			done
			local n rm om st=()
			for i in $(seq "$RUNS"); do
				r=$( { /usr/bin/time -f '%U %S' "$VIGIL" --help >/dev/null; } 2>&1 | tail -1)
				st+=("$(echo "$r" | awk '{print $1+$2}')")
			done
			n=$(ls "$dir"/*.jpg | wc -l)
			rm=$(printf '%s\n' "${ref[@]}" | median)
			om=$(printf '%s\n' "${ours[@]}" | median)
			sm=$(printf '%s\n' "${st[@]}" | median)
			echo
			awk -v n="$n" -v r="$rm" -v o="$om" -v st="$sm" 'BEGIN {
				printf "Same run, the reference and `vigil pdq -j 1` on the same %d generated 1024×768 JPEGs, CPU time (median of runs):\n\n", n
				print "| | CPU s | CPU ms per image | images per CPU-second |"
				print "|---|---:|---:|---:|"
				printf "| reference | %.2f | %.1f | %.1f |\n", r, 1000*r/n, n/r
				printf "| vigil | %.2f | %.1f | %.1f |\n", o, 1000*o/n, n/o
				printf "\nVigil: **%.1f×** the reference per core.", r/o
				printf " Both figures are whole processes, start-up included: Vigil'"'"'s start-up alone (`vigil --help`) takes %.2f CPU s, %.1f ms per image of this run, most of it the phone-number metadata that github.com/nyaruka/phonenumbers loads when the binary starts.\n", st, 1000*st/n
			}'
		fi
	} >"$out"
}

section_sets() {
	local out=docs/bench/sets.md raw env=""
	[ "${LARGE:-}" = 1 ] && env="VIGIL_BENCH_LARGE=1"
	raw=$(env $env go test -run '^$' -bench 'Read|Exact|PDQQuery|PDQMatchImages|PDQBuild|PDQSpeedup|Cache' -benchtime 3x -timeout 3h \
		./internal/hashset ./internal/match 2>&1 | grep -E '^(Benchmark|ok|FAIL)' || true)
	{
		echo "## Hash sets and matching"
		echo
		echo "$(machine)."
		echo
		echo "Import rates (records/s), exact lookups, PDQ queries through the multi-index hashing index beside brute force in the same loop (\`PDQSpeedup\`), index build and memory (bytes per entry). $([ -n "$env" ] && echo "With the 10M-entry sizes (VIGIL_BENCH_LARGE=1)." || echo "Run with LARGE=1 for the 10M-entry sizes.")"
		echo
		echo '```'
		echo "$raw"
		echo '```'
	} >"$out"
}

section_whatsapp() {
	local out=docs/bench/whatsapp.md raw
	if [ "${LARGE:-}" = 1 ]; then
		raw=$(go test -run '^$' -bench 'ParseMsgstore|ExtractMsgstore|ExtractChatStorage|ExtractExport' -benchtime 1x -timeout 3h ./internal/artifact/whatsapp/... 2>&1 | grep -E '^(Benchmark|ok|FAIL)' || true)
	else
		raw=$(go test -run '^$' -bench 'ExtractChatStorage|ExtractExport' -benchtime 1x ./internal/artifact/whatsapp/... 2>&1 | grep -E '^(Benchmark|ok|FAIL)' || true)
	fi
	{
		echo "## WhatsApp extraction"
		echo
		echo "$(machine)."
		echo
		echo "End to end into a new case store. $([ "${LARGE:-}" = 1 ] && echo "A modern msgstore.db of 1,000,000 messages in 10,000 chats (target < 60 s): ParseMsgstore reads and decodes every row into a store that discards them, the parse alone; ExtractMsgstore also writes them into a new case store, with its indexes and audit records." || echo "LARGE=1 adds the 1,000,000-message msgstore.db (generated once, ~12 min).")"
		echo
		echo '```'
		echo "$raw"
		echo '```'
	} >"$out"
}

section_network() {
	local out=docs/bench/network.md raw
	if [ "${LARGE:-}" = 1 ]; then
		raw=$(VIGIL_BENCH_LARGE=1 go test -run '^$' -bench Analyze -benchtime 1x -timeout 3h ./internal/network 2>&1 | grep -E '^(Benchmark|ok|FAIL)' || true)
	else
		raw=$(go test -run '^$' -bench Analyze -benchtime 3x ./internal/network 2>&1 | grep -E '^(Benchmark|ok|FAIL)' || true)
	fi
	{
		echo "## Network analysis"
		echo
		echo "$(machine)."
		echo
		echo "$([ "${LARGE:-}" = 1 ] && echo "1,000,000 message records and 100,000 accounts (target < 60 s, bounded memory)." || echo "LARGE=1 runs the 1,000,000-message, 100,000-account case (built once, ~8 min).")"
		echo
		echo '```'
		echo "$raw"
		echo '```'
	} >"$out"
}

section_demo() {
	OUT=docs/bench/demo.md scripts/bench-demo.sh
}

for s in "${sections[@]}"; do
	echo "bench: $s" >&2
	"section_$s"
done

{
	echo "# Benchmarks"
	echo
	echo "Written by \`scripts/bench.sh\` from the fragments in \`docs/bench/\`, each dated with the machine and"
	echo "its load when measured: these machines are shared and noisy, so compare figures measured in the"
	echo "same run (the ratios), and prefer CPU time where it is given. Never a timing assertion in a test."
	echo
	for f in limit ingest pdq sets whatsapp network demo; do
		[ -f "docs/bench/$f.md" ] && { cat "docs/bench/$f.md"; echo; }
	done
	for f in docs/bench/*.md; do
		case $(basename "$f" .md) in limit|ingest|pdq|sets|whatsapp|network|demo) ;; *) cat "$f"; echo ;; esac
	done
} >docs/BENCHMARKS.md
echo "bench: docs/BENCHMARKS.md written" >&2
