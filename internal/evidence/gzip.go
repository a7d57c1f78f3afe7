package evidence

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/klauspost/compress/gzip"
)

// openGzip decompresses a gzip stream into an unlinked scratch file (gzip
// has no random access, and the intake reads members in name order, not
// stream order), within the budget, then opens what it holds: a tar
// archive ("tar.gz"), or else a single file ("gzip") named after the name
// stored in the gzip header.
func openGzip(r io.ReaderAt, size int64, t *Tracker) (src Source, err error) {
	defer recoverAs(&err, "gzip")
	zr, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	defer zr.Close()
	name, mtime := zr.Name, zr.ModTime
	b := t.Budget()
	limit := b.MaxExpanded
	if b.MaxEntry < limit {
		limit = b.MaxEntry
	}
	limit = min(limit, max(int64(b.MaxRatio*float64(size)), 1<<20))
	if !t.top {
		// A nested stream's scratch copy counts against what nested
		// containers may expand to (its members are charged again when
		// read: the budget errs on the side of refusing).
		limit = min(limit, t.remaining())
	}
	scratch, err := scratchFile()
	if err != nil {
		return nil, err
	}
	n, err := io.Copy(scratch, io.LimitReader(zr, limit+1))
	if err != nil {
		scratch.Close()
		return nil, fmt.Errorf("gzip: after %d bytes: %w", n, err)
	}
	if n > limit {
		scratch.Close()
		return nil, fmt.Errorf("gzip: %d compressed bytes expand past %d: %w", size, limit, ErrBudget)
	}
	if !t.top {
		if err := t.chargeBytes("gzip stream", n, size); err != nil {
			scratch.Close()
			return nil, err
		}
	}
	head := make([]byte, 512)
	h, _ := scratch.ReadAt(head, 0)
	if isTar(head[:h]) {
		src, err := openTar(scratch, n, "tar.gz", t)
		if err != nil {
			scratch.Close()
			return nil, err
		}
		src.(*treeFS).closer = scratch.Close
		return src, nil
	}
	tf := newTreeFS("gzip", t)
	tf.closer = scratch.Close
	if name == "" {
		name = "data"
	}
	if t != nil {
		if err := t.countEntry(name); err != nil {
			scratch.Close()
			return nil, err
		}
	}
	node := &node{mode: 0o444, size: n, packed: size, mtime: mtime.UTC()}
	tf.add(name, node)
	node.open = func() (fs.File, error) {
		return newEntryFile(nodeInfo{node}, node.size, nil, scratch, nil), nil
	}
	tf.finish()
	return tf, nil
}

// scratchFile creates a temporary file that is already unlinked: it
// disappears when closed, or when the process dies.
func scratchFile() (*os.File, error) {
	f, err := os.CreateTemp("", "vigil-evidence-*")
	if err != nil {
		return nil, fmt.Errorf("scratch file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("scratch file: %w", err)
	}
	return f, nil
}

// newGzipHeadReader reads what a truncated head holds of a gzip stream.
func newGzipHeadReader(head []byte) (io.Reader, error) {
	return gzip.NewReader(bytes.NewReader(head))
}
