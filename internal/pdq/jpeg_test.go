package pdq

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// decodeJPEGRGB decodes every pixel of a JPEG with this package's decoder.
func decodeJPEGRGB(data []byte) (w, h int, rgb []byte, err error) {
	d, err := decodeJPEG(context.Background(), data, Limits{}.withDefaults())
	if err != nil {
		return 0, 0, nil, err
	}
	xs, ys := make([]int, d.width), make([]int, d.height)
	for i := range xs {
		xs[i] = i
	}
	for i := range ys {
		ys[i] = i
	}
	rgb = make([]byte, 3*d.width*d.height)
	r := &jpegRenderer{d: d}
	r.render(xs, ys, rgb)
	return d.width, d.height, rgb, nil
}

// readPNM parses a binary P5 or P6 image (maxval 255) into RGB.
func readPNM(b []byte) (w, h int, rgb []byte, err error) {
	r := bufio.NewReader(bytes.NewReader(b))
	var magic string
	var maxval int
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxval); err != nil {
		return 0, 0, nil, fmt.Errorf("PNM header: %v", err)
	}
	if _, err := r.ReadByte(); err != nil {
		return 0, 0, nil, err
	}
	if maxval != 255 {
		return 0, 0, nil, fmt.Errorf("PNM maxval %d", maxval)
	}
	rgb = make([]byte, 3*w*h)
	switch magic {
	case "P6":
		if _, err := ioReadFull(r, rgb); err != nil {
			return 0, 0, nil, err
		}
	case "P5":
		g := make([]byte, w*h)
		if _, err := ioReadFull(r, g); err != nil {
			return 0, 0, nil, err
		}
		for i, v := range g {
			rgb[3*i], rgb[3*i+1], rgb[3*i+2] = v, v, v
		}
	default:
		return 0, 0, nil, fmt.Errorf("PNM type %s", magic)
	}
	return w, h, rgb, nil
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// djpeg decodes with libjpeg-turbo's djpeg as the reference pipeline does
// (islow IDCT, fancy upsampling).
func djpeg(t *testing.T, data []byte) (w, h int, rgb []byte) {
	t.Helper()
	w, h, rgb, err := djpegErr(data)
	if err != nil {
		t.Fatal(err)
	}
	return w, h, rgb
}

func djpegErr(data []byte) (w, h int, rgb []byte, err error) {
	cmd := exec.Command("djpeg", "-dct", "int", "-pnm")
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
		err = nil // warnings (damaged data): the image is still written
	}
	if err != nil {
		return 0, 0, nil, fmt.Errorf("djpeg: %v: %s", err, stderr.String())
	}
	w, h, rgb, err = readPNM(out)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("djpeg output: %v", err)
	}
	return w, h, rgb, nil
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not found (Debian: libjpeg-turbo-progs): %v", name, err)
	}
}

// compareDjpeg checks that this decoder gives djpeg's pixels exactly.
func compareDjpeg(t *testing.T, name string, data []byte) {
	t.Helper()
	w, h, got, err := decodeJPEGRGB(data)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	ww, wh, want := djpeg(t, data)
	if w != ww || h != wh {
		t.Errorf("%s: %dx%d, djpeg %dx%d", name, w, h, ww, wh)
		return
	}
	diff, first := 0, -1
	for i := range got {
		if got[i] != want[i] {
			if first < 0 {
				first = i
			}
			diff++
		}
	}
	if diff > 0 {
		p := first / 3
		t.Errorf("%s (%dx%d): %d of %d samples differ from djpeg; first at (%d,%d) channel %d: %d, djpeg %d",
			name, w, h, diff, len(got), p%w, p/w, first%3, got[first], want[first])
	}
}

