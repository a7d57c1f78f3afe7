package pdq

import (
	"image"
	"image/color"
)

// From decoded image to luma plane, as the reference gets it: the image's
// 8-bit R, G, B (what ImageMagick writes as PNM, read by CImg), the
// nearest-neighbour resize to 512x512 of images larger than 512 in either
// dimension, then float32 luma. Only the pixels that survive the resize are
// converted. The values are bit-identical to the reference's for the same
// RGB; see doc.go for where the RGB itself can differ.

// source is the decoder an image came from, which decides two quirks of the
// reference: whether an image with R=G=B everywhere takes the grey path,
// and which YCbCr to RGB conversion applies.
type source int

const (
	// fromAny: any decoder whose output the reference would get through
	// ImageMagick: grey detection, and JPEG's (libjpeg's) YCbCr.
	fromAny source = iota
	// fromBMP: the reference reads BMP with CImg's own loader, which
	// always yields three channels (no grey path).
	fromBMP
	// fromWebP: lossy WebP, whose YUV is limited-range BT.601 converted by
	// libwebp's fixed-point formulas.
	fromWebP
)

// Luma coefficients, float32 as in the reference; lumaR[v] is the float32
// product 0.299f*v, and so on, so a pixel's luma is
// (lumaR[r] + lumaG[g]) + lumaB[b], each step rounded to float32 as the
// reference's expression is.
var lumaR, lumaG, lumaB, grey [256]float32

func init() {
	const cr, cg, cb float32 = 0.299, 0.587, 0.114
	for v := range 256 {
		f := float32(v)
		lumaR[v] = float32(cr * f)
		lumaG[v] = float32(cg * f)
		lumaB[v] = float32(cb * f)
		grey[v] = f
	}
}

func lumaRGB(r, g, b uint8) float32 {
	return float32(lumaR[r]+lumaG[g]) + lumaB[b]
}

// rgbScratch holds the sampling tables of one conversion.
type rgbScratch struct {
	xs, ys []int // sampled source columns and rows, relative to Bounds().Min
	col    []sampleCol
	pal    []paletteEntry
}

type paletteEntry struct {
	r, g, b uint8
	grey    bool
}

// sampling fills s.rgb.xs and s.rgb.ys for an image of w x h and returns
// the plane's size: the image's own, or 512x512 for a larger image, whose
// output pixel (x, y) is source pixel (floor(x*w/512), floor(y*h/512)) as
// in CImg's nearest-neighbour resize.
func (s *scratch) sampling(w, h int) (rows, cols int) {
	cols, rows = w, h
	if w > resizeDim || h > resizeDim {
		cols, rows = resizeDim, resizeDim
	}
	s.rgb.xs = growInts(s.rgb.xs, cols)
	s.rgb.ys = growInts(s.rgb.ys, rows)
	for x := range cols {
		s.rgb.xs[x] = x * w / cols
	}
	for y := range rows {
		s.rgb.ys[y] = y * h / rows
	}
	return rows, cols
}

func growInts(b []int, n int) []int {
	if cap(b) < n {
		return make([]int, n)
	}
	return b[:n]
}

// HashImage computes the PDQ hash and quality of a decoded image as the
// reference does: images larger than 512 in either dimension are first
// sampled down to 512x512, and 8-bit R, G, B (alpha ignored) are turned
// into float32 luma; an image whose pixels all have R=G=B is read as grey.
// Images smaller than 5 pixels in either dimension give the zero hash and
// quality 0. See the package documentation for 16-bit images, YCbCr and
// the other decoder differences.
func HashImage(img image.Image) (Hash, int) {
	h, _, q := hashImage(img, fromAny)
	return h, q
}

// DihedralImage computes the eight dihedral hashes and the quality of a
// decoded image; see HashImage.
func DihedralImage(img image.Image) (Dihedral, int) {
	_, d, q := hashImage(img, fromAny)
	return d, q
}

func hashImage(img image.Image, src source) (Hash, Dihedral, int) {
	s := getScratch()
	defer putScratch(s)
	rows, cols := s.fill(img, src)
	return s.hashAndDihedral(rows, cols)
}

// fill converts img into s.luma and returns the plane's size.
func (s *scratch) fill(img image.Image, src source) (rows, cols int) {
	b := img.Bounds()
	if b.Empty() {
		return 0, 0
	}
	rows, cols = s.sampling(b.Dx(), b.Dy())
	plane := s.plane(rows, cols)
	switch m := img.(type) {
	case *image.Gray:
		s.fillGray(m, plane, cols)
	case *image.Gray16:
		s.fillGray16(m, plane, cols)
	case *image.RGBA:
		s.fill8(m.Pix, m.Stride, b, 4, src, plane, cols)
	case *image.NRGBA:
		s.fill8(m.Pix, m.Stride, b, 4, src, plane, cols)
	case *image.RGBA64:
		s.fill16(m.Pix, m.Stride, b, src, plane, cols)
	case *image.NRGBA64:
		s.fill16(m.Pix, m.Stride, b, src, plane, cols)
	case *image.Paletted:
		s.fillPaletted(m, src, plane, cols)
	case *image.YCbCr:
		s.fillYCbCr(m, src, plane, cols)
	case *image.NYCbCrA:
		s.fillYCbCr(&m.YCbCr, src, plane, cols)
	case *image.CMYK:
		s.fillCMYK(m, src, plane, cols)
	default:
		s.fillAny(img, src, plane, cols)
	}
	return rows, cols
}

