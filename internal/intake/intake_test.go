package intake

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	md5simd "github.com/minio/md5-simd"

	"vigil/internal/store"
	"vigil/internal/store/sqlite"
)

// corpus writes n files of varied sizes (including the empty file and
// sizes around the read chunk) under dir and returns their relative paths.
func corpus(t testing.TB, dir string, n int, seed uint64) []string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	special := []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2*chunkSize + 7}
	var paths []string
	for i := 0; i < n; i++ {
		size := r.IntN(40_000)
		if i < len(special) {
			size = special[i]
		}
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		rel := filepath.Join(fmt.Sprintf("d%02d", i%7), fmt.Sprintf("f%05d.bin", i))
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.ToSlash(rel))
	}
	return paths
}

func testStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "case.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func files(t testing.TB, st store.Store, q store.FileQuery) map[string]store.FileView {
	t.Helper()
	out := map[string]store.FileView{}
	if err := st.Files(context.Background(), q, func(v store.FileView) error {
		out[v.Path] = v
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// sumTool runs a coreutils checksum tool, an implementation independent of
// Go's, over the files and returns path → digest.
func sumTool(t *testing.T, tool, dir string, paths []string) map[string]string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed: cannot check hashes against an independent implementation", tool)
	}
	cmd := exec.Command(tool, paths...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "  ", 2)
		m[f[1]] = f[0]
	}
	return m
}

