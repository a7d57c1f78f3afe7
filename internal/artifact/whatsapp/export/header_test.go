package export

import (
	"strings"
	"testing"
	"time"
)

// The header forms of spec §9.2, each with the wall clock it must give in
// the order stated.
func TestParseHeaderForms(t *testing.T) {
	tests := []struct {
		line  string
		order Order
		form  byte
		want  string // wall clock, "2006-01-02 15:04:05"
		body  string
	}{
		{"12/07/2017, 22:35 - Johannes Gruber: text", "dmy", formDash, "2017-07-12 22:35:00", "Johannes Gruber: text"},
		{"3/10/25, 16:40 - Andrew: <Media omitted>", "mdy", formDash, "2025-03-10 16:40:00", "Andrew: <Media omitted>"},
		{"3/6/18, 1:55\u202fPM - a: m", "mdy", formDash, "2018-03-06 13:55:00", "a: m"},
		{"3/6/18, 1:55 PM - a: m", "mdy", formDash, "2018-03-06 13:55:00", "a: m"},
		{"23/06/2018, 01:55 p.m. - Loris: one", "dmy", formDash, "2018-06-23 13:55:00", "Loris: one"},
		{"01/01/2019, 12:10 a. m. - John: x", "mdy", formDash, "2019-01-01 00:10:00", "John: x"},
		{"01/01/2019, 12:10 p.\u00a0m. - John: x", "mdy", formDash, "2019-01-01 12:10:00", "John: x"},
		{"07/12/17 22:35 - Name: text", "mdy", formDash, "2017-07-12 22:35:00", "Name: text"},
		{"12/07/2017 à 22:35 - Name: text", "dmy", formDash, "2017-07-12 22:35:00", "Name: text"},
		{"13.6.2018 klo 21.25.15 - a: m", "dmy", formDash, "2018-06-13 21:25:15", "a: m"},
		{"15.04.2016, 15:04 - x: y", "dmy", formDash, "2016-04-15 15:04:00", "x: y"},
		{"03-06-2018, 01.55 PM - x: y", "dmy", formDash, "2018-06-03 13:55:00", "x: y"},
		{"2019/01/01, 11:25 - John Doe: Lorem", "ymd", formDash, "2019-01-01 11:25:00", "John Doe: Lorem"},
		{"12/07/2017, 22:35 – Name: en dash", "dmy", formDash, "2017-07-12 22:35:00", "Name: en dash"},
		{"[29/11/2018, 10:50:41] Josh: Yo", "dmy", formBracket, "2018-11-29 10:50:41", "Josh: Yo"},
		{"[20.06.19, 15:58:47] Loris: hi", "dmy", formBracket, "2019-06-20 15:58:47", "Loris: hi"},
		{"[3/17/23, 9:05:42\u202fAM] Ada: hi", "mdy", formBracket, "2023-03-17 09:05:42", "Ada: hi"},
		{"[3/6/18 1:55:00 p. m.] a: m", "mdy", formBracket, "2018-03-06 13:55:00", "a: m"},
		{"[2018/06/13, 21:25:15] a: m", "ymd", formBracket, "2018-06-13 21:25:15", "a: m"},
		{"[06/2018/13, 21:25:15] a: m", "myd", formBracket, "2018-06-13 21:25:15", "a: m"},
		{"[01/01/19 11:25] John Doe: x", "mdy", formBracket, "2019-01-01 11:25:00", "John Doe: x"},
		{"\u200e[20.06.19, 15:58:47] Loris: \u200e<attached: x.jpg>", "dmy", formBracket, "2019-06-20 15:58:47", "Loris: \u200e<attached: x.jpg>"},
		{"\ufeff[20.06.19, 15:58:47] Loris: bom", "dmy", formBracket, "2019-06-20 15:58:47", "Loris: bom"},
		{"28-09-16 11:20:19: Tara: text", "dmy", formColon, "2016-09-28 11:20:19", "Tara: text"},
		{"12.07.2017, 22:35:22: Name: text", "dmy", formColon, "2017-07-12 22:35:22", "Name: text"},
		{"13.06.18 21.25.15: a: m", "dmy", formColon, "2018-06-13 21:25:15", "a: m"},
		{"13. 6. 2018. 21:25:15 a: m", "dmy", formColon, "2018-06-13 21:25:15", "a: m"},
		{"12/07/2017, 22:35 - ", "dmy", formDash, "2017-07-12 22:35:00", ""},
	}
	for _, tt := range tests {
		h, ok := parseHeader(tt.line)
		if !ok {
			t.Errorf("parseHeader(%q) did not recognise a header", tt.line)
			continue
		}
		if h.form != tt.form {
			t.Errorf("parseHeader(%q) form %c, want %c", tt.line, h.form, tt.form)
		}
		if got := tt.line[h.body:]; got != tt.body {
			t.Errorf("parseHeader(%q) body %q, want %q", tt.line, got, tt.body)
		}
		at, err := h.wallClock(tt.order, time.UTC)
		if err != nil {
			t.Errorf("wallClock(%q, %s): %v", tt.line, tt.order, err)
			continue
		}
		if got := at.Format("2006-01-02 15:04:05"); got != tt.want {
			t.Errorf("wallClock(%q, %s) = %s, want %s", tt.line, tt.order, got, tt.want)
		}
	}
}

