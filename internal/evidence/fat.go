package evidence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
)

// FAT12, FAT16 and FAT32 are read here rather than with go-diskfs v1.9.4,
// whose FAT readers follow cluster chains without a bound (a looping chain
// never ends), report directories as regular files in their FileInfo,
// refuse volumes whose two FAT copies differ (common on real media), keep
// no access or creation times and skip deleted entries.
//
// Deleted entries are listed, flagged Meta.Deleted: their content is read
// from the clusters that follow their first cluster, as recovery tools
// do, since the chain was cleared; it may since have been overwritten.

type fatVolume struct {
	r            io.ReaderAt
	size         int64
	bits         int // 12, 16 or 32
	bps          int64
	clusterSize  int64
	fat          []byte
	clusters     uint32 // number of data clusters; valid ones are 2..clusters+1
	dataStart    int64  // byte offset of cluster 2
	rootStart    int64  // FAT12/16: byte offset of the fixed root directory
	rootEntries  int64
	rootCluster  uint32 // FAT32
	formatString string
}

const maxFATBytes = 512 << 20

func isFATBootSector(h []byte) bool {
	if len(h) < 512 || !(h[0] == 0xeb || h[0] == 0xe9) {
		return false
	}
	bps := binary.LittleEndian.Uint16(h[11:])
	spc := h[13]
	if bps != 512 && bps != 1024 && bps != 2048 && bps != 4096 {
		return false
	}
	if spc == 0 || spc&(spc-1) != 0 || binary.LittleEndian.Uint16(h[14:]) == 0 || h[16] == 0 || h[16] > 4 {
		return false
	}
	if string(h[3:11]) == "NTFS    " || string(h[3:11]) == "EXFAT   " {
		return false
	}
	return string(h[54:57]) == "FAT" || string(h[82:85]) == "FAT" || h[21] == 0xf0 || h[21] >= 0xf8
}

func openFAT(r io.ReaderAt, size int64, t *Tracker) (Source, error) {
	var b [512]byte
	if _, err := r.ReadAt(b[:], 0); err != nil {
		return nil, fmt.Errorf("FAT boot sector: %w", err)
	}
	v := &fatVolume{r: r, size: size}
	v.bps = int64(binary.LittleEndian.Uint16(b[11:]))
	spc := int64(b[13])
	rsvd := int64(binary.LittleEndian.Uint16(b[14:]))
	nfats := int64(b[16])
	v.rootEntries = int64(binary.LittleEndian.Uint16(b[17:]))
	tot := int64(binary.LittleEndian.Uint16(b[19:]))
	if tot == 0 {
		tot = int64(binary.LittleEndian.Uint32(b[32:]))
	}
	fatSz := int64(binary.LittleEndian.Uint16(b[22:]))
	if fatSz == 0 {
		fatSz = int64(binary.LittleEndian.Uint32(b[36:]))
		v.rootCluster = binary.LittleEndian.Uint32(b[44:])
	}
	if v.bps == 0 || spc == 0 || fatSz == 0 || tot == 0 {
		return nil, fmt.Errorf("FAT boot sector: zero geometry: %w", errCorrupt)
	}
	rootSecs := (v.rootEntries*32 + v.bps - 1) / v.bps
	firstData := rsvd + nfats*fatSz + rootSecs
	if firstData >= tot {
		return nil, fmt.Errorf("FAT boot sector: metadata (%d sectors) larger than the volume (%d): %w", firstData, tot, errCorrupt)
	}
	clusters := (tot - firstData) / spc
	switch {
	case clusters < 4085:
		v.bits, v.formatString = 12, "FAT12"
	case clusters < 65525:
		v.bits, v.formatString = 16, "FAT16"
	default:
		v.bits, v.formatString = 32, "FAT32"
	}
	v.clusters = uint32(min(clusters, 0x0ffffff5))
	v.clusterSize = spc * v.bps
	v.dataStart = firstData * v.bps
	v.rootStart = (rsvd + nfats*fatSz) * v.bps
	fatBytes := fatSz * v.bps
	if need := (int64(v.clusters) + 2) * int64(v.bits) / 8; fatBytes > need+v.bps {
		fatBytes = need + v.bps // only the part of the FAT that maps clusters
	}
	if fatBytes > maxFATBytes || rsvd*v.bps+fatBytes > size {
		return nil, fmt.Errorf("%s: allocation table (%d bytes at %d) does not fit the %d-byte volume: %w", v.formatString, fatBytes, rsvd*v.bps, size, errCorrupt)
	}
	v.fat = make([]byte, fatBytes)
	if _, err := r.ReadAt(v.fat, rsvd*v.bps); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s allocation table: %w", v.formatString, err)
	}
	if v.bits == 32 && !v.valid(v.rootCluster) {
		return nil, fmt.Errorf("FAT32 root directory cluster %d out of range: %w", v.rootCluster, errCorrupt)
	}
	return newImageFS(kindFAT, v.formatString, v, size, nilIfTop(t)), nil
}

