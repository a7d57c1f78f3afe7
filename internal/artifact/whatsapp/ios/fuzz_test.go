package ios

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// tinyScenario is small enough that its databases, with 512-byte pages,
// make seeds of a few kilobytes.
func tinyScenario() *synth.Scenario {
	const (
		owner = "34600000001@s.whatsapp.net"
		ana   = "573000000001@s.whatsapp.net"
		bo    = "4915100000001@s.whatsapp.net"
		group = "120363000000000001@g.us"
	)
	t := func(m int) time.Time { return time.Date(2023, 5, 2, 9, m, 0, 0, time.UTC) }
	return &synth.Scenario{
		Owner:  synth.Person{JID: owner},
		People: []synth.Person{{JID: ana, Name: "Ana"}, {JID: bo, LID: "100000000000003@lid", PushName: "Bo"}},
		Chats: []synth.Chat{{
			JID: group, Kind: synth.Group, Subject: "G", Created: t(0), Creator: ana,
			Subjects: []synth.SubjectChange{{Subject: "G", Time: t(0), Actor: ana}},
			Members:  []synth.Member{{JID: ana, Role: synth.RoleCreator}, {JID: owner, Role: synth.RoleMember}, {JID: bo, Role: synth.RoleAdmin}},
			Events: []synth.Event{
				{ID: "E1", Time: t(0), Action: "created", Actor: ana, New: "G"},
				{ID: "E2", Time: t(1), Action: "added", Actor: ana, Targets: []string{owner, bo}},
			},
			Messages: []synth.Message{
				{ID: "M1", Sender: bo, Time: t(2), Type: "image", Caption: "c", Media: &synth.Media{SHA256: synth.MediaHash("a.jpg"), Path: "Media/a.jpg", MIME: "image/jpeg", Size: 9}},
				{ID: "M2", Sender: owner, FromMe: true, Time: t(3), Type: "text", Text: "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"},
			},
		}, {JID: ana, Kind: synth.Direct, Messages: []synth.Message{{ID: "D1", Sender: ana, Time: t(4), Type: "text", Text: "hola"}}}},
	}
}

// smallPages rewrites a database with 512-byte pages and returns its
// bytes.
func smallPages(t testing.TB, file string) []byte {
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{"PRAGMA page_size = 512", "VACUUM"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seeds(t testing.TB) [][]byte {
	dir := t.(interface{ TempDir() string }).TempDir()
	files, err := synth.WriteWhatsAppIOS(context.Background(), dir, tinyScenario())
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range []string{files.ChatStorage, files.Contacts, files.LID} {
		out = append(out, smallPages(t, f))
	}
	return out
}

// FuzzExtract feeds mutated synthetic iOS databases to the extractor: it
// must return (an error or rows), never panic or hang, and what it writes
// must be well formed.
func FuzzExtract(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		local := filepath.Join(t.TempDir(), "ChatStorage.sqlite")
		if err := os.WriteFile(local, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		in := &artifact.Input{Device: store.Device{ID: 1, Label: "d"}, Path: "a/ChatStorage.sqlite", Local: local, Store: rec,
			Warn: func(string, ...any) {}}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := (&Extractor{BatchSize: 3}).Extract(ctx, in); err != nil {
			if !strings.Contains(err.Error(), "a/ChatStorage.sqlite") {
				t.Fatalf("error does not name the file: %v", err)
			}
		}
		b := merge(rec.batches)
		for _, m := range b.Messages {
			if m.ChatJID == "" || m.Type == "" || m.RowRef == "" {
				t.Fatalf("message without chat, type or row: %+v", m)
			}
			if m.MediaSHA256 != "" {
				if h, err := hex.DecodeString(m.MediaSHA256); err != nil || len(h) != 32 || strings.ToLower(m.MediaSHA256) != m.MediaSHA256 {
					t.Fatalf("media hash %q", m.MediaSHA256)
				}
			}
		}
		for _, e := range b.Events {
			if e.ChatJID == "" || e.Action == "" {
				t.Fatalf("event %+v", e)
			}
		}
		for _, a := range b.Accounts {
			if a.JID == "" {
				t.Fatalf("account without JID: %+v", a)
			}
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpus files of FuzzExtract (run with
// VIGIL_WRITE_FUZZ_SEEDS=1 to refresh them).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz/FuzzExtract")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzExtract")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds(t) {
		name := filepath.Join(dir, fmt.Sprintf("synthetic-%d", i))
		if err := os.WriteFile(name, []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
