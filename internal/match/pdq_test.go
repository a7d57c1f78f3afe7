package match

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"vigil/internal/pdq"
)

// reference is the answer by definition: every indexed hash within d of
// q, computed with pdq.Distance (not this package's code), as "id:dist"
// strings sorted.
func reference(set []pdq.Hash, q pdq.Hash, d int) []string {
	var out []string
	for i, h := range set {
		if dist := pdq.Distance(q, h); dist <= d {
			out = append(out, fmt.Sprintf("%d:%d", i, dist))
		}
	}
	slices.Sort(out)
	return out
}

func hitStrings(hits []PDQHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = fmt.Sprintf("%d:%d", h.ID, h.Distance)
	}
	slices.Sort(out)
	return out
}

func TestPDQExactAgainstBruteForce(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 4000
	}
	sets := map[string][]pdq.Hash{
		"uniform":   uniformSet(n, 1),
		"clustered": clusteredSet(n, 40, 2),
		"skewed":    skewedSet(n, 3),
	}
	dists := []int{0, 1, 8, 15, 16, 17, 31, 32, 40, 47, 48, 63, 64, 90}
	for name, set := range sets {
		t.Run(name, func(t *testing.T) {
			x := buildPDQ(set)
			qs := queriesNear(set, 60, 70, 5)
			qs = append(qs, set[:5]...)
			mihUsed, total := 0, 0
			for _, d := range dists {
				for qi, q := range qs {
					want := reference(set, q, d)
					// Through the index with no budget: MIH alone.
					if d/slots <= maxRadius {
						got, ok := x.mih(&q, d, -1, nil)
						if !ok {
							t.Fatalf("mih refused d=%d", d)
						}
						if g := hitStrings(got); !slices.Equal(g, want) {
							t.Fatalf("d=%d query %d: MIH %v, brute force %v", d, qi, g, want)
						}
						mihUsed++
					}
					// The public paths, with the default budget.
					if g := hitStrings(x.Query(q, d)); !slices.Equal(g, want) {
						t.Fatalf("d=%d query %d: Query %v, want %v", d, qi, g, want)
					}
					if g := hitStrings(x.BruteForce(q, d)); !slices.Equal(g, want) {
						t.Fatalf("d=%d query %d: BruteForce %v, want %v", d, qi, g, want)
					}
					total += len(want)
				}
			}
			if total == 0 || mihUsed == 0 {
				t.Fatalf("the test found nothing (%d hits, %d MIH queries)", total, mihUsed)
			}
		})
	}
}

func TestPDQOrderAndDuplicates(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	base := randomHash(rng)
	b := NewPDQBuilder(0)
	b.Add(flip(rng, base, 5), 7)
	b.Add(base, 3)
	b.Add(base, 1) // the same hash under two ids
	b.Add(flip(rng, base, 20), 2)
	b.Add(flip(rng, base, 40), 4) // too far
	x := b.Build()
	got := x.Query(base, 31)
	want := []PDQHit{{ID: 1}, {ID: 3}, {ID: 7, Distance: 5}, {ID: 2, Distance: 20}}
	if !slices.Equal(got, want) {
		t.Errorf("Query = %v, want %v", got, want)
	}
	if got := x.Query(base, -1); got != nil {
		t.Errorf("negative distance: %v", got)
	}
	var empty *PDQ
	if empty.Len() != 0 || NewPDQBuilder(0).Build().Query(base, 31) != nil {
		t.Error("empty index answered")
	}
}

// imageReference: per id, the least distance over the variants.
func imageReference(set []pdq.Hash, variants []pdq.Hash, d int) []string {
	best := map[int]int{}
	for _, q := range variants {
		for i, h := range set {
			dist := pdq.Distance(q, h)
			if dist > d {
				continue
			}
			if old, ok := best[i]; !ok || dist < old {
				best[i] = dist
			}
		}
	}
	var out []string
	for i, dist := range best {
		out = append(out, fmt.Sprintf("%d:%d", i, dist))
	}
	slices.Sort(out)
	return out
}

func TestPDQQueryImage(t *testing.T) {
	set := clusteredSet(5000, 30, 11)
	x := buildPDQ(set)
	rng := rand.New(rand.NewPCG(12, 12))
	for i := 0; i < 30; i++ {
		// Eight variants: a few near indexed hashes, the rest unrelated.
		vs := make([]pdq.Hash, 8)
		for v := range vs {
			if rng.IntN(3) == 0 {
				vs[v] = flip(rng, set[rng.IntN(len(set))], rng.IntN(36))
			} else {
				vs[v] = randomHash(rng)
			}
		}
		got := x.QueryImage(vs, PDQMatchDistance)
		if g, w := hitStrings(got), imageReference(set, vs, PDQMatchDistance); !slices.Equal(g, w) {
			t.Fatalf("image %d: %v, want %v", i, g, w)
		}
		for _, h := range got {
			if pdq.Distance(vs[h.Variant], set[h.ID]) != h.Distance {
				t.Fatalf("hit %+v: variant %d is not at that distance", h, h.Variant)
			}
		}
		for j := 1; j < len(got); j++ {
			if got[j].Distance < got[j-1].Distance {
				t.Fatalf("not sorted by distance: %v", got)
			}
		}
	}
}

func TestPDQMatchImages(t *testing.T) {
	// Uniform hashes plus a crowd sharing slot values: queries into the
	// crowd exceed the batch budget and go to the tiled scan.
	set := append(uniformSet(6000, 21), skewedSet(6000, 22)...)
	x := buildPDQ(set)
	rng := rand.New(rand.NewPCG(23, 23))
	images := make([][]pdq.Hash, 40)
	deferred := 0
	for i := range images {
		nv := 1 + rng.IntN(8)
		for v := 0; v < nv; v++ {
			var q pdq.Hash
			switch rng.IntN(3) {
			case 0:
				q = randomHash(rng)
			case 1:
				q = flip(rng, set[rng.IntN(6000)], rng.IntN(34))
			default:
				q = flip(rng, set[6000+rng.IntN(6000)], rng.IntN(34))
			}
			if _, ok := x.mih(&q, PDQMatchDistance, batchBudget(x.Len()), nil); !ok {
				deferred++
			}
			images[i] = append(images[i], q)
		}
	}
	if deferred == 0 {
		t.Fatal("no query exceeded the batch budget: the scan path is not tested")
	}
	got, err := x.MatchImages(context.Background(), images, PDQMatchDistance)
	if err != nil {
		t.Fatal(err)
	}
	for i, vs := range images {
		if g, w := hitStrings(got[i]), imageReference(set, vs, PDQMatchDistance); !slices.Equal(g, w) {
			t.Fatalf("image %d: %v, want %v", i, g, w)
		}
		if q := x.QueryImage(vs, PDQMatchDistance); !slices.Equal(q, got[i]) {
			t.Fatalf("image %d: MatchImages %v, QueryImage %v", i, got[i], q)
		}
	}
	// Again, verifying every few hundred candidates.
	defer func(m int) { maxPairs = m }(maxPairs)
	maxPairs = 300
	again, err := x.MatchImages(context.Background(), images, PDQMatchDistance)
	if err != nil {
		t.Fatal(err)
	}
	for i := range images {
		if !slices.Equal(again[i], got[i]) {
			t.Fatalf("image %d: %v with small batches, %v", i, again[i], got[i])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.MatchImages(ctx, images, PDQMatchDistance); err == nil {
		t.Error("cancelled context: no error")
	}
}
