package ios

import (
	"context"
	"path/filepath"
	"testing"

	"vigil/internal/artifact"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// counter is a case store that only counts what it is given.
type counter struct {
	store.Store
	messages, events int
}

func (c *counter) WriteArtifact(_ context.Context, _ int64, b store.ArtifactBatch) error {
	c.messages += len(b.Messages)
	c.events += len(b.Events)
	return nil
}

// BenchmarkExtractChatStorage reads a ChatStorage.sqlite of 100 groups and
// 100,000 messages (a fifth with media), without the case store's cost.
func BenchmarkExtractChatStorage(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ChatStorage.sqlite")
	if err := synth.WriteChatStorage(context.Background(), path, synth.LargeScenario(100, 100_000)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := &counter{}
		in := &artifact.Input{Device: store.Device{ID: 1, Label: "d"}, Path: "a/ChatStorage.sqlite", Local: path, Store: c}
		if err := (&Extractor{}).Extract(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		if c.messages+c.events != 100_000+100 {
			b.Fatalf("%d messages and %d events", c.messages, c.events)
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "rows/s")
}