func TestParseHeaderRejects(t *testing.T) {
	for _, line := range []string{
		"",
		"hello there",
		"12/07/2017",                        // no time
		"12/07/2017, 22:35",                 // no separator after the time
		"12/07/2017, 22:35 Name: text",      // no " - " (and not the dotted form)
		"12/07/2017, 25:35 - Name: text",    // hour 25
		"12/07/2017, 22:61 - Name: text",    // minute 61
		"12/07/2017, 13:35 PM - Name: x",    // 13 PM
		"12/07-2017, 22:35 - Name: text",    // mixed separators
		"2019/2020/01, 11:25 - x: y",        // two years
		"12345/07/2017, 22:35 - Name: text", // five digits
		"[12/07/2017, 22:35 Name: text",     // no closing bracket
		"12/07/201722:35 - Name: text",      // nothing between date and time
		"12/07/2017, 22:35 amber - x: y",    // "am" followed by letters is a word
		"version 1.2.3, 4:56 - notes",       // text first
		"12/07/2017, 22:35 -Name: text",     // dash not followed by a space
	} {
		if h, ok := parseHeader(line); ok {
			t.Errorf("parseHeader(%q) = %+v, want no header", line, h)
		}
	}
}

func TestWallClockRejectsImpossibleDates(t *testing.T) {
	for _, tt := range []struct {
		line  string
		order Order
	}{
		{"31/02/2019, 10:00 - a: b", "dmy"},
		{"13/01/2019, 10:00 - a: b", "mdy"},
		{"29/02/2019, 10:00 - a: b", "dmy"}, // 2019 is not a leap year
		{"00/01/2019, 10:00 - a: b", "dmy"},
		{"1/1/019, 10:00 - a: b", "dmy"}, // three-digit year
	} {
		h, ok := parseHeader(tt.line)
		if !ok {
			t.Fatalf("parseHeader(%q) failed", tt.line)
		}
		if at, err := h.wallClock(tt.order, time.UTC); err == nil {
			t.Errorf("wallClock(%q, %s) = %v, want an error", tt.line, tt.order, at)
		}
	}
	h, _ := parseHeader("29/02/2020, 10:00 - a: b")
	if _, err := h.wallClock("dmy", time.UTC); err != nil {
		t.Errorf("29 February 2020 (leap year): %v", err)
	}
}

func TestWallClockInLocation(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*3600)
	h, _ := parseHeader("[20.06.19, 15:58:47] Loris: hi")
	at, err := h.wallClock("dmy", loc)
	if err != nil {
		t.Fatal(err)
	}
	if got := at.UTC().Format(time.RFC3339); got != "2019-06-20T13:58:47Z" {
		t.Errorf("15:58:47 at UTC+2 = %s UTC, want 13:58:47", got)
	}
}

func TestParseOrder(t *testing.T) {
	for in, want := range map[string]Order{"": "", "auto": "", "AUTO": "", "dmy": "dmy", "MDY": "mdy", " ymd ": "ymd", "ydm": "ydm"} {
		got, err := ParseOrder(in)
		if err != nil || got != want {
			t.Errorf("ParseOrder(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"dd", "dmm", "xyz", "dmyy", "day"} {
		if _, err := ParseOrder(in); err == nil {
			t.Errorf("ParseOrder(%q) accepted", in)
		}
	}
}

// Spec §9.3: the order is decided per file, by the rule that applies first.
func TestDateOrderInference(t *testing.T) {
	tests := []struct {
		name  string
		dates []string // header lines
		want  Order
		basis string // a word the basis must contain
	}{
		{"day above 12 first", []string{"01/02/19, 10:00 - a: b", "25/02/19, 10:00 - a: b"}, "dmy", "first"},
		{"day above 12 second", []string{"02/01/19, 10:00 - a: b", "02/25/19, 10:00 - a: b"}, "mdy", "second"},
		{"four-digit year first", []string{"2019/01/02, 10:00 - a: b", "2019/01/03, 10:00 - a: b"}, "ymd", "four digits"},
		{"four-digit year first, day above 12", []string{"2019/13/02, 10:00 - a: b"}, "ydm", "four digits"},
		{"year in the middle", []string{"[06/2018/13, 21:25:15] a: m"}, "myd", "four digits"},
		{"day decreases within a year (day first)", []string{
			"11/01/19, 10:00 - a: b", "12/01/19, 10:00 - a: b", "01/02/19, 10:00 - a: b", "02/02/19, 10:00 - a: b"}, "dmy", "decreases"},
		{"day decreases within a year (month first)", []string{
			"01/11/19, 10:00 - a: b", "01/12/19, 10:00 - a: b", "02/01/19, 10:00 - a: b", "02/02/19, 10:00 - a: b"}, "mdy", "decreases"},
		{"changes more often", []string{"01/01/19, 10:00 - a: b", "02/01/19, 10:00 - a: b", "03/01/19, 10:00 - a: b"}, "dmy", "changes more often"},
		{"12-hour clock guess", []string{"01/01/19, 10:00 AM - a: b", "01/01/19, 11:00 AM - a: b"}, "mdy", "12-hour"},
		{"24-hour clock guess", []string{"01/01/19, 10:00 - a: b", "01/01/19, 11:00 - a: b"}, "dmy", "24-hour"},
	}
	for _, tt := range tests {
		var v orderVote
		for _, l := range tt.dates {
			h, ok := parseHeader(l)
			if !ok {
				t.Fatalf("%s: parseHeader(%q) failed", tt.name, l)
			}
			v.add(&h)
		}
		got, basis := v.decide()
		if got != tt.want || !strings.Contains(basis, tt.basis) {
			t.Errorf("%s: order %s (%s), want %s (%q)", tt.name, got, basis, tt.want, tt.basis)
		}
	}
}
