package evidence

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type member struct {
	name   string
	data   []byte
	mtime  time.Time
	link   string // symlink target
	dir    bool
	stored bool
}

var t0 = time.Date(2021, 3, 4, 5, 6, 8, 0, time.UTC)

func makeZip(t testing.TB, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: m.mtime}
		if m.stored {
			h.Method = zip.Store
		}
		switch {
		case m.dir:
			h.SetMode(fs.ModeDir | 0o755)
		case m.link != "":
			h.SetMode(fs.ModeSymlink | 0o777)
			m.data = []byte(m.link)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeTar(t testing.TB, format tar.Format, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Mode: 0o644, ModTime: m.mtime, Size: int64(len(m.data)), Typeflag: tar.TypeReg, Format: format}
		switch {
		case m.dir:
			h.Typeflag, h.Size, h.Mode = tar.TypeDir, 0, 0o755
		case m.link != "":
			h.Typeflag, h.Size, h.Linkname = tar.TypeSymlink, 0, m.link
		}
		if format == tar.FormatPAX {
			h.AccessTime = m.mtime.Add(time.Hour)
			h.ChangeTime = m.mtime.Add(2 * time.Hour)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(m.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o444); err != nil {
		t.Fatal(err)
	}
	return p
}

func openPath(t testing.TB, p string) Source {
	t.Helper()
	src, err := Open(p)
	if err != nil {
		t.Fatalf("Open(%s): %v", p, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func sampleMembers() []member {
	return []member{
		{name: "docs/", dir: true, mtime: t0},
		{name: "docs/a.txt", data: []byte("first file\n"), mtime: t0},
		{name: "docs/big.bin", data: pattern(1, 300_000), mtime: t0.Add(time.Minute)},
		{name: "empty", data: nil, mtime: t0},
		{name: "deep/er/still/c.dat", data: pattern(2, 5000), mtime: t0.Add(time.Hour), stored: true},
		{name: "link", link: "docs/a.txt", mtime: t0},
	}
}

func checkSample(t *testing.T, found map[string]*got, wantATime bool) {
	t.Helper()
	for _, m := range sampleMembers() {
		name := strings.TrimSuffix(m.name, "/")
		switch {
		case m.dir:
			if g := found[name]; g == nil || !g.info.IsDir() {
				t.Errorf("%s: not a directory", name)
			}
		case m.link != "":
			g := found[name]
			if g == nil || g.info.Mode()&fs.ModeSymlink == 0 {
				t.Fatalf("%s: not a symbolic link", name)
			}
			if got := MetaOf(g.info).LinkTarget; got != m.link {
				t.Errorf("%s: link target %q, want %q", name, got, m.link)
			}
		default:
			g := wantFile(t, found, name, m.data)
			if !g.info.ModTime().Equal(m.mtime) {
				t.Errorf("%s: mtime %v, want %v", name, g.info.ModTime(), m.mtime)
			}
			if wantATime {
				if at := MetaOf(g.info).ATime; !at.Equal(m.mtime.Add(time.Hour)) {
					t.Errorf("%s: atime %v, want %v", name, at, m.mtime.Add(time.Hour))
				}
			}
		}
	}
	// Implied directories exist.
	for _, d := range []string{"deep", "deep/er", "deep/er/still"} {
		if g := found[d]; g == nil || !g.info.IsDir() {
			t.Errorf("%s: implied directory missing", d)
		}
	}
}

func TestZipSource(t *testing.T) {
	// Named .txt: detection is by content.
	src := openPath(t, writeTemp(t, "evidence.txt", makeZip(t, sampleMembers())))
	if src.Kind() != "zip" {
		t.Fatalf("kind %q", src.Kind())
	}
	checkSample(t, walkAll(t, src, NewTracker(Budget{})), false)

	// A stored entry offers random access (no scratch copy for a nested
	// container); a deflated one does not pretend to.
	f, _ := src.Open("deep/er/still/c.dat")
	if _, ok := f.(io.ReaderAt); !ok {
		t.Error("stored zip entry is not an io.ReaderAt")
	}
	f.Close()
	f, _ = src.Open("docs/big.bin")
	if _, ok := f.(io.ReaderAt); ok {
		t.Error("deflated zip entry claims random access")
	}
	f.Close()
	// Symbolic links are reported, never followed.
	if _, err := src.Open("link"); !errors.Is(err, errNoFollow) {
		t.Errorf("Open(link): %v, want a refusal to follow", err)
	}
}

func TestTarSource(t *testing.T) {
	for _, format := range []tar.Format{tar.FormatUSTAR, tar.FormatGNU, tar.FormatPAX} {
		t.Run(format.String(), func(t *testing.T) {
			src := openPath(t, writeTemp(t, "evidence.zip", makeTar(t, format, sampleMembers())))
			if src.Kind() != "tar" {
				t.Fatalf("kind %q", src.Kind())
			}
			found := walkAll(t, src, NewTracker(Budget{}))
			checkSample(t, found, format == tar.FormatPAX)
			f, _ := src.Open("docs/big.bin")
			if _, ok := f.(io.ReaderAt); !ok {
				t.Error("tar member is not an io.ReaderAt")
			}
			f.Close()
		})
	}
}

func TestTarGzAndGzip(t *testing.T) {
	src := openPath(t, writeTemp(t, "x.bin", gz(t, makeTar(t, tar.FormatPAX, sampleMembers()))))
	if src.Kind() != "tar.gz" {
		t.Fatalf("kind %q", src.Kind())
	}
	checkSample(t, walkAll(t, src, NewTracker(Budget{})), true)

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Name = "report.csv"
	zw.ModTime = t0
	data := pattern(3, 70_000)
	zw.Write(data)
	zw.Close()
	src = openPath(t, writeTemp(t, "y", buf.Bytes()))
	if src.Kind() != "gzip" {
		t.Fatalf("kind %q", src.Kind())
	}
	g := wantFile(t, walkAll(t, src, NewTracker(Budget{})), "report.csv", data)
	if !g.info.ModTime().Equal(t0) {
		t.Errorf("mtime %v", g.info.ModTime())
	}
}

func TestUnsupportedFormat(t *testing.T) {
	_, err := Open(writeTemp(t, "photo.zip", []byte("\x89PNG\r\n\x1a\nnot an archive")))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "photo.zip") {
		t.Fatalf("err = %v", err)
	}
	_, err = Open(writeTemp(t, "x.e01", append([]byte("EVF\x09\x0d\x0a\xff\x00"), make([]byte, 600)...)))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "EnCase") {
		t.Fatalf("err = %v", err)
	}
}

// Traversal names never escape: they are exposed under a cleaned name,
// with the stored name kept, and duplicates are all kept.
func TestHostileNames(t *testing.T) {
	ms := []member{
		{name: "../evil.txt", data: []byte("1")},
		{name: "/abs/path.txt", data: []byte("2")},
		{name: "a/../../up.txt", data: []byte("3")},
		{name: "..\\..\\win.txt", data: []byte("4")},
		{name: "dup.txt", data: []byte("5")},
		{name: "dup.txt", data: []byte("6")},
		{name: "bad\xffname", data: []byte("7")},
		{name: "..", data: []byte("9")},
	}
	want := map[string]string{
		"evil.txt": "1", "abs/path.txt": "2", "a/up.txt": "3", "win.txt": "4",
		"dup.txt": "5", "dup.txt~2": "6", "bad%FFname": "7", "_": "9",
	}
	for _, kind := range []string{"zip", "tar"} {
		t.Run(kind, func(t *testing.T) {
			var b []byte
			if kind == "zip" {
				b = makeZip(t, ms)
			} else {
				b = makeTar(t, tar.FormatPAX, ms)
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "sub", "x")
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, b, 0o444)
			src := openPath(t, p)
			found := walkAll(t, src, NewTracker(Budget{}))
			for name, data := range want {
				g := wantFile(t, found, name, []byte(data))
				if name != "dup.txt" && name != "dup.txt~2" && MetaOf(g.info).StoredName == "" {
					t.Errorf("%s: stored name not kept", name)
				}
			}
			// Nothing was written anywhere near the archive.
			es, _ := os.ReadDir(dir)
			if len(es) != 1 {
				t.Errorf("the archive's directory now holds %d entries", len(es))
			}
		})
	}
}

// rawZip builds a zip whose central directory says what we want, not what
// the data is: entries may lie about their sizes and share data.
type rawEntry struct {
	name        string
	method      uint16
	crc         uint32
	packed      uint32
	size        uint32
	localOffset int // -1: write a local header and data for this entry
	data        []byte
}

func rawZip(entries []rawEntry) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	offsets := make([]uint32, len(entries))
	for i, e := range entries {
		if e.localOffset >= 0 {
			offsets[i] = uint32(e.localOffset)
			continue
		}
		offsets[i] = uint32(b.Len())
		h := make([]byte, 30)
		le.PutUint32(h[0:], 0x04034b50)
		le.PutUint16(h[4:], 20)
		le.PutUint16(h[8:], e.method)
		le.PutUint32(h[14:], e.crc)
		le.PutUint32(h[18:], e.packed)
		le.PutUint32(h[22:], e.size)
		le.PutUint16(h[26:], uint16(len(e.name)))
		b.Write(h)
		b.WriteString(e.name)
		b.Write(e.data)
	}
	cdStart := b.Len()
	for i, e := range entries {
		h := make([]byte, 46)
		le.PutUint32(h[0:], 0x02014b50)
		le.PutUint16(h[4:], 20)
		le.PutUint16(h[6:], 20)
		le.PutUint16(h[10:], e.method)
		le.PutUint32(h[16:], e.crc)
		le.PutUint32(h[20:], e.packed)
		le.PutUint32(h[24:], e.size)
		le.PutUint16(h[28:], uint16(len(e.name)))
		le.PutUint32(h[42:], offsets[i])
		b.Write(h)
		b.WriteString(e.name)
	}
	end := make([]byte, 22)
	le.PutUint32(end[0:], 0x06054b50)
	le.PutUint16(end[8:], uint16(len(entries)))
	le.PutUint16(end[10:], uint16(len(entries)))
	le.PutUint32(end[12:], uint32(b.Len()-cdStart))
	le.PutUint32(end[16:], uint32(cdStart))
	b.Write(end)
	return b.Bytes()
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestZipBombs(t *testing.T) {
	small := []byte("benign content")
	packed := deflate(small)
	ok := []byte("an ordinary file")
	b := rawZip([]rawEntry{
		// declares 3 GB from a few bytes: refused before reading
		{name: "ratio.bin", method: 8, crc: crc32.ChecksumIEEE(small), packed: uint32(len(packed)), size: 3 << 30, localOffset: -1, data: packed},
		// declares 5 bytes but holds more: never more than 5 are read
		{name: "liar.bin", method: 8, crc: crc32.ChecksumIEEE(small), packed: uint32(len(packed)), size: 5, localOffset: -1, data: packed},
		{name: "ok.txt", method: 0, crc: crc32.ChecksumIEEE(ok), packed: uint32(len(ok)), size: uint32(len(ok)), localOffset: -1, data: ok},
	})
	src := openPath(t, writeTemp(t, "bomb.zip", b))
	found := walkAll(t, src, NewTracker(Budget{}))
	wantErr(t, found, "ratio.bin", ErrBudget)
	if g := found["liar.bin"]; len(g.data) > 5 || g.err == nil {
		t.Errorf("liar.bin: read %d bytes, err %v; want at most 5 and an error", len(g.data), g.err)
	}
	wantFile(t, found, "ok.txt", ok)
}

// The overlapping-entries bomb: many central directory entries point at
// the same compressed data.
func TestZipOverlappingEntries(t *testing.T) {
	kernel := pattern(4, 200_000)
	packed := deflate(kernel)
	es := []rawEntry{{name: "f0", method: 8, crc: crc32.ChecksumIEEE(kernel), packed: uint32(len(packed)), size: uint32(len(kernel)), localOffset: -1, data: packed}}
	for i := 1; i < 50; i++ {
		e := es[0]
		e.name = "f" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		e.localOffset = 0
		es = append(es, e)
	}
	src := openPath(t, writeTemp(t, "overlap.zip", rawZip(es)))
	found := walkAll(t, src, NewTracker(Budget{}))
	read, refused := 0, 0
	for p, g := range found {
		if p == "." {
			continue
		}
		switch {
		case g.err == nil && bytes.Equal(g.data, kernel):
			read++
		case errors.Is(g.err, ErrBudget):
			refused++
		default:
			t.Errorf("%s: %v", p, g.err)
		}
	}
	if read != 1 || refused != 49 {
		t.Errorf("read %d, refused %d; want 1 and 49", read, refused)
	}
}

// A 42.zip-style nested bomb: each level holds several copies of the
// level below. The budget stops it; the rest of the evidence is read.
func TestNestedBomb(t *testing.T) {
	// 256 KiB leaves that compress about 25:1 (a ratio no check refuses)
	leafData := make([]byte, 256<<10)
	for i := 0; i < len(leafData); i += 1024 {
		copy(leafData[i:], pattern(i, 32))
	}
	leaf := []member{}
	for i := range 8 {
		leaf = append(leaf, member{name: "leaf" + string(rune('0'+i)), data: leafData})
	}
	level := makeZip(t, leaf)
	for range 2 {
		var ms []member
		for i := range 8 {
			ms = append(ms, member{name: "z" + string(rune('0'+i)) + ".zip", data: level})
		}
		level = makeZip(t, ms)
	}
	fine := []byte("evidence next to the bomb")
	top := makeZip(t, []member{{name: "bomb.zip", data: level, stored: true}, {name: "notes.txt", data: fine}})
	src := openPath(t, writeTemp(t, "case.zip", top))
	tr := NewTracker(Budget{MaxExpanded: 16 << 20})
	found := walkAll(t, src, tr)
	wantFile(t, found, "notes.txt", fine)
	refused := 0
	for _, g := range found {
		if errors.Is(g.err, ErrBudget) {
			refused++
		}
	}
	if refused == 0 {
		t.Fatal("nested bomb was not refused")
	}
	// 8^3 × 256 KiB would be 128 MiB: the walk stopped at the budget.
	var total int64
	for p, g := range found {
		if strings.Contains(p, "leaf") {
			total += int64(len(g.data))
		}
	}
	if total > 16<<20 {
		t.Errorf("read %d bytes of leaves, past the 16 MiB budget", total)
	}
}

// A zip that contains a copy of itself, again and again: the depth limit
// stops it.
func TestNestingDepth(t *testing.T) {
	inner := makeZip(t, []member{{name: "a.txt", data: []byte("bottom")}})
	for range 10 {
		inner = makeZip(t, []member{{name: "self.zip", data: inner}, {name: "a.txt", data: []byte("level")}})
	}
	src := openPath(t, writeTemp(t, "quine.zip", inner))
	found := walkAll(t, src, NewTracker(Budget{MaxDepth: 3}))
	wantFile(t, found, "self.zip/self.zip/self.zip/a.txt", []byte("level"))
	wantErr(t, found, "self.zip/self.zip/self.zip/self.zip", ErrBudget)
	if _, ok := found["self.zip/self.zip/self.zip/self.zip/a.txt"]; ok {
		t.Error("walked past the depth limit")
	}
}

func TestTruncated(t *testing.T) {
	ms := sampleMembers()
	z := makeZip(t, ms)
	if _, err := Open(writeTemp(t, "cut.zip", z[:len(z)/2])); err == nil || !strings.Contains(err.Error(), "cut.zip") {
		t.Errorf("truncated zip: %v", err)
	}
	tb := makeTar(t, tar.FormatPAX, ms)
	// cut in the middle of docs/big.bin
	cut := bytes.Index(tb, pattern(1, 300_000)[:64]) + 1000
	src := openPath(t, writeTemp(t, "cut.tar", tb[:cut]))
	found := walkAll(t, src, NewTracker(Budget{}))
	wantFile(t, found, "docs/a.txt", []byte("first file\n"))
	wantErr(t, found, "docs/big.bin", io.ErrUnexpectedEOF)
	wantErr(t, found, ".", nil) // the damage is reported on the root
	if _, err := Open(writeTemp(t, "cut.tgz", gz(t, tb)[:cut/4])); err == nil {
		t.Error("truncated tar.gz opened without error")
	}
}

// A tar header that declares more data than the archive holds must not
// make the reader wait or read forever.
func TestTarLyingSize(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "huge", Size: 1 << 40, Mode: 0o644, Typeflag: tar.TypeReg})
	tw.Write(make([]byte, 1024))
	src := openPath(t, writeTemp(t, "lie.tar", buf.Bytes()))
	found := walkAll(t, src, NewTracker(Budget{}))
	wantErr(t, found, "huge", nil)
}

