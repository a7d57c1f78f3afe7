package evidence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"

	"github.com/ulikunitz/xz/lzma"
)

// A 7z header is a compact stream of counts and sizes, and
// github.com/bodgit/sevenzip allocates what each count asks for before it
// reads the items and before it checks the header's CRC: a few crafted
// bytes declaring 2^40 files make it allocate terabytes, which ends the
// process (an allocation that fails is not a panic Go can recover). The
// guard below walks the header exactly as the library will, before the
// library does, adding up what it would allocate, and refuses the archive
// when that passes max7zAlloc or when the header's CRC is wrong. Where
// the walk cannot follow (a header the library would refuse anyway), it
// leaves the verdict to the library. Encoded headers (7-Zip compresses
// its headers by default) are unpacked first when stored, LZMA or LZMA2;
// a header packed any other way (encrypted among them) is refused, since
// its counts cannot be checked.

const (
	max7zHeader = 64 << 20 // bytes of a header, packed or unpacked
	max7zAlloc  = 1 << 30  // what the library may allocate for the header's tables
	// Per-file cost in the library: its FileHeader, the *File it makes
	// of it, the name, and the slots of the per-file tables.
	sz7zFile = 512
)

var (
	sevenZipMagic = []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}
	// errWalk ends a walk the guard cannot follow; the library decides.
	errWalk = errors.New("7z header walk stopped")
)

// check7z walks the archive's header; nil means the library may parse it.
func check7z(r io.ReaderAt, size int64) error {
	if err := walk7zHeader(r, size); !errors.Is(err, errWalk) {
		return err
	}
	return nil
}

// walk7zHeader is check7z, telling errWalk apart: the walk stopped
// where the library will refuse the header.
func walk7zHeader(r io.ReaderAt, size int64) error {
	off, start, ok := find7zStart(r, size)
	if !ok {
		return errWalk // no valid start header: the library refuses it cheaply
	}
	nextOff, nextSize, nextCRC := binary.LittleEndian.Uint64(start[0:]), binary.LittleEndian.Uint64(start[8:]), binary.LittleEndian.Uint32(start[16:])
	if nextSize > max7zHeader {
		return fmt.Errorf("7z header of %d bytes: larger than the %d Vigil reads: %w", nextSize, max7zHeader, errCorrupt)
	}
	if nextSize == 0 {
		return errWalk
	}
	at := off + 32 + int64(min(nextOff, math.MaxInt64/2))
	if nextOff > math.MaxInt64/2 || at+int64(nextSize) > size {
		// The library would parse the part that is there before it
		// found the header short.
		return fmt.Errorf("7z header runs past the end of the archive (cut short?): %w", errCorrupt)
	}
	hdr := make([]byte, nextSize)
	if _, err := r.ReadAt(hdr, at); err != nil {
		return fmt.Errorf("7z header: %v: %w", err, errCorrupt)
	}
	if crc32.ChecksumIEEE(hdr) != nextCRC {
		return fmt.Errorf("7z header checksum mismatch (the archive is damaged): %w", errCorrupt)
	}
	w := &walk7z{b: hdr}
	return w.top(r, off, size)
}

// find7zStart finds the start header as the library does: the first
// signature in the first MiB whose start header's CRC is right. It
// returns the signature's offset and the 20 bytes after the CRC.
func find7zStart(r io.ReaderAt, size int64) (int64, []byte, bool) {
	n := min(size, 1<<20+32)
	if n < 32 {
		return 0, nil, false
	}
	buf := make([]byte, n)
	if m, err := r.ReadAt(buf, 0); m < 32 || err != nil && err != io.EOF {
		return 0, nil, false
	} else {
		buf = buf[:m]
	}
	for i := 0; i+32 <= len(buf) && i < 1<<20; {
		j := bytes.Index(buf[i:], sevenZipMagic)
		if j < 0 || i+j+32 > len(buf) {
			break
		}
		s := buf[i+j : i+j+32]
		if crc32.ChecksumIEEE(s[12:32]) == binary.LittleEndian.Uint32(s[8:]) {
			return int64(i + j), s[12:32], true
		}
		i += j + 1
	}
	return 0, nil, false
}

