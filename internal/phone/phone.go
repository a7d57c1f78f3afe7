// Package phone turns WhatsApp identifiers and the phone numbers they carry
// into E.164 numbers and ISO 3166 countries, using Google's libphonenumber
// metadata (github.com/nyaruka/phonenumbers).
package phone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Number is an international phone number.
type Number struct {
	// E164 is "+" followed by the digits (calling code and national
	// number).
	E164 string
	// CallingCode is the country calling code (34 for Spain, 1 for the
	// North American plan); it is known even when the region is not.
	CallingCode int
	// Region is the ISO 3166 alpha-2 code of the number's country, "" when
	// it cannot be told: a calling code shared by several countries (+1,
	// +7, +44 …) with a number libphonenumber does not recognise, or a
	// non-geographic code (+800, +882 …).
	Region string
	// Valid reports whether libphonenumber knows the number as a valid
	// number of Region (fictitious or new ranges may not be).
	Valid bool
}

// ErrNotNumber is returned for text that is not an international number.
var ErrNotNumber = errors.New("not an international phone number")

// FromDigits reads the digits of an E.164 number written without "+" (the
// user part of a person JID, a wa.me link).
func FromDigits(digits string) (Number, error) {
	if !allDigits(digits) {
		return Number{}, fmt.Errorf("%q: %w (digits only expected)", digits, ErrNotNumber)
	}
	return fromE164Digits(digits)
}

// Parse reads an international number as people and exports write it:
// "+33 6 99 88 77 66", "+1 (202) 555-0143", "+49-151-2345-6789",
// "0034 600 000 001" (00 international prefix), with spaces, dots, dashes,
// parentheses, non-breaking spaces and the bidirectional marks exports
// carry. A number without "+" or "00" has no country and is refused.
func Parse(s string) (Number, error) {
	var b strings.Builder
	plus := false
	seenDigit := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			seenDigit = true
		case digitValue(r) >= 0:
			// Arabic-Indic, Persian, Devanagari and full-width digits.
			b.WriteByte(byte('0' + digitValue(r)))
			seenDigit = true
		case r == '+' && !seenDigit && !plus:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' ||
			r == '\u00a0' || r == '\u202f' || r == '\u2007' || r == '\u2011' || r == '\u2010' ||
			r == '\u200e' || r == '\u200f' || r == '\u202a' || r == '\u202c' || r == '\u2068' || r == '\u2069' || r == '\t':
		default:
			return Number{}, fmt.Errorf("%q: %w (unexpected %q)", s, ErrNotNumber, r)
		}
	}
	d := b.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	default:
		return Number{}, fmt.Errorf("%q: %w (no + or 00 prefix, so no country)", s, ErrNotNumber)
	}
	return fromE164Digits(d)
}

// digitValue is the value of a non-ASCII decimal digit, -1 for anything
// else.
func digitValue(r rune) int {
	for _, zero := range []rune{'\u0660', '\u06f0', '\u0966', '\uff10'} {
		if r >= zero && r < zero+10 {
			return int(r - zero)
		}
	}
	return -1
}

func fromE164Digits(d string) (Number, error) {
	if len(d) < 6 || len(d) > 15 {
		return Number{}, fmt.Errorf("%q: %w (%d digits; E.164 numbers have 6 to 15)", d, ErrNotNumber, len(d))
	}
	if d[0] == '0' {
		return Number{}, fmt.Errorf("%q: %w (a calling code never starts with 0)", d, ErrNotNumber)
	}
	n := Number{E164: "+" + d}
	// Fast path: the calling code is a prefix of 1 to 3 digits (calling
	// codes are prefix-free), the rest the national number; parsing the
	// text again, as libphonenumber's Parse does, costs four times more.
	for l := 1; l <= 3 && l < len(d); l++ {
		cc, _ := strconv.Atoi(d[:l])
		if !callingCodes()[cc] {
			continue
		}
		if d[l] == '0' {
			break // a national number with leading zeros (Italy): let Parse handle it
		}
		nat, err := strconv.ParseUint(d[l:], 10, 64)
		if err != nil {
			break
		}
		c32 := int32(cc)
		pn := &phonenumbers.PhoneNumber{CountryCode: &c32, NationalNumber: &nat}
		return classify(n, pn), nil
	}
	pn, err := phonenumbers.Parse(n.E164, "")
	if err == nil && pn.GetCountryCode() != 0 {
		return classify(n, pn), nil
	}
	// libphonenumber refuses some numbers outright; find the calling code
	// ourselves (codes are 1 to 3 digits and prefix-free).
	for l := 1; l <= 3 && l < len(d); l++ {
		cc, _ := strconv.Atoi(d[:l])
		if callingCodes()[cc] {
			n.CallingCode = cc
			if regions := phonenumbers.GetRegionCodesForCountryCode(cc); len(regions) == 1 {
				n.Region = region(regions[0])
			}
			return n, nil
		}
	}
	return Number{}, fmt.Errorf("%q: %w (no country calling code)", d, ErrNotNumber)
}

// classify fills in the calling code, validity and region of a parsed
// number.
func classify(n Number, pn *phonenumbers.PhoneNumber) Number {
	n.CallingCode = int(pn.GetCountryCode())
	if phonenumbers.IsValidNumber(pn) {
		n.Valid = true
		n.Region = region(phonenumbers.GetRegionCodeForNumber(pn))
	}
	if n.Region == "" {
		regions := phonenumbers.GetRegionCodesForCountryCode(n.CallingCode)
		if len(regions) == 1 {
			n.Region = region(regions[0])
		}
	}
	return n
}

var callingCodes = sync.OnceValue(phonenumbers.GetSupportedCallingCodes)

// region turns libphonenumber's region into ISO alpha-2 or "" ("ZZ" is
// unknown, "001" non-geographic).
func region(r string) string {
	if len(r) != 2 || r == "ZZ" {
		return ""
	}
	return r
}

// Digits returns the E.164 number without its "+".
func (n Number) Digits() string { return strings.TrimPrefix(n.E164, "+") }

// String returns the E.164 form.
func (n Number) String() string { return n.E164 }
