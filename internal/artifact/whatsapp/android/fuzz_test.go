package android

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/artifact/whatsapp"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// tinyScenario is small enough for a fuzzer to mutate: one group with a
// LID member, a past member and events, and a direct chat.
func tinyScenario() *synth.Scenario {
	s := synth.ExampleScenario()
	s.Chats = s.Chats[:2]
	s.Chats[0].Messages = s.Chats[0].Messages[:4]
	s.Chats[0].Events = s.Chats[0].Events[:5]
	s.Chats[1] = synth.Chat{JID: "573000000001@s.whatsapp.net", Kind: synth.Direct, Messages: []synth.Message{
		{ID: "D1", Sender: "573000000001@s.whatsapp.net", Time: s.Chats[0].Created, Type: "text", Text: "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"},
	}}
	return s
}

// compact rewrites a database with 512-byte pages, the smallest SQLite
// allows, so that seeds stay small.
func compact(t testing.TB, p string) []byte {
	t.Helper()
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA page_size = 512`, `VACUUM`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func msgstoreSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, gen := range []synth.AndroidGeneration{synth.AndroidModern, synth.AndroidLegacy, synth.AndroidTransitional} {
		p := filepath.Join(t.TempDir(), "msgstore.db")
		if err := synth.WriteMsgstore(context.Background(), p, tinyScenario(), gen); err != nil {
			t.Fatal(err)
		}
		out = append(out, compact(t, p))
	}
	return out
}

func waSeed(t testing.TB) []byte {
	p := filepath.Join(t.TempDir(), "wa.db")
	if err := synth.WriteWADB(context.Background(), p, tinyScenario()); err != nil {
		t.Fatal(err)
	}
	return compact(t, p)
}

// checkBatch asserts what the store would refuse: a reader must never
// hand it malformed findings, whatever the input.
func checkBatch(t *testing.T, b store.ArtifactBatch) {
	t.Helper()
	hex64 := func(s string) bool {
		if len(s) != 64 {
			return false
		}
		for _, c := range s {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	for _, a := range b.Accounts {
		if strings.TrimSpace(a.JID) == "" || a.LID != "" && !strings.HasSuffix(a.LID, "@lid") {
			t.Fatalf("bad account %+v", a)
		}
	}
	for _, c := range b.Chats {
		if strings.TrimSpace(c.JID) == "" {
			t.Fatalf("chat without JID %+v", c)
		}
	}
	for _, m := range b.Members {
		if m.ChatJID == "" || m.AccountJID == "" || (m.Role != store.RoleMember && m.Role != store.RoleAdmin && m.Role != store.RoleCreator) {
			t.Fatalf("bad member %+v", m)
		}
	}
	for _, m := range b.Messages {
		if m.RowRef == "" || m.ChatJID == "" || m.MediaSHA256 != "" && !hex64(m.MediaSHA256) {
			t.Fatalf("bad message %+v", m)
		}
	}
	for _, e := range b.Events {
		if e.RowRef == "" || e.ChatJID == "" || e.Action == "" {
			t.Fatalf("bad event %+v", e)
		}
	}
	for _, l := range b.Links {
		if l.Code == "" {
			t.Fatalf("bad link %+v", l)
		}
	}
}

// fuzzDB writes the bytes as a database and runs a reader on it.
func fuzzDB(t *testing.T, data []byte, name string, read func(context.Context, *whatsapp.DB, func(store.ArtifactBatch) error) error) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := whatsapp.OpenDB(ctx, p)
	if err != nil {
		return
	}
	defer db.Close()
	_ = read(ctx, db, func(b store.ArtifactBatch) error { checkBatch(t, b); return nil })
	if ctx.Err() != nil {
		t.Fatalf("reading took longer than 20 s")
	}
}

func FuzzMsgstore(f *testing.F) {
	for _, s := range msgstoreSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDB(t, data, "msgstore.db", func(ctx context.Context, db *whatsapp.DB, write func(store.ArtifactBatch) error) error {
			return ReadMsgstore(ctx, db, 16, write, nil)
		})
	})
}

func FuzzWADB(f *testing.F) {
	f.Add(waSeed(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDB(t, data, "wa.db", func(ctx context.Context, db *whatsapp.DB, write func(store.ArtifactBatch) error) error {
			return ReadWADB(ctx, db, 16, write, nil)
		})
	})
}

func FuzzPrefs(f *testing.F) {
	f.Add([]byte(`<?xml version='1.0' encoding='utf-8' standalone='yes' ?><map><string name="registration_jid">34600000001</string><string name="push_name">Ana &amp; co</string><int name="x" value="3" /></map>`))
	f.Add([]byte(`<map><string name="cc">57</string><string name="ph">3000000001</string></map>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		kv, err := ReadPrefs(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		b, _ := PrefsOwner(kv)
		checkBatch(t, b)
	})
}

// TestWriteFuzzSeeds writes the seed corpora committed under testdata/fuzz
// (run with VIGIL_WRITE_FUZZ_SEEDS=1 after changing the writers).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_FUZZ_SEEDS=1 to rewrite the seed corpora")
	}
	write := func(target string, seeds [][]byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("synthetic-%d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("FuzzMsgstore", msgstoreSeeds(t))
	write("FuzzWADB", [][]byte{waSeed(t)})
	write("FuzzPrefs", [][]byte{
		[]byte(`<map><string name="registration_jid">573000000001@s.whatsapp.net</string></map>`),
		[]byte(`<map><string name="com.whatsapp.registration.RegisterPhone.country_code">49</string><string name="com.whatsapp.registration.RegisterPhone.phone_number">15100000001</string>`),
	})
}
