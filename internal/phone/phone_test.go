package phone

import (
	"errors"
	"testing"
	"time"
)

// Fictitious numbers, one or two per country of the operation, in ranges
// libphonenumber's metadata accepts as mobile numbers of that country.
var operation = []struct {
	digits string
	cc     int
	region string
}{
	{"34600000001", 34, "ES"},
	{"573000000001", 57, "CO"},
	{"393200000001", 39, "IT"}, // +39 is shared with the Vatican: the number decides
	{"4915100000001", 49, "DE"},
	{"59170000001", 591, "BO"},
	{"50683123456", 506, "CR"},
	{"595981000001", 595, "PY"},
	{"56960000001", 56, "CL"},
	{"50370000001", 503, "SV"},
	{"351912000001", 351, "PT"},
	{"12025550143", 1, "US"}, // NANP: the area code decides
	{"16135550143", 1, "CA"},
	{"18095550123", 1, "DO"},
	{"17875550123", 1, "PR"},
}

func TestFromDigitsCountries(t *testing.T) {
	for _, c := range operation {
		n, err := FromDigits(c.digits)
		if err != nil {
			t.Errorf("%s: %v", c.digits, err)
			continue
		}
		if n.E164 != "+"+c.digits || n.CallingCode != c.cc || n.Region != c.region || !n.Valid {
			t.Errorf("%s: got %s cc %d region %q valid %v, want cc %d region %s valid", c.digits, n.E164, n.CallingCode, n.Region, n.Valid, c.cc, c.region)
		}
		if n.Digits() != c.digits {
			t.Errorf("%s: Digits() = %s", c.digits, n.Digits())
		}
	}
}

func TestAmbiguousRegionKeepsCallingCode(t *testing.T) {
	for _, c := range []struct {
		digits string
		cc     int
		region string
	}{
		{"447700900123", 44, ""},   // Ofcom drama range: not valid, +44 shared by GB, GG, IM, JE
		{"15550100000", 1, ""},     // 555 is no NANP area code: region unknown, calling code 1
		{"50680000001", 506, "CR"}, // not a valid Costa Rican range, but +506 is only Costa Rica
		{"80012345678", 800, ""},   // international freephone: non-geographic
	} {
		n, err := FromDigits(c.digits)
		if err != nil {
			t.Errorf("%s: %v", c.digits, err)
			continue
		}
		if n.CallingCode != c.cc || n.Region != c.region {
			t.Errorf("%s: cc %d region %q, want cc %d region %q", c.digits, n.CallingCode, n.Region, c.cc, c.region)
		}
		if n.E164 != "+"+c.digits {
			t.Errorf("%s: E164 %s", c.digits, n.E164)
		}
	}
}

func TestFromDigitsRefuses(t *testing.T) {
	for _, s := range []string{"", "0-Text", "MessageFromToday", "0034600000001", "12345", "1234567890123456", "34 600", "+34600000001"} {
		if n, err := FromDigits(s); err == nil || !errors.Is(err, ErrNotNumber) {
			t.Errorf("%q: got %v, %v; want ErrNotNumber", s, n, err)
		}
	}
}

