package match

import (
	"math/rand/v2"

	"vigil/internal/pdq"
)

// Synthetic PDQ hash sets: random 256-bit values, never hashes of images.

func randomHash(rng *rand.Rand) pdq.Hash {
	return pdq.Hash{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}
}

// flip returns h with k distinct random bits flipped.
func flip(rng *rand.Rand, h pdq.Hash, k int) pdq.Hash {
	for _, b := range rng.Perm(256)[:k] {
		h[b/64] ^= 1 << (b % 64)
	}
	return h
}

// uniformSet: n independent random hashes.
func uniformSet(n int, seed uint64) []pdq.Hash {
	rng := rand.New(rand.NewPCG(seed, 1))
	hs := make([]pdq.Hash, n)
	for i := range hs {
		hs[i] = randomHash(rng)
	}
	return hs
}

// clusteredSet: families of near-duplicates, n/50 random centres with
// members 0 to maxFlips bits away (re-encodes, crops of one picture).
func clusteredSet(n int, maxFlips int, seed uint64) []pdq.Hash {
	rng := rand.New(rand.NewPCG(seed, 2))
	centres := make([]pdq.Hash, max(n/50, 1))
	for i := range centres {
		centres[i] = randomHash(rng)
	}
	hs := make([]pdq.Hash, n)
	for i := range hs {
		hs[i] = flip(rng, centres[rng.IntN(len(centres))], rng.IntN(maxFlips+1))
	}
	return hs
}

// skewedSet: every 16-bit slot value drawn from a Zipf distribution, so a
// few slot values are very common (flat images, shared backgrounds): the
// case where multi-index hashing degrades.
func skewedSet(n int, seed uint64) []pdq.Hash {
	rng := rand.New(rand.NewPCG(seed, 3))
	z := rand.NewZipf(rng, 1.2, 1, slotVals-1)
	hs := make([]pdq.Hash, n)
	for i := range hs {
		for s := 0; s < slots; s++ {
			hs[i][s>>2] |= z.Uint64() << (48 - 16*uint(s&3))
		}
	}
	return hs
}

// queriesNear makes queries: indexed hashes with 0 to maxFlips bits
// flipped, and unrelated random hashes.
func queriesNear(set []pdq.Hash, n, maxFlips int, seed uint64) []pdq.Hash {
	rng := rand.New(rand.NewPCG(seed, 4))
	qs := make([]pdq.Hash, n)
	for i := range qs {
		if i%2 == 0 || len(set) == 0 {
			qs[i] = randomHash(rng)
		} else {
			qs[i] = flip(rng, set[rng.IntN(len(set))], rng.IntN(maxFlips+1))
		}
	}
	return qs
}

func buildPDQ(hs []pdq.Hash) *PDQ {
	b := NewPDQBuilder(len(hs))
	for i, h := range hs {
		b.Add(h, uint32(i))
	}
	return b.Build()
}
