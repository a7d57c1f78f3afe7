package synth

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/disk"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/partition/mbr"
)

// Containers for synthetic evidence: raw disk images (an MBR and one FAT32
// partition, written with go-diskfs, so nothing needs installing), zip
// and tar.gz archives. All are deterministic: the same entries give the
// same bytes.

// Entry is one file to put in a container.
type Entry struct {
	Path    string // slash-separated, relative
	Data    []byte
	MTime   time.Time
	Deleted bool // disk images only: written, then deleted (its clusters keep the bytes)
}

const mib = 1 << 20

// WriteFAT32Image writes a raw disk image at path: an MBR partition table
// with one FAT32 partition (type 0x0c) starting at 1 MiB, labelled label,
// holding the entries, its directories dated created. Entries marked Deleted are written and then
// removed, as a user deleting files would leave them: the directory entry
// marked free, the clusters untouched until reused.
func WriteFAT32Image(file, label string, created time.Time, entries []Entry) (err error) {
	var total int64
	for _, e := range entries {
		total += int64(len(e.Data)) + 4096
	}
	// FAT32 needs 65,525 clusters: 33 MiB at go-diskfs's 512-byte
	// clusters for volumes under 260 MiB.
	size := max(40*mib, (total*5/4+8*mib+mib-1)/mib*mib)
	os.Remove(file)
	d, err := diskfs.Create(file, size, diskfs.SectorSizeDefault)
	if err != nil {
		return fmt.Errorf("disk image %s: %w", file, err)
	}
	closed := false
	defer func() {
		if closed {
			return
		}
		if cerr := d.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("disk image %s: %w", file, cerr)
		}
	}()
	const start = 2048
	table := &mbr.Table{LogicalSectorSize: 512, PhysicalSectorSize: 512, Partitions: []*mbr.Partition{
		{Index: 1, Bootable: false, Type: mbr.Fat32LBA, Start: start, Size: uint32(size/512 - start)},
	}}
	if err := d.Partition(table); err != nil {
		return fmt.Errorf("disk image %s: partition table: %w", file, err)
	}
	fs, err := d.CreateFilesystem(disk.FilesystemSpec{Partition: 1, FSType: filesystem.TypeFat32, VolumeLabel: label, Reproducible: true})
	if err != nil {
		return fmt.Errorf("disk image %s: FAT32: %w", file, err)
	}
	dirs := map[string]bool{}
	sorted := append([]Entry(nil), entries...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	for _, e := range sorted {
		p := "/" + strings.TrimPrefix(e.Path, "/")
		if dir := path.Dir(p); dir != "/" && !dirs[dir] {
			if err := fs.Mkdir(dir); err != nil {
				return fmt.Errorf("disk image %s: mkdir %s: %w", file, dir, err)
			}
			dirs[dir] = true
		}
		f, err := fs.OpenFile(p, os.O_CREATE|os.O_RDWR)
		if err != nil {
			return fmt.Errorf("disk image %s: %s: %w", file, p, err)
		}
		if _, err := f.Write(e.Data); err != nil {
			f.Close()
			return fmt.Errorf("disk image %s: %s: %w", file, p, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("disk image %s: %s: %w", file, p, err)
		}
		if !e.MTime.IsZero() {
			if err := fs.Chtimes(p, e.MTime, e.MTime, e.MTime); err != nil {
				return fmt.Errorf("disk image %s: %s: times: %w", file, p, err)
			}
		}
	}
	deleted := map[string]bool{}
	for _, e := range sorted {
		if e.Deleted {
			deleted[strings.ToLower(strings.TrimPrefix(e.Path, "/"))] = true
		}
	}
	// Two things go-diskfs does not do as wanted, done on the image: its
	// Remove drops the entry from its directory and keeps the clusters
	// allocated, which is not what deleting does, so deleted entries are
	// marked free (0xE5) and their chains freed, as an operating system
	// does; and directories get the current time, so they are given the
	// volume's time (the same entries, the same image).
	closed = true
	if err := d.Close(); err != nil {
		return fmt.Errorf("disk image %s: %w", file, err)
	}
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := fixFAT32(f, start*512, deleted, created); err != nil {
		return fmt.Errorf("disk image %s: %w", file, err)
	}
	return f.Close()
}

// fat32Vol is enough of a FAT32 volume to delete a file in place.
type fat32Vol struct {
	f                  *os.File
	bps, clusterBytes  int64
	fatStart, fatBytes int64
	fats               int64
	dataStart          int64
	root               uint32
}

func (v *fat32Vol) next(c uint32) (uint32, error) {
	var b [4]byte
	if _, err := v.f.ReadAt(b[:], v.fatStart+int64(c)*4); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]) & 0x0fffffff, nil
}