func conformanceJPEGs(t *testing.T) []string {
	dir := testdataDir(t)
	var files []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(path, ".jpg") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestJPEGConformancePixels(t *testing.T) {
	needTool(t, "djpeg")
	for _, path := range conformanceJPEGs(t) {
		if strings.HasSuffix(path, "cmyk.jpg") {
			continue // djpeg cannot write CMYK as PNM; see TestJPEGCMYK
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		compareDjpeg(t, filepath.Base(path), data)
	}
}

// cjpeg encodes a generated image with libjpeg-turbo's cjpeg and options.
func cjpeg(t *testing.T, img image.Image, args ...string) []byte {
	t.Helper()
	b := img.Bounds()
	var ppm bytes.Buffer
	fmt.Fprintf(&ppm, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			ppm.Write([]byte{byte(r >> 8), byte(g >> 8), byte(bb >> 8)})
		}
	}
	cmd := exec.Command("cjpeg", args...)
	cmd.Stdin = &ppm
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cjpeg %v: %v: %s", args, err, stderr.String())
	}
	return out
}

func TestJPEGGeneratedPixels(t *testing.T) {
	needTool(t, "djpeg")
	needTool(t, "cjpeg")
	sizes := [][2]int{{1, 1}, {2, 3}, {3, 7}, {4, 4}, {5, 9}, {17, 13}, {33, 31}, {64, 48}, {101, 67}, {250, 190}}
	if testing.Short() {
		sizes = sizes[:6]
	}
	opts := [][]string{
		{"-quality", "90"},
		{"-quality", "50", "-sample", "1x1"},
		{"-quality", "75", "-sample", "2x1"},
		{"-quality", "75", "-sample", "1x2"},
		{"-quality", "95", "-sample", "4x1"},
		{"-quality", "85", "-sample", "4x2"},
		{"-quality", "85", "-sample", "2x2", "-progressive"},
		{"-quality", "30", "-sample", "1x1", "-progressive"},
		{"-quality", "60", "-sample", "2x1", "-progressive"},
		{"-quality", "100", "-restart", "1"},
		{"-quality", "80", "-restart", "3", "-progressive", "-sample", "1x2"},
		{"-quality", "5"},
		{"-quality", "70", "-grayscale"},
		{"-quality", "70", "-grayscale", "-progressive"},
		{"-quality", "90", "-rgb"},
		{"-quality", "90", "-optimize", "-sample", "2x2,1x1,2x2"},
		{"-quality", "90", "-sample", "1x1,2x2,1x1"},
	}
	for si, sz := range sizes {
		img := photoLike(sz[0], sz[1], uint64(si+40))
		for _, o := range opts {
			name := fmt.Sprintf("%dx%d %s", sz[0], sz[1], strings.Join(o, " "))
			compareDjpeg(t, name, cjpeg(t, img, o...))
		}
		for _, q := range []int{1, 40, 90, 100} {
			var b bytes.Buffer
			if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			compareDjpeg(t, fmt.Sprintf("%dx%d go q%d", sz[0], sz[1], q), b.Bytes())
			b.Reset()
			if err := jpeg.Encode(&b, greyOf(img), &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			compareDjpeg(t, fmt.Sprintf("%dx%d go grey q%d", sz[0], sz[1], q), b.Bytes())
		}
	}
}

func greyOf(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			g.Pix[(y-b.Min.Y)*g.Stride+x-b.Min.X] = byte(r >> 8)
		}
	}
	return g
}

