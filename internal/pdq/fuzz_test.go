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
		// Too small to hash, unless the other side is over 512: the
		// reference then stretches the image to 512x512 first.
		if (r.Width < 5 || r.Height < 5) && r.Width <= 512 && r.Height <= 512 {
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

// imageSeeds are FuzzHashImage inputs: kind, ratio, width, height, origin
// offsets, then pixel bytes. One per image kind, some resized.
func imageSeeds() map[string][]byte {
	seeds := map[string][]byte{}
	for kind := range byte(10) {
		seeds[fmt.Sprintf("kind%d", kind)] = []byte{kind, kind, 40 + kind, 30 - kind, kind % 3, (kind + 1) % 3, 9, 200, 13, 77, kind}
	}
	seeds["ycbcr420-big"] = []byte{0x87, 2, 120, 90, 1, 1, 3, 250, 17, 128, 128}
	seeds["gray-64"] = []byte{0, 0, 63, 63, 0, 0, 1, 2, 3}
	seeds["rgba-tiny"] = []byte{2, 0, 3, 7, 0, 0, 255}
	return seeds
}

// TestWriteFuzzCorpus writes the seeds as the committed corpora of
// FuzzHashBytes and FuzzHashImage (testdata/fuzz/) when
// PDQ_WRITE_CORPUS=1.
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
	dir = filepath.Join("testdata", "fuzz", "FuzzHashImage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range imageSeeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzHashImage builds images of every type the converters handle (sizes,
// subsampling ratios and sub-image origins from the input, pixels from
// its bytes) and hashes them: no panic, and the conventions hold.
func FuzzHashImage(f *testing.F) {
	for _, s := range imageSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 7 {
			return
		}
		kind, ratio := data[0]%10, data[1]
		w, h := 1+int(data[2])%130, 1+int(data[3])%130
		if data[0]&0x80 != 0 { // now and then, a width that gets resized
			w = 513 + w%40
		}
		ox, oy := int(data[4]%3), int(data[5]%3)
		pix := data[6:]
		fill := func(b []byte) {
			for i := range b {
				b[i] = pix[i%len(pix)] + uint8(i/len(pix))
			}
		}
		r := image.Rect(0, 0, w+ox, h+oy)
		sub := image.Rect(ox, oy, w+ox, h+oy)
		var img image.Image
		switch kind {
		case 0:
			m := image.NewGray(r)
			fill(m.Pix)
			img = m.SubImage(sub)
		case 1:
			m := image.NewGray16(r)
			fill(m.Pix)
			img = m.SubImage(sub)
		case 2:
			m := image.NewRGBA(r)
			fill(m.Pix)
			img = m.SubImage(sub)
		case 3:
			m := image.NewNRGBA(r)
			fill(m.Pix)
			img = m.SubImage(sub)
		case 4:
			m := image.NewRGBA64(r)
			fill(m.Pix)
			img = m.SubImage(sub)
		case 5:
			m := image.NewNRGBA64(r)
			fill(m.Pix)
			img = m.SubImage(sub)
		case 6:
			p := color.Palette{color.Black, color.White, color.RGBA{200, 10, 10, 255}, color.NRGBA{1, 2, 3, 0}, color.Gray{9}, color.RGBA64{0x1234, 0, 0xffff, 0xffff}}
			m := image.NewPaletted(r, p[:1+int(ratio)%len(p)])
			fill(m.Pix)
			img = m.SubImage(sub)
		case 7, 8:
			m := image.NewYCbCr(r, image.YCbCrSubsampleRatio(ratio%6))
			fill(m.Y)
			fill(m.Cb)
			fill(m.Cr)
			img = m.SubImage(sub)
			if kind == 8 {
				_, _, q := hashImage(img, fromWebP)
				if q < 0 || q > 100 {
					t.Fatalf("quality %d", q)
				}
			}
		case 9:
			m := image.NewCMYK(r)
			fill(m.Pix)
			img = m.SubImage(sub)
		}
		for _, src := range []source{fromAny, fromBMP} {
			h1, d, q := hashImage(img, src)
			if q < 0 || q > 100 {
				t.Fatalf("quality %d", q)
			}
			if (w < 5 || h < 5) && w <= 512 && h <= 512 && (!h1.IsZero() || q != 0 || d != (Dihedral{})) {
				t.Fatalf("%dx%d hashed to %s,%d", w, h, h1, q)
			}
		}
	})
}