type walk7z struct {
	b     []byte
	i     int
	alloc uint64
}

func (w *walk7z) byte() (byte, error) {
	if w.i >= len(w.b) {
		return 0, errWalk
	}
	w.i++
	return w.b[w.i-1], nil
}

// num reads a 7z variable-length number.
func (w *walk7z) num() (uint64, error) {
	b, err := w.byte()
	if err != nil {
		return 0, err
	}
	l := bits.LeadingZeros8(^b)
	var v uint64
	if l < 7 {
		v = uint64(b&(1<<(8-l)-1)) << (8 * l)
	}
	for k := 0; k < l; k++ {
		c, err := w.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c) << (8 * k)
	}
	return v, nil
}

func (w *walk7z) skip(n uint64) error {
	if n > uint64(len(w.b)-w.i) {
		return errWalk
	}
	w.i += int(n)
	return nil
}

// charge adds count items of size bytes to what the library would
// allocate.
func (w *walk7z) charge(count, size uint64) error {
	hi, lo := bits.Mul64(count, size)
	if hi != 0 || lo > max7zAlloc || w.alloc+lo > max7zAlloc {
		return fmt.Errorf("7z header declares tables of %d items (%d bytes each): more than Vigil allocates for one archive: %w", count, size, errCorrupt)
	}
	w.alloc += lo
	return nil
}

// bools is readBool: count bits.
func (w *walk7z) bools(count uint64) ([]bool, error) {
	if err := w.charge(count, 1); err != nil {
		return nil, err
	}
	if (count+7)/8 > uint64(len(w.b)-w.i) {
		return nil, errWalk
	}
	out := make([]bool, count)
	for k := range out {
		out[k] = w.b[w.i+k/8]&(0x80>>(k%8)) != 0
	}
	w.i += int((count + 7) / 8)
	return out, nil
}

// optBools is readOptionalBool: an "all defined" byte, else the bits.
func (w *walk7z) optBools(count uint64) (defined uint64, err error) {
	all, err := w.byte()
	if err != nil {
		return 0, err
	}
	if all != 0 {
		return count, w.charge(count, 1)
	}
	bs, err := w.bools(count)
	if err != nil {
		return 0, err
	}
	for _, b := range bs {
		if b {
			defined++
		}
	}
	return defined, nil
}

func (w *walk7z) sizes(count uint64) error {
	if err := w.charge(count, 8); err != nil {
		return err
	}
	for k := uint64(0); k < count; k++ {
		if _, err := w.num(); err != nil {
			return err
		}
	}
	return nil
}

func (w *walk7z) crcs(count uint64) error {
	defined, err := w.optBools(count)
	if err != nil {
		return err
	}
	if err := w.charge(count, 4); err != nil {
		return err
	}
	return w.skip(4 * defined)
}

// top walks the header after the start header: a plain header, or an
// encoded one, unpacked and walked in turn.
func (w *walk7z) top(r io.ReaderAt, base, size int64) error {
	id, err := w.byte()
	if err != nil {
		return err
	}
	switch id {
	case 0x01: // Header
		return w.header()
	case 0x17: // EncodedHeader
		si, err := w.streams()
		if err != nil {
			return err
		}
		plain, err := si.unpackHeader(r, base, size)
		if err != nil {
			return err
		}
		inner := &walk7z{b: plain, alloc: w.alloc}
		if b, err := inner.byte(); err != nil || b != 0x01 {
			return errWalk
		}
		return inner.header()
	}
	return errWalk
}

