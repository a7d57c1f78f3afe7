package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/pdq"
)

// pattern draws a benign procedural image: rings and a gradient.
func pattern(w, h int, seed float64, mirror bool) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			xx := x
			if mirror {
				xx = w - 1 - x
			}
			fx, fy := float64(xx)/float64(w), float64(y)/float64(h)
			v := math.Sin(seed*fx*7+fy*3)*0.5 + math.Cos((fx-0.3)*(fy+seed)*13)*0.5
			img.Set(x, y, color.RGBA{uint8(127 + 120*v), uint8(255 * fx), uint8(255 * fy * seed / 4), 255})
		}
	}
	return img
}

func writePNG(t *testing.T, path string, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func hexSum(b []byte) (string, string) {
	m := md5.Sum(b)
	s := sha256.Sum256(b)
	return hex.EncodeToString(m[:]), hex.EncodeToString(s[:])
}

type hitRow struct {
	SHA256   string   `json:"sha256"`
	Kind     string   `json:"kind"`
	Distance int      `json:"distance"`
	Variant  string   `json:"variant"`
	Set      string   `json:"set"`
	Status   string   `json:"status"`
	Category *int     `json:"category"`
	CatName  string   `json:"category_name"`
	Devices  []string `json:"devices"`
	Paths    []string `json:"paths"`
}

func TestHashSetsAndMatching(t *testing.T) {
	ev, lists := t.TempDir(), t.TempDir()
	a := writePNG(t, filepath.Join(ev, "a.png"), pattern(200, 150, 1.3, false))
	b := writePNG(t, filepath.Join(ev, "b.png"), pattern(640, 480, 2.1, false))
	writePNG(t, filepath.Join(ev, "b-mirror.png"), pattern(640, 480, 2.1, true))
	sys := []byte(strings.Repeat("system library v1.0 ", 500))
	os.WriteFile(filepath.Join(ev, "sys.dll"), sys, 0o644)
	os.WriteFile(filepath.Join(ev, "notes.txt"), []byte("nothing to see"), 0o644)

	aMD5, aSHA := hexSum(a)
	_, bSHA := hexSum(b)
	_, sysSHA := hexSum(sys)
	rb, err := pdq.HashBytes(context.Background(), b, pdq.Limits{})
	if err != nil {
		t.Fatal(err)
	}

	// A made-up VICS 2.0 alert set, written as real exports are: a BOM,
	// upper-case hex, numbers and booleans as strings, a null category.
	vics := "\ufeff" + `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
	  "value":[{"MediaID":"1","Category":"1","MD5":"` + strings.ToUpper(aMD5) + `","Series":"SYNTH-A","IsPrecategorized":"true","MediaSize":"` +
		fmt.Sprint(len(a)) + `"},
	  {"MediaID":2,"Category":null,"MD5":"` + strings.Repeat("0", 31) + `A","MediaSize":10,"VictimIdentified":"False"}]}`
	os.WriteFile(filepath.Join(lists, "alert.json"), []byte(vics), 0o644)
	os.WriteFile(filepath.Join(lists, "pdq.txt"), []byte(fmt.Sprintf("%s,%d,item-7\n", rb.Hash, rb.Quality)), 0o644)
	os.WriteFile(filepath.Join(lists, "known.sha256"), []byte(sysSHA+"  sys.dll\n"), 0o644)

	e := newEnv(t)
	e.run(0, "init", e.cas)
	e.run(0, "hashset", "import", filepath.Join(lists, "alert.json"), "--name", "synthetic-vics")
	e.run(0, "hashset", "import", filepath.Join(lists, "pdq.txt"), "--name", "synthetic-pdq")
	e.run(0, "hashset", "import", filepath.Join(lists, "known.sha256"), "--name", "known-files", "--status", "known")
	if out := e.run(0, "hashset", "import", filepath.Join(lists, "pdq.txt"), "--name", "again"); !strings.Contains(out, "nothing added") {
		t.Fatalf("re-import: %s", out)
	}
	out := e.run(0, "ingest", "--device", "LAPTOP", ev)
	if !strings.Contains(out, "match:") {
		t.Fatalf("no automatic match after ingest: %s", out)
	}
	var hits []hitRow
	if err := json.Unmarshal([]byte(e.run(0, "hits", "--format", "json")), &hits); err != nil {
		t.Fatal(err)
	}
	got := map[string]hitRow{}
	for _, h := range hits {
		got[h.Set+"/"+h.Kind+"/"+h.SHA256] = h
	}
	h, ok := got["synthetic-vics/md5/"+aSHA]
	if !ok || h.Status != "alert" || deref(h.Category) != 1 || h.Distance != 0 || len(h.Paths) != 1 || h.Paths[0] != "LAPTOP:a.png" ||
		h.CatName == "" || h.Devices[0] != "LAPTOP" {
		t.Errorf("md5 hit on a.png: %+v", h)
	}
	if h := got["synthetic-pdq/pdq/"+bSHA]; h.Distance != 0 || h.Variant != "orig" {
		t.Errorf("pdq hit on b.png: %+v", h)
	}
	var mirror *hitRow
	for _, h := range hits {
		if h.Set == "synthetic-pdq" && len(h.Paths) == 1 && h.Paths[0] == "LAPTOP:b-mirror.png" {
			mirror = &h
		}
	}
	if mirror == nil || mirror.Distance > 31 || mirror.Distance == 0 || mirror.Variant != "flipy" {
		t.Errorf("the mirrored copy must match through its flipy variant: %+v", mirror)
	}
	if h := got["known-files/sha256/"+sysSHA]; h.Status != "known" {
		t.Errorf("known hit on sys.dll: %+v", h)
	}
	if len(hits) != 4 {
		t.Errorf("%d hits, want 4: %+v", len(hits), hits)
	}

	var devs []struct {
		Alerts int64 `json:"alerts"`
		Known  int64 `json:"known"`
	}
	json.Unmarshal([]byte(e.run(0, "devices", "--format", "json")), &devs)
	if len(devs) != 1 || devs[0].Alerts != 3 || devs[0].Known != 1 {
		t.Errorf("device counts: %+v, want 3 alert contents and 1 known", devs)
	}
	var queue []fileRow
	json.Unmarshal([]byte(e.run(0, "files", "--match", "none", "--format", "json")), &queue)
	if len(queue) != 1 || queue[0].Path != "notes.txt" {
		t.Errorf("review queue (neither alert nor known): %+v", queue)
	}

	// Export and re-import: the same entries and categories.
	exp := filepath.Join(lists, "export.json")
	e.run(0, "hashset", "export", "synthetic-vics", "--format", "vics", "--version", "2.0", "--out", exp)
	e.run(0, "hashset", "import", exp, "--name", "round-trip")
	var a1, a2 struct {
		Set struct {
			Entries int64  `json:"entries"`
			Profile string `json:"profile"`
			Version string `json:"version"`
		} `json:"set"`
		Entries []struct {
			MD5      string `json:"md5"`
			Category *int   `json:"category"`
			Series   string `json:"series"`
			Size     int64  `json:"size"`
		} `json:"entries"`
	}
	json.Unmarshal([]byte(e.run(0, "hashset", "show", "synthetic-vics", "--format", "json", "--entries", "10")), &a1)
	json.Unmarshal([]byte(e.run(0, "hashset", "show", "round-trip", "--format", "json", "--entries", "10")), &a2)
	if a1.Set.Entries != 2 || a2.Set.Entries != 2 || a2.Set.Version != "2.0" || a2.Set.Profile != "US" {
		t.Fatalf("round trip sets: %+v / %+v", a1.Set, a2.Set)
	}
	for i := range a1.Entries {
		x, y := a1.Entries[i], a2.Entries[i]
		if x.MD5 != y.MD5 || deref(x.Category) != deref(y.Category) || (x.Category == nil) != (y.Category == nil) || x.Series != y.Series || x.Size != y.Size {
			t.Errorf("entry %d: %+v became %+v", i, x, y)
		}
	}

	// A malformed list is refused, naming the file and line, and nothing is kept.
	bad := filepath.Join(lists, "bad.md5")
	os.WriteFile(bad, []byte(aMD5+"  a.png\nnot-a-hash  b.png\n"), 0o644)
	c := e.cmd("hashset", "import", bad, "--format", "md5sum")
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Run(); err == nil || !strings.Contains(errb.String(), "bad.md5") || !strings.Contains(errb.String(), "line 2") {
		t.Fatalf("malformed import: %v %s", err, errb.String())
	}
	if out := e.run(0, "hashset", "list", "--format", "csv"); strings.Contains(out, "bad") {
		t.Fatalf("partial import kept: %s", out)
	}

	// Removing a set removes its hits; the audit chain holds it all.
	e.run(0, "hashset", "remove", "synthetic-pdq")
	json.Unmarshal([]byte(e.run(0, "hits", "--format", "json", "--set", "synthetic-pdq")), &hits)
	if len(hits) != 0 {
		t.Errorf("hits of a removed set: %+v", hits)
	}
	if out := e.run(0, "audit", "verify"); !strings.Contains(out, "intact") {
		t.Fatal(out)
	}
	out = e.run(0, "audit", "show", "--action", "hashset.")
	for _, want := range []string{"hashset.import", "hashset.remove"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %s:\n%s", want, out)
		}
	}
}

