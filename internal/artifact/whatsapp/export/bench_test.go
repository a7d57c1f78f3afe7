package export

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"vigil/internal/artifact"
	"vigil/internal/store"
	"vigil/internal/synth"
)

type counter struct {
	store.Store
	messages, events int
}

func (c *counter) WriteArtifact(_ context.Context, _ int64, b store.ArtifactBatch) error {
	c.messages += len(b.Messages)
	c.events += len(b.Events)
	return nil
}

// BenchmarkExtractExport reads an Android export of one group with
// 100,000 lines (the three passes of Extract), without the case store's
// cost.
func BenchmarkExtractExport(b *testing.B) {
	s := synth.LargeScenario(1, 100_000)
	e, err := synth.ExportChat(s, s.Chats[0].JID, synth.ExportOptions{WithMedia: true})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), e.TextName)
	if err := os.WriteFile(path, e.Text, 0o400); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(e.Text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := &counter{}
		in := &artifact.Input{Device: store.Device{ID: 1, Label: "d"}, Path: "Download/" + e.TextName, Local: path, Store: c}
		if err := (&Extractor{}).Extract(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		if c.messages < 90_000 {
			b.Fatalf("%d messages", c.messages)
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "lines/s")
}