func (v *fat32Vol) setNext(c, val uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], val)
	for k := int64(0); k < v.fats; k++ {
		if _, err := v.f.WriteAt(b[:], v.fatStart+k*v.fatBytes+int64(c)*4); err != nil {
			return err
		}
	}
	return nil
}

func (v *fat32Vol) chain(first uint32) ([]uint32, error) {
	var out []uint32
	for c := first; c >= 2 && c < 0x0ffffff8; {
		out = append(out, c)
		if len(out) > 1<<22 {
			return nil, errors.New("cluster chain loops")
		}
		n, err := v.next(c)
		if err != nil {
			return nil, err
		}
		c = n
	}
	return out, nil
}

// fixFAT32 walks the FAT32 volume at offset off of f: it deletes the
// files named in deleted (lower-case paths from the root) and sets the
// times of directory entries that are directories, "." or "..", or the
// volume label, to t.
func fixFAT32(f *os.File, off int64, deleted map[string]bool, t time.Time) error {
	boot := make([]byte, 512)
	if _, err := f.ReadAt(boot, off); err != nil {
		return err
	}
	bps := int64(binary.LittleEndian.Uint16(boot[11:]))
	v := &fat32Vol{f: f, bps: bps, clusterBytes: bps * int64(boot[13]), fats: int64(boot[16]),
		fatBytes: int64(binary.LittleEndian.Uint32(boot[36:])) * bps, root: binary.LittleEndian.Uint32(boot[44:])}
	v.fatStart = off + int64(binary.LittleEndian.Uint16(boot[14:]))*bps
	v.dataStart = v.fatStart + v.fats*v.fatBytes
	date, tod := timeToFAT(t)
	var stamp [32]byte
	binary.LittleEndian.PutUint16(stamp[14:], tod)
	binary.LittleEndian.PutUint16(stamp[16:], date)
	binary.LittleEndian.PutUint16(stamp[18:], date)
	binary.LittleEndian.PutUint16(stamp[22:], tod)
	binary.LittleEndian.PutUint16(stamp[24:], date)
	left := len(deleted)
	var walk func(dir uint32, prefix string, depth int) error
	walk = func(dir uint32, prefix string, depth int) error {
		if depth > 32 {
			return errors.New("directories nested too deep")
		}
		clusters, err := v.chain(dir)
		if err != nil {
			return err
		}
		var lfn []uint16
		var lfnAt []int64
		for _, c := range clusters {
			buf := make([]byte, v.clusterBytes)
			base := v.dataStart + int64(c-2)*v.clusterBytes
			if _, err := f.ReadAt(buf, base); err != nil {
				return err
			}
			for k := 0; k+32 <= len(buf); k += 32 {
				e := buf[k : k+32]
				switch {
				case e[0] == 0:
					return nil
				case e[0] == 0xe5:
					lfn, lfnAt = nil, nil
					continue
				case e[11] == 0x0f:
					var part []uint16
					for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
						for j := r[0]; j < r[1]; j += 2 {
							part = append(part, binary.LittleEndian.Uint16(e[j:]))
						}
					}
					lfn = append(part, lfn...)
					lfnAt = append(lfnAt, base+int64(k))
					continue
				}
				long := ""
				for _, u := range lfn {
					if u == 0 || u == 0xffff {
						break
					}
					long += string(rune(u))
				}
				at := lfnAt
				lfn, lfnAt = nil, nil
				name := strings.TrimSpace(string(e[0:8]))
				if ext := strings.TrimSpace(string(e[8:11])); ext != "" {
					name += "." + ext
				}
				if long != "" {
					name = long
				}
				isDir, isLabel := e[11]&0x10 != 0, e[11]&0x08 != 0
				pos := base + int64(k)
				if isDir || isLabel {
					if _, err := f.WriteAt(stamp[14:20], pos+14); err != nil {
						return err
					}
					if _, err := f.WriteAt(stamp[22:26], pos+22); err != nil {
						return err
					}
				}
				first := uint32(binary.LittleEndian.Uint16(e[20:]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:]))
				p := strings.ToLower(prefix + name)
				switch {
				case isLabel || name == "." || name == "..":
				case isDir:
					if err := walk(first, prefix+name+"/", depth+1); err != nil {
						return err
					}
				case deleted[p]:
					// The file: its entries marked free, its clusters freed.
					for _, q := range append(at, pos) {
						if _, err := f.WriteAt([]byte{0xe5}, q); err != nil {
							return err
						}
					}
					chain, err := v.chain(first)
					if err != nil {
						return err
					}
					for _, c := range chain {
						if err := v.setNext(c, 0); err != nil {
							return err
						}
					}
					left--
				}
			}
		}
		return nil
	}
	if err := walk(v.root, "", 0); err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d files to delete not found", left)
	}
	return nil
}

