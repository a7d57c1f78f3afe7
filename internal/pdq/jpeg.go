package pdq

// A JPEG decoder written for PDQ: it reproduces the pixels libjpeg-turbo
// gives ImageMagick, and so the reference, with its default settings (the
// "islow" integer inverse DCT of jidctint.c, "fancy" chroma upsampling,
// the fixed-point colour conversion of jdcolor.c), and it computes only the
// pixels the hash samples.
//
// What it reads: baseline and extended sequential (SOF0, SOF1) and
// progressive (SOF2) Huffman-coded JPEG with 8-bit samples, 1, 3 or 4
// components (grey, YCbCr or RGB, CMYK or YCCK), any sampling factors that
// libjpeg upsamples (integral ratios), restart intervals, and several
// scans per frame. Corrupt entropy-coded data is handled as libjpeg does:
// an invalid Huffman code reads as zero, data that ends early (or runs
// into a marker) reads as zero bits and then leaves the rest of the
// restart interval's blocks zero, and restart markers are resynchronised
// with libjpeg's rules. Everything else (arithmetic coding, 12-bit and
// lossless JPEG, hierarchical files, fractional sampling ratios, a height
// given by a DNL marker) returns errJPEGUnsupported, and the caller falls
// back to Go's image/jpeg.
//
// The decoder first reads all entropy-coded data into a coefficient
// buffer (16 bits a coefficient, as libjpeg's JCOEF) and then computes the
// requested pixels from it: only the sample rows that a requested pixel
// needs go through the inverse DCT (see jpeg_render.go).

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// errJPEGUnsupported is returned (wrapped) for a valid JPEG that this
// decoder does not read; the caller decodes it with image/jpeg instead.
var errJPEGUnsupported = errors.New("jpeg feature not supported by the PDQ decoder")

// errJPEGFormat is returned (wrapped) for data that is not a readable JPEG.
var errJPEGFormat = errors.New("invalid data")

// errTruncatedSegment: the data ends inside a marker segment.
var errTruncatedSegment = errors.New("the file ends inside it")

// JPEG markers.
const (
	mSOF0 = 0xc0
	mSOF1 = 0xc1
	mSOF2 = 0xc2
	mDHT  = 0xc4
	mRST0 = 0xd0
	mRST7 = 0xd7
	mSOI  = 0xd8
	mEOI  = 0xd9
	mSOS  = 0xda
	mDQT  = 0xdb
	mDNL  = 0xdc
	mDRI  = 0xdd
	mAPP0 = 0xe0
	mAPPE = 0xee
)

// jpegMaxScans bounds the scans of one frame (the caller also refuses
// files with more than maxJPEGScans SOS markers).
const jpegMaxScans = maxJPEGScans

// Colour spaces of the decoded frame, as libjpeg guesses them
// (jdapimin.c default_decompress_parms).
const (
	csGrey = iota
	csYCbCr
	csRGB
	csCMYK
	csYCCK
)

type jpegComponent struct {
	id     byte
	h, v   int // sampling factors
	tq     int // quantisation table
	dw, dh int // size in samples: ceil(width*h/hmax), ceil(height*v/vmax)
	bw, bh int // size of the coefficient buffer in blocks (padded to whole MCUs)
	coef   []int16
	// acZero[i] is set when block i was decoded by a sequential scan and
	// has no AC coefficient (its samples are all the same).
	acZero []bool
	// scanned: a scan has included the component; rescan: this one is
	// not the first.
	scanned, rescan bool
	// During a scan.
	dcPred int32
	td, ta int // DC and AC Huffman tables
}

type jpegDecoder struct {
	ctx  context.Context
	data []byte
	pos  int // next byte of data to read (markers) or to feed the bit reader

	width, height int
	progressive   bool
	comps         []jpegComponent
	slab          []int16 // all components' coefficients
	hmax, vmax    int
	mcusX, mcusY  int
	quant         [4][64]int32 // in natural order, cast to int16 as libjpeg-turbo's ISLOW_MULT_TYPE
	quantSet      [4]bool
	dc, ac        [4]huffTable
	restart       int // restart interval in MCUs, 0 for none
	jfif          bool
	adobe         bool
	adobeXform    int
	colorSpace    int
	scans         int

	// Entropy decoding state.
	bits         uint64 // bit buffer, the next bit is the highest of the nbits lowest
	nbits        uint
	pad          uint // zero bits at the end of the buffer that are not data
	marker       byte // marker the bit reader ran into (0: none yet)
	insufficient bool // libjpeg's insufficient_data: out of data in this segment
	// warned is set where libjpeg would warn of damaged data (and go on):
	// data ending early, invalid codes, garbage before a marker, restart
	// markers out of order, scan parameters out of place.
	warned      bool
	eobrun      int
	nextRestart int // number of the next expected RSTn (0 to 7)
}

