package pdq

import "image"

// YCbCr to RGB, per sampled pixel, the way the reference's decoders do it.
//
// JPEG: ImageMagick reads JPEG through libjpeg(-turbo) with its defaults:
// "fancy" chroma upsampling (a triangle filter, 3/4 of the nearer chroma
// sample and 1/4 of the farther one in each subsampled direction, with
// libjpeg's rounding biases; 4:2:0, 4:2:2 and, as libjpeg-turbo, 4:4:0) and the fixed-point YCbCr conversion of
// jdcolor.c (16 fractional bits, rounding half up). Both are reproduced
// here on Go's decoded planes; Go's own color.YCbCrToRGB rounds
// differently and Go upsamples by repetition. What remains different is
// the inverse DCT of Go's decoder (see doc.go).
//
// WebP (lossy, always 4:2:0): libwebp converts limited-range BT.601 YUV
// with its own fixed-point formulas (14-bit coefficients, 6 fractional
// bits) after its own "fancy" upsampling (9-3-3-1 weights, computed with
// its rounding); both are reproduced. VP8 reconstruction is exactly
// specified, so Go's decoder gives libwebp's planes.

// jpegRGB converts one pixel as libjpeg's ycc_rgb_convert.
func jpegRGB(y, cb, cr int32) (r, g, b uint8) {
	cb -= 128
	cr -= 128
	return clamp8(y + (91881*cr+32768)>>16),
		clamp8(y + (-22554*cb-46802*cr+32768)>>16),
		clamp8(y + (116130*cb+32768)>>16)
}

// webpRGB converts one pixel as libwebp's VP8YuvToRgb.
func webpRGB(y, u, v int32) (r, g, b uint8) {
	hi := func(x, c int32) int32 { return (x * c) >> 8 }
	return clip8webp(hi(y, 19077) + hi(v, 26149) - 14234),
		clip8webp(hi(y, 19077) - hi(u, 6419) - hi(v, 13320) + 8708),
		clip8webp(hi(y, 19077) + hi(u, 33050) - 17685)
}

