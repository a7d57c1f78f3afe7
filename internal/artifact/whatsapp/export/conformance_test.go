package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/store"
)

// testdata returns the public WhatsApp samples' directory
// (../shared/testdata/whatsapp beside the repository, or
// $VIGIL_WHATSAPP_TESTDATA), skipping the test when it is absent.
func testdata(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_WHATSAPP_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "..", "shared", "testdata", "whatsapp")
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Skipf("public WhatsApp samples not found at %s (set VIGIL_WHATSAPP_TESTDATA): %v", dir, err)
	}
	return dir
}

// chat-miner's five exports must give exactly the parse its target.json
// states: the messages with an author, newest first, continuation lines
// joined by a space; the malformed "John Doe:." line and the system lines
// are not messages.
func TestConformanceChatMiner(t *testing.T) {
	dir := filepath.Join(testdata(t), "chat-miner")
	raw, err := os.ReadFile(filepath.Join(dir, "target.json"))
	if err != nil {
		t.Fatal(err)
	}
	var target []struct {
		Timestamp string `json:"timestamp"`
		Author    string `json:"author"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(raw, &target); err != nil {
		t.Fatal(err)
	}
	if len(target) == 0 {
		t.Fatal("empty target.json")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "test_*.txt"))
	if len(files) != 5 {
		t.Fatalf("found %d chat-miner exports, want 5", len(files))
	}
	wantOrder := map[string]Order{
		"test_[mmddyy]_24hrs.txt": "mdy", "test_ddmmyy_24hrs.txt": "dmy", "test_mmddyy_24hrs.txt": "mdy",
		"test_mmddyyyy_12hrs.txt": "mdy", "test_yyyymmdd_24hrs.txt": "ymd",
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, es, rep, err := ParseBytes(context.Background(), b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if want := wantOrder[filepath.Base(name)]; f.Order != want {
				t.Errorf("date order %s (%s), want %s", f.Order, f.OrderBasis, want)
			}
			if rep.BadDates != 0 {
				t.Errorf("%d bad dates", rep.BadDates)
			}
			var got []string
			for _, e := range es {
				if e.System != nil {
					continue
				}
				got = append(got, e.Time.Format("2006-01-02T15:04:05")+"|"+e.Author+"|"+strings.ReplaceAll(e.Text, "\n", " "))
			}
			var want []string
			for _, m := range target {
				want = append(want, m.Timestamp+"|"+m.Author+"|"+m.Message)
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("messages:\n%s\nwant (target.json):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// Every line is accounted for: each header is an entry, the
			// other lines continue one.
			if lines := bytes.Count(b, []byte("\n")) + 1; f.Lines != lines {
				t.Errorf("%d lines read, file has %d", f.Lines, lines)
			}
		})
	}
}

// The whatsapp-chat-parser-website example is an iOS-style export zip:
// _chat.txt (CRLF), four attachments (photo, video, audio, and a document
// that is itself the older example zip), a poll, and four system lines.
func TestConformanceParserWebsiteZip(t *testing.T) {
	name := filepath.Join(testdata(t), "whatsapp-chat-parser-website", "whatsapp-chat-parser-example.zip")
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	members := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		members[f.Name] = b
	}
	chat := members["_chat.txt"]
	if chat == nil {
		t.Fatal("no _chat.txt in the example zip")
	}
	var x Extractor
	if !x.Claims("WhatsApp Chat - Example.zip/_chat.txt", chat[:min(len(chat), 4096)]) {
		t.Error("_chat.txt not claimed")
	}
	if x.Claims("WhatsApp Chat - Example.zip/__MACOSX/.__chat.txt", members["__MACOSX/.__chat.txt"]) {
		t.Error("the macOS resource fork is claimed")
	}

	f, es, _, err := ParseBytes(context.Background(), chat, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Independent counts from the raw text: lines that start with "[" are
	// headers; the first four (lines 1-4: encryption notice, created,
	// added Emily, added John) are system lines.
	headers := 0
	for _, l := range strings.Split(string(chat), "\n") {
		if strings.HasPrefix(l, "[") {
			headers++
		}
	}
	if f.Grammar != GrammarIOS || f.Order != "dmy" || f.Headers != headers || len(es) != headers {
		t.Fatalf("grammar %s order %s, %d headers, %d entries; want ios dmy %d", f.Grammar, f.Order, f.Headers, len(es), headers)
	}
	wantSystem := []string{store.ActionEncryption, store.ActionCreated, store.ActionAdded, store.ActionAdded}
	for i, a := range wantSystem {
		if es[i].System == nil || es[i].System.Action != a {
			t.Errorf("entry %d = %+v, want system %s", i, es[i], a)
		}
	}
	if s := es[1].System; s.Actor.Name != "Loris" || s.New != "WhatsApp Chat Parser Example" {
		t.Errorf("created = %+v", s)
	}
	if s := es[3].System; s.Actor.Name != "Loris" || len(s.Targets) != 1 || s.Targets[0].Name != "John" {
		t.Errorf("added = %+v", s)
	}
	var attached []string
	types := map[string]int{}
	polls := 0
	for _, e := range es[len(wantSystem):] {
		if e.System != nil {
			t.Errorf("line %d: unexpected system line %+v", e.Line, e.System)
		}
		if e.Attachment != "" {
			attached = append(attached, e.Attachment)
			types[e.Type]++
		}
		if e.Type == store.TypePoll {
			polls++
			if !strings.Contains(e.Text, "OPTION: Saturday 17 evening (3 votes)") {
				t.Errorf("poll text = %q", e.Text)
			}
		}
	}
	if want := strings.Count(string(chat), "<attached: "); len(attached) != want || want != 4 {
		t.Errorf("attachments %v, want %d", attached, want)
	}
	for _, a := range attached {
		if members[a] == nil {
			t.Errorf("attachment %s is not in the zip", a)
		}
	}
	if types[store.TypeImage] != 1 || types[store.TypeVideo] != 1 || types[store.TypeAudio] != 1 || types[store.TypeDocument] != 1 || polls != 1 {
		t.Errorf("attachment types %v, polls %d; want one image, video, audio, document and poll", types, polls)
	}
	wantFirst := time.Date(2019, 6, 20, 15, 58, 47, 0, time.UTC)
	if !es[0].Time.Equal(wantFirst) {
		t.Errorf("first time %v, want %v", es[0].Time, wantFirst)
	}

	// The nested older example (the document attachment): U+200E before
	// the encryption notice, "Loris added you".
	inner, err := zip.NewReader(bytes.NewReader(members["00000004-whatsapp-chat-parser-example.zip"]), int64(len(members["00000004-whatsapp-chat-parser-example.zip"])))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range inner.File {
		if zf.Name != "_chat.txt" {
			continue
		}
		rc, _ := zf.Open()
		old, _ := io.ReadAll(rc)
		rc.Close()
		f, es, _, err := ParseBytes(context.Background(), old, Options{})
		if err != nil {
			t.Fatal(err)
		}
		headers := strings.Count("\n"+string(old), "\n[")
		if f.Headers != headers || len(es) != headers {
			t.Errorf("nested: %d headers, %d entries; want %d", f.Headers, len(es), headers)
		}
		if es[0].System == nil || es[0].System.Action != store.ActionEncryption || strings.HasPrefix(es[0].Text, "\u200e") {
			t.Errorf("nested encryption notice = %+v", es[0])
		}
		if s := es[2].System; s == nil || s.Action != store.ActionAdded || len(s.Targets) != 1 || !s.Targets[0].You {
			t.Errorf("nested 'Loris added you' = %+v", es[2])
		}
		return
	}
	t.Error("no _chat.txt in the nested example")
}
