package evidence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// A volume is one file system inside a disk image, read by a reader that
// knows its format. imageFS turns it into a Source: it resolves paths
// itself (so a library never follows a link or a loop), cleans and
// de-duplicates names, refuses directory loops, and recovers panics.
type volume interface {
	root() (ventry, error)
	// list returns a directory's entries, without "." and "..", and an
	// error when it could read only part of them.
	list(dir *ventry) ([]ventry, error)
	// open returns the content of a regular file, e.size bytes long.
	open(f *ventry) (io.ReaderAt, error)
}

// ventry is one entry of a volume.
type ventry struct {
	name  string // as stored
	mode  fs.FileMode
	size  int64
	mtime time.Time
	meta  Meta
	id    uint64 // identity of a directory (inode, cluster, MFT record)
	ref   any    // the reader's own handle
}

const (
	maxImageDepth   = 256       // directory levels
	maxCachedDirEnt = 1_000_000 // entries of listed directories kept in memory
)

type imageFS struct {
	kind    string
	format  string // for errors: "FAT32", "ext4", "NTFS"
	vol     volume
	volSize int64
	tracker *Tracker // nil: nothing charged (a top-level image)

	mu     sync.Mutex
	cache  map[string]*vdir
	cached int
}

type vdir struct {
	ent     ventry
	chain   []uint64 // ids of the directories from the root to this one
	entries []*vnode // sorted by exposed name
	byName  map[string]*vnode
	err     error
}

type vnode struct {
	name string // exposed
	ent  ventry
}

func newImageFS(kind, format string, vol volume, volSize int64, t *Tracker) *imageFS {
	return &imageFS{kind: kind, format: format, vol: vol, volSize: volSize, tracker: t, cache: map[string]*vdir{}}
}

func (v *imageFS) Kind() string { return v.kind }
func (v *imageFS) Close() error { return nil }

func (v *imageFS) resolveDir(name string) (*vdir, error) {
	if d, ok := v.cache[name]; ok {
		return d, nil
	}
	var d *vdir
	if name == "." {
		var root ventry
		err := v.guard(func() (err error) { root, err = v.vol.root(); return err })
		if err != nil {
			return nil, err
		}
		root.mode = fs.ModeDir | root.mode.Perm()
		d = &vdir{ent: root, chain: []uint64{root.id}}
	} else {
		if strings.Count(name, "/") >= maxImageDepth {
			return nil, fmt.Errorf("more than %d directory levels: %w", maxImageDepth, errCorrupt)
		}
		parentName, base := path.Split(name)
		parentName = strings.TrimSuffix(parentName, "/")
		if parentName == "" {
			parentName = "."
		}
		parent, err := v.resolveDir(parentName)
		if err != nil {
			return nil, err
		}
		c, ok := parent.byName[base]
		if !ok {
			return nil, fs.ErrNotExist
		}
		if !c.ent.mode.IsDir() {
			return nil, errNotDir
		}
		if slices.Contains(parent.chain, c.ent.id) {
			return nil, fmt.Errorf("directory loop: this directory is one of its own ancestors: %w", errCorrupt)
		}
		d = &vdir{ent: c.ent, chain: append(slices.Clip(parent.chain), c.ent.id)}
	}
	var list []ventry
	err := v.guard(func() (err error) { list, err = v.vol.list(&d.ent); return err })
	d.err = err
	d.byName = make(map[string]*vnode, len(list))
	for _, e := range list {
		n := &vnode{ent: e}
		n.name = uniqueName(cleanName(e.name), func(s string) bool { _, ok := d.byName[s]; return ok })
		if n.name != e.name {
			n.ent.meta.StoredName = e.name
		}
		d.byName[n.name] = n
		d.entries = append(d.entries, n)
	}
	slices.SortFunc(d.entries, func(a, b *vnode) int { return strings.Compare(a.name, b.name) })
	if v.cached+len(list) > maxCachedDirEnt {
		clear(v.cache)
		v.cached = 0
	}
	v.cache[name] = d
	v.cached += len(list) + 1
	return d, nil
}

// guard runs a call into a volume reader, turning a panic into an error.
func (v *imageFS) guard(f func() error) (err error) {
	defer recoverAs(&err, v.format)
	return f()
}

