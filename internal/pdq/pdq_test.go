package pdq

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestParseFormatRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		h := Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
		s := h.String()
		if len(s) != 64 || strings.ToLower(s) != s {
			t.Fatalf("String() = %q", s)
		}
		back, err := ParseHash(s)
		if err != nil || back != h {
			t.Fatalf("ParseHash(%q) = %v, %v", s, back, err)
		}
		up, err := ParseHash(strings.ToUpper(s))
		if err != nil || up != h {
			t.Fatalf("upper case: %v, %v", up, err)
		}
	}
	for _, bad := range []string{"", "00", strings.Repeat("0", 63), strings.Repeat("0", 65), strings.Repeat("g", 64)} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) accepted", bad)
		}
	}
}

func TestBitOrder(t *testing.T) {
	// Bit 0 is the lowest bit of the last hex digit; bit 255 the highest
	// of the first (pdqhashtypes.cpp prints word 15 first).
	h := mustParse(t, strings.Repeat("0", 63)+"1")
	if !h.Bit(0) || h.Bit(1) {
		t.Errorf("bit 0 not the last digit's low bit")
	}
	h = mustParse(t, "8"+strings.Repeat("0", 63))
	if !h.Bit(255) || h.Bit(254) {
		t.Errorf("bit 255 not the first digit's high bit")
	}
	h = mustParse(t, strings.Repeat("0", 60)+"0100") // bit 8
	if !h.Bit(8) {
		t.Errorf("bit 8 not set")
	}
}

