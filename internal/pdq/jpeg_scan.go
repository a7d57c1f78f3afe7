package pdq

import "fmt"

// Scans: sequential (T.81 F.2.2) and progressive (G.1.2) Huffman
// decoding into the coefficient buffer, following libjpeg-turbo's jdhuff.c
// and jdphuff.c in what they do with unusual and damaged data.

type scanInfo struct {
	comps  []int // indexes into d.comps
	ss, se int
	ah, al uint
}

func (d *jpegDecoder) readScan() error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	if len(p) < 1 {
		return fmt.Errorf("%w: empty scan header", errJPEGFormat)
	}
	ns := int(p[0])
	if ns < 1 || ns > 4 || len(p) != 4+2*ns {
		return fmt.Errorf("%w: scan header for %d components of %d bytes", errJPEGFormat, ns, len(p))
	}
	var sc scanInfo
	blocks := 0
	for i := range ns {
		id, tables := p[1+2*i], p[2+2*i]
		ci := -1
		for j := range d.comps {
			if d.comps[j].id == id {
				ci = j
				break
			}
		}
		if ci < 0 {
			return fmt.Errorf("%w: scan of an unknown component %d", errJPEGFormat, id)
		}
		for _, prev := range sc.comps {
			if prev == ci {
				return fmt.Errorf("%w: component %d twice in a scan", errJPEGFormat, id)
			}
		}
		c := &d.comps[ci]
		c.td, c.ta = int(tables>>4), int(tables&15)
		if c.td > 3 || c.ta > 3 {
			return fmt.Errorf("%w: Huffman table %d/%d", errJPEGFormat, c.td, c.ta)
		}
		sc.comps = append(sc.comps, ci)
		blocks += c.h * c.v
	}
	if ns > 1 && blocks > 10 {
		return fmt.Errorf("%w: %d blocks in an MCU", errJPEGFormat, blocks)
	}
	sc.ss, sc.se = int(p[1+2*ns]), int(p[2+2*ns])
	sc.ah, sc.al = uint(p[3+2*ns]>>4), uint(p[3+2*ns]&15)
	for _, ci := range sc.comps {
		if !d.quantSet[d.comps[ci].tq] {
			return fmt.Errorf("%w: no quantisation table %d", errJPEGFormat, d.comps[ci].tq)
		}
	}
	if d.scans == 1 {
		d.stdTables()
	}
	if !d.progressive && (sc.ss != 0 || sc.se != 63 || sc.ah != 0 || sc.al != 0) {
		d.warned = true // libjpeg: "Invalid SOS parameters for sequential JPEG"
	}
	if d.progressive {
		dcBand := sc.ss == 0
		bad := false
		if dcBand {
			bad = sc.se != 0
		} else {
			bad = sc.ss > sc.se || sc.se > 63 || ns != 1
		}
		if sc.ah != 0 && sc.al != sc.ah-1 {
			bad = true
		}
		if sc.al > 13 {
			bad = true
		}
		if bad {
			return fmt.Errorf("%w: invalid progressive scan Ss=%d Se=%d Ah=%d Al=%d", errJPEGFormat, sc.ss, sc.se, sc.ah, sc.al)
		}
	}
	// The tables the scan uses must be valid (libjpeg checks them when
	// the scan starts).
	for _, ci := range sc.comps {
		c := &d.comps[ci]
		needDC := !d.progressive || (sc.ss == 0 && sc.ah == 0)
		needAC := !d.progressive || sc.ss != 0
		if needDC {
			if err := d.tableOK(&d.dc[c.td]); err != nil {
				return err
			}
		}
		if needAC {
			if err := d.tableOK(&d.ac[c.ta]); err != nil {
				return err
			}
		}
	}
	return d.decodeScan(&sc)
}

func (d *jpegDecoder) tableOK(t *huffTable) error {
	if !t.defined {
		return fmt.Errorf("%w: scan uses an undefined Huffman table", errJPEGFormat)
	}
	return t.err
}