func (w *walk7z) header() error {
	id, err := w.byte()
	if err != nil {
		return err
	}
	if id == 0x02 || id == 0x03 { // archive properties, additional streams: the library refuses them
		return errWalk
	}
	if id == 0x04 { // MainStreamsInfo
		if _, err := w.streams(); err != nil {
			return err
		}
		if id, err = w.byte(); err != nil {
			return err
		}
	}
	if id == 0x05 { // FilesInfo
		if err := w.files(); err != nil {
			return err
		}
		if id, err = w.byte(); err != nil {
			return err
		}
	}
	if id != 0 {
		return errWalk
	}
	return nil
}

// coder7z and folder7z keep what unpacking an encoded header needs.
type coder7z struct {
	id        []byte
	in, out   uint64
	props     []byte
	propsSize uint64
}

type folder7z struct {
	coders []coder7z // the first 16
	outs   uint64    // outputs of all its coders
	sizes  []uint64  // unpack sizes, one per coder output (the first 8)
}

type streams7z struct {
	packPos   uint64
	packSizes []uint64
	folders   []folder7z
}

func (w *walk7z) streams() (*streams7z, error) {
	s := &streams7z{}
	id, err := w.byte()
	if err != nil {
		return nil, err
	}
	if id == 0x06 { // PackInfo
		if s.packPos, err = w.num(); err != nil {
			return nil, err
		}
		n, err := w.num()
		if err != nil {
			return nil, err
		}
		if id, err = w.byte(); err != nil {
			return nil, err
		}
		if id == 0x09 { // Size
			start := w.i
			if err := w.sizes(n); err != nil {
				return nil, err
			}
			sub := &walk7z{b: w.b[start:w.i]}
			for k := uint64(0); k < min(n, 4); k++ {
				v, _ := sub.num()
				s.packSizes = append(s.packSizes, v)
			}
			if id, err = w.byte(); err != nil {
				return nil, err
			}
		}
		if err := w.crcsThenEnd(id, n); err != nil {
			return nil, err
		}
		if id, err = w.byte(); err != nil {
			return nil, err
		}
	}
	if id == 0x07 { // UnpackInfo
		if err := w.unpackInfo(s); err != nil {
			return nil, err
		}
		if id, err = w.byte(); err != nil {
			return nil, err
		}
	}
	if id == 0x08 { // SubStreamsInfo
		if s.folders == nil {
			return nil, errWalk
		}
		if err := w.subStreams(s); err != nil {
			return nil, err
		}
		if id, err = w.byte(); err != nil {
			return nil, err
		}
	}
	if id != 0 {
		return nil, errWalk
	}
	return s, nil
}

func (w *walk7z) unpackInfo(s *streams7z) error {
	if id, err := w.byte(); err != nil || id != 0x0b { // Folder
		return errWalk
	}
	nf, err := w.num()
	if err != nil {
		return err
	}
	if ext, err := w.byte(); err != nil || ext != 0 {
		return errWalk
	}
	if err := w.charge(nf, 8+96); err != nil {
		return err
	}
	s.folders = []folder7z{}
	for k := uint64(0); k < nf; k++ {
		f, err := w.folder()
		if err != nil {
			return err
		}
		if len(s.folders) < 4 {
			s.folders = append(s.folders, f)
		} else {
			s.folders = append(s.folders, folder7z{outs: f.outs})
		}
	}
	if id, err := w.byte(); err != nil || id != 0x0c { // CodersUnpackSize
		return errWalk
	}
	for k := range s.folders {
		total := s.folders[k].outs
		if err := w.charge(total, 8); err != nil {
			return err
		}
		for j := uint64(0); j < total; j++ {
			v, err := w.num()
			if err != nil {
				return err
			}
			if k < 4 && j < 8 {
				s.folders[k].sizes = append(s.folders[k].sizes, v)
			}
		}
	}
	id, err := w.byte()
	if err != nil {
		return err
	}
	return w.crcsThenEnd(id, nf)
}

// crcsThenEnd reads what may end a block: CRCs of count items (when id
// says so), then the end id.
func (w *walk7z) crcsThenEnd(id byte, count uint64) error {
	if id == 0x0a {
		if err := w.crcs(count); err != nil {
			return err
		}
		var err error
		if id, err = w.byte(); err != nil {
			return err
		}
	}
	if id != 0 {
		return errWalk
	}
	return nil
}