func TestDistance(t *testing.T) {
	zero := Hash{}
	ones := Hash{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	if d := Distance(zero, ones); d != 256 {
		t.Errorf("Distance(0, ~0) = %d", d)
	}
	if d := Distance(ones, ones); d != 0 {
		t.Errorf("Distance(x, x) = %d", d)
	}
	a := mustParse(t, "f"+strings.Repeat("0", 62)+"3")
	if d := Distance(a, zero); d != 6 {
		t.Errorf("Distance = %d, want 6", d)
	}
	if !zero.IsZero() || a.IsZero() {
		t.Errorf("IsZero wrong")
	}
}

func TestTransformNames(t *testing.T) {
	want := "orig,rot90,rot180,rot270,flipx,flipy,flipplus1,flipminus1"
	var names []string
	for i := range 8 {
		names = append(names, Transform(i).String())
	}
	if got := strings.Join(names, ","); got != want {
		t.Errorf("names %s", got)
	}
}

// refHash is a literal transcription of the reference pipeline from the
// specification (research/pdq.md §2), with none of the optimisations of
// the package: the whole plane filtered twice with box1DFloat, decimated,
// the DCT as two plain matrix products, a sorted median.
func refHash(luma []float32, rows, cols int, bypass64 bool) ([256]float32, int) {
	buf1 := slices.Clone(luma)
	buf2 := make([]float32, len(luma))
	var block [64 * 64]float32
	if bypass64 && rows == 64 && cols == 64 {
		copy(block[:], buf1)
	} else {
		wr, wc := (cols+127)/128, (rows+127)/128
		for range 2 {
			for i := 0; i < rows; i++ {
				refBox(buf1[i*cols:], buf2[i*cols:], cols, 1, wr)
			}
			for j := 0; j < cols; j++ {
				refBox(buf2[j:], buf1[j:], rows, cols, wc)
			}
		}
		for i := 0; i < 64; i++ {
			ii := int((float64(i) + 0.5) * float64(rows) / 64)
			for j := 0; j < 64; j++ {
				jj := int((float64(j) + 0.5) * float64(cols) / 64)
				block[i*64+j] = buf1[ii*cols+jj]
			}
		}
	}
	gs := 0
	for i := 0; i < 63; i++ {
		for j := 0; j < 64; j++ {
			d := int(float32(float32(block[i*64+j]-block[(i+1)*64+j])*100) / 255)
			gs += max(d, -d)
		}
	}
	for i := 0; i < 64; i++ {
		for j := 0; j < 63; j++ {
			d := int(float32(float32(block[i*64+j]-block[i*64+j+1])*100) / 255)
			gs += max(d, -d)
		}
	}
	var d [16][64]float32
	for i := range 16 {
		for j := range 64 {
			d[i][j] = float32(float64(float32(math.Sqrt(2.0/64.0))) * math.Cos(math.Pi/2.0/64.0*float64(i+1)*float64(2*j+1)))
		}
	}
	var tm [16][64]float32
	for i := range 16 {
		for j := range 64 {
			var s float32
			for k := range 64 {
				s += float32(d[i][k] * block[k*64+j])
			}
			tm[i][j] = s
		}
	}
	var b [256]float32
	for i := range 16 {
		for j := range 16 {
			var s float32
			for k := range 64 {
				s += float32(tm[i][k] * d[j][k])
			}
			b[i*16+j] = s
		}
	}
	return b, min(gs/90, 100)
}

// refBox is box1DFloat, phase by phase.
func refBox(in, out []float32, n, stride, w int) {
	half := (w + 2) / 2
	var sum float32
	li, ri, oi, cnt := 0, 0, 0, 0
	for range half - 1 {
		sum += in[ri]
		cnt++
		ri += stride
	}
	for range w - half + 1 {
		sum += in[ri]
		cnt++
		out[oi] = sum / float32(cnt)
		ri += stride
		oi += stride
	}
	for range n - w {
		sum += in[ri]
		sum -= in[li]
		out[oi] = sum / float32(cnt)
		li += stride
		ri += stride
		oi += stride
	}
	for range half - 1 {
		sum -= in[li]
		cnt--
		out[oi] = sum / float32(cnt)
		li += stride
		oi += stride
	}
}

func refBits(b [256]float32) Hash {
	s := b
	slices.Sort(s[:])
	m := s[127]
	var h Hash
	for k, v := range b {
		if v > m {
			h[3-k/64] |= 1 << (uint(k) % 64)
		}
	}
	return h
}

// The optimised core must agree bit for bit with the literal transcription
// on every window size (1 to 4, including the non-power-of-two 3), odd
// sizes, the 64x64 shortcut, and non-integer luma.
func TestCoreMatchesLiteralReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sizes := [][2]int{{5, 5}, {5, 9}, {64, 64}, {65, 64}, {63, 200}, {128, 129}, {200, 300}, {257, 384}, {385, 120}, {512, 512}, {511, 7}, {33, 470}}
	for _, sz := range sizes {
		rows, cols := sz[0], sz[1]
		luma := make([]float32, rows*cols)
		for i := range luma {
			// Smooth structure plus noise, in RGB-luma-like values.
			y, x := i/cols, i%cols
			v := 128 + 90*math.Sin(float64(x)/9)*math.Cos(float64(y)/13) + 30*r.Float64()
			luma[i] = lumaRGB(uint8(v), uint8(255-v), uint8(r.IntN(256)))
		}
		orig := slices.Clone(luma)
		gotH, gotQ := HashLuma(luma, cols, rows)
		b, q := refHash(luma, rows, cols, true)
		if want := refBits(b); gotH != want || gotQ != q {
			t.Errorf("%dx%d: HashLuma %s,%d, literal %s,%d", cols, rows, gotH, gotQ, want, q)
		}
		if !slices.Equal(luma, orig) {
			t.Errorf("%dx%d: HashLuma modified its input", cols, rows)
		}
		gotD, gotDQ := DihedralLuma(luma, cols, rows)
		b, q = refHash(luma, rows, cols, false)
		if want := refBits(b); gotD[Original] != want || gotDQ != q {
			t.Errorf("%dx%d: DihedralLuma %s,%d, literal %s,%d", cols, rows, gotD[Original], gotDQ, want, q)
		}
	}
}

func TestTooSmall(t *testing.T) {
	for _, sz := range [][2]int{{4, 4}, {4, 100}, {100, 4}, {0, 0}} {
		img := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		h, q := HashImage(img)
		d, dq := DihedralImage(img)
		if !h.IsZero() || q != 0 || d != (Dihedral{}) || dq != 0 {
			t.Errorf("%v: %s,%d", sz, h, q)
		}
	}
	h, _ := HashImage(pattern(5, 5, 0))
	if h.IsZero() {
		t.Errorf("5x5 image hashed to zero")
	}
	// The resize to 512x512 comes before the size guard.
	if h, _ := HashImage(pattern(600, 3, 0)); h.IsZero() {
		t.Errorf("600x3 image (stretched to 512x512) hashed to zero")
	}
}

// pattern draws a benign synthetic test card: gradients, a disc and a
// stripe, different for each seed.
func pattern(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, 99))
	cx, cy, rad := r.Float64()*float64(w), r.Float64()*float64(h), 0.1+r.Float64()*0.3
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			v := 255 * fx
			if dx, dy := fx-cx/float64(w), fy-cy/float64(h); dx*dx+dy*dy < rad*rad {
				v = 255 - v
			}
			if int(fy*10)%3 == 0 {
				v /= 2
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(v), uint8(255 * fy), uint8(r.IntN(32)), 255})
		}
	}
	return img
}

