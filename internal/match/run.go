package match

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"vigil/internal/pdq"
	"vigil/internal/store"
)

// variantNames name the dihedral hashes in the order contents store them.
var variantNames = []string{"orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"}

// RunOptions tune a match run.
type RunOptions struct {
	// CachePath is where the built indexes are kept between runs, keyed
	// by the hash sets' fingerprint ("" builds them every time).
	CachePath string
	// MaxDistance is the PDQ match threshold (default PDQMatchDistance).
	MaxDistance int
	// MinQuality is the least PDQ quality of a content matched (default
	// PDQMinQuality); hash-set entries follow Build's rule.
	MinQuality int
	// All matches every content again; otherwise only contents not yet
	// matched against the current hash sets are (all of them when the sets
	// changed since the last run).
	All bool
	// Progress, when set, is told what the run is doing.
	Progress func(stage string, done, total int64)
}

// RunSummary is what a match run found.
type RunSummary struct {
	Entries       int64          `json:"entries"`        // hash-set entries indexed
	PDQEntries    int            `json:"pdq_entries"`    // of which PDQ hashes
	Full          bool           `json:"full"`           // every content compared, else only those new since the last run
	Contents      int64          `json:"contents"`       // contents compared
	PDQContents   int64          `json:"pdq_contents"`   // of which with a usable PDQ hash
	Hits          int            `json:"hits"`           // content × entry × kind
	ByKind        map[string]int `json:"by_kind"`        // hits by kind
	AlertContents int            `json:"alert_contents"` // contents with a hit in an alert set
	KnownContents int            `json:"known_contents"` // contents with a hit in a known set
	CacheUsed     bool           `json:"cache_used"`
	IndexBytes    int64          `json:"index_bytes"`
	Elapsed       float64        `json:"elapsed_seconds"`
}

// Run matches every content of the case (files, and media known only from
// chat databases) against every hash set: exact by MD5, SHA-1 and SHA-256,
// perceptual by PDQ over the eight dihedral variants of each image, and
// stores the hits, replacing those of earlier runs.
func Run(ctx context.Context, st store.Store, o RunOptions) (RunSummary, error) {
	start := time.Now()
	if o.MaxDistance == 0 {
		o.MaxDistance = PDQMatchDistance
	}
	if o.MinQuality == 0 {
		o.MinQuality = PDQMinQuality
	}
	progress := func(stage string, done, total int64) {
		if o.Progress != nil {
			o.Progress(stage, done, total)
		}
	}
	sum := RunSummary{ByKind: map[string]int{}}
	sets, err := st.HashSets(ctx)
	if err != nil {
		return sum, err
	}
	status := map[int64]string{}
	for _, s := range sets {
		status[s.ID] = s.Status
		sum.Entries += s.Entries
	}
	ex, pq, used, entryStatus, err := indexes(ctx, st, o, sum.Entries, status, progress)
	if err != nil {
		return sum, err
	}
	sum.CacheUsed = used
	sum.IndexBytes = ex.Bytes() + pq.Bytes()
	sum.PDQEntries = pq.Len()

	// Which contents: all when asked, or when none was matched against
	// these sets yet; else those added since.
	fp, err := st.HashSetsFingerprint(ctx)
	if err != nil {
		return sum, err
	}
	sum.Full = o.All
	if !sum.Full {
		n := 0
		if err := st.Contents(ctx, store.ContentQuery{MatchedWith: fp, Limit: 1}, func(store.Content) error { n++; return nil }); err != nil {
			return sum, err
		}
		sum.Full = n == 0
	}
	q := store.ContentQuery{}
	if !sum.Full {
		q.NotMatchedWith = fp
	}

	// The contents: digests of all, PDQ variants of images good enough.
	var shas []string
	var items []Sums
	var images [][]pdq.Hash
	var imageOf []int // index in shas of each image
	err = st.Contents(ctx, q, func(c store.Content) error {
		s, err := SumsFromHex(c.MD5, c.SHA1, c.SHA256)
		if err != nil {
			return fmt.Errorf("content %s: %w", c.SHA256, err)
		}
		shas = append(shas, c.SHA256)
		items = append(items, s)
		if c.PDQ != "" && c.PDQQuality >= o.MinQuality && pq.Len() > 0 {
			if vs, ok := variants(c); ok {
				images = append(images, vs)
				imageOf = append(imageOf, len(shas)-1)
			}
		}
		if len(shas)%50000 == 0 {
			progress("reading contents", int64(len(shas)), 0)
		}
		return ctx.Err()
	})
	if err != nil {
		return sum, err
	}
	sum.Contents, sum.PDQContents = int64(len(shas)), int64(len(images))

	var hits []store.Hit
	progress("exact matching", 0, int64(len(items)))
	err = ex.MatchAll(ctx, items, func(i int, k Kind, ids []uint32) error {
		for _, id := range ids {
			hits = append(hits, store.Hit{SHA256: shas[i], EntryID: int64(id), Kind: k.String()})
		}
		return nil
	})
	if err != nil {
		return sum, err
	}
	if len(images) > 0 {
		progress("PDQ matching", 0, int64(len(images)))
		res, err := pq.MatchImages(ctx, images, o.MaxDistance)
		if err != nil {
			return sum, err
		}
		for i, hs := range res {
			for _, h := range hs {
				hits = append(hits, store.Hit{SHA256: shas[imageOf[i]], EntryID: int64(h.ID), Kind: store.HitPDQ,
					Distance: h.Distance, Variant: variantNames[h.Variant]})
			}
		}
	}
	alert, known := map[string]bool{}, map[string]bool{}
	for _, h := range hits {
		sum.ByKind[h.Kind]++
		switch entryStatus(h.EntryID) {
		case store.StatusAlert:
			alert[h.SHA256] = true
		case store.StatusKnown:
			known[h.SHA256] = true
		}
	}
	sum.Hits, sum.AlertContents, sum.KnownContents = len(hits), len(alert), len(known)
	sum.Elapsed = time.Since(start).Seconds()
	progress("storing hits", 0, int64(len(hits)))
	if !sum.Full && len(shas) == 0 {
		sum.Elapsed = time.Since(start).Seconds()
		return sum, nil // nothing new: nothing to record
	}
	scope := store.MatchScope{All: true, Fingerprint: fp}
	if !sum.Full {
		scope = store.MatchScope{SHA256s: shas, Fingerprint: fp}
	}
	err = st.ReplaceHits(ctx, scope, hits, map[string]any{"full": sum.Full,
		"entries": sum.Entries, "pdq_entries": sum.PDQEntries, "contents": sum.Contents, "pdq_contents": sum.PDQContents,
		"by_kind": sum.ByKind, "alert_contents": sum.AlertContents, "known_contents": sum.KnownContents,
		"max_distance": o.MaxDistance, "min_quality": o.MinQuality})
	return sum, err
}