// nilIfTop: images opened as top-level sources charge nothing; see
// imageFS.tracker.
func nilIfTop(t *Tracker) *Tracker {
	if t == nil || t.top {
		return nil
	}
	return t
}

func (v *fatVolume) valid(c uint32) bool { return c >= 2 && c < v.clusters+2 }

func (v *fatVolume) next(c uint32) uint32 {
	switch v.bits {
	case 12:
		off := int(c) + int(c)/2
		if off+2 > len(v.fat) {
			return 0x0fffffff
		}
		x := binary.LittleEndian.Uint16(v.fat[off:])
		if c&1 == 1 {
			x >>= 4
		}
		x &= 0xfff
		if x >= 0xff8 {
			return 0x0fffffff
		}
		return uint32(x)
	case 16:
		off := int(c) * 2
		if off+2 > len(v.fat) {
			return 0x0fffffff
		}
		x := binary.LittleEndian.Uint16(v.fat[off:])
		if x >= 0xfff8 {
			return 0x0fffffff
		}
		return uint32(x)
	}
	off := int(c) * 4
	if off+4 > len(v.fat) {
		return 0x0fffffff
	}
	return binary.LittleEndian.Uint32(v.fat[off:]) & 0x0fffffff
}

// extent maps a run of a file's bytes to the volume.
type extent struct{ fileOff, diskOff, length int64 }

// chain returns the extents of the cluster chain from first, covering
// want bytes (want < 0: until the end of the chain, at most maxBytes).
func (v *fatVolume) chain(first uint32, want, maxBytes int64, deleted bool) ([]extent, error) {
	var out []extent
	var got int64
	c := first
	limit := want
	if limit < 0 {
		limit = maxBytes
	}
	for got < limit {
		if !v.valid(c) {
			if want < 0 && got > 0 {
				break // end of a directory chain
			}
			return out, fmt.Errorf("cluster chain reaches invalid cluster %d after %d bytes of %d: %w", c, got, want, errCorrupt)
		}
		disk := v.dataStart + int64(c-2)*v.clusterSize
		n := min(v.clusterSize, limit-got)
		if k := len(out) - 1; k >= 0 && out[k].diskOff+out[k].length == disk {
			out[k].length += n
		} else {
			out = append(out, extent{got, disk, n})
		}
		got += n
		if deleted {
			c++ // the chain was cleared: assume contiguous clusters
		} else {
			c = v.next(c)
		}
		if int64(len(out)) > int64(v.clusters)+1 {
			return out, fmt.Errorf("cluster chain longer than the volume: %w", errCorrupt)
		}
	}
	return out, nil
}

func (v *fatVolume) root() (ventry, error) {
	e := ventry{name: ".", mode: fs.ModeDir | 0o555}
	if v.bits == 32 {
		e.id = uint64(v.rootCluster)
		e.ref = fatRef{cluster: v.rootCluster}
	} else {
		e.ref = fatRef{root: true}
	}
	return e, nil
}

type fatRef struct {
	cluster uint32
	root    bool // the fixed root directory of FAT12/16
	deleted bool
}

