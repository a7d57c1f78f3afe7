package evidence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/partition/gpt"
)

// diskFS is a partitioned disk image: its root holds one directory per
// partition, p1, p2, … numbered as the partition table numbers them (MBR
// logical partitions from p5, as Linux does). A partition whose file
// system Vigil cannot read is still listed; reading its directory returns
// the reason.
type diskFS struct {
	table string // "mbr" or "gpt"
	parts []*diskPart
}

type diskPart struct {
	name        string
	start, size int64
	src         Source
	err         error
}

type partType struct {
	mbr  byte
	guid string
}

func (p partType) String() string {
	if p.guid != "" {
		return p.guid
	}
	return fmt.Sprintf("0x%02x", p.mbr)
}

const maxPartitions = 256

func openPartitioned(r io.ReaderAt, size int64, head []byte, t *Tracker) (Source, error) {
	type found struct {
		index       int
		start, size int64
		typ         partType
		err         error
	}
	var parts []found
	table := "mbr"
	if isGPT(head) {
		table = "gpt"
		if err := checkGPTHeaders(r, size); err != nil {
			return nil, err
		}
		var tbl *gpt.Table
		err := func() (err error) {
			defer recoverAs(&err, "GPT")
			tbl, err = gpt.Read(newROStorage(r, size), 512, 512)
			return err
		}()
		if err != nil {
			return nil, fmt.Errorf("GPT partition table: %w", err)
		}
		for _, p := range tbl.Partitions {
			if p == nil || p.End < p.Start {
				continue
			}
			parts = append(parts, found{index: p.Index, start: int64(p.Start) * 512, size: int64(p.End-p.Start+1) * 512, typ: partType{guid: string(p.Type)}})
		}
	} else {
		for i := range 4 {
			e := head[446+16*i : 446+16*i+16]
			typ := e[4]
			start := int64(binary.LittleEndian.Uint32(e[8:])) * 512
			length := int64(binary.LittleEndian.Uint32(e[12:])) * 512
			if typ == 0 || length == 0 {
				continue
			}
			if typ == 0x05 || typ == 0x0f || typ == 0x85 {
				logical, err := readEBRChain(r, size, start)
				for j, l := range logical {
					parts = append(parts, found{index: 5 + j, start: l.start, size: l.size, typ: partType{mbr: l.typ}})
				}
				if err != nil {
					parts = append(parts, found{index: 5 + len(logical), err: fmt.Errorf("logical partitions of extended partition %d: %w", i+1, err)})
				}
				continue
			}
			if typ == 0xee {
				return nil, errors.New("protective MBR without a readable GPT header")
			}
			parts = append(parts, found{index: i + 1, start: start, size: length, typ: partType{mbr: typ}})
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%s partition table lists no partition: %w", strings.ToUpper(table), ErrUnsupported)
	}
	d := &diskFS{table: table}
	for _, p := range parts {
		dp := &diskPart{name: "p" + strconv.Itoa(p.index), start: p.start, size: p.size, err: p.err}
		d.parts = append(d.parts, dp)
		if p.err != nil {
			continue
		}
		if p.start < 0 || p.start >= size || p.size <= 0 {
			dp.err = fmt.Errorf("partition %d: starts at byte %d, past the end of the %d-byte image: %w", p.index, p.start, size, io.ErrUnexpectedEOF)
			continue
		}
		if p.start+p.size > size || p.start+p.size < p.start {
			p.size = size - p.start // truncated image: read what there is
		}
		sr := io.NewSectionReader(r, p.start, p.size)
		ph := make([]byte, HeadSize)
		n, _ := sr.ReadAt(ph, 0)
		src, err := openFileSystem(sr, p.size, ph[:n], p.typ, t)
		if err != nil {
			dp.err = fmt.Errorf("partition %d: %w", p.index, err)
			continue
		}
		dp.src = src
	}
	return d, nil
}

type ebrPart struct {
	start, size int64
	typ         byte
}

// readEBRChain follows the chain of extended boot records from the
// extended partition at base.
func readEBRChain(r io.ReaderAt, size, base int64) ([]ebrPart, error) {
	var out []ebrPart
	seen := map[int64]bool{}
	next := base
	for len(out) < maxPartitions {
		if seen[next] || next < 0 || next+512 > size {
			return out, fmt.Errorf("extended partition chain broken at byte %d", next)
		}
		seen[next] = true
		var b [512]byte
		if _, err := r.ReadAt(b[:], next); err != nil {
			return out, err
		}
		if b[510] != 0x55 || b[511] != 0xaa {
			return out, fmt.Errorf("extended boot record at byte %d has no signature", next)
		}
		e1, e2 := b[446:462], b[462:478]
		if e1[4] != 0 {
			out = append(out, ebrPart{next + int64(binary.LittleEndian.Uint32(e1[8:]))*512, int64(binary.LittleEndian.Uint32(e1[12:])) * 512, e1[4]})
		}
		if e2[4] == 0 {
			return out, nil
		}
		next = base + int64(binary.LittleEndian.Uint32(e2[8:]))*512
	}
	return out, nil
}

// checkGPTHeaders refuses GPT headers (primary and backup) whose entry
// array could not fit in the image, before go-diskfs allocates it.
func checkGPTHeaders(r io.ReaderAt, size int64) error {
	for _, lba := range []int64{1, size/512 - 1} {
		var h [92]byte
		if _, err := r.ReadAt(h[:], lba*512); err != nil {
			if lba == 1 {
				return fmt.Errorf("GPT header: %w", err)
			}
			continue
		}
		if string(h[:8]) != "EFI PART" {
			continue
		}
		count := int64(binary.LittleEndian.Uint32(h[80:]))
		esize := int64(binary.LittleEndian.Uint32(h[84:]))
		first := int64(binary.LittleEndian.Uint64(h[72:]))
		if count > 16384 || esize < 128 || esize > 4096 || first < 0 || first > size/512 || count*esize > size {
			return fmt.Errorf("GPT header at LBA %d: %d entries of %d bytes at LBA %d do not fit the image: %w", lba, count, esize, first, errCorrupt)
		}
	}
	return nil
}

func (d *diskFS) Kind() string { return kindDiskImage }

func (d *diskFS) Close() error {
	var errs []error
	for _, p := range d.parts {
		if p.src != nil {
			errs = append(errs, p.src.Close())
		}
	}
	return errors.Join(errs...)
}

// route splits name into a partition and the path inside it.
func (d *diskFS) route(op, name string) (*diskPart, string, error) {
	if !fs.ValidPath(name) {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	first, rest, _ := strings.Cut(name, "/")
	if rest == "" {
		rest = "."
	}
	for _, p := range d.parts {
		if p.name == first {
			return p, rest, nil
		}
	}
	return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

func (d *diskFS) partInfo(p *diskPart) fs.FileInfo {
	return partInfo{name: p.name}
}

func (d *diskFS) Stat(name string) (fs.FileInfo, error) {
	if name == "." {
		return partInfo{name: "."}, nil
	}
	p, rest, err := d.route("stat", name)
	if err != nil {
		return nil, err
	}
	if rest == "." {
		return d.partInfo(p), nil
	}
	if p.src == nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: p.err}
	}
	return p.src.Stat(rest)
}

func (d *diskFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name == "." {
		es := make([]fs.DirEntry, len(d.parts))
		for i, p := range d.parts {
			es[i] = fs.FileInfoToDirEntry(d.partInfo(p))
		}
		return es, nil
	}
	p, rest, err := d.route("readdir", name)
	if err != nil {
		return nil, err
	}
	if p.src == nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: p.err}
	}
	return p.src.ReadDir(rest)
}

