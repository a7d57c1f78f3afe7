package evidence

import (
	"fmt"
	"io"
)

// openFile opens a file source: an archive or a disk image.
func openFile(path string) (Source, error) {
	return nil, fmt.Errorf("evidence %s: archives and disk images: %w (not implemented yet)", path, ErrUnsupported)
}

func containerKind(name string, head []byte) (string, bool) { return "", false }

func openNested(r io.ReaderAt, size int64, kind string, depth int, b *Tracker) (Source, error) {
	return nil, fmt.Errorf("nested %s: %w", kind, ErrUnsupported)
}
