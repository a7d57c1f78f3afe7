package match

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"vigil/internal/pdq"
)

func TestCacheRoundTrip(t *testing.T) {
	ex, want, digests := exactFixture(SHA256, 3000, 1)
	set := clusteredSet(3000, 30, 2)
	pq := buildPDQ(set)
	path := filepath.Join(t.TempDir(), "index.cache")
	fp := []byte("sets: 1@2026-11-29, 2@2026-11-30")
	if err := SaveCache(path, fp, ex, pq); err != nil {
		t.Fatal(err)
	}
	ex2, pq2, err := LoadCache(path, fp)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range digests {
		if got := ex2.Lookup(SHA256, d); !slices.Equal(got, want[string(d)]) {
			t.Fatalf("loaded Lookup(%x) = %v, want %v", d, got, want[string(d)])
		}
	}
	if pq2.Len() != len(set) {
		t.Fatalf("loaded PDQ has %d hashes", pq2.Len())
	}
	for _, q := range queriesNear(set, 50, 35, 3) {
		if a, b := pq.Query(q, 31), pq2.Query(q, 31); !slices.Equal(a, b) {
			t.Fatalf("loaded PDQ answers %v, built one %v", b, a)
		}
	}

	// Only one index.
	if err := SaveCache(path, fp, nil, pq); err != nil {
		t.Fatal(err)
	}
	if ex3, pq3, err := LoadCache(path, fp); err != nil || ex3 != nil || pq3.Len() != len(set) {
		t.Errorf("PDQ-only cache: %v %v %v", ex3, pq3.Len(), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestCacheRefusesStaleAndCorrupt(t *testing.T) {
	ex, _, _ := exactFixture(MD5, 500, 4)
	pq := buildPDQ(uniformSet(500, 5))
	dir := t.TempDir()
	path := filepath.Join(dir, "index.cache")
	if err := SaveCache(path, []byte("fp-1"), ex, pq); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadCache(path, []byte("fp-2")); !errors.Is(err, ErrStaleCache) {
		t.Errorf("other fingerprint: %v", err)
	}
	good, _ := os.ReadFile(path)

	// Every single-byte change after the header is caught: the checksum,
	// or for the fingerprint, staleness.
	for _, off := range []int{0, 12, 17, 30, len(good) / 3, len(good) / 2, len(good) - 5, len(good) - 1} {
		bad := slices.Clone(good)
		bad[off] ^= 0x40
		p := filepath.Join(dir, "bad.cache")
		os.WriteFile(p, bad, 0o644)
		_, _, err := LoadCache(p, []byte("fp-1"))
		if !errors.Is(err, ErrCorruptCache) && !errors.Is(err, ErrStaleCache) {
			t.Errorf("byte %d changed: err = %v", off, err)
		}
	}
	for _, n := range []int{0, 5, 20, len(good) - 4, len(good) - 1} {
		p := filepath.Join(dir, "short.cache")
		os.WriteFile(p, good[:n], 0o644)
		if _, _, err := LoadCache(p, []byte("fp-1")); !errors.Is(err, ErrCorruptCache) && !errors.Is(err, ErrStaleCache) {
			t.Errorf("truncated to %d: err = %v", n, err)
		}
	}
	p := filepath.Join(dir, "long.cache")
	os.WriteFile(p, append(slices.Clone(good), 0), 0o644)
	if _, _, err := LoadCache(p, []byte("fp-1")); !errors.Is(err, ErrCorruptCache) {
		t.Errorf("trailing byte: err = %v", err)
	}
	if _, _, err := LoadCache(filepath.Join(dir, "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
	if err := SaveCache(path, make([]byte, maxFPLen+1), nil, nil); err == nil {
		t.Error("huge fingerprint accepted")
	}
}

func TestCacheRefusesUnsortedDigests(t *testing.T) {
	// A file with a valid checksum but digests out of order (written by
	// hand here) is refused rather than giving wrong answers.
	b := NewExactBuilder()
	b.Add(MD5, make([]byte, 16), 1)
	one := make([]byte, 16)
	one[0] = 1
	b.Add(MD5, one, 2)
	ex := b.Build()
	t0 := &ex.t[MD5]
	k0 := slices.Clone(t0.key(0))
	copy(t0.key(0), t0.key(1))
	copy(t0.key(1), k0)
	path := filepath.Join(t.TempDir(), "c")
	if err := SaveCache(path, nil, ex, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadCache(path, nil); !errors.Is(err, ErrCorruptCache) {
		t.Errorf("unsorted: err = %v", err)
	}
	_ = pdq.Hash{}
}
