package evidence

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"
)

// treeFS is a source whose whole directory tree is indexed in memory when
// it is opened: archives (zip, tar) are listed once, in one pass, and every
// later Open, Stat and ReadDir is a map lookup.
type treeFS struct {
	kind    string
	root    *node
	dirs    map[string]*node // cleaned stored directory path → its node
	closer  func() error
	damaged error // what went wrong while indexing; reported by ReadDir(".")
	tracker *Tracker
}

// node is one entry of a treeFS.
type node struct {
	name     string
	mode     fs.FileMode
	size     int64
	packed   int64 // compressed size, 0 when unknown or stored
	mtime    time.Time
	meta     Meta
	children []*node // sorted by name once indexing is done
	byName   map[string]*node
	path     string
	open     func() (fs.File, error) // regular files
	openErr  error                   // why the entry cannot be read

	once      sync.Once
	chargeErr error
}

func newTreeFS(kind string, t *Tracker) *treeFS {
	root := &node{name: ".", mode: fs.ModeDir | 0o555, path: "."}
	return &treeFS{kind: kind, root: root, dirs: map[string]*node{"": root}, tracker: t}
}

func (t *treeFS) Kind() string { return t.kind }

func (t *treeFS) Close() error {
	if t.closer != nil {
		return t.closer()
	}
	return nil
}

// dir returns the directory node for the cleaned path elems, creating the
// missing ones.
func (t *treeFS) dir(elems []string) *node {
	key := strings.Join(elems, "/")
	if d, ok := t.dirs[key]; ok {
		return d
	}
	parent := t.dir(elems[:len(elems)-1])
	d := &node{mode: fs.ModeDir | 0o555}
	t.attach(parent, d, elems[len(elems)-1])
	t.dirs[key] = d
	return d
}

// attach adds child to parent under name, renamed if the name is taken.
func (t *treeFS) attach(parent, child *node, name string) {
	if parent.byName == nil {
		parent.byName = map[string]*node{}
	}
	name = uniqueName(name, func(n string) bool { _, ok := parent.byName[n]; return ok })
	child.name = name
	if parent == t.root {
		child.path = name
	} else {
		child.path = parent.path + "/" + name
	}
	parent.byName[name] = child
	parent.children = append(parent.children, child)
}

// add indexes an entry stored under raw. A directory entry merges with a
// directory of the same name; anything else that collides is renamed.
func (t *treeFS) add(raw string, n *node) *node {
	clean, elems := cleanMemberPath(raw)
	if clean != strings.TrimSuffix(raw, "/") {
		n.meta.StoredName = raw
	}
	if n.mode.IsDir() {
		if d, ok := t.dirs[clean]; ok && d != t.root {
			d.mode, d.mtime, d.meta = n.mode, n.mtime, n.meta
			return d
		}
		if _, ok := t.dirs[clean]; ok { // "./" or "/" : the root itself
			return t.root
		}
	}
	parent := t.dir(elems[:len(elems)-1])
	t.attach(parent, n, elems[len(elems)-1])
	if n.mode.IsDir() {
		t.dirs[clean] = n
	}
	return n
}

// finish sorts every directory; call it once indexing is done.
func (t *treeFS) finish() {
	var walk func(*node)
	walk = func(d *node) {
		slices.SortFunc(d.children, func(a, b *node) int { return strings.Compare(a.name, b.name) })
		for _, c := range d.children {
			if c.mode.IsDir() {
				walk(c)
			}
		}
	}
	walk(t.root)
}

func (t *treeFS) lookup(op, name string) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n := t.root
	if name == "." {
		return n, nil
	}
	for elem := range strings.SplitSeq(name, "/") {
		c, ok := n.byName[elem]
		if !ok || !n.mode.IsDir() {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		n = c
	}
	return n, nil
}

func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	n, err := t.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return nodeInfo{n}, nil
}

// ReadDir lists a directory sorted by name. For the root, it also returns
// what went wrong while indexing a damaged archive, beside the entries that
// could be read (fs.WalkDir reports the error and goes on).
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := t.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.mode.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	es := make([]fs.DirEntry, len(n.children))
	for i, c := range n.children {
		es[i] = fs.FileInfoToDirEntry(nodeInfo{c})
	}
	if n == t.root && t.damaged != nil {
		return es, &fs.PathError{Op: "readdir", Path: name, Err: t.damaged}
	}
	return es, nil
}

var errNotDir = errors.New("not a directory")