// variants returns the eight dihedral hashes of an image content: stored
// ones when the intake computed them, else estimated from its hash.
func variants(c store.Content) ([]pdq.Hash, bool) {
	if c.PDQDihedral != "" {
		parts := strings.Split(c.PDQDihedral, ",")
		if len(parts) == 8 {
			out := make([]pdq.Hash, 8)
			ok := true
			for i, p := range parts {
				h, err := pdq.ParseHash(p)
				if err != nil {
					ok = false
					break
				}
				out[i] = h
			}
			if ok {
				return out, true
			}
		}
	}
	h, err := pdq.ParseHash(c.PDQ)
	if err != nil || h.IsZero() {
		return nil, false
	}
	d := pdq.Variants(h)
	return d[:], true
}

// indexes loads the cached indexes for the current hash sets or builds
// them from the store's entries. entryStatus tells the status of the set of
// an entry.
func indexes(ctx context.Context, st store.Store, o RunOptions, n int64, status map[int64]string,
	progress func(string, int64, int64)) (*Exact, *PDQ, bool, func(int64) string, error) {
	fpHex, err := st.HashSetsFingerprint(ctx)
	if err != nil {
		return nil, nil, false, nil, err
	}
	fp, _ := hex.DecodeString(fpHex)
	// Entry ids are dense per set: each set's id range tells the status
	// of a hit, instead of a map of every entry.
	type span struct{ set, lo, hi int64 }
	var spans []span
	for set := range status {
		lo, hi, err := st.HashEntrySpan(ctx, set)
		if err != nil {
			return nil, nil, false, nil, err
		}
		spans = append(spans, span{set, lo, hi})
	}
	var ex *Exact
	var pq *PDQ
	used := false
	if o.CachePath != "" {
		ex, pq, err = LoadCache(o.CachePath, fp)
		if err == nil && ex != nil && pq != nil {
			used = true
		} else if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, ErrStaleCache) {
			progress("cache unusable, rebuilding: "+err.Error(), 0, 0)
		}
	}
	var done int64
	entries := func(yield func(IndexEntry, error) bool) {
		stop := errors.New("stop")
		err := st.HashEntries(ctx, 0, func(e store.HashEntry) error {
			if done++; done%200000 == 0 {
				progress("indexing hash sets", done, n)
			}
			if e.ID > 1<<32-1 {
				return fmt.Errorf("hash entry id %d does not fit the index", e.ID)
			}
			// Imports store the quality a set gives, -1 when it gives none.
			if !yield(IndexEntry{ID: uint32(e.ID), MD5: e.MD5, SHA1: e.SHA1, SHA256: e.SHA256, PDQ: e.PDQ, PDQQuality: e.PDQQuality}, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(IndexEntry{}, err)
		}
	}
	if !used {
		ex, pq, err = Build(ctx, entries)
		if err != nil {
			return nil, nil, false, nil, err
		}
		if o.CachePath != "" {
			if err := SaveCache(o.CachePath, fp, ex, pq); err != nil {
				progress("index cache not saved: "+err.Error(), 0, 0)
			}
		}
	}
	entryStatus := func(id int64) string {
		for _, sp := range spans {
			if id >= sp.lo && id <= sp.hi {
				return status[sp.set]
			}
		}
		return ""
	}
	return ex, pq, used, entryStatus, nil
}