func (s *scratch) fillGray(m *image.Gray, plane []float32, cols int) {
	for y, sy := range s.rgb.ys {
		row := m.Pix[sy*m.Stride:]
		out := plane[y*cols : (y+1)*cols]
		for x, sx := range s.rgb.xs {
			out[x] = grey[row[sx]]
		}
	}
}

// fillGray16 keeps the low byte of each 16-bit sample, as the reference
// does (CImg casts ImageMagick's 16-bit PNM samples to uint8).
func (s *scratch) fillGray16(m *image.Gray16, plane []float32, cols int) {
	for y, sy := range s.rgb.ys {
		row := m.Pix[sy*m.Stride:]
		out := plane[y*cols : (y+1)*cols]
		for x, sx := range s.rgb.xs {
			out[x] = grey[row[2*sx+1]]
		}
	}
}

// fill8 converts 8-bit interleaved samples, bpp bytes a pixel with R, G, B
// first (RGBA, NRGBA: alpha is ignored, not composited).
func (s *scratch) fill8(pix []byte, stride int, b image.Rectangle, bpp int, src source, plane []float32, cols int) {
	w, h := b.Dx(), b.Dy()
	isGrey := src != fromBMP
	for y := 0; y < h && isGrey; y++ {
		row := pix[y*stride : y*stride+w*bpp]
		for i := 0; i < len(row); i += bpp {
			if row[i] != row[i+1] || row[i] != row[i+2] {
				isGrey = false
				break
			}
		}
	}
	for y, sy := range s.rgb.ys {
		row := pix[sy*stride:]
		out := plane[y*cols : (y+1)*cols]
		if isGrey {
			for x, sx := range s.rgb.xs {
				out[x] = grey[row[sx*bpp]]
			}
			continue
		}
		for x, sx := range s.rgb.xs {
			p := row[sx*bpp : sx*bpp+3 : sx*bpp+3]
			out[x] = lumaRGB(p[0], p[1], p[2])
		}
	}
}

// fill16 converts 16-bit RGBA64 or NRGBA64 samples: the grey test is on the
// full 16-bit values (as ImageMagick's), the luma on the low bytes (as
// CImg's cast).
func (s *scratch) fill16(pix []byte, stride int, b image.Rectangle, src source, plane []float32, cols int) {
	w, h := b.Dx(), b.Dy()
	isGrey := src != fromBMP
	for y := 0; y < h && isGrey; y++ {
		row := pix[y*stride : y*stride+w*8]
		for i := 0; i < len(row); i += 8 {
			if row[i] != row[i+2] || row[i] != row[i+4] || row[i+1] != row[i+3] || row[i+1] != row[i+5] {
				isGrey = false
				break
			}
		}
	}
	for y, sy := range s.rgb.ys {
		row := pix[sy*stride:]
		out := plane[y*cols : (y+1)*cols]
		for x, sx := range s.rgb.xs {
			p := row[sx*8 : sx*8+6 : sx*8+6]
			if isGrey {
				out[x] = grey[p[1]]
			} else {
				out[x] = lumaRGB(p[1], p[3], p[5])
			}
		}
	}
}

func (s *scratch) fillPaletted(m *image.Paletted, src source, plane []float32, cols int) {
	// 256 entries, whatever the palette's length: an index beyond it
	// (which Go's decoders can let through) reads as black.
	s.rgb.pal = append(s.rgb.pal[:0], make([]paletteEntry, 256)...)
	for i := range s.rgb.pal {
		s.rgb.pal[i].grey = true
	}
	for i, c := range m.Palette {
		if i >= 256 {
			break
		}
		r, g, b := rgb8(c)
		s.rgb.pal[i] = paletteEntry{r, g, b, r == g && g == b}
	}
	pal := s.rgb.pal[:256]
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	isGrey := src != fromBMP
	for y := 0; y < h && isGrey; y++ {
		for _, i := range m.Pix[y*m.Stride : y*m.Stride+w] {
			if !pal[i].grey {
				isGrey = false
				break
			}
		}
	}
	for y, sy := range s.rgb.ys {
		row := m.Pix[sy*m.Stride:]
		out := plane[y*cols : (y+1)*cols]
		for x, sx := range s.rgb.xs {
			e := pal[row[sx]]
			if isGrey {
				out[x] = grey[e.r]
			} else {
				out[x] = lumaRGB(e.r, e.g, e.b)
			}
		}
	}
}