func timeToFAT(t time.Time) (date, tod uint16) {
	return uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day()), uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
}

// ZipBytes returns a zip archive of the entries: JPEG and other
// compressed data stored, the rest deflated.
func ZipBytes(entries []Entry) ([]byte, error) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		method := zip.Deflate
		switch strings.ToLower(path.Ext(e.Path)) {
		case ".jpg", ".jpeg", ".png", ".zip", ".gz", ".mp3", ".opus":
			method = zip.Store
		}
		h := &zip.FileHeader{Name: e.Path, Method: method, Modified: e.MTime.UTC()}
		h.SetMode(0o644)
		f, err := w.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", e.Path, err)
		}
		if _, err := f.Write(e.Data); err != nil {
			return nil, fmt.Errorf("zip %s: %w", e.Path, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// BreakZip damages a zip's central directory and end record, leaving its
// local headers (so it still looks like a zip) but nothing a reader can
// list.
func BreakZip(z []byte) []byte {
	out := append([]byte(nil), z...)
	if first := bytes.Index(out, []byte("PK\x01\x02")); first > 0 {
		for k := first; k < len(out); k++ {
			out[k] ^= 0x5a
		}
	}
	return out
}

// WriteTarGz writes a gzip-compressed tar archive of the entries at file,
// with a directory entry before the files of each directory.
func WriteTarGz(file string, entries []Entry) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	err = writeTarGz(f, entries)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(file)
		return fmt.Errorf("tar.gz %s: %w", file, err)
	}
	return nil
}

func writeTarGz(w io.Writer, entries []Entry) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	sorted := append([]Entry(nil), entries...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	dirs := map[string]bool{}
	var mkdirs func(dir string, t time.Time) error
	mkdirs = func(dir string, t time.Time) error {
		if dir == "." || dir == "/" || dirs[dir] {
			return nil
		}
		if err := mkdirs(path.Dir(dir), t); err != nil {
			return err
		}
		dirs[dir] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: t.UTC(), Format: tar.FormatPAX})
	}
	for _, e := range sorted {
		if err := mkdirs(path.Dir(e.Path), e.MTime); err != nil {
			return err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: e.Path, Mode: 0o644, Size: int64(len(e.Data)), ModTime: e.MTime.UTC(), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}
