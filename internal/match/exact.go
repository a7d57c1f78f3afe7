// Package match finds evidence content in hash sets: an exact index of
// MD5, SHA-1 and SHA-256 values and a PDQ index that returns every entry
// within a Hamming distance (multi-index hashing, exact, with a brute-force
// scan for verification and for queries the index cannot speed up). Both
// indexes hold entry ids chosen by the caller and can be saved as a cache
// file that is refused when corrupt or built for other hash sets.
package match

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"sort"
)

// Kind is a cryptographic hash kind.
type Kind uint8

// The kinds the exact index holds.
const (
	MD5 Kind = iota
	SHA1
	SHA256
	numKinds
)

var kindNames = [numKinds]string{"md5", "sha1", "sha256"}
var kindSizes = [numKinds]int{16, 20, 32}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Size is the digest length in bytes.
func (k Kind) Size() int {
	if k < numKinds {
		return kindSizes[k]
	}
	return 0
}

// KindOfHex returns the kind of a hexadecimal digest by its length.
func KindOfHex(s string) (Kind, bool) {
	switch len(s) {
	case 32:
		return MD5, true
	case 40:
		return SHA1, true
	case 64:
		return SHA256, true
	}
	return 0, false
}

// Exact maps MD5, SHA-1 and SHA-256 digests to entry ids. Per kind it
// keeps the digests in one sorted byte array with the ids beside them and
// a table of where each 2^b prefix bucket starts (two to four digests a
// bucket), so a lookup is one table read and a short binary search.
//
// Memory per indexed digest is the digest plus a 4-byte id plus ~1-2
// bytes of table: 21 bytes for MD5, 25 for SHA-1, 37 for SHA-256
// (measured at 10M SHA-256: 37.7 bytes; a Go map[[32]byte]uint32 took
// 67). An entry with all three digests takes 85 bytes: 850 MB for 10M.
// An Exact is safe for concurrent lookups.
type Exact struct {
	t [numKinds]table
}

type table struct {
	size  int      // digest bytes
	keys  []byte   // sorted digests, size bytes each
	ids   []uint32 // ids[i] goes with keys[i*size:]
	bits  uint     // prefix bits of the bucket table
	start []uint32 // bucket b holds keys start[b] to start[b+1]
}

// ExactBuilder collects digests for an Exact.
type ExactBuilder struct {
	t [numKinds]table
}

// NewExactBuilder returns an empty builder.
func NewExactBuilder() *ExactBuilder {
	b := &ExactBuilder{}
	for k := range b.t {
		b.t[k].size = kindSizes[k]
	}
	return b
}

// Grow makes room for n more digests of kind k.
func (b *ExactBuilder) Grow(k Kind, n int) {
	t := &b.t[k]
	t.keys = growSlice(t.keys, n*t.size)
	t.ids = growSlice(t.ids, n)
}

func growSlice[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	ns := make([]T, len(s), len(s)+n)
	copy(ns, s)
	return ns
}

// Add indexes one digest. The same digest may be added with several ids
// (an entry of several sets); a lookup returns them all.
func (b *ExactBuilder) Add(k Kind, sum []byte, id uint32) error {
	if k >= numKinds {
		return fmt.Errorf("exact index: unknown hash kind %d", k)
	}
	t := &b.t[k]
	if len(sum) != t.size {
		return fmt.Errorf("exact index: %s digest of %d bytes, want %d", k, len(sum), t.size)
	}
	t.keys = append(t.keys, sum...)
	t.ids = append(t.ids, id)
	return nil
}

// AddHex indexes one digest given in hexadecimal (either case).
func (b *ExactBuilder) AddHex(k Kind, s string, id uint32) error {
	var buf [32]byte
	if k >= numKinds || len(s) != 2*kindSizes[k] {
		return fmt.Errorf("exact index: %s %q: want %d hexadecimal digits", k, s, 2*k.Size())
	}
	if _, err := hex.Decode(buf[:], []byte(s)); err != nil {
		return fmt.Errorf("exact index: %s %q: %w", k, s, err)
	}
	return b.Add(k, buf[:k.Size()], id)
}

// Build sorts what was added and returns the index. The builder must not
// be used afterwards.
func (b *ExactBuilder) Build() *Exact {
	x := &Exact{}
	for k := range b.t {
		t := b.t[k]
		b.t[k] = table{}
		t.sort()
		x.t[k] = t
	}
	return x
}

