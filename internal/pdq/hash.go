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
