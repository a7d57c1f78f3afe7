package pdq

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// jpegFuzzSeeds are small JPEGs of every kind the decoder reads, generated
// here: Go's encoder (4:2:0, grey), and hand-made variants of its output
// (restart markers, 4:4:4 and 4:2:2 headers, a progressive header, a
// truncated file, a damaged entropy-coded segment).
func jpegFuzzSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	enc := func(name string, img image.Image, q int) {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seeds[name] = b.Bytes()
	}
	enc("rgb-q75", photoLike(19, 13, 1), 75)
	enc("rgb-q20", photoLike(40, 9, 2), 20)
	enc("grey-q90", greyOf(photoLike(11, 17, 3)), 90)
	enc("rgb-big", photoLike(530, 8, 4), 50)
	ycc := image.NewYCbCr(image.Rect(0, 0, 10, 6), image.YCbCrSubsampleRatio444)
	for i := range ycc.Y {
		ycc.Y[i], ycc.Cb[i], ycc.Cr[i] = uint8(i*9), uint8(128+i), uint8(120-i)
	}
	enc("ycc444", ycc, 80)

	base := seeds["rgb-q75"]
	// A restart interval of 1 MCU without the RSTn markers: libjpeg's
	// resynchronisation rules.
	seeds["dri-no-rst"] = insertAfterSOI(base, []byte{0xff, 0xdd, 0, 4, 0, 1})
	big := seeds["rgb-big"]
	seeds["truncated"] = big[:len(big)*4/5]
	damaged := append([]byte(nil), big...)
	for i := len(damaged) * 4 / 5; i < len(damaged)*4/5+8; i++ {
		damaged[i] ^= 0x5a
	}
	seeds["damaged"] = damaged
	seeds["progressive-header"] = setSOF(base, 0xc2)
	seeds["arith-header"] = setSOF(base, 0xc9)
	seeds["no-dht"] = stripSegments(base, 0xc4)
	return seeds
}

func insertAfterSOI(b, seg []byte) []byte {
	out := append([]byte(nil), b[:2]...)
	out = append(out, seg...)
	return append(out, b[2:]...)
}

// setSOF changes the frame type of Go's SOF0.
func setSOF(b []byte, m byte) []byte {
	out := append([]byte(nil), b...)
	if i := bytes.Index(out, []byte{0xff, 0xc0}); i >= 0 {
		out[i+1] = m
	}
	return out
}