// readHeader reads the markers up to the frame header and validates it.
func (d *jpegDecoder) readHeader() error {
	if len(d.data) < 2 || d.data[0] != 0xff || d.data[1] != mSOI {
		return fmt.Errorf("%w: no SOI marker", errJPEGFormat)
	}
	d.pos = 2
	for {
		m, err := d.nextMarker()
		if err != nil {
			return err
		}
		switch {
		case m == mSOF0 || m == mSOF1 || m == mSOF2:
			if err := d.readSOF(m); err != nil {
				return err
			}
			return nil
		case m >= 0xc3 && m <= 0xcf && m != mDHT && m != 0xc8 && m != 0xcc:
			return fmt.Errorf("%w: frame type SOF%d (only baseline, extended and progressive Huffman)", errJPEGUnsupported, m-0xc0)
		case m == 0xcc: // DAC: arithmetic coding conditioning
			return fmt.Errorf("%w: arithmetic coding", errJPEGUnsupported)
		case m == mSOS:
			return fmt.Errorf("%w: scan before the frame header", errJPEGFormat)
		case m == mEOI:
			return fmt.Errorf("%w: no image before EOI", errJPEGFormat)
		default:
			if err := d.readSegment(m); err != nil {
				return err
			}
		}
	}
}

// nextMarker skips to the next marker and returns its code, skipping
// garbage and fill bytes as libjpeg's next_marker does.
func (d *jpegDecoder) nextMarker() (byte, error) {
	for {
		for d.pos < len(d.data) && d.data[d.pos] != 0xff {
			d.pos++
			d.warned = true
		}
		for d.pos < len(d.data) && d.data[d.pos] == 0xff {
			d.pos++
		}
		if d.pos >= len(d.data) {
			return 0, fmt.Errorf("%w: file ends before the image data", errJPEGFormat)
		}
		m := d.data[d.pos]
		d.pos++
		if m != 0 {
			return m, nil
		}
	}
}

// segment returns the payload of the marker segment at d.pos and moves
// past it.
func (d *jpegDecoder) segment() ([]byte, error) {
	if d.pos+2 > len(d.data) {
		return nil, fmt.Errorf("%w: marker segment: %w", errJPEGFormat, errTruncatedSegment)
	}
	n := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	if n < 2 {
		return nil, fmt.Errorf("%w: marker segment of length %d", errJPEGFormat, n)
	}
	if d.pos+n > len(d.data) {
		return nil, fmt.Errorf("%w: marker segment of length %d: %w", errJPEGFormat, n, errTruncatedSegment)
	}
	p := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return p, nil
}

// readSegment reads a table or miscellaneous marker segment; like
// libjpeg's read_markers it refuses markers it does not know.
func (d *jpegDecoder) readSegment(m byte) error {
	switch {
	case m == 0x01 || (m >= mRST0 && m <= mRST7):
		return nil // no payload (TEM, stray RSTn)
	case m == mSOI:
		return fmt.Errorf("%w: a second SOI marker", errJPEGFormat)
	case m != mDQT && m != mDHT && m != mDRI && m != mDNL && m != 0xfe && (m < mAPP0 || m > 0xef):
		return fmt.Errorf("%w: unknown marker 0x%02x", errJPEGFormat, m)
	}
	p, err := d.segment()
	if err != nil {
		return err
	}
	switch m {
	case mDQT:
		return d.readDQT(p)
	case mDHT:
		return d.readDHT(p)
	case mDRI:
		if len(p) != 2 {
			return fmt.Errorf("%w: DRI of length %d", errJPEGFormat, len(p))
		}
		d.restart = int(p[0])<<8 | int(p[1])
	case mAPP0:
		if len(p) >= 5 && string(p[:5]) == "JFIF\x00" {
			d.jfif = true
		}
	case mAPPE:
		if len(p) >= 12 && string(p[:5]) == "Adobe" {
			d.adobe = true
			d.adobeXform = int(p[11])
		}
	}
	return nil
}