// rgb8 returns the 8-bit colour channels of a palette entry without
// compositing or un-premultiplying alpha.
func rgb8(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case color.RGBA:
		return c.R, c.G, c.B
	case color.NRGBA:
		return c.R, c.G, c.B
	case color.Gray:
		return c.Y, c.Y, c.Y
	case color.RGBA64:
		return q16to8(c.R), q16to8(c.G), q16to8(c.B)
	case color.NRGBA64:
		return q16to8(c.R), q16to8(c.G), q16to8(c.B)
	case nil:
		return 0, 0, 0
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return q16to8(n.R), q16to8(n.G), q16to8(n.B)
}

// q16to8 scales a 16-bit value to 8 bits as ImageMagick's Q16
// ScaleQuantumToChar does (rounding to nearest).
func q16to8(v uint16) uint8 {
	q := uint32(v) + 128
	return uint8((q - q>>8) >> 8)
}

func (s *scratch) fillCMYK(m *image.CMYK, src source, plane []float32, cols int) {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	isGrey := src != fromBMP
	for y := 0; y < h && isGrey; y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+w*4]
		for i := 0; i < len(row); i += 4 {
			if row[i] != row[i+1] || row[i] != row[i+2] {
				r, g, bb := cmykRGB(row[i], row[i+1], row[i+2], row[i+3])
				if r != g || r != bb {
					isGrey = false
					break
				}
			}
		}
	}
	for y, sy := range s.rgb.ys {
		row := m.Pix[sy*m.Stride:]
		out := plane[y*cols : (y+1)*cols]
		for x, sx := range s.rgb.xs {
			p := row[sx*4 : sx*4+4 : sx*4+4]
			r, g, bb := cmykRGB(p[0], p[1], p[2], p[3])
			if isGrey {
				out[x] = grey[r]
			} else {
				out[x] = lumaRGB(r, g, bb)
			}
		}
	}
}

// cmykRGB converts CMYK as ImageMagick does before writing PNM (Q16,
// ConvertCMYKToRGB in double, ClampToQuantum, then 8 bits), which rounds
// differently from color.CMYKToRGB.
func cmykRGB(c, m, y, k uint8) (r, g, b uint8) {
	return imCMYK(c, k), imCMYK(m, k), imCMYK(y, k)
}

func imCMYK(c, k uint8) uint8 {
	const qr = 65535.0
	c16, k16 := float64(uint32(c)*257), float64(uint32(k)*257)
	v := qr - ((1.0/qr)*c16*(qr-k16) + k16)
	switch {
	case v <= 0:
		return 0
	case v >= qr:
		return 255
	}
	return q16to8(uint16(v + 0.5))
}

// fillAny handles image types no Go decoder here produces, through At:
// 8-bit non-premultiplied colour, rounded from 16 bits.
func (s *scratch) fillAny(img image.Image, src source, plane []float32, cols int) {
	b := img.Bounds()
	at := func(x, y int) (uint8, uint8, uint8) {
		c := img.At(b.Min.X+x, b.Min.Y+y)
		if c == nil {
			return 0, 0, 0
		}
		return rgb8(c)
	}
	isGrey := src != fromBMP
	for y := 0; y < b.Dy() && isGrey; y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bb := at(x, y)
			if r != g || r != bb {
				isGrey = false
				break
			}
		}
	}
	for y, sy := range s.rgb.ys {
		out := plane[y*cols : (y+1)*cols]
		for x, sx := range s.rgb.xs {
			r, g, bb := at(sx, sy)
			if isGrey {
				out[x] = grey[r]
			} else {
				out[x] = lumaRGB(r, g, bb)
			}
		}
	}
}

// HashRGB hashes a frame of packed 8-bit RGB (3 bytes a pixel, w*h*3
// bytes, row-major) at its full size, as the reference's vPDQ hashes video
// frames (pdqbufferhasher: RGB luma, no 512 resize, no grey detection).
// It panics if len(rgb) < w*h*3.
func HashRGB(rgb []byte, w, h int) (Hash, int) {
	if w < 0 || h < 0 || len(rgb) < w*h*3 {
		panic("pdq: RGB frame shorter than w*h*3")
	}
	if w < minHashableDim || h < minHashableDim {
		return Hash{}, 0
	}
	s := getScratch()
	defer putScratch(s)
	plane := s.plane(h, w)
	for i := range plane {
		p := rgb[3*i : 3*i+3 : 3*i+3]
		plane[i] = lumaRGB(p[0], p[1], p[2])
	}
	q := s.float256(plane, h, w, true)
	return s.bits(&s.dct), q
}