// TestWriteBenchJPEGs writes the 1024x768 quality-90 JPEGs (photoLike, 50
// seeds) used to compare the CPU time per image with the reference's
// pdq-photo-hasher, into the directory named by PDQ_BENCH_JPEG_DIR.
func TestWriteBenchJPEGs(t *testing.T) {
	dir := os.Getenv("PDQ_BENCH_JPEG_DIR")
	if dir == "" {
		t.Skip("set PDQ_BENCH_JPEG_DIR to write the benchmark JPEGs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, photoLike(1024, 768, uint64(100+i)), &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("bench-%02d.jpg", i)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Damaged sequential files (truncated, bytes overwritten, with and without
// restart intervals) decode as djpeg decodes them: libjpeg-turbo's
// recovery (zero bits past the data, invalid codes as zero, restart
// resynchronisation) and its SIMD inverse DCT on absurd coefficients.
// Files djpeg refuses must be refused. Progressive files are left out:
// libjpeg-turbo smooths the blocks of an incomplete progressive file,
// which this decoder does not (see jpeg.go).
func TestJPEGDamagedPixels(t *testing.T) {
	needTool(t, "djpeg")
	needTool(t, "cjpeg")
	rng := rand.New(rand.NewPCG(1, 2))
	img := photoLike(120, 90, 5)
	n, variants := 0, 40
	if testing.Short() {
		variants = 8
	}
	for _, o := range [][]string{
		{"-quality", "80"},
		{"-quality", "80", "-restart", "2"},
		{"-quality", "90", "-sample", "1x1", "-restart", "1"},
		{"-quality", "60", "-sample", "2x1", "-restart", "3"},
	} {
		base := cjpeg(t, img, o...)
		for i := range variants {
			b := append([]byte(nil), base...)
			if i%3 == 0 {
				b = b[:len(b)/3+rng.IntN(len(b)*2/3)]
			} else {
				for range 1 + rng.IntN(4) {
					b[len(b)/3+rng.IntN(len(b)*2/3-2)] = byte(rng.IntN(256))
				}
			}
			name := fmt.Sprintf("%v #%d", o, i)
			_, _, _, err := decodeJPEGRGB(b)
			_, _, _, derr := djpegErr(b)
			switch {
			case err != nil && derr != nil:
			case err != nil:
				t.Errorf("%s: refused (%v), djpeg decodes it", name, err)
			case derr != nil:
				t.Errorf("%s: decoded, djpeg refuses it: %v", name, derr)
			default:
				n++
				compareDjpeg(t, name, b)
			}
		}
	}
	t.Logf("%d damaged files compared", n)
}

// The grey test of a resized YCbCr JPEG (every pixel R=G=B, not only the
// sampled ones) agrees with HashImage's test over the whole decoded image,
// for a grey picture stored in colour and for one with a single coloured
// pixel where the resize does not sample (its chroma block colours sampled
// pixels too: the strip-by-strip pass of allGrey is reached only by files
// whose chroma coefficients are nonzero yet every sampled pixel grey,
// which no encoder makes of a real picture).
func TestJPEGGreyDetection(t *testing.T) {
	needTool(t, "cjpeg")
	g := greyOf(photoLike(600, 520, 9))
	rgba := image.NewRGBA(g.Rect)
	for i, v := range g.Pix {
		copy(rgba.Pix[4*i:], []byte{v, v, v, 255})
	}
	for _, tc := range []struct {
		name    string
		colour  bool
		options []string
	}{
		{"grey in YCbCr", false, []string{"-quality", "95", "-sample", "1x1"}},
		{"one coloured pixel", true, []string{"-quality", "100", "-sample", "1x1"}},
		{"one coloured pixel 4:2:0", true, []string{"-quality", "100"}},
	} {
		img := image.NewRGBA(rgba.Rect)
		copy(img.Pix, rgba.Pix)
		if tc.colour {
			// Column 6 and row 64 are not sampled by the 600x520 resize.
			copy(img.Pix[64*img.Stride+6*4:], []byte{255, 0, 0, 255})
		}
		data := cjpeg(t, img, tc.options...)
		got, err := HashBytes(context.Background(), data, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		dec, _, err := Decode(context.Background(), bytes.NewReader(data), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		h, q := HashImage(dec)
		if h != got.Hash || q != got.Quality {
			t.Errorf("%s: HashBytes %s,%d; HashImage of the decoded image %s,%d", tc.name, got.Hash, got.Quality, h, q)
		}
	}
}