func TestParseFormatted(t *testing.T) {
	for _, c := range []struct{ in, e164, region string }{
		{"+33 6 99 88 77 66", "+33699887766", "FR"},
		{"+34 600 00 00 01", "+34600000001", "ES"},
		{"+57 300 0000001", "+573000000001", "CO"},
		{"+39 320 000 0001", "+393200000001", "IT"},
		{"+49 151 00000001", "+4915100000001", "DE"},
		{"+49-151-0000-0001", "+4915100000001", "DE"},
		{"+591 70000001", "+59170000001", "BO"},
		{"+506 8312 3456", "+50683123456", "CR"},
		{"+595 981 000001", "+595981000001", "PY"},
		{"+56 9 6000 0001", "+56960000001", "CL"},
		{"+503 7000 0001", "+50370000001", "SV"},
		{"+351 912 000 001", "+351912000001", "PT"},
		{"+1 (202) 555-0143", "+12025550143", "US"},
		{"+39 06 4567 0001", "+390645670001", "IT"}, // Italian fixed line: the national number keeps its 0
		{"+39 06 6988 0001", "+390669880001", "VA"}, // +39 06 698: the Vatican
		{"+7 701 123 4567", "+77011234567", "KZ"},   // +7 shared by Russia and Kazakhstan
		{"+1 613.555.0143", "+16135550143", "CA"},
		{"0034 600 000 001", "+34600000001", "ES"},
		{"\u200e+34\u00a0600\u00a0000\u00a0001\u200f", "+34600000001", "ES"}, // marks and NBSP as exports write them
		{"+34\u202f600\u202f000\u202f001", "+34600000001", "ES"},             // narrow no-break space
		{"+٣٤ ٦٠٠ ٠٠٠ ٠٠١", "+34600000001", "ES"},                            // Arabic-Indic digits
	} {
		n, err := Parse(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if n.E164 != c.e164 || n.Region != c.region {
			t.Errorf("%q: got %s %q, want %s %s", c.in, n.E164, n.Region, c.e164, c.region)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"600 000 001", "Maria", "+34 600 000 001 ext", "++34600000001", "3+4600000001", "+", ""} {
		if n, err := Parse(s); err == nil {
			t.Errorf("%q: accepted as %s", s, n.E164)
		}
	}
}

func TestParseJID(t *testing.T) {
	for _, c := range []struct {
		in            string
		user          string
		agent, device int
		server        string
		kind          Kind
		bare, str     string
	}{
		{"34600000001@s.whatsapp.net", "34600000001", 0, 0, "s.whatsapp.net", KindPerson, "34600000001@s.whatsapp.net", "34600000001@s.whatsapp.net"},
		{"34600000001.0:0@s.whatsapp.net", "34600000001", 0, 0, "s.whatsapp.net", KindPerson, "34600000001@s.whatsapp.net", "34600000001@s.whatsapp.net"},
		{"34600000001.0:12@S.WhatsApp.Net", "34600000001", 0, 12, "s.whatsapp.net", KindPerson, "34600000001@s.whatsapp.net", "34600000001.0:12@s.whatsapp.net"},
		{"34600000001:3@s.whatsapp.net", "34600000001", 0, 3, "s.whatsapp.net", KindPerson, "34600000001@s.whatsapp.net", "34600000001.0:3@s.whatsapp.net"},
		{"34600000001@c.us", "34600000001", 0, 0, "c.us", KindPerson, "34600000001@s.whatsapp.net", "34600000001@c.us"},
		{"100000000000001@lid", "100000000000001", 0, 0, "lid", KindLID, "100000000000001@lid", "100000000000001@lid"},
		{"100000000000001:5@lid", "100000000000001", 0, 5, "lid", KindLID, "100000000000001@lid", "100000000000001.0:5@lid"},
		{"34600000001-1559589144@g.us", "34600000001-1559589144", 0, 0, "g.us", KindGroup, "34600000001-1559589144@g.us", "34600000001-1559589144@g.us"},
		{"120363000000000001@g.us", "120363000000000001", 0, 0, "g.us", KindGroup, "120363000000000001@g.us", "120363000000000001@g.us"},
		{"status@broadcast", "status", 0, 0, "broadcast", KindStatus, "status@broadcast", "status@broadcast"},
		{"1559589144@broadcast", "1559589144", 0, 0, "broadcast", KindBroadcast, "1559589144@broadcast", "1559589144@broadcast"},
		{"120363000000000002@newsletter", "120363000000000002", 0, 0, "newsletter", KindNewsletter, "120363000000000002@newsletter", "120363000000000002@newsletter"},
		{"status_me", "", 0, 0, "status_me", KindStatusMe, "status_me", "status_me"},
		{"lid_me", "", 0, 0, "lid_me", KindLIDMe, "lid_me", "lid_me"},
		{"13135550002@bot", "13135550002", 0, 0, "bot", KindBot, "13135550002@bot", "13135550002@bot"},
		{"0-Text@s.whatsapp.net", "0-Text", 0, 0, "s.whatsapp.net", KindPerson, "0-Text@s.whatsapp.net", "0-Text@s.whatsapp.net"},
		{"x@example.org", "x", 0, 0, "example.org", KindOther, "x@example.org", "x@example.org"},
	} {
		j, err := ParseJID(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if j.User != c.user || j.Agent != c.agent || j.Device != c.device || j.Server != c.server {
			t.Errorf("%q: parsed %+v", c.in, j)
		}
		if j.Kind() != c.kind || j.Bare() != c.bare || j.String() != c.str {
			t.Errorf("%q: kind %s bare %s string %s, want %s %s %s", c.in, j.Kind(), j.Bare(), j.String(), c.kind, c.bare, c.str)
		}
	}
	for _, s := range []string{"", "34600000001", "@s.whatsapp.net@", "34600000001@", "a@b@c d", "346.x:1@s.whatsapp.net", "346:x@s.whatsapp.net", "346:-1@lid"} {
		if j, err := ParseJID(s); err == nil {
			t.Errorf("%q: accepted as %+v", s, j)
		}
	}
}

func TestJIDNumber(t *testing.T) {
	j, _ := ParseJID("573000000001.0:2@s.whatsapp.net")
	n, ok := j.Number()
	if !ok || n.E164 != "+573000000001" || n.Region != "CO" {
		t.Fatalf("device JID number: %v %v", n, ok)
	}
	if PersonJID(n) != "573000000001@s.whatsapp.net" {
		t.Fatalf("PersonJID: %s", PersonJID(n))
	}
	for _, s := range []string{"100000000000001@lid", "34600000001-1559589144@g.us", "status_me", "0-Text@s.whatsapp.net"} {
		j, _ := ParseJID(s)
		if n, ok := j.Number(); ok {
			t.Errorf("%s: has number %s", s, n.E164)
		}
	}
}

func TestGroupOrigin(t *testing.T) {
	j, _ := ParseJID("59170000001-1559589144@g.us")
	o, ok := ParseGroupOrigin(j)
	if !ok {
		t.Fatal("old-style group JID not decoded")
	}
	if o.Creator.E164 != "+59170000001" || o.Creator.Region != "BO" {
		t.Errorf("creator %v", o.Creator)
	}
	if want := time.Date(2019, 6, 3, 19, 12, 24, 0, time.UTC); !o.Created.Equal(want) {
		t.Errorf("created %v, want %v", o.Created, want)
	}
	for _, s := range []string{"120363000000000001@g.us", "4917612345000-12@g.us", "x-1559589144@g.us", "34600000001-@g.us",
		"34600000001-1559589144@s.whatsapp.net", "34600000001-99999999999@g.us", "34600000001-15595a9144@g.us"} {
		j, _ := ParseJID(s)
		if o, ok := ParseGroupOrigin(j); ok {
			t.Errorf("%s: decoded as %+v", s, o)
		}
	}
}

func TestBareJID(t *testing.T) {
	if b, ok := BareJID("34600000001.0:4@s.whatsapp.net"); !ok || b != "34600000001@s.whatsapp.net" {
		t.Errorf("BareJID: %s %v", b, ok)
	}
	if b, ok := BareJID("name:Maria"); ok || b != "name:Maria" {
		t.Errorf("BareJID of a non-JID: %s %v", b, ok)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"+33 6 99 88 77 66", "0034 600 000 001", "\u200e+34\u00a0600", "+1 (202) 555-0143", "+٣٤ ٦٠٠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if len(n.E164) < 7 || n.E164[0] != '+' || !allDigits(n.E164[1:]) || n.CallingCode == 0 {
			t.Fatalf("%q parsed as %+v", s, n)
		}
		if len(n.Region) != 0 && len(n.Region) != 2 {
			t.Fatalf("%q: region %q", s, n.Region)
		}
	})
}

func FuzzParseJID(f *testing.F) {
	for _, s := range []string{"34600000001.0:12@s.whatsapp.net", "status_me", "100000000000001@lid", "34600000001-1559589144@g.us", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := ParseJID(s)
		if err != nil {
			return
		}
		// The string form parses back to the same JID.
		k, err := ParseJID(j.String())
		if err != nil || k.User != j.User || k.Device != j.Device || k.Agent != j.Agent || k.Server != j.Server {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, j, j.String(), k, err)
		}
		j.Number()
		ParseGroupOrigin(j)
	})
}