// TestReviewQueueAndDecisions: the queue holds media no set identifies;
// a decision takes a content out of it, is kept with its history and is
// audited.
func TestReviewQueueAndDecisions(t *testing.T) {
	ev := t.TempDir()
	a := writePNG(t, filepath.Join(ev, "a.png"), pattern(120, 90, 1.1, false))
	writePNG(t, filepath.Join(ev, "b.png"), pattern(120, 90, 3.7, false))
	os.WriteFile(filepath.Join(ev, "readme.txt"), []byte("text"), 0o644)
	_, aSHA := hexSum(a)
	e := newEnv(t)
	e.run(0, "init", e.cas)
	e.run(0, "ingest", "--device", "D", ev)
	var q []fileRow
	json.Unmarshal([]byte(e.run(0, "review", "queue", "--format", "json")), &q)
	if len(q) != 2 {
		t.Fatalf("queue: %+v, want the two images", q)
	}
	e.run(2, "review", "decide", aSHA, "--category", "1")                  // no reason
	e.run(2, "review", "decide", aSHA, "--category", "9", "--reason", "x") // not a US code
	e.run(0, "review", "decide", aSHA, "--category", "1", "--reason", "matches series notes")
	e.run(0, "review", "decide", aSHA, "--category", "2", "--reason", "second look")
	json.Unmarshal([]byte(e.run(0, "review", "queue", "--format", "json")), &q)
	if len(q) != 1 || q[0].SHA256 == aSHA {
		t.Fatalf("queue after a decision: %+v", q)
	}
	var hist []struct {
		Category *int   `json:"category"`
		Actor    string `json:"actor"`
		Reason   string `json:"reason"`
	}
	json.Unmarshal([]byte(e.run(0, "review", "history", aSHA, "--format", "json")), &hist)
	if len(hist) != 2 || deref(hist[1].Category) != 2 || hist[0].Actor != "tester" || hist[0].Reason != "matches series notes" {
		t.Fatalf("history: %+v", hist)
	}
	if out := e.run(0, "audit", "show", "--action", "review.decide", "--format", "csv"); strings.Count(out, "review.decide") != 2 {
		t.Fatalf("decisions not audited:\n%s", out)
	}
}

