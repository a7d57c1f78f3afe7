package intake

import (
	"encoding/binary"
	"strings"
	"testing"
)

// tiffIFD builds one big-endian TIFF image file directory.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte // value bytes, already big-endian
}

func asciiEntry(tag uint16, s string) tiffEntry {
	return tiffEntry{tag: tag, typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
}

func longEntry(tag uint16, v uint32) tiffEntry {
	return tiffEntry{tag: tag, typ: 4, count: 1, data: binary.BigEndian.AppendUint32(nil, v)}
}

func rationalEntry(tag uint16, pairs ...uint32) tiffEntry {
	var b []byte
	for _, p := range pairs {
		b = binary.BigEndian.AppendUint32(b, p)
	}
	return tiffEntry{tag: tag, typ: 5, count: uint32(len(pairs) / 2), data: b}
}

// writeIFD appends an IFD at the end of tiff (whose offsets count from the
// start of tiff) and returns the new tiff.
func writeIFD(tiff []byte, entries []tiffEntry) []byte {
	start := len(tiff)
	dataOff := start + 2 + 12*len(entries) + 4
	var data []byte
	tiff = binary.BigEndian.AppendUint16(tiff, uint16(len(entries)))
	for _, e := range entries {
		tiff = binary.BigEndian.AppendUint16(tiff, e.tag)
		tiff = binary.BigEndian.AppendUint16(tiff, e.typ)
		tiff = binary.BigEndian.AppendUint32(tiff, e.count)
		if len(e.data) <= 4 {
			v := make([]byte, 4)
			copy(v, e.data)
			tiff = append(tiff, v...)
		} else {
			tiff = binary.BigEndian.AppendUint32(tiff, uint32(dataOff+len(data)))
			data = append(data, e.data...)
			if len(data)%2 == 1 {
				data = append(data, 0)
			}
		}
	}
	tiff = binary.BigEndian.AppendUint32(tiff, 0) // no next IFD
	return append(tiff, data...)
}

// insertEXIF puts a hand-built EXIF block (camera, serial, time, GPS in
// Madrid) into a JPEG, independently of the EXIF library under test.
func insertEXIF(t testing.TB, jpg []byte) []byte {
	t.Helper()
	// Lay out: header, IFD0, Exif IFD, GPS IFD. Offsets of the sub-IFDs are
	// computed from the sizes of what precedes them.
	ifd0 := func(exifOff, gpsOff uint32) []tiffEntry {
		return []tiffEntry{asciiEntry(0x010F, "SynthCam"), asciiEntry(0x0110, "Model 7"),
			longEntry(0x8769, exifOff), longEntry(0x8825, gpsOff)}
	}
	exifIFD := []tiffEntry{asciiEntry(0x9003, "2017:04:18 10:30:00"), asciiEntry(0xA431, "SN-0042")}
	gpsIFD := []tiffEntry{asciiEntry(0x0001, "N"), rationalEntry(0x0002, 40, 1, 24, 1, 594, 10),
		asciiEntry(0x0003, "W"), rationalEntry(0x0004, 3, 1, 42, 1, 1368, 100)}
	header := []byte{'M', 'M', 0, 42, 0, 0, 0, 8}
	probe := writeIFD(append([]byte(nil), header...), ifd0(0, 0))
	exifOff := uint32(len(probe))
	probe = writeIFD(probe, exifIFD)
	gpsOff := uint32(len(probe))
	tiff := writeIFD(append([]byte(nil), header...), ifd0(exifOff, gpsOff))
	tiff = writeIFD(tiff, exifIFD)
	tiff = writeIFD(tiff, gpsIFD)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte(nil), jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func TestReadEXIFRefusesGarbageWithoutPanic(t *testing.T) {
	for _, b := range [][]byte{
		nil,
		[]byte("Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff"),
		append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 20}, []byte("Exif\x00\x00II*\x00\xff\xff\xff\x7f")...),
	} {
		if e, err := readEXIF(b); e != nil && err == nil && e.Make != "" {
			t.Errorf("garbage %q gave %+v", b, e)
		}
	}
}

// An IFD offset inside the 8-byte TIFF header made go-exif read the header
// as an IFD and allocate what its "counts" asked (14 s and gigabytes for
// this 26-byte input, found by FuzzReadEXIF): refused, saying why.
func TestEXIFGuardOffsetInsideHeader(t *testing.T) {
	for _, b := range [][]byte{
		[]byte("MM\x00*\x00\x00\x00\x00\x00\x00\x10\x00j\x04\x01\x0f\x00\x02\xc5\xc5SN-0MM"),
		[]byte("II*\x00\x04\x00\x00\x00\x00\x00\x10\x00j\x04\x01\x0f\x00\x02\xc5\xc5SN-0MM"),
	} {
		e, err := readEXIF(b)
		if e != nil || err == nil || !strings.Contains(err.Error(), "inside the TIFF header") {
			t.Errorf("%q: %+v, %v", b, e, err)
		}
	}
}

// FuzzReadEXIF feeds arbitrary bytes (seeded with a JPEG carrying a full
// EXIF block) to the EXIF reader: it must never panic, and coordinates it
// returns must be in range.
func FuzzReadEXIF(f *testing.F) {
	jpg := []byte{0xFF, 0xD8, 0xFF, 0xD9}
	f.Add(insertEXIF(f, jpg))
	f.Add([]byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x0f\x01\x02\x00\x04\x00\x00\x00abc\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := readEXIF(data)
		if err != nil || e == nil {
			return
		}
		if e.Lat != nil && (*e.Lat < -90 || *e.Lat > 90) || e.Lon != nil && (*e.Lon < -180 || *e.Lon > 180) {
			t.Fatalf("coordinates out of range: %v %v", *e.Lat, *e.Lon)
		}
	})
}