// Len is the number of digests of kind k.
func (x *Exact) Len(k Kind) int {
	if x == nil || k >= numKinds {
		return 0
	}
	return len(x.t[k].ids)
}

// Bytes is the memory the index holds.
func (x *Exact) Bytes() int64 {
	if x == nil {
		return 0
	}
	var n int64
	for k := range x.t {
		t := &x.t[k]
		n += int64(cap(t.keys)) + 4*int64(cap(t.ids)) + 4*int64(cap(t.start))
	}
	return n
}

// Lookup returns the ids indexed under sum (a digest of kind k), in
// ascending order; nil when there are none. The slice belongs to the
// index: do not modify it.
func (x *Exact) Lookup(k Kind, sum []byte) []uint32 {
	if x == nil || k >= numKinds {
		return nil
	}
	return x.t[k].lookup(sum)
}

// LookupHex is Lookup for a hexadecimal digest; its length gives the kind.
func (x *Exact) LookupHex(s string) (Kind, []uint32, error) {
	k, ok := KindOfHex(s)
	if !ok {
		return 0, nil, fmt.Errorf("digest %q: want 32, 40 or 64 hexadecimal digits", s)
	}
	var buf [32]byte
	if _, err := hex.Decode(buf[:], []byte(s)); err != nil {
		return 0, nil, fmt.Errorf("digest %q: %w", s, err)
	}
	return k, x.Lookup(k, buf[:k.Size()]), nil
}

// Sums are the digests of one content; Has says which are present.
type Sums struct {
	MD5    [16]byte
	SHA1   [20]byte
	SHA256 [32]byte
	Has    uint8 // bit 1<<Kind set when that digest is present
}

// SumsFromHex builds Sums from hexadecimal digests; "" means absent.
func SumsFromHex(md5, sha1, sha256 string) (Sums, error) {
	var s Sums
	for k, h := range [numKinds]string{md5, sha1, sha256} {
		if h == "" {
			continue
		}
		dst := s.sum(Kind(k))
		if len(h) != 2*len(dst) {
			return s, fmt.Errorf("%s %q: want %d hexadecimal digits", Kind(k), h, 2*len(dst))
		}
		if _, err := hex.Decode(dst, []byte(h)); err != nil {
			return s, fmt.Errorf("%s %q: %w", Kind(k), h, err)
		}
		s.Has |= 1 << k
	}
	return s, nil
}

func (s *Sums) sum(k Kind) []byte {
	switch k {
	case MD5:
		return s.MD5[:]
	case SHA1:
		return s.SHA1[:]
	}
	return s.SHA256[:]
}