func toGray(m *image.NRGBA) *image.Gray {
	g := image.NewGray(m.Bounds())
	for i := range g.Pix {
		g.Pix[i] = m.Pix[4*i]
	}
	return g
}

// An RGB image with R=G=B everywhere takes the grey path, like the
// reference's (ImageMagick writes it as greyscale PNM): same hash as the
// greyscale image, whereas the RGB luma formula would round differently.
func TestGreyDetection(t *testing.T) {
	g := toGray(pattern(120, 90, 1))
	rgb := image.NewNRGBA(g.Bounds())
	for i, v := range g.Pix {
		copy(rgb.Pix[4*i:], []byte{v, v, v, 255})
	}
	hg, qg := HashImage(g)
	hr, qr := HashImage(rgb)
	if hg != hr || qg != qr {
		t.Errorf("grey %s,%d vs grey-as-RGB %s,%d", hg, qg, hr, qr)
	}
	// With one coloured pixel the whole image takes the RGB path.
	rgb.Pix[0] = 1
	s := new(scratch)
	rows, cols := s.fill(rgb, fromAny)
	v := rgb.Pix[4*50]
	if got, want := s.luma[50], lumaRGB(v, v, v); got != want || rows*cols != len(g.Pix) {
		t.Errorf("luma %v, want RGB-path %v", got, want)
	}
	// BMP files are read by CImg's own loader: always the RGB path.
	rgb.Pix[0] = rgb.Pix[1]
	s.fill(rgb, fromBMP)
	if got, want := s.luma[50], lumaRGB(v, v, v); got != want {
		t.Errorf("BMP luma %v, want %v", got, want)
	}
}

// Alpha is ignored (not composited), as the reference drops it.
func TestAlphaIgnored(t *testing.T) {
	a := pattern(100, 80, 2)
	b := image.NewNRGBA(a.Bounds())
	copy(b.Pix, a.Pix)
	for i := 3; i < len(b.Pix); i += 4 {
		b.Pix[i] = uint8(i)
	}
	if ha, _ := HashImage(a); ha != func() Hash { h, _ := HashImage(b); return h }() {
		t.Errorf("alpha changed the hash")
	}
}

// 16-bit samples: the reference keeps the low byte (CImg's cast), so an
// 8-bit image widened as v*257 hashes as the 8-bit one, and one widened
// as v*256 (low byte zero) hashes as a flat image.
func TestSixteenBitLowByte(t *testing.T) {
	a := pattern(100, 80, 3)
	wide := image.NewRGBA64(a.Bounds())
	flat := image.NewRGBA64(a.Bounds())
	for i := 0; i < len(a.Pix); i += 4 {
		for c := range 3 {
			binary.BigEndian.PutUint16(wide.Pix[2*(i+c):], uint16(a.Pix[i+c])*257)
			binary.BigEndian.PutUint16(flat.Pix[2*(i+c):], uint16(a.Pix[i+c])<<8)
		}
	}
	ha, qa := HashImage(a)
	hw, qw := HashImage(wide)
	if ha != hw || qa != qw {
		t.Errorf("v*257: %s,%d, 8-bit %s,%d", hw, qw, ha, qa)
	}
	if _, qf := HashImage(flat); qf != 0 {
		t.Errorf("v*256: quality %d, want 0 (all low bytes zero)", qf)
	}
}

// Images over 512 are sampled to 512x512 at floor(i*W/512): an image made
// by doubling every pixel of a 512x512 image hashes exactly as it.
func TestResizeSampling(t *testing.T) {
	small := pattern(512, 512, 4)
	big := image.NewNRGBA(image.Rect(0, 0, 1024, 1024))
	for y := range 1024 {
		for x := range 1024 {
			big.SetNRGBA(x, y, small.NRGBAAt(x/2, y/2))
		}
	}
	hs, qs := HashImage(small)
	hb, qb := HashImage(big)
	if hs != hb || qs != qb {
		t.Errorf("doubled image %s,%d, original %s,%d", hb, qb, hs, qs)
	}
	// A 513-wide image is squashed to 512 (aspect ratio discarded).
	s := new(scratch)
	rows, cols := s.sampling(513, 100)
	if rows != 512 || cols != 512 || s.rgb.xs[511] != 511*513/512 || s.rgb.ys[511] != 511*100/512 {
		t.Errorf("sampling 513x100: %dx%d", cols, rows)
	}
}

