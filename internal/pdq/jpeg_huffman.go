package pdq

import "fmt"

// Huffman decoding of JPEG entropy-coded data (ITU-T T.81 annexes C and
// F.2.2, G.2), with libjpeg's behaviour on damaged data.

const huffLUTBits = 9

type huffTable struct {
	defined bool
	err     error // the table is invalid; reported when a scan uses it
	// lut[next 9 bits] = length<<8 | symbol for codes of up to 9 bits,
	// 0 when the code is longer (or invalid).
	lut     [1 << huffLUTBits]uint16
	maxcode [18]int32 // largest code of each length, -1 if none; [17] is a sentinel
	valoff  [18]int32 // index of a code's symbol in vals: code + valoff[length]
	vals    [256]byte
	// AC decoding in one look-up: fast[next 9 bits] is the code's length
	// (bits 0-7) and symbol (8-15); with fastValue set, the length
	// includes the coefficient's bits, whose value is fastVal.
	fast    [1 << huffLUTBits]uint32
	fastVal [1 << huffLUTBits]int16
}

const fastValue = 1 << 16

// build makes the decoding tables from a DHT's counts and symbols, and
// refuses the tables libjpeg refuses (jpeg_make_d_derived_tbl): a code
// that is all ones or does not fit its length, and DC symbols over 15.
func (t *huffTable) build(counts [16]int, vals []byte, isDC bool) error {
	*t = huffTable{defined: true}
	copy(t.vals[:], vals)
	if isDC {
		for _, v := range vals {
			if v > 15 {
				t.err = fmt.Errorf("%w: DC Huffman symbol %d", errJPEGFormat, v)
				return nil
			}
		}
	}
	code, p := int32(0), 0
	for l := 1; l <= 16; l++ {
		n := counts[l-1]
		if n == 0 {
			t.maxcode[l] = -1
		} else {
			t.valoff[l] = int32(p) - code
			for range n {
				if code >= 1<<l {
					t.err = fmt.Errorf("%w: Huffman table over-subscribed", errJPEGFormat)
					return nil
				}
				if l <= huffLUTBits {
					// Every 9-bit string starting with this code.
					shift := huffLUTBits - l
					base := int(code) << shift
					for j := range 1 << shift {
						t.lut[base+j] = uint16(l)<<8 | uint16(vals[p])
					}
				}
				code++
				p++
			}
			t.maxcode[l] = code - 1
		}
		if code >= 1<<l {
			t.err = fmt.Errorf("%w: Huffman table over-subscribed", errJPEGFormat)
			return nil
		}
		code <<= 1
	}
	t.maxcode[17] = 0xfffff
	for p, e := range t.lut {
		if e == 0 {
			continue
		}
		l, rs := uint(e>>8), uint(e&0xff)
		t.fast[p] = uint32(rs)<<8 | uint32(l)
		s := rs & 15
		if s != 0 && l+s <= huffLUTBits {
			v := int32(p>>(huffLUTBits-l-s)) & (1<<s - 1)
			t.fastVal[p] = int16(extend(v, s))
			t.fast[p] = fastValue | uint32(rs)<<8 | uint32(l+s)
		}
	}
	return nil
}

// Bit reader. The buffer holds nbits bits, the next one at bit nbits-1.
// When the data ends or a marker is reached, zero bits are supplied
// (pad counts those in the buffer); using one sets d.insufficient, after
// which libjpeg leaves the rest of the restart interval's blocks as they
// are.

func (d *jpegDecoder) fill() {
	for d.nbits <= 56 {
		if d.marker != 0 {
			d.bits <<= 8
			d.nbits += 8
			d.pad += 8
			continue
		}
		if d.pos >= len(d.data) {
			d.marker = mEOI // libjpeg's source managers insert a fake EOI
			continue
		}
		b := d.data[d.pos]
		if b == 0xff {
			p := d.pos + 1
			for p < len(d.data) && d.data[p] == 0xff {
				p++ // fill bytes: FF FF 00 is one FF data byte, as libjpeg reads it
			}
			switch {
			case p >= len(d.data):
				d.marker = mEOI
				continue
			case d.data[p] != 0:
				d.marker = d.data[p] // d.pos stays on the marker's first FF
				continue
			}
			d.pos = p + 1
		} else {
			d.pos++
		}
		d.bits = d.bits<<8 | uint64(b)
		d.nbits += 8
	}
}

