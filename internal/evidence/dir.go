package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// dirSource is a directory of evidence, opened read-only, symbolic links
// never followed.
type dirSource struct {
	root string
}

// OpenDir opens a directory as a source.
func OpenDir(path string) (Source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("evidence %s: not a directory", path)
	}
	return &dirSource{root: abs}, nil
}

func (d *dirSource) Kind() string   { return "directory" }
func (d *dirSource) Close() error   { return nil }
func (d *dirSource) String() string { return d.root }

func (d *dirSource) join(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return d.root, nil
	}
	return filepath.Join(d.root, filepath.FromSlash(name)), nil
}

// Open opens a file read-only without following a final symbolic link and
// without updating its access time where the kernel lets us.
func (d *dirSource) Open(name string) (fs.File, error) {
	p, err := d.join("open", name)
	if err != nil {
		return nil, err
	}
	f, err := openReadOnly(p)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPathError(err)}
	}
	return &dirFile{File: f, name: name}, nil
}

// openReadOnly opens p with O_RDONLY|O_NOFOLLOW|O_NOATIME, dropping
// O_NOATIME when the process may not use it (it must own the file or be
// privileged).
func openReadOnly(p string) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
	f, err := os.OpenFile(p, flags|syscall.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = os.OpenFile(p, flags, 0)
	}
	return f, err
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type dirFile struct {
	*os.File
	name string
}

func (f *dirFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return nil, err
	}
	return withMeta(fi), nil
}

func (f *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	es, err := f.File.ReadDir(n)
	for i, e := range es {
		es[i] = dirEntry{e}
	}
	return es, err
}

// Stat describes name without following a final symbolic link.
func (d *dirSource) Stat(name string) (fs.FileInfo, error) {
	p, err := d.join("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: unwrapPathError(err)}
	}
	fi = withMeta(fi)
	if fi.Mode()&fs.ModeSymlink != 0 {
		if t, err := os.Readlink(p); err == nil {
			MetaOf(fi).LinkTarget = t
		}
	}
	return fi, nil
}

// ReadDir lists a directory sorted by name.
func (d *dirSource) ReadDir(name string) ([]fs.DirEntry, error) {
	p, err := d.join("readdir", name)
	if err != nil {
		return nil, err
	}
	f, err := openReadOnly(p)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: unwrapPathError(err)}
	}
	defer f.Close()
	es, err := f.ReadDir(-1)
	for i, e := range es {
		es[i] = dirEntry{e}
	}
	slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return es, err
}

type dirEntry struct{ fs.DirEntry }

func (e dirEntry) Info() (fs.FileInfo, error) {
	fi, err := e.DirEntry.Info()
	if err != nil {
		return nil, err
	}
	return withMeta(fi), nil
}

// infoWithMeta replaces Sys() with a *Meta built from the stat buffer.
type infoWithMeta struct {
	fs.FileInfo
	meta *Meta
}

func (i infoWithMeta) Sys() any { return i.meta }

func withMeta(fi fs.FileInfo) fs.FileInfo {
	m := &Meta{}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		m.ATime = time.Unix(st.Atim.Sec, st.Atim.Nsec).UTC()
		m.CTime = time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UTC()
		m.Inode = st.Ino
	}
	return infoWithMeta{FileInfo: fi, meta: m}
}

func statNoFollow(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path) // the top-level path given by the operator may be a link
	if err != nil {
		return nil, err
	}
	return fi, nil
}
