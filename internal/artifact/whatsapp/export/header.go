package export

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Header forms (spec §9.2).
const (
	formBracket = '[' // iOS: "[29/11/2018, 10:50:41] Name: text"
	formDash    = '-' // Android: "12/07/2017, 22:35 - Name: text"
	formColon   = ':' // old iOS: "12.07.2017, 22:35:22: Name: text"
)

// header is the start of a message line, as written: the date's three
// numbers in file order (their meaning is decided per file), the clock, and
// where the body starts.
type header struct {
	form     byte
	d        [3]int // date components in the order written
	dlen     [3]int // their digit counts
	hour     int
	min, sec int
	mer      byte // 0: 24-hour clock; 'a' or 'p': 12-hour clock
	body     int  // byte offset of the body in the line
}

// localeWords may stand between the date and the time ("12/07/2017 à
// 22:35", "13.6.2018 klo 21.25.15").
var localeWords = []string{"à", "klo", "um", "kl.", "alle", "a las", "às", "om"}

// parseHeader recognises a header at the start of line (spec §9.2's
// generic recogniser): an optional "[", a date of three numbers of 1 to 4
// digits separated by the same "/", "." or "-" (each optionally followed
// by a space, the last optionally by "."), an optional ",", an optional
// locale word, a time H:MM or H.MM with optional seconds, an optional
// meridiem (AM, pm, a.m., p. m., …), then "] " (iOS), " - " (Android) or
// ": " (old iOS). Leading BOM and bidirectional marks are skipped; the
// narrow and ordinary no-break spaces count as spaces.
func parseHeader(line string) (h header, ok bool) {
	i := skipMarks(line, 0)
	if i < len(line) && line[i] == '[' {
		h.form = formBracket
		i++
	}
	var sep byte
	long := 0
	for k := 0; k < 3; k++ {
		v, n, j := number(line, i, 4)
		if n == 0 {
			return h, false
		}
		h.d[k], h.dlen[k], i = v, n, j
		if n > 2 {
			long++
		}
		if k == 2 {
			break
		}
		if i >= len(line) {
			return h, false
		}
		c := line[i]
		if c != '/' && c != '.' && c != '-' {
			return h, false
		}
		if k == 0 {
			sep = c
		} else if c != sep {
			return h, false
		}
		i++
		if i < len(line) && line[i] == ' ' { // "13. 6. 2018."
			i++
		}
	}
	if long > 1 {
		return h, false
	}
	dotEnd := false // "13. 6. 2018. 21:25:15 Name: text" (Croatian-like)
	if sep == '.' && i < len(line) && line[i] == '.' {
		dotEnd = true
		i++
	}
	j := i
	if j < len(line) && line[j] == ',' {
		j++
	}
	j = skipSpaces(line, j)
	if j == i {
		return h, false // the date must be followed by "," or a space
	}
	i = j
	for _, w := range localeWords {
		if strings.HasPrefix(line[i:], w) {
			if k := skipSpaces(line, i+len(w)); k > i+len(w) {
				i = k
				break
			}
		}
	}
	// Time.
	v, n, j := number(line, i, 2)
	if n == 0 || j >= len(line) || (line[j] != ':' && line[j] != '.') {
		return h, false
	}
	tsep := line[j]
	h.hour = v
	v, n, j = number(line, j+1, 2)
	if n != 2 {
		return h, false
	}
	h.min = v
	i = j
	if i+2 < len(line) && line[i] == tsep && isDigit(line[i+1]) {
		v, n, j = number(line, i+1, 2)
		if n != 2 {
			return h, false
		}
		h.sec, i = v, j
	}
	if h.min > 59 || h.sec > 59 {
		return h, false
	}
	// Meridiem.
	if j := skipSpaces(line, i); j < len(line) {
		if m, k := meridiem(line, j); m != 0 {
			h.mer, i = m, k
		}
	}
	if (h.mer != 0 && h.hour > 12) || h.hour > 23 {
		return h, false
	}
	// Terminator.
	if h.form == formBracket {
		if i >= len(line) || line[i] != ']' {
			return h, false
		}
		h.body = skipSpaces(line, i+1)
		return h, true
	}
	if j := skipSpaces(line, i); j > i && j < len(line) {
		switch {
		case line[j] == '-':
			j++
		case strings.HasPrefix(line[j:], "–"):
			j += len("–")
		case dotEnd:
			h.form, h.body = formColon, j
			return h, true
		default:
			return h, false
		}
		k := skipSpaces(line, j)
		if k == j && k < len(line) {
			return h, false
		}
		h.form, h.body = formDash, k
		return h, true
	}
	if i < len(line) && line[i] == ':' {
		k := skipSpaces(line, i+1)
		if k == i+1 && k < len(line) {
			return h, false
		}
		h.form, h.body = formColon, k
		return h, true
	}
	return h, false
}

