package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/synth"
)

// TestWhatsAppThroughTheCLI ingests a phone extraction holding a modern
// msgstore.db (with its -wal), wa.db, the preferences and part of the
// media: messages are parsed, linked to the media files by hash, and a
// media hash that only the database knows (the file was deleted) still
// matches a hash set, listed with no path.
func TestWhatsAppThroughTheCLI(t *testing.T) {
	ctx := context.Background()
	s := synth.ExampleScenario()
	ev := t.TempDir()
	root := filepath.Join(ev, "sdcard", "Android", "media", "com.whatsapp", "WhatsApp")
	var kept, deleted string
	n := 0
	for ci := range s.Chats {
		for mi := range s.Chats[ci].Messages {
			m := &s.Chats[ci].Messages[mi]
			if m.Media == nil || m.Media.Path == "" || m.Type != "image" {
				continue
			}
			data, err := synth.ItemJPEG(7, n, 160, 120)
			if err != nil {
				t.Fatal(err)
			}
			n++
			_, sha := hexSum(data)
			m.Media.SHA256, m.Media.Size = sha, int64(len(data))
			switch {
			case kept == "":
				kept = sha
				p := filepath.Join(root, filepath.FromSlash(m.Media.Path))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			case deleted == "":
				deleted = sha // its file is gone from the phone
			}
		}
	}
	if kept == "" || deleted == "" {
		t.Fatal("the example scenario has fewer than two downloaded images")
	}
	db := filepath.Join(ev, "data", "data", "com.whatsapp", "databases")
	os.MkdirAll(db, 0o755)
	if err := synth.WriteMsgstore(ctx, filepath.Join(db, "msgstore.db"), s, synth.AndroidModern); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteWADB(ctx, filepath.Join(db, "wa.db"), s); err != nil {
		t.Fatal(err)
	}
	prefs := filepath.Join(ev, "data", "data", "com.whatsapp", "shared_prefs", "com.whatsapp_preferences_light.xml")
	os.MkdirAll(filepath.Dir(prefs), 0o755)
	if err := synth.WriteAndroidPrefs(prefs, s); err != nil {
		t.Fatal(err)
	}
	lists := t.TempDir()
	os.WriteFile(filepath.Join(lists, "alert.sha256"), []byte(kept+"  kept.jpg\n"+deleted+"  deleted.jpg\n"), 0o644)

	e := newEnv(t)
	e.run(0, "init", e.cas)
	e.run(0, "hashset", "import", filepath.Join(lists, "alert.sha256"), "--name", "synthetic-alert")
	out := e.run(0, "ingest", "--device", "PHONE-7", "--country", "ES", ev)
	if !strings.Contains(out, "artifacts") {
		t.Fatalf("ingest: %s", out)
	}

	var chats []struct {
		JID     string   `json:"jid"`
		Kind    string   `json:"kind"`
		Members int      `json:"members"`
		Devices []string `json:"devices"`
	}
	if err := json.Unmarshal([]byte(e.run(0, "chats", "--format", "json")), &chats); err != nil {
		t.Fatal(err)
	}
	if len(chats) != len(s.Chats) {
		t.Fatalf("%d chats listed, the scenario has %d", len(chats), len(s.Chats))
	}
	var msgs []struct {
		Chat        string `json:"chat"`
		MediaSHA256 string `json:"media_sha256"`
		MediaPath   string `json:"media_path"`
	}
	if err := json.Unmarshal([]byte(e.run(0, "messages", "--with-media", "--format", "json")), &msgs); err != nil {
		t.Fatal(err)
	}
	var sawKept, sawDeleted bool
	for _, m := range msgs {
		sawKept = sawKept || m.MediaSHA256 == kept
		sawDeleted = sawDeleted || m.MediaSHA256 == deleted
	}
	if !sawKept || !sawDeleted {
		t.Fatalf("media messages: kept %v deleted %v (%d listed)", sawKept, sawDeleted, len(msgs))
	}
	var hits []hitRow
	if err := json.Unmarshal([]byte(e.run(0, "hits", "--format", "json")), &hits); err != nil {
		t.Fatal(err)
	}
	got := map[string]hitRow{}
	for _, h := range hits {
		got[h.SHA256] = h
	}
	if h, ok := got[kept]; !ok || len(h.Paths) != 1 || !strings.HasSuffix(h.Paths[0], filepath.Base(kept)) && !strings.Contains(h.Paths[0], "WhatsApp Images") {
		t.Errorf("hit on the media file still on the phone: %+v", got[kept])
	}
	if h, ok := got[deleted]; !ok || len(h.Paths) != 0 || len(h.Devices) != 1 || h.Devices[0] != "PHONE-7" {
		t.Errorf("hit on the media known only from the database: %+v (ok %v)", h, ok)
	}
	if out := e.run(0, "audit", "verify"); !strings.Contains(out, "intact") {
		t.Fatal(out)
	}
}

// TestExportDateOrderOverride: an export whose dates fit both day-first and
// month-first is read as the analyst says.
func TestExportDateOrderOverride(t *testing.T) {
	for _, c := range []struct{ order, want string }{{"dmy", "2021-04-03T10:15:00Z"}, {"mdy", "2021-03-04T10:15:00Z"}} {
		ev := t.TempDir()
		os.WriteFile(filepath.Join(ev, "WhatsApp Chat with Ana.txt"),
			[]byte("03/04/21, 10:15 - Ana: hola\n03/04/21, 10:16 - Bea: qué tal\n05/06/21, 09:00 - Ana: adiós\n"), 0o644)
		e := newEnv(t)
		e.run(0, "init", e.cas)
		e.run(0, "ingest", "--device", "P", "--export-date-order", c.order, ev)
		var msgs []struct {
			Time string `json:"time"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(e.run(0, "messages", "--format", "json")), &msgs); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range msgs {
			if m.Text == "hola" {
				found = true
				if m.Time != c.want {
					t.Errorf("--export-date-order %s: %q at %s, want %s", c.order, m.Text, m.Time, c.want)
				}
			}
		}
		if !found {
			t.Fatalf("--export-date-order %s: message not parsed: %+v", c.order, msgs)
		}
	}
}
