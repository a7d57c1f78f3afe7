package evidence

import (
	"archive/zip"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Compression methods beyond store and deflate that zip files in the wild
// use and that we can read with what the module already has.
const (
	zipBzip2 = 12
	zipZstd  = 93
)

// openZip indexes a zip archive from its central directory. Entries whose
// compressed data overlap another entry's (the overlapping-entries bomb)
// are refused, as are entries that run past the end of the archive;
// reading is bounded by each entry's declared size and checked against
// its CRC-32 by archive/zip.
func openZip(r io.ReaderAt, size int64, t *Tracker) (src Source, err error) {
	defer recoverAs(&err, "zip")
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("reading the central directory: %w", err)
	}
	zr.RegisterDecompressor(zipBzip2, func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) })
	zr.RegisterDecompressor(zipZstd, func(r io.Reader) io.ReadCloser {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20))
		if err != nil {
			return io.NopCloser(errReader{err})
		}
		return d.IOReadCloser()
	})
	tf := newTreeFS("zip", t)

	// Where each entry's data lies, to find overlaps.
	type span struct {
		start, end int64
		n          *node
	}
	spans := make([]span, 0, len(zr.File))
	for _, f := range zr.File {
		if t != nil {
			if err := t.countEntry(f.Name); err != nil {
				tf.damaged = err
				break
			}
		}
		n := zipNode(f)
		tf.add(f.Name, n)
		if !n.mode.IsRegular() && n.mode&fs.ModeSymlink == 0 {
			continue
		}
		off, err := f.DataOffset()
		switch {
		case err != nil:
			n.openErr = fmt.Errorf("local header: %w", err)
			continue
		case off < 0 || int64(f.CompressedSize64) < 0 || off+int64(f.CompressedSize64) > size || off+int64(f.CompressedSize64) < off:
			n.openErr = fmt.Errorf("data (%d bytes at %d) runs past the end of the archive (%d bytes): %w", f.CompressedSize64, off, size, io.ErrUnexpectedEOF)
			continue
		case f.Flags&0x1 != 0:
			n.openErr = errors.New("encrypted entry: cannot be read without the password")
			continue
		}
		spans = append(spans, span{off, off + int64(f.CompressedSize64), n})
		if n.mode&fs.ModeSymlink != 0 {
			n.meta.LinkTarget = zipLinkTarget(f)
			continue
		}
		n.open = zipOpener(f, n, r, off)
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return cmpInt64(a.start, b.start)
		}
		return cmpInt64(a.end, b.end)
	})
	var end int64
	var endName string
	for i, s := range spans {
		if i > 0 && s.start < end && s.end > s.start {
			s.n.openErr = fmt.Errorf("data overlaps that of %s (overlapping-entries zip bomb): %w", endName, ErrBudget)
			s.n.open = nil
			continue
		}
		if s.end > end {
			end, endName = s.end, s.n.path
		}
	}
	tf.finish()
	return tf, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func zipNode(f *zip.File) *node {
	mode := f.Mode()
	n := &node{mode: mode, size: int64(f.UncompressedSize64), packed: int64(f.CompressedSize64), mtime: f.Modified.UTC()}
	switch {
	case mode.IsDir():
		n.size, n.packed = 0, 0
	case mode&fs.ModeSymlink != 0:
	default:
		// Devices, pipes and sockets have no place in a zip; read them as
		// the regular files they are stored as.
		n.mode = mode.Perm()
	}
	if n.size < 0 {
		n.openErr = fmt.Errorf("declared size %d does not fit", f.UncompressedSize64)
	}
	if f.Method == zip.Store {
		n.packed = 0
	}
	zipExtraTimes(f.Extra, &n.meta)
	return n
}

// zipExtraTimes reads access and creation times from the NTFS (0x000a)
// and extended-timestamp (0x5455) extra fields.
func zipExtraTimes(extra []byte, m *Meta) {
	for len(extra) >= 4 {
		tag := binary.LittleEndian.Uint16(extra)
		size := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if size > len(extra) {
			return
		}
		b := extra[:size]
		extra = extra[size:]
		switch tag {
		case 0x000a: // NTFS: reserved(4) then attributes tag(2) size(2) mtime atime ctime
			if len(b) >= 32 && binary.LittleEndian.Uint16(b[4:]) == 1 && binary.LittleEndian.Uint16(b[6:]) >= 24 {
				m.ATime = fileTime(binary.LittleEndian.Uint64(b[16:]))
				m.BTime = fileTime(binary.LittleEndian.Uint64(b[24:]))
			}
		case 0x5455: // flags, then mtime, atime, ctime (Unix seconds) as flagged
			if len(b) < 1 {
				continue
			}
			flags, rest := b[0], b[1:]
			if flags&1 != 0 && len(rest) >= 4 {
				rest = rest[4:]
			}
			if flags&2 != 0 && len(rest) >= 4 && m.ATime.IsZero() {
				m.ATime = time.Unix(int64(int32(binary.LittleEndian.Uint32(rest))), 0).UTC()
				rest = rest[4:]
			}
			if flags&4 != 0 && len(rest) >= 4 && m.CTime.IsZero() {
				m.CTime = time.Unix(int64(int32(binary.LittleEndian.Uint32(rest))), 0).UTC()
			}
		}
	}
}

// fileTime converts a Windows FILETIME (100 ns since 1601) to UTC.
func fileTime(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	const epochDiff = 116444736000000000 // 1601 → 1970 in 100 ns
	if ft < epochDiff {
		return time.Unix(0, 0).UTC().Add(-time.Duration(epochDiff-ft) * 100)
	}
	d := ft - epochDiff
	return time.Unix(int64(d/1e7), int64(d%1e7)*100).UTC()
}

// zipLinkTarget reads a symbolic link's target: the entry's content, at
// most 4096 bytes.
func zipLinkTarget(f *zip.File) string {
	if f.UncompressedSize64 > 4096 {
		return ""
	}
	rc, err := f.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 4096))
	return string(b)
}

func zipOpener(f *zip.File, n *node, r io.ReaderAt, off int64) func() (fs.File, error) {
	return func() (fs.File, error) {
		if f.Method == zip.Store && f.CompressedSize64 == f.UncompressedSize64 {
			return newEntryFile(nodeInfo{n}, n.size, nil, io.NewSectionReader(r, off, n.size), nil), nil
		}
		rc, err := f.Open()
		if err != nil {
			if errors.Is(err, zip.ErrAlgorithm) {
				return nil, fmt.Errorf("compression method %d: %w", f.Method, ErrUnsupported)
			}
			return nil, err
		}
		return newEntryFile(nodeInfo{n}, n.size, guardReader{rc, "zip"}, nil, rc), nil
	}
}