func (d *jpegDecoder) readDQT(p []byte) error {
	for len(p) > 0 {
		pq, tq := p[0]>>4, int(p[0]&15)
		if tq > 3 || pq > 1 {
			return fmt.Errorf("%w: quantisation table %d of precision %d", errJPEGFormat, tq, pq)
		}
		p = p[1:]
		n := 64 << pq
		if len(p) < n {
			return fmt.Errorf("%w: short quantisation table", errJPEGFormat)
		}
		for k := range 64 {
			var q int
			if pq == 0 {
				q = int(p[k])
			} else {
				q = int(p[2*k])<<8 | int(p[2*k+1])
			}
			// libjpeg-turbo keeps islow multipliers in a short.
			d.quant[tq][zigzag[k]] = int32(int16(q))
		}
		d.quantSet[tq] = true
		p = p[n:]
	}
	return nil
}

func (d *jpegDecoder) readDHT(p []byte) error {
	for len(p) > 0 {
		if len(p) < 17 {
			return fmt.Errorf("%w: short Huffman table", errJPEGFormat)
		}
		tc, th := p[0]>>4, int(p[0]&15)
		if tc > 1 || th > 3 {
			return fmt.Errorf("%w: Huffman table class %d number %d", errJPEGFormat, tc, th)
		}
		var counts [16]int
		total := 0
		for i := range 16 {
			counts[i] = int(p[1+i])
			total += counts[i]
		}
		if total > 256 || len(p) < 17+total {
			return fmt.Errorf("%w: Huffman table with %d symbols", errJPEGFormat, total)
		}
		vals := p[17 : 17+total]
		t := &d.dc[th]
		if tc == 1 {
			t = &d.ac[th]
		}
		if err := t.build(counts, vals, tc == 0); err != nil {
			return err
		}
		p = p[17+total:]
	}
	return nil
}

func (d *jpegDecoder) readSOF(m byte) error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	if len(p) < 6 {
		return fmt.Errorf("%w: short frame header", errJPEGFormat)
	}
	if p[0] != 8 {
		return fmt.Errorf("%w: %d-bit samples", errJPEGUnsupported, p[0])
	}
	d.height = int(p[1])<<8 | int(p[2])
	d.width = int(p[3])<<8 | int(p[4])
	nc := int(p[5])
	if d.height == 0 {
		return fmt.Errorf("%w: height given by a DNL marker", errJPEGUnsupported)
	}
	if d.width == 0 {
		return fmt.Errorf("%w: zero width", errJPEGFormat)
	}
	if nc != 1 && nc != 3 && nc != 4 {
		return fmt.Errorf("%w: %d components", errJPEGUnsupported, nc)
	}
	if len(p) != 6+3*nc {
		return fmt.Errorf("%w: frame header of %d bytes for %d components", errJPEGFormat, len(p), nc)
	}
	d.progressive = m == mSOF2
	d.comps = make([]jpegComponent, nc)
	d.hmax, d.vmax = 1, 1
	for i := range d.comps {
		c := &d.comps[i]
		c.id = p[6+3*i]
		c.h, c.v = int(p[7+3*i]>>4), int(p[7+3*i]&15)
		c.tq = int(p[8+3*i])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return fmt.Errorf("%w: component %d sampling %dx%d table %d", errJPEGFormat, i, c.h, c.v, c.tq)
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.mcusX = ceilDiv(d.width, 8*d.hmax)
	d.mcusY = ceilDiv(d.height, 8*d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return fmt.Errorf("%w: fractional sampling ratio", errJPEGUnsupported)
		}
		c.dw = ceilDiv(d.width*c.h, d.hmax)
		c.dh = ceilDiv(d.height*c.v, d.vmax)
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
	}
	d.colorSpace = d.guessColorSpace()
	return nil
}

