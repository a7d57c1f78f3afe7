package pdq

// The inverse DCT of libjpeg's "islow" method (jidctint.c, the default
// that ImageMagick and so the PDQ reference use): the Loeffler-Ligtenberg-
// Moschytz algorithm in scaled integer arithmetic, 13-bit constants, two
// extra bits of precision between the column pass and the row pass, the
// same rounding (add half, shift right) at the same points, the shortcuts
// for all-zero AC terms (which give the same values), and the same range
// limiting: the result is wrapped to 10 bits and looked up in libjpeg's
// table, which clamps moderate overshoots and wraps absurd ones.
//
// The column pass works in 64 bits and stores 32-bit integers, as libjpeg
// does on 64-bit Linux (JLONG is long, the workspace is int). libjpeg-
// turbo's SIMD versions give the same values for every coefficient block
// an encoder produces from 8-bit samples; they saturate in 16 bits where
// the C code does not on absurd coefficients that only a crafted file has.

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

// idctRange is libjpeg's IDCT range-limit table (jdmaster.c
// prepare_range_limit_table, seen from sample_range_limit + CENTERJSAMPLE)
// indexed by the descaled result & 1023.
var idctRange [1024]byte

func init() {
	for i := range idctRange {
		switch {
		case i < 128:
			idctRange[i] = byte(i + 128)
		case i < 512:
			idctRange[i] = 255
		case i < 896:
			idctRange[i] = 0
		default:
			idctRange[i] = byte(i - 896)
		}
	}
}

// idct computes the rows of one 8x8 block selected by rows (bit r for row
// r; 0xff for all) from its coefficients (natural order) and quantisation
// table, writing row r at out[r*stride:r*stride+8].
func idct(coef *[64]int16, q *[64]int32, out []byte, stride int, rows uint8) {
	var ws [64]int32

	// Pass 1: columns.
	for c := range 8 {
		if coef[8+c] == 0 && coef[16+c] == 0 && coef[24+c] == 0 && coef[32+c] == 0 &&
			coef[40+c] == 0 && coef[48+c] == 0 && coef[56+c] == 0 {
			dc := int32((int(coef[c]) * int(q[c])) << idctPass1Bits)
			ws[c], ws[8+c], ws[16+c], ws[24+c] = dc, dc, dc, dc
			ws[32+c], ws[40+c], ws[48+c], ws[56+c] = dc, dc, dc, dc
			continue
		}
		z2 := int(coef[16+c]) * int(q[16+c])
		z3 := int(coef[48+c]) * int(q[48+c])
		z1 := (z2 + z3) * fix0_541196100
		tmp2 := z1 + z3*-fix1_847759065
		tmp3 := z1 + z2*fix0_765366865
		z2 = int(coef[c]) * int(q[c])
		z3 = int(coef[32+c]) * int(q[32+c])
		tmp0 := (z2 + z3) << idctConstBits
		tmp1 := (z2 - z3) << idctConstBits
		tmp10 := tmp0 + tmp3
		tmp13 := tmp0 - tmp3
		tmp11 := tmp1 + tmp2
		tmp12 := tmp1 - tmp2

		tmp3 = int(coef[8+c]) * int(q[8+c])
		tmp2 = int(coef[24+c]) * int(q[24+c])
		tmp1 = int(coef[40+c]) * int(q[40+c])
		tmp0 = int(coef[56+c]) * int(q[56+c])
		z4 := tmp1 + tmp3
		z3 = tmp0 + tmp2
		z2 = tmp1 + tmp2
		z1 = tmp0 + tmp3
		z5 := (z3 + z4) * fix1_175875602
		tmp3 *= fix1_501321110
		tmp2 *= fix3_072711026
		tmp1 *= fix2_053119869
		tmp0 *= fix0_298631336
		z4 = z4*-fix0_390180644 + z5
		z3 = z3*-fix1_961570560 + z5
		z1 *= -fix0_899976223
		z2 *= -fix2_562915447
		tmp3 += z1 + z4
		tmp2 += z2 + z3
		tmp1 += z2 + z4
		tmp0 += z1 + z3

		const sh, half = idctConstBits - idctPass1Bits, 1 << (idctConstBits - idctPass1Bits - 1)
		ws[c] = int32((tmp10 + tmp3 + half) >> sh)
		ws[8+c] = int32((tmp11 + tmp2 + half) >> sh)
		ws[16+c] = int32((tmp12 + tmp1 + half) >> sh)
		ws[24+c] = int32((tmp13 + tmp0 + half) >> sh)
		ws[32+c] = int32((tmp13 - tmp0 + half) >> sh)
		ws[40+c] = int32((tmp12 - tmp1 + half) >> sh)
		ws[48+c] = int32((tmp11 - tmp2 + half) >> sh)
		ws[56+c] = int32((tmp10 - tmp3 + half) >> sh)
	}

	// Pass 2: rows.
	for r := range 8 {
		if rows&(1<<r) == 0 {
			continue
		}
		w := (*[8]int32)(ws[r*8 : r*8+8])
		o := out[r*stride : r*stride+8 : r*stride+8]
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := idctRange[((int(w[0])+(1<<(idctPass1Bits+2)))>>(idctPass1Bits+3))&1023]
			o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7] = v, v, v, v, v, v, v, v
			continue
		}
		z2 := int(w[2])
		z3 := int(w[6])
		z1 := (z2 + z3) * fix0_541196100
		tmp0 := (int(w[0]) + int(w[4])) << idctConstBits
		tmp3 := z1 + z2*fix0_765366865
		tmp1 := (int(w[0]) - int(w[4])) << idctConstBits
		tmp2 := z1 + z3*-fix1_847759065
		tmp10 := tmp0 + tmp3
		tmp13 := tmp0 - tmp3
		tmp11 := tmp1 + tmp2
		tmp12 := tmp1 - tmp2

		tmp3 = int(w[1])
		tmp2 = int(w[3])
		tmp1 = int(w[5])
		tmp0 = int(w[7])
		z4 := tmp1 + tmp3
		z3 = tmp0 + tmp2
		z2 = tmp1 + tmp2
		z1 = tmp0 + tmp3
		z5 := (z3 + z4) * fix1_175875602
		tmp3 *= fix1_501321110
		tmp2 *= fix3_072711026
		tmp1 *= fix2_053119869
		tmp0 *= fix0_298631336
		z4 = z4*-fix0_390180644 + z5
		z3 = z3*-fix1_961570560 + z5
		z2 *= -fix2_562915447
		z1 *= -fix0_899976223
		tmp3 += z1 + z4
		tmp2 += z2 + z3
		tmp1 += z2 + z4
		tmp0 += z1 + z3

		const sh, half = idctConstBits + idctPass1Bits + 3, 1 << (idctConstBits + idctPass1Bits + 2)
		o[0] = idctRange[((tmp10+tmp3+half)>>sh)&1023]
		o[7] = idctRange[((tmp10-tmp3+half)>>sh)&1023]
		o[1] = idctRange[((tmp11+tmp2+half)>>sh)&1023]
		o[6] = idctRange[((tmp11-tmp2+half)>>sh)&1023]
		o[2] = idctRange[((tmp12+tmp1+half)>>sh)&1023]
		o[5] = idctRange[((tmp12-tmp1+half)>>sh)&1023]
		o[3] = idctRange[((tmp13+tmp0+half)>>sh)&1023]
		o[4] = idctRange[((tmp13-tmp0+half)>>sh)&1023]
	}
}
