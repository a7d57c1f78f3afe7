package evidence

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// HeadSize is how many leading bytes of a file Container needs to
// recognise every kind it knows (a file system's superblock may lie past
// the first kilobyte).
const HeadSize = 4096

// Kinds of file sources, as Kind() and Container report them.
const (
	kindZip       = "zip"
	kindTar       = "tar"
	kindTarGz     = "tar.gz"
	kindGzip      = "gzip"
	kind7z        = "7z"
	kindDiskImage = "disk-image" // MBR or GPT partitioned
	kindFAT       = "fat"
	kindExt       = "ext"
	kindNTFS      = "ntfs"
)

// openFile opens a file source: an archive or a disk image, recognised by
// its content.
func openFile(path string) (Source, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	f, err := openReadOnly(real)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	head := make([]byte, HeadSize)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	kind, ok := containerKind(path, head[:n])
	if !ok {
		f.Close()
		return nil, fmt.Errorf("evidence %s: %s: %w", path, describeUnknown(head[:n]), ErrUnsupported)
	}
	t := NewTracker(DefaultBudget)
	t.top = true
	src, err := openKind(f, fi.Size(), kind, t)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("evidence %s: %w", path, err)
	}
	return &fileSource{Source: src, f: f}, nil
}

// fileSource closes the evidence file with the source.
type fileSource struct {
	Source
	f *os.File
}

func (s *fileSource) Close() error {
	err := s.Source.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func openNested(r io.ReaderAt, size int64, kind string, depth int, b *Tracker) (Source, error) {
	// The caller names the container and its kind; the cause says the rest.
	return openKind(r, size, kind, b)
}

func openKind(r io.ReaderAt, size int64, kind string, t *Tracker) (Source, error) {
	switch kind {
	case kindZip:
		return openZip(r, size, t)
	case kindTar:
		return openTar(r, size, kindTar, t)
	case kindTarGz, kindGzip:
		return openGzip(r, size, t)
	case kind7z:
		return open7z(r, size, t)
	case kindDiskImage, kindFAT, kindExt, kindNTFS:
		return openImage(r, size, kind, t)
	}
	return nil, fmt.Errorf("container kind %q: %w", kind, ErrUnsupported)
}

func containerKind(name string, head []byte) (string, bool) {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip, true
	case len(head) >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8:
		if gzipHoldsTar(head) {
			return kindTarGz, true
		}
		return kindGzip, true
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return kind7z, true
	case isTar(head):
		return kindTar, true
	}
	if fsKind, _ := fileSystemKind(head); fsKind != "" {
		return fsKind, true
	}
	if isGPT(head) || isMBR(head) {
		return kindDiskImage, true
	}
	return "", false
}

// isTar recognises a tar header block: the ustar magic (POSIX and GNU),
// or an old V7 header whose checksum is right.
func isTar(h []byte) bool {
	if len(h) < 512 {
		return false
	}
	if bytes.Equal(h[257:263], []byte("ustar\x00")) || bytes.Equal(h[257:265], []byte("ustar  \x00")) {
		return true
	}
	if h[0] == 0 {
		return false
	}
	want, ok := parseOctal(h[148:156])
	if !ok {
		return false
	}
	var sum int64
	for i, c := range h[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum == want
}

func parseOctal(b []byte) (int64, bool) {
	b = bytes.Trim(b, " \x00")
	if len(b) == 0 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int64(c-'0')
	}
	return v, true
}

// gzipHoldsTar decompresses what the head holds of a gzip stream and looks
// for a tar header.
func gzipHoldsTar(head []byte) bool {
	var out [512]byte
	zr, err := newGzipHeadReader(head)
	if err != nil {
		return false
	}
	n, _ := io.ReadFull(zr, out[:])
	return isTar(out[:n])
}

// isMBR recognises a DOS partition table: the boot signature and four
// entries that make sense (boot flag 0 or 0x80, at least one partition).
// A FAT or NTFS boot sector has the same signature; fileSystemKind is
// asked first.
func isMBR(h []byte) bool {
	if len(h) < 512 || h[510] != 0x55 || h[511] != 0xaa {
		return false
	}
	used := 0
	for i := range 4 {
		e := h[446+16*i : 446+16*i+16]
		if e[0] != 0 && e[0] != 0x80 {
			return false
		}
		if e[4] != 0 {
			if binary.LittleEndian.Uint32(e[12:]) == 0 {
				return false
			}
			used++
		}
	}
	return used > 0
}

func isGPT(h []byte) bool {
	return len(h) >= 520 && bytes.Equal(h[512:520], []byte("EFI PART"))
}

func describeUnknown(head []byte) string {
	if len(head) == 0 {
		return "empty file, not a directory, archive or disk image"
	}
	if name := unsupportedFileSystem(head); name != "" {
		return name + " file system not supported"
	}
	n := min(len(head), 8)
	return fmt.Sprintf("not a directory, zip, 7z, tar, tar.gz or disk image (starts % x)", head[:n])
}
