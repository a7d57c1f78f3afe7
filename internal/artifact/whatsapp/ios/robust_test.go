package ios

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// makeDB creates a SQLite file from SQL statements separated by ";\n".
func makeDB(t *testing.T, name, stmts string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range strings.Split(stmts, ";\n") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return p
}

func TestClaims(t *testing.T) {
	x := &Extractor{}
	sqliteHead := []byte(artifact.SQLiteMagic + "\x10\x00")
	tests := []struct {
		path string
		head []byte
		want bool
	}{
		{"AppGroup/X/ChatStorage.sqlite", sqliteHead, true},
		{"AppGroup/X/ContactsV2.sqlite", sqliteHead, true},
		{"AppGroup/X/LID.sqlite", sqliteHead, true},
		{"backup/7c/7c7fba66680ef796b916b067077cc246adacf01d", sqliteHead, true},
		{"backup/72/724bd3b98b18518b455a87c1f3ac3a0d189c4466", sqliteHead, true},
		{"anything/renamed.db", append(sqliteHead, []byte("CREATE TABLE ZWAMESSAGE (Z_PK INTEGER)")...), true},
		{"AppGroup/X/ChatStorage.sqlite", []byte("not sqlite"), false},
		{"AppGroup/X/ChatStorage.sqlite-wal", []byte("\x37\x7f\x06\x82"), false},
		{"other/app.sqlite", sqliteHead, false},
		{"AppGroup/X/ChatStorage.sqlite", nil, true}, // by name alone
		{"other/app.sqlite", nil, false},
	}
	for _, tt := range tests {
		if got := x.Claims(tt.path, tt.head); got != tt.want {
			t.Errorf("Claims(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if x.Name() != "whatsapp/ios" {
		t.Errorf("Name %q", x.Name())
	}
}

func TestNotAWhatsAppDatabase(t *testing.T) {
	p := makeDB(t, "ChatStorage.sqlite", "CREATE TABLE notes (id INTEGER, body TEXT);\nINSERT INTO notes VALUES (1, 'x')")
	ok, err := (&Extractor{}).Probe(context.Background(), p)
	if err != nil || ok {
		t.Errorf("Probe = %v, %v; want false", ok, err)
	}
	_, _, err = extractFile(t, p)
	if !errors.Is(err, whatsapp.ErrNotWhatsApp) {
		t.Errorf("Extract = %v, want ErrNotWhatsApp", err)
	}
	text := filepath.Join(t.TempDir(), "ChatStorage.sqlite")
	os.WriteFile(text, []byte("this is not a database at all, just text that is long enough to fill a header"), 0o400)
	if _, _, err := extractFile(t, text); err == nil || !strings.Contains(err.Error(), "ChatStorage.sqlite") {
		t.Errorf("Extract of a text file = %v, want an error naming the file", err)
	}
}

// A ChatStorage with only a handful of columns (like the minimal one in
// mvt's tests) and values of unexpected types: the columns that exist
// are read, the rest are NULL; type codes kept raw; unknown codes named
// unknown(n) and reported; invalid UTF-8 replaced and counted.
func TestMinimalSchemaAndOddValues(t *testing.T) {
	p := makeDB(t, "ChatStorage.sqlite", `CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZCONTACTJID VARCHAR, ZPARTNERNAME VARCHAR, ZEXTRA BLOB);
CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZISFROMME INTEGER, ZMESSAGETYPE, ZGROUPEVENTTYPE INTEGER,
	ZMESSAGEDATE, ZTEXT, ZFROMJID VARCHAR, ZSOMETHINGNEW INTEGER);
INSERT INTO ZWACHATSESSION VALUES (1, '34600000009@s.whatsapp.net', 'Rosa', x'00ff');
INSERT INTO ZWACHATSESSION VALUES (2, '120363000000000009@g.us', 'Grupo', NULL);
INSERT INTO ZWACHATSESSION VALUES (3, 'not a jid', 'Odd', NULL);
INSERT INTO ZWAMESSAGE VALUES (1, 1, 0, 0, NULL, 700000000.5, 'hola', '34600000009@s.whatsapp.net', 7);
INSERT INTO ZWAMESSAGE VALUES (2, 1, 1, '0', NULL, '700000001.25', x'6f6cff61', NULL, 7);
INSERT INTO ZWAMESSAGE VALUES (3, 1, 0, 999, NULL, 700000002, 'future', '34600000009@s.whatsapp.net', 7);
INSERT INTO ZWAMESSAGE VALUES (4, 2, 0, 6, 777, 700000003, NULL, '120363000000000009@g.us', 7);
INSERT INTO ZWAMESSAGE VALUES (5, 1, 0, 0, NULL, -63114076800, 'no time', '34600000009@s.whatsapp.net', 7);
INSERT INTO ZWAMESSAGE VALUES (6, 42, 0, 0, NULL, 700000004, 'orphan', '34600000010@s.whatsapp.net', 7);
INSERT INTO ZWAMESSAGE VALUES (7, 3, 0, 0, NULL, 700000005, 'odd chat', NULL, 7)`)
	b, warnings, err := extractFile(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 6 || len(b.Events) != 1 {
		t.Fatalf("%d messages, %d events; want 6, 1", len(b.Messages), len(b.Events))
	}
	m := b.Messages
	if m[0].Text != "hola" || m[0].SenderJID != "34600000009@s.whatsapp.net" || m[0].ChatJID != "34600000009@s.whatsapp.net" ||
		!m[0].Time.Equal(time.Date(2023, 3, 8, 20, 26, 40, 500000000, time.UTC)) {
		t.Errorf("message 1 %+v", m[0])
	}
	if m[1].Text != "ol\ufffda" || m[1].Type != store.TypeText || *m[1].TypeRaw != 0 || !m[1].FromMe || m[1].SenderJID != store.OwnerJID ||
		!m[1].Time.Equal(time.Date(2023, 3, 8, 20, 26, 41, 250000000, time.UTC)) {
		t.Errorf("message 2 %+v", m[1])
	}
	if m[2].Type != "unknown(999)" || *m[2].TypeRaw != 999 {
		t.Errorf("message 3 %+v", m[2])
	}
	if !m[3].Time.IsZero() {
		t.Errorf("message with the year-1 sentinel time: %v, want unset", m[3].Time)
	}
	if m[4].ChatJID != "34600000010@s.whatsapp.net" {
		t.Errorf("orphan message chat %q, want its sender's", m[4].ChatJID)
	}
	if m[5].ChatJID != "ios-chat:3" {
		t.Errorf("message of a chat without a JID: %q", m[5].ChatJID)
	}
	if e := b.Events[0]; e.Action != "unknown(777)" || *e.ActionRaw != 777 || e.ChatJID != "120363000000000009@g.us" {
		t.Errorf("event %+v", e)
	}
	all := strings.Join(warnings, "\n")
	for _, w := range []string{"invalid UTF-8", "ZMESSAGETYPE 999", "ZGROUPEVENTTYPE 777", "chat row is missing", "without a time", "chats without a JID"} {
		if !strings.Contains(all, w) {
			t.Errorf("no warning about %q in:\n%s", w, all)
		}
	}
}

// The media item may be joined from its side (ZWAMEDIAITEM.ZMESSAGE) when
// the message has no ZMEDIAITEM column; LID pairs may sit in ChatStorage
// with bare numbers; owner unknown without group events.
func TestMediaJoinByMessageAndPairsInChatStorage(t *testing.T) {
	p := makeDB(t, "ChatStorage.sqlite", `CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZCONTACTJID VARCHAR, ZSESSIONTYPE INTEGER);
CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZISFROMME INTEGER, ZMESSAGETYPE INTEGER, ZMESSAGEDATE TIMESTAMP, ZFROMJID VARCHAR, ZSTANZAID VARCHAR);
CREATE TABLE ZWAMEDIAITEM (Z_PK INTEGER PRIMARY KEY, ZMESSAGE INTEGER, ZMEDIALOCALPATH VARCHAR, ZFILESIZE INTEGER, ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR, ZTITLE VARCHAR);
CREATE TABLE ZWAPHONENUMBERLIDPAIR (Z_PK INTEGER PRIMARY KEY, ZLID VARCHAR, ZPHONENUMBER VARCHAR);
INSERT INTO ZWACHATSESSION VALUES (1, '100000000000007@lid', 0);
INSERT INTO ZWAMESSAGE VALUES (1, 1, 0, 1, 700000000, '100000000000007@lid', 'K1');
INSERT INTO ZWAMESSAGE VALUES (2, 1, 1, 1, 700000001, NULL, 'K2');
INSERT INTO ZWAMEDIAITEM VALUES (1, 1, 'Media/x/a/b/pic.jpg', 1234, 'ifpVZXzctIhXd8QgF3VKSjdC/FiEBX/3vBJuhhxkGQk=', 'image/jpeg', 'caption');
INSERT INTO ZWAMEDIAITEM VALUES (2, 2, NULL, 0, 'not base64!', 'image/jpeg', NULL);
INSERT INTO ZWAPHONENUMBERLIDPAIR VALUES (1, '100000000000007', '+34600000007')`)
	b, warnings, err := extractFile(t, p)
	if err != nil {
		t.Fatal(err)
	}
	m := b.Messages[0]
	// The spec's oracle value (§6.5): this base64 is SHA-256 89fa5565….
	if m.MediaSHA256 != "89fa55657cdcb4885777c42017754a4a3742fc5884057ff7bc126e861c641909" || m.MediaSize != 1234 ||
		m.MediaMIME != "image/jpeg" || m.Caption != "caption" || m.MediaPath != appGroup+"/Message/Media/x/a/b/pic.jpg" {
		t.Errorf("media %+v", m)
	}
	if m2 := b.Messages[1]; m2.MediaSHA256 != "" || m2.MediaSize != -1 || m2.SenderJID != store.OwnerJID {
		t.Errorf("second message %+v", m2)
	}
	var mapped bool
	for _, a := range b.Accounts {
		if a.JID == "34600000007@s.whatsapp.net" && a.LID == "100000000000007@lid" {
			mapped = true
		}
		if a.Owner {
			t.Errorf("an owner was named without group events: %+v", a)
		}
	}
	if !mapped {
		t.Errorf("LID pair not read: %+v", b.Accounts)
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "not base64 SHA-256") {
		t.Errorf("no warning about the bad hash: %q", warnings)
	}
}

// Rows only in the WAL are read: the scratch copy is opened with its
// -wal and -shm, never with immutable=1.
func TestWALRowsAreRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ChatStorage.sqlite")
	db, err := sql.Open("sqlite", "file:"+p+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZCONTACTJID VARCHAR)`,
		`CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZMESSAGETYPE INTEGER, ZMESSAGEDATE TIMESTAMP, ZTEXT VARCHAR)`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
		`INSERT INTO ZWACHATSESSION VALUES (1, '34600000009@s.whatsapp.net')`,
		`INSERT INTO ZWAMESSAGE VALUES (1, 1, 0, 700000000, 'only in the WAL')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// Copy the three files while the writer still holds them, as an
	// acquisition of a running phone would.
	scratch := t.TempDir()
	for _, suf := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(p + suf)
		if err != nil {
			t.Fatal(err)
		}
		if suf == "-wal" && len(b) == 0 {
			t.Fatal("the WAL is empty: the test would prove nothing")
		}
		if err := os.WriteFile(filepath.Join(scratch, "ChatStorage.sqlite"+suf), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	// With the -shm, and without it (an acquisition may miss it), in a
	// read-only scratch file as the intake stages it.
	for _, shm := range []bool{true, false} {
		if !shm {
			os.Remove(filepath.Join(scratch, "ChatStorage.sqlite-shm"))
		}
		os.Chmod(filepath.Join(scratch, "ChatStorage.sqlite"), 0o400)
		b, _, err := extractFile(t, filepath.Join(scratch, "ChatStorage.sqlite"))
		if err != nil {
			t.Fatalf("shm %v: %v", shm, err)
		}
		if len(b.Messages) != 1 || b.Messages[0].Text != "only in the WAL" {
			t.Errorf("shm %v: messages %+v, want the row in the WAL", shm, b.Messages)
		}
	}
}

// A truncated or corrupted ChatStorage gives a clear error or what was
// readable with a warning, never a panic.
func TestTruncatedAndCorrupt(t *testing.T) {
	files, err := synth.WriteWhatsAppIOS(context.Background(), t.TempDir(), synth.ExampleScenario())
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(files.ChatStorage)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, cut := range []int{100, 4096, len(orig) / 2, len(orig) - 4096} {
		p := filepath.Join(dir, "ChatStorage.sqlite")
		os.WriteFile(p, orig[:cut], 0o600)
		_, _, err := extractFile(t, p)
		if err == nil {
			t.Logf("cut at %d: read with warnings", cut)
		} else if !strings.Contains(err.Error(), "ChatStorage.sqlite") {
			t.Errorf("cut at %d: error %v does not name the file", cut, err)
		}
	}
	// Garbage over each page in turn: an error naming the file, or rows
	// with warnings; never a panic.
	for page := 2; page*4096 <= len(orig); page++ {
		b, warnings, err := extractFile(t, garble(t, orig, page))
		if err != nil && !strings.Contains(err.Error(), "ChatStorage.sqlite") {
			t.Errorf("page %d: error %v does not name the file", page, err)
		}
		if err == nil && len(b.Messages) < 17 && len(warnings) == 0 {
			t.Errorf("page %d: %d messages read and no warning", page, len(b.Messages))
		}
	}
}

// pages lists the b-tree pages of a table or index (dbstat), with how many
// cells (rows, on leaf pages) each holds.
func pages(t *testing.T, file, name, pagetype string) map[int]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT pageno, ncell FROM dbstat WHERE name = ? AND pagetype = ?`, name, pagetype)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var p, n int
		rows.Scan(&p, &n)
		out[p] = n
	}
	return out
}

// garble overwrites one page of a database copy with noise.
func garble(t *testing.T, orig []byte, page int) string {
	t.Helper()
	b := append([]byte(nil), orig...)
	for i := (page - 1) * 4096; i < page*4096 && i < len(b); i++ {
		b[i] = byte(i*131 + page)
	}
	p := filepath.Join(t.TempDir(), "ChatStorage.sqlite")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A corrupt page loses only the rows it holds: the messages after it are
// still read, the rows whose joined media item is unreadable are read
// without it, and chats whose table is unreadable are rebuilt from their
// messages' JIDs (so their members are kept).
func TestCorruptPagesLoseOnlyTheirRows(t *testing.T) {
	s := synth.ExampleScenario()
	big := synth.Chat{JID: "120363000000000077@g.us", Kind: synth.Group, Subject: "Grande",
		Members: []synth.Member{{JID: s.Owner.JID, Role: synth.RoleCreator}, {JID: "573000000001@s.whatsapp.net", Role: synth.RoleMember}}}
	for i := 0; i < 600; i++ {
		big.Messages = append(big.Messages, synth.Message{ID: fmt.Sprintf("B%03d", i), Sender: "573000000001@s.whatsapp.net",
			Time: time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute), Type: "text", Text: strings.Repeat("relleno ", 8)})
	}
	s.Chats = append(s.Chats, big)
	files, err := synth.WriteWhatsAppIOS(context.Background(), t.TempDir(), s)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(files.ChatStorage)
	if err != nil {
		t.Fatal(err)
	}
	clean, _, err := extractFile(t, files.ChatStorage)
	if err != nil {
		t.Fatal(err)
	}
	total := len(clean.Messages) + len(clean.Events)

	// A leaf of ZWAMESSAGE in the middle of the table.
	leaves := pages(t, files.ChatStorage, "ZWAMESSAGE", "leaf")
	if len(leaves) < 4 {
		t.Fatalf("ZWAMESSAGE has %d leaf pages; the test needs several", len(leaves))
	}
	var nums []int
	for p := range leaves {
		nums = append(nums, p)
	}
	sort.Ints(nums)
	mid := nums[len(nums)/2]
	b, warnings, err := extractFile(t, garble(t, orig, mid))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(b.Messages)+len(b.Events), total-leaves[mid]; got != want {
		t.Errorf("corrupt leaf %d (%d rows): read %d rows, want %d", mid, leaves[mid], got, want)
	}
	if last := b.Messages[len(b.Messages)-1].KeyID; last != clean.Messages[len(clean.Messages)-1].KeyID {
		t.Errorf("the last message read is %s, want %s: rows after the corrupt page were lost", last, clean.Messages[len(clean.Messages)-1].KeyID)
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "ZWAMESSAGE: rows with Z_PK") {
		t.Errorf("no warning naming the lost rows: %q", warnings)
	}

	// The media items' page: every message still read, media lost.
	for p := range pages(t, files.ChatStorage, "ZWAMEDIAITEM", "leaf") {
		b, warnings, err := extractFile(t, garble(t, orig, p))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Messages) != len(clean.Messages) {
			t.Errorf("corrupt media page %d: %d messages, want %d", p, len(b.Messages), len(clean.Messages))
		}
		if !strings.Contains(strings.Join(warnings, "\n"), "without their joined rows") {
			t.Errorf("corrupt media page %d: warnings %q", p, warnings)
		}
	}

	// The chats' page: chats rebuilt from the messages, members kept.
	for p := range pages(t, files.ChatStorage, "ZWACHATSESSION", "leaf") {
		b, warnings, err := extractFile(t, garble(t, orig, p))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Chats) != len(clean.Chats) || len(b.Members) != len(clean.Members) || len(b.Messages) != len(clean.Messages) {
			t.Errorf("corrupt chat page %d: %d chats, %d members, %d messages; want %d, %d, %d", p,
				len(b.Chats), len(b.Members), len(b.Messages), len(clean.Chats), len(clean.Members), len(clean.Messages))
		}
		if !strings.Contains(strings.Join(warnings, "\n"), "rebuilt from their messages") {
			t.Errorf("corrupt chat page %d: warnings %q", p, warnings)
		}
	}
}
