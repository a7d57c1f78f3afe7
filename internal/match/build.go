package match

import (
	"context"
	"fmt"
	"iter"

	"vigil/internal/pdq"
)

// IndexEntry is what the indexes need of one hash-set entry: the
// caller's id and the entry's digests in hexadecimal ("" when absent).
type IndexEntry struct {
	ID                uint32
	MD5, SHA1, SHA256 string
	PDQ               string
	PDQQuality        int // -1 when the set does not say
}

// Build builds both indexes from entries: every digest an entry has goes
// into the exact index; its PDQ hash goes into the PDQ index unless its
// quality is known and below PDQMinQuality, or it is the all-zero hash
// of an image too small to hash. A malformed digest is an error naming
// the entry.
func Build(ctx context.Context, entries iter.Seq2[IndexEntry, error]) (*Exact, *PDQ, error) {
	eb := NewExactBuilder()
	pb := NewPDQBuilder(0)
	n := 0
	for e, err := range entries {
		if err != nil {
			return nil, nil, err
		}
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		for k, h := range [numKinds]string{e.MD5, e.SHA1, e.SHA256} {
			if h == "" {
				continue
			}
			if err := eb.AddHex(Kind(k), h, e.ID); err != nil {
				return nil, nil, fmt.Errorf("entry %d: %w", e.ID, err)
			}
		}
		if e.PDQ == "" {
			continue
		}
		h, err := pdq.ParseHash(e.PDQ)
		if err != nil {
			return nil, nil, fmt.Errorf("entry %d: %w", e.ID, err)
		}
		if h.IsZero() || (e.PDQQuality >= 0 && e.PDQQuality < PDQMinQuality) {
			continue
		}
		pb.Add(h, e.ID)
	}
	return eb.Build(), pb.Build(), nil
}