const maxFATDir = 65536 * 32 // the largest directory FAT allows

func (v *fatVolume) list(d *ventry) ([]ventry, error) {
	ref := d.ref.(fatRef)
	var data []byte
	if ref.root {
		data = make([]byte, v.rootEntries*32)
		n, err := v.r.ReadAt(data, v.rootStart)
		if err != nil && err != io.EOF {
			return nil, err
		}
		data = data[:n]
	} else {
		want := int64(-1)
		if ref.deleted {
			want = v.clusterSize // only the first cluster can be trusted
		}
		ext, err := v.chain(ref.cluster, want, maxFATDir, ref.deleted)
		if err != nil && len(ext) == 0 {
			return nil, err
		}
		for _, x := range ext {
			buf := make([]byte, x.length)
			n, _ := v.r.ReadAt(buf, x.diskOff)
			data = append(data, buf[:n]...)
		}
	}
	return v.parseDir(data, ref.deleted), nil
}

func (v *fatVolume) parseDir(data []byte, parentDeleted bool) []ventry {
	var out []ventry
	var lfn []uint16
	var lfnSum byte
	lfnOK := false
	for i := 0; i+32 <= len(data); i += 32 {
		e := data[i : i+32]
		if e[0] == 0 {
			break
		}
		attr := e[11]
		if attr&0x3f == 0x0f { // long name piece; stored last piece first
			// A live piece's ordinal marks the last piece (0x40), which
			// comes first. Deleting overwrites the ordinal with 0xE5 (which
			// has that bit set too), so deleted pieces go on one name while
			// their checksum stays the same.
			start := e[0]&0x40 != 0
			if e[0] == 0xe5 {
				start = !lfnOK || e[13] != lfnSum
			}
			if start {
				lfn, lfnOK, lfnSum = nil, true, e[13]
			}
			if e[13] != lfnSum {
				lfnOK = false
			}
			var part []uint16
			for _, off := range []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
				part = append(part, binary.LittleEndian.Uint16(e[off:]))
			}
			lfn = append(part, lfn...)
			continue
		}
		longName := ""
		deleted := e[0] == 0xe5 || parentDeleted
		if lfnOK && (e[0] == 0xe5 && deletedFirstByte(e[:11], lfnSum) || e[0] != 0xe5 && shortNameSum(e[:11]) == lfnSum) {
			longName = decodeLFN(lfn)
		}
		lfn, lfnOK = nil, false
		if attr&0x08 != 0 { // volume label
			continue
		}
		short := shortName(e[:11], e[12])
		if short == "." || short == ".." {
			continue
		}
		name := longName
		if name == "" {
			name = short
		}
		cluster := uint32(binary.LittleEndian.Uint16(e[26:]))
		if v.bits == 32 {
			cluster |= uint32(binary.LittleEndian.Uint16(e[20:])) << 16
		}
		ve := ventry{name: name, mtime: fatTime(e[24:], e[22:], 0)}
		ve.meta.BTime = fatTime(e[16:], e[14:], e[13])
		ve.meta.ATime = fatTime(e[18:], nil, 0)
		ve.meta.Deleted = deleted
		ve.meta.Inode = uint64(cluster)
		ref := fatRef{cluster: cluster, deleted: deleted}
		ve.ref = ref
		if attr&0x10 != 0 {
			ve.mode = fs.ModeDir | 0o555
			ve.id = uint64(cluster)
		} else {
			ve.mode = 0o444
			ve.size = int64(binary.LittleEndian.Uint32(e[28:]))
		}
		out = append(out, ve)
	}
	return out
}

// deletedFirstByte reports whether the long name whose checksum is sum
// can belong to the deleted short name n, whose first byte deletion
// overwrote: exactly one first byte gives that checksum (each step of the
// sum is a bijection), and the long name is taken only when that byte is
// one a short name may start with.
func deletedFirstByte(n []byte, sum byte) bool {
	b := [11]byte(n)
	for c := 0; c < 256; c++ {
		b[0] = byte(c)
		if shortNameSum(b[:]) == sum {
			return c > ' ' && c != 0xe5 && c != '.' && !(c >= 'a' && c <= 'z') && !strings.ContainsRune("\"*+,/:;<=>?[\\]|", rune(c))
		}
	}
	return false
}

