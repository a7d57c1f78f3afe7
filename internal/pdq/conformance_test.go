package pdq

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The conformance vectors live in the shared test data (outputs of the C++
// reference, see its README.md): VIGIL_PDQ_TESTDATA or, from this
// directory, ../../../shared/testdata/pdq.
func testdataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_PDQ_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata", "pdq")
	}
	if _, err := os.Stat(filepath.Join(dir, "expected", "pdq.csv")); err != nil {
		t.Skipf("PDQ conformance vectors not found at %s (set VIGIL_PDQ_TESTDATA): %v", dir, err)
	}
	return dir
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, k := range recs[0] {
			m[k] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func hashFile(t *testing.T, path string) Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := HashReader(context.Background(), f, Limits{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

func mustParse(t *testing.T, s string) Hash {
	t.Helper()
	h, err := ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// lossless reports whether the reference and Go decode the file to the same
// pixels, so that the hash must be bit-identical.
func lossless(path string) bool {
	return !strings.HasSuffix(path, ".jpg")
}

func TestConformanceLossless(t *testing.T) {
	dir := testdataDir(t)
	want := readCSV(t, filepath.Join(dir, "expected", "pdq.csv"))
	dih := map[string]map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, "expected", "pdqdih.csv")) {
		dih[r["path"]] = r
	}
	n := 0
	for _, w := range want {
		path := w["path"]
		if !lossless(path) {
			continue
		}
		n++
		t.Run(path, func(t *testing.T) {
			got := hashFile(t, filepath.Join(dir, path))
			if got.Hash.String() != w["hash"] || strconv.Itoa(got.Quality) != w["quality"] {
				t.Errorf("got %s,%d want %s,%s (distance %d)", got.Hash, got.Quality, w["hash"], w["quality"],
					Distance(got.Hash, mustParse(t, w["hash"])))
			}
			d, ok := dih[path]
			if !ok {
				t.Fatalf("no dihedral vector for %s", path)
			}
			for i, h := range got.Dihedral {
				name := Transform(i).String()
				if h.String() != d[name] {
					t.Errorf("%s: got %s want %s", name, h, d[name])
				}
			}
			if strconv.Itoa(got.Quality) != d["quality"] {
				t.Errorf("dihedral quality: got %d want %s", got.Quality, d["quality"])
			}
		})
	}
	// decoded/ (9 PNGs); synthetic/: 16 PNGs, the GIF, the lossless WebP, the BMP.
	if n < 28 {
		t.Errorf("only %d lossless vectors found", n)
	}
}

// JPEG: this package decodes JPEG as libjpeg-turbo does (see jpeg.go), so
// the requirement, a distance no larger than the one listed in
// go-stdlib-decoder-distance.csv (what Go's image/jpeg gave), holds with
// room to spare: every JPEG must hash exactly as the reference, with the
// same quality and the same eight dihedral hashes.
func TestConformanceJPEG(t *testing.T) {
	dir := testdataDir(t)
	ref := map[string]map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, "expected", "pdq.csv")) {
		ref[r["path"]] = r
	}
	dih := map[string]map[string]string{}
	for _, r := range readCSV(t, filepath.Join(dir, "expected", "pdqdih.csv")) {
		dih[r["path"]] = r
	}
	n := 0
	for _, r := range readCSV(t, filepath.Join(dir, "expected", "go-stdlib-decoder-distance.csv")) {
		path := r["path"]
		if lossless(path) {
			continue
		}
		n++
		limit, err := strconv.Atoi(r["hamming_distance_go_stdlib_vs_reference"])
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		want, ok := ref[path]
		if !ok {
			t.Fatalf("%s: not in pdq.csv", path)
		}
		got := hashFile(t, filepath.Join(dir, path))
		d := Distance(got.Hash, mustParse(t, want["hash"]))
		if d > limit {
			t.Errorf("%s: distance %d to the reference, more than the %d listed", path, d, limit)
		}
		if d != 0 || strconv.Itoa(got.Quality) != want["quality"] {
			t.Errorf("%s: got %s,%d, reference %s,%s (distance %d)", path, got.Hash, got.Quality, want["hash"], want["quality"], d)
		}
		for i, h := range got.Dihedral {
			name := Transform(i).String()
			if h.String() != dih[path][name] {
				t.Errorf("%s %s: got %s want %s", path, name, h, dih[path][name])
			}
		}
	}
	if n < 25 {
		t.Errorf("only %d JPEG vectors found", n)
	}
}