// guessColorSpace follows libjpeg's default_decompress_parms.
func (d *jpegDecoder) guessColorSpace() int {
	switch len(d.comps) {
	case 1:
		return csGrey
	case 3:
		switch {
		case d.jfif:
			return csYCbCr
		case d.adobe:
			if d.adobeXform == 0 {
				return csRGB
			}
			return csYCbCr
		}
		a, b, c := d.comps[0].id, d.comps[1].id, d.comps[2].id
		if a == 'R' && b == 'G' && c == 'B' {
			return csRGB
		}
		return csYCbCr
	default:
		if d.adobe && d.adobeXform != 0 {
			return csYCCK
		}
		return csCMYK
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// allocate makes the coefficient buffers, after the caller has checked
// the dimensions against its limits: one zeroed slab, reused from a pool
// when small enough.
func (d *jpegDecoder) allocate() {
	n := 0
	for i := range d.comps {
		n += d.comps[i].bw * d.comps[i].bh * 64
	}
	var slab []int16
	if n <= maxPooledCoefs {
		if p, ok := coefPool.Get().(*[]int16); ok && cap(*p) >= n {
			slab = (*p)[:n]
			clear(slab)
		}
	}
	if slab == nil {
		slab = make([]int16, n)
	}
	d.slab = slab
	for i := range d.comps {
		c := &d.comps[i]
		m := c.bw * c.bh * 64
		c.coef, slab = slab[:m:m], slab[m:]
		c.acZero = make([]bool, c.bw*c.bh)
	}
}

// release returns the coefficient buffers to the pool; d is unusable after.
func (d *jpegDecoder) release() {
	if d.slab != nil && cap(d.slab) <= maxPooledCoefs {
		s := d.slab
		coefPool.Put(&s)
	}
	d.slab = nil
	for i := range d.comps {
		d.comps[i].coef = nil
	}
}

// maxPooledCoefs is the largest coefficient buffer kept for reuse (8 MiB:
// a 4:2:0 image of about 2.8 megapixels).
const maxPooledCoefs = 4 << 20

var coefPool sync.Pool

// decodeScans reads every scan up to EOI (or the end of the data, which
// libjpeg accepts with a warning).
func (d *jpegDecoder) decodeScans() error {
	for {
		if d.pos >= len(d.data) {
			return nil
		}
		m, err := d.nextMarker()
		if err != nil {
			// Data ends without EOI: libjpeg warns and keeps what it has.
			return nil
		}
		switch {
		case m == mSOS:
			d.scans++
			if d.scans > jpegMaxScans {
				return fmt.Errorf("jpeg with more than %d scans: %w", jpegMaxScans, ErrTooLarge)
			}
			if err := d.readScan(); err != nil {
				return err
			}
		case m == mEOI:
			return nil
		case m == mSOF0 || m == mSOF1 || m == mSOF2 || (m >= 0xc3 && m <= 0xcf && m != mDHT && m != 0xc8):
			return fmt.Errorf("%w: a second frame header", errJPEGFormat)
		default:
			if err := d.readSegment(m); errors.Is(err, errTruncatedSegment) {
				// The data ends inside a segment between scans: keep what
				// the scans so far gave (libjpeg meets its fake EOI).
				return nil
			} else if err != nil {
				return err
			}
		}
		if err := d.ctx.Err(); err != nil {
			return err
		}
	}
}

// zigzag[k] is the natural-order position of the k-th coefficient in zigzag
// order, with 16 extra entries of 63 as libjpeg's jpeg_natural_order, so
// that a corrupt run past the end writes coefficient 63.
var zigzag = [80]int{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
	63, 63, 63, 63, 63, 63, 63, 63,
	63, 63, 63, 63, 63, 63, 63, 63,
}

// decodeJPEG reads a JPEG's header, checks its size against lim, and
// decodes all its scans into coefficients.
func decodeJPEG(ctx context.Context, data []byte, lim Limits) (*jpegDecoder, error) {
	d := &jpegDecoder{ctx: ctx, data: data}
	if err := d.readHeader(); err != nil {
		return nil, err
	}
	if err := lim.check("jpeg", d.width, d.height); err != nil {
		return nil, err
	}
	d.allocate()
	if err := d.decodeScans(); err != nil {
		return nil, err
	}
	if d.scans == 0 {
		return nil, fmt.Errorf("%w: no image data", errJPEGFormat)
	}
	return d, nil
}
