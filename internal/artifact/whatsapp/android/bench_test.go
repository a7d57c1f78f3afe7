package android

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/store"
	"vigil/internal/store/sqlite"
	"vigil/internal/synth"
)

// benchWriterVersion names the cached benchmark databases: change it when
// the writer's output changes.
const benchWriterVersion = "w1"

// benchMsgstore returns a modern msgstore.db of the given size, written
// once and cached in the temporary directory (writing a million messages
// takes a while).
func benchMsgstore(b *testing.B, chats, messages int) string {
	b.Helper()
	p := filepath.Join(os.TempDir(), fmt.Sprintf("vigil-bench-msgstore-%s-%d-%d.db", benchWriterVersion, chats, messages))
	if _, err := os.Stat(p); err == nil {
		return p
	}
	start := time.Now()
	tmp := p + ".part"
	if err := synth.WriteMsgstore(context.Background(), tmp, synth.LargeScenario(chats, messages), synth.AndroidModern); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %s in %v", p, time.Since(start))
	return p
}

// benchSize is the benchmark msgstore's size: a million messages in
// 10,000 chats, or VIGIL_BENCH_MESSAGES messages in a hundredth as many.
func benchSize(b *testing.B) (messages, chats int) {
	v := os.Getenv("VIGIL_BENCH_MESSAGES")
	if v == "" {
		return 1_000_000, 10_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		b.Fatalf("VIGIL_BENCH_MESSAGES=%q: give a number of messages (at least 1000)", v)
	}
	return n, max(n/100, 10)
}

// BenchmarkExtractMsgstore extracts a modern msgstore.db with a million
// messages in 10,000 chats into a fresh case store, end to end through
// the store interface (VIGIL_BENCH_MESSAGES changes the size; -short
// skips it).
//
//	go test -run XXX -bench ExtractMsgstore -benchtime 1x ./internal/artifact/whatsapp/android/
func BenchmarkExtractMsgstore(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: the million-message benchmark is long")
	}
	messages, chats := benchSize(b)
	batch := 0
	if v := os.Getenv("VIGIL_BENCH_BATCH"); v != "" {
		batch, _ = strconv.Atoi(v)
	}
	src := benchMsgstore(b, chats, messages)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		s, err := sqlite.Open(ctx, filepath.Join(dir, "case.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		d, err := s.PutDevice(ctx, store.Device{Label: "BENCH"})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		a, _, err := s.BeginArtifact(ctx, store.Artifact{DeviceID: d.ID, Path: "msgstore.db", SHA256: "bench", Extractor: "whatsapp/android-msgstore"})
		if err != nil {
			b.Fatal(err)
		}
		var warnings []string
		in := &artifact.Input{Device: d, Artifact: a, Path: "msgstore.db", Local: src, Store: s,
			Warn: func(f string, args ...any) { warnings = append(warnings, fmt.Sprintf(f, args...)) }}
		if err := (&Msgstore{BatchSize: batch}).Extract(ctx, in); err != nil {
			b.Fatal(err)
		}
		if err := s.FinishArtifact(ctx, a.ID, "complete", nil, warnings); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		recs, _ := s.ArtifactRecords(ctx, "BENCH")
		if len(warnings) > 0 || recs[0].Counts["messages"] == 0 {
			b.Fatalf("counts %v, warnings %v", recs[0].Counts, warnings)
		}
		b.ReportMetric(float64(recs[0].Counts["messages"]+recs[0].Counts["events"]), "rows")
		s.Close()
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(messages)/(b.Elapsed().Seconds()/float64(b.N)), "messages/s")
}

// discard is a store that keeps nothing: what the extractor costs alone,
// reading and decoding, without the case store's writes.
type discard struct {
	store.Store // nil: only WriteArtifact is called
	rows        int64
}

func (d *discard) WriteArtifact(_ context.Context, _ int64, b store.ArtifactBatch) error {
	d.rows += int64(len(b.Messages) + len(b.Events))
	return nil
}

// BenchmarkParseMsgstore reads the same msgstore.db as
// BenchmarkExtractMsgstore into a store that discards the rows: the parse
// alone, the figure issue 5 sets (< 60 s for a million messages).
func BenchmarkParseMsgstore(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: the million-message benchmark is long")
	}
	messages, chats := benchSize(b)
	src := benchMsgstore(b, chats, messages)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink := &discard{}
		in := &artifact.Input{Device: store.Device{ID: 1, Label: "BENCH"}, Artifact: store.Artifact{ID: 1}, Path: "msgstore.db",
			Local: src, Store: sink, Warn: func(f string, args ...any) { b.Fatalf(f, args...) }}
		if err := (&Msgstore{}).Extract(ctx, in); err != nil {
			b.Fatal(err)
		}
		if sink.rows < int64(messages) {
			b.Fatalf("%d rows decoded, want at least %d", sink.rows, messages)
		}
		b.ReportMetric(float64(sink.rows), "rows")
	}
	b.StopTimer()
	b.ReportMetric(float64(messages)/(b.Elapsed().Seconds()/float64(b.N)), "messages/s")
}
