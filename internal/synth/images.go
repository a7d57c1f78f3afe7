package synth

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"sync"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Images here are procedural and benign: gradients, flat shapes, noise
// and a text label. They are drawn straight into an RGBA buffer and
// encoded with the standard JPEG encoder (the cost that matters), and are
// a pure function of their seed: the same seed gives the same bytes.
//
// Item images (the "known" material of a synthetic operation) are busy
// compositions of large shapes, so that their PDQ hashes are of high
// quality and far apart from each other and from the other pictures;
// photo-like background pictures are landscapes of gradients and blobs;
// thumbnails are small and plain.

// Picture kinds drawn by Draw.
const (
	PictureItem  = "item"  // a composition of shapes with an "ITEM nnnn" label
	PicturePhoto = "photo" // a landscape-like scene of gradients and blobs
	PictureThumb = "thumb" // a small plain picture (app caches)
	PictureShot  = "shot"  // a flat "screenshot": bars and text lines
)

// Variant kinds: the near-duplicates of an item that exact hashes miss and
// PDQ catches.
const (
	VariantResized      = "resized"      // scaled to about 75 %
	VariantRecompressed = "recompressed" // decoded and encoded again at low quality
	VariantCropped      = "cropped"      // about 1 % cut from each border
	VariantMirrored     = "mirrored"     // flipped left to right
)

// VariantKinds lists the variant kinds in a fixed order.
var VariantKinds = []string{VariantResized, VariantRecompressed, VariantCropped, VariantMirrored}

var rgbaPool sync.Pool // *image.RGBA, reused across pictures of any size

func getRGBA(w, h int) *image.RGBA {
	if v, ok := rgbaPool.Get().(*image.RGBA); ok && cap(v.Pix) >= 4*w*h {
		v.Pix = v.Pix[:4*w*h]
		v.Stride = 4 * w
		v.Rect = image.Rect(0, 0, w, h)
		return v
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

func putRGBA(m *image.RGBA) { rgbaPool.Put(m) }

// DrawItem draws the picture of known item n of an operation with the
// given seed: w×h pixels of gradient, shapes and noise, labelled
// "ITEM nnnn". The caller may return the image with ReleaseImage.
func DrawItem(seed uint64, n, w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 0x17e3<<32|uint64(n)))
	m := getRGBA(w, h)
	gradient(m, r, randColor(r, 40, 220), randColor(r, 40, 220))
	// Many mid-sized shapes spread the image's energy over the frequencies
	// PDQ keeps, which makes the hash stable under resizing and
	// recompression and far from other items'.
	shapes := 28 + r.IntN(5)
	for i := 0; i < shapes; i++ {
		randomShape(m, r, randColor(r, 0, 255), 0.1, 0.3)
	}
	noise(m, r, 4)
	label(m, fmt.Sprintf("ITEM %04d", n), 6, 6, 2)
	return m
}

// DrawPicture draws a background picture of the given kind.
func DrawPicture(kind string, seed uint64, w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 0x9a11<<32|uint64(w)<<16|uint64(h)))
	m := getRGBA(w, h)
	switch kind {
	case PicturePhoto:
		// Sky and ground with a tilted horizon, blobs, then noise. Colours
		// change by row only, so each row's two colours are worked out once.
		sky0, sky1 := randColor(r, 120, 250), randColor(r, 60, 200)
		gnd0, gnd1 := randColor(r, 20, 160), randColor(r, 10, 120)
		horizon := float64(h) * (0.3 + 0.4*r.Float64())
		tilt := (r.Float64() - 0.5) * 0.6
		for y := 0; y < h; y++ {
			t := float64(y) / float64(max(h-1, 1))
			sky, gnd := mix(sky0, sky1, t), mix(gnd0, gnd1, t)
			// Pixels left of cut are sky when the horizon falls (tilt > 0)
			// to the right, and the other way round.
			fy := float64(y) - horizon
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				c := gnd
				if fy < tilt*float64(x-w/2) {
					c = sky
				}
				row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, 255
			}
		}
		blobs := 3 + r.IntN(6)
		for i := 0; i < blobs; i++ {
			randomShape(m, r, randColor(r, 0, 255), 0.05, 0.3)
		}
		noise(m, r, 6)
	case PictureShot:
		fill(m, randColor(r, 200, 255))
		bar := randColor(r, 0, 160)
		fillRect(m, 0, 0, w, h/10+1, bar)
		for y := h/10 + 8; y+10 < h; y += 14 + r.IntN(10) {
			fillRect(m, 8, y, 8+r.IntN(max(w-16, 1)), y+6, randColor(r, 60, 140))
		}
	default: // PictureThumb
		gradient(m, r, randColor(r, 0, 255), randColor(r, 0, 255))
		randomShape(m, r, randColor(r, 0, 255), 0.2, 0.6)
	}
	return m
}

