package match

import (
	"context"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"vigil/internal/pdq"
)

// Thresholds Meta's PDQ documentation gives: hashes within 31 bits match;
// hashes of quality below 50 are not to be matched (the caller leaves
// them out of the index and out of queries).
const (
	PDQMatchDistance = 31
	PDQMinQuality    = 50
)

// PDQ finds every indexed PDQ hash within a Hamming distance of a query.
//
// It is multi-index hashing (Norouzi, Punjani and Fleet): the 256 bits
// are cut into 16 slots of 16 bits; a hash within d bits of the query is,
// by pigeonhole, within r = d/16 bits of it in at least one slot. Each
// slot has a table from the slot's 65,536 values to the hashes holding
// that value (CSR arrays), so a query probes, per slot, every value within
// r bits of its own (17 values for d ≤ 31), and checks the full distance
// of the hashes found there. A hash found in several slots is kept only
// in the first slot within r bits, so no "seen" set is needed and queries
// share nothing. The result is exact: the same set as a full scan.
//
// When the buckets a query would visit hold more than a budget of
// candidates (skewed data: flat or near-blank images share slot values),
// the query is answered by a full scan instead, which is then cheaper.
//
// Memory per hash: 32 bytes of hash, 4 of id, 64 of slot tables, plus
// 4 MiB of slot offsets in all: about 100 bytes per hash. A PDQ is safe
// for concurrent queries.
type PDQ struct {
	hashes []pdq.Hash
	ids    []uint32
	off    [slots][]uint32 // off[s][v] to off[s][v+1]: positions with slot s == v
	pos    [slots][]uint32
	budget int // candidates above which a query scans instead
}

const (
	slots     = 16
	slotBits  = 16
	slotVals  = 1 << slotBits
	maxRadius = 3 // slot radius MIH handles (d ≤ 63); beyond, scan
)

// PDQHit is an indexed hash within the distance of a query.
type PDQHit struct {
	ID       uint32 // the id given to PDQBuilder.Add
	Distance int    // Hamming distance, 0 to 256
	Variant  int    // which query hash matched (QueryImage, MatchImages); 0 otherwise
}

// PDQBuilder collects hashes for a PDQ index.
type PDQBuilder struct {
	hashes []pdq.Hash
	ids    []uint32
}

// NewPDQBuilder returns an empty builder with room for n hashes.
func NewPDQBuilder(n int) *PDQBuilder {
	return &PDQBuilder{hashes: make([]pdq.Hash, 0, n), ids: make([]uint32, 0, n)}
}

// Add indexes a hash under an id. Leave out hashes of quality below
// PDQMinQuality (and the all-zero hash of images too small to hash).
func (b *PDQBuilder) Add(h pdq.Hash, id uint32) {
	b.hashes = append(b.hashes, h)
	b.ids = append(b.ids, id)
}

// Build returns the index. The builder must not be used afterwards.
func (b *PDQBuilder) Build() *PDQ {
	x := &PDQ{hashes: b.hashes, ids: b.ids}
	b.hashes, b.ids = nil, nil
	x.buildSlots()
	return x
}

// buildSlots fills the slot tables by counting sort, slots in parallel.
func (x *PDQ) buildSlots() {
	n := len(x.hashes)
	x.budget = defaultBudget(n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for s := 0; s < slots; s++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(s int) {
			defer wg.Done()
			defer func() { <-sem }()
			off := make([]uint32, slotVals+1)
			for i := range x.hashes {
				off[int(slotValue(&x.hashes[i], s))+1]++
			}
			for v := 0; v < slotVals; v++ {
				off[v+1] += off[v]
			}
			pos := make([]uint32, n)
			next := make([]uint32, slotVals)
			copy(next, off[:slotVals])
			for i := range x.hashes {
				v := slotValue(&x.hashes[i], s)
				pos[next[v]] = uint32(i)
				next[v]++
			}
			x.off[s], x.pos[s] = off, pos
		}(s)
	}
	wg.Wait()
}

// defaultBudget: a candidate costs a random memory access (~50-100 ns at
// 10M hashes), a scanned hash ~2 ns; past n/24 candidates a scan is
// cheaper (measured in BenchmarkPDQ).
func defaultBudget(n int) int { return max(n/24, 1024) }

// slotValue is bits 16s to 16s+15 of the hash counted from the first hex
// digit.
func slotValue(h *pdq.Hash, s int) uint16 {
	return uint16(h[s>>2] >> (48 - 16*uint(s&3)))
}

