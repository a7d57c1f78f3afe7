package network

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/network/networktest"
	"vigil/internal/store/sqlite"
)

// benchCase opens (generating it the first time, into a cache under the
// temporary directory) the generated case of the benchmark:
// VIGIL_BENCH_LARGE=1 asks for the size (100,000 accounts, a
// million messages; a few minutes to generate), else a case a hundred
// times smaller.
func benchCase(b *testing.B) *sqlite.Store {
	b.Helper()
	p, name := networktest.SmallBenchParams(), "small"
	if os.Getenv("VIGIL_BENCH_LARGE") != "" {
		p, name = networktest.BenchParams(), "large"
	}
	want, _ := json.Marshal(p)
	dir := filepath.Join(os.TempDir(), "vigil-network-bench")
	file := filepath.Join(dir, name+".db")
	ctx := audit.WithActor(context.Background(), "bench")
	if st, err := sqlite.Open(ctx, file, sqlite.Options{}); err == nil {
		if v, _ := st.Meta(ctx, "networktest.params"); v == string(want) {
			return st
		}
		st.Close()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(file + suffix)
	}
	b.Logf("generating the %s benchmark case in %s", name, file)
	start := time.Now()
	st, err := sqlite.Open(ctx, file, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := networktest.Large(ctx, st, p); err != nil {
		st.Close()
		b.Fatal(err)
	}
	if err := st.SetMeta(ctx, "networktest.params", string(want)); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %v", time.Since(start).Round(time.Second))
	return st
}

// peakHeap samples the heap while fn runs and returns its peak, in bytes
// above the heap before.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

func BenchmarkAnalyze(b *testing.B) {
	st := benchCase(b)
	defer st.Close()
	ctx := context.Background()
	var r *Result
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			var err error
			r, err = Analyze(ctx, st, Options{})
			if err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(r.Summary.Observations), "rows")
	b.ReportMetric(float64(r.Summary.Accounts), "accounts")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(r.Summary.Observations)/(float64(b.Elapsed().Seconds())/float64(b.N)), "rows/s")
	b.Logf("%d rows, %d messages, %d accounts, %d known items, %d distributors, peak heap %.0f MiB",
		r.Summary.Observations, r.Summary.Messages, r.Summary.Accounts, r.Summary.KnownItems, r.Summary.Distributors, float64(peak)/(1<<20))
}