// ReleaseImage lets a later Draw reuse the image's memory.
func ReleaseImage(m *image.RGBA) { putRGBA(m) }

// EncodeJPEG encodes m at the given quality, appending to buf's bytes.
func EncodeJPEG(buf *bytes.Buffer, m image.Image, quality int) error {
	return jpeg.Encode(buf, m, &jpeg.Options{Quality: quality})
}

var pngEnc = png.Encoder{CompressionLevel: png.BestSpeed}

// EncodePNG encodes m as a PNG (fast compression).
func EncodePNG(buf *bytes.Buffer, m image.Image) error { return pngEnc.Encode(buf, m) }

// ItemJPEG returns the JPEG file of known item n (w×h, quality 88).
func ItemJPEG(seed uint64, n, w, h int) ([]byte, error) {
	m := DrawItem(seed, n, w, h)
	defer ReleaseImage(m)
	var b bytes.Buffer
	if err := EncodeJPEG(&b, m, 88); err != nil {
		return nil, fmt.Errorf("item %d: %w", n, err)
	}
	return b.Bytes(), nil
}

// MakeVariant derives a near-duplicate of a JPEG file: decoded, then
// resized, recompressed, cropped or mirrored, and encoded again. strength
// in (0, 1] scales how far it goes (1 is the default amount; smaller is
// milder), so a caller can back off when a variant strays too far.
func MakeVariant(orig []byte, kind string, strength float64) ([]byte, error) {
	src, err := jpeg.Decode(bytes.NewReader(orig))
	if err != nil {
		return nil, fmt.Errorf("variant %s: decoding the original: %w", kind, err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	var out image.Image
	quality := 85
	switch kind {
	case VariantResized:
		f := 1 - 0.25*strength
		nw, nh := max(int(float64(w)*f), 16), max(int(float64(h)*f), 16)
		dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
		xdraw.BiLinear.Scale(dst, dst.Bounds(), src, b, xdraw.Src, nil)
		out = dst
	case VariantRecompressed:
		out, quality = src, 60-int(25*strength)
	case VariantCropped:
		cx, cy := max(int(float64(w)*0.008*strength), 1), max(int(float64(h)*0.008*strength), 1)
		dst := image.NewRGBA(image.Rect(0, 0, w-2*cx, h-2*cy))
		xdraw.Copy(dst, image.Point{}, src, image.Rect(b.Min.X+cx, b.Min.Y+cy, b.Max.X-cx, b.Max.Y-cy), xdraw.Src, nil)
		out, quality = dst, 90
	case VariantMirrored:
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		xdraw.Copy(dst, image.Point{}, src, b, xdraw.Src, nil)
		for y := 0; y < h; y++ {
			row := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
				a, c := row[4*i:4*i+4], row[4*j:4*j+4]
				a[0], a[1], a[2], a[3], c[0], c[1], c[2], c[3] = c[0], c[1], c[2], c[3], a[0], a[1], a[2], a[3]
			}
		}
		out, quality = dst, 90
	default:
		return nil, fmt.Errorf("variant kind %q: use one of %v", kind, VariantKinds)
	}
	var buf bytes.Buffer
	if err := EncodeJPEG(&buf, out, quality); err != nil {
		return nil, fmt.Errorf("variant %s: %w", kind, err)
	}
	return buf.Bytes(), nil
}

// Drawing primitives, all on *image.RGBA's Pix for speed.

func randColor(r *rand.Rand, lo, hi int) color.RGBA {
	c := func() uint8 { return uint8(lo + r.IntN(hi-lo+1)) }
	return color.RGBA{c(), c(), c(), 255}
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	t = math.Min(math.Max(t, 0), 1)
	l := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

func fill(m *image.RGBA, c color.RGBA) {
	fillRect(m, 0, 0, m.Rect.Dx(), m.Rect.Dy(), c)
}

func fillRect(m *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
	for y := y0; y < y1; y++ {
		row := m.Pix[y*m.Stride:]
		for x := x0; x < x1; x++ {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, 255
		}
	}
}

// gradient fills m with a linear gradient from a to b along a random
// direction.
func gradient(m *image.RGBA, r *rand.Rand, a, b color.RGBA) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	th := r.Float64() * 2 * math.Pi
	dx, dy := math.Cos(th), math.Sin(th)
	span := math.Abs(dx)*float64(w) + math.Abs(dy)*float64(h)
	off := math.Min(0, dx*float64(w)) + math.Min(0, dy*float64(h))
	var lut [256]color.RGBA
	for i := range lut {
		lut[i] = mix(a, b, float64(i)/255)
	}
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride:]
		for x := 0; x < w; x++ {
			t := (dx*float64(x) + dy*float64(y) - off) / span
			c := lut[int(t*255)&255]
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, 255
		}
	}
}