// stripSegments removes every marker segment of type m before the SOS.
func stripSegments(b []byte, m byte) []byte {
	out := append([]byte(nil), b[:2]...)
	i := 2
	for i+4 <= len(b) && b[i] == 0xff {
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] == 0xda || i+2+n > len(b) {
			break
		}
		if b[i+1] != m {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	return append(out, b[i:]...)
}

// TestWriteJPEGFuzzCorpus writes the seeds as the committed corpus of
// FuzzJPEG when PDQ_WRITE_CORPUS=1.
func TestWriteJPEGFuzzCorpus(t *testing.T) {
	if os.Getenv("PDQ_WRITE_CORPUS") != "1" {
		t.Skip("set PDQ_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzJPEG")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzJPEG")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range jpegFuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzJPEG feeds arbitrary bytes to the decoder: no panic, no hang,
// nothing allocated past the limits, the hash path and the whole-image
// path agree, and where image/jpeg also decodes the file, the sizes agree
// and the luma samples are close (see compareWithStdlib).
func FuzzJPEG(f *testing.F) {
	for _, s := range jpegFuzzSeeds(f) {
		f.Add(s)
	}
	lim := Limits{MaxBytes: 1 << 20, MaxSide: 2048, MaxPixels: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		d, err := decodeJPEG(ctx, data, lim.withDefaults())
		if err != nil {
			return
		}
		if d.width > lim.MaxSide || d.height > lim.MaxSide || int64(d.width)*int64(d.height) > lim.MaxPixels {
			t.Fatalf("%dx%d got past the limits", d.width, d.height)
		}
		w, h, rgb, err := decodeJPEGRGB(data)
		if err != nil || w != d.width || h != d.height {
			t.Fatalf("whole-image decode: %dx%d, %v", w, h, err)
		}
		r, ok, err := hashJPEG(ctx, data, lim)
		if !ok || err != nil {
			t.Fatalf("hash path: %v, %v", ok, err)
		}
		if w <= 512 && h <= 512 {
			// Not resized: the hash of the whole image must be the same.
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			for i := range w * h {
				copy(img.Pix[4*i:], []byte{rgb[3*i], rgb[3*i+1], rgb[3*i+2], 255})
			}
			var hh Hash
			var q int
			if d.colorSpace == csGrey {
				g := image.NewGray(img.Rect)
				for i := range w * h {
					g.Pix[i] = rgb[3*i]
				}
				hh, q = HashImage(g)
			} else {
				hh, q = HashImage(img)
			}
			if hh != r.Hash || q != r.Quality {
				t.Fatalf("hash %s,%d; of the whole image %s,%d", r.Hash, r.Quality, hh, q)
			}
		}
		compareWithStdlib(t, data, d)
	})
}

// compareWithStdlib decodes data with image/jpeg too and, when it
// succeeds, requires the same size and, for greyscale and YCbCr files
// whose data is not damaged,
// luma samples within 2 of each other (the two inverse DCTs round
// differently). Blocks whose dequantised coefficients could drive the
// inverse DCT out of the range where libjpeg clamps (it wraps beyond, Go
// clamps) are left out: only a crafted file has them.
func compareWithStdlib(t *testing.T, data []byte, d *jpegDecoder) {
	if d.warned {
		// Damaged data, recovered from as libjpeg does (see
		// TestJPEGDamagedPixels); image/jpeg recovers otherwise, or not.
		if img, err := jpeg.Decode(bytes.NewReader(data)); err == nil {
			if b := img.Bounds(); b.Dx() != d.width || b.Dy() != d.height {
				t.Fatalf("image/jpeg: %dx%d, this decoder %dx%d", b.Dx(), b.Dy(), d.width, d.height)
			}
		}
		return
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return
	}
	b := img.Bounds()
	if b.Dx() != d.width || b.Dy() != d.height {
		t.Fatalf("image/jpeg: %dx%d, this decoder %dx%d", b.Dx(), b.Dy(), d.width, d.height)
	}
	var goY []byte
	var stride int
	switch m := img.(type) {
	case *image.Gray:
		goY, stride = m.Pix, m.Stride
	case *image.YCbCr:
		goY, stride = m.Y, m.YStride
	default:
		return
	}
	c := &d.comps[0]
	if (d.colorSpace != csGrey && d.colorSpace != csYCbCr) || c.h != d.hmax || c.v != d.vmax {
		return
	}
	xs, ys := make([]int, d.width), make([]int, d.height)
	for i := range xs {
		xs[i] = i
	}
	for i := range ys {
		ys[i] = i
	}
	r := &jpegRenderer{d: d}
	p := &compPlane{c: c, q: &d.quant[c.tq], mode: upFull, hf: 1, vf: 1}
	r.prepare(p, xs, ys)
	q := &d.quant[c.tq]
	bad := 0
	var first []string
	for y := range d.height {
		row := p.row(y)
		for x := range d.width {
			blk := c.coef[((y/8)*c.bw+x/8)*64:][:64]
			sum := 0
			for k, v := range blk {
				sum += absInt(int(v) * int(q[k]))
			}
			if sum > 4000 {
				continue
			}
			if diff := int(row[x]) - int(goY[y*stride+x]); diff > 2 || diff < -2 {
				bad++
				if bad < 4 {
					first = append(first, fmt.Sprintf("(%d,%d): luma %d, image/jpeg %d", x, y, row[x], goY[y*stride+x]))
				}
			}
		}
	}
	if bad > 0 {
		// image/jpeg is only a cheap second opinion; libjpeg-turbo is the
		// reference. Where they part, the file must decode as djpeg
		// decodes it (found: files image/jpeg decodes otherwise, djpeg
		// and this decoder alike).
		if _, err := exec.LookPath("djpeg"); err != nil {
			t.Fatalf("%d luma samples differ from image/jpeg's by more than 2 (%s; djpeg, the reference, is not installed to tell)",
				bad, strings.Join(first, "; "))
		}
		compareDjpeg(t, fmt.Sprintf("input differing from image/jpeg in %d luma samples (%s)", bad, strings.Join(first, "; ")), data)
	}
}

// Damaged and unusual files decode as djpeg decodes them (libjpeg-turbo's
// warnings and recovery).
func TestJPEGSeedsPixels(t *testing.T) {
	needTool(t, "djpeg")
	for name, data := range jpegFuzzSeeds(t) {
		if _, _, _, err := decodeJPEGRGB(data); err != nil {
			t.Logf("%s: not decoded: %v", name, err)
			continue
		}
		compareDjpeg(t, name, data)
	}
}

// The differential check on the seeds and on larger generated files.
func TestJPEGAgainstStdlib(t *testing.T) {
	files := jpegFuzzSeeds(t)
	for i, sz := range [][2]int{{64, 64}, {333, 251}, {1024, 768}} {
		for _, q := range []int{10, 75, 100} {
			var b bytes.Buffer
			if err := jpeg.Encode(&b, photoLike(sz[0], sz[1], uint64(i+7)), &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			files[fmt.Sprintf("%dx%d-q%d", sz[0], sz[1], q)] = b.Bytes()
		}
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			d, err := decodeJPEG(context.Background(), data, Limits{}.withDefaults())
			if err != nil {
				t.Logf("not decoded: %v", err)
				return
			}
			compareWithStdlib(t, data, d)
		})
	}
}
