package match

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"vigil/internal/pdq"
)

// The cache file keeps the indexes between runs, so that matching need
// not reread every hash set from the case store. Layout (little endian):
//
//	"VIGIL-MATCH\x00"   12 bytes
//	format version      uint32 (cacheVersion)
//	fingerprint         uint32 length, then the caller's bytes
//	contents            uint32: bit 0 exact index, bit 1 PDQ index
//	exact index         per kind (md5, sha1, sha256): uint64 n,
//	                    n digests (sorted), n uint32 ids
//	PDQ index           uint64 n, n hashes (4 uint64 each), n uint32 ids
//	checksum            uint32 CRC-32C of everything before it
//
// The PDQ slot tables and the exact bucket tables are rebuilt on load
// (a few seconds at 10M hashes; they would double the file). A load
// checks the fingerprint first (ErrStaleCache), then the checksum and the
// order of the digests (ErrCorruptCache); a cache is never half used.

const (
	cacheMagic   = "VIGIL-MATCH\x00"
	cacheVersion = 1
	maxFPLen     = 4096
)

var (
	// ErrStaleCache means the cache was built for other hash sets (or by
	// another version of this code): rebuild the indexes.
	ErrStaleCache = errors.New("stale index cache")
	// ErrCorruptCache means the cache file is damaged: rebuild the
	// indexes.
	ErrCorruptCache = errors.New("corrupt index cache")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SaveCache writes the indexes (either may be nil) with the caller's
// fingerprint of the hash sets they were built from. The file is
// written beside path and renamed into place, so a reader never sees half
// a cache.
func SaveCache(path string, fingerprint []byte, ex *Exact, pq *PDQ) (err error) {
	if len(fingerprint) > maxFPLen {
		return fmt.Errorf("index cache %s: fingerprint of %d bytes (at most %d)", path, len(fingerprint), maxFPLen)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("index cache %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := writeCache(tmp, fingerprint, ex, pq); err != nil {
		return fmt.Errorf("index cache %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("index cache %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("index cache %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("index cache %s: %w", path, err)
	}
	return nil
}

type cacheWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	buf [8]byte
}

func (c *cacheWriter) Write(p []byte) (int, error) {
	c.crc.Write(p)
	return c.w.Write(p)
}

func (c *cacheWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(c.buf[:4], v)
	c.Write(c.buf[:4])
}

func (c *cacheWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(c.buf[:], v)
	c.Write(c.buf[:])
}

// u32s writes a slice of uint32 through a chunk buffer.
func (c *cacheWriter) u32s(vs []uint32) {
	var chunk [4096]byte
	for len(vs) > 0 {
		n := min(len(vs), len(chunk)/4)
		for i, v := range vs[:n] {
			binary.LittleEndian.PutUint32(chunk[4*i:], v)
		}
		c.Write(chunk[:4*n])
		vs = vs[n:]
	}
}

func writeCache(w io.Writer, fingerprint []byte, ex *Exact, pq *PDQ) error {
	c := &cacheWriter{w: bufio.NewWriterSize(w, 1<<20), crc: crc32.New(castagnoli)}
	c.Write([]byte(cacheMagic))
	c.u32(cacheVersion)
	c.u32(uint32(len(fingerprint)))
	c.Write(fingerprint)
	var contents uint32
	if ex != nil {
		contents |= 1
	}
	if pq != nil {
		contents |= 2
	}
	c.u32(contents)
	if ex != nil {
		for k := range ex.t {
			t := &ex.t[k]
			c.u64(uint64(len(t.ids)))
			c.Write(t.keys[:len(t.ids)*t.size])
			c.u32s(t.ids)
		}
	}
	if pq != nil {
		c.u64(uint64(len(pq.hashes)))
		var chunk [4096]byte
		hs := pq.hashes
		for len(hs) > 0 {
			n := min(len(hs), len(chunk)/32)
			for i := range hs[:n] {
				for j := 0; j < 4; j++ {
					binary.LittleEndian.PutUint64(chunk[32*i+8*j:], hs[i][j])
				}
			}
			c.Write(chunk[:32*n])
			hs = hs[n:]
		}
		c.u32s(pq.ids)
	}
	sum := c.crc.Sum32()
	binary.LittleEndian.PutUint32(c.buf[:4], sum)
	c.w.Write(c.buf[:4])
	return c.w.Flush()
}

// LoadCache reads a cache SaveCache wrote with the same fingerprint. The
// indexes not in the file are nil. A cache for another fingerprint gives
// an error wrapping ErrStaleCache; a damaged one, ErrCorruptCache.
func LoadCache(path string, fingerprint []byte) (*Exact, *PDQ, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("index cache %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("index cache %s: %w", path, err)
	}
	ex, pq, err := readCache(f, st.Size(), fingerprint)
	if err != nil {
		return nil, nil, fmt.Errorf("index cache %s: %w", path, err)
	}
	return ex, pq, nil
}

type cacheReader struct {
	r    *bufio.Reader
	crc  hash.Hash32
	left int64 // bytes of the file not yet read
	err  error
	buf  [8]byte
}

func (c *cacheReader) read(p []byte) {
	if c.err != nil {
		return
	}
	if int64(len(p)) > c.left {
		c.err = corrupt("the file ends early")
		return
	}
	if _, err := io.ReadFull(c.r, p); err != nil {
		c.err = corrupt("reading: %v", err)
		return
	}
	c.left -= int64(len(p))
	c.crc.Write(p)
}

func (c *cacheReader) u32() uint32 {
	c.read(c.buf[:4])
	return binary.LittleEndian.Uint32(c.buf[:4])
}

func (c *cacheReader) u64() uint64 {
	c.read(c.buf[:])
	return binary.LittleEndian.Uint64(c.buf[:])
}

// count reads an element count and checks that the file holds that many
// elements of size bytes, so that a damaged count cannot make us allocate
// more than the file's size.
func (c *cacheReader) count(size int64) int {
	n := c.u64()
	if c.err != nil {
		return 0
	}
	if n > uint64(c.left)/uint64(size) || n > 1<<32 {
		c.err = corrupt("count %d larger than the file", n)
		return 0
	}
	return int(n)
}

func (c *cacheReader) u32s(n int) []uint32 {
	out := make([]uint32, n)
	var chunk [4096]byte
	for i := 0; i < n && c.err == nil; {
		m := min(n-i, len(chunk)/4)
		c.read(chunk[:4*m])
		for j := 0; j < m; j++ {
			out[i+j] = binary.LittleEndian.Uint32(chunk[4*j:])
		}
		i += m
	}
	return out
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s: rebuild it", ErrCorruptCache, fmt.Sprintf(format, args...))
}

func readCache(r io.Reader, size int64, fingerprint []byte) (*Exact, *PDQ, error) {
	c := &cacheReader{r: bufio.NewReaderSize(r, int(min(max(size, 16), 1<<20))), crc: crc32.New(castagnoli), left: size}
	magic := make([]byte, len(cacheMagic))
	c.read(magic)
	if c.err != nil || string(magic) != cacheMagic {
		return nil, nil, corrupt("not an index cache file")
	}
	if v := c.u32(); c.err == nil && v != cacheVersion {
		return nil, nil, fmt.Errorf("%w: written in cache format %d, this program reads %d: rebuild it", ErrStaleCache, v, cacheVersion)
	}
	n := c.u32()
	if c.err == nil && n > maxFPLen {
		return nil, nil, corrupt("fingerprint of %d bytes", n)
	}
	fp := make([]byte, n)
	c.read(fp)
	if c.err != nil {
		return nil, nil, c.err
	}
	if !bytes.Equal(fp, fingerprint) {
		return nil, nil, fmt.Errorf("%w: built for other hash sets (fingerprint differs): rebuild it", ErrStaleCache)
	}
	contents := c.u32()
	if c.err == nil && contents&^3 != 0 {
		return nil, nil, corrupt("unknown contents %#x", contents)
	}
	var ex *Exact
	var pq *PDQ
	if contents&1 != 0 {
		ex = &Exact{}
		for k := range ex.t {
			t := &ex.t[k]
			t.size = kindSizes[k]
			n := c.count(int64(t.size) + 4)
			t.keys = make([]byte, n*t.size)
			c.read(t.keys)
			t.ids = c.u32s(n)
		}
	}
	if contents&2 != 0 {
		n := c.count(36)
		pq = &PDQ{hashes: make([]pdq.Hash, n)}
		var chunk [4096]byte
		for i := 0; i < n && c.err == nil; {
			m := min(n-i, len(chunk)/32)
			c.read(chunk[:32*m])
			for j := 0; j < m; j++ {
				for w := 0; w < 4; w++ {
					pq.hashes[i+j][w] = binary.LittleEndian.Uint64(chunk[32*j+8*w:])
				}
			}
			i += m
		}
		pq.ids = c.u32s(n)
	}
	if c.err != nil {
		return nil, nil, c.err
	}
	want := c.crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(c.r, sum[:]); err != nil || c.left != 4 {
		return nil, nil, corrupt("no checksum at the end")
	}
	if binary.LittleEndian.Uint32(sum[:]) != want {
		return nil, nil, corrupt("checksum mismatch")
	}
	if ex != nil {
		for k := range ex.t {
			if err := ex.t[k].rebuildStart(); err != nil {
				return nil, nil, corrupt("%s index: %v", Kind(k), err)
			}
		}
	}
	if pq != nil {
		pq.buildSlots()
	}
	return ex, pq, nil
}