func distance(a, b *pdq.Hash) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// Len is the number of indexed hashes.
func (x *PDQ) Len() int {
	if x == nil {
		return 0
	}
	return len(x.hashes)
}

// Bytes is the memory the index holds.
func (x *PDQ) Bytes() int64 {
	if x == nil {
		return 0
	}
	n := int64(cap(x.hashes))*32 + int64(cap(x.ids))*4
	for s := 0; s < slots; s++ {
		n += int64(cap(x.off[s]))*4 + int64(cap(x.pos[s]))*4
	}
	return n
}

// probeMasks[r] lists every 16-bit mask of at most r bits.
var probeMasks = func() [maxRadius + 1][]uint16 {
	var m [maxRadius + 1][]uint16
	for r := 0; r <= maxRadius; r++ {
		for v := 0; v < slotVals; v++ {
			if bits.OnesCount16(uint16(v)) <= r {
				m[r] = append(m[r], uint16(v))
			}
		}
	}
	return m
}()

type probe struct {
	slot   int
	lo, hi uint32
}

// Query returns every indexed hash within maxDist bits of h, nearest
// first (then by id).
func (x *PDQ) Query(h pdq.Hash, maxDist int) []PDQHit {
	if x.Len() == 0 || maxDist < 0 {
		return nil
	}
	hits := x.query(&h, maxDist, nil)
	sortHits(hits)
	return hits
}

// query answers through the index, or by a scan when the index cannot
// help (over budget, or a radius beyond maxRadius).
func (x *PDQ) query(h *pdq.Hash, d int, out []PDQHit) []PDQHit {
	if hits, ok := x.mih(h, d, x.budget, out); ok {
		return hits
	}
	return x.scan(h, d, out)
}

// mih answers through the index; ok is false, with nothing done, when the
// buckets to visit hold more than budget candidates (budget < 0: no
// limit) or d needs a slot radius beyond maxRadius.
func (x *PDQ) mih(h *pdq.Hash, d int, budget int, out []PDQHit) (hits []PDQHit, ok bool) {
	r := d / slots
	if r > maxRadius {
		return out, false
	}
	var stack [slots * 17]probe
	probes := stack[:0]
	total := 0
	masks := probeMasks[r]
	for s := 0; s < slots; s++ {
		v := slotValue(h, s)
		off := x.off[s]
		for _, m := range masks {
			w := int(v ^ m)
			lo, hi := off[w], off[w+1]
			if hi > lo {
				probes = append(probes, probe{s, lo, hi})
				total += int(hi - lo)
			}
		}
	}
	if budget >= 0 && total > budget {
		return out, false
	}
	for _, p := range probes {
		for _, i := range x.pos[p.slot][p.lo:p.hi] {
			e := &x.hashes[i]
			dist := distance(h, e)
			if dist > d || !firstSlot(h, e, p.slot, r) {
				continue
			}
			out = append(out, PDQHit{ID: x.ids[i], Distance: dist})
		}
	}
	return out, true
}

// firstSlot reports whether slot s is the first slot in which e is within
// r bits of h: the one slot in which a query reports e.
func firstSlot(h, e *pdq.Hash, s, r int) bool {
	for t := 0; t < s; t++ {
		if bits.OnesCount16(slotValue(h, t)^slotValue(e, t)) <= r {
			return false
		}
	}
	return true
}

// BruteForce compares h with every indexed hash: the reference the index
// is tested against, and the fallback for skewed queries.
func (x *PDQ) BruteForce(h pdq.Hash, maxDist int) []PDQHit {
	if x.Len() == 0 || maxDist < 0 {
		return nil
	}
	hits := x.scan(&h, maxDist, nil)
	sortHits(hits)
	return hits
}

func (x *PDQ) scan(h *pdq.Hash, d int, out []PDQHit) []PDQHit {
	return scanRange(x.hashes, x.ids, 0, h, d, out)
}

// scanRange compares h with hashes (positions from base on), leaving out
// early the hashes whose first half already differs by more than d.
func scanRange(hashes []pdq.Hash, ids []uint32, base int, h *pdq.Hash, d int, out []PDQHit) []PDQHit {
	h0, h1, h2, h3 := h[0], h[1], h[2], h[3]
	for i := range hashes {
		e := &hashes[i]
		dist := bits.OnesCount64(h0^e[0]) + bits.OnesCount64(h1^e[1])
		if dist > d {
			continue
		}
		dist += bits.OnesCount64(h2^e[2]) + bits.OnesCount64(h3^e[3])
		if dist <= d {
			out = append(out, PDQHit{ID: ids[base+i], Distance: dist})
		}
	}
	return out
}