func TestHashesMatchIndependentTools(t *testing.T) {
	ev := t.TempDir()
	paths := corpus(t, ev, 60, 1)
	st := testStore(t)
	_, err := Ingest(context.Background(), st, Request{Device: store.Device{Label: "D1"}, Sources: []string{ev}},
		Options{ScratchDir: t.TempDir(), Workers: 3, BatchSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	got := files(t, st, store.FileQuery{})
	if len(got) != len(paths) {
		t.Fatalf("%d files recorded, want %d", len(got), len(paths))
	}
	for tool, field := range map[string]func(store.FileView) string{
		"md5sum":    func(v store.FileView) string { return v.MD5 },
		"sha1sum":   func(v store.FileView) string { return v.SHA1 },
		"sha256sum": func(v store.FileView) string { return v.SHA256 },
	} {
		want := sumTool(t, tool, ev, paths)
		for _, p := range paths {
			if field(got[p]) != want[p] {
				t.Errorf("%s %s: vigil %s, %s %s", tool, p, field(got[p]), tool, want[p])
			}
		}
	}
	for _, p := range paths[:6] {
		fi, _ := os.Stat(filepath.Join(ev, p))
		if got[p].Size != fi.Size() {
			t.Errorf("%s: size %d, want %d", p, got[p].Size, fi.Size())
		}
	}
}

func TestReingestAddsNothingAndDedupes(t *testing.T) {
	ev := t.TempDir()
	corpus(t, ev, 20, 2)
	// The same bytes under two names, and on a second device.
	b, _ := os.ReadFile(filepath.Join(ev, "d01", "f00001.bin"))
	os.WriteFile(filepath.Join(ev, "dup.bin"), b, 0o644)
	st := testStore(t)
	ctx := context.Background()
	o := Options{ScratchDir: t.TempDir()}
	if _, err := Ingest(ctx, st, Request{Device: store.Device{Label: "D1"}, Sources: []string{ev}}, o); err != nil {
		t.Fatal(err)
	}
	sum, err := Ingest(ctx, st, Request{Device: store.Device{Label: "D1"}, Sources: []string{ev}}, o)
	if err != nil {
		t.Fatal(err)
	}
	if s := sum.Sources[0]; !s.Resumed || s.Files != 0 || s.Skipped != 21 {
		t.Fatalf("second ingest: %+v", s)
	}
	if _, err := Ingest(ctx, st, Request{Device: store.Device{Label: "D2"}, Sources: []string{ev}}, o); err != nil {
		t.Fatal(err)
	}
	var contents int
	st.Contents(ctx, store.ContentQuery{}, func(store.Content) error { contents++; return nil })
	if contents != 20 {
		t.Errorf("%d contents for 20 distinct files on two devices", contents)
	}
	for _, d := range []string{"D1", "D2"} {
		if n := len(files(t, st, store.FileQuery{Device: d})); n != 21 {
			t.Errorf("%d file rows on %s, want 21", n, d)
		}
	}
}

func TestEXIFAndKinds(t *testing.T) {
	ev := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, nil); err != nil {
		t.Fatal(err)
	}
	withExif := insertEXIF(t, jb.Bytes())
	os.WriteFile(filepath.Join(ev, "photo.jpg"), withExif, 0o644)
	os.WriteFile(filepath.Join(ev, "plain.jpg"), jb.Bytes(), 0o644)
	os.WriteFile(filepath.Join(ev, "broken.jpg"), append([]byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10}, []byte("Exif\x00\x00MM\x00*garbage")...), 0o644)
	os.WriteFile(filepath.Join(ev, "notes.txt"), []byte("meeting at the station\n"), 0o644)
	os.WriteFile(filepath.Join(ev, "db.sqlite"), append([]byte("SQLite format 3\x00"), make([]byte, 100)...), 0o644)
	st := testStore(t)
	hashed := 0
	_, err := Ingest(context.Background(), st, Request{Device: store.Device{Label: "CAM"}, Sources: []string{ev}},
		Options{ScratchDir: t.TempDir(), ImageHasher: func(_ context.Context, data []byte) (ImageHash, error) {
			hashed++
			if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
				return ImageHash{}, err
			}
			return ImageHash{PDQ: strings.Repeat("ab", 32), Quality: 77}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	got := files(t, st, store.FileQuery{})
	p := got["photo.jpg"]
	if p.Kind != "image" || p.MIME != "image/jpeg" || p.EXIF == nil {
		t.Fatalf("photo: %+v", p)
	}
	e := p.EXIF
	if e.Make != "SynthCam" || e.Model != "Model 7" || e.BodySerial != "SN-0042" || e.Original != "2017:04:18 10:30:00" {
		t.Errorf("exif: %+v", e)
	}
	if e.Lat == nil || e.Lon == nil || fmt.Sprintf("%.5f,%.5f", *e.Lat, *e.Lon) != "40.41650,-3.70380" {
		t.Errorf("gps: %v %v", e.Lat, e.Lon)
	}
	if p.PDQ == nil || *p.PDQ != strings.Repeat("ab", 32) || *p.PDQQuality != 77 {
		t.Errorf("pdq: %v %v", p.PDQ, p.PDQQuality)
	}
	if got["plain.jpg"].EXIF != nil {
		t.Errorf("plain.jpg has exif %+v", got["plain.jpg"].EXIF)
	}
	if b := got["broken.jpg"]; b.Error == nil || !strings.HasPrefix(*b.Error, "pdq:") || b.SHA256 == "" {
		t.Errorf("broken.jpg: hashes must be kept and the analysis error recorded: %+v", b)
	}
	if got["notes.txt"].Kind != "document" || got["db.sqlite"].Kind != "database" {
		t.Errorf("kinds: %s %s", got["notes.txt"].Kind, got["db.sqlite"].Kind)
	}
	if hashed != 3 {
		t.Errorf("image hasher called %d times, want 3", hashed)
	}
}

func TestErrorsRecordedAndIngestGoesOn(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	ev := t.TempDir()
	corpus(t, ev, 5, 3)
	os.WriteFile(filepath.Join(ev, "secret"), []byte("x"), 0o000)
	st := testStore(t)
	sum, err := Ingest(context.Background(), st, Request{Device: store.Device{Label: "D"}, Sources: []string{ev}}, Options{ScratchDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sources[0].Errors != 1 || sum.Sources[0].Files != 6 {
		t.Fatalf("%+v", sum.Sources[0])
	}
	if f := files(t, st, store.FileQuery{Errors: true}); len(f) != 1 || f["secret"].Error == nil {
		t.Fatalf("%+v", f)
	}
}

func TestCancelThenResumeMatchesFullRun(t *testing.T) {
	ev := t.TempDir()
	corpus(t, ev, 300, 4)
	full := testStore(t)
	if _, err := Ingest(context.Background(), full, Request{Device: store.Device{Label: "D"}, Sources: []string{ev}}, Options{ScratchDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	st := testStore(t)
	for stopAfter := int64(13); ; stopAfter *= 3 {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := Ingest(ctx, st, Request{Device: store.Device{Label: "D"}, Sources: []string{ev}}, Options{ScratchDir: t.TempDir(), BatchSize: 5,
			Progress: func(p Progress) {
				if p.Done >= stopAfter {
					cancel()
				}
			}})
		cancel()
		if err == nil {
			break
		}
		if err != ErrInterrupted {
			t.Fatalf("cancelled ingest: %v", err)
		}
		srcs, _ := st.Sources(context.Background(), "D")
		if srcs[0].Status != "interrupted" {
			t.Fatalf("status %q after cancel", srcs[0].Status)
		}
	}
	want, got := files(t, full, store.FileQuery{}), files(t, st, store.FileQuery{})
	if len(got) != len(want) {
		t.Fatalf("%d files after resume, %d in a full run", len(got), len(want))
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k].SHA256 != want[k].SHA256 || got[k].Size != want[k].Size {
			t.Errorf("%s differs after resume", k)
		}
	}
	srcs, _ := st.Sources(context.Background(), "D")
	if srcs[0].Files != 300 || srcs[0].Status != "complete" {
		t.Errorf("source after resume: %+v", srcs[0])
	}
}

// TestLaneHasherMatchesStdlib: the multi-buffer MD5 lanes give exactly
// crypto/md5's digests, for many streams at once and every length around
// the block and chunk sizes, written in odd pieces.
func TestLaneHasherMatchesStdlib(t *testing.T) {
	if !multiBufferMD5() {
		t.Skip("no AVX2: the multi-buffer MD5 is not used on this machine")
	}
	srv := md5simd.NewServer()
	defer srv.Close()
	r := rand.New(rand.NewPCG(9, 9))
	data := make([]byte, 3*chunkSize+1000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	lengths := []int{0, 1, 55, 56, 63, 64, 65, 127, 128, 4095, 4096, 4097, chunkSize - 1, chunkSize, chunkSize + 1, len(data)}
	for i := 0; i < 40; i++ {
		lengths = append(lengths, r.IntN(len(data)))
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(lengths))
	for _, n := range lengths {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			h := newLaneHasher(srv)
			defer h.Close()
			r := rand.New(rand.NewPCG(uint64(n), 1))
			for round := 0; round < 2; round++ { // Reset and reuse
				h.Reset()
				p := data[:n]
				for len(p) > 0 {
					k := min(len(p), 1+r.IntN(70_000))
					h.Write(p[:k])
					p = p[k:]
				}
				want := md5.Sum(data[:n])
				if got := h.sums().md5; got != hex.EncodeToString(want[:]) {
					errs <- fmt.Sprintf("length %d round %d: %s, crypto/md5 %x", n, round, got, want)
				}
			}
		}(n)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
