package pdq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"sync"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Limits bound what a hostile file can make the decoder allocate. The
// header is read first and an image over a limit is refused before any
// pixel is decoded. A zero field takes the default.
type Limits struct {
	// MaxBytes is the largest encoded file read (default 256 MiB).
	MaxBytes int64
	// MaxSide is the largest width or height in pixels (default 65535).
	MaxSide int
	// MaxPixels is the largest width × height (default 1<<27, about 134
	// million: a 108-megapixel phone photograph passes).
	MaxPixels int64
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{MaxBytes: 256 << 20, MaxSide: 65535, MaxPixels: 1 << 27}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultLimits.MaxSide
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultLimits.MaxPixels
	}
	return l
}

// maxJPEGScans bounds the scans of a JPEG file (see decodeBytes).
const maxJPEGScans = 1000

var (
	// ErrFormat is returned (wrapped) for data that is none of the
	// supported image formats.
	ErrFormat = errors.New("not a JPEG, PNG, GIF, BMP, TIFF or WebP image")
	// ErrTooLarge is returned (wrapped) for an image or file over a Limit.
	ErrTooLarge = errors.New("over the decoding limit")
)

// Result is the PDQ of one decoded image.
type Result struct {
	Hash     Hash     // as the reference's pdq-photo-hasher prints it
	Quality  int      // 0 to 100; hashes under 50 are unreliable
	Dihedral Dihedral // as its --pdqdih-across prints them
	Format   string   // jpeg, png, gif, bmp, tiff or webp
	Width    int      // of the decoded image, before any resizing
	Height   int
}

// HashReader reads one image file from r (up to lim.MaxBytes), decodes it
// and computes its hash, dihedral hashes and quality. See Decode for the
// formats and the limits, and the package documentation for how the
// result relates to the reference's.
func HashReader(ctx context.Context, r io.Reader, lim Limits) (Result, error) {
	buf := getBuffer()
	defer putBuffer(buf)
	if err := readAll(buf, r, lim.withDefaults().MaxBytes); err != nil {
		return Result{}, err
	}
	return HashBytes(ctx, buf.Bytes(), lim)
}

// HashBytes is HashReader for a file already in memory. It does not keep
// or modify data.
func HashBytes(ctx context.Context, data []byte, lim Limits) (Result, error) {
	if c, ok := sniff(data); ok && c.name == "jpeg" {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		// This package's decoder, straight to the luma plane; image/jpeg
		// for the files it does not read.
		if r, ok, err := hashJPEG(ctx, data, lim.withDefaults()); ok {
			return r, err
		}
	}
	img, format, err := decodeBytes(ctx, data, lim.withDefaults())
	if err != nil {
		return Result{}, err
	}
	src := fromAny
	switch {
	case format == "bmp":
		src = fromBMP
	case format == "webp":
		if _, ok := img.(*image.NRGBA); !ok {
			src = fromWebP
		}
	}
	h, d, q := hashImage(img, src)
	b := img.Bounds()
	return Result{Hash: h, Quality: q, Dihedral: d, Format: format, Width: b.Dx(), Height: b.Dy()}, nil
}

// Decode reads one image file from r (up to lim.MaxBytes) and decodes it:
// JPEG, PNG, GIF (the first frame), BMP, TIFF (the first image) or WebP
// (still images). The format is recognised from the content, not from a
// file name. The header is checked against the limits before decoding.
// A decoder panic on malformed data is returned as an error. Decode also
// returns the format's name. For GIF, the colour that the file stores
// under the transparent palette index is kept (Go's decoder replaces it
// with transparent black), since the reference hashes it.
func Decode(ctx context.Context, r io.Reader, lim Limits) (image.Image, string, error) {
	buf := getBuffer()
	defer putBuffer(buf)
	lim = lim.withDefaults()
	if err := readAll(buf, r, lim.MaxBytes); err != nil {
		return nil, "", err
	}
	return decodeBytes(ctx, buf.Bytes(), lim)
}

type codec struct {
	name         string
	decode       func(io.Reader) (image.Image, error)
	decodeConfig func(io.Reader) (image.Config, error)
}

var (
	codecJPEG = codec{"jpeg", jpeg.Decode, jpeg.DecodeConfig}
	codecPNG  = codec{"png", png.Decode, png.DecodeConfig}
	codecGIF  = codec{"gif", gif.Decode, gif.DecodeConfig}
	codecBMP  = codec{"bmp", bmp.Decode, bmp.DecodeConfig}
	codecTIFF = codec{"tiff", tiff.Decode, tiff.DecodeConfig}
	codecWebP = codec{"webp", webp.Decode, webp.DecodeConfig}
)

// sniff recognises the format from the first bytes.
func sniff(b []byte) (codec, bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return codecJPEG, true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return codecPNG, true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return codecGIF, true
	case bytes.HasPrefix(b, []byte("BM")):
		return codecBMP, true
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return codecTIFF, true
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return codecWebP, true
	}
	return codec{}, false
}