// Exact relations between the dihedral hashes: variants that differ only
// by a transposition share their values and median, so their bits are
// transposed exactly.
func TestDihedralTransposePairs(t *testing.T) {
	transpose := func(h Hash) Hash {
		var o Hash
		for i := range 16 {
			for j := range 16 {
				if h.Bit(i*16 + j) {
					k := j*16 + i
					o[3-k/64] |= 1 << (uint(k) % 64)
				}
			}
		}
		return o
	}
	for seed := range uint64(5) {
		d, _ := DihedralImage(pattern(200, 150, seed))
		pairs := [][2]Transform{{Original, FlipPlus1}, {FlipY, Rotate90}, {FlipX, Rotate270}, {Rotate180, FlipMinus1}}
		for _, p := range pairs {
			if transpose(d[p[0]]) != d[p[1]] {
				t.Errorf("seed %d: %s is not the transpose of %s", seed, p[1], p[0])
			}
		}
		if Variants(d[Original])[FlipPlus1] != d[FlipPlus1] {
			t.Errorf("seed %d: Variants FlipPlus1 not exact", seed)
		}
	}
}

// Transforming the pixels moves the hash to the matching dihedral variant.
// At 64x64 the decimation is the identity and the filter exact on integer
// grey levels, so only the DCT's rounding differs. This pins the meaning
// of each Transform (rotations counter-clockwise).
func TestDihedralMatchesTransformedImage(t *testing.T) {
	src := toGray(pattern(64, 64, 7))
	n := 64
	at := func(x, y int) uint8 { return src.Pix[y*n+x] }
	transforms := map[Transform]func(x, y int) uint8{
		Original:   func(x, y int) uint8 { return at(x, y) },
		Rotate90:   func(x, y int) uint8 { return at(n-1-y, x) }, // counter-clockwise
		Rotate180:  func(x, y int) uint8 { return at(n-1-x, n-1-y) },
		Rotate270:  func(x, y int) uint8 { return at(y, n-1-x) },
		FlipX:      func(x, y int) uint8 { return at(x, n-1-y) },
		FlipY:      func(x, y int) uint8 { return at(n-1-x, y) },
		FlipPlus1:  func(x, y int) uint8 { return at(y, x) },
		FlipMinus1: func(x, y int) uint8 { return at(n-1-y, n-1-x) },
	}
	d, _ := DihedralImage(src)
	for tr, f := range transforms {
		img := image.NewGray(src.Bounds())
		for y := range n {
			for x := range n {
				img.Pix[y*n+x] = f(x, y)
			}
		}
		h, _ := HashImage(img)
		got, dist := d.Nearest(h)
		t.Logf("%s: distance %d", tr, dist)
		if got != tr || dist > 8 {
			t.Errorf("image transformed by %s hashes nearest to %s (distance %d)", tr, got, dist)
		}
	}
}

func TestPalettedOutOfRange(t *testing.T) {
	img := image.NewPaletted(image.Rect(0, 0, 20, 20), color.Palette{color.Black, color.White})
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 7) // indices 2..6 are beyond the palette
	}
	h, _ := HashImage(img) // must not panic
	_ = h
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A PNG whose header claims a huge image is refused before decoding, with
// an error naming the dimensions.
func TestDecompressionBombRefused(t *testing.T) {
	data := encodePNG(t, image.NewGray(image.Rect(0, 0, 8, 8)))
	// IHDR data starts at byte 16: width, height (big-endian), then CRC
	// over type and data at byte 29.
	binary.BigEndian.PutUint32(data[16:], 100000)
	binary.BigEndian.PutUint32(data[20:], 100000)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	_, err := HashBytes(context.Background(), data, Limits{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "100000x100000") {
		t.Errorf("err = %v", err)
	}
	_, err = HashBytes(context.Background(), encodePNG(t, pattern(300, 20, 1)), Limits{MaxSide: 256})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "300x20") {
		t.Errorf("MaxSide: err = %v", err)
	}
	_, err = HashReader(context.Background(), bytes.NewReader(make([]byte, 1000)), Limits{MaxBytes: 999})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxBytes: err = %v", err)
	}
}

