package pdq

// The inverse DCT of libjpeg's "islow" method (jidctint.c, the default
// that ImageMagick and so the PDQ reference use): the Loeffler-Ligtenberg-
// Moschytz algorithm in scaled integer arithmetic, 13-bit constants, two
// extra bits of precision between the column pass and the row pass, the
// same rounding (add half, shift right) at the same points.
//
// It computes what libjpeg-turbo's x86-64 SIMD code (jidctint-avx2.asm,
// which the reference gets on any x86-64 machine) computes, including on
// absurd coefficients that only damaged or crafted files have: the
// dequantised coefficients and the sums in0+in4, in0-in4, in7+in3 and
// in5+in1 wrap in 16 bits, the products are regrouped so that no other
// sum does, the intermediate results saturate to 16 bits, and the output
// saturates to 0..255. libjpeg-turbo's portable C code (and so the
// reference on machines without these SIMD extensions) wraps the output
// instead (a table indexed by the result's low 10 bits) and computes in
// 32 and 64 bits; the two agree on every block an encoder produces from
// 8-bit samples, that is whenever no intermediate value leaves those
// ranges.
const (
	idctConstBits = 13
	idctPass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

func sat16(v int32) int32 {
	return min(max(v, -32768), 32767)
}

// out8 is the final stage: saturation to 16 bits, then to 8 bits
// (-128..127, which makes the first redundant), then the +128 shift.
func out8(v int32) byte {
	return byte(min(max(v, -128), 127) + 128)
}

// idct computes the rows of one 8x8 block selected by rows (bit r for row
// r; 0xff for all) from its coefficients (natural order) and quantisation
// table, writing row r at out[r*stride:r*stride+8]: a 1-D pass over each
// column, then over each selected row (the same code twice, for speed).
func idct(coef *[64]int16, q *[64]int32, out []byte, stride int, rows uint8) {
	var ws [64]int32
	full := false // some column has AC terms
	for c := range 8 {
		if coef[8+c] == 0 && coef[16+c] == 0 && coef[24+c] == 0 && coef[32+c] == 0 &&
			coef[40+c] == 0 && coef[48+c] == 0 && coef[56+c] == 0 {
			// What the full pass gives for this column.
			v := sat16(int32(int16(int32(coef[c])*q[c])) << idctPass1Bits)
			ws[c], ws[8+c], ws[16+c], ws[24+c] = v, v, v, v
			ws[32+c], ws[40+c], ws[48+c], ws[56+c] = v, v, v, v
			continue
		}
		full = true
		x0 := int32(int16(int32(coef[c]) * q[c]))
		x1 := int32(int16(int32(coef[8+c]) * q[8+c]))
		x2 := int32(int16(int32(coef[16+c]) * q[16+c]))
		x3 := int32(int16(int32(coef[24+c]) * q[24+c]))
		x4 := int32(int16(int32(coef[32+c]) * q[32+c]))
		x5 := int32(int16(int32(coef[40+c]) * q[40+c]))
		x6 := int32(int16(int32(coef[48+c]) * q[48+c]))
		x7 := int32(int16(int32(coef[56+c]) * q[56+c]))

		tmp3 := x2*(fix0_541196100+fix0_765366865) + x6*fix0_541196100
		tmp2 := x2*fix0_541196100 + x6*(fix0_541196100-fix1_847759065)
		tmp0 := int32(int16(x0+x4)) << idctConstBits
		tmp1 := int32(int16(x0-x4)) << idctConstBits
		tmp10 := tmp0 + tmp3
		tmp13 := tmp0 - tmp3
		tmp11 := tmp1 + tmp2
		tmp12 := tmp1 - tmp2
		z3 := int32(int16(x7 + x3))
		z4 := int32(int16(x5 + x1))
		z3p := z3*(fix1_175875602-fix1_961570560) + z4*fix1_175875602
		z4p := z3*fix1_175875602 + z4*(fix1_175875602-fix0_390180644)
		t0 := x7*(fix0_298631336-fix0_899976223) + x1*-fix0_899976223 + z3p
		t1 := x5*(fix2_053119869-fix2_562915447) + x3*-fix2_562915447 + z4p
		t3 := x7*-fix0_899976223 + x1*(fix1_501321110-fix0_899976223) + z4p
		t2 := x5*-fix2_562915447 + x3*(fix3_072711026-fix2_562915447) + z3p

		const n, half = idctConstBits - idctPass1Bits, 1 << (idctConstBits - idctPass1Bits - 1)
		ws[c] = sat16((tmp10 + t3 + half) >> n)
		ws[56+c] = sat16((tmp10 - t3 + half) >> n)
		ws[8+c] = sat16((tmp11 + t2 + half) >> n)
		ws[48+c] = sat16((tmp11 - t2 + half) >> n)
		ws[16+c] = sat16((tmp12 + t1 + half) >> n)
		ws[40+c] = sat16((tmp12 - t1 + half) >> n)
		ws[24+c] = sat16((tmp13 + t0 + half) >> n)
		ws[32+c] = sat16((tmp13 - t0 + half) >> n)
	}
	if !full {
		// Only the first row of coefficients: the SIMD code's shortcut,
		// with 16-bit products and shift.
		for c := range 8 {
			v := int32(int16(int16(int32(coef[c])*q[c]) << idctPass1Bits))
			ws[c], ws[8+c], ws[16+c], ws[24+c] = v, v, v, v
			ws[32+c], ws[40+c], ws[48+c], ws[56+c] = v, v, v, v
		}
	}
	for r := range 8 {
		if rows&(1<<r) == 0 {
			continue
		}
		w := (*[8]int32)(ws[r*8 : r*8+8])
		o := (*[8]byte)(out[r*stride : r*stride+8])
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := out8((w[0] + 1<<(idctPass1Bits+2)) >> (idctPass1Bits + 3))
			o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7] = v, v, v, v, v, v, v, v
			continue
		}
		x0, x1, x2, x3, x4, x5, x6, x7 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]
		tmp3 := x2*(fix0_541196100+fix0_765366865) + x6*fix0_541196100
		tmp2 := x2*fix0_541196100 + x6*(fix0_541196100-fix1_847759065)
		tmp0 := int32(int16(x0+x4)) << idctConstBits
		tmp1 := int32(int16(x0-x4)) << idctConstBits
		tmp10 := tmp0 + tmp3
		tmp13 := tmp0 - tmp3
		tmp11 := tmp1 + tmp2
		tmp12 := tmp1 - tmp2
		z3 := int32(int16(x7 + x3))
		z4 := int32(int16(x5 + x1))
		z3p := z3*(fix1_175875602-fix1_961570560) + z4*fix1_175875602
		z4p := z3*fix1_175875602 + z4*(fix1_175875602-fix0_390180644)
		t0 := x7*(fix0_298631336-fix0_899976223) + x1*-fix0_899976223 + z3p
		t1 := x5*(fix2_053119869-fix2_562915447) + x3*-fix2_562915447 + z4p
		t3 := x7*-fix0_899976223 + x1*(fix1_501321110-fix0_899976223) + z4p
		t2 := x5*-fix2_562915447 + x3*(fix3_072711026-fix2_562915447) + z3p

		const n, half = idctConstBits + idctPass1Bits + 3, 1 << (idctConstBits + idctPass1Bits + 2)
		o[0] = out8((tmp10 + t3 + half) >> n)
		o[7] = out8((tmp10 - t3 + half) >> n)
		o[1] = out8((tmp11 + t2 + half) >> n)
		o[6] = out8((tmp11 - t2 + half) >> n)
		o[2] = out8((tmp12 + t1 + half) >> n)
		o[5] = out8((tmp12 - t1 + half) >> n)
		o[3] = out8((tmp13 + t0 + half) >> n)
		o[4] = out8((tmp13 - t0 + half) >> n)
	}
}

// dcOnly is what idct gives for every sample of a block whose only
// nonzero coefficient is the DC term dc, with quantiser q.
func dcOnly(dc int16, q int32) byte {
	w := int32(int16(int16(int32(dc)*q) << idctPass1Bits))
	return out8((w + 1<<(idctPass1Bits+2)) >> (idctPass1Bits + 3))
}