func (w *walk7z) folder() (folder7z, error) {
	var f folder7z
	n, err := w.num()
	if err != nil {
		return f, err
	}
	if err := w.charge(n, 8+80); err != nil {
		return f, err
	}
	var in, out uint64
	for k := uint64(0); k < n; k++ {
		v, err := w.byte()
		if err != nil {
			return f, err
		}
		c := coder7z{in: 1, out: 1}
		idLen := uint64(v & 0xf)
		if idLen > uint64(len(w.b)-w.i) {
			return f, errWalk
		}
		c.id = w.b[w.i : w.i+int(idLen)]
		w.i += int(idLen)
		if v&0x10 != 0 {
			if c.in, err = w.num(); err != nil {
				return f, err
			}
			if c.out, err = w.num(); err != nil {
				return f, err
			}
		}
		if v&0x20 != 0 {
			if c.propsSize, err = w.num(); err != nil {
				return f, err
			}
			if err := w.charge(c.propsSize, 1); err != nil {
				return f, err
			}
			if c.propsSize > uint64(len(w.b)-w.i) {
				return f, errWalk
			}
			c.props = w.b[w.i : w.i+int(c.propsSize)]
			w.i += int(c.propsSize)
		}
		in, out = in+c.in, out+c.out
		if in < c.in || out < c.out {
			return f, errWalk
		}
		if len(f.coders) < 16 {
			f.coders = append(f.coders, c)
		}
	}
	if out == 0 {
		return f, errWalk // the library's out-1 bind pairs would wrap
	}
	f.outs = out
	binds := out - 1
	if err := w.charge(binds, 8+16); err != nil {
		return f, err
	}
	for k := uint64(0); k < 2*binds; k++ {
		if _, err := w.num(); err != nil {
			return f, err
		}
	}
	if in < binds {
		return f, errWalk
	}
	packed := in - binds
	if packed != 1 {
		if err := w.charge(packed, 8); err != nil {
			return f, err
		}
		for k := uint64(0); k < packed; k++ {
			if _, err := w.num(); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

func (w *walk7z) subStreams(s *streams7z) error {
	id, err := w.byte()
	if err != nil {
		return err
	}
	nf := uint64(len(s.folders))
	if err := w.charge(nf, 8); err != nil {
		return err
	}
	per := make([]uint64, nf)
	for k := range per {
		per[k] = 1
	}
	if id == 0x0d { // NumUnpackStream
		for k := range per {
			if per[k], err = w.num(); err != nil {
				return err
			}
		}
		if id, err = w.byte(); err != nil {
			return err
		}
	}
	var files uint64
	for _, v := range per {
		if files+v < files {
			return fmt.Errorf("7z header declares more streams than can be counted: %w", errCorrupt)
		}
		files += v
	}
	if id == 0x09 {
		if err := w.charge(files, 8); err != nil {
			return err
		}
		for _, v := range per {
			for j := uint64(1); j < v; j++ {
				if _, err := w.num(); err != nil {
					return err
				}
			}
		}
		if id, err = w.byte(); err != nil {
			return err
		}
	}
	return w.crcsThenEnd(id, files)
}

func (w *walk7z) files() error {
	n, err := w.num()
	if err != nil {
		return err
	}
	if err := w.charge(n, sz7zFile); err != nil {
		return err
	}
	var empty uint64
	for {
		prop, err := w.byte()
		if err != nil {
			return err
		}
		if prop == 0 {
			return nil
		}
		length, err := w.num()
		if err != nil {
			return err
		}
		switch prop {
		case 0x0e: // EmptyStream
			bs, err := w.bools(n)
			if err != nil {
				return err
			}
			for _, b := range bs { // the library counts on over repeated properties
				if b {
					empty++
				}
			}
		case 0x0f: // EmptyFile
			if _, err := w.bools(empty); err != nil {
				return err
			}
		case 0x12, 0x13, 0x14: // CTime, ATime, MTime
			defined, err := w.optBools(n)
			if err != nil {
				return err
			}
			if ext, err := w.byte(); err != nil || ext != 0 {
				return errWalk
			}
			if err := w.charge(n, 24); err != nil {
				return err
			}
			if err := w.skip(8 * defined); err != nil {
				return err
			}
		case 0x11: // Name
			if length == 0 {
				return errWalk
			}
			if err := w.skip(length); err != nil { // external byte and the names
				return err
			}
		case 0x15: // WinAttributes
			defined, err := w.optBools(n)
			if err != nil {
				return err
			}
			if ext, err := w.byte(); err != nil || ext != 0 {
				return errWalk
			}
			if err := w.charge(n, 4); err != nil {
				return err
			}
			if err := w.skip(4 * defined); err != nil {
				return err
			}
		case 0x19: // Dummy
			if err := w.skip(length); err != nil {
				return err
			}
		default:
			return errWalk
		}
	}
}

// unpackHeader unpacks an encoded header: one folder of one coder,
// stored, LZMA or LZMA2, its unpacked size within max7zHeader.
func (s *streams7z) unpackHeader(r io.ReaderAt, base, size int64) ([]byte, error) {
	if len(s.folders) != 1 || len(s.packSizes) < 1 {
		return nil, errWalk
	}
	f := s.folders[0]
	if len(f.coders) != 1 || f.outs != 1 || len(f.sizes) != 1 {
		return nil, fmt.Errorf("7z header packed with %d coders: Vigil reads headers packed with one (stored, LZMA or LZMA2): %w", len(f.coders), errCorrupt)
	}
	c, unpacked, packed := f.coders[0], f.sizes[0], s.packSizes[0]
	if unpacked > max7zHeader || packed > max7zHeader {
		return nil, fmt.Errorf("7z header of %d bytes (%d packed): larger than the %d Vigil reads: %w", unpacked, packed, max7zHeader, errCorrupt)
	}
	at := base + 32 + int64(min(s.packPos, math.MaxInt64/4))
	if s.packPos > math.MaxInt64/4 || at > size {
		return nil, errWalk
	}
	src := io.NewSectionReader(r, at, min(int64(packed), size-at))
	var rd io.Reader
	switch {
	case bytes.Equal(c.id, []byte{0x00}): // stored
		rd = src
	case bytes.Equal(c.id, []byte{0x03, 0x01, 0x01}) && len(c.props) == 5: // LZMA
		// The classic .lzma header: the coder's properties, the dictionary
		// no larger than the output needs, and the unpacked size.
		hdr := make([]byte, 13)
		copy(hdr, c.props)
		dict := binary.LittleEndian.Uint32(c.props[1:])
		binary.LittleEndian.PutUint32(hdr[1:], max(lzma.MinDictCap, min(dict, uint32(unpacked))))
		binary.LittleEndian.PutUint64(hdr[5:], unpacked)
		lr, err := lzma.NewReader(io.MultiReader(bytes.NewReader(hdr), src))
		if err != nil {
			return nil, fmt.Errorf("7z header: %v: %w", err, errCorrupt)
		}
		rd = lr
	case bytes.Equal(c.id, []byte{0x21}) && len(c.props) == 1: // LZMA2
		lr, err := lzma.Reader2Config{DictCap: max(lzma.MinDictCap, int(unpacked))}.NewReader2(src)
		if err != nil {
			return nil, fmt.Errorf("7z header: %v: %w", err, errCorrupt)
		}
		rd = lr
	default:
		return nil, fmt.Errorf("7z header packed with method %x (encrypted, or a method Vigil does not unpack headers with): %w", c.id, errCorrupt)
	}
	// A damaged stream ends early: the library parses what it unpacked
	// up to there, so that part is walked.
	out := make([]byte, unpacked)
	n, _ := io.ReadFull(rd, out)
	return out[:n], nil
}
