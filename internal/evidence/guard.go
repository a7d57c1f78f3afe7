package evidence

import (
	"fmt"
	"io"
)

// Third-party readers of hostile formats may panic on input their authors
// did not foresee. Every call into one goes through recoverAs or a
// guardReader, which turn a panic into an error naming the format.

// recoverAs, deferred, turns a panic into *err.
func recoverAs(err *error, format string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s reader failed on malformed input (%v): %w", format, p, errCorrupt)
	}
}

var errCorrupt = fmt.Errorf("corrupt or crafted evidence")

// guardReader recovers panics inside Read.
type guardReader struct {
	r      io.Reader
	format string
}

func (g guardReader) Read(p []byte) (n int, err error) {
	defer recoverAs(&err, g.format)
	return g.r.Read(p)
}

// guardReaderAt recovers panics inside ReadAt.
type guardReaderAt struct {
	r      io.ReaderAt
	format string
}

func (g guardReaderAt) ReadAt(p []byte, off int64) (n int, err error) {
	defer recoverAs(&err, g.format)
	return g.r.ReadAt(p, off)
}