// meridiem reads AM/PM in its many spellings at line[i:]: "AM", "pm",
// "a.m.", "p. m.", "A. M.". It returns 'a' or 'p' and the offset after
// it, or 0.
func meridiem(line string, i int) (byte, int) {
	if i >= len(line) {
		return 0, i
	}
	var m byte
	switch line[i] | 0x20 {
	case 'a':
		m = 'a'
	case 'p':
		m = 'p'
	default:
		return 0, i
	}
	j := i + 1
	if j < len(line) && line[j] == '.' {
		j++
	}
	j = skipOneSpace(line, j)
	if j >= len(line) || line[j]|0x20 != 'm' {
		return 0, i
	}
	j++
	if j < len(line) && line[j] == '.' {
		j++
	}
	// The meridiem must end here: "am" followed by a letter is a word.
	if j < len(line) && isLetter(line[j]) {
		return 0, i
	}
	return m, j
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// number reads 1 to max ASCII digits at s[i:]; n is how many were read.
// More than max digits is not a number of this grammar.
func number(s string, i, max int) (v, n, j int) {
	j = i
	for j < len(s) && isDigit(s[j]) {
		if j-i == max {
			return 0, 0, i
		}
		v = v*10 + int(s[j]-'0')
		j++
	}
	return v, j - i, j
}

// Marks skipped at the start of a line or body: BOM, LRM, RLM, and the
// bidirectional embedding and isolate controls.
func isMark(r rune) bool {
	switch r {
	case '\ufeff', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u2066', '\u2067', '\u2068', '\u2069':
		return true
	}
	return false
}

func skipMarks(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isMark(r) {
			break
		}
		i += n
	}
	return i
}

// spaceAt reports the width of a space (ASCII, no-break, narrow no-break)
// at s[i:], 0 when there is none.
func spaceAt(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch s[i] {
	case ' ', '\t':
		return 1
	case 0xc2: // U+00A0
		if strings.HasPrefix(s[i:], "\u00a0") {
			return 2
		}
	case 0xe2: // U+202F, U+2007
		if strings.HasPrefix(s[i:], "\u202f") || strings.HasPrefix(s[i:], "\u2007") {
			return 3
		}
	}
	return 0
}

func skipSpaces(s string, i int) int {
	for {
		n := spaceAt(s, i)
		if n == 0 {
			return i
		}
		i += n
	}
}

func skipOneSpace(s string, i int) int { return i + spaceAt(s, i) }

// Order is the meaning of a date's three numbers in file order, as a
// permutation of "d", "m" and "y": "dmy" (day first), "mdy" (US), "ymd".
type Order string

// ParseOrder reads a date-order option: "", "auto" (infer per file) or a
// permutation of the letters d, m and y.
func ParseOrder(s string) (Order, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "auto" {
		return "", nil
	}
	if len(s) == 3 && strings.Count(s, "d") == 1 && strings.Count(s, "m") == 1 && strings.Count(s, "y") == 1 {
		return Order(s), nil
	}
	return "", fmt.Errorf("date order %q: want auto, dmy, mdy, ymd or another order of the letters d, m, y", s)
}

// positions returns the index of the day, month and year in the date.
func (o Order) positions() (d, m, y int) {
	return strings.IndexByte(string(o), 'd'), strings.IndexByte(string(o), 'm'), strings.IndexByte(string(o), 'y')
}

