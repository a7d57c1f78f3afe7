package pdq

import (
	"math"
	"slices"
	"sync"
)

// The hash core: Jarosz tent filter, decimation to 64x64, quality metric,
// 16x16 DCT, median threshold. Every float32 operation happens in the order
// the C++ reference performs it, and every product that is followed by an
// addition goes through an explicit float32 conversion so that no compiler
// may fuse the two into a multiply-add (the Go spec guarantees that an
// explicit conversion rounds).

const (
	minHashableDim = 5   // smaller images hash to zero, quality 0
	resizeDim      = 512 // larger images are sampled down to 512x512 first
)

// dct is the 16x64 DCT-II matrix (frequencies 1 to 16) the reference uses;
// dctT is its transpose, for the second product.
var dct, dctT [16 * 64]float32

func init() {
	scale := float64(float32(math.Sqrt(2.0 / 64.0)))
	for i := 0; i < 16; i++ {
		for j := 0; j < 64; j++ {
			v := float32(scale * math.Cos(math.Pi/2.0/64.0*float64(i+1)*float64(2*j+1)))
			dct[i*64+j] = v
			dctT[j*16+i] = v
		}
	}
}

// scratch holds the working memory of one hash computation. Planes grow to
// the largest image seen and are reused through scratchPool.
type scratch struct {
	luma  []float32 // rows x cols luma, filled by the image readers
	tmp   []float32 // rows x cols, after the first row pass
	mid   []float32 // rows x cols, after the first column pass
	sel   []float32 // rows x 64, the second row pass at the sampled columns
	block [64 * 64]float32
	t     [16 * 64]float32
	dct   [16 * 16]float32
	aux   [16 * 16]float32
	sort  [16 * 16]float32
	rgb   rgbScratch
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledPlane is the largest plane (in floats) kept in the pool: every
// still image (resized to 512x512 at most) and a full-HD video frame.
const maxPooledPlane = 1920 * 1088

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(s *scratch) {
	if cap(s.luma) > maxPooledPlane || cap(s.tmp) > maxPooledPlane || cap(s.mid) > maxPooledPlane {
		s.luma, s.tmp, s.mid, s.sel = nil, nil, nil, nil
	}
	scratchPool.Put(s)
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// plane returns the luma buffer sized for rows x cols.
func (s *scratch) plane(rows, cols int) []float32 {
	s.luma = grow(s.luma, rows*cols)
	return s.luma
}

// HashLuma computes the PDQ hash and quality of a luma plane of w columns
// and h rows in row-major order, exactly as the reference's
// pdqHash256FromFloatLuma does (including its shortcut for planes of
// exactly 64x64, which skip the filter). Luma values are normally 0 to 255.
// The plane is not modified. Planes smaller than 5 in either dimension hash
// to the zero hash with quality 0. HashLuma does not resize: the reference
// pipeline samples images larger than 512 down to 512x512 first, as
// HashImage does. It panics if len(luma) < w*h.
func HashLuma(luma []float32, w, h int) (Hash, int) {
	checkPlane(luma, w, h)
	if h < minHashableDim || w < minHashableDim {
		return Hash{}, 0
	}
	s := getScratch()
	defer putScratch(s)
	q := s.float256(luma, h, w, true)
	return s.bits(&s.dct), q
}

// DihedralLuma computes the eight dihedral hashes and the quality of a luma
// plane, as the reference's pdqDihedralHash256esFromFloatLuma does (which,
// unlike HashLuma, has no 64x64 shortcut). See HashLuma for the conventions.
func DihedralLuma(luma []float32, w, h int) (Dihedral, int) {
	checkPlane(luma, w, h)
	if h < minHashableDim || w < minHashableDim {
		return Dihedral{}, 0
	}
	s := getScratch()
	defer putScratch(s)
	q := s.float256(luma, h, w, false)
	return s.dihedral(), q
}

func checkPlane(luma []float32, w, h int) {
	if w < 0 || h < 0 || len(luma) < w*h {
		panic("pdq: luma plane shorter than w*h")
	}
}

// hashAndDihedral computes both the plain hash (with the 64x64 shortcut)
// and the dihedral hashes of the rows x cols plane in s.luma. The two
// differ only for planes of exactly 64x64.
func (s *scratch) hashAndDihedral(rows, cols int) (Hash, Dihedral, int) {
	if rows < minHashableDim || cols < minHashableDim {
		return Hash{}, Dihedral{}, 0
	}
	q := s.float256(s.luma, rows, cols, false)
	d := s.dihedral()
	h := d[Original]
	if rows == 64 && cols == 64 {
		q = s.float256(s.luma, rows, cols, true)
		h = s.bits(&s.dct)
	}
	return h, d, q
}

// float256 fills s.dct with the 16x16 DCT of the decimated plane and returns
// the quality. With bypass64, a 64x64 plane is taken as the 64x64 block
// unfiltered, like pdqFloat256FromFloatLuma.
func (s *scratch) float256(luma []float32, rows, cols int, bypass64 bool) int {
	if bypass64 && rows == 64 && cols == 64 {
		copy(s.block[:], luma[:64*64])
	} else {
		s.downsample(luma, rows, cols)
	}
	q := quality(&s.block)
	s.dct64To16()
	return q
}

// downsample runs the reference's two Jarosz passes (each a box filter
// along the rows, then along the columns) and decimates to 64x64, into
// s.block. The result is bit-identical to filtering the whole plane and
// then decimating, but the work the decimation throws away is skipped:
// the second row pass divides only at the 64 sampled columns, and the
// second column pass runs only over those 64 columns and divides only at
// the 64 sampled rows. The running sums themselves are always complete,
// since each output depends on the rounding of every earlier step.
func (s *scratch) downsample(luma []float32, rows, cols int) {
	wRow := (cols + 127) / 128 // window along each row
	wCol := (rows + 127) / 128 // window along each column
	n := rows * cols
	s.tmp = grow(s.tmp, n)
	s.mid = grow(s.mid, n)
	s.sel = grow(s.sel, rows*64)

	// Decimation indices: (int)(((i + 0.5) * dim) / 64) in double, which
	// is computed exactly, so it equals this integer form.
	var xs, ys [64]int
	for i := range 64 {
		xs[i] = (2*i + 1) * cols / 128
		ys[i] = (2*i + 1) * rows / 128
	}

	boxRows(luma, s.tmp, rows, cols, wRow)
	boxCols(s.tmp, s.mid, rows, cols, wCol)
	boxRowsAt(s.mid, s.sel, s.tmp, rows, cols, wRow, &xs)
	boxColsAt(s.sel, &s.block, rows, wCol, &ys)
}

// Box filter, as the reference's box1DFloat: for a window of w samples it
// keeps ONE float32 running sum over a vector of n samples. It first adds
// half-1 samples (half = (w+2)/2); then writes w-half+1 outputs while the
// window grows; then n-w outputs, each adding the entering sample and then
// subtracting the leaving one; then half-1 outputs while the window
// shrinks. Output k is the sum divided by the number of samples in the
// window, [k-(w-half), k+half-1] clipped to the vector.

func windowHalf(w int) int { return (w + 2) / 2 }

// windowCount is the number of samples in output k's window.
func windowCount(k, n, w int) int {
	half := windowHalf(w)
	lo, hi := k-(w-half), k+half-1
	lo = max(lo, 0)
	hi = min(hi, n-1)
	return hi - lo + 1
}

// lanes is how many rows the row passes filter together, each with its own
// running sum, so that the serial dependency of one sum does not bound
// the speed. Each row's operations stay in the reference's order.
const lanes = 8

// rowSums writes the running sum after each output step of the nl rows of
// length n starting at in[0] (nl <= lanes) into raw, without dividing.
func rowSums(in, raw []float32, nl, n, w int) {
	var s [lanes]float32
	half := windowHalf(w)
	in = in[:nl*n]
	raw = raw[:nl*n]
	ri, li, oi := 0, 0, 0
	for ; ri < half-1; ri++ {
		for l := range nl {
			s[l] += in[l*n+ri]
		}
	}
	for ; ri < w; ri++ {
		for l := range nl {
			s[l] += in[l*n+ri]
			raw[l*n+oi] = s[l]
		}
		oi++
	}
	if nl == lanes && ri < n {
		// The common case, unrolled by hand: eight independent sums over
		// the full-window phase, where output oi adds sample ri = oi+half-1
		// and subtracts sample li = ri-w. Slicing every operand to the
		// same length lets the compiler drop the bounds checks.
		m := n - ri
		s0, s1, s2, s3, s4, s5, s6, s7 := s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
		add := func(l int) []float32 { return in[l*n+ri : l*n+ri+m] }
		sub := func(l int) []float32 { return in[l*n+li : l*n+li+m] }
		dst := func(l int) []float32 { return raw[l*n+oi : l*n+oi+m] }
		a0, a1, a2, a3, a4, a5, a6, a7 := add(0), add(1), add(2), add(3), add(4), add(5), add(6), add(7)
		b0, b1, b2, b3, b4, b5, b6, b7 := sub(0), sub(1), sub(2), sub(3), sub(4), sub(5), sub(6), sub(7)
		o0, o1, o2, o3, o4, o5, o6, o7 := dst(0), dst(1), dst(2), dst(3), dst(4), dst(5), dst(6), dst(7)
		for k := range a0 {
			_, _, _, _, _, _, _ = a1[k], a2[k], a3[k], a4[k], a5[k], a6[k], a7[k]
			_, _, _, _, _, _, _, _ = b0[k], b1[k], b2[k], b3[k], b4[k], b5[k], b6[k], b7[k]
			_, _, _, _, _, _, _, _ = o0[k], o1[k], o2[k], o3[k], o4[k], o5[k], o6[k], o7[k]
			s0 += a0[k]
			s1 += a1[k]
			s2 += a2[k]
			s3 += a3[k]
			s4 += a4[k]
			s5 += a5[k]
			s6 += a6[k]
			s7 += a7[k]
			s0 -= b0[k]
			s1 -= b1[k]
			s2 -= b2[k]
			s3 -= b3[k]
			s4 -= b4[k]
			s5 -= b5[k]
			s6 -= b6[k]
			s7 -= b7[k]
			o0[k] = s0
			o1[k] = s1
			o2[k] = s2
			o3[k] = s3
			o4[k] = s4
			o5[k] = s5
			o6[k] = s6
			o7[k] = s7
		}
		ri += m
		li += m
		oi += m
		s = [lanes]float32{s0, s1, s2, s3, s4, s5, s6, s7}
	} else {
		for ; ri < n; ri++ {
			for l := range nl {
				s[l] += in[l*n+ri]
				s[l] -= in[l*n+li]
				raw[l*n+oi] = s[l]
			}
			li++
			oi++
		}
	}
	for ; oi < n; oi++ {
		for l := range nl {
			s[l] -= in[l*n+li]
			raw[l*n+oi] = s[l]
		}
		li++
	}
}

// divideRow turns one row of running sums into means, in place.
func divideRow(row []float32, w int) {
	n := len(row)
	half := windowHalf(w)
	first, last := w-half+1, n-half+1 // [first, last) is the full-window phase
	for k := 0; k < first && k < n; k++ {
		row[k] /= float32(windowCount(k, n, w))
	}
	mid := row[first:max(last, first)]
	if w&(w-1) == 0 {
		// Dividing by a power of two and multiplying by its reciprocal,
		// which is exact, give the same correctly rounded result.
		inv := 1 / float32(w)
		for k := range mid {
			mid[k] = float32(mid[k] * inv)
		}
	} else {
		c := float32(w)
		for k := range mid {
			mid[k] /= c
		}
	}
	for k := max(last, first); k < n; k++ {
		row[k] /= float32(windowCount(k, n, w))
	}
}

// boxRows filters every row of in (rows x cols) into out.
func boxRows(in, out []float32, rows, cols, w int) {
	for r := 0; r < rows; r += lanes {
		nl := min(lanes, rows-r)
		rowSums(in[r*cols:], out[r*cols:], nl, cols, w)
		for l := range nl {
			divideRow(out[(r+l)*cols:(r+l+1)*cols], w)
		}
	}
}

// boxRowsAt filters every row of in (rows x cols) but keeps only the outputs
// at the 64 columns xs, into out (rows x 64). raw is scratch of at least
// lanes*cols floats.
func boxRowsAt(in, out, raw []float32, rows, cols, w int, xs *[64]int) {
	var div [64]float32
	for k, x := range xs {
		div[k] = float32(windowCount(x, cols, w))
	}
	for r := 0; r < rows; r += lanes {
		nl := min(lanes, rows-r)
		rowSums(in[r*cols:], raw, nl, cols, w)
		for l := range nl {
			src := raw[l*cols : (l+1)*cols]
			dst := out[(r+l)*64 : (r+l+1)*64]
			for k, x := range xs {
				dst[k] = src[x] / div[k]
			}
		}
	}
}

// boxCols filters every column of in (rows x cols) into out, sweeping down
// the rows with one running sum per column.
func boxCols(in, out []float32, rows, cols, w int) {
	sums := make([]float32, cols)
	half := windowHalf(w)
	ri, li, oi := 0, 0, 0
	for ; ri < half-1; ri++ {
		add := in[ri*cols : (ri+1)*cols]
		for j := range sums {
			sums[j] += add[j]
		}
	}
	for ; ri < w; ri++ {
		add := in[ri*cols : (ri+1)*cols]
		o := out[oi*cols : (oi+1)*cols]
		c := float32(windowCount(oi, rows, w))
		for j := range sums {
			v := sums[j] + add[j]
			sums[j] = v
			o[j] = v / c
		}
		oi++
	}
	pow2 := w&(w-1) == 0
	inv, c := 1/float32(w), float32(w)
	for ; ri < rows; ri++ {
		add := in[ri*cols : (ri+1)*cols]
		sub := in[li*cols : (li+1)*cols]
		o := out[oi*cols : (oi+1)*cols]
		sums := sums[:len(add)]
		sub = sub[:len(add)]
		o = o[:len(add)]
		if pow2 {
			for j := range sums {
				v := sums[j] + add[j]
				v -= sub[j]
				sums[j] = v
				o[j] = float32(v * inv)
			}
		} else {
			for j := range sums {
				v := sums[j] + add[j]
				v -= sub[j]
				sums[j] = v
				o[j] = v / c
			}
		}
		li++
		oi++
	}
	for ; oi < rows; oi++ {
		sub := in[li*cols : (li+1)*cols]
		o := out[oi*cols : (oi+1)*cols]
		c := float32(windowCount(oi, rows, w))
		for j := range sums {
			v := sums[j] - sub[j]
			sums[j] = v
			o[j] = v / c
		}
		li++
	}
}

// boxColsAt filters the 64 columns of in (rows x 64) and keeps only the
// outputs at rows ys, into block (64 x 64).
func boxColsAt(in []float32, block *[64 * 64]float32, rows, w int, ys *[64]int) {
	var sums [64]float32
	half := windowHalf(w)
	next := 0 // the next entry of ys to fill
	emit := func(oi int) {
		if next >= 64 || ys[next] != oi {
			return
		}
		c := float32(windowCount(oi, rows, w))
		var row [64]float32
		for j := range row {
			row[j] = sums[j] / c
		}
		for next < 64 && ys[next] == oi {
			copy(block[next*64:(next+1)*64], row[:])
			next++
		}
	}
	ri, li, oi := 0, 0, 0
	for ; ri < half-1; ri++ {
		add := in[ri*64 : (ri+1)*64]
		for j := range sums {
			sums[j] += add[j]
		}
	}
	for ; ri < w; ri++ {
		add := in[ri*64 : (ri+1)*64]
		for j := range sums {
			sums[j] += add[j]
		}
		emit(oi)
		oi++
	}
	for ; ri < rows; ri++ {
		add := in[ri*64 : (ri+1)*64]
		sub := in[li*64 : (li+1)*64]
		for j := range sums {
			v := sums[j] + add[j]
			sums[j] = v - sub[j]
		}
		emit(oi)
		li++
		oi++
	}
	for ; oi < rows; oi++ {
		sub := in[li*64 : (li+1)*64]
		for j := range sums {
			sums[j] -= sub[j]
		}
		emit(oi)
		li++
	}
}

// quality is the reference's pdqImageDomainQualityMetric: the sum of the
// quantised absolute differences between neighbours in the 64x64 block,
// scaled and capped at 100.
func quality(b *[64 * 64]float32) int {
	sum := 0
	for i := 0; i < 63; i++ {
		for j := 0; j < 64; j++ {
			sum += absInt(int(float32(float32(b[i*64+j]-b[(i+1)*64+j])*100) / 255))
		}
	}
	for i := 0; i < 64; i++ {
		for j := 0; j < 63; j++ {
			sum += absInt(int(float32(float32(b[i*64+j]-b[i*64+j+1])*100) / 255))
		}
	}
	return min(sum/90, 100)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// dct64To16 computes s.dct = D · block · Dᵀ, each dot product accumulated
// in float32 in the reference's order (k from 0 to 63).
func (s *scratch) dct64To16() {
	a := &s.block
	t := &s.t
	// T = D · A: T[i][j] = Σ_k D[i][k] A[k][j]. The loops run k outside j
	// so that the 64 sums of a row of T advance together.
	for i := 0; i < 16; i++ {
		ti := t[i*64 : (i+1)*64 : (i+1)*64]
		clear(ti)
		for k := 0; k < 64; k++ {
			d := dct[i*64+k]
			ak := a[k*64 : (k+1)*64 : (k+1)*64]
			for j := range ti {
				ti[j] += float32(d * ak[j])
			}
		}
	}
	// B = T · Dᵀ: B[i][j] = Σ_k T[i][k] D[j][k].
	for i := 0; i < 16; i++ {
		bi := s.dct[i*16 : (i+1)*16 : (i+1)*16]
		clear(bi)
		for k := 0; k < 64; k++ {
			tik := t[i*64+k]
			dk := dctT[k*16 : (k+1)*16 : (k+1)*16]
			for j := range bi {
				bi[j] += float32(tik * dk[j])
			}
		}
	}
}

// median returns the 128th smallest of the 256 values (sorted[127]), which
// is what the reference's Torben median returns for 256 values.
func (s *scratch) median(v *[256]float32) float32 {
	s.sort = *v
	slices.Sort(s.sort[:])
	return s.sort[127]
}

// bits thresholds the 16x16 DCT at its median: bit i*16+j is set when
// B[i][j] is strictly greater than the median.
func (s *scratch) bits(b *[256]float32) Hash {
	return threshold(b, s.median(b))
}

func threshold(b *[256]float32, m float32) Hash {
	var h Hash
	for k, v := range b {
		if v > m {
			h[3-k/64] |= 1 << (uint(k) % 64)
		}
	}
	return h
}

// dihedral derives the eight dihedral hashes from s.dct: each variant
// negates the odd or even frequencies of one axis and may transpose, as the
// reference's dct16OriginalTo* functions do. Variants that differ only by
// a transposition have the same values, hence the same median.
func (s *scratch) dihedral() Dihedral {
	b := &s.dct
	a := &s.aux
	var d Dihedral
	var m [4]float32 // medians: none, negate even j, negate even i, negate odd i+j
	m[0] = s.median(b)
	d[Original] = threshold(b, m[0])
	variant := func(neg func(i, j int) bool, transpose bool) {
		for i := 0; i < 16; i++ {
			for j := 0; j < 16; j++ {
				v := b[i*16+j]
				if neg(i, j) {
					v = -v
				}
				if transpose {
					a[j*16+i] = v
				} else {
					a[i*16+j] = v
				}
			}
		}
	}
	negEvenJ := func(i, j int) bool { return j&1 == 0 }
	negEvenI := func(i, j int) bool { return i&1 == 0 }
	negOddSum := func(i, j int) bool { return (i+j)&1 == 1 }
	never := func(i, j int) bool { return false }

	variant(negEvenJ, true) // rot90: B'[j][i] = j odd ? B : -B
	m[1] = s.median(a)
	d[Rotate90] = threshold(a, m[1])
	variant(negOddSum, false) // rot180: B'[i][j] = (i+j) odd ? -B : B
	m[3] = s.median(a)
	d[Rotate180] = threshold(a, m[3])
	variant(negEvenI, true) // rot270: B'[j][i] = i odd ? B : -B
	m[2] = s.median(a)
	d[Rotate270] = threshold(a, m[2])
	variant(negEvenI, false) // flipx: B'[i][j] = i odd ? B : -B
	d[FlipX] = threshold(a, m[2])
	variant(negEvenJ, false) // flipy: B'[i][j] = j odd ? B : -B
	d[FlipY] = threshold(a, m[1])
	variant(never, true) // flipplus1: B'[j][i] = B
	d[FlipPlus1] = threshold(a, m[0])
	variant(negOddSum, true) // flipminus1: B'[j][i] = (i+j) odd ? -B : B
	d[FlipMinus1] = threshold(a, m[3])
	return d
}
