package pdq

// From coefficients to the colour of selected pixels, as libjpeg-turbo
// computes them with its defaults: inverse DCT (jpeg_idct.go), chroma
// upsampling (jdsample.c: "fancy" triangle filters for 2:1 horizontal,
// 2:1 both ways and, in libjpeg-turbo, 2:1 vertical; plain replication
// for other integral ratios and for components at most 2 samples wide),
// with the first and last sample rows repeated as context (jdmainct.c),
// then colour conversion (jdcolor.c; CMYK and YCCK as ImageMagick turns
// them into RGB).

// Upsampling methods (jdsample.c jinit_upsampler).
const (
	upFull = iota
	upH2V1Fancy
	upH2V2Fancy
	upH1V2Fancy
	upReplicate // int_upsample, h2v1_upsample, h2v2_upsample
)

type compPlane struct {
	c       *jpegComponent
	q       *[64]int32
	mode    int
	hf, vf  int     // expansion factors hmax/h, vmax/v
	rowOf   []int32 // sample row rowBase+i -> row index in buf, -1 when not computed
	rowBase int
	buf     []byte
	stride  int
	// Per requested column: the nearer and farther sample columns and
	// the rounding bias.
	k, nk []int32
	bias  []int32
	line  []byte // upsampled values of the requested columns
	// upH2V2Fancy: the sample columns used, and their column sums.
	kmin, kmax int32
	colsum     []int32
}

type jpegRenderer struct {
	d     *jpegDecoder
	comps []compPlane
	tmp   [64]byte
}

func upsampleMode(d *jpegDecoder, c *jpegComponent) int {
	hf, vf := d.hmax/c.h, d.vmax/c.v
	switch {
	case hf == 1 && vf == 1:
		return upFull
	case hf == 2 && vf == 1 && c.dw > 2:
		return upH2V1Fancy
	case hf == 1 && vf == 2:
		return upH1V2Fancy
	case hf == 2 && vf == 2 && c.dw > 2:
		return upH2V2Fancy
	}
	return upReplicate
}

// render computes the colour of the pixels (xs[i], ys[j]) into out (3
// bytes a pixel, R G B, row-major over ys then xs). Each x and y must lie
// within the image; the work is proportional to the span of ys.
func (r *jpegRenderer) render(xs, ys []int, out []byte) {
	d := r.d
	if len(r.comps) != len(d.comps) {
		r.comps = make([]compPlane, len(d.comps))
	}
	for i := range d.comps {
		p := &r.comps[i]
		c := &d.comps[i]
		*p = compPlane{c: c, q: &d.quant[c.tq], mode: upsampleMode(d, c), hf: d.hmax / c.h, vf: d.vmax / c.v,
			rowOf: p.rowOf, buf: p.buf, k: p.k, nk: p.nk, bias: p.bias, line: p.line, colsum: p.colsum}
		r.prepare(p, xs, ys)
	}
	n := len(xs)
	for j, y := range ys {
		for i := range r.comps {
			r.upsampleRow(&r.comps[i], y, n)
		}
		o := out[j*n*3 : (j+1)*n*3]
		r.convertRow(o, n)
	}
}

// prepare computes the sample rows of component p that the pixels need,
// and the per-column indices.
func (r *jpegRenderer) prepare(p *compPlane, xs, ys []int) {
	c := p.c
	// Columns.
	p.k = growInt32(p.k, len(xs))
	p.nk = growInt32(p.nk, len(xs))
	p.bias = growInt32(p.bias, len(xs))
	p.line = growBytes(p.line, len(xs))
	minCol, maxCol := c.dw, -1
	for i, x := range xs {
		var k, nk, b int
		switch p.mode {
		case upFull, upH1V2Fancy:
			k, nk = x, x
		case upReplicate:
			k, nk = x/p.hf, x/p.hf
		case upH2V1Fancy, upH2V2Fancy:
			k = x >> 1
			if x&1 == 0 {
				nk = max(k-1, 0)
				b = 1
				if p.mode == upH2V2Fancy {
					b = 8
				}
			} else {
				nk = min(k+1, c.dw-1)
				b = 2
				if p.mode == upH2V2Fancy {
					b = 7
				}
			}
		}
		p.k[i], p.nk[i], p.bias[i] = int32(k), int32(nk), int32(b)
		minCol = min(minCol, k, nk)
		maxCol = max(maxCol, k, nk)
	}
	// Rows: rowOf covers sample rows rowBase to rowBase+len(rowOf)-1.
	lo, hi := c.dh, -1
	rowsOf := func(y int) (int, int) {
		switch p.mode {
		case upFull, upH2V1Fancy:
			return y, y
		case upReplicate:
			return y / p.vf, y / p.vf
		}
		return fancyRows(y, c.dh)
	}
	for _, y := range ys {
		a, b := rowsOf(y)
		lo, hi = min(lo, a, b), max(hi, a, b)
	}
	if hi < lo {
		lo, hi = 0, -1
	}
	p.rowBase = lo
	p.rowOf = growInt32(p.rowOf, hi-lo+1)
	for i := range p.rowOf {
		p.rowOf[i] = -1
	}
	for _, y := range ys {
		a, b := rowsOf(y)
		p.rowOf[a-lo], p.rowOf[b-lo] = 0, 0
	}
	rows := 0
	for i, v := range p.rowOf {
		if v == 0 {
			p.rowOf[i] = int32(rows)
			rows++
		}
	}
	p.stride = c.bw * 8
	p.buf = growBytes(p.buf, rows*p.stride)
	if maxCol < 0 {
		return
	}
	p.kmin, p.kmax = int32(minCol), int32(maxCol)
	p.colsum = growInt32(p.colsum, maxCol-minCol+1)
	bx0, bx1 := minCol/8, maxCol/8
	for by := lo / 8; by*8 <= hi; by++ {
		var mask uint8
		for r := range 8 {
			if row := by*8 + r - lo; row >= 0 && row < len(p.rowOf) && p.rowOf[row] >= 0 {
				mask |= 1 << r
			}
		}
		if mask == 0 {
			continue
		}
		blocks := c.coef[by*c.bw*64:]
		for bx := bx0; bx <= bx1; bx++ {
			blk := (*[64]int16)(blocks[bx*64 : bx*64+64])
			if c.acZero[by*c.bw+bx] {
				v := dcOnly(blk[0], p.q[0])
				for rr := range 8 {
					if mask&(1<<rr) != 0 {
						o := int(p.rowOf[by*8+rr-lo])*p.stride + bx*8
						row := p.buf[o : o+8 : o+8]
						row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = v, v, v, v, v, v, v, v
					}
				}
				continue
			}
			idct(blk, p.q, r.tmp[:], 8, mask)
			for rr := range 8 {
				if mask&(1<<rr) != 0 {
					o := int(p.rowOf[by*8+rr-lo]) * p.stride
					copy(p.buf[o+bx*8:o+bx*8+8], r.tmp[rr*8:rr*8+8])
				}
			}
		}
	}
}

