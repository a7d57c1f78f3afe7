package match

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func seqOf(es ...IndexEntry) func(func(IndexEntry, error) bool) {
	return func(yield func(IndexEntry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func TestBuild(t *testing.T) {
	good := "f0a10efd" + strings.Repeat("0123456789abcdef", 3) + "01234567"
	low := strings.Repeat("1", 64)
	unknown := strings.Repeat("2", 64)
	ex, pq, err := Build(context.Background(), seqOf(
		IndexEntry{ID: 1, MD5: "00000000000000000000000000000001", SHA256: strings.Repeat("a", 64), PDQ: good, PDQQuality: 90},
		IndexEntry{ID: 2, SHA1: strings.Repeat("b", 40), PDQ: low, PDQQuality: 49},
		IndexEntry{ID: 3, PDQ: unknown, PDQQuality: -1},
		IndexEntry{ID: 4, PDQ: strings.Repeat("0", 64), PDQQuality: -1},
	))
	if err != nil {
		t.Fatal(err)
	}
	if ex.Len(MD5) != 1 || ex.Len(SHA1) != 1 || ex.Len(SHA256) != 1 {
		t.Errorf("exact lens %d %d %d", ex.Len(MD5), ex.Len(SHA1), ex.Len(SHA256))
	}
	if _, ids, _ := ex.LookupHex(strings.Repeat("B", 40)); !slices.Equal(ids, []uint32{2}) {
		t.Errorf("sha1 lookup: %v", ids)
	}
	// Quality 49 and the zero hash are left out; unknown quality is kept.
	if pq.Len() != 2 {
		t.Fatalf("pdq len %d, want 2", pq.Len())
	}
	var ids []uint32
	for _, h := range pq.hashes {
		ids = append(ids, pq.Query(h, 0)[0].ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []uint32{1, 3}) {
		t.Errorf("pdq ids %v", ids)
	}

	if _, _, err := Build(context.Background(), seqOf(IndexEntry{ID: 7, MD5: "xyz"})); err == nil || !strings.Contains(err.Error(), "entry 7") {
		t.Errorf("bad md5: %v", err)
	}
	if _, _, err := Build(context.Background(), seqOf(IndexEntry{ID: 8, PDQ: "abc"})); err == nil || !strings.Contains(err.Error(), "entry 8") {
		t.Errorf("bad pdq: %v", err)
	}
	boom := errors.New("boom")
	if _, _, err := Build(context.Background(), func(yield func(IndexEntry, error) bool) { yield(IndexEntry{}, boom) }); err != boom {
		t.Errorf("iterator error: %v", err)
	}
}