// randomShape draws a filled circle, ellipse, rectangle, triangle or band,
// sized between lo and hi of the smaller side.
func randomShape(m *image.RGBA, r *rand.Rand, c color.RGBA, lo, hi float64) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	s := float64(min(w, h))
	size := func() float64 { return s * (lo + (hi-lo)*r.Float64()) }
	cx, cy := r.Float64()*float64(w), r.Float64()*float64(h)
	switch r.IntN(5) {
	case 0, 1: // ellipse (a circle when rx = ry)
		rx, ry := size(), size()
		if r.IntN(2) == 0 {
			ry = rx
		}
		y0, y1 := int(cy-ry), int(cy+ry)+1
		for y := max(y0, 0); y < min(y1, h); y++ {
			t := (float64(y) + 0.5 - cy) / ry
			if t*t > 1 {
				continue
			}
			half := rx * math.Sqrt(1-t*t)
			fillRect(m, int(cx-half), y, int(cx+half)+1, y+1, c)
		}
	case 2: // rectangle
		rw, rh := size(), size()
		fillRect(m, int(cx-rw/2), int(cy-rh/2), int(cx+rw/2), int(cy+rh/2), c)
	case 3: // triangle
		pts := [3][2]float64{}
		for i := range pts {
			a := r.Float64() * 2 * math.Pi
			d := size()
			pts[i] = [2]float64{cx + d*math.Cos(a), cy + d*math.Sin(a)}
		}
		triangle(m, pts, c)
	default: // a band across the picture
		th := size() / 3
		if r.IntN(2) == 0 {
			fillRect(m, 0, int(cy-th), w, int(cy+th), c)
		} else {
			fillRect(m, int(cx-th), 0, int(cx+th), h, c)
		}
	}
}

func triangle(m *image.RGBA, p [3][2]float64, c color.RGBA) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	minY := int(math.Floor(math.Min(p[0][1], math.Min(p[1][1], p[2][1]))))
	maxY := int(math.Ceil(math.Max(p[0][1], math.Max(p[1][1], p[2][1]))))
	for y := max(minY, 0); y < min(maxY, h); y++ {
		fy := float64(y) + 0.5
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < 3; i++ {
			a, b := p[i], p[(i+1)%3]
			if (a[1] <= fy) == (b[1] <= fy) {
				continue
			}
			x := a[0] + (fy-a[1])*(b[0]-a[0])/(b[1]-a[1])
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		if lo <= hi {
			fillRect(m, int(lo), y, min(int(hi)+1, w), y+1, c)
		}
	}
}

// noise adds noise of about ±amp to every channel, from a fast generator
// seeded by r: one xorshift step gives the three channels' offsets,
// looked up in a table (no division).
func noise(m *image.RGBA, r *rand.Rand, amp int) {
	if amp <= 0 {
		return
	}
	var lut [64]int16
	for k := range lut {
		lut[k] = int16((k - 32) * amp / 32)
	}
	s := r.Uint64() | 1
	pix := m.Pix
	for i := 0; i+3 < len(pix); i += 4 {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		for k := 0; k < 3; k++ {
			v := int16(pix[i+k]) + lut[(s>>(6*k))&63]
			pix[i+k] = uint8(min(max(v, 0), 255))
		}
	}
}

// label writes text in black on a white box at (x, y), scaled.
func label(m *image.RGBA, text string, x, y, scale int) {
	face := basicfont.Face7x13
	tw := font.MeasureString(face, text).Ceil()
	th := face.Height
	mask := image.NewAlpha(image.Rect(0, 0, tw, th))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(text)
	pad := 2 * scale
	fillRect(m, x, y, x+tw*scale+2*pad, y+th*scale+2*pad, color.RGBA{250, 250, 250, 255})
	black := color.RGBA{10, 10, 10, 255}
	for my := 0; my < th; my++ {
		for mx := 0; mx < tw; mx++ {
			if mask.Pix[my*mask.Stride+mx] > 127 {
				px, py := x+pad+mx*scale, y+pad+my*scale
				fillRect(m, px, py, px+scale, py+scale, black)
			}
		}
	}
}
