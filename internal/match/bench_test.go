package match

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"vigil/internal/pdq"
)

// Benchmarks. The 10M-entry ones run only with VIGIL_BENCH_LARGE=1:
//
//	go test -run '^$' -bench . -benchtime 2x ./internal/match                      # 1M
//	VIGIL_BENCH_LARGE=1 go test -run '^$' -bench . -timeout 1h ./internal/match     # 1M and 10M
//
// Metrics: queries/s (or lookups/s) counted by the benchmark itself,
// heap-B (bytes the index holds, and Go heap growth while building),
// B/entry, candidates/query for MIH.

func benchSizes() []int {
	if os.Getenv("VIGIL_BENCH_LARGE") != "" {
		return []int{1_000_000, 10_000_000}
	}
	return []int{1_000_000}
}

func sizeName(n int) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprint(n)
}

// Fixtures are built once per process and shared between benchmarks.
var (
	fixMu    sync.Mutex
	pdqFix   = map[string]*pdqFixture{}
	exactFix = map[int]*exactFixtureB{}
)

type pdqFixture struct {
	set     []pdq.Hash
	x       *PDQ
	queries []pdq.Hash
	build   time.Duration
	heap    uint64
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func getPDQ(b *testing.B, dist string, n int) *pdqFixture {
	fixMu.Lock()
	defer fixMu.Unlock()
	key := fmt.Sprint(dist, n)
	if f, ok := pdqFix[key]; ok {
		return f
	}
	b.StopTimer()
	defer b.StartTimer()
	// Keep one 10M fixture at a time: 1 GB each.
	for k, f := range pdqFix {
		if len(f.set) >= 10_000_000 {
			delete(pdqFix, k)
		}
	}
	var set []pdq.Hash
	switch dist {
	case "uniform":
		set = uniformSet(n, 100)
	case "clustered":
		set = clusteredSet(n, 15, 101)
	case "skewed":
		set = skewedSet(n, 102)
	}
	before := heapInUse()
	start := time.Now()
	x := buildPDQ(set)
	f := &pdqFixture{set: set, x: x, build: time.Since(start)}
	f.heap = heapInUse() - before
	f.queries = queriesNear(set, 1000, 31, 103)
	// The index and the scan must give identical results, checked in
	// the benchmark run itself on a sample of the queries.
	sample := 100
	if n >= 10_000_000 {
		sample = 20
	}
	for _, q := range f.queries[:sample] {
		if a, c := f.x.Query(q, PDQMatchDistance), f.x.BruteForce(q, PDQMatchDistance); !slices.Equal(a, c) {
			b.Fatalf("index and scan differ: %v vs %v", a, c)
		}
	}
	pdqFix[key] = f
	return f
}

func BenchmarkPDQBuild(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(sizeName(n), func(b *testing.B) {
			set := uniformSet(n, 100)
			b.ResetTimer()
			var x *PDQ
			var grow uint64
			for i := 0; i < b.N; i++ {
				before := heapInUse()
				x = buildPDQ(set)
				grow = heapInUse() - before
			}
			b.ReportMetric(float64(x.Bytes()), "index-B")
			b.ReportMetric(float64(grow), "heap-B")
			b.ReportMetric(float64(x.Bytes())/float64(n), "B/entry")
		})
	}
}

