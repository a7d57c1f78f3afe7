package evidence

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// openTar indexes a tar archive (ustar, GNU, PAX) in one pass: for each
// member it remembers where the member's headers and data start, so that
// any member can later be read at random, without scanning the archive
// again. Members are never read while indexing: the tar reader skips data
// by seeking.
//
// A sparse member cannot be read in place; it is read by a fresh tar
// reader started at its first header, bounded by its declared size.
func openTar(r io.ReaderAt, size int64, kind string, t *Tracker) (src Source, err error) {
	defer recoverAs(&err, "tar")
	tf := newTreeFS(kind, t)
	pos := &posReader{r: r, size: size}
	tr := tar.NewReader(pos)
	links := map[string]*node{} // stored name → regular file, for hard links
	entries := 0
	for {
		// The first block the tar reader reads in Next is the member's first
		// header (after it has skipped, by seeking, the previous member's
		// data and padding).
		pos.markHeader()
		hdr, err := tr.Next()
		hdrStart := pos.header
		if err == io.EOF {
			break
		}
		if err != nil {
			if entries == 0 {
				return nil, fmt.Errorf("tar: %w", err)
			}
			tf.damaged = fmt.Errorf("tar damaged after %d entries, at byte %d: %w", entries, hdrStart, err)
			break
		}
		entries++
		dataStart := pos.off
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if t != nil {
			if err := t.countEntry(hdr.Name); err != nil {
				tf.damaged = err
				break
			}
		}
		n := tarNode(hdr)
		tf.add(hdr.Name, n)
		sparse := isSparse(hdr)
		switch {
		case hdr.Typeflag == tar.TypeLink:
			if target, ok := links[hdr.Linkname]; ok && target.open != nil {
				n.mode, n.size, n.open, n.openErr = target.mode, target.size, target.open, target.openErr
			} else {
				n.mode = fs.ModeIrregular
				n.openErr = fmt.Errorf("hard link to %q, which is not an earlier regular file of the archive", hdr.Linkname)
			}
		case !n.mode.IsRegular():
		case hdr.Size < 0:
			n.openErr = fmt.Errorf("declared size %d", hdr.Size)
		case sparse:
			n.open = tarSparseOpener(r, size, hdrStart, n)
		case dataStart+hdr.Size > size:
			n.openErr = fmt.Errorf("declares %d bytes but the archive ends %d bytes after its start: %w", hdr.Size, size-dataStart, io.ErrUnexpectedEOF)
		default:
			n.open = func() (fs.File, error) {
				return newEntryFile(nodeInfo{n}, n.size, nil, io.NewSectionReader(r, dataStart, n.size), nil), nil
			}
		}
		if n.mode.IsRegular() {
			links[hdr.Name] = n
		}
	}
	tf.finish()
	return tf, nil
}

func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func tarNode(h *tar.Header) *node {
	fi := h.FileInfo()
	n := &node{mode: fi.Mode(), size: h.Size, mtime: h.ModTime.UTC()}
	n.meta.ATime = h.AccessTime.UTC()
	n.meta.CTime = h.ChangeTime.UTC()
	switch h.Typeflag {
	case tar.TypeSymlink:
		n.meta.LinkTarget = h.Linkname
		n.size = 0
	case tar.TypeLink:
		n.meta.LinkTarget = h.Linkname
	case tar.TypeDir:
		n.size = 0
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		n.mode = fi.Mode().Perm()
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		n.size = 0
	default:
		// Unknown type flags: POSIX says to read them as regular files.
		if h.Typeflag >= '0' && h.Typeflag <= '9' || h.Typeflag >= 'A' && h.Typeflag <= 'Z' {
			n.mode = fi.Mode().Perm()
		}
	}
	return n
}

// tarSparseOpener reads a sparse member with a tar reader started at the
// member's first header.
func tarSparseOpener(r io.ReaderAt, size, hdrStart int64, n *node) func() (fs.File, error) {
	return func() (fs.File, error) {
		tr := tar.NewReader(io.NewSectionReader(r, hdrStart, size-hdrStart))
		for {
			h, err := tr.Next()
			if err != nil {
				return nil, fmt.Errorf("sparse member: %w", err)
			}
			if h.Typeflag != tar.TypeXGlobalHeader {
				break
			}
		}
		return newEntryFile(nodeInfo{n}, n.size, guardReader{tr, "tar"}, nil, nil), nil
	}
}

// posReader reads an io.ReaderAt sequentially and seeks, remembering where
// it is: the tar reader skips member data by seeking, so indexing reads
// only headers.
type posReader struct {
	r      io.ReaderAt
	size   int64
	off    int64
	mark   bool
	header int64 // where the first block read after markHeader began
	buf    []byte
	bufOff int64 // archive offset of buf[0]
}

const posReaderBuf = 64 << 10

func (p *posReader) markHeader() { p.mark, p.header = true, p.off }

func (p *posReader) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	if rem := p.size - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	if p.mark && len(b) >= 512 {
		p.mark, p.header = false, p.off
	}
	// Headers are small and close together: read ahead, so that indexing
	// costs one read per 64 KiB of archive rather than one per block.
	if p.off < p.bufOff || p.off >= p.bufOff+int64(len(p.buf)) {
		if len(b) >= posReaderBuf {
			n, err := p.r.ReadAt(b, p.off)
			p.off += int64(n)
			if err == io.EOF && n > 0 {
				err = nil
			}
			return n, err
		}
		if p.buf == nil {
			p.buf = make([]byte, posReaderBuf)
		}
		want := min(int64(posReaderBuf), p.size-p.off)
		n, err := p.r.ReadAt(p.buf[:want], p.off)
		p.buf, p.bufOff = p.buf[:n], p.off
		if n == 0 {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	n := copy(b, p.buf[p.off-p.bufOff:])
	p.off += int64(n)
	return n, nil
}

func (p *posReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += p.off
	case io.SeekEnd:
		offset += p.size
	default:
		return 0, errors.New("bad whence")
	}
	if offset < 0 {
		return 0, errors.New("negative position")
	}
	p.off = offset
	return offset, nil
}
