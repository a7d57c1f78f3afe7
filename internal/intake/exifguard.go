package intake

import (
	"encoding/binary"
	"fmt"
)

// checkTIFF walks the IFD structure of an EXIF block (a TIFF header and
// its image file directories) before the EXIF library sees it, and refuses
// what could make the library loop, recurse without end or allocate
// without bound: IFDs that point back at themselves or each other, entry
// counts and values that reach past the block, absurd numbers of IFDs or
// entries. A crash in a third-party parser cannot be recovered when it is
// a stack overflow, so hostile structure is stopped here.
func checkTIFF(raw []byte) error {
	if len(raw) < 8 {
		return fmt.Errorf("exif: %d bytes, too short for a TIFF header", len(raw))
	}
	var bo binary.ByteOrder
	switch string(raw[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return fmt.Errorf("exif: byte order %q", raw[:2])
	}
	if bo.Uint16(raw[2:]) != 42 {
		return fmt.Errorf("exif: not a TIFF header")
	}
	const maxIFDs, maxEntries = 64, 2048
	seen := map[uint32]bool{}
	first := bo.Uint32(raw[4:])
	if first < 8 {
		// go-exif would read the header itself as IFD0 (found by
		// FuzzReadEXIF: its counts made go-exif allocate gigabytes).
		return fmt.Errorf("exif: first IFD at offset %d, inside the TIFF header", first)
	}
	queue := []uint32{first}
	for len(queue) > 0 {
		off := queue[0]
		queue = queue[1:]
		if off == 0 {
			continue
		}
		if off < 8 {
			return fmt.Errorf("exif: IFD at offset %d, inside the TIFF header", off)
		}
		if seen[off] {
			return fmt.Errorf("exif: IFD at %d is reached twice (a loop)", off)
		}
		seen[off] = true
		if len(seen) > maxIFDs {
			return fmt.Errorf("exif: more than %d IFDs", maxIFDs)
		}
		if uint64(off)+2 > uint64(len(raw)) {
			return fmt.Errorf("exif: IFD at %d past the end (%d bytes)", off, len(raw))
		}
		n := int(bo.Uint16(raw[off:]))
		if n > maxEntries {
			return fmt.Errorf("exif: IFD at %d has %d entries", off, n)
		}
		end := uint64(off) + 2 + uint64(n)*12
		if end+4 > uint64(len(raw)) {
			return fmt.Errorf("exif: IFD at %d runs past the end", off)
		}
		for i := 0; i < n; i++ {
			e := raw[uint64(off)+2+uint64(i)*12:]
			tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), bo.Uint32(e[4:])
			size := typeSize(typ)
			if size == 0 {
				continue // unknown types are skipped by readers
			}
			total := uint64(count) * uint64(size)
			if total > 4 {
				v := uint64(bo.Uint32(e[8:]))
				if v+total > uint64(len(raw)) {
					return fmt.Errorf("exif: tag 0x%04x: %d values reach past the end", tag, count)
				}
			}
			switch tag {
			case 0x8769, 0x8825, 0xA005: // Exif, GPS, interoperability IFDs
				if count != 1 || (typ != 4 && typ != 13) {
					return fmt.Errorf("exif: tag 0x%04x is not one IFD offset", tag)
				}
				queue = append(queue, bo.Uint32(e[8:]))
			case 0x014A: // SubIFDs
				if count > maxIFDs {
					return fmt.Errorf("exif: %d sub-IFDs", count)
				}
				if total <= 4 {
					queue = append(queue, bo.Uint32(e[8:]))
				} else {
					v := bo.Uint32(e[8:])
					for j := uint32(0); j < count; j++ {
						queue = append(queue, bo.Uint32(raw[v+4*j:]))
					}
				}
			}
		}
		queue = append(queue, bo.Uint32(raw[end:]))
	}
	return nil
}

// typeSize is the size in bytes of one value of a TIFF field type.
func typeSize(t uint16) int {
	switch t {
	case 1, 2, 6, 7: // BYTE, ASCII, SBYTE, UNDEFINED
		return 1
	case 3, 8: // SHORT, SSHORT
		return 2
	case 4, 9, 11, 13: // LONG, SLONG, FLOAT, IFD
		return 4
	case 5, 10, 12: // RATIONAL, SRATIONAL, DOUBLE
		return 8
	}
	return 0
}