// BenchmarkPDQQuery: one query at a time, d ≤ 31, through the index (with
// its brute-force fallback for over-budget queries) and by brute force,
// on the same index in the same run.
func BenchmarkPDQQuery(b *testing.B) {
	for _, dist := range []string{"uniform", "clustered", "skewed"} {
		for _, n := range benchSizes() {
			b.Run(fmt.Sprintf("%s/%s/index", dist, sizeName(n)), func(b *testing.B) {
				f := getPDQ(b, dist, n)
				var cands, scanned int
				for _, q := range f.queries {
					c := candidates(f.x, &q, PDQMatchDistance)
					cands += c
					if c > f.x.budget {
						scanned++
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					f.x.Query(f.queries[i%len(f.queries)], PDQMatchDistance)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
				b.ReportMetric(float64(cands)/float64(len(f.queries)), "candidates/query")
				b.ReportMetric(float64(scanned)/float64(len(f.queries))*100, "%scanned")
				b.ReportMetric(f.build.Seconds(), "build-s")
				b.ReportMetric(float64(f.heap), "heap-B")
			})
			b.Run(fmt.Sprintf("%s/%s/brute", dist, sizeName(n)), func(b *testing.B) {
				f := getPDQ(b, dist, n)
				for i := 0; i < b.N; i++ {
					f.x.BruteForce(f.queries[i%len(f.queries)], PDQMatchDistance)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			})
		}
	}
}

func candidates(x *PDQ, h *pdq.Hash, d int) int {
	total := 0
	for s := 0; s < slots; s++ {
		v := slotValue(h, s)
		for _, m := range probeMasks[d/slots] {
			w := int(v ^ m)
			total += int(x.off[s][w+1] - x.off[s][w])
		}
	}
	return total
}

// BenchmarkPDQMatchImages: a device's images (8 dihedral hashes each)
// matched in one call on every core, against a tiled brute-force scan of
// the same queries.
func BenchmarkPDQMatchImages(b *testing.B) {
	for _, dist := range []string{"uniform", "skewed"} {
		for _, n := range benchSizes() {
			images := func(f *pdqFixture) [][]pdq.Hash {
				images := make([][]pdq.Hash, 64)
				for i := range images {
					images[i] = f.queries[8*i : 8*i+8]
				}
				return images
			}
			b.Run(fmt.Sprintf("%s/%s/index", dist, sizeName(n)), func(b *testing.B) {
				f := getPDQ(b, dist, n)
				images := images(f)
				for i := 0; i < b.N; i++ {
					if _, err := f.x.MatchImages(context.Background(), images, PDQMatchDistance); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*len(images))/b.Elapsed().Seconds(), "images/s")
			})
			b.Run(fmt.Sprintf("%s/%s/tiled-brute", dist, sizeName(n)), func(b *testing.B) {
				f := getPDQ(b, dist, n)
				images := images(f)
				qs := slices.Concat(images...)
				for i := 0; i < b.N; i++ {
					if _, err := f.x.scanTiled(context.Background(), qs, PDQMatchDistance, runtime.GOMAXPROCS(0)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*len(images))/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}

type exactFixtureB struct {
	x       *Exact
	present [][32]byte
	build   time.Duration
	heap    uint64
}

func digest(i int) [32]byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	return sha256.Sum256(b[:])
}

func getExact(b *testing.B, n int) *exactFixtureB {
	fixMu.Lock()
	defer fixMu.Unlock()
	if f, ok := exactFix[n]; ok {
		return f
	}
	b.StopTimer()
	defer b.StartTimer()
	before := heapInUse()
	start := time.Now()
	bld := NewExactBuilder()
	bld.Grow(SHA256, n)
	for i := 0; i < n; i++ {
		d := digest(i)
		bld.Add(SHA256, d[:], uint32(i))
	}
	x := bld.Build()
	f := &exactFixtureB{x: x, build: time.Since(start)}
	f.heap = heapInUse() - before
	for i := 0; i < 1<<16; i++ {
		f.present = append(f.present, digest(rand.IntN(n)))
	}
	exactFix[n] = f
	return f
}

// BenchmarkExactLookup: SHA-256 lookups, half present, one goroutine.
func BenchmarkExactLookup(b *testing.B) {
	for _, n := range benchSizes() {
		probes := func(f *exactFixtureB) [][32]byte {
			probes := make([][32]byte, len(f.present))
			for i := range probes {
				probes[i] = f.present[i]
				if i%2 == 1 {
					probes[i][31] ^= 0xff
				}
			}
			return probes
		}
		b.Run(sizeName(n)+"/index", func(b *testing.B) {
			f := getExact(b, n)
			probes := probes(f)
			b.ResetTimer()
			found := 0
			for i := 0; i < b.N; i++ {
				if f.x.Lookup(SHA256, probes[i%len(probes)][:]) != nil {
					found++
				}
			}
			if b.N >= len(probes) && (found < b.N/3 || found > 2*b.N/3) {
				b.Fatalf("found %d of %d", found, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			b.ReportMetric(float64(f.x.Bytes()), "index-B")
			b.ReportMetric(float64(f.heap), "heap-B")
			b.ReportMetric(float64(f.x.Bytes())/float64(n), "B/entry")
			b.ReportMetric(f.build.Seconds(), "build-s")
		})
		b.Run(sizeName(n)+"/map", func(b *testing.B) {
			// The baseline of performance.md §3.3.
			probes := probes(getExact(b, n))
			before := heapInUse()
			m := make(map[[32]byte]uint32, n)
			for i := 0; i < n; i++ {
				m[digest(i)] = uint32(i)
			}
			heap := heapInUse() - before
			b.ResetTimer()
			found := 0
			for i := 0; i < b.N; i++ {
				if _, ok := m[probes[i%len(probes)]]; ok {
					found++
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			b.ReportMetric(float64(heap), "heap-B")
			b.ReportMetric(float64(heap)/float64(n), "B/entry")
			runtime.KeepAlive(m)
		})
	}
}

// BenchmarkExactMatchAll: a device's 500k contents (md5, sha1, sha256)
// against the index, one op = the whole device.
func BenchmarkExactMatchAll(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(sizeName(n), func(b *testing.B) {
			f := getExact(b, n)
			items := make([]Sums, 500_000)
			for i := range items {
				d := digest(rand.IntN(2 * n)) // half present
				items[i].SHA256 = d
				items[i].Has = 1<<MD5 | 1<<SHA1 | 1<<SHA256
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f.x.MatchAll(context.Background(), items, func(int, Kind, []uint32) error { return nil })
			}
			b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "contents/s")
		})
	}
}

// BenchmarkExactBuild3: an index of n entries each with an MD5, a SHA-1
// and a SHA-256 (NSRL-like), for the memory figure.
func BenchmarkExactBuild3(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(sizeName(n), func(b *testing.B) {
			var x *Exact
			var grow uint64
			for i := 0; i < b.N; i++ {
				before := heapInUse()
				bld := NewExactBuilder()
				for k := Kind(0); k < numKinds; k++ {
					bld.Grow(k, n)
				}
				for j := 0; j < n; j++ {
					d := digest(j)
					bld.Add(MD5, d[:16], uint32(j))
					bld.Add(SHA1, d[:20], uint32(j))
					bld.Add(SHA256, d[:], uint32(j))
				}
				x = bld.Build()
				grow = heapInUse() - before
			}
			b.ReportMetric(float64(x.Bytes()), "index-B")
			b.ReportMetric(float64(grow), "heap-B")
			b.ReportMetric(float64(x.Bytes())/float64(n), "B/entry")
		})
	}
}

// BenchmarkCache: save and load of both indexes.
func BenchmarkCache(b *testing.B) {
	for _, n := range benchSizes() {
		path := b.TempDir() + "/index.cache"
		b.Run(sizeName(n)+"/save", func(b *testing.B) {
			fe, fp := getExact(b, n), getPDQ(b, "uniform", n)
			for i := 0; i < b.N; i++ {
				if err := SaveCache(path, []byte("fp"), fe.x, fp.x); err != nil {
					b.Fatal(err)
				}
			}
			st, _ := os.Stat(path)
			b.ReportMetric(float64(st.Size()), "file-B")
		})
		b.Run(sizeName(n)+"/load", func(b *testing.B) {
			if _, err := os.Stat(path); err != nil {
				b.Skip("no cache saved")
			}
			for i := 0; i < b.N; i++ {
				if _, _, err := LoadCache(path, []byte("fp")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPDQSpeedup measures the index and brute force interleaved, so
// that both see the same load on a shared machine: one op is 10 queries
// through the index and 1 by brute force. Reported: queries/s of each
// (wall clock, and thread CPU time as cpu-q/s) and the speedup.
func BenchmarkPDQSpeedup(b *testing.B) {
	for _, dist := range []string{"uniform", "clustered", "skewed"} {
		for _, n := range benchSizes() {
			b.Run(fmt.Sprintf("%s/%s", dist, sizeName(n)), func(b *testing.B) {
				f := getPDQ(b, dist, n)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				var wIdx, wBrute, cIdx, cBrute time.Duration
				nq := len(f.queries)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					w0, c0 := time.Now(), threadCPU()
					for j := 0; j < 10; j++ {
						f.x.Query(f.queries[(i*10+j)%nq], PDQMatchDistance)
					}
					w1, c1 := time.Now(), threadCPU()
					f.x.BruteForce(f.queries[(i*7)%nq], PDQMatchDistance)
					w2, c2 := time.Now(), threadCPU()
					wIdx += w1.Sub(w0)
					wBrute += w2.Sub(w1)
					cIdx += c1 - c0
					cBrute += c2 - c1
				}
				qi, qb := float64(10*b.N)/wIdx.Seconds(), float64(b.N)/wBrute.Seconds()
				b.ReportMetric(qi, "index-q/s")
				b.ReportMetric(qb, "brute-q/s")
				b.ReportMetric(qi/qb, "speedup")
				if cIdx > 0 && cBrute > 0 {
					ci, cb := float64(10*b.N)/cIdx.Seconds(), float64(b.N)/cBrute.Seconds()
					b.ReportMetric(ci, "index-cpu-q/s")
					b.ReportMetric(cb, "brute-cpu-q/s")
					b.ReportMetric(ci/cb, "cpu-speedup")
				}
			})
		}
	}
}