func clip8webp(v int32) uint8 {
	const mask = (256 << 6) - 1
	if v&^mask == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

func clamp8(v int32) uint8 {
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// chroma knows how to find the (upsampled) chroma of any pixel of a
// YCbCr image, relative to its Bounds().Min.
type chroma struct {
	m          *image.YCbCr
	webp       bool // libwebp's fancy upsampling (4:2:0 only)
	cw, ch     int  // chroma plane size in use: ceil(w/hs), ceil(h/vs)
	hs, vs     int  // subsampling factors
	fancyH     bool // libjpeg h2 fancy upsampling along rows
	fancyV     bool // libjpeg v2 fancy upsampling along columns (with fancyH)
	fancyVOnly bool // libjpeg-turbo h1v2 fancy upsampling (4:4:0)
	nearestAll bool // no fancy upsampling: repeat each chroma sample
	unaligned  bool // origin not on a chroma sample: use COffset
}

func newChroma(m *image.YCbCr, src source) chroma {
	b := m.Rect
	c := chroma{m: m, hs: 1, vs: 1}
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		c.hs = 2
	case image.YCbCrSubsampleRatio420:
		c.hs, c.vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		c.vs = 2
	case image.YCbCrSubsampleRatio411:
		c.hs = 4
	case image.YCbCrSubsampleRatio410:
		c.hs, c.vs = 4, 2
	}
	c.cw = (b.Dx() + c.hs - 1) / c.hs
	c.ch = (b.Dy() + c.vs - 1) / c.vs
	if b.Min.X%c.hs != 0 || b.Min.Y%c.vs != 0 {
		// A sub-image whose origin is not on a chroma sample (decoders
		// never produce one): repeat samples, as Go's own YCbCr does.
		c.nearestAll, c.unaligned = true, true
		return c
	}
	switch {
	case src == fromWebP && c.hs == 2 && c.vs == 2:
		c.webp = true
	case src == fromWebP:
		c.nearestAll = true
	case c.hs == 2 && c.vs == 2:
		c.fancyH, c.fancyV = true, true
	case c.hs == 2 && c.vs == 1:
		c.fancyH = true
	case c.hs == 1 && c.vs == 2:
		c.fancyVOnly = true
	default:
		c.nearestAll = true
	}
	return c
}

// cOffset is the offset of chroma sample (cx, cy) in Cb and Cr, with
// (cx, cy) counted from the chroma sample of Bounds().Min.
func (c *chroma) cOffset(cx, cy int) int {
	b := c.m.Rect
	return c.m.COffset(b.Min.X, b.Min.Y) + cy*c.m.CStride + cx
}

// at returns the upsampled Cb and Cr of pixel (x, y), relative to Min.
// This general form serves the grey test; the luma loop below inlines
// the same arithmetic with precomputed indices.
func (c *chroma) at(x, y int) (cb, cr int32) {
	if c.unaligned {
		o := c.m.COffset(c.m.Rect.Min.X+x, c.m.Rect.Min.Y+y)
		return int32(c.m.Cb[o]), int32(c.m.Cr[o])
	}
	if c.nearestAll {
		o := c.cOffset(x/c.hs, y/c.vs)
		return int32(c.m.Cb[o]), int32(c.m.Cr[o])
	}
	if c.webp {
		return c.webpAt(x, y)
	}
	if c.fancyVOnly {
		// (3 x nearer row + farther row + bias) >> 2, bias 1 above
		// and 2 below.
		near, far := c.rows(y)
		bias := int32(1 + y&1)
		return (3*int32(c.m.Cb[near+x]) + int32(c.m.Cb[far+x]) + bias) >> 2,
			(3*int32(c.m.Cr[near+x]) + int32(c.m.Cr[far+x]) + bias) >> 2
	}
	k, nk, xb := c.column(x)
	if !c.fancyV {
		o := c.cOffset(0, y)
		return (3*int32(c.m.Cb[o+k]) + int32(c.m.Cb[o+nk]) + xb) >> 2,
			(3*int32(c.m.Cr[o+k]) + int32(c.m.Cr[o+nk]) + xb) >> 2
	}
	m0, m1 := c.rows(y)
	return fancy2(c.m.Cb, m0, m1, k, nk, xb), fancy2(c.m.Cr, m0, m1, k, nk, xb)
}

// column returns, for pixel column x, its chroma column k, the farther
// neighbour nk (clamped to the plane: at the edges libjpeg's special cases
// equal the general formula with nk = k), and the rounding bias.
func (c *chroma) column(x int) (k, nk int, bias int32) {
	k = x >> 1
	if x&1 == 0 {
		nk = max(k-1, 0)
		bias = 1 // h2v1: (3a + b + 1) >> 2
		if c.fancyV {
			bias = 8 // h2v2: (3a + b + 8) >> 4
		}
	} else {
		nk = min(k+1, c.cw-1)
		bias = 2 // h2v1: (3a + b + 2) >> 2
		if c.fancyV {
			bias = 7 // h2v2: (3a + b + 7) >> 4
		}
	}
	return k, nk, bias
}

// rows returns the offsets of the nearer and farther chroma rows of pixel
// row y (h2v2), the farther one clamped to the plane as libjpeg's context
// rows replicate the first and last rows.
func (c *chroma) rows(y int) (near, far int) {
	m := y >> 1
	mv := max(m-1, 0)
	if y&1 == 1 {
		mv = min(m+1, c.ch-1)
	}
	return c.cOffset(0, m), c.cOffset(0, mv)
}

// fancy2 is libjpeg's h2v2 fancy upsampling of one sample: column sums of
// 3 x nearer row + farther row, then 3 x nearer column sum + farther one.
func fancy2(p []byte, near, far, k, nk int, bias int32) int32 {
	a := 3*int32(p[near+k]) + int32(p[far+k])
	b := 3*int32(p[near+nk]) + int32(p[far+nk])
	return (3*a + b + bias) >> 4
}

// webpAt is libwebp's fancy upsampling (UpsampleRgbLinePair) of pixel
// (x, y). It pairs chroma rows as libjpeg does (rows). Column 0, and the
// last column of an even width, interpolate vertically only: (3 x nearer
// + farther + 2) >> 2. Other pixels mix the nearest sample a, its
// horizontal and vertical neighbours b and c, and the diagonal one d as
// ((((a+b+c+d+8) + 2(b+c)) >> 3) + a) >> 1, libwebp's rounding of
// (9a + 3b + 3c + d + 8) / 16.
func (c *chroma) webpAt(x, y int) (cb, cr int32) {
	near, far := c.rows(y)
	k := x >> 1
	if x == 0 || (x&1 == 1 && k+1 >= c.cw) {
		v := func(p []byte) int32 { return (3*int32(p[near+k]) + int32(p[far+k]) + 2) >> 2 }
		return v(c.m.Cb), v(c.m.Cr)
	}
	kh := k + 1
	if x&1 == 0 {
		kh = k - 1
	}
	v := func(p []byte) int32 {
		a, b, c, d := int32(p[near+k]), int32(p[near+kh]), int32(p[far+k]), int32(p[far+kh])
		return ((((a + b + c + d + 8) + 2*(b+c)) >> 3) + a) >> 1
	}
	return v(c.m.Cb), v(c.m.Cr)
}

// fillYCbCr converts the sampled pixels of a YCbCr image.
func (s *scratch) fillYCbCr(m *image.YCbCr, src source, plane []float32, cols int) {
	c := newChroma(m, src)
	conv := jpegRGB
	if src == fromWebP {
		conv = webpRGB
	}
	isGrey := src != fromBMP && s.yccGrey(m, &c, conv)
	b := m.Rect
	y0 := m.YOffset(b.Min.X, b.Min.Y)
	if isGrey {
		// R = G = B everywhere: the reference's grey path, luma = R.
		for y, sy := range s.rgb.ys {
			row := m.Y[y0+sy*m.YStride:]
			out := plane[y*cols : (y+1)*cols]
			for x, sx := range s.rgb.xs {
				cb, cr := c.at(sx, sy)
				r, _, _ := conv(int32(row[sx]), cb, cr)
				out[x] = grey[r]
			}
		}
		return
	}
	switch {
	case c.fancyV:
		s.fillYCbCr420(m, &c, plane, cols)
	default:
		for y, sy := range s.rgb.ys {
			row := m.Y[y0+sy*m.YStride:]
			out := plane[y*cols : (y+1)*cols]
			for x, sx := range s.rgb.xs {
				cb, cr := c.at(sx, sy)
				r, g, bb := conv(int32(row[sx]), cb, cr)
				out[x] = lumaRGB(r, g, bb)
			}
		}
	}
}

// fillYCbCr420 is the common JPEG case (4:2:0 with fancy upsampling) with
// the per-column chroma indices computed once.
func (s *scratch) fillYCbCr420(m *image.YCbCr, c *chroma, plane []float32, cols int) {
	b := m.Rect
	y0 := m.YOffset(b.Min.X, b.Min.Y)
	xs := s.rgb.xs
	if cap(s.rgb.col) < len(xs) {
		s.rgb.col = make([]sampleCol, len(xs))
	}
	idx := s.rgb.col[:len(xs)]
	for x, sx := range xs {
		k, nk, bias := c.column(sx)
		idx[x] = sampleCol{int32(sx), int32(k), int32(nk), bias}
	}
	for y, sy := range s.rgb.ys {
		row := m.Y[y0+sy*m.YStride : y0+sy*m.YStride+b.Dx()]
		near, far := c.rows(sy)
		cbn, cbf := m.Cb[near:near+c.cw], m.Cb[far:far+c.cw]
		crn, crf := m.Cr[near:near+c.cw], m.Cr[far:far+c.cw]
		out := plane[y*cols : (y+1)*cols]
		out = out[:len(idx)]
		for x, p := range idx {
			k, nk := p.k, p.nk
			cb := (3*(3*int32(cbn[k])+int32(cbf[k])) + 3*int32(cbn[nk]) + int32(cbf[nk]) + p.bias) >> 4
			cr := (3*(3*int32(crn[k])+int32(crf[k])) + 3*int32(crn[nk]) + int32(crf[nk]) + p.bias) >> 4
			yy := int32(row[p.sx])
			// jpegRGB, with table lookups for the products and clamps
			// (cb and cr are within 0..255 by construction).
			r := clampTab[(yy+crR[uint8(cr)]+clampOff)&clampMask]
			g := clampTab[(yy+(cbG[uint8(cb)]+crG[uint8(cr)])>>16+clampOff)&clampMask]
			bb := clampTab[(yy+cbB[uint8(cb)]+clampOff)&clampMask]
			out[x] = float32(lumaR[r]+lumaG[g]) + lumaB[bb]
		}
	}
}

// sampleCol is one sampled column of a 4:2:0 image: its luma column, its
// chroma column, the farther chroma column and the rounding bias.
type sampleCol struct {
	sx, k, nk, bias int32
}

// libjpeg's conversion tables (jdcolor.c build_ycc_rgb_table) and a
// clamping table; jpegRGB computes the same values directly.
var (
	crR, cbB, cbG, crG [256]int32
	clampTab           [2 * clampOff]uint8
)

// clampTab[(v+clampOff)&clampMask] is v clamped to 0..255 for any v in
// -clampOff..clampOff-1 (the conversion's results are within -227..482).
const (
	clampOff  = 1024
	clampMask = 2*clampOff - 1
)

func init() {
	for i := range 256 {
		x := int32(i) - 128
		crR[i] = (91881*x + 32768) >> 16
		cbB[i] = (116130*x + 32768) >> 16
		crG[i] = -46802 * x
		cbG[i] = -22554*x + 32768
	}
	for i := range clampTab {
		clampTab[i] = clamp8(int32(i - clampOff))
	}
}

// yccGrey reports whether every pixel converts to R=G=B. A pixel whose
// upsampled chroma is (128, 128) always does, and upsampled chroma can
// only differ from 128 near a chroma sample that does; so only the pixels
// around such samples are converted, and the first that is not grey ends
// the test (at once, for a colour photograph).
func (s *scratch) yccGrey(m *image.YCbCr, c *chroma, conv func(y, cb, cr int32) (uint8, uint8, uint8)) bool {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	y0 := m.YOffset(b.Min.X, b.Min.Y)
	if c.unaligned {
		for y := range h {
			for x := range w {
				cb, cr := c.at(x, y)
				r, g, bb := conv(int32(m.Y[y0+y*m.YStride+x]), cb, cr)
				if r != g || r != bb {
					return false
				}
			}
		}
		return true
	}
	for cy := 0; cy < c.ch; cy++ {
		o := c.cOffset(0, cy)
		cbRow, crRow := m.Cb[o:o+c.cw], m.Cr[o:o+c.cw]
		for cx := range cbRow {
			if cbRow[cx] == 128 && crRow[cx] == 128 {
				continue
			}
			// Pixels whose upsampling reads this sample.
			for y := max(cy*c.vs-c.vs+1, 0); y < min((cy+2)*c.vs, h); y++ {
				for x := max(cx*c.hs-c.hs+1, 0); x < min((cx+2)*c.hs, w); x++ {
					cb, cr := c.at(x, y)
					r, g, bb := conv(int32(m.Y[y0+y*m.YStride+x]), cb, cr)
					if r != g || r != bb {
						return false
					}
				}
			}
		}
	}
	return true
}
