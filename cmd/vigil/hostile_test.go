package main

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"vigil/internal/synth"
)

func zipOf(t *testing.T, entries map[string][]byte, order []string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, name := range order {
		f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		f.Write(entries[name])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngBomb is a valid PNG header claiming 100,000 × 100,000 pixels.
func pngBomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// hostileEvidence builds a tree of hostile inputs a suspect could plant.
func hostileEvidence(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	put := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zeros := make([]byte, 64<<20)
	bomb := zipOf(t, map[string][]byte{"zeros.bin": zeros}, []string{"zeros.bin"})
	put("bombs/bomb.zip", bomb)
	nested := map[string][]byte{}
	var names []string
	for i := 0; i < 8; i++ {
		n := "layer" + string(rune('a'+i)) + ".zip"
		nested[n], names = bomb, append(names, n)
	}
	put("bombs/nested.zip", zipOf(t, nested, names))
	deep := zipOf(t, map[string][]byte{"core.txt": []byte("bottom")}, []string{"core.txt"})
	for i := 0; i < 12; i++ {
		deep = zipOf(t, map[string][]byte{"inner.zip": deep}, []string{"inner.zip"})
	}
	put("bombs/deep.zip", deep)
	put("archives/traversal.zip", zipOf(t, map[string][]byte{
		"../../escape.txt": []byte("out"), "/abs/escape.txt": []byte("out"), `..\win\escape.txt`: []byte("out"), "ok.txt": []byte("fine"),
	}, []string{"../../escape.txt", "/abs/escape.txt", `..\win\escape.txt`, "ok.txt"}))
	good := zipOf(t, map[string][]byte{"a.txt": bytes.Repeat([]byte("abc"), 1000)}, []string{"a.txt"})
	put("archives/truncated.zip", good[:len(good)/2])
	put("archives/broken.zip", synth.BreakZip(good))
	jpg, err := synth.ItemJPEG(3, 1, 320, 240)
	if err != nil {
		t.Fatal(err)
	}
	put("images/truncated.jpg", jpg[:len(jpg)/3]) // cut in the scan: decoded best effort, as libjpeg does
	put("images/cut-in-headers.jpg", jpg[:120])
	put("images/bomb.png", pngBomb())
	put("images/garbage.jpg", append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0xff, 0x00, 0x13}, 5000)...))
	os.MkdirAll(filepath.Join(dir, "loops"), 0o755)
	os.Symlink("b", filepath.Join(dir, "loops", "a"))
	os.Symlink("a", filepath.Join(dir, "loops", "b"))
	os.Symlink(".", filepath.Join(dir, "loops", "self"))
	os.Symlink("/etc/passwd", filepath.Join(dir, "loops", "outside"))

	// SQLite: truncated, garbage with the right magic, and a database whose
	// triggers would write (into its own tables) if anything wrote to it.
	s := synth.ExampleScenario()
	dbdir := filepath.Join(dir, "phone", "databases")
	os.MkdirAll(dbdir, 0o755)
	ms := filepath.Join(dbdir, "msgstore.db")
	if err := synth.WriteMsgstore(ctx, ms, s, synth.AndroidModern); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", ms)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS tripwire (n INTEGER)`,
		`CREATE TRIGGER trip_ins AFTER INSERT ON message BEGIN INSERT INTO tripwire VALUES (1); END`,
		`CREATE TRIGGER trip_upd AFTER UPDATE ON message BEGIN INSERT INTO tripwire VALUES (2); END`,
		`CREATE TRIGGER trip_del AFTER DELETE ON message BEGIN INSERT INTO tripwire VALUES (3); END`,
		`CREATE VIEW trip_view AS SELECT * FROM message`,
		`PRAGMA journal_mode=DELETE`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	whole, _ := os.ReadFile(ms)
	put("phone2/databases/msgstore.db", whole[:len(whole)*2/3])
	put("phone3/databases/msgstore.db", append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xA5}, 8192)...))
	put("phone4/databases/ChatStorage.sqlite", append([]byte("SQLite format 3\x00"), make([]byte, 100)...))

	// Exports: invalid UTF-8, a 10 MB line, an unknown locale.
	put("exports/WhatsApp Chat with Ana.txt", []byte("12/03/2021, 10:15 - Ana: hola \xff\xfe roto\n12/03/2021, 10:16 - Bea: "+
		strings.Repeat("x", 10<<20)+"\n12/03/2021, 10:17 - Ana: fin\n"))
	put("exports/_chat.txt", []byte("[2021年3月12日 10:15:00] アナ: こんにちは\n[2021年3月12日 10:16:00] ベア: 元気\n"))
	put("text/enormous-line.txt", bytes.Repeat([]byte("y"), 48<<20))
	put("text/invalid-utf8.txt", []byte("\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc"))
}

