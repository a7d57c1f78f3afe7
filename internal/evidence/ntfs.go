package evidence

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"

	ntfs "www.velocidex.com/golang/go-ntfs/parser"
)

// NTFS is read with www.velocidex.com/golang/go-ntfs (the parser behind
// Velociraptor). Every call into it holds one lock (its caches are not
// documented as safe for concurrent use) and recovers panics. Alternate
// data streams are listed as "name:stream", as Windows names them. The
// NTFS metadata files ($MFT, $LogFile, $Bitmap, … records 0 to 15) are
// not listed: they hold no user content.

type ntfsVolume struct {
	mu   sync.Mutex
	ctx  *ntfs.NTFSContext
	size int64 // of the volume
}

// maxNTFSIndex bounds a directory's index allocation: go-ntfs visits it
// 4 KiB at a time up to its declared size, so a crafted size of
// terabytes kept a listing busy for hours (found by FuzzNTFS). No real
// directory index comes near a gigabyte, nor past the volume.
const maxNTFSIndex = 1 << 30

func openNTFS(r io.ReaderAt, size int64, t *Tracker) (Source, error) {
	ctx, err := ntfs.GetNTFSContext(guardReaderAt{r, "NTFS"}, 0)
	if err != nil {
		return nil, fmt.Errorf("NTFS: %w", err)
	}
	return newImageFS(kindNTFS, "NTFS", &ntfsVolume{ctx: ctx, size: size}, size, nilIfTop(t)), nil
}

type ntfsRef struct {
	mft      int64
	attrType int64
	attrID   int64
	stream   string
}

func (v *ntfsVolume) root() (ventry, error) {
	return ventry{name: ".", mode: fs.ModeDir | 0o555, id: 5, ref: ntfsRef{mft: 5}}, nil
}

func (v *ntfsVolume) list(d *ventry) ([]ventry, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ref := d.ref.(ntfsRef)
	dir, err := v.ctx.GetMFT(ref.mft)
	if err != nil {
		return nil, fmt.Errorf("MFT record %d: %w", ref.mft, err)
	}
	for _, attr := range dir.EnumerateAttributes(v.ctx) {
		if attr.Type().Value == ntfs.ATTR_TYPE_INDEX_ALLOCATION {
			if n := int64(attr.DataSize()); n < 0 || n > min(v.size, maxNTFSIndex) {
				return nil, fmt.Errorf("MFT record %d: a directory index of %d bytes on a volume of %d: %w", ref.mft, attr.DataSize(), v.size, errCorrupt)
			}
		}
	}
	var out []ventry
	for _, fi := range ntfs.ListDir(v.ctx, dir) {
		mft, typ, id, stream, err := ntfs.ParseMFTId(fi.MFTId)
		if err != nil {
			continue
		}
		if mft == ref.mft || fi.Name == "." || mft < 16 && strings.HasPrefix(fi.Name, "$") {
			continue
		}
		e := ventry{name: fi.Name, size: fi.Size, mtime: fi.Mtime.UTC(), id: uint64(mft),
			ref: ntfsRef{mft: mft, attrType: typ, attrID: id, stream: stream}}
		e.meta.ATime = fi.Atime.UTC()
		e.meta.CTime = fi.Ctime.UTC()
		e.meta.BTime = fi.Btime.UTC()
		e.meta.Inode = uint64(mft)
		if fi.IsDir {
			e.mode = fs.ModeDir | 0o555
			e.size = 0
		} else {
			e.mode = 0o444
		}
		out = append(out, e)
	}
	return out, nil
}

func (v *ntfsVolume) open(f *ventry) (io.ReaderAt, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ref := f.ref.(ntfsRef)
	entry, err := v.ctx.GetMFT(ref.mft)
	if err != nil {
		return nil, fmt.Errorf("MFT record %d: %w", ref.mft, err)
	}
	rd, err := ntfs.OpenStream(v.ctx, entry, uint64(ref.attrType), uint16(ref.attrID), ref.stream)
	if err != nil {
		return nil, err
	}
	return &lockedReaderAt{mu: &v.mu, r: rd}, nil
}

type lockedReaderAt struct {
	mu *sync.Mutex
	r  io.ReaderAt
}

func (l *lockedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.ReadAt(p, off)
}
