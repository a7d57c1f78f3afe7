package android

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// writeModern writes a scenario's modern msgstore.db and returns its path.
func writeMsgstore(t *testing.T, s *synth.Scenario, gen synth.AndroidGeneration) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "msgstore.db")
	if err := synth.WriteMsgstore(context.Background(), p, s, gen); err != nil {
		t.Fatal(err)
	}
	return p
}

// alter changes a database with SQL, as an examiner's test would (never
// evidence).
func alter(t *testing.T, p string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func messageKeys(c *caseStore) map[string]store.MessageView {
	out := map[string]store.MessageView{}
	c.s.Messages(c.ctx, store.MessageQuery{}, func(v store.MessageView) error { out[v.Chat+"/"+v.KeyID] = v; return nil })
	return out
}

func scenarioMessages(s *synth.Scenario) map[string]synth.Message {
	out := map[string]synth.Message{}
	for _, c := range s.Chats {
		for _, m := range c.Messages {
			out[c.JID+"/"+m.ID] = m
		}
	}
	return out
}

func TestTruncatedDatabase(t *testing.T) {
	s := synth.LargeScenario(5, 3000)
	for _, frac := range []float64{0.9, 0.5, 0.1, 0.001} {
		t.Run(fmt.Sprint(frac), func(t *testing.T) {
			p := writeMsgstore(t, s, synth.AndroidModern)
			fi, _ := os.Stat(p)
			if err := os.Truncate(p, int64(float64(fi.Size())*frac)); err != nil {
				t.Fatal(err)
			}
			c := newCase(t, "PHONE")
			a, warnings, err := c.run(&Msgstore{}, p, "msgstore.db")
			msgs := messageKeys(c)
			got := len(msgs)
			want := len(scenarioMessages(s))
			if frac >= 0.5 {
				// The schema is still there: what remains is read, and said
				// to be partial.
				if err != nil || got == 0 || !strings.Contains(strings.Join(warnings, "\n"), "truncated") {
					t.Errorf("%d messages, err %v, warnings %v", got, err, warnings)
				}
			}
			sm := scenarioMessages(s)
			for k, v := range msgs {
				m, ok := sm[k]
				sender := str(v.Sender)
				if sender == "owner:PHONE" && m.FromMe {
					sender = s.Owner.JID // the owner not named by what remains
				}
				if !ok || v.Text != m.Text || sender != m.Sender {
					t.Errorf("message %s read as %q from %s: not the scenario's", k, v.Text, str(v.Sender))
				}
			}
			switch {
			case err != nil:
				if !strings.Contains(err.Error(), "msgstore") {
					t.Errorf("error without context: %v", err)
				}
			case got < want && len(warnings) == 0:
				t.Errorf("%d of %d messages read without a warning", got, want)
			}
			t.Logf("truncated to %.0f%%: %d of %d messages, status %s, %d warnings, err %v", frac*100, got, want, a.Status, len(warnings), err)
		})
	}
}

// TestCorruptPage overwrites one leaf page of the message table: the rows
// on it are lost, with a warning, and every other row is still read.
func TestCorruptPage(t *testing.T) {
	s := synth.LargeScenario(3, 4000)
	p := writeMsgstore(t, s, synth.AndroidModern)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	// The page holding the text of message 2001 is a leaf of the message
	// table (texts are stored only there).
	i := bytes.Index(b, []byte("message 2001"))
	if i < 0 {
		t.Fatal("text not found in the file")
	}
	page := i / pageSize
	// The rows on that page: their key ids are in its cells (a key id
	// that is a prefix of another may be counted in wrongly, which only
	// makes the check below more lenient).
	lost := map[string]bool{}
	for k, m := range scenarioMessages(s) {
		if bytes.Contains(b[page*pageSize:(page+1)*pageSize], []byte(m.ID)) {
			lost[k] = true
		}
	}
	for j := page * pageSize; j < (page+1)*pageSize; j++ {
		b[j] = 0xA5
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCase(t, "PHONE")
	_, warnings, err := c.run(&Msgstore{}, p, "msgstore.db")
	if err != nil {
		t.Fatalf("a damaged page stopped the extraction: %v", err)
	}
	got := messageKeys(c)
	missing := 0
	for k := range scenarioMessages(s) {
		if _, ok := got[k]; !ok {
			missing++
			if !lost[k] {
				t.Errorf("message %s lost although not on the damaged page", k)
			}
		}
	}
	if missing == 0 {
		t.Error("nothing lost: the damaged page was not read?")
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "unreadable rows skipped") {
		t.Errorf("no warning about the skipped rows: %v", warnings)
	}
	t.Logf("%d messages lost with page %d, %d read; warnings %v", missing, page, len(got), warnings)
}

func TestUnexpectedColumns(t *testing.T) {
	s := synth.ExampleScenario()
	p := writeMsgstore(t, s, synth.AndroidModern)
	alter(t, p,
		`ALTER TABLE message ADD COLUMN quantum_flags INTEGER DEFAULT 7`,
		`ALTER TABLE message DROP COLUMN origination_flags`,
		`ALTER TABLE message_media DROP COLUMN media_caption`,
		`ALTER TABLE message_media DROP COLUMN file_length`,
		`DROP TABLE message_forwarded`,
		`ALTER TABLE chat DROP COLUMN participation_status`,
		`ALTER TABLE group_participant_user DROP COLUMN pending`,
		`CREATE TABLE message_future (message_row_id INTEGER PRIMARY KEY, hologram BLOB)`,
	)
	c := newCase(t, "PHONE")
	_, warnings, err := c.run(&Msgstore{}, p, "msgstore.db")
	if err != nil || len(warnings) > 0 {
		t.Fatalf("extraction: %v %v", err, warnings)
	}
	got := messageKeys(c)
	for k, m := range scenarioMessages(s) {
		v, ok := got[k]
		if !ok {
			t.Errorf("message %s missing", k)
			continue
		}
		if m.Media != nil && (v.MediaSHA256 == nil || *v.MediaSHA256 != m.Media.SHA256 || v.MediaSize != m.Media.Size) {
			t.Errorf("message %s media %v %d", k, v.MediaSHA256, v.MediaSize)
		}
		if v.Caption != "" || v.Forwarded {
			t.Errorf("message %s: caption %q forwarded %v from columns that are gone", k, v.Caption, v.Forwarded)
		}
	}
}

func TestInvalidUTF8AndHugeText(t *testing.T) {
	s := synth.ExampleScenario()
	p := writeMsgstore(t, s, synth.AndroidModern)
	huge := strings.Repeat("abcdefghij", 1<<20) + " https://chat.whatsapp.com/HugeTextInviteCode0123"
	alter(t, p,
		`UPDATE message SET text_data = CAST(X'486f6c61ff20e29c' AS TEXT) WHERE key_id = 'M01'`, // "Hola", a stray byte, a cut rune
		`UPDATE message SET text_data = X'c3a96d6f6a69' WHERE key_id = 'M09'`,                   // a BLOB where text is expected
	)
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE message SET text_data = ? WHERE key_id = 'D01'`, huge); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c := newCase(t, "PHONE")
	_, warnings, err := c.run(&Msgstore{}, p, "msgstore.db")
	if err != nil {
		t.Fatal(err)
	}
	got := messageKeys(c)
	if len(got) != len(scenarioMessages(s)) {
		t.Errorf("%d messages, want %d", len(got), len(scenarioMessages(s)))
	}
	if v := got["120363000000000001@g.us/M01"]; v.Text != "Hola\uFFFD \uFFFD" {
		t.Errorf("invalid UTF-8 decoded as %q", v.Text)
	}
	if v := got["120363000000000001@g.us/M09"]; v.Text != "émoji" {
		t.Errorf("BLOB text %q", v.Text)
	}
	if v := got["573000000001@s.whatsapp.net/D01"]; v.Text != huge {
		t.Errorf("10 MB text: %d bytes stored, want %d", len(v.Text), len(huge))
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "invalid UTF-8") {
		t.Errorf("no warning about invalid UTF-8: %v", warnings)
	}
	var found bool
	c.s.Links(c.ctx, store.LinkQuery{Code: "HugeTextInviteCode0123"}, func(store.LinkView) error { found = true; return nil })
	if !found {
		t.Error("the link at the end of the 10 MB text was not found")
	}
}

// TestReadOnly: the connection cannot write, whatever the database holds.
func TestReadOnly(t *testing.T) {
	p := writeMsgstore(t, synth.ExampleScenario(), synth.AndroidModern)
	alter(t, p,
		`CREATE TABLE log (x)`,
		`CREATE TRIGGER spy AFTER UPDATE ON message BEGIN INSERT INTO log VALUES (new._id); END`,
		`CREATE VIEW v AS SELECT * FROM message`,
		`CREATE TRIGGER spy2 INSTEAD OF DELETE ON v BEGIN DELETE FROM message; END`,
	)
	// A writable copy: the protection must come from the connection, not
	// from the file's permissions.
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, p)
	db, err := whatsapp.OpenDB(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE message SET text_data = 'x'`, `DELETE FROM v`, `INSERT INTO log VALUES (1)`,
		`CREATE TABLE evil (x)`, `PRAGMA journal_mode = DELETE`, `VACUUM`} {
		if _, err := db.Exec(q); err == nil && !strings.HasPrefix(q, "PRAGMA") {
			t.Errorf("%s: allowed on the evidence connection", q)
		}
	}
	var qo int
	if err := db.QueryRow(`PRAGMA query_only`).Scan(&qo); err != nil || qo != 1 {
		t.Errorf("query_only = %d, %v", qo, err)
	}
	if err := ReadMsgstore(context.Background(), db, 0, func(store.ArtifactBatch) error { return nil }, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if fileSum(t, p) != before {
		t.Error("the database file changed")
	}
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestWAL: rows still in the -wal (not checkpointed) are read, with or
// without the -shm beside the copy.
func TestWAL(t *testing.T) {
	s := synth.ExampleScenario()
	src := writeMsgstore(t, s, synth.AndroidModern)
	live, err := sql.Open("sqlite", src+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	live.SetMaxOpenConns(1)
	if _, err := live.Exec(`INSERT INTO message (chat_row_id, from_me, key_id, sender_jid_row_id, status, timestamp, message_type, text_data)
		SELECT chat_row_id, 0, 'WAL1', sender_jid_row_id, 0, timestamp + 1000, 0, 'only in the WAL' FROM message WHERE key_id = 'M01'`); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(src + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL: %v", err)
	}
	for _, withSHM := range []bool{true, false} {
		t.Run(fmt.Sprintf("shm=%v", withSHM), func(t *testing.T) {
			dir := t.TempDir()
			dst := filepath.Join(dir, "msgstore.db")
			sufs := []string{"", "-wal"}
			if withSHM {
				sufs = append(sufs, "-shm")
			}
			for _, suf := range sufs {
				b, err := os.ReadFile(src + suf)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(dst+suf, b, 0o400)
			}
			c := newCase(t, "PHONE")
			_, warnings, err := c.run(&Msgstore{}, dst, "msgstore.db")
			if err != nil {
				t.Fatal(err, warnings)
			}
			got := messageKeys(c)
			if v, ok := got["120363000000000001@g.us/WAL1"]; !ok || v.Text != "only in the WAL" {
				t.Errorf("the WAL's row was not read (%d messages)", len(got))
			}
			if len(got) != len(scenarioMessages(s))+1 {
				t.Errorf("%d messages, want %d", len(got), len(scenarioMessages(s))+1)
			}
		})
	}
}

// TestTransitionalBothTables: a transitional file whose new message table
// also holds rows (some the same messages as the legacy table) is read
// from both tables, each message once.
func TestTransitionalBothTables(t *testing.T) {
	s := synth.ExampleScenario()
	p := writeMsgstore(t, s, synth.AndroidTransitional)
	alter(t, p,
		// The text messages copied into the new table…
		`INSERT INTO message (chat_row_id, from_me, key_id, sender_jid_row_id, status, timestamp, message_type, text_data)
		 SELECT c._id, m.key_from_me, m.key_id, 0, m.status, m.timestamp, 0, m.data FROM messages m
		 JOIN jid j ON j.raw_string = m.key_remote_jid JOIN chat c ON c.jid_row_id = j._id
		 WHERE m.media_wa_type = '0' AND m.status <> 6 AND m.key_from_me = 1`,
		// …and one message only there.
		`INSERT INTO message (chat_row_id, from_me, key_id, sender_jid_row_id, status, timestamp, message_type, text_data)
		 SELECT chat_row_id, 1, 'ONLY-NEW', 0, 13, timestamp + 1, 0, 'new table only' FROM message WHERE key_id = 'M09'`,
	)
	c := newCase(t, "PHONE")
	a, warnings, err := c.run(&Msgstore{}, p, "msgstore.db")
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	if a.Generation != GenTransitional {
		t.Errorf("generation %s", a.Generation)
	}
	got := messageKeys(c)
	if len(got) != len(scenarioMessages(s))+1 {
		t.Errorf("%d messages, want %d (each once, plus the new-table-only one)", len(got), len(scenarioMessages(s))+1)
	}
	if _, ok := got["120363000000000001@g.us/ONLY-NEW"]; !ok {
		t.Error("the new table's own message was not read")
	}
}

func TestOwnerFallbacks(t *testing.T) {
	s := synth.ExampleScenario()
	// Modern without the preferences: message_details names the owner.
	c := newCase(t, "PHONE")
	if _, _, err := c.run(&Msgstore{}, writeMsgstore(t, s, synth.AndroidModern), "msgstore.db"); err != nil {
		t.Fatal(err)
	}
	var owners []string
	c.s.Accounts(c.ctx, store.AccountQuery{}, func(v store.AccountView) error {
		if len(v.OwnerOf) > 0 {
			owners = append(owners, v.JID)
		}
		return nil
	})
	if len(owners) != 1 || owners[0] != s.Owner.JID {
		t.Errorf("owner from message_details: %v", owners)
	}
	// Legacy: nothing in the database names the owner; a placeholder holds
	// the owner's messages until the preferences do.
	c = newCase(t, "PHONE")
	if _, _, err := c.run(&Msgstore{}, writeMsgstore(t, s, synth.AndroidLegacy), "msgstore.db"); err != nil {
		t.Fatal(err)
	}
	own := 0
	c.s.Messages(c.ctx, store.MessageQuery{Sender: "owner:PHONE"}, func(store.MessageView) error { own++; return nil })
	if own == 0 {
		t.Fatal("the owner's messages are not on the placeholder")
	}
	prefs := filepath.Join(t.TempDir(), "com.whatsapp_preferences_light.xml")
	if err := synth.WriteAndroidPrefs(prefs, s); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.run(&Prefs{}, prefs, "shared_prefs/com.whatsapp_preferences_light.xml"); err != nil {
		t.Fatal(err)
	}
	n := 0
	c.s.Messages(c.ctx, store.MessageQuery{Sender: s.Owner.JID}, func(store.MessageView) error { n++; return nil })
	if n != own {
		t.Errorf("%d messages of the owner after the preferences, want %d", n, own)
	}
}

func TestPrefs(t *testing.T) {
	for _, c := range []struct {
		name, xml, jid, pushName string
		err                      bool
	}{
		{"registration_jid", `<map><string name="registration_jid">573000000001</string><string name="push_name">Cami &amp; co</string></map>`, "573000000001@s.whatsapp.net", "Cami & co", false},
		{"full jid", `<?xml version='1.0'?><map><string name="registration_jid">573000000001@s.whatsapp.net</string></map>`, "573000000001@s.whatsapp.net", "", false},
		{"cc and ph", `<map><string name="cc">34</string><string name="ph">600000001</string><int name="x" value="3"/></map>`, "34600000001@s.whatsapp.net", "", false},
		{"old keys", `<map><string name="com.whatsapp.registration.RegisterPhone.country_code">49</string><string name="com.whatsapp.registration.RegisterPhone.phone_number">15100000001</string></map>`, "4915100000001@s.whatsapp.net", "", false},
		{"truncated", `<map><string name="registration_jid">351912000001</string><string name="push_na`, "351912000001@s.whatsapp.net", "", false},
		{"no number", `<map><string name="push_name">Ana</string></map>`, store.OwnerJID, "Ana", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			kv, err := ReadPrefs(strings.NewReader(c.xml))
			if err != nil {
				t.Fatal(err)
			}
			b, err := PrefsOwner(kv)
			if (err != nil) != c.err {
				t.Errorf("error %v", err)
			}
			if len(b.Accounts) != 1 || b.Accounts[0].JID != c.jid || (c.pushName != "" && (len(b.Accounts[0].Names) != 1 || b.Accounts[0].Names[0] != c.pushName)) {
				t.Errorf("accounts %+v", b.Accounts)
			}
			if !c.err && !b.Accounts[0].Owner {
				t.Error("not marked owner")
			}
		})
	}
	for _, bad := range []string{"", "not xml", "<html><body/></html>", "\x00\x01\x02"} {
		if _, err := ReadPrefs(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWADBOddRows(t *testing.T) {
	s := synth.ExampleScenario()
	dir := t.TempDir()
	p := filepath.Join(dir, "wa.db")
	if err := synth.WriteWADB(context.Background(), p, s); err != nil {
		t.Fatal(err)
	}
	alter(t, p,
		`INSERT INTO wa_contacts (jid, is_whatsapp_user, display_name) VALUES ('garbage', 0, 'X')`,
		`INSERT INTO wa_contacts (jid, is_whatsapp_user, display_name) VALUES ('34600000002.0:1@s.whatsapp.net', 1, 'Device form')`,
		`ALTER TABLE wa_contacts DROP COLUMN wa_name`,
	)
	c := newCase(t, "PHONE")
	_, warnings, err := c.run(&WADB{}, p, "databases/wa.db")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "not a JID") {
		t.Errorf("no warning about the garbage JID: %v", warnings)
	}
	accs := map[string][]string{}
	c.s.Accounts(c.ctx, store.AccountQuery{}, func(v store.AccountView) error { accs[v.JID] = v.Names; return nil })
	if n := accs["34600000002@s.whatsapp.net"]; len(n) != 1 || n[0] != "Device form" {
		t.Errorf("device-form contact: %v", n)
	}
	if n := accs["573000000001@s.whatsapp.net"]; len(n) != 1 || n[0] != "Camila Rojas" {
		t.Errorf("names without wa_name: %v", n)
	}
	var creator string
	c.s.Chats(c.ctx, store.ChatQuery{JID: "120363000000000001@g.us"}, func(v store.ChatView) error { creator = str(v.Creator); return nil })
	if creator != "573000000001@s.whatsapp.net" {
		t.Errorf("creator from wa_group_admin_settings: %s", creator)
	}
}

// TestStoreFailureStopsExtraction: when the store refuses a batch, the
// extraction stops with that error instead of reading on.
func TestStoreFailureStopsExtraction(t *testing.T) {
	c := newCase(t, "PHONE")
	p := writeMsgstore(t, synth.ExampleScenario(), synth.AndroidModern)
	a, _, err := c.s.BeginArtifact(c.ctx, store.Artifact{DeviceID: c.dev.ID, Path: "msgstore.db", Extractor: "x"})
	if err != nil {
		t.Fatal(err)
	}
	// A finished record refuses further batches.
	if err := c.s.FinishArtifact(c.ctx, a.ID, "complete", nil, nil); err != nil {
		t.Fatal(err)
	}
	in := &artifact.Input{Device: c.dev, Artifact: a, Path: "msgstore.db", Local: stage(t, p), Store: c.s, Warn: func(string, ...any) {}}
	err = (&Msgstore{BatchSize: 2}).Extract(c.ctx, in)
	if err == nil || !strings.Contains(err.Error(), "storing") {
		t.Fatalf("extraction into a refused record: %v", err)
	}
}

// TestLinksOutsideTexts: links in link previews, quoted texts and
// invitation cards are found too.
func TestLinksOutsideTexts(t *testing.T) {
	p := writeMsgstore(t, synth.ExampleScenario(), synth.AndroidModern)
	alter(t, p,
		`CREATE TABLE message_quoted (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER NOT NULL, parent_message_chat_row_id INTEGER NOT NULL,
			from_me INTEGER NOT NULL, sender_jid_row_id INTEGER, key_id TEXT NOT NULL, timestamp INTEGER, message_type INTEGER, text_data TEXT)`,
		`INSERT INTO message_quoted SELECT _id, chat_row_id, chat_row_id, 0, 0, 'Q', timestamp, 0, 'see chat.whatsapp.com/QuotedInviteCode0001xy' FROM message WHERE key_id = 'M09'`,
		`INSERT INTO message_text (message_row_id, url) SELECT _id, 'https://chat.whatsapp.com/invite/PreviewInviteCode0001xy' FROM message WHERE key_id = 'M01'`,
		`INSERT INTO message_group_invite (message_row_id, group_jid_row_id, admin_jid_row_id, group_name, invite_code, expiration)
		 SELECT m._id, (SELECT _id FROM jid WHERE raw_string = '50683123456-1682935200@g.us'), 0, 'Huerto', 'CardCode123', 0 FROM message m WHERE key_id = 'D01'`,
	)
	c := newCase(t, "PHONE")
	if _, warnings, err := c.run(&Msgstore{}, p, "msgstore.db"); err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	got := map[string]store.LinkView{}
	c.s.Links(c.ctx, store.LinkQuery{}, func(v store.LinkView) error { got[v.Code] = v; return nil })
	for code, kind := range map[string]string{"QuotedInviteCode0001xy": "group-invite", "PreviewInviteCode0001xy": "group-invite", "CardCode123": "invite-card"} {
		if v, ok := got[code]; !ok || v.Kind != kind {
			t.Errorf("%s: %+v", code, v)
		}
	}
	if v := got["CardCode123"]; v.Group != "50683123456-1682935200@g.us" || v.Chat != "573000000001@s.whatsapp.net" {
		t.Errorf("invite card %+v", v)
	}
}

func TestClaimsAndProbes(t *testing.T) {
	sqliteHead := []byte("SQLite format 3\x00rest")
	for _, c := range []struct {
		x    interface{ Claims(string, []byte) bool }
		path string
		head []byte
		want bool
	}{
		{&Msgstore{}, "data/data/com.whatsapp/databases/msgstore.db", sqliteHead, true},
		{&Msgstore{}, "sdcard/WhatsApp/Databases/msgstore-2023-05-01.1.db", sqliteHead, true},
		{&Msgstore{}, "sdcard/WhatsApp/Databases/msgstore.db.crypt14", []byte("\x00\x01garbage"), false},
		{&Msgstore{}, "data/data/com.whatsapp/databases/axolotl.db", sqliteHead, true}, // claimed; Probe says no
		{&Msgstore{}, "data/data/com.whatsapp/databases/wa.db", sqliteHead, false},
		{&Msgstore{}, "DCIM/photo.jpg", []byte("\xff\xd8\xff"), false},
		{&WADB{}, "data/data/com.whatsapp/databases/wa.db", sqliteHead, true},
		{&WADB{}, "data/data/com.whatsapp/databases/msgstore.db", sqliteHead, false},
		{&Prefs{}, "data/data/com.whatsapp/shared_prefs/com.whatsapp_preferences_light.xml", []byte("<?xml version='1.0'?>\n<map>"), true},
		{&Prefs{}, "data/data/com.whatsapp/shared_prefs/other.xml", []byte("<map>"), false},
	} {
		if got := c.x.Claims(c.path, c.head); got != c.want {
			t.Errorf("%T.Claims(%s) = %v", c.x, c.path, got)
		}
	}
	ctx := context.Background()
	dir := t.TempDir()
	wa := filepath.Join(dir, "axolotl.db")
	if err := synth.WriteWADB(ctx, wa, synth.ExampleScenario()); err != nil {
		t.Fatal(err)
	}
	if ok, err := (&Msgstore{}).Probe(ctx, wa); ok || err != nil {
		t.Errorf("msgstore probe of a wa.db: %v %v", ok, err)
	}
	if ok, err := (&WADB{}).Probe(ctx, wa); !ok || err != nil {
		t.Errorf("wa.db probe: %v %v", ok, err)
	}
	junk := filepath.Join(dir, "msgstore.db")
	os.WriteFile(junk, []byte("SQLite format 3\x00 but nothing else"), 0o600)
	if ok, _ := (&Msgstore{}).Probe(ctx, junk); !ok {
		t.Error("a damaged file named msgstore.db must be taken, so that its extraction fails loudly")
	}
}