func (d *diskFS) Open(name string) (fs.File, error) {
	if name == "." {
		es, _ := d.ReadDir(".")
		return &staticDir{info: partInfo{name: "."}, es: es}, nil
	}
	p, rest, err := d.route("open", name)
	if err != nil {
		return nil, err
	}
	if p.src == nil {
		if rest == "." {
			return &staticDir{info: d.partInfo(p), err: p.err}, nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: p.err}
	}
	f, err := p.src.Open(rest)
	if err == nil && rest == "." {
		return &renamedDir{File: f, info: d.partInfo(p)}, nil
	}
	return f, err
}

type partInfo struct{ name string }

func (i partInfo) Name() string       { return i.name }
func (i partInfo) Size() int64        { return 0 }
func (i partInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (i partInfo) ModTime() time.Time { return time.Time{} }
func (i partInfo) IsDir() bool        { return true }
func (i partInfo) Sys() any           { return &Meta{} }

// staticDir is an open directory with a fixed listing (or an error).
type staticDir struct {
	info fs.FileInfo
	es   []fs.DirEntry
	err  error
}

func (d *staticDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *staticDir) Read([]byte) (int, error)   { return 0, errors.New("is a directory") }
func (d *staticDir) Close() error               { return nil }
func (d *staticDir) ReadDir(count int) ([]fs.DirEntry, error) {
	if d.err != nil {
		return nil, d.err
	}
	if count <= 0 {
		es := d.es
		d.es = nil
		return es, nil
	}
	if len(d.es) == 0 {
		return nil, io.EOF
	}
	n := min(count, len(d.es))
	es := d.es[:n]
	d.es = d.es[n:]
	return es, nil
}

// renamedDir is a partition's root directory, named after the partition.
type renamedDir struct {
	fs.File
	info fs.FileInfo
}

func (d *renamedDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *renamedDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if rd, ok := d.File.(fs.ReadDirFile); ok {
		return rd.ReadDir(n)
	}
	return nil, errors.New("not a directory")
}
