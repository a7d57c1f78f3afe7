package pdq

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// fuzzSeeds are small generated images in every supported format and
// colour model, plus the start of a WebP file (there is no WebP encoder
// in Go) for the fuzzer to grow.
func fuzzSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	rgba := pattern(24, 17, 5)
	gray := toGray(pattern(9, 12, 6))
	pal := image.NewPaletted(image.Rect(0, 0, 16, 10), color.Palette{color.Black, color.White, color.RGBA{200, 30, 30, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	deep := image.NewRGBA64(image.Rect(0, 0, 7, 7))
	for i := range deep.Pix {
		deep.Pix[i] = uint8(i * 37)
	}
	enc := func(name string, f func(*bytes.Buffer) error) {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seeds[name] = b.Bytes()
	}
	enc("png-rgba", func(b *bytes.Buffer) error { return png.Encode(b, rgba) })
	enc("png-gray", func(b *bytes.Buffer) error { return png.Encode(b, gray) })
	enc("png-paletted", func(b *bytes.Buffer) error { return png.Encode(b, pal) })
	enc("png-16bit", func(b *bytes.Buffer) error { return png.Encode(b, deep) })
	enc("jpeg-420", func(b *bytes.Buffer) error { return jpeg.Encode(b, rgba, &jpeg.Options{Quality: 50}) })
	enc("jpeg-gray", func(b *bytes.Buffer) error { return jpeg.Encode(b, gray, nil) })
	ycc := image.NewYCbCr(image.Rect(0, 0, 10, 6), image.YCbCrSubsampleRatio444)
	for i := range ycc.Y {
		ycc.Y[i], ycc.Cb[i], ycc.Cr[i] = uint8(i*9), uint8(128+i), uint8(120-i)
	}
	enc("jpeg-444", func(b *bytes.Buffer) error { return jpeg.Encode(b, ycc, nil) })
	enc("gif", func(b *bytes.Buffer) error { return gif.Encode(b, rgba, &gif.Options{NumColors: 16}) })
	enc("gif-anim", func(b *bytes.Buffer) error {
		return gif.EncodeAll(b, &gif.GIF{Image: []*image.Paletted{pal, pal}, Delay: []int{1, 1}})
	})
	enc("bmp-rgb", func(b *bytes.Buffer) error { return bmp.Encode(b, rgba) })
	enc("bmp-paletted", func(b *bytes.Buffer) error { return bmp.Encode(b, pal) })
	enc("tiff-rgba", func(b *bytes.Buffer) error { return tiff.Encode(b, rgba, &tiff.Options{Compression: tiff.Deflate}) })
	enc("tiff-gray16", func(b *bytes.Buffer) error {
		g := image.NewGray16(image.Rect(0, 0, 6, 5))
		for i := range g.Pix {
			g.Pix[i] = uint8(i * 11)
		}
		return tiff.Encode(b, g, nil)
	})
	webp := []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(webp[4:], uint32(len(webp)-8))
	binary.LittleEndian.PutUint32(webp[16:], uint32(len(webp)-20))
	seeds["webp-start"] = webp
	return seeds
}

// FuzzHashBytes feeds arbitrary bytes to the decoders and the hash: no
// panic, no hang, bounded memory (small limits), and a consistent result.
func FuzzHashBytes(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	lim := Limits{MaxBytes: 1 << 20, MaxSide: 4096, MaxPixels: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := HashBytes(context.Background(), data, lim)
		if err != nil {
			return
		}
		if r.Quality < 0 || r.Quality > 100 {
			t.Fatalf("quality %d", r.Quality)
		}
		if r.Width > lim.MaxSide || r.Height > lim.MaxSide || int64(r.Width)*int64(r.Height) > lim.MaxPixels {
			t.Fatalf("%dx%d got past the limits", r.Width, r.Height)
		}
		if r.Width < 5 || r.Height < 5 {
			if !r.Hash.IsZero() || r.Quality != 0 {
				t.Fatalf("%dx%d image hashed to %s,%d", r.Width, r.Height, r.Hash, r.Quality)
			}
		}
		if !(r.Width == 64 && r.Height == 64) && r.Dihedral[Original] != r.Hash {
			t.Fatalf("dihedral original %s differs from hash %s", r.Dihedral[Original], r.Hash)
		}
		// The same through Decode and HashImage (same source quirks).
		if r.Format == "bmp" || r.Format == "webp" {
			return
		}
		img, format, err := Decode(context.Background(), bytes.NewReader(data), lim)
		if err != nil || format != r.Format {
			t.Fatalf("Decode: %v, %s", err, format)
		}
		if h, q := HashImage(img); h != r.Hash || q != r.Quality {
			t.Fatalf("HashImage %s,%d, HashBytes %s,%d", h, q, r.Hash, r.Quality)
		}
	})
}

// TestWriteFuzzCorpus writes the seeds as the committed corpus of
// FuzzHashBytes (testdata/fuzz/FuzzHashBytes) when PDQ_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("PDQ_WRITE_CORPUS") != "1" {
		t.Skip("set PDQ_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzHashBytes")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzHashBytes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