// MatchAll looks up every digest of every item and calls fn for each one
// found, with the item's index, the kind and the ids (owned by the index).
// Items are visited in order; an error from fn stops the walk.
func (x *Exact) MatchAll(ctx context.Context, items []Sums, fn func(item int, k Kind, ids []uint32) error) error {
	for i := range items {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s := &items[i]
		for k := Kind(0); k < numKinds; k++ {
			if s.Has&(1<<k) == 0 {
				continue
			}
			if ids := x.Lookup(k, s.sum(k)); len(ids) > 0 {
				if err := fn(i, k, ids); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// prefixBits chooses the bucket table size: about four digests a bucket.
func prefixBits(n int) uint {
	b := uint(bits.Len(uint(n / 4)))
	return min(max(b, 4), 24)
}

func (t *table) key(i int) []byte { return t.keys[i*t.size : (i+1)*t.size : (i+1)*t.size] }

func (t *table) bucket(key []byte) uint32 {
	return binary.BigEndian.Uint32(key) >> (32 - t.bits)
}

func (t *table) lookup(sum []byte) []uint32 {
	n := len(t.ids)
	if n == 0 || len(sum) != t.size {
		return nil
	}
	b := t.bucket(sum)
	lo, end := int(t.start[b]), int(t.start[b+1])
	hi := end
	q := binary.BigEndian.Uint64(sum)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if compareKey(t.key(mid), sum, q) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	j := lo
	for j < end && bytes.Equal(t.key(j), sum) {
		j++
	}
	if j == lo {
		return nil
	}
	return t.ids[lo:j:j]
}

// sort orders the digests (then ids) in place and builds the bucket
// table. It is an MSD radix sort a byte at a time (American flag sort:
// 256 buckets, so the write fronts stay in cache), with insertion sort
// for small ranges; no memory beyond the table itself.
func (t *table) sort() {
	var tmp [32]byte
	t.radix(0, len(t.ids), 0, tmp[:t.size])
	t.buildStart()
}

const radixCutoff = 24

func (t *table) radix(lo, hi, d int, tmp []byte) {
	for hi-lo > radixCutoff && d < t.size {
		var count [257]int
		for i := lo; i < hi; i++ {
			count[int(t.keys[i*t.size+d])+1]++
		}
		if count[int(t.keys[lo*t.size+d])+1] == hi-lo { // one byte value: next byte
			d++
			continue
		}
		for b := 0; b < 256; b++ {
			count[b+1] += count[b]
		}
		var next [256]int
		for b := 0; b < 256; b++ {
			next[b] = lo + count[b]
		}
		for b := 0; b < 256; b++ {
			end := lo + count[b+1]
			for next[b] < end {
				i := next[b]
				c := int(t.keys[i*t.size+d])
				if c == b {
					next[b]++
					continue
				}
				t.swap(i, next[c], tmp)
				next[c]++
			}
		}
		for b := 0; b < 256; b++ {
			t.radix(lo+count[b], lo+count[b+1], d+1, tmp)
		}
		return
	}
	t.sortRange(lo, hi, tmp)
}

// buildStart computes the bucket table of sorted digests.
func (t *table) buildStart() {
	n := len(t.ids)
	t.bits = prefixBits(n)
	nb := 1 << t.bits
	t.start = make([]uint32, nb+1)
	for i := 0; i < n; i++ {
		t.start[t.bucket(t.key(i))+1]++
	}
	for b := 0; b < nb; b++ {
		t.start[b+1] += t.start[b]
	}
}

// compareKey compares a digest with sum, whose first 8 bytes are q (big
// endian): random digests nearly always differ there.
func compareKey(a, sum []byte, q uint64) int {
	if k := binary.BigEndian.Uint64(a); k != q {
		if k < q {
			return -1
		}
		return 1
	}
	return bytes.Compare(a[8:], sum[8:])
}

func (t *table) swap(i, j int, tmp []byte) {
	a, b := t.key(i), t.key(j)
	switch t.size { // fixed-size moves, no memmove calls
	case 16:
		*(*[16]byte)(a), *(*[16]byte)(b) = *(*[16]byte)(b), *(*[16]byte)(a)
	case 20:
		*(*[20]byte)(a), *(*[20]byte)(b) = *(*[20]byte)(b), *(*[20]byte)(a)
	case 32:
		*(*[32]byte)(a), *(*[32]byte)(b) = *(*[32]byte)(b), *(*[32]byte)(a)
	default:
		copy(tmp, a)
		copy(a, b)
		copy(b, tmp)
	}
	t.ids[i], t.ids[j] = t.ids[j], t.ids[i]
}

func (t *table) less(i, j int) bool {
	b := t.key(j)
	if c := compareKey(t.key(i), b, binary.BigEndian.Uint64(b)); c != 0 {
		return c < 0
	}
	return t.ids[i] < t.ids[j]
}

// sortRange sorts keys lo to hi: insertion sort for a handful, sort.Sort
// for many equal digests (one digest in many sets).
func (t *table) sortRange(lo, hi int, tmp []byte) {
	if hi-lo <= radixCutoff {
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo && t.less(j, j-1); j-- {
				t.swap(j, j-1, tmp)
			}
		}
		return
	}
	sort.Sort(rangeSorter{t, lo, hi, tmp})
}

type rangeSorter struct {
	t      *table
	lo, hi int
	tmp    []byte
}

func (r rangeSorter) Len() int           { return r.hi - r.lo }
func (r rangeSorter) Less(i, j int) bool { return r.t.less(r.lo+i, r.lo+j) }
func (r rangeSorter) Swap(i, j int)      { r.t.swap(r.lo+i, r.lo+j, r.tmp) }

// rebuildStart checks that the digests are sorted (after a cache load)
// and computes the bucket table.
func (t *table) rebuildStart() error {
	for i := 1; i < len(t.ids); i++ {
		if !t.less(i-1, i) && !(bytes.Equal(t.key(i-1), t.key(i)) && t.ids[i-1] == t.ids[i]) {
			return fmt.Errorf("digests out of order at %d", i)
		}
	}
	t.buildStart()
	return nil
}
