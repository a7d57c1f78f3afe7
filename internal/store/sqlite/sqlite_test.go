package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/store"
)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "case.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func verifyChain(t *testing.T, s *Store) audit.Report {
	t.Helper()
	rep := audit.Verify(func(yield func(audit.Record, error) bool) {
		err := s.AuditRecords(context.Background(), store.AuditQuery{}, func(r audit.Record) error {
			if !yield(r, nil) {
				return context.Canceled
			}
			return nil
		})
		if err != nil && err != context.Canceled {
			yield(audit.Record{}, err)
		}
	}, nil, nil, false)
	if !rep.OK() {
		t.Fatalf("audit chain broken: %v", rep.Findings)
	}
	return rep
}

func TestMigrationsAndReopen(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "case.db")
	s, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 3 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	head, _ := s.AuditHead(ctx)
	s.Close()
	s, err = Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	head2, _ := s.AuditHead(ctx)
	if head2 != head {
		t.Fatalf("reopening changed the chain: %v -> %v", head, head2)
	}
	var fk int
	if err := s.w.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign keys off: %d %v", fk, err)
	}
	var mode string
	if err := s.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q %v", mode, err)
	}
}

func TestBatchIsIdempotentAndAudited(t *testing.T) {
	ctx := audit.WithActor(context.Background(), "tester")
	s := openTest(t)
	d, err := s.PutDevice(ctx, store.Device{Label: "PHONE-1", Suspect: "S1", Country: "ES", SeizedAt: time.Date(2017, 4, 1, 6, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	src, resumed, err := s.StartSource(ctx, store.Source{DeviceID: d.ID, Kind: "directory", Path: "/evidence/p1", Operator: "tester", Tool: "vigil test"})
	if err != nil || resumed {
		t.Fatalf("start: %v %v", resumed, err)
	}
	sha := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	b := store.Batch{SourceID: src.ID,
		Contents: []store.Content{{SHA256: sha, MD5: "098f6bcd4621d373cade4e832627b4f6", SHA1: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", Size: 4, MIME: "text/plain", Kind: "other"}},
		Files:    []store.File{{Path: "a.txt", SHA256: sha, Size: 4}, {Path: "b/a-copy.txt", SHA256: sha, Size: 4}, {Path: "bad", Size: 10, Error: "permission denied"}}}
	for i := 0; i < 2; i++ {
		if err := s.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Source(ctx, src.ID)
	if err != nil || got.Files != 3 || got.Bytes != 18 || got.Errors != 1 {
		t.Fatalf("source counts after a repeated batch: %+v %v", got, err)
	}
	var files []store.FileView
	if err := s.Files(ctx, store.FileQuery{Device: "PHONE-1"}, func(v store.FileView) error { files = append(files, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || files[0].Path != "a.txt" || files[0].MD5 == "" || files[2].Error == nil {
		t.Fatalf("files: %+v", files)
	}
	_, resumed, err = s.StartSource(ctx, store.Source{DeviceID: d.ID, Kind: "directory", Path: "/evidence/p1", Operator: "tester", Tool: "vigil test"})
	if err != nil || !resumed {
		t.Fatalf("resume: %v %v", resumed, err)
	}
	if err := s.FinishSource(ctx, src.ID, "complete", nil); err != nil {
		t.Fatal(err)
	}
	var actions []string
	s.AuditRecords(ctx, store.AuditQuery{Action: "ingest."}, func(r audit.Record) error {
		actions = append(actions, r.Action)
		if r.Actor != "tester" {
			t.Errorf("actor %q", r.Actor)
		}
		return nil
	})
	want := []string{"ingest.start", "ingest.batch", "ingest.resume", "ingest.finish"}
	if len(actions) != len(want) {
		t.Fatalf("audit actions %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("audit actions %v, want %v", actions, want)
		}
	}
	verifyChain(t, s)
}

func TestChatContentCompletedByFile(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	d, _ := s.PutDevice(ctx, store.Device{Label: "D"})
	src, _, _ := s.StartSource(ctx, store.Source{DeviceID: d.ID, Kind: "directory", Path: "/x", Operator: "o", Tool: "t"})
	sha := "0000000000000000000000000000000000000000000000000000000000000001"
	if err := s.WriteBatch(ctx, store.Batch{SourceID: src.ID, Contents: []store.Content{{SHA256: sha, Origin: "chat", MIME: "image/jpeg", Size: -1}}}); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Content(ctx, sha)
	if c.Origin != "chat" || c.Size != -1 || c.MD5 != "" {
		t.Fatalf("chat content: %+v", c)
	}
	if err := s.WriteBatch(ctx, store.Batch{SourceID: src.ID, Contents: []store.Content{{SHA256: sha, MD5: "m", SHA1: "s", Size: 7, MIME: "image/png", Kind: "image"}},
		Files: []store.File{{Path: "x.png", SHA256: sha, Size: 7}}}); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Content(ctx, sha)
	if c.Origin != "file" || c.Size != 7 || c.MD5 != "m" || c.MIME != "image/png" {
		t.Fatalf("completed content: %+v", c)
	}
}