// TestHostileInput runs every command over evidence and lists built to
// hurt: each gets a clear error or a best-effort result, never a crash,
// a hang, or a write outside the case; the evidence is left as it was.
func TestHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile corpus is large (tens of MB)")
	}
	top := t.TempDir()
	ev := filepath.Join(top, "evidence")
	hostileEvidence(t, ev)
	lists := filepath.Join(top, "lists")
	os.MkdirAll(lists, 0o755)
	badLists := map[string]string{
		"truncated.json":  `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media","value":[{"MD5":"00`,
		"notvics.json":    `{"value": [1, 2, "three"]}`,
		"badquotes.csv":   "md5,category\n\"0123456789abcdef0123456789abcdef,1\n",
		"icse.csv":        "MD5;SHA1;ZZ40;PhotoDNA;Lace;Image ID;Is distributed;Victim identified;Offender identified;Series name;Investigation name;Agency;Number of submissions;File Available;Media Type;Baseline\nzz;;;;;;Y;N;N;;;;1;True;Image;Yes\n",
		"utf8.md5":        "0123456789abcdef0123456789abcdef  \xff\xfe.jpg\nnot-hex  x\n",
		"long.sha256":     strings.Repeat("a", 5<<20) + "\n",
		"pdq.txt":         "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,notanumber\n",
		"empty.txt":       "",
		"nsrl-broken.db":  "SQLite format 3\x00" + strings.Repeat("\x00", 200),
		"binary-junk.bin": "\x00\x01\x02\x03\xff\xfe\xfd",
	}
	for n, c := range badLists {
		os.WriteFile(filepath.Join(lists, n), []byte(c), 0o644)
	}
	before := snapshot(t, ev)
	e := newEnv(t)
	e.run(0, "init", e.cas)

	run := func(args ...string) (int, string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, vigilBin, args...)
		c.Env = e.cmd().Env
		c.Dir = top
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		if ctx.Err() != nil {
			t.Fatalf("vigil %s hung (killed after 3 minutes)", strings.Join(args, " "))
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if strings.Contains(errb.String(), "panic:") || strings.Contains(errb.String(), "goroutine ") {
			t.Fatalf("vigil %s crashed:\n%s", strings.Join(args, " "), errb.String())
		}
		return code, out.String(), errb.String()
	}

	code, out, errs := run("ingest", "--device", "HOSTILE", ev)
	if code != 0 {
		t.Fatalf("ingest of hostile evidence failed (exit %d): it must record the errors and go on\n%s\n%s", code, out, errs)
	}
	var files []struct {
		Path  string  `json:"path"`
		Error *string `json:"error"`
	}
	_, fj, _ := run("files", "--format", "json")
	if err := jsonUnmarshal(fj, &files); err != nil {
		t.Fatal(err)
	}
	errOf := map[string]string{}
	for _, f := range files {
		if f.Error != nil {
			errOf[f.Path] = *f.Error
		} else {
			errOf[f.Path] = ""
		}
	}
	for _, want := range []struct{ path, contains string }{
		{"bombs/bomb.zip/zeros.bin", "budget"},
		{"bombs/nested.zip/layerh.zip/zeros.bin", "budget"},
		{"bombs/deep.zip/inner.zip/inner.zip/inner.zip/inner.zip/inner.zip/inner.zip", "depth"},
		{"archives/truncated.zip", "not opened"},
		{"images/bomb.png", "pdq"},
		{"images/cut-in-headers.jpg", "pdq"},
		{"loops/a", "symbolic link"},
		{"loops/self", "symbolic link"},
		{"loops/outside", "symbolic link"},
	} {
		got, ok := errOf[want.path]
		if !ok || !strings.Contains(got, want.contains) {
			t.Errorf("%s: error %q, want one mentioning %q", want.path, got, want.contains)
		}
	}
	if _, ok := errOf["archives/traversal.zip/ok.txt"]; !ok {
		t.Errorf("the harmless member of traversal.zip was not read")
	}
	for p := range errOf {
		if strings.Contains(p, "..") {
			t.Errorf("a path escapes its archive: %q", p)
		}
	}
	// Nothing was written outside the case: no escape.txt anywhere near.
	for _, d := range []string{top, filepath.Dir(top), "/tmp", filepath.Join(e.cas, "..")} {
		if _, err := os.Stat(filepath.Join(d, "escape.txt")); err == nil {
			t.Errorf("a traversal wrote %s", filepath.Join(d, "escape.txt"))
		}
	}
	after := snapshot(t, ev)
	for p, v := range before {
		if after[p] != v {
			t.Errorf("evidence changed: %s", p)
		}
	}

	for n := range badLists {
		code, _, errs := run("hashset", "import", filepath.Join(lists, n))
		if code == 0 {
			continue // best effort is allowed where the input is tolerable (an empty list)
		}
		if !strings.Contains(errs, n) {
			t.Errorf("import %s: error does not name the file: %s", n, errs)
		}
	}
	for _, args := range [][]string{
		{"devices"}, {"devices", "sources"}, {"hits"}, {"chats"}, {"accounts"}, {"messages"}, {"events"}, {"links"},
		{"hashset", "list"}, {"match"}, {"audit", "verify"}, {"verify"},
	} {
		if code, _, errs := run(args...); code != 0 {
			t.Errorf("vigil %s after hostile input: exit %d: %s", strings.Join(args, " "), code, errs)
		}
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
