package synth

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/evidence"
)

func testEntries() []Entry {
	t0 := time.Date(2023, 4, 1, 10, 20, 30, 0, time.UTC)
	var es []Entry
	for i := 0; i < 40; i++ {
		data := randomFile(1, uint64(i), 500+i*731, ".bin")
		es = append(es, Entry{Path: fmt.Sprintf("FOTOS/Carpeta %d/imagen con nombre largo %03d.bin", i%3, i), Data: data, MTime: t0.Add(time.Duration(i) * time.Hour)})
	}
	es = append(es, Entry{Path: "LEEME.TXT", Data: []byte("hola\n"), MTime: t0})
	es = append(es, Entry{Path: "FOTOS/borrada_0001.jpg", Data: randomFile(2, 9, 5000, ".bin"), MTime: t0, Deleted: true})
	return es
}

// TestFAT32Image writes a disk image and reads it back with the evidence
// reader the intake uses: every file with its bytes, and the deleted one
// recovered from its clusters, flagged deleted.
func TestFAT32Image(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "usb.img")
	es := testEntries()
	if err := WriteFAT32Image(img, "TESTUSB", time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), es); err != nil {
		t.Fatal(err)
	}
	src, err := evidence.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	type got struct {
		data    []byte
		deleted bool
		mtime   time.Time
	}
	found := map[string]got{}
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		m := evidence.MetaOf(info)
		// Files are under the partition's folder ("p1/…").
		_, rest, _ := strings.Cut(p, "/")
		found[strings.ToLower(rest)] = got{b, m != nil && m.Deleted, info.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Deleted {
			continue
		}
		g, ok := found[strings.ToLower(e.Path)]
		switch {
		case !ok:
			t.Errorf("%s: missing from the image (found %d files)", e.Path, len(found))
		case !bytes.Equal(g.data, e.Data):
			t.Errorf("%s: %d bytes read back, %d written, or different", e.Path, len(g.data), len(e.Data))
		case g.deleted:
			t.Errorf("%s: flagged deleted", e.Path)
		case !g.mtime.Equal(e.MTime):
			t.Errorf("%s: mtime %s, want %s", e.Path, g.mtime, e.MTime)
		}
	}
	// The deleted file: its name may have lost characters with its entry,
	// as on real media; find it by its bytes.
	del := es[len(es)-1]
	recovered := false
	for p, g := range found {
		if g.deleted {
			if !bytes.Equal(g.data, del.Data) {
				t.Errorf("deleted %s: recovered bytes differ", p)
			}
			recovered = true
		}
		if !g.deleted && bytes.Equal(g.data, del.Data) {
			t.Errorf("the deleted file is still listed as %s", p)
		}
	}
	if !recovered {
		t.Error("the deleted file was not recovered from the image")
	}

	// Deterministic: the same entries give the same image.
	img2 := filepath.Join(dir, "usb2.img")
	if err := WriteFAT32Image(img2, "TESTUSB", time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), es); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(img)
	b, _ := os.ReadFile(img2)
	if !bytes.Equal(a, b) {
		t.Error("the same entries gave two different images")
	}
}

func TestArchives(t *testing.T) {
	es := testEntries()[:10]
	z, err := ZipBytes(es)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name != es[i].Path || !bytes.Equal(b, es[i].Data) || !f.Modified.Equal(es[i].MTime) {
			t.Errorf("zip entry %d: %s, %d bytes, %s", i, f.Name, len(b), f.Modified)
		}
	}
	broken := BreakZip(z)
	if !bytes.HasPrefix(broken, []byte("PK\x03\x04")) {
		t.Error("a broken zip must still start like a zip")
	}
	if _, err := zip.NewReader(bytes.NewReader(broken), int64(len(broken))); err == nil {
		t.Error("the broken zip still opens")
	}

	p := filepath.Join(t.TempDir(), "a.tar.gz")
	if err := WriteTarGz(p, es); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zrd, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zrd)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			files[h.Name], _ = io.ReadAll(tr)
		}
	}
	for _, e := range es {
		if !bytes.Equal(files[e.Path], e.Data) {
			t.Errorf("tar: %s missing or different", e.Path)
		}
	}
}
