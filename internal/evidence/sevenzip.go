package evidence

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/bodgit/sevenzip"
)

// open7z indexes a 7-Zip archive with github.com/bodgit/sevenzip. 7z
// compresses files together in solid blocks, so the size a single member
// was packed to is unknown: members are charged by their size only (no
// ratio check), within the entry and expansion limits. Reading members out
// of their order in a solid block makes the library decompress the block
// again up to each one.
func open7z(r io.ReaderAt, size int64, t *Tracker) (src Source, err error) {
	defer recoverAs(&err, "7z")
	if err := check7z(r, size); err != nil {
		return nil, err
	}
	zr, err := sevenzip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("7z: %w", err)
	}
	tf := newTreeFS(kind7z, t)
	for _, f := range zr.File {
		if t != nil {
			if err := t.countEntry(f.Name); err != nil {
				tf.damaged = err
				break
			}
		}
		fi := f.FileInfo()
		n := &node{mode: fi.Mode(), size: int64(f.UncompressedSize), mtime: f.Modified.UTC()}
		n.meta.ATime = f.Accessed.UTC()
		n.meta.BTime = f.Created.UTC()
		switch {
		case n.mode.IsDir():
			n.size = 0
		case n.mode&fs.ModeSymlink != 0:
			n.meta.LinkTarget = read7zLink(f)
		default:
			n.mode = n.mode.Perm() | 0o444
		}
		if n.size < 0 {
			n.openErr = fmt.Errorf("declared size %d does not fit", f.UncompressedSize)
		}
		tf.add(f.Name, n)
		if !n.mode.IsRegular() || n.openErr != nil {
			continue
		}
		n.open = func() (fs.File, error) {
			rc, err := open7zMember(f)
			if err != nil {
				return nil, err
			}
			return newEntryFile(nodeInfo{n}, n.size, guardReader{rc, "7z"}, nil, rc), nil
		}
	}
	tf.finish()
	return tf, nil
}

func open7zMember(f *sevenzip.File) (rc io.ReadCloser, err error) {
	defer recoverAs(&err, "7z")
	rc, err = f.Open()
	var re *sevenzip.ReadError
	if errors.As(err, &re) && re.Encrypted {
		return nil, errors.New("encrypted entry: cannot be read without the password")
	}
	return rc, err
}

func read7zLink(f *sevenzip.File) string {
	if f.UncompressedSize > 4096 {
		return ""
	}
	rc, err := open7zMember(f)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(guardReader{rc, "7z"}, 4096))
	return string(b)
}
