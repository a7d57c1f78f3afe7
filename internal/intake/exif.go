package intake

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"

	"vigil/internal/store"
)

// readEXIF extracts what Vigil keeps of an image's EXIF block from its
// bytes. It returns nil, nil when there is no EXIF data. go-exif reports
// some malformed input by panicking; that is turned into an error.
func readEXIF(data []byte) (e *store.EXIF, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("exif: malformed data (%v)", r)
		}
	}()
	raw, err := exif.SearchAndExtractExif(exifRegion(data))
	if errors.Is(err, exif.ErrNoExif) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("exif: %w", err)
	}
	if err := checkTIFF(raw); err != nil {
		return nil, err
	}
	tags, _, err := exif.GetFlatExifData(raw, nil)
	if err != nil && len(tags) == 0 {
		return nil, fmt.Errorf("exif: %w", err)
	}
	out := &store.EXIF{}
	var lat, lon []float64
	var latRef, lonRef string
	for _, t := range tags {
		switch t.TagName {
		case "Make":
			out.Make = cleanASCII(t.Value)
		case "Model":
			out.Model = cleanASCII(t.Value)
		case "BodySerialNumber":
			out.BodySerial = cleanASCII(t.Value)
		case "Software":
			out.Software = cleanASCII(t.Value)
		case "DateTimeOriginal":
			out.Original = cleanASCII(t.Value)
		case "PixelXDimension":
			out.Width = firstInt(t.Value)
		case "PixelYDimension":
			out.Height = firstInt(t.Value)
		case "GPSLatitude":
			lat = rationals(t.Value)
		case "GPSLongitude":
			lon = rationals(t.Value)
		case "GPSLatitudeRef":
			latRef = cleanASCII(t.Value)
		case "GPSLongitudeRef":
			lonRef = cleanASCII(t.Value)
		}
	}
	if v, ok := degrees(lat, latRef, "S", 90); ok {
		if w, ok := degrees(lon, lonRef, "W", 180); ok {
			out.Lat, out.Lon = &v, &w
		}
	}
	if out.Original != "" {
		// EXIF times carry no zone: kept as written, and parsed as if UTC
		// only to order them.
		if t, err := time.Parse("2006:01:02 15:04:05", out.Original); err == nil {
			out.OriginalAt = &t
		}
	}
	if *out == (store.EXIF{}) {
		return nil, nil
	}
	return out, nil
}

// exifRegion narrows where the EXIF block is searched for: in a JPEG it
// can only be an APP1 segment before the first scan, so the segments are
// walked instead of scanning the whole image (which cost more than the
// three hashes on photographs without EXIF); in other formats it is near
// the start.
func exifRegion(data []byte) []byte {
	const other = 1 << 20
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return data[:min(len(data), other)]
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return data[:min(len(data), other)] // not a marker: let the search look
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xDA || m == 0xD9: // start of scan, end of image: no EXIF before
			return nil
		case m >= 0xD0 && m <= 0xD7 || m == 0x01:
			i += 2
			continue
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			return data[i:]
		}
		if m == 0xE1 && n >= 8 && string(data[i+4:i+10]) == "Exif\x00\x00" {
			return data[i : i+2+n]
		}
		i += 2 + n
	}
	return nil
}

func cleanASCII(v any) string {
	s, _ := v.(string)
	s = strings.TrimRight(s, "\x00 ")
	return strings.ToValidUTF8(s, "\uFFFD")
}

func firstInt(v any) int {
	switch x := v.(type) {
	case []uint16:
		if len(x) > 0 {
			return int(x[0])
		}
	case []uint32:
		if len(x) > 0 {
			return int(x[0])
		}
	}
	return 0
}

func rationals(v any) []float64 {
	rs, ok := v.([]exifcommon.Rational)
	if !ok {
		return nil
	}
	out := make([]float64, 0, len(rs))
	for _, r := range rs {
		if r.Denominator == 0 {
			return nil
		}
		out = append(out, float64(r.Numerator)/float64(r.Denominator))
	}
	return out
}

// degrees turns degrees, minutes, seconds and a hemisphere into a signed
// decimal, refusing values outside the range.
func degrees(dms []float64, ref, negative string, limit float64) (float64, bool) {
	if len(dms) != 3 {
		return 0, false
	}
	v := dms[0] + dms[1]/60 + dms[2]/3600
	if strings.EqualFold(ref, negative) {
		v = -v
	}
	if math.IsNaN(v) || math.Abs(v) > limit {
		return 0, false
	}
	return math.Round(v*1e7) / 1e7, true
}
