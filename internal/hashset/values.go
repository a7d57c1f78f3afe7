package hashset

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// hexLower maps each hexadecimal digit to its lower-case form and every
// other byte to 0.
var hexLower = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	return t
}()

// normHex checks that s (already trimmed) is n hexadecimal digits of
// either case and returns them in lower case. name labels the value in
// the error ("md5").
func normHex(name, s string, n int) (string, error) {
	if len(s) != n {
		return "", fmt.Errorf("%s %q: not %d hexadecimal digits", name, clip(s), n)
	}
	for i := 0; i < n; i++ {
		c := s[i]
		l := hexLower[c]
		if l == 0 {
			return "", fmt.Errorf("%s %q: not %d hexadecimal digits", name, clip(s), n)
		}
		if l != c {
			return lowerHex(name, s) // upper case: a converted copy
		}
	}
	return s, nil
}

// normHexBytes is normHex for bytes, with one allocation: the result.
func normHexBytes(name string, b []byte, n int) (string, error) {
	if len(b) != n {
		return "", fmt.Errorf("%s %q: not %d hexadecimal digits", name, clip(string(b)), n)
	}
	return lowerHex(name, b)
}

// lowerHex returns the hexadecimal digits of src in lower case, in one
// allocation.
func lowerHex[S ~string | ~[]byte](name string, src S) (string, error) {
	out := make([]byte, len(src))
	for i := 0; i < len(src); i++ {
		l := hexLower[src[i]]
		if l == 0 {
			return "", fmt.Errorf("%s %q: not %d hexadecimal digits", name, clip(string(src)), len(src))
		}
		out[i] = l
	}
	return bytesString(out), nil
}

// bytesString makes a string of b without a copy; b must not be changed
// afterwards.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// isHex reports whether s is all hexadecimal digits (and not empty).
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// setHash stores a hash of unknown kind (by its length) in e.
func setHashByLength(e *Entry, name, s string) error {
	var err error
	switch len(s) {
	case 32:
		e.MD5, err = normHex(name, s, 32)
	case 40:
		e.SHA1, err = normHex(name, s, 40)
	case 64:
		e.SHA256, err = normHex(name, s, 64)
	default:
		err = fmt.Errorf("%s %q: not an MD5, SHA-1 or SHA-256 (32, 40 or 64 hexadecimal digits)", name, clip(s))
	}
	return err
}

// parseFlag reads a yes/no value in the spellings sources use: Y/N,
// Yes/No, True/False, T/F, 1/0, any case. "" and "null" mean unknown.
func parseFlag(name, s string) (*bool, error) {
	s = strings.TrimSpace(s)
	var v bool
	switch strings.ToLower(s) {
	case "", "null":
		return nil, nil
	case "y", "yes", "true", "t", "1":
		v = true
	case "n", "no", "false", "f", "0":
		v = false
	default:
		return nil, fmt.Errorf("%s %q: not a yes/no value", name, clip(s))
	}
	return &v, nil
}

// parseSize reads a byte count; negative values mean unknown (-1).
func parseSize(name, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "null") {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1, fmt.Errorf("%s %q: not a whole number of bytes", name, clip(s))
	}
	if n < 0 {
		return -1, nil
	}
	return n, nil
}

// parseQuality reads a PDQ quality, 0 to 100; "" gives -1.
func parseQuality(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return -1, nil
	}
	q, err := strconv.Atoi(s)
	if err != nil || q < 0 || q > 100 {
		return -1, fmt.Errorf("pdq quality %q: not a whole number from 0 to 100", clip(s))
	}
	return q, nil
}

// parseCategory reads a category: a code (0 to 255, the VICS Byte), or a
// category name of the profile. "" and "null" mean not categorised. A code
// the profile does not know is kept, with a warning returned.
func parseCategory(p Profile, s string) (cat *int, warning string, err error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "null") {
		return nil, "", nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 255 {
			return nil, "", fmt.Errorf("category %q: not a code from 0 to 255", clip(s))
		}
		if p.HasVocabulary() {
			if _, ok := p.CategoryName(n); !ok {
				warning = fmt.Sprintf("category %d is not a code of profile %s: kept as is", n, p.Name())
			}
		}
		return &n, warning, nil
	}
	if n, ok := p.CategoryCode(s); ok {
		return &n, "", nil
	}
	if isUncategorised(s) {
		return nil, "", nil
	}
	return nil, "", fmt.Errorf("category %q: neither a code nor a category name of profile %s", clip(s), p.Name())
}