// decodeScan decodes the MCUs of one scan.
func (d *jpegDecoder) decodeScan(sc *scanInfo) error {
	d.bits, d.nbits, d.pad, d.marker = 0, 0, 0, 0
	d.insufficient = false
	d.eobrun = 0
	d.nextRestart = 0
	for _, ci := range sc.comps {
		c := &d.comps[ci]
		c.dcPred = 0
		// A second sequential scan of a component (a damaged file) adds to
		// blocks whose AC terms acZero no longer knows.
		c.rescan = c.scanned
		c.scanned = true
	}
	var decode func(c *jpegComponent, blk []int16) error
	switch {
	case !d.progressive:
		decode = nil // below, with the block's index
	case sc.ss == 0 && sc.ah == 0:
		decode = func(c *jpegComponent, blk []int16) error { return d.blockDCFirst(c, blk, sc.al) }
	case sc.ss == 0:
		decode = func(c *jpegComponent, blk []int16) error { d.blockDCRefine(blk, sc.al); return nil }
	case sc.ah == 0:
		decode = func(c *jpegComponent, blk []int16) error { d.blockACFirst(c, blk, sc); return nil }
	default:
		decode = func(c *jpegComponent, blk []int16) error { d.blockACRefine(c, blk, sc); return nil }
	}

	toGo := d.restart
	mcu := func() bool { // before each MCU: restart processing
		if d.restart == 0 {
			return !d.insufficient
		}
		if toGo == 0 {
			d.processRestart(sc)
			toGo = d.restart
		}
		toGo--
		return !d.insufficient
	}
	if len(sc.comps) == 1 {
		c := &d.comps[sc.comps[0]]
		w, h := ceilDiv(c.dw, 8), ceilDiv(c.dh, 8)
		for by := range h {
			if by&15 == 0 {
				if err := d.ctx.Err(); err != nil {
					return err
				}
			}
			row := c.coef[by*c.bw*64:]
			for bx := range w {
				if !mcu() {
					continue
				}
				if decode == nil {
					c.acZero[by*c.bw+bx] = d.blockSequential(c, row[bx*64:bx*64+64:bx*64+64]) && !c.rescan
					continue
				}
				if err := decode(c, row[bx*64:bx*64+64:bx*64+64]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for my := range d.mcusY {
		if my&7 == 0 {
			if err := d.ctx.Err(); err != nil {
				return err
			}
		}
		for mx := range d.mcusX {
			if !mcu() {
				continue
			}
			for _, ci := range sc.comps {
				c := &d.comps[ci]
				for v := range c.v {
					by := my*c.v + v
					row := c.coef[by*c.bw*64:]
					for h := range c.h {
						bx := mx*c.h + h
						o := bx * 64
						if decode == nil {
							c.acZero[by*c.bw+bx] = d.blockSequential(c, row[o:o+64:o+64]) && !c.rescan
							continue
						}
						if err := decode(c, row[o:o+64:o+64]); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	// Whole bytes of data left when the last block is decoded are bytes
	// an encoder does not write: libjpeg warns "extraneous bytes before
	// marker" (an encoder pads the last byte only).
	if d.nbits >= d.pad+8 {
		d.warned = true
	}
	return nil
}

// processRestart is libjpeg's process_restart and read_restart_marker,
// with jpeg_resync_to_restart's rules for a missing or unexpected marker.
func (d *jpegDecoder) processRestart(sc *scanInfo) {
	d.bits, d.nbits, d.pad = 0, 0, 0
	if d.marker == 0 {
		d.findMarker()
	}
	want := byte(mRST0 + d.nextRestart)
	if d.marker == want {
		d.skipMarker()
	} else {
		d.warned = true
		d.resync()
	}
	d.nextRestart = (d.nextRestart + 1) & 7
	for _, ci := range sc.comps {
		d.comps[ci].dcPred = 0
	}
	d.eobrun = 0
	if d.marker == 0 {
		d.insufficient = false
	}
}

// findMarker moves to the next marker in the data (skipping garbage),
// sets d.marker and leaves d.pos on its first FF; at the end of the data
// the marker is a fake EOI.
func (d *jpegDecoder) findMarker() {
	for d.pos < len(d.data) {
		if d.data[d.pos] != 0xff {
			d.pos++
			continue
		}
		p := d.pos + 1
		for p < len(d.data) && d.data[p] == 0xff {
			p++
		}
		if p >= len(d.data) {
			break
		}
		if d.data[p] != 0 {
			d.marker = d.data[p]
			return
		}
		d.pos = p + 1
	}
	d.pos = len(d.data)
	d.marker = mEOI
}

// skipMarker consumes the pending marker (two or more bytes).
func (d *jpegDecoder) skipMarker() {
	if d.pos < len(d.data) {
		for d.pos < len(d.data) && d.data[d.pos] == 0xff {
			d.pos++
		}
		d.pos++ // the marker code
	}
	d.marker = 0
}

func (d *jpegDecoder) resync() {
	desired := d.nextRestart
	for range len(d.data) + 2 { // each round moves forward
		m := d.marker
		action := 1
		switch {
		case m < mSOF0:
			action = 2
		case m < mRST0 || m > mRST7:
			action = 3
		default:
			n := int(m - mRST0)
			switch {
			case n == (desired+1)&7 || n == (desired+2)&7:
				action = 3
			case n == (desired-1)&7 || n == (desired-2)&7:
				action = 2
			}
		}
		switch action {
		case 1:
			d.skipMarker()
			return
		case 2:
			if d.pos >= len(d.data) {
				return
			}
			d.skipMarker()
			d.findMarker()
		case 3:
			return
		}
	}
}

// blockSequential decodes one block of a sequential scan. It keeps the
// bit buffer in local variables and reads most AC coefficients (code and
// value within 9 bits) with one table look-up; the result is what
// decodeHuff, getBits and extend give one call at a time. Whether padding
// was read is checked once at the end: once more bits are consumed than
// the data holds, that stays so until the check. It reports whether the
// block has no AC coefficient.
func (d *jpegDecoder) blockSequential(c *jpegComponent, blk []int16) bool {
	b := (*[64]int16)(blk)
	dct, act := &d.dc[c.td], &d.ac[c.ta]
	if d.nbits < 32 {
		d.ensure()
	}
	bits, nbits := d.bits, d.nbits

	// DC.
	var s uint
	if e := dct.lut[(bits>>(nbits-huffLUTBits))&(1<<huffLUTBits-1)]; e != 0 {
		nbits -= uint(e >> 8)
		s = uint(e & 0xff)
	} else {
		d.bits, d.nbits = bits, nbits
		s = uint(d.decodeHuffSlow(dct))
		bits, nbits = d.bits, d.nbits
	}
	var diff int32
	if s != 0 {
		if nbits < s {
			d.bits, d.nbits = bits, nbits
			d.ensure()
			bits, nbits = d.bits, d.nbits
		}
		diff = extend(int32(bits>>(nbits-s))&(1<<s-1), s)
		nbits -= s
	}
	c.dcPred = int32(uint32(c.dcPred) + uint32(diff))
	b[0] = int16(c.dcPred)

	// AC.
	k := 1
	for ; k < 64; k++ {
		if nbits < 32 {
			d.bits, d.nbits = bits, nbits
			d.ensure()
			bits, nbits = d.bits, d.nbits
		}
		p := (bits >> (nbits - huffLUTBits)) & (1<<huffLUTBits - 1)
		e := act.fast[p]
		if e&fastValue != 0 {
			nbits -= uint(e & 0xff)
			k += int(e>>12) & 15
			b[zigzag[k]] = act.fastVal[p]
			continue
		}
		var rs uint32
		if e != 0 {
			nbits -= uint(e & 0xff)
			rs = e >> 8 & 0xff
		} else {
			d.bits, d.nbits = bits, nbits
			rs = uint32(d.decodeHuffSlow(act))
			bits, nbits = d.bits, d.nbits
		}
		r, s := int(rs>>4), uint(rs&15)
		if s != 0 {
			k += r
			b[zigzag[k]] = int16(extend(int32(bits>>(nbits-s))&(1<<s-1), s))
			nbits -= s
		} else {
			if r != 15 {
				break
			}
			k += 15
		}
	}
	d.bits, d.nbits = bits, nbits
	if nbits < d.pad {
		d.pad = nbits
		d.insufficient = true
		d.warned = true
	}
	return k == 1
}

func (d *jpegDecoder) blockDCFirst(c *jpegComponent, blk []int16, al uint) error {
	s := uint(d.decodeHuff(&d.dc[c.td]))
	diff := int64(extend(d.getBits(s), s))
	v := int64(c.dcPred) + diff
	if v > 1<<31-1 || v < -1<<31 {
		return fmt.Errorf("%w: DC coefficient overflow", errJPEGFormat)
	}
	c.dcPred = int32(v)
	blk[0] = int16(int32(uint32(v) << al))
	return nil
}

func (d *jpegDecoder) blockDCRefine(blk []int16, al uint) {
	if d.getBits(1) != 0 {
		blk[0] |= int16(1 << al)
	}
}

func (d *jpegDecoder) blockACFirst(c *jpegComponent, blk []int16, sc *scanInfo) {
	if d.eobrun > 0 {
		d.eobrun--
		return
	}
	t := &d.ac[c.ta]
	for k := sc.ss; k <= sc.se; k++ {
		rs := d.decodeHuff(t)
		r, s := int(rs>>4), uint(rs&15)
		if s != 0 {
			k += r
			v := extend(d.getBits(s), s)
			blk[zigzag[k]] = int16(int32(uint32(v) << sc.al))
			continue
		}
		if r == 15 {
			k += 15
			continue
		}
		d.eobrun = 1 << r
		if r != 0 {
			d.eobrun += int(d.getBits(uint(r)))
		}
		d.eobrun--
		break
	}
}

func (d *jpegDecoder) blockACRefine(c *jpegComponent, blk []int16, sc *scanInfo) {
	p1 := int16(1 << sc.al)
	m1 := int16(-1 << sc.al)
	k := sc.ss
	if d.eobrun == 0 {
		t := &d.ac[c.ta]
		for ; k <= sc.se; k++ {
			rs := d.decodeHuff(t)
			r, s := int(rs>>4), int(rs&15)
			var v int16
			if s != 0 {
				// s should be 1; libjpeg warns and goes on otherwise.
				if s != 1 {
					d.warned = true
				}
				if d.getBits(1) != 0 {
					v = p1
				} else {
					v = m1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r != 0 {
					d.eobrun += int(d.getBits(uint(r)))
				}
				break
			}
			for k <= sc.se {
				co := &blk[zigzag[k]]
				if *co != 0 {
					if d.getBits(1) != 0 && *co&p1 == 0 {
						if *co >= 0 {
							*co += p1
						} else {
							*co += m1
						}
					}
				} else {
					r--
					if r < 0 {
						break
					}
				}
				k++
			}
			if v != 0 {
				blk[zigzag[k]] = v
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= sc.se; k++ {
			co := &blk[zigzag[k]]
			if *co != 0 {
				if d.getBits(1) != 0 && *co&p1 == 0 {
					if *co >= 0 {
						*co += p1
					} else {
						*co += m1
					}
				}
			}
		}
		d.eobrun--
	}
}