func (v *imageFS) lookup(op, name string) (*vnode, *vdir, error) {
	if !fs.ValidPath(name) {
		return nil, nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if name == "." {
		d, err := v.resolveDir(".")
		if err != nil {
			return nil, nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		return &vnode{name: ".", ent: d.ent}, d, nil
	}
	parentName, base := path.Split(name)
	parentName = strings.TrimSuffix(parentName, "/")
	if parentName == "" {
		parentName = "."
	}
	parent, err := v.resolveDir(parentName)
	if err != nil {
		return nil, nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	n, ok := parent.byName[base]
	if !ok {
		return nil, nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return n, nil, nil
}

func (v *imageFS) Stat(name string) (fs.FileInfo, error) {
	n, _, err := v.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return ventInfo{n}, nil
}

func (v *imageFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	v.mu.Lock()
	d, err := v.resolveDir(name)
	v.mu.Unlock()
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	es := make([]fs.DirEntry, len(d.entries))
	for i, n := range d.entries {
		es[i] = fs.FileInfoToDirEntry(ventInfo{n})
	}
	if d.err != nil {
		return es, &fs.PathError{Op: "readdir", Path: name, Err: d.err}
	}
	return es, nil
}

func (v *imageFS) Open(name string) (fs.File, error) {
	n, _, err := v.lookup("open", name)
	if err != nil {
		return nil, err
	}
	e := &n.ent
	switch {
	case e.mode.IsDir():
		return &imageDir{v: v, name: name, info: ventInfo{n}}, nil
	case e.mode&fs.ModeSymlink != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: errSymlink(e.meta.LinkTarget)}
	case !e.mode.IsRegular():
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%v is not a regular file", e.mode.Type())}
	case e.size < 0 || e.size > v.volSize:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("declares %d bytes, more than the whole %d-byte volume: %w", e.size, v.volSize, errCorrupt)}
	}
	if v.tracker != nil {
		if err := v.tracker.chargeBytes(name, e.size, 0); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	var ra io.ReaderAt
	err = v.guard(func() (err error) { ra, err = v.vol.open(e); return err })
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return newEntryFile(ventInfo{n}, e.size, nil, guardReaderAt{ra, v.format}, nil), nil
}

type ventInfo struct{ n *vnode }

func (i ventInfo) Name() string       { return i.n.name }
func (i ventInfo) Size() int64        { return i.n.ent.size }
func (i ventInfo) Mode() fs.FileMode  { return i.n.ent.mode }
func (i ventInfo) ModTime() time.Time { return i.n.ent.mtime }
func (i ventInfo) IsDir() bool        { return i.n.ent.mode.IsDir() }
func (i ventInfo) Sys() any           { m := i.n.ent.meta; return &m }

type imageDir struct {
	v    *imageFS
	name string
	info fs.FileInfo
	es   []fs.DirEntry
	read bool
}

func (d *imageDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *imageDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *imageDir) Close() error { return nil }
func (d *imageDir) ReadDir(count int) ([]fs.DirEntry, error) {
	if !d.read {
		es, err := d.v.ReadDir(d.name)
		if err != nil && es == nil {
			return nil, err
		}
		d.es, d.read = es, true
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

// openImage opens a disk image: partitioned (MBR or GPT), or a bare file
// system.
func openImage(r io.ReaderAt, size int64, kind string, t *Tracker) (Source, error) {
	head := make([]byte, HeadSize)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	head = head[:n]
	if fk, _ := fileSystemKind(head); fk != "" {
		return openFileSystem(r, size, head, nil, t)
	}
	if kind == kindDiskImage || isGPT(head) || isMBR(head) {
		return openPartitioned(r, size, head, t)
	}
	return nil, fmt.Errorf("%s: %w", describeUnknown(head), ErrUnsupported)
}

// openFileSystem opens the file system whose first bytes are head.
// typeCode names the partition type for errors, when there is one.
func openFileSystem(r io.ReaderAt, size int64, head []byte, typeCode fmt.Stringer, t *Tracker) (src Source, err error) {
	kind, _ := fileSystemKind(head)
	defer recoverAs(&err, kind)
	switch kind {
	case kindFAT:
		return openFAT(r, size, t)
	case kindExt:
		return openExt(r, size, t)
	case kindNTFS:
		return openNTFS(r, size, t)
	}
	if name := unsupportedFileSystem(head); name != "" {
		return nil, fmt.Errorf("%s file system: %w", name, ErrUnsupported)
	}
	if typeCode != nil {
		return nil, fmt.Errorf("file system type %v not recognised: %w", typeCode, ErrUnsupported)
	}
	return nil, fmt.Errorf("file system not recognised: %w", ErrUnsupported)
}

// fileSystemKind recognises the file systems Vigil reads.
func fileSystemKind(h []byte) (string, string) {
	switch {
	case len(h) >= 11 && bytes.Equal(h[3:11], []byte("NTFS    ")):
		return kindNTFS, "NTFS"
	case len(h) >= 1082 && binary.LittleEndian.Uint16(h[1080:]) == 0xef53:
		return kindExt, "ext"
	case isFATBootSector(h):
		return kindFAT, "FAT"
	}
	return "", ""
}

// unsupportedFileSystem names file systems Vigil recognises but does not
// read, so that the error says what the evidence is.
func unsupportedFileSystem(h []byte) string {
	at := func(off int, magic string) bool {
		return len(h) >= off+len(magic) && string(h[off:off+len(magic)]) == magic
	}
	switch {
	case at(3, "EXFAT   "):
		return "exFAT"
	case at(3, "-FVE-FS-"):
		return "BitLocker-encrypted"
	case at(0, "LUKS\xba\xbe"):
		return "LUKS-encrypted"
	case at(1024, "H+"), at(1024, "HX"):
		return "HFS+"
	case at(32, "NXSB"):
		return "APFS"
	case at(0, "XFSB"):
		return "XFS"
	case at(0, "hsqs"):
		return "squashfs"
	case at(4086, "SWAPSPACE2"):
		return "Linux swap"
	case at(0, "QFI\xfb"):
		return "QCOW disk image (convert it to a raw image first)"
	case at(0, "EVF\x09\x0d\x0a\xff\x00"):
		return "EnCase E01 image (convert it to a raw image first, e.g. with ewfexport)"
	case at(0, "vhdxfile"):
		return "VHDX disk image (convert it to a raw image first)"
	}
	return ""
}