// A JPEG made of thousands of scans (each a pass over every block) is
// refused before decoding.
func TestJPEGScanBomb(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, pattern(64, 64, 1), nil); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	sos := bytes.Index(data, []byte{0xff, 0xda})
	// Repeat the baseline scan: not a valid file, but the count is what
	// is checked first.
	scan := data[sos : len(data)-2]
	bomb := slices.Concat(data[:sos], bytes.Repeat(scan, 1001), data[len(data)-2:])
	_, err := HashBytes(context.Background(), bomb, Limits{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "scans") {
		t.Errorf("err = %v", err)
	}
	if _, err := HashBytes(context.Background(), data, Limits{}); err != nil {
		t.Errorf("plain JPEG: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := HashBytes(ctx, []byte("hello, not an image"), Limits{}); !errors.Is(err, ErrFormat) {
		t.Errorf("text: %v", err)
	}
	data := encodePNG(t, pattern(64, 48, 1))
	if _, err := HashBytes(ctx, data[:len(data)/2], Limits{}); err == nil {
		t.Errorf("truncated PNG accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := HashBytes(cancelled, data, Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	r, err := HashBytes(ctx, data, Limits{})
	if err != nil || r.Format != "png" || r.Width != 64 || r.Height != 48 || r.Dihedral[Original] != r.Hash {
		t.Errorf("HashBytes = %+v, %v", r, err)
	}
	if h, q := HashImage(pattern(64, 48, 1)); h != r.Hash || q != r.Quality {
		t.Errorf("HashBytes and HashImage differ")
	}
}

// GIF: the colour stored under the transparent index is hashed (the
// reference drops only alpha), though image/gif replaces it with black.
func TestGIFTransparentColourKept(t *testing.T) {
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 200, 90, 255}}
	img := image.NewPaletted(image.Rect(0, 0, 60, 40), pal)
	for i := range img.Pix {
		img.Pix[i] = uint8((i/7 + i/60) % 3)
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	opaque := b.Bytes()
	// Insert a graphic control extension marking index 1 (red)
	// transparent before the image descriptor.
	i := bytes.IndexByte(opaque[13+3*4:], 0x2c) + 13 + 3*4
	gce := []byte{0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x01, 0x00}
	transparent := slices.Concat(opaque[:i], gce, opaque[i:])
	ctx := context.Background()
	dec, _, err := Decode(ctx, bytes.NewReader(transparent), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := dec.(*image.Paletted).Palette[1].RGBA(); a != 0 {
		t.Fatalf("the GIF was not made transparent")
	}
	ro, err1 := HashBytes(ctx, opaque, Limits{})
	rt, err2 := HashBytes(ctx, transparent, Limits{})
	if err1 != nil || err2 != nil || ro.Hash != rt.Hash || ro.Quality != rt.Quality {
		t.Errorf("opaque %s (%v), transparent %s (%v)", ro.Hash, err1, rt.Hash, err2)
	}
}

// A YCbCr sub-image whose origin is not on a chroma sample hashes like
// the same pixels converted one by one (Go's own YCbCr semantics).
func TestYCbCrSubImageOddOrigin(t *testing.T) {
	full := image.NewYCbCr(image.Rect(0, 0, 41, 33), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range full.Y {
		full.Y[i] = uint8(i*7 + r.IntN(9))
	}
	for i := range full.Cb {
		full.Cb[i], full.Cr[i] = uint8(100+i%40), uint8(150-i%30)
	}
	sub := full.SubImage(image.Rect(3, 5, 40, 32)).(*image.YCbCr)
	want := image.NewRGBA(image.Rect(0, 0, 37, 27))
	for y := range 27 {
		for x := range 37 {
			c := sub.YCbCrAt(3+x, 5+y)
			rr, gg, bb := jpegRGB(int32(c.Y), int32(c.Cb), int32(c.Cr))
			want.SetRGBA(x, y, color.RGBA{rr, gg, bb, 255})
		}
	}
	hs, qs := HashImage(sub)
	hw, qw := HashImage(want)
	if hs != hw || qs != qw {
		t.Errorf("sub-image %s,%d, converted pixels %s,%d", hs, qs, hw, qw)
	}
}

// HashRGB is the vPDQ frame hash: the full frame (no 512 resize) through
// the RGB luma formula, even when R=G=B.
func TestHashRGB(t *testing.T) {
	img := pattern(700, 300, 8)
	rgb := make([]byte, 0, 700*300*3)
	luma := make([]float32, 0, 700*300)
	for i := 0; i < len(img.Pix); i += 4 {
		rgb = append(rgb, img.Pix[i:i+3]...)
		luma = append(luma, float32(float32(0.299*float32(img.Pix[i]))+float32(0.587*float32(img.Pix[i+1])))+float32(0.114*float32(img.Pix[i+2])))
	}
	h, q := HashRGB(rgb, 700, 300)
	hl, ql := HashLuma(luma, 700, 300)
	if h != hl || q != ql {
		t.Errorf("HashRGB %s,%d, HashLuma of the RGB luma %s,%d", h, q, hl, ql)
	}
	if hi, _ := HashImage(img); hi == h {
		t.Errorf("HashRGB resized the frame like HashImage")
	}
	if h, q := HashRGB(rgb[:4*4*3], 4, 4); !h.IsZero() || q != 0 {
		t.Errorf("4x4 frame hashed")
	}
}
