package intake

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	md5simd "github.com/minio/md5-simd"

	"vigil/internal/store"
)

// BenchmarkHashLimit is the machine's limit for the intake: MD5, SHA-1 and
// SHA-256 over in-memory 1 MiB buffers, one stream per goroutine, on every
// core (run with -cpu N). No I/O, no store.
func BenchmarkHashLimit(b *testing.B) {
	buf := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(buf)
	b.SetBytes(int64(len(buf)))
	b.RunParallel(func(pb *testing.PB) {
		h := newHasher()
		for pb.Next() {
			h.Reset()
			h.Write(buf)
			h.sums()
		}
	})
}

// BenchmarkIngest ingests a small generated tree (1,000 files of 4–200 KB)
// into a fresh SQLite store: walk, read, hash, sniff, write.
func BenchmarkIngest(b *testing.B) {
	ev := b.TempDir()
	corpus(b, ev, 1000, 9)
	var total int64
	filepath.Walk(ev, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
		return nil
	})
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := testStore(b)
		b.StartTimer()
		if _, err := Ingest(context.Background(), st, Request{Device: store.Device{Label: "B"}, Sources: []string{ev}},
			Options{ScratchDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkHashLimitLanes is the same limit with MD5 on multi-buffer lanes,
// as the intake runs it: 8 streams per core over 256 KiB writes.
func BenchmarkHashLimitLanes(b *testing.B) {
	if !multiBufferMD5() {
		b.Skip("no AVX2")
	}
	srv := md5simd.NewServer()
	defer srv.Close()
	buf := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(buf)
	b.SetBytes(int64(len(buf)))
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		h := newLaneHasher(srv)
		defer h.Close()
		for pb.Next() {
			h.Reset()
			for off := 0; off < len(buf); off += chunkSize {
				h.Write(buf[off : off+chunkSize])
			}
			h.sums()
		}
	})
}
