package android

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/store"
)

// testdataDir finds the public WhatsApp samples: $VIGIL_WHATSAPP_TESTDATA,
// else shared/testdata/whatsapp beside the repository.
func testdataDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("VIGIL_WHATSAPP_TESTDATA"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		for _, c := range []string{filepath.Join(d, "shared", "testdata", "whatsapp"), filepath.Join(d, "..", "shared", "testdata", "whatsapp")} {
			if fi, err := os.Stat(c); err == nil && fi.IsDir() {
				return c
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	t.Skip("public WhatsApp samples not found: set VIGIL_WHATSAPP_TESTDATA to shared/testdata/whatsapp")
	return ""
}

// fts matches the full-text virtual tables of real schemas. The pure-Go
// SQLite has FTS5 only; extraction never reads these tables (and reading
// the other tables of a real file that has them works), so the loader
// makes them plain tables with the same columns.
var fts = regexp.MustCompile(`(?i)CREATE VIRTUAL TABLE (\w+) USING FTS[34]\(([^)]*)\)`)

// loadSQL builds a SQLite database from SQL scripts.
func loadSQL(t *testing.T, dst string, scripts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", dst)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY`); err != nil {
		t.Fatal(err)
	}
	for _, s := range scripts {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		script := fts.ReplaceAllStringFunc(string(b), func(m string) string {
			p := fts.FindStringSubmatch(m)
			cols := strings.TrimSpace(p[2])
			if cols == "" {
				cols = "content"
			}
			return "CREATE TABLE " + p[1] + " (" + cols + ")"
		})
		if _, err := db.Exec("BEGIN;\n" + script + "\nCOMMIT;"); err != nil {
			t.Fatalf("loading %s: %v", s, err)
		}
	}
}

var (
	base64SHA = regexp.MustCompile(`^'[A-Za-z0-9+/]{43}='$`)
)

// sqlTuple splits the values of an INSERT (quoted strings, X” blobs,
// numbers, NULL) at the commas outside quotes.
func sqlTuple(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' && quoted && i+1 < len(s) && s[i+1] == '\'':
			cur.WriteString("''")
			i++
		case c == '\'':
			quoted = !quoted
			cur.WriteByte(c)
		case c == ',' && !quoted:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

// sampleRows returns the rows the SQL text inserts into messages, as
// column → literal.
func sampleRows(text string) []map[string]string {
	const prefix = "INSERT INTO messages ("
	var rows []map[string]string
	for {
		i := strings.Index(text, prefix)
		if i < 0 {
			return rows
		}
		text = text[i+len(prefix):]
		end := strings.IndexByte(text, ')')
		cols := strings.Split(text[:end], ",")
		text = text[end+1:]
		v := strings.Index(text, "(")
		text = text[v+1:]
		// The tuple ends at the first ')' outside quotes.
		quoted, k := false, 0
		for ; k < len(text); k++ {
			if text[k] == '\'' {
				quoted = !quoted // '' inside a string toggles twice
			} else if text[k] == ')' && !quoted {
				break
			}
		}
		vals := sqlTuple(text[:k])
		text = text[k:]
		row := map[string]string{}
		for i, c := range cols {
			if i < len(vals) {
				row[strings.TrimSpace(c)] = vals[i]
			}
		}
		rows = append(rows, row)
	}
}

// TestWhatsAppViewerSample reads the real 2021 transitional schema with
// the whatsapp-viewer author's rows (every media_wa_type, base64 hashes,
// invalid UTF-8, a long text) and checks it against what the SQL text
// itself says: the rows of the messages table but its sentinel, each
// chat's type code (the chats are named after the code they hold), the
// well-formed hashes.
func TestWhatsAppViewerSample(t *testing.T) {
	dir := filepath.Join(testdataDir(t), "whatsapp-viewer")
	schema, rowsSQL := filepath.Join(dir, "msgstore.db.schema.sql"), filepath.Join(dir, "test-database.sql")
	if _, err := os.Stat(rowsSQL); err != nil {
		t.Skipf("whatsapp-viewer sample absent: %v", err)
	}
	text, err := os.ReadFile(rowsSQL)
	if err != nil {
		t.Fatal(err)
	}
	wantMsgs := 0
	wantHashes := map[string]bool{}
	for _, row := range sampleRows(string(text)) {
		if strings.Trim(row["key_remote_jid"], "'") == "-1" {
			continue // the sentinel
		}
		wantMsgs++
		if h := row["media_hash"]; base64SHA.MatchString(h) {
			wantHashes[h] = true
		}
	}
	if wantMsgs < 40 || len(wantHashes) < 5 {
		t.Fatalf("sample changed? %d messages, %d hashes in the SQL", wantMsgs, len(wantHashes))
	}

	db := filepath.Join(t.TempDir(), "msgstore.db")
	loadSQL(t, db, schema, rowsSQL)
	c := newCase(t, "VIEWER")
	a, warnings, err := c.run(&Msgstore{}, db, "sdcard/WhatsApp/Databases/msgstore.db")
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if a.Generation != GenTransitional || a.Status != "complete" {
		t.Errorf("artifact %+v", a)
	}
	if a.Counts["messages"] != int64(wantMsgs) {
		t.Errorf("%d messages stored, the SQL has %d", a.Counts["messages"], wantMsgs)
	}
	var msgs []store.MessageView
	c.s.Messages(context.Background(), store.MessageQuery{}, func(v store.MessageView) error { msgs = append(msgs, v); return nil })
	if len(msgs) != wantMsgs {
		t.Fatalf("%d messages, want %d", len(msgs), wantMsgs)
	}
	gotHashes := map[string]bool{}
	paths := 0
	for _, m := range msgs {
		// "2-Audio@s.whatsapp.net" holds media_wa_type 2, and so on.
		if i := strings.IndexByte(m.Chat, '-'); i > 0 {
			if n, err := strconv.Atoi(m.Chat[:i]); err == nil && (m.TypeRaw == nil || *m.TypeRaw != n) {
				t.Errorf("%s (%s): type %v, want %d", m.RowRef, m.Chat, m.TypeRaw, n)
			}
		}
		if m.MediaSHA256 != nil {
			gotHashes[*m.MediaSHA256] = true
		}
		if m.MediaPath != "" {
			paths++
			if !strings.HasPrefix(m.MediaPath, "Media/") && !strings.HasPrefix(m.MediaPath, "/") {
				t.Errorf("%s: media path %q", m.RowRef, m.MediaPath)
			}
		}
		if m.Chat == "0-Text-InvalidUTF8@s.whatsapp.net" && !strings.ContainsRune(m.Text, '\uFFFD') {
			t.Errorf("invalid UTF-8 not replaced: %q", m.Text)
		}
		if m.Sender == nil || (!m.FromMe && *m.Sender != m.Chat) {
			t.Errorf("%s: sender %v in direct chat %s", m.RowRef, m.Sender, m.Chat)
		}
	}
	if len(gotHashes) != len(wantHashes) {
		t.Errorf("%d distinct media hashes, the SQL has %d well-formed ones", len(gotHashes), len(wantHashes))
	}
	if paths == 0 {
		t.Error("no media path decoded from the serialized MediaData blobs")
	}
	joined := strings.Join(warnings, "\n")
	for _, w := range []string{"invalid UTF-8", "media hash that is not a base64 SHA-256"} {
		if !strings.Contains(joined, w) {
			t.Errorf("no warning about %q in %q", w, joined)
		}
	}
	// The old-style group JID names its creator and creation second.
	var chats []store.ChatView
	c.s.Chats(context.Background(), store.ChatQuery{Kind: "group"}, func(v store.ChatView) error { chats = append(chats, v); return nil })
	if len(chats) != 1 || chats[0].Creator == nil || *chats[0].Creator != "4917612345000@s.whatsapp.net" || chats[0].Created == nil ||
		chats[0].Created.Unix() != 1234567890 {
		t.Errorf("group %+v", chats)
	}
}