func decodeBytes(ctx context.Context, data []byte, lim Limits) (img image.Image, format string, err error) {
	c, ok := sniff(data)
	if !ok {
		return nil, "", ErrFormat
	}
	if err := ctx.Err(); err != nil {
		return nil, c.name, err
	}
	defer func() {
		// Go's decoders are meant not to panic, but the x/image ones have
		// (tiff, webp, on crafted files); a panic must not take the whole
		// intake down with it.
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%s decoder failed on malformed data: %v", c.name, p)
		}
	}()
	if c.name == "jpeg" {
		// This package's decoder (libjpeg-turbo's pixels); image/jpeg
		// for the files it does not read.
		if img, ok, err := decodeJPEGImage(ctx, data, lim); ok {
			return img, c.name, err
		}
	}
	cfg, err := c.decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, c.name, fmt.Errorf("%s header: %w", c.name, err)
	}
	if err := lim.check(c.name, cfg.Width, cfg.Height); err != nil {
		return nil, c.name, err
	}
	if c.name == "jpeg" {
		// Each scan of a progressive JPEG is a pass over every block, and
		// a scan takes a few bytes: thousands of them make a decoding
		// bomb of a small file. Real files have about ten. Counting the
		// SOS markers (0xFF 0xDA cannot occur in entropy-coded data)
		// over-counts only embedded thumbnails.
		if n := bytes.Count(data, []byte{0xff, 0xda}); n > maxJPEGScans {
			return nil, c.name, fmt.Errorf("jpeg with %d scans: %w (at most %d; a real progressive JPEG has about ten)", n, ErrTooLarge, maxJPEGScans)
		}
	}
	img, err = c.decode(&ctxReader{ctx: ctx, r: bytes.NewReader(data)})
	if err != nil {
		return nil, c.name, fmt.Errorf("%s: %w", c.name, err)
	}
	b := img.Bounds()
	if err := lim.check(c.name, b.Dx(), b.Dy()); err != nil {
		// The header and the image disagree; the memory is spent, but
		// refuse to go on with an image the limits do not allow.
		return nil, c.name, err
	}
	if c.name == "gif" {
		restoreGIFTransparent(img, data)
	}
	return img, c.name, nil
}

func (l Limits) check(format string, w, h int) error {
	if w < 0 || h < 0 {
		return fmt.Errorf("%s: invalid dimensions %dx%d", format, w, h)
	}
	if w > l.MaxSide || h > l.MaxSide {
		return fmt.Errorf("%s image of %dx%d: %w (a side over %d pixels; raise Limits.MaxSide to hash it)", format, w, h, ErrTooLarge, l.MaxSide)
	}
	if int64(w)*int64(h) > l.MaxPixels {
		return fmt.Errorf("%s image of %dx%d: %w (%d pixels, over %d; raise Limits.MaxPixels to hash it)", format, w, h, ErrTooLarge, int64(w)*int64(h), l.MaxPixels)
	}
	return nil
}

// ctxReader ends a decode when its context is done: decoders read in
// chunks, so a long decode notices within one chunk.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Buffers for whole files, reused; large ones are dropped after use so
// that one huge file does not pin its memory.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 16 << 20

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

func readAll(buf *bytes.Buffer, r io.Reader, max int64) error {
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return fmt.Errorf("reading image: %w", err)
	}
	if n > max {
		return fmt.Errorf("image file over %d bytes: %w (raise Limits.MaxBytes to hash it)", max, ErrTooLarge)
	}
	return nil
}

// restoreGIFTransparent puts back the colour the file stores at the
// transparent index of the first frame's palette, which image/gif replaces
// with transparent black: ImageMagick keeps it (and the reference drops
// only the alpha), so it is hashed.
func restoreGIFTransparent(img image.Image, data []byte) {
	m, ok := img.(*image.Paletted)
	if !ok {
		return
	}
	ti, table, ok := gifFirstFrame(data)
	if !ok || ti >= len(m.Palette) || 3*ti+3 > len(table) {
		return
	}
	p := make(color.Palette, len(m.Palette))
	copy(p, m.Palette)
	p[ti] = color.NRGBA{table[3*ti], table[3*ti+1], table[3*ti+2], 0}
	m.Palette = p
}

// gifFirstFrame walks the GIF blocks up to the first image descriptor and
// returns the transparent index of its graphic control extension and the
// colour table that frame uses. It reports false when there is no
// transparent index or the structure is not as expected.
func gifFirstFrame(b []byte) (ti int, table []byte, ok bool) {
	if len(b) < 13 {
		return 0, nil, false
	}
	var global []byte
	pos := 13
	if flags := b[10]; flags&0x80 != 0 {
		n := 3 << (flags&7 + 1)
		if pos+n > len(b) {
			return 0, nil, false
		}
		global = b[pos : pos+n]
		pos += n
	}
	ti = -1
	for pos < len(b) {
		switch b[pos] {
		case 0x21: // extension: label, then data sub-blocks
			if pos+2 > len(b) {
				return 0, nil, false
			}
			label := b[pos+1]
			pos += 2
			first := true
			for {
				if pos >= len(b) {
					return 0, nil, false
				}
				n := int(b[pos])
				if pos+1+n > len(b) {
					return 0, nil, false
				}
				if label == 0xf9 && first && n >= 4 {
					if b[pos+1]&1 != 0 {
						ti = int(b[pos+4])
					} else {
						ti = -1
					}
				}
				first = false
				pos += 1 + n
				if n == 0 {
					break
				}
			}
		case 0x2c: // image descriptor
			if ti < 0 || pos+10 > len(b) {
				return 0, nil, false
			}
			if flags := b[pos+9]; flags&0x80 != 0 {
				n := 3 << (flags&7 + 1)
				if pos+10+n > len(b) {
					return 0, nil, false
				}
				return ti, b[pos+10 : pos+10+n], true
			}
			return ti, global, global != nil
		default:
			return 0, nil, false
		}
	}
	return 0, nil, false
}
