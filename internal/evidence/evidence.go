// Package evidence opens seized sources read-only as io/fs file systems:
// directories, archives (zip, tar, tar.gz, gzip) and raw disk images, and,
// inside them, nested archives and images within a depth and expansion
// budget.
//
// Nothing here writes to evidence. Directory sources open files with
// O_RDONLY|O_NOATIME where the kernel permits, so reading does not even
// change access times; file sources are opened the same way, and no
// library is ever handed anything it could write through.
//
// Formats are recognised by content, never by name:
//
//   - zip (stored, deflate, bzip2, zstd), indexed from its central
//     directory; tar (ustar, GNU, PAX, sparse members) indexed in one pass
//     that remembers where each member lies, so that any member can be
//     read at random; gzip decompressed into an unlinked scratch file, then
//     read as a tar ("tar.gz") or as the single file it holds ("gzip").
//   - disk images: MBR (with logical partitions) or GPT partitioned
//     ("disk-image": one directory per partition, p1, p2, … numbered as the
//     table numbers them), or a bare file system: FAT12/16/32 ("fat"),
//     ext2/3/4 ("ext") or NTFS ("ntfs"). A partition whose file system is
//     not one of these is listed; reading it gives an error that names
//     what it is, or its partition type.
//
// Hostile containers are expected. Member names that would escape or are
// not valid paths are cleaned (see names.go) and the stored name is kept in
// Meta.StoredName; duplicates are all kept ("name~2"); symbolic links are
// reported (Meta.LinkTarget), never followed; an entry never yields more
// than it declares, and one that holds more or less is an error; every
// third-party reader runs under recover. Damage found while indexing an
// archive is returned, beside what could be listed, by ReadDir(".").
//
// Budgets: a Tracker bounds what nested containers may expand to (depth,
// entries, bytes, per-entry size and ratio). Open charges a top-level
// archive's entries to a tracker of its own with DefaultBudget; the
// files of a top-level disk image are charged nothing (they are bounded by
// the image), while those of a nested image are charged to the tracker
// given to OpenNested, like any nested archive's.
package evidence

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// Source is an evidence source opened read-only. Paths are slash-separated
// and valid in the sense of fs.ValidPath. ReadDir lists entries sorted by
// name. The fs.FileInfo of an entry may carry a *Meta in Sys().
type Source interface {
	fs.ReadDirFS
	fs.StatFS
	// Kind names the source's format: "directory", "zip", "tar",
	// "tar.gz", "gzip", "disk-image" (partitioned), "fat", "ext", "ntfs".
	Kind() string
	Close() error
}

// Meta is what a source knows of an entry beyond fs.FileInfo.
type Meta struct {
	ATime, CTime, BTime time.Time // zero when the format does not record it
	Deleted             bool      // recovered from unallocated directory entries
	Inode               uint64
	LinkTarget          string // for symbolic links (never followed) and tar hard links
	StoredName          string // the name as the archive or image stored it, when it had to be cleaned
}

// MetaOf returns the Meta of an entry, or nil.
func MetaOf(fi fs.FileInfo) *Meta {
	m, _ := fi.Sys().(*Meta)
	return m
}

// Budget bounds what nested archives may expand to, so that zip bombs,
// nested bombs and archives that contain themselves are refused while the
// rest of the evidence is still read.
type Budget struct {
	MaxDepth    int     // nesting levels below the top source (default 6)
	MaxEntries  int64   // entries in all nested archives of one top source (default 5,000,000)
	MaxExpanded int64   // bytes all nested archives of one top source may expand to (default 64 GiB)
	MaxRatio    float64 // largest compression ratio of one entry (default 1000)
	MaxEntry    int64   // largest single entry, in bytes (default 16 GiB)
}

// DefaultBudget is the budget used when none is given.
var DefaultBudget = Budget{MaxDepth: 6, MaxEntries: 5_000_000, MaxExpanded: 64 << 30, MaxRatio: 1000, MaxEntry: 16 << 30}

// ErrBudget is wrapped by errors that refuse an archive or entry because it
// would exceed the budget.
var ErrBudget = errors.New("exceeds the expansion budget")

// ErrUnsupported is wrapped by errors for sources whose format Vigil does
// not read.
var ErrUnsupported = errors.New("unsupported evidence format")

// Open opens the source at path: a directory, an archive or a disk image,
// detected by content (not by name).
func Open(path string) (Source, error) {
	fi, err := statNoFollow(path)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	if fi.IsDir() {
		return OpenDir(path)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("evidence %s: %v is neither a directory nor a regular file: %w", path, fi.Mode().Type(), ErrUnsupported)
	}
	return openFile(path)
}

// Container reports whether a file whose first bytes are head is a
// container that the intake should open as a nested source, and its kind.
// head should hold the first HeadSize bytes (or the whole file, when
// shorter): an ext superblock and a GPT header lie past the first 512.
// name is not used: recognition is by content.
func Container(name string, head []byte) (kind string, ok bool) {
	return containerKind(name, head)
}

// OpenNested opens a container found inside evidence. r holds the whole
// container (size bytes); depth is its nesting level (1 for an archive
// found in a top-level source). b is shared by every nested source of one
// top-level source and is charged as entries are read.
func OpenNested(r io.ReaderAt, size int64, kind string, depth int, b *Tracker) (Source, error) {
	if depth > b.budget.MaxDepth {
		return nil, fmt.Errorf("%s nested %d levels deep: %w (max depth %d)", kind, depth, ErrBudget, b.budget.MaxDepth)
	}
	return openNested(r, size, kind, depth, b)
}