func shortNameSum(n []byte) byte {
	var s byte
	for _, c := range n {
		s = (s>>1 | s<<7) + c
	}
	return s
}

// shortName decodes an 8.3 name; the first byte of a deleted entry's name
// is lost (overwritten by 0xE5) and shown as "_".
// The case flags (Windows NT and later) ask for a lower-case base (0x08)
// or extension (0x10).
func shortName(n []byte, caseFlags byte) string {
	b := slices.Clone(n)
	switch b[0] {
	case 0x05:
		b[0] = 0xe5
	case 0xe5:
		b[0] = '_'
	}
	base := strings.TrimRight(string(b[:8]), " ")
	ext := strings.TrimRight(string(b[8:11]), " ")
	if caseFlags&0x08 != 0 {
		base = asciiLower(base)
	}
	if caseFlags&0x10 != 0 {
		ext = asciiLower(ext)
	}
	if ext != "" {
		base += "." + ext
	}
	return latin1(base)
}

// latin1 maps the bytes of a short name (an OEM code page we do not know)
// to runes one for one, so that no byte is lost.
func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

func decodeLFN(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	for len(u) > 0 && u[len(u)-1] == 0xffff {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

// fatTime decodes a FAT date and time (local time of the machine that
// wrote it, zone unknown: taken as UTC). tenths adds 10 ms units.
func fatTime(date, tm []byte, tenths byte) time.Time {
	d := binary.LittleEndian.Uint16(date)
	if d == 0 {
		return time.Time{}
	}
	var t uint16
	if tm != nil {
		t = binary.LittleEndian.Uint16(tm)
	}
	return time.Date(1980+int(d>>9), time.Month(d>>5&0xf), int(d&0x1f),
		int(t>>11), int(t>>5&0x3f), int(t&0x1f)*2, int(tenths)*10_000_000, time.UTC)
}

func (v *fatVolume) open(f *ventry) (io.ReaderAt, error) {
	ref := f.ref.(fatRef)
	if f.size == 0 {
		return emptyReader{}, nil
	}
	ext, err := v.chain(ref.cluster, f.size, 0, ref.deleted)
	if err != nil {
		return nil, err
	}
	return &extentReader{r: v.r, ext: ext, size: f.size}, nil
}

type emptyReader struct{}

func (emptyReader) ReadAt([]byte, int64) (int, error) { return 0, io.EOF }

// extentReader reads a file made of extents; bytes in no extent (holes)
// read as zeros.
type extentReader struct {
	r    io.ReaderAt
	ext  []extent // sorted by fileOff
	size int64
}

func (x *extentReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= x.size {
			return n, io.EOF
		}
		want := min(int64(len(p)-n), x.size-pos)
		i, _ := slices.BinarySearchFunc(x.ext, pos, func(e extent, p int64) int {
			switch {
			case e.fileOff+e.length <= p:
				return -1
			case e.fileOff > p:
				return 1
			}
			return 0
		})
		if i < len(x.ext) && x.ext[i].fileOff <= pos {
			e := x.ext[i]
			k := min(want, e.fileOff+e.length-pos)
			m, err := x.r.ReadAt(p[n:n+int(k)], e.diskOff+pos-e.fileOff)
			n += m
			if m < int(k) {
				if err == nil || err == io.EOF {
					err = fmt.Errorf("data past the end of the image: %w", io.ErrUnexpectedEOF)
				}
				return n, err
			}
			continue
		}
		// a hole up to the next extent
		end := x.size
		if i < len(x.ext) {
			end = x.ext[i].fileOff
		}
		k := min(want, end-pos)
		clear(p[n : n+int(k)])
		n += int(k)
	}
	return n, nil
}

func slicesSortExtents(x []extent) {
	slices.SortFunc(x, func(a, b extent) int { return cmpInt64(a.fileOff, b.fileOff) })
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