func (t *treeFS) Open(name string) (fs.File, error) {
	n, err := t.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if n.mode.IsDir() {
		return &treeDir{n: n}, nil
	}
	if n.openErr != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: n.openErr}
	}
	if n.mode&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errSymlink(n.meta.LinkTarget)}
	}
	if !n.mode.IsRegular() || n.open == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%v is not a regular file", n.mode.Type())}
	}
	if t.tracker != nil {
		n.once.Do(func() { n.chargeErr = t.tracker.chargeBytes(name, n.size, n.packed) })
		if n.chargeErr != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: n.chargeErr}
		}
	}
	f, err := n.open()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}

func errSymlink(target string) error {
	return fmt.Errorf("symbolic link to %q: %w", target, errNoFollow)
}

var errNoFollow = errors.New("links are reported, never followed")

// nodeInfo is the fs.FileInfo of a node; Sys returns a copy of its Meta.
type nodeInfo struct{ n *node }

func (i nodeInfo) Name() string       { return i.n.name }
func (i nodeInfo) Size() int64        { return i.n.size }
func (i nodeInfo) Mode() fs.FileMode  { return i.n.mode }
func (i nodeInfo) ModTime() time.Time { return i.n.mtime }
func (i nodeInfo) IsDir() bool        { return i.n.mode.IsDir() }
func (i nodeInfo) Sys() any           { m := i.n.meta; return &m }

// treeDir is an open directory of a treeFS.
type treeDir struct {
	n   *node
	off int
}

func (d *treeDir) Stat() (fs.FileInfo, error) { return nodeInfo{d.n}, nil }
func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.n.path, Err: errors.New("is a directory")}
}
func (d *treeDir) Close() error { return nil }
func (d *treeDir) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.n.children[d.off:]
	if count > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if count > 0 && len(rest) > count {
		rest = rest[:count]
	}
	d.off += len(rest)
	es := make([]fs.DirEntry, len(rest))
	for i, c := range rest {
		es[i] = fs.FileInfoToDirEntry(nodeInfo{c})
	}
	return es, nil
}

// entryFile is an open regular file of an archive or image, bounded by its
// declared size: it never yields more, and reports a truncated entry as an
// error rather than as a short file.
type entryFile struct {
	info fs.FileInfo
	r    io.Reader   // sequential reader, used when ra is nil
	ra   io.ReaderAt // random access, when the format allows
	c    io.Closer
	size int64
	off  int64
}

// raFile is an entryFile with random access: it also implements
// io.ReaderAt and io.Seeker, so a container found inside can be opened
// in place without a scratch copy.
type raFile struct{ *entryFile }

// newEntryFile returns a file reading size bytes from ra when it is not
// nil, else from r.
func newEntryFile(info fs.FileInfo, size int64, r io.Reader, ra io.ReaderAt, c io.Closer) fs.File {
	f := &entryFile{info: info, r: r, ra: ra, c: c, size: size}
	if ra != nil {
		return raFile{f}
	}
	return f
}

func (f *entryFile) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *entryFile) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	if rem := f.size - f.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	var n int
	var err error
	if f.ra != nil {
		n, err = f.ra.ReadAt(p, f.off)
		if err == io.EOF && n == len(p) {
			err = nil
		}
	} else {
		n, err = f.r.Read(p)
	}
	f.off += int64(n)
	if err == io.EOF {
		if f.off < f.size {
			return n, fmt.Errorf("%s: truncated after %d of %d bytes: %w", f.info.Name(), f.off, f.size, io.ErrUnexpectedEOF)
		}
		err = nil
	}
	if err == nil && f.off >= f.size {
		err = io.EOF
		if f.ra == nil {
			err = f.checkEnd()
		}
	}
	return n, err
}

// checkEnd reads past the declared size of a sequential entry: an entry
// that holds more than it declares is reported (and a zip entry's CRC-32
// is checked, which archive/zip does at the end of the data).
func (f *entryFile) checkEnd() error {
	var probe [1]byte
	n, err := f.r.Read(probe[:])
	switch {
	case n > 0:
		return fmt.Errorf("%s holds more than its declared %d bytes: %w", f.info.Name(), f.size, errCorrupt)
	case err == nil || err == io.EOF:
		return io.EOF
	}
	return err
}

func (f *entryFile) Close() error {
	if f.c != nil {
		return f.c.Close()
	}
	return nil
}

func (f raFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= f.size {
		return 0, io.EOF
	}
	short := false
	if rem := f.size - off; int64(len(p)) > rem {
		p, short = p[:rem], true
	}
	n, err := f.ra.ReadAt(p, off)
	if err == io.EOF && n == len(p) {
		err = nil
	}
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

func (f raFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.size
	default:
		return 0, errors.New("bad whence")
	}
	if offset < 0 {
		return 0, errors.New("negative position")
	}
	f.off = offset
	return offset, nil
}