// ensure makes at least 32 bits available, 8 bytes at a time when
// they hold no FF byte.
func (d *jpegDecoder) ensure() {
	if d.nbits < 32 {
		if d.marker == 0 && d.pos+8 <= len(d.data) {
			p := d.data[d.pos : d.pos+8 : d.pos+8]
			w := uint64(p[0])<<56 | uint64(p[1])<<48 | uint64(p[2])<<40 | uint64(p[3])<<32 |
				uint64(p[4])<<24 | uint64(p[5])<<16 | uint64(p[6])<<8 | uint64(p[7])
			// No FF byte among the bytes taken?
			n := (64 - d.nbits) / 8 // bytes that fit
			if n > 0 {
				take := w >> (64 - 8*n)
				if !hasFF(take, n) {
					d.bits = d.bits<<(8*n) | take
					d.nbits += 8 * n
					d.pos += int(n)
					return
				}
			}
		}
		d.fill()
	}
}

// hasFF reports whether one of the n low bytes of w is 0xFF.
func hasFF(w uint64, n uint) bool {
	x := ^w // FF bytes become 00
	if n < 8 {
		x |= ^uint64(0) << (8 * n)
	}
	return (x-0x0101010101010101)&^x&0x8080808080808080 != 0
}

func (d *jpegDecoder) consume(n uint) {
	d.nbits -= n
	if d.nbits < d.pad {
		d.pad = d.nbits
		d.insufficient = true
		d.warned = true
	}
}

// getBits returns the next n bits (n <= 16).
func (d *jpegDecoder) getBits(n uint) int32 {
	if n == 0 {
		return 0
	}
	d.ensure()
	v := int32(d.bits>>(d.nbits-n)) & (1<<n - 1)
	d.consume(n)
	return v
}

// extend is libjpeg's HUFF_EXTEND: the value of n bits v in the JPEG
// magnitude category n.
func extend(v int32, n uint) int32 {
	if n == 0 {
		return 0
	}
	if v < 1<<(n-1) {
		return v + (-1 << n) + 1
	}
	return v
}

// decodeHuff decodes one symbol. An invalid code consumes 17 bits and
// reads as symbol 0, as in libjpeg's jpeg_huff_decode.
func (d *jpegDecoder) decodeHuff(t *huffTable) byte {
	d.ensure()
	e := t.lut[(d.bits>>(d.nbits-huffLUTBits))&(1<<huffLUTBits-1)]
	if e != 0 {
		d.consume(uint(e >> 8))
		return byte(e)
	}
	return d.decodeHuffSlow(t)
}

// decodeHuffSlow decodes a code longer than 9 bits (or an invalid one);
// the buffer must hold at least 17 bits.
func (d *jpegDecoder) decodeHuffSlow(t *huffTable) byte {
	l := uint(huffLUTBits + 1)
	code := int32(d.bits>>(d.nbits-l)) & (1<<l - 1)
	for code > t.maxcode[l] {
		l++
		code = int32(d.bits>>(d.nbits-l)) & (1<<l - 1)
	}
	d.consume(l)
	if l > 16 {
		d.warned = true
		return 0
	}
	return t.vals[byte(code+t.valoff[l])]
}

// Standard Huffman tables (T.81 annex K.3), which libjpeg-turbo installs
// for slots 0 and 1 that a file leaves undefined (Motion JPEG frames).
var (
	stdDCLumCounts   = [16]int{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}
	stdDCChromCounts = [16]int{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}
	stdDCVals        = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	stdACLumCounts   = [16]int{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d}
	stdACLumVals     = []byte{
		0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
		0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
		0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
		0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
		0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
		0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
		0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
		0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
		0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa,
	}
	stdACChromCounts = [16]int{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77}
	stdACChromVals   = []byte{
		0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
		0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
		0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
		0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
		0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
		0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
		0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
		0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
		0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
		0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa,
	}
)

// stdTables fills undefined table slots 0 and 1 with the standard tables.
func (d *jpegDecoder) stdTables() {
	if !d.dc[0].defined {
		d.dc[0].build(stdDCLumCounts, stdDCVals, true)
	}
	if !d.dc[1].defined {
		d.dc[1].build(stdDCChromCounts, stdDCVals, true)
	}
	if !d.ac[0].defined {
		d.ac[0].build(stdACLumCounts, stdACLumVals, false)
	}
	if !d.ac[1].defined {
		d.ac[1].build(stdACChromCounts, stdACChromVals, false)
	}
}