// TestBogusPhotoDNABlanked: the constant PhotoDNA value some exporters write
// on every record is blanked on all entries of the set, including those
// read before it was recognised.
func TestBogusPhotoDNABlanked(t *testing.T) {
	bogus := strings.Repeat("QUJD", 48) // 192 base64 characters
	var recs []string
	for i := 0; i < 12; i++ {
		recs = append(recs, fmt.Sprintf(`{"MediaID":%d,"MD5":"%032x","Category":1,"PhotoDNA":"%s"}`, i+1, i+1, bogus))
	}
	real := strings.Repeat("WFla", 48)
	recs = append(recs, fmt.Sprintf(`{"MediaID":99,"MD5":"%032x","Category":1,"PhotoDNA":"%s"}`, 99, real))
	doc := `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media","value":[` +
		strings.Join(recs, ",") + `]}`
	lists := t.TempDir()
	os.WriteFile(filepath.Join(lists, "pa.json"), []byte(doc), 0o644)
	e := newEnv(t)
	e.run(0, "init", e.cas)
	e.run(0, "hashset", "import", filepath.Join(lists, "pa.json"), "--name", "pa")
	var show struct {
		Entries []struct {
			MD5      string `json:"md5"`
			PhotoDNA string `json:"photodna"`
		} `json:"entries"`
	}
	json.Unmarshal([]byte(e.run(0, "hashset", "show", "pa", "--format", "json", "--entries", "20")), &show)
	if len(show.Entries) != 13 {
		t.Fatalf("%d entries", len(show.Entries))
	}
	for _, x := range show.Entries {
		if x.PhotoDNA == bogus {
			t.Errorf("entry %s keeps the bogus PhotoDNA", x.MD5)
		}
		if strings.HasSuffix(x.MD5, "63") && x.PhotoDNA != real {
			t.Errorf("entry %s lost its own PhotoDNA: %q", x.MD5, x.PhotoDNA)
		}
	}
}