// wallClock turns a header into a time in loc, given the date order.
func (h *header) wallClock(o Order, loc *time.Location) (time.Time, error) {
	di, mi, yi := o.positions()
	day, month, year := h.d[di], h.d[mi], h.d[yi]
	if h.dlen[yi] <= 2 {
		year += 2000 // two-digit years are 20xx (spec §9.3)
	} else if h.dlen[yi] == 3 {
		return time.Time{}, fmt.Errorf("year %d has three digits", year)
	}
	if h.dlen[di] > 2 || h.dlen[mi] > 2 {
		return time.Time{}, fmt.Errorf("day or month of more than two digits")
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return time.Time{}, fmt.Errorf("no day %d in month %d of %d", day, month, year)
	}
	hour := h.hour
	switch h.mer {
	case 'a':
		if hour == 12 {
			hour = 0
		}
	case 'p':
		if hour < 12 {
			hour += 12
		}
	}
	return time.Date(year, time.Month(month), day, hour, h.min, h.sec, 0, loc), nil
}

func daysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// orderVote accumulates, over a file's headers, what spec §9.3 decides the
// date order from.
type orderVote struct {
	n       int
	maxLen  [3]int
	maxVal  [3]int
	prev    [3]int
	dec     [3][3]int // dec[y][p]: p decreased between consecutive headers whose y stayed the same
	changes [3]int
	twelve  bool // a 12-hour clock was seen
}

func (v *orderVote) add(h *header) {
	for p := 0; p < 3; p++ {
		v.maxLen[p] = max(v.maxLen[p], h.dlen[p])
		v.maxVal[p] = max(v.maxVal[p], h.d[p])
	}
	if v.n > 0 {
		for p := 0; p < 3; p++ {
			if h.d[p] != v.prev[p] {
				v.changes[p]++
			}
			for y := 0; y < 3; y++ {
				if y != p && h.d[y] == v.prev[y] && h.d[p] < v.prev[p] {
					v.dec[y][p]++
				}
			}
		}
	}
	v.prev = h.d
	if h.mer != 0 {
		v.twelve = true
	}
	v.n++
}

// decide returns the date order and the rule that decided it.
func (v *orderVote) decide() (Order, string) {
	if v.n == 0 {
		return "dmy", "no dates"
	}
	// The year: the component written with more than two digits, else one
	// above 31, else the last.
	y, basis := 2, "the year is last (two-digit years)"
	for p := 0; p < 3; p++ {
		if v.maxLen[p] > 2 {
			y, basis = p, "the year has four digits"
			break
		}
	}
	if v.maxLen[y] <= 2 {
		for p := 0; p < 3; p++ {
			if v.maxVal[p] > 31 {
				y, basis = p, "the year is the number above 31"
				break
			}
		}
	}
	a, b := 0, 1 // the other two positions, in file order
	switch y {
	case 0:
		a, b = 1, 2
	case 1:
		a, b = 0, 2
	}
	order := func(day int) Order {
		o := []byte("   ")
		o[y], o[day] = 'y', 'd'
		if day == a {
			o[b] = 'm'
		} else {
			o[a] = 'm'
		}
		return Order(o)
	}
	switch aBig, bBig := v.maxVal[a] > 12, v.maxVal[b] > 12; {
	case aBig && !bBig:
		return order(a), basis + "; a day above 12 comes first"
	case bBig && !aBig:
		return order(b), basis + "; a day above 12 comes second"
	case aBig && bBig:
		basis += "; both day and month exceed 12 somewhere (mixed orders?)"
	}
	switch da, db := v.dec[y][a], v.dec[y][b]; {
	case da > 0 && db == 0:
		return order(a), basis + "; the first number decreases within a year, so it is the day"
	case db > 0 && da == 0:
		return order(b), basis + "; the second number decreases within a year, so it is the day"
	}
	switch ca, cb := v.changes[a], v.changes[b]; {
	case ca > cb:
		return order(a), basis + "; the first number changes more often, so it is the day (weak)"
	case cb > ca:
		return order(b), basis + "; the second number changes more often, so it is the day (weak)"
	}
	if y == 0 {
		return order(b), basis + "; year first, so month then day (guess)"
	}
	if v.twelve {
		return order(b), basis + "; 12-hour clock, so month first as in the US (guess)"
	}
	return order(a), basis + "; 24-hour clock, so day first (guess)"
}
