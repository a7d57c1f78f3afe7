package evidence

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/diskfs/go-diskfs/backend"
)

// errReadOnly is returned to a file-system library that asks to write.
var errReadOnly = errors.New("evidence is read-only")

// roStorage presents an io.ReaderAt to go-diskfs as a backend.Storage that
// can never be written: Writable and Sys fail, so the library has no way to
// reach the evidence file for writing.
type roStorage struct {
	r    io.ReaderAt
	size int64
	mu   sync.Mutex
	pos  int64
}

var _ backend.Storage = (*roStorage)(nil)

func newROStorage(r io.ReaderAt, size int64) *roStorage { return &roStorage{r: r, size: size} }

func (s *roStorage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	if rem := s.size - off; int64(len(p)) > rem {
		n, err := s.r.ReadAt(p[:rem], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return s.r.ReadAt(p, off)
}

func (s *roStorage) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.ReadAt(p, s.pos)
	s.pos += int64(n)
	return n, err
}

func (s *roStorage) Seek(offset int64, whence int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += s.pos
	case io.SeekEnd:
		offset += s.size
	default:
		return 0, errors.New("bad whence")
	}
	if offset < 0 {
		return 0, errors.New("negative position")
	}
	s.pos = offset
	return offset, nil
}

func (s *roStorage) Stat() (fs.FileInfo, error) { return roStorageInfo{s.size}, nil }
func (s *roStorage) Close() error               { return nil }
func (s *roStorage) Sys() (*os.File, error)     { return nil, errReadOnly }
func (s *roStorage) Path() string               { return "" }
func (s *roStorage) Writable() (backend.WritableFile, error) {
	return nil, errReadOnly
}

type roStorageInfo struct{ size int64 }

func (i roStorageInfo) Name() string       { return "image" }
func (i roStorageInfo) Size() int64        { return i.size }
func (i roStorageInfo) Mode() fs.FileMode  { return 0o444 }
func (i roStorageInfo) ModTime() time.Time { return time.Time{} }
func (i roStorageInfo) IsDir() bool        { return false }
func (i roStorageInfo) Sys() any           { return nil }
