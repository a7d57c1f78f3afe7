package pdq

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// TestAgainstReferenceBinary compares this package with the C++ reference
// itself on generated images, when VIGIL_PDQ_REFERENCE names a built
// pdq-photo-hasher (ThreatExchange pdq/cpp; it runs ImageMagick's convert,
// found on VIGIL_PDQ_REFERENCE_PATH or PATH). Lossless files must hash
// identically; JPEGs within the decoder noise.
func TestAgainstReferenceBinary(t *testing.T) {
	ref := os.Getenv("VIGIL_PDQ_REFERENCE")
	if ref == "" {
		t.Skip("set VIGIL_PDQ_REFERENCE to a pdq-photo-hasher binary to compare with the reference")
	}
	if testing.Short() {
		t.Skip("slow: runs ImageMagick once per file")
	}
	dir := t.TempDir()
	write := func(name string, enc func(*bytes.Buffer) error) {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 8 {
		seed := uint64(1000 + i)
		img := pattern(150+17*i, 90+23*i, seed)
		grey := toGray(img)
		greyRGB := image.NewRGBA(grey.Bounds())
		for j, v := range grey.Pix {
			copy(greyRGB.Pix[4*j:], []byte{v, v, v, 255})
		}
		write(fmt.Sprintf("png-%d.png", i), func(b *bytes.Buffer) error { b.Write(encodePNG(t, img)); return nil })
		write(fmt.Sprintf("png-greyrgb-%d.png", i), func(b *bytes.Buffer) error { b.Write(encodePNG(t, greyRGB)); return nil })
		write(fmt.Sprintf("bmp-%d.bmp", i), func(b *bytes.Buffer) error { return bmp.Encode(b, img) })
		// A grey BMP: CImg reads BMP itself, always through the RGB path.
		write(fmt.Sprintf("bmp-grey-%d.bmp", i), func(b *bytes.Buffer) error { return bmp.Encode(b, greyRGB) })
		write(fmt.Sprintf("tiff-%d.tif", i), func(b *bytes.Buffer) error { return tiff.Encode(b, img, nil) })
		write(fmt.Sprintf("gif-%d.gif", i), func(b *bytes.Buffer) error { return gif.Encode(b, img, nil) })
		write(fmt.Sprintf("jpeg-%d.jpg", i), func(b *bytes.Buffer) error {
			return jpeg.Encode(b, photoLike(320+64*i, 240+48*i, seed), &jpeg.Options{Quality: 75 + 3*i})
		})
	}
	// Flat grey at a level where the RGB luma formula does not give the
	// level back: the hash is then pure float rounding (quality 0), so the
	// grey path (PNG) and CImg's RGB path (BMP) must both be followed
	// exactly.
	level := uint8(0)
	for v := 1; v < 256; v++ {
		if lumaRGB(uint8(v), uint8(v), uint8(v)) != float32(v) {
			level = uint8(v)
			break
		}
	}
	flat := image.NewRGBA(image.Rect(0, 0, 90, 70))
	for j := 0; j < len(flat.Pix); j += 4 {
		copy(flat.Pix[j:], []byte{level, level, level, 255})
	}
	write("flat-grey.png", func(b *bytes.Buffer) error { b.Write(encodePNG(t, flat)); return nil })
	write("flat-grey.bmp", func(b *bytes.Buffer) error { return bmp.Encode(b, flat) })

	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 200, 90, 255}}
	pimg := image.NewPaletted(image.Rect(0, 0, 60, 40), pal)
	for i := range pimg.Pix {
		pimg.Pix[i] = uint8((i/7 + i/60) % 3)
	}
	write("gif-transparent.gif", func(b *bytes.Buffer) error {
		if err := gif.Encode(b, pimg, nil); err != nil {
			return err
		}
		// Make index 1 (red) transparent: the reference hashes red.
		data := b.Bytes()
		i := bytes.IndexByte(data[13+3*4:], 0x2c) + 13 + 3*4
		gce := []byte{0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x01, 0x00}
		out := append(append(append([]byte(nil), data[:i]...), gce...), data[i:]...)
		b.Reset()
		b.Write(out)
		return nil
	})

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, filepath.Join(dir, e.Name()))
	}
	cmd := exec.Command(ref, files...)
	if p := os.Getenv("VIGIL_PDQ_REFERENCE_PATH"); p != "" {
		cmd.Env = append(os.Environ(), "PATH="+p)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	jpegs, jpegExact := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, ",", 3)
		if len(f) != 3 {
			t.Fatalf("reference output %q", line)
		}
		want, q := mustParse(t, f[0]), f[1]
		data, err := os.ReadFile(f[2])
		if err != nil {
			t.Fatal(err)
		}
		got, err := HashBytes(context.Background(), data, Limits{})
		if err != nil {
			t.Errorf("%s: %v", f[2], err)
			continue
		}
		d := Distance(got.Hash, want)
		name := filepath.Base(f[2])
		if strings.HasSuffix(name, ".jpg") {
			jpegs++
			if d == 0 {
				jpegExact++
			}
			if d > 4 {
				t.Errorf("%s: distance %d to the reference", name, d)
			}
			continue
		}
		if d != 0 || strconv.Itoa(got.Quality) != q {
			t.Errorf("%s: got %s,%d, reference %s,%s", name, got.Hash, got.Quality, f[0], q)
		}
	}
	t.Logf("JPEG: %d of %d identical to the reference", jpegExact, jpegs)
	if jpegExact*4 < jpegs*3 {
		t.Errorf("only %d of %d JPEGs identical to the reference", jpegExact, jpegs)
	}
}