// Symbolic link loops in a directory source: the walk ends and reports
// them as links.
func TestDirectorySymlinkLoops(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "real.txt"), []byte("real"), 0o644)
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	os.Symlink("b", filepath.Join(dir, "a"))
	os.Symlink("a", filepath.Join(dir, "b"))
	os.Symlink("self", filepath.Join(dir, "self"))
	os.Symlink("..", filepath.Join(dir, "d", "up"))
	os.Symlink(dir, filepath.Join(dir, "d", "root"))
	src := openPath(t, dir)
	found := walkAll(t, src, NewTracker(Budget{}))
	wantFile(t, found, "real.txt", []byte("real"))
	for _, l := range []string{"a", "b", "self", "d/up", "d/root"} {
		g := found[l]
		if g == nil || g.info.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s: not reported as a symbolic link", l)
		}
		if fi, err := src.Stat(l); err != nil || MetaOf(fi).LinkTarget == "" {
			t.Errorf("%s: link target not reported (%v)", l, err)
		}
		if f, err := src.Open(l); err == nil {
			f.Close()
			t.Errorf("%s: opened through the link", l)
		}
	}
	if len(found) != 8 { // . real.txt d a b self d/up d/root
		t.Errorf("walk found %d entries", len(found))
	}
}

// sparseTar builds a PAX (GNU 0.1) sparse member "sp": 10,000 bytes of
// which 5 at 0 and 5 at 9,995 are stored, followed by a member "after".
// archive/tar writes no sparse files; the GNU.sparse records are written
// under another name and renamed in the bytes.
func sparseTar(t testing.TB) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := tw.WriteHeader(&tar.Header{Name: "sp", Size: 10, Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"ZZZ.sparse.size": "10000", "ZZZ.sparse.map": "0,5,9995,5", "ZZZ.sparse.numblocks": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("AAAAABBBBB"))
	tw.WriteHeader(&tar.Header{Name: "after", Size: 3, Mode: 0o644, Typeflag: tar.TypeReg})
	tw.Write([]byte("xyz"))
	tw.Close()
	return bytes.ReplaceAll(buf.Bytes(), []byte("ZZZ.sparse"), []byte("GNU.sparse"))
}