// QueryImage returns every entry within maxDist bits of any of the hashes
// of one image (its dihedral variants, pdq's eight rotations and flips):
// one hit per id, at its least distance, with Variant the index in
// variants of the hash that came nearest.
func (x *PDQ) QueryImage(variants []pdq.Hash, maxDist int) []PDQHit {
	if x.Len() == 0 || maxDist < 0 {
		return nil
	}
	var all []PDQHit
	for v := range variants {
		start := len(all)
		all = x.query(&variants[v], maxDist, all)
		for i := start; i < len(all); i++ {
			all[i].Variant = v
		}
	}
	return nearestPerID(all)
}

// nearestPerID keeps one hit per id, the nearest (then lowest variant),
// sorted nearest first.
func nearestPerID(all []PDQHit) []PDQHit {
	if len(all) == 0 {
		return nil
	}
	slices.SortFunc(all, func(a, b PDQHit) int {
		if a.ID != b.ID {
			return cmpU32(a.ID, b.ID)
		}
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		return a.Variant - b.Variant
	})
	out := all[:1]
	for _, h := range all[1:] {
		if h.ID != out[len(out)-1].ID {
			out = append(out, h)
		}
	}
	sortHits(out)
	return out
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortHits(h []PDQHit) {
	slices.SortFunc(h, func(a, b PDQHit) int {
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		if a.ID != b.ID {
			return cmpU32(a.ID, b.ID)
		}
		return a.Variant - b.Variant
	})
}

// MatchImages answers QueryImage for many images at once (all the images
// of a device), on every core: queries within budget go through the
// index; the others are answered together by one scan of the hashes in
// cache-sized tiles, each tile compared with all of them. The result has
// one slice per image, as QueryImage gives it.
func (x *PDQ) MatchImages(ctx context.Context, images [][]pdq.Hash, maxDist int) ([][]PDQHit, error) {
	out := make([][]PDQHit, len(images))
	if x.Len() == 0 || maxDist < 0 {
		return out, nil
	}
	type query struct {
		image, variant int
	}
	var queries []query
	for i, vs := range images {
		for v := range vs {
			queries = append(queries, query{i, v})
		}
	}
	results := make([][]PDQHit, len(queries))
	deferred := make([]bool, len(queries))
	workers := runtime.GOMAXPROCS(0)
	budget := batchBudget(x.Len())

	// Pass 1: the index, for queries within budget, in chunks of
	// queries whose candidates are verified together (see batch).
	hs := make([]*pdq.Hash, len(queries))
	for q, qq := range queries {
		hs[q] = &images[qq.image][qq.variant]
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bt := batchPool.Get().(*batch)
			bt.x = x
			defer func() { bt.x = nil; batchPool.Put(bt) }()
			for ctx.Err() == nil {
				lo := int(next.Add(batchQueries) - batchQueries)
				if lo >= len(queries) {
					return
				}
				hi := min(lo+batchQueries, len(queries))
				bt.run(hs[lo:hi], maxDist, budget, results[lo:hi], deferred[lo:hi])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Pass 2: one tiled scan for the deferred queries.
	var scanQ []int
	for q, d := range deferred {
		if d {
			scanQ = append(scanQ, q)
		}
	}
	if len(scanQ) > 0 {
		hs := make([]pdq.Hash, len(scanQ))
		for i, q := range scanQ {
			hs[i] = images[queries[q].image][queries[q].variant]
		}
		hits, err := x.scanTiled(ctx, hs, maxDist, workers)
		if err != nil {
			return nil, err
		}
		for i, q := range scanQ {
			results[q] = hits[i]
		}
	}

	// Per image: one hit per id, the nearest variant.
	for q, hits := range results {
		for i := range hits {
			hits[i].Variant = queries[q].variant
		}
		im := queries[q].image
		out[im] = append(out[im], hits...)
	}
	for i := range out {
		out[i] = nearestPerID(out[i])
	}
	return out, nil
}

// batchQueries is how many queries a worker takes at a time.
const batchQueries = 64

// batch verifies the candidates of many queries together. Looked up
// one by one, every candidate is a random read in the hash array (320 MB
// at 10M hashes: a cache miss and, with small pages, a TLB miss each).
// Here the (candidate, query) pairs of a chunk of queries are first
// binned by position, 65,536 hashes (2 MiB) a bin, and verified bin by
// bin, so the reads of a bin stay in cache. Measured at 10M hashes: 1.3
// to 1.7 times the queries per second of one query at a time (2^12 to
// 2^18 hashes a bin tried; 2^16 best).
type batch struct {
	x            *PDQ
	pairs, order []uint64 // position<<32 | query<<4 | slot
	counts       []uint32
}

// batchPool keeps the buffers of batches between calls.
var batchPool = sync.Pool{New: func() any { return new(batch) }}

const binShift = 16

// maxPairs: verify when this many pairs are waiting (a variable for the
// tests).
var maxPairs = 1 << 22

func (b *batch) run(qs []*pdq.Hash, d, budget int, results [][]PDQHit, deferred []bool) {
	x := b.x
	r := d / slots
	if r > maxRadius {
		for i := range deferred {
			deferred[i] = true
		}
		return
	}
	masks := probeMasks[r]
	b.pairs = b.pairs[:0]
	var stack [slots * 17]probe
	for qi, h := range qs {
		probes := stack[:0]
		total := 0
		for s := 0; s < slots; s++ {
			v := slotValue(h, s)
			off := x.off[s]
			for _, m := range masks {
				w := int(v ^ m)
				lo, hi := off[w], off[w+1]
				if hi > lo {
					probes = append(probes, probe{s, lo, hi})
					total += int(hi - lo)
				}
			}
		}
		if total > budget {
			deferred[qi] = true
			continue
		}
		if len(b.pairs)+total > maxPairs && len(b.pairs) > 0 {
			b.verify(qs, d, r, results)
		}
		b.pairs = slices.Grow(b.pairs, total)
		for _, p := range probes {
			tag := uint64(qi)<<4 | uint64(p.slot)
			for _, i := range x.pos[p.slot][p.lo:p.hi] {
				b.pairs = append(b.pairs, uint64(i)<<32|tag)
			}
		}
	}
	b.verify(qs, d, r, results)
}

// verify bins the waiting pairs by position and checks them.
func (b *batch) verify(qs []*pdq.Hash, d, r int, results [][]PDQHit) {
	if len(b.pairs) == 0 {
		return
	}
	x := b.x
	nbins := len(x.hashes)>>binShift + 1
	if cap(b.counts) < nbins+1 {
		b.counts = make([]uint32, nbins+1)
	}
	counts := b.counts[:nbins+1]
	clear(counts)
	for _, p := range b.pairs {
		counts[p>>(32+binShift)+1]++
	}
	for i := 1; i <= nbins; i++ {
		counts[i] += counts[i-1]
	}
	if cap(b.order) < len(b.pairs) {
		b.order = make([]uint64, len(b.pairs), cap(b.pairs))
	}
	order := b.order[:len(b.pairs)]
	for _, p := range b.pairs {
		bin := p >> (32 + binShift)
		order[counts[bin]] = p
		counts[bin]++
	}
	for _, p := range order {
		i := uint32(p >> 32)
		qi := int(uint32(p) >> 4)
		slot := int(p & 15)
		e := &x.hashes[i]
		h := qs[qi]
		dist := distance(h, e)
		if dist > d || !firstSlot(h, e, slot, r) {
			continue
		}
		results[qi] = append(results[qi], PDQHit{ID: x.ids[i], Distance: dist})
	}
	b.pairs = b.pairs[:0]
}

// batchBudget is the budget when deferred queries share one tiled scan,
// where a scanned hash costs less than in a scan of its own.
func batchBudget(n int) int { return max(n/48, 1024) }

// tileHashes is how many hashes one tile holds: 256 KiB, to stay in L2.
const tileHashes = 8192

// scanTiled compares every query with every hash, tile by tile, workers
// taking tiles in turn; hits per query.
func (x *PDQ) scanTiled(ctx context.Context, qs []pdq.Hash, d, workers int) ([][]PDQHit, error) {
	n := len(x.hashes)
	tiles := (n + tileHashes - 1) / tileHashes
	var next atomic.Int64
	partial := make([][][]PDQHit, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			local := make([][]PDQHit, len(qs))
			for {
				t := int(next.Add(1) - 1)
				if t >= tiles || ctx.Err() != nil {
					break
				}
				lo := t * tileHashes
				hi := min(lo+tileHashes, n)
				tile := x.hashes[lo:hi]
				for q := range qs {
					local[q] = scanRange(tile, x.ids, lo, &qs[q], d, local[q])
				}
			}
			partial[w] = local
		}(w)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]PDQHit, len(qs))
	for _, local := range partial {
		for q := range qs {
			out[q] = append(out[q], local[q]...)
		}
	}
	return out, nil
}
