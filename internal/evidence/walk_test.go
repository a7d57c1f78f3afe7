package evidence

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"
)

// got is what a walk found at one path.
type got struct {
	info fs.FileInfo
	data []byte // regular files
	err  error  // reading it, listing it, or opening it as a container
}

// walkAll walks src as the intake does: every regular file is read once,
// and containers found inside are opened with OpenNested and walked under
// "outer/inner/path", within tracker t. It fails the test on a panic only
// (the caller checks what was found).
func walkAll(t testing.TB, src Source, tr *Tracker) map[string]*got {
	t.Helper()
	out := map[string]*got{}
	walkInto(t, src, tr, "", 0, out)
	return out
}

func walkInto(t testing.TB, src Source, tr *Tracker, prefix string, depth int, out map[string]*got) {
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		full := path.Join(prefix, p)
		g := out[full]
		if g == nil {
			g = &got{}
			out[full] = g
		}
		if err != nil {
			g.err = errors.Join(g.err, err)
			return nil
		}
		if !fs.ValidPath(p) {
			t.Errorf("walk gave invalid path %q", p)
		}
		info, err := d.Info()
		if err != nil {
			g.err = err
			return nil
		}
		g.info = info
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := src.Open(p)
		if err != nil {
			g.err = err
			return nil
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, 64<<20))
		g.data = data
		if err != nil {
			g.err = err
			return nil
		}
		head := data[:min(len(data), HeadSize)]
		if kind, ok := Container(p, head); ok {
			var ra io.ReaderAt = bytes.NewReader(data)
			if fra, ok := f.(io.ReaderAt); ok {
				ra = fra
			}
			nested, err := OpenNested(ra, int64(len(data)), kind, depth+1, tr)
			if err != nil {
				g.err = err
				return nil
			}
			defer nested.Close()
			walkInto(t, nested, tr, full, depth+1, out)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", prefix, err)
	}
}

// wantFile checks that the walk found path with exactly data.
func wantFile(t *testing.T, found map[string]*got, p string, data []byte) *got {
	t.Helper()
	g, ok := found[p]
	if !ok {
		var have []string
		for k := range found {
			have = append(have, k)
		}
		t.Fatalf("%s not found; found %s", p, strings.Join(have, ", "))
	}
	if g.err != nil {
		t.Fatalf("%s: %v", p, g.err)
	}
	if !bytes.Equal(g.data, data) {
		t.Fatalf("%s: read %d bytes, want %d (content differs)", p, len(g.data), len(data))
	}
	if g.info.Size() != int64(len(data)) {
		t.Fatalf("%s: size %d, want %d", p, g.info.Size(), len(data))
	}
	return g
}

// wantErr checks that the walk recorded an error at p matching target.
func wantErr(t *testing.T, found map[string]*got, p string, target error) *got {
	t.Helper()
	g, ok := found[p]
	if !ok {
		t.Fatalf("%s not found", p)
	}
	if g.err == nil {
		t.Fatalf("%s: no error, want %v", p, target)
	}
	if target != nil && !errors.Is(g.err, target) {
		t.Fatalf("%s: error %v, want %v", p, g.err, target)
	}
	return g
}

// pattern returns n bytes of a benign generated pattern unique to seed.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed*2654435761 + 1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
