package pdq

import (
	"encoding/hex"
	"fmt"
	"math/bits"
)

// Hash is a 256-bit PDQ hash. Word 0 holds the most significant 64 bits,
// that is the first 16 hexadecimal digits of the reference text form, so
// the text form is the four words printed big-endian, in order.
type Hash [4]uint64

// String returns the 64 lower-case hexadecimal digits the reference prints.
func (h Hash) String() string {
	return fmt.Sprintf("%016x%016x%016x%016x", h[0], h[1], h[2], h[3])
}

// ParseHash reads the 64-digit hexadecimal text form (either case).
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 64 {
		return h, fmt.Errorf("pdq hash %q: want 64 hexadecimal digits, have %d characters", clip(s), len(s))
	}
	var b [32]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return h, fmt.Errorf("pdq hash %q: %w", clip(s), err)
	}
	for i := range h {
		for j := 0; j < 8; j++ {
			h[i] = h[i]<<8 | uint64(b[i*8+j])
		}
	}
	return h, nil
}

// Distance is the Hamming distance between two hashes, 0 to 256.
func Distance(a, b Hash) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// Bit reports bit k (0 to 255) of the hash read as a 256-bit big-endian
// integer: bit 0 is the lowest bit of the last hexadecimal digit.
func (h Hash) Bit(k int) bool {
	return h[3-k/64]>>(uint(k)%64)&1 == 1
}

// IsZero reports whether every bit is clear, the hash the reference gives
// images too small to hash.
func (h Hash) IsZero() bool { return h == Hash{} }

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Transform names one of the eight dihedral transformations (rotations by
// multiples of 90 degrees counter-clockwise, and mirrors), in the order the
// reference prints them.
type Transform int

const (
	Original   Transform = iota // the image as it is
	Rotate90                    // rotated 90 degrees counter-clockwise
	Rotate180                   // rotated 180 degrees
	Rotate270                   // rotated 270 degrees counter-clockwise
	FlipX                       // mirrored top to bottom
	FlipY                       // mirrored left to right
	FlipPlus1                   // transposed about the top-left to bottom-right diagonal
	FlipMinus1                  // transposed about the other diagonal
)

var transformNames = [8]string{"orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"}

// String returns the reference's column name: orig, rot90, rot180, rot270,
// flipx, flipy, flipplus1, flipminus1.
func (t Transform) String() string {
	if t < 0 || int(t) >= len(transformNames) {
		return fmt.Sprintf("Transform(%d)", int(t))
	}
	return transformNames[t]
}

// Dihedral holds the hashes of the eight dihedral transformations of one
// image, indexed by Transform. Each is the hash the reference computes for
// the transformed DCT of the image; hashing a rotated or mirrored copy of
// the file gives hashes close to, but not always identical with, these.
type Dihedral [8]Hash

// String returns the eight hashes separated by commas, in the reference's
// order (the first eight columns of its --pdqdih-across output).
func (d Dihedral) String() string {
	b := make([]byte, 0, 8*65)
	for i, h := range d {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, h.String()...)
	}
	return string(b)
}

// Nearest returns the transformation whose hash is closest to h, and that
// distance.
func (d Dihedral) Nearest(h Hash) (Transform, int) {
	best, bestD := Original, 257
	for i, x := range d {
		if dist := Distance(x, h); dist < bestD {
			best, bestD = Transform(i), dist
		}
	}
	return best, bestD
}

// Variants derives the eight dihedral variants from a hash alone, for
// queries against an index whose entries are known only by their hashes.
// The transposing variant FlipPlus1 is exact. The others are estimates:
// they negate half of the DCT coefficients, which moves the median, so the
// exact variant is only computable from the image (DihedralImage). Each
// estimate flips the bits of the negated coefficients, which is exact for
// coefficients that are not between the old and the new median; on the
// conformance images the estimates are within a few bits of the exact
// variants (see TestVariantsEstimate).
func Variants(h Hash) Dihedral {
	var d Dihedral
	for t := range d {
		d[t] = variant(h, Transform(t))
	}
	return d
}

func variant(h Hash, t Transform) Hash {
	var out Hash
	for i := 0; i < 16; i++ {
		for j := 0; j < 16; j++ {
			bit := h.Bit(i*16 + j)
			var negate, transpose bool
			switch t {
			case Rotate90:
				negate, transpose = j&1 == 0, true
			case Rotate180:
				negate = (i+j)&1 == 1
			case Rotate270:
				negate, transpose = i&1 == 0, true
			case FlipX:
				negate = i&1 == 0
			case FlipY:
				negate = j&1 == 0
			case FlipPlus1:
				transpose = true
			case FlipMinus1:
				negate, transpose = (i+j)&1 == 1, true
			}
			if negate {
				bit = !bit
			}
			k := i*16 + j
			if transpose {
				k = j*16 + i
			}
			if bit {
				out[3-k/64] |= 1 << (uint(k) % 64)
			}
		}
	}
	return out
}