// fancyRows returns the nearer and farther sample rows of pixel row y for
// 2:1 vertical fancy upsampling (libjpeg's context rows repeat the first
// and last rows).
func fancyRows(y, dh int) (near, far int) {
	near = y >> 1
	if y&1 == 0 {
		far = max(near-1, 0)
	} else {
		far = min(near+1, dh-1)
	}
	return near, far
}

func (p *compPlane) row(i int) []byte {
	o := int(p.rowOf[i-p.rowBase]) * p.stride
	return p.buf[o : o+p.stride]
}

// upsampleRow fills p.line with the component's values at pixel row y and
// the requested columns.
func (r *jpegRenderer) upsampleRow(p *compPlane, y, n int) {
	line := p.line[:n]
	k, nk, bias := p.k[:n], p.nk[:n], p.bias[:n]
	switch p.mode {
	case upFull:
		src := p.row(y)
		for i := range line {
			line[i] = src[k[i]]
		}
	case upReplicate:
		src := p.row(y / p.vf)
		for i := range line {
			line[i] = src[k[i]]
		}
	case upH2V1Fancy:
		src := p.row(y)
		for i := range line {
			line[i] = byte((3*int32(src[k[i]]) + int32(src[nk[i]]) + bias[i]) >> 2)
		}
	case upH1V2Fancy:
		near, far := fancyRows(y, p.c.dh)
		a, b := p.row(near), p.row(far)
		bv := int32(1 + y&1)
		for i := range line {
			line[i] = byte((3*int32(a[k[i]]) + int32(b[k[i]]) + bv) >> 2)
		}
	case upH2V2Fancy:
		// Column sums of 3 x nearer row + farther row, once per column.
		near, far := fancyRows(y, p.c.dh)
		a, b := p.row(near)[p.kmin:p.kmax+1], p.row(far)[p.kmin:p.kmax+1]
		cs := p.colsum[:len(a)]
		for i := range cs {
			cs[i] = 3*int32(a[i]) + int32(b[i])
		}
		for i := range line {
			line[i] = byte((3*cs[k[i]-p.kmin] + cs[nk[i]-p.kmin] + bias[i]) >> 4)
		}
	}
}

// convertRow turns the upsampled component lines into R G B.
func (r *jpegRenderer) convertRow(o []byte, n int) {
	switch r.d.colorSpace {
	case csGrey:
		g := r.comps[0].line[:n]
		for i, v := range g {
			o[3*i], o[3*i+1], o[3*i+2] = v, v, v
		}
	case csRGB:
		a, b, c := r.comps[0].line[:n], r.comps[1].line[:n], r.comps[2].line[:n]
		for i := range a {
			o[3*i], o[3*i+1], o[3*i+2] = a[i], b[i], c[i]
		}
	case csYCbCr:
		yl, cbl, crl := r.comps[0].line[:n], r.comps[1].line[:n], r.comps[2].line[:n]
		o = o[:3*n]
		for i := range yl {
			yy, cb, cr := int32(yl[i]), cbl[i], crl[i]
			p := o[3*i : 3*i+3 : 3*i+3]
			p[0] = clampTab[(yy+crR[cr]+clampOff)&clampMask]
			p[1] = clampTab[(yy+(cbG[cb]+crG[cr])>>16+clampOff)&clampMask]
			p[2] = clampTab[(yy+cbB[cb]+clampOff)&clampMask]
		}
	case csCMYK, csYCCK:
		l0, l1, l2, l3 := r.comps[0].line[:n], r.comps[1].line[:n], r.comps[2].line[:n], r.comps[3].line[:n]
		for i := range l0 {
			c, m, y, k := l0[i], l1[i], l2[i], l3[i]
			if r.d.colorSpace == csYCCK {
				// jdcolor.c ycck_cmyk_convert.
				yy, cb, cr := int32(c), m, y
				c = clampTab[(255-(yy+crR[cr])+clampOff)&clampMask]
				m = clampTab[(255-(yy+(cbG[cb]+crG[cr])>>16)+clampOff)&clampMask]
				y = clampTab[(255-(yy+cbB[cb])+clampOff)&clampMask]
			}
			// ImageMagick reads libjpeg's CMYK inverted (Adobe's
			// convention), then converts to RGB.
			o[3*i], o[3*i+1], o[3*i+2] = cmykRGB(255-c, 255-m, 255-y, 255-k)
		}
	}
}

func growInt32(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

func growBytes(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