// photoDNAText normalises a PhotoDNA value: 288 hexadecimal digits (ICSE,
// some VICS writers) become the 192-character base64 form VICS uses; any
// other value is kept trimmed.
func photoDNAText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 288 && isHex(s) {
		b, err := hex.DecodeString(s)
		if err == nil {
			return base64.StdEncoding.EncodeToString(b)
		}
	}
	return s
}

// photoDNAFilter finds the constant bogus PhotoDNA value some exporters
// write on every record (domain.md §1.6.5). It remembers, in a small
// direct-mapped table (bounded memory), each recent value with the first
// MD5 it was seen with and how many records with other MD5s carried it;
// a value carried by repeatThreshold records with different MD5s is
// declared bogus and dropped from then on. Identical PhotoDNA on a few
// different files (the same pixels re-encoded) stays.
type photoDNAFilter struct {
	seed  maphash.Seed
	slots []pdnaSlot
	bogus map[string]bool
}

type pdnaSlot struct {
	value, md5 uint64
	others     int
}

const (
	pdnaSlots       = 4096
	repeatThreshold = 8
)

func (f *photoDNAFilter) repeated(e *Entry, m *Meta) bool {
	if f.slots == nil {
		f.seed = maphash.MakeSeed()
		f.slots = make([]pdnaSlot, pdnaSlots)
		f.bogus = make(map[string]bool)
	}
	if f.bogus[e.PhotoDNA] {
		return true
	}
	key := e.MD5
	if key == "" {
		key = e.SHA1 + e.SHA256
	}
	v := maphash.String(f.seed, e.PhotoDNA) | 1 // never 0, the empty slot
	k := maphash.String(f.seed, key)
	s := &f.slots[(v>>32)%pdnaSlots]
	switch {
	case s.value != v:
		*s = pdnaSlot{value: v, md5: k}
	case s.md5 != k:
		s.others++
		if s.others >= repeatThreshold {
			if len(f.bogus) < maxRepeatedPDN {
				f.bogus[e.PhotoDNA] = true
				m.RepeatedPhotoDNA = append(m.RepeatedPhotoDNA, e.PhotoDNA)
			}
			return true
		}
	}
	return false
}

// parseGUID strips the braces some writers put around GUIDs and lowers
// the case; a value that is not a GUID is returned trimmed, with ok false.
func parseGUID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	g := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(g) != 36 {
		return s, false
	}
	for i := 0; i < 36; i++ {
		c := g[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return s, false
			}
			continue
		}
		if !isHex(g[i : i+1]) {
			return s, false
		}
	}
	return strings.ToLower(g), true
}

var (
	netDate    = regexp.MustCompile(`^/?Date\((-?\d+)([+-]\d{4})?\)/?$`)
	badOffsetZ = regexp.MustCompile(`[+-]\d\d:?\d\d[Zz]$`)
)

// timeLayouts are tried in order after the special forms.
var timeLayouts = []string{
	time.RFC3339Nano,                // 2023-06-07T02:31:49.8300Z, offsets, any fraction
	"2006-01-02T15:04:05.999999999", // no zone: UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"1/2/2006 3:04:05 PM", // US, as Griffeye and some exporters write
	"1/2/2006 3:04 PM",
	"1/2/2006 15:04:05",
	"1/2/2006",
	"2006-01-02",
}

// parseTime reads the timestamp spellings of domain.md §1.6.9: ISO 8601
// with Z, an offset or no zone (taken as UTC) and any fraction; the
// invalid "+05:00Z" suffix; .NET "/Date(ms)/"; US "M/D/YYYY h:mm:ss AM".
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "null") {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil { // the usual case, first
		return inRange(s, t.UTC())
	}
	if m := netDate.FindStringSubmatch(s); m != nil {
		ms, err := strconv.ParseInt(m[1], 10, 64)
		if err == nil {
			return inRange(s, time.UnixMilli(ms).UTC())
		}
	}
	if badOffsetZ.MatchString(s) {
		s = s[:len(s)-1]
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return inRange(s, t.UTC())
		}
	}
	// Offsets without a colon (+0500) are common too.
	if t, err := time.Parse("2006-01-02T15:04:05.999999999-0700", s); err == nil {
		return inRange(s, t.UTC())
	}
	return time.Time{}, fmt.Errorf("date %q: not a date format this reader knows", clip(s))
}

// inRange refuses dates outside years 1 to 9999, which RFC 3339 cannot
// write.
func inRange(s string, t time.Time) (time.Time, error) {
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("date %q: year %d out of range", clip(s), t.Year())
	}
	return t, nil
}

var errLineTooLong = errors.New("line longer than 1 MiB")