// The decoded/ PNGs hold the exact pixels the reference hashed for the
// LabelMe JPEGs (ImageMagick + libjpeg-turbo). This package's decoding of
// the JPEG must give the same luma on every pixel.
func TestJPEGPixelsMatchReference(t *testing.T) {
	dir := testdataDir(t)
	for _, name := range []string{"q0003", "q0004", "q0122", "q0291", "q0746", "q1050", "q2821"} {
		t.Run(name, func(t *testing.T) {
			jpg := decodeFile(t, filepath.Join(dir, "threatexchange", "reg-test-input", "labelme-subset", name+".jpg"))
			png := decodeFile(t, filepath.Join(dir, "decoded", name+".decoded.png"))
			if jpg.Bounds() != png.Bounds() {
				t.Fatalf("bounds %v and %v", jpg.Bounds(), png.Bounds())
			}
			a, b := lumaPlane(jpg), lumaPlane(png)
			same := 0
			for i := range a {
				if a[i] == b[i] {
					same++
				}
			}
			if same != len(a) {
				t.Errorf("%d of %d luma values differ from the reference's", len(a)-same, len(a))
			}
		})
	}
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := Decode(context.Background(), f, Limits{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// lumaPlane returns the luma plane the hash is computed from.
func lumaPlane(img image.Image) []float32 {
	s := new(scratch)
	rows, cols := s.fill(img, fromAny)
	return append([]float32(nil), s.luma[:rows*cols]...)
}

func readHashes(t *testing.T, path string) []Hash {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var hs []Hash
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		hs = append(hs, mustParse(t, strings.Fields(line)[0]))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return hs
}

func TestNeedlesHaystack(t *testing.T) {
	dir := testdataDir(t)
	in := filepath.Join(dir, "threatexchange", "reg-test-input")
	needles := readHashes(t, filepath.Join(in, "needles.txt"))
	haystack := readHashes(t, filepath.Join(in, "haystack.txt"))
	want := map[[2]int]int{}
	for _, r := range readCSV(t, filepath.Join(dir, "expected", "needles-haystack-matches-d31.csv")) {
		n, _ := strconv.Atoi(r["needle_index"])
		h, _ := strconv.Atoi(r["haystack_index"])
		d, _ := strconv.Atoi(r["distance"])
		want[[2]int{n, h}] = d
	}
	got := map[[2]int]int{}
	for i, n := range needles {
		for j, h := range haystack {
			if d := Distance(n, h); d <= 31 {
				got[[2]int{i, j}] = d
			}
		}
	}
	if len(want) != 250 {
		t.Errorf("expected file has %d pairs, README says 250", len(want))
	}
	for k, d := range want {
		if g, ok := got[k]; !ok || g != d {
			t.Errorf("pair %v: want distance %d, got %d (found %v)", k, d, g, ok)
		}
	}
	for k, d := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("pair %v at distance %d is not expected", k, d)
		}
	}
}

// Variants estimates the dihedral hashes from a hash alone: FlipPlus1 is
// exact, the others must stay near the exact variants the reference
// computes from the image (for hashes of usable quality).
func TestVariantsEstimate(t *testing.T) {
	dir := testdataDir(t)
	for _, r := range readCSV(t, filepath.Join(dir, "expected", "pdqdih.csv")) {
		if q, _ := strconv.Atoi(r["quality"]); q < 50 {
			continue
		}
		v := Variants(mustParse(t, r["orig"]))
		for i, h := range v {
			tr := Transform(i)
			d := Distance(h, mustParse(t, r[tr.String()]))
			limit := 24
			if tr == Original || tr == FlipPlus1 {
				limit = 0
			}
			if d > limit {
				t.Errorf("%s %s: estimate %d bits from the exact variant", r["path"], tr, d)
			}
		}
	}
}

// The reference's vPDQ hashes of a sample video (ThreatExchange
// vpdq/sample-hashes): every frame converted by FFmpeg to RGB24 (area
// scaling, as vpdq's swscale call) and hashed by HashRGB must give the
// reference's hash and quality. Needs ffmpeg and ffprobe on PATH.
func TestVPDQSampleFrames(t *testing.T) {
	dir := testdataDir(t)
	if testing.Short() {
		t.Skip("slow: decodes 150 frames of 1080x1080")
	}
	ffmpeg, err1 := exec.LookPath("ffmpeg")
	ffprobe, err2 := exec.LookPath("ffprobe")
	if err1 != nil || err2 != nil {
		t.Skip("ffmpeg and ffprobe are needed to decode the sample video")
	}
	video := filepath.Join(dir, "threatexchange", "vpdq", "test-padded-dimensions.mp4")
	var want [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(mustRead(t, strings.TrimSuffix(video, ".mp4")+".vpdq.txt"))), "\n") {
		want = append(want, strings.Split(line, ","))
	}
	out, err := exec.Command(ffprobe, "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", video).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var w, h int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "%d,%d", &w, &h); err != nil {
		t.Fatalf("ffprobe output %q: %v", out, err)
	}
	cmd := exec.Command(ffmpeg, "-v", "error", "-i", video, "-f", "rawvideo", "-pix_fmt", "rgb24", "-sws_flags", "area", "-")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	frame := make([]byte, w*h*3)
	n := 0
	for ; ; n++ {
		if _, err := io.ReadFull(pipe, frame); err != nil {
			break
		}
		if n >= len(want) {
			t.Fatalf("more frames than the reference hashed (%d)", len(want))
		}
		got, q := HashRGB(frame, w, h)
		if got.String() != want[n][2] || strconv.Itoa(q) != want[n][1] {
			t.Errorf("frame %d: got %s,%d want %s,%s", n, got, q, want[n][2], want[n][1])
		}
	}
	if n != len(want) {
		t.Errorf("%d frames decoded, the reference hashed %d", n, len(want))
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
