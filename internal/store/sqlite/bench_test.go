package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"vigil/internal/store"
)

// BenchmarkWriteBatch stores intake batches of 2,000 files with distinct
// contents, as an ingest does: the per-file cost of the case store.
func BenchmarkWriteBatch(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	d, _ := s.PutDevice(ctx, store.Device{Label: "B"})
	src, _, _ := s.StartSource(ctx, store.Source{DeviceID: d.ID, Kind: "directory", Path: "/b", Operator: "o", Tool: "t"})
	hexOf := func(s string, n int) string {
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])[:n]
	}
	per := 2000
	if v := os.Getenv("PER"); v != "" {
		fmt.Sscan(v, &per)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch := store.Batch{SourceID: src.ID}
		for j := 0; j < per; j++ {
			k := fmt.Sprint(i, "/", j)
			sha := hexOf(k, 64)
			batch.Contents = append(batch.Contents, store.Content{SHA256: sha, MD5: hexOf("m"+k, 32), SHA1: hexOf("s"+k, 40),
				Size: 1000, MIME: "application/octet-stream", Kind: "other"})
			batch.Files = append(batch.Files, store.File{Path: fmt.Sprintf("d%02d/f%07d.bin", j%100, i*per+j), SHA256: sha, Size: 1000})
		}
		if err := s.WriteBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "files/s")
}