func TestTarSparse(t *testing.T) {
	src := openPath(t, writeTemp(t, "sparse.tar", sparseTar(t)))
	found := walkAll(t, src, NewTracker(Budget{}))
	want := make([]byte, 10000)
	copy(want, "AAAAA")
	copy(want[9995:], "BBBBB")
	wantFile(t, found, "sp", want)
	wantFile(t, found, "after", []byte("xyz"))
}

func Test7z(t *testing.T) {
	needTools(t, "7z")
	dir := t.TempDir()
	tr := sampleTree()
	writeTree(t, filepath.Join(dir, "in"), tr)
	os.Symlink("small.txt", filepath.Join(dir, "in", "link"))
	p := filepath.Join(dir, "e.bin")
	cmd := exec.Command("7z", "a", "-bd", "-snl", "-mtm=on", "-mta=on", p, ".")
	cmd.Dir = filepath.Join(dir, "in")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("7z: %v\n%s", err, out)
	}
	src := openPath(t, p)
	if src.Kind() != "7z" {
		t.Fatalf("kind %q", src.Kind())
	}
	found := walkAll(t, src, NewTracker(Budget{}))
	checkTree(t, found, "", tr, t0)
	if g := found["link"]; g == nil || MetaOf(g.info).LinkTarget != "small.txt" {
		t.Errorf("link not reported: %+v", g)
	}
}

// A gzip bomb nested in evidence is refused before its scratch copy grows
// past the budget.
func TestNestedGzipBomb(t *testing.T) {
	bomb := gz(t, make([]byte, 50<<20)) // 50 MiB of zeros in about 50 KiB
	z := makeZip(t, []member{{name: "logs.gz", data: bomb, stored: true}, {name: "ok.txt", data: []byte("ok")}})
	src := openPath(t, writeTemp(t, "g.zip", z))
	found := walkAll(t, src, NewTracker(Budget{MaxExpanded: 8 << 20}))
	wantErr(t, found, "logs.gz", ErrBudget)
	wantFile(t, found, "ok.txt", []byte("ok"))
}