// TestIncrementalMatching: with sets in place, each ingest matches only
// what it added; hits of earlier devices stay; --all gives the same hits.
func TestIncrementalMatching(t *testing.T) {
	ev1, ev2, lists := t.TempDir(), t.TempDir(), t.TempDir()
	a := writePNG(t, filepath.Join(ev1, "a.png"), pattern(100, 80, 1.7, false))
	b := writePNG(t, filepath.Join(ev2, "b.png"), pattern(100, 80, 2.9, false))
	os.WriteFile(filepath.Join(ev2, "a-copy.png"), a, 0o644)
	_, aSHA := hexSum(a)
	_, bSHA := hexSum(b)
	os.WriteFile(filepath.Join(lists, "l.sha256"), []byte(aSHA+"  a\n"+bSHA+"  b\n"), 0o644)
	e := newEnv(t)
	e.run(0, "init", e.cas)
	e.run(0, "hashset", "import", filepath.Join(lists, "l.sha256"), "--name", "l")
	e.run(0, "ingest", "--device", "D1", ev1)
	out := e.run(0, "ingest", "--device", "D2", ev2)
	if !strings.Contains(out, "match: 1 new contents") {
		t.Errorf("second ingest should match only its one new content: %s", out)
	}
	before := e.lines("hits")
	if len(before) != 3 { // header + a (on D1 and D2) + b
		t.Fatalf("hits after two ingests:\n%s", strings.Join(before, "\n"))
	}
	if !strings.Contains(strings.Join(before, "\n"), "D1 D2") {
		t.Errorf("a.png must be listed on both devices:\n%s", strings.Join(before, "\n"))
	}
	if out := e.run(0, "match"); !strings.Contains(out, "match: 0 new contents") && out != "" {
		t.Errorf("a match with nothing new: %q", out)
	}
	e.run(0, "match", "--all")
	sameLines(t, "hits after --all", e.lines("hits"), before)
}
