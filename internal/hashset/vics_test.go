package hashset

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakePhotoDNA is 144 made-up bytes, in base64 and hex.
func fakePhotoDNA(i int) (b64, hx string) {
	b := bytes.Repeat([]byte{byte(i), byte(i >> 8), byte(i>>16) ^ 0x5a}, 48)
	return base64.StdEncoding.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b))
}

// vicsHashSet is a 2.0 #Media hash set that carries every quirk of
// domain.md §1.6 a hash set can carry.
func vicsHashSet() string {
	pdnaB64, _ := fakePhotoDNA(1)
	_, pdnaHex := fakePhotoDNA(2)
	pdnaAlt, _ := fakePhotoDNA(3)
	r := strings.NewReplacer(
		"$MD5_1", upper(fakeMD5(1)), "$SHA1_1", upper(fakeSHA1(1)), "$SHA256_1", upper(fakeSHA256(1)),
		"$MD5_2", mixedCase(fakeMD5(2)), "$SHA1_2", fakeSHA1(2),
		"$MD5_3", fakeMD5(3), "$SHA256_3", mixedCase(fakeSHA256(3)),
		"$MD5_4", fakeMD5(4), "$MD5_5", fakeMD5(5), "$MD5_6", fakeMD5(6),
		"$PDNA_B64", pdnaB64, "$PDNA_HEX", pdnaHex, "$PDNA_ALT", pdnaAlt,
		"$PDQ_6", upper(fakePDQ(6)),
	)
	return "\xEF\xBB\xBF" + r.Replace(`{
  "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
  "value": [
    { "odata.id": "Media('x')", "MediaID": 1, "Category": 1, "MD5": "$MD5_1", "SHA1": "$SHA1_1",
      "MediaSize": 2835, "DateUpdated": "2023-06-07T02:31:49.8300Z", "IsPrecategorized": "false",
      "VictimIdentified": true, "OffenderIdentified": "FALSE", "IsDistributed": "True",
      "Series": "Series A", "Tags": "t1,t2", "Comments": "made up",
      "PhotoDNA": "$PDNA_B64", "MimeType": "image/jpeg",
      "AlternativeHashes": [ { "MD5": "$MD5_1", "HashName": "SHA256", "HashValue": "$SHA256_1" },
                             { "MD5": "$MD5_1", "HashName": "EDK", "HashValue": "whatever" } ],
      "MediaFiles@odata.navigationLinkUrl": "/Media($MD5_1)/MediaFiles",
      "MediaFiles": [ { "FileName": "a.jpg", "Unallocated": "false" } ] },
    { "mediaid": "2", "category": "0", "md5": "$MD5_2", "Sha1": "$SHA1_2", "mediasize": "17",
      "DateUpdated": "2017-04-18T10:00:00.1234567+02:00", "PhotoDNA": "$PDNA_HEX",
      "Agency": "not a VICS key", "Case No.": {"nested": [1, 2, {"deep": null}]} },
    { "MediaID": 3, "Category": null, "MD5": "$MD5_3", "DateUpdated": "/Date(1496275200000)/",
      "AlternativeHashes": [ { "HashName": "sha256", "HashValue": "$SHA256_3" },
                             { "HashName": "PhotoDNA", "HashValue": "$PDNA_ALT" } ],
      "VictimIdentified": null, "IsDistributed": "" },
    { "MediaID": 4, "MD5": "$MD5_4", "DateUpdated": "6/1/2017 8:00:00 AM", "MediaSize": "-1" },
    { "MediaID": 5, "CATEGORY": 9, "MD5": "$MD5_5", "DateUpdated": "2016-06-01T08:00:00+05:00Z",
      "Tags": ["x", "y"] },
    { "MediaID": 6, "Category": "4", "MD5": "$MD5_6",
      "AlternativeHashes": [ { "HashName": "PDQ", "HashValue": "$PDQ_6" } ],
      "MediaMetadata": [ { "PropertyName": "PDQQuality", "PropertyValue": "87" } ] }
  ]
}
`)
}

func mixedCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 && b[i] >= 'a' && b[i] <= 'f' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

func TestVICSHashSetQuirks(t *testing.T) {
	path := writeFile(t, "set.json", []byte(vicsHashSet()))
	if f, err := Detect(path); err != nil || f != VICS {
		t.Fatalf("Detect = %q, %v; want vics", f, err)
	}
	got, meta := mustReadAll(t, path, Options{})
	if meta.Format != VICS || meta.Version != "2.0" || meta.Profile != "US" || meta.Shape != "Media" {
		t.Errorf("meta = %+v; want vics 2.0 US Media", meta)
	}
	if len(got) != 6 || meta.Records != 6 {
		t.Fatalf("got %d entries (meta %d), want 6", len(got), meta.Records)
	}
	pdnaB64, _ := fakePhotoDNA(1)
	pdna2, _ := fakePhotoDNA(2) // written as hex, read back as base64
	pdna3, _ := fakePhotoDNA(3)
	want := []Entry{
		{MD5: fakeMD5(1), SHA1: fakeSHA1(1), SHA256: fakeSHA256(1), PDQQuality: -1, PhotoDNA: pdnaB64,
			Category: intp(1), Series: "Series A", Tags: "t1,t2", Comments: "made up",
			VictimIdentified: boolp(true), OffenderIdentified: boolp(false), Distributed: boolp(true),
			Size: 2835, Updated: time.Date(2023, 6, 7, 2, 31, 49, 830000000, time.UTC)},
		{MD5: fakeMD5(2), SHA1: fakeSHA1(2), PDQQuality: -1, PhotoDNA: pdna2, Category: intp(0), Size: 17,
			Updated: time.Date(2017, 4, 18, 8, 0, 0, 123456700, time.UTC)},
		{MD5: fakeMD5(3), SHA256: fakeSHA256(3), PDQQuality: -1, PhotoDNA: pdna3, Size: -1,
			Updated: time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)},
		{MD5: fakeMD5(4), PDQQuality: -1, Size: -1, Updated: time.Date(2017, 6, 1, 8, 0, 0, 0, time.UTC)},
		{MD5: fakeMD5(5), PDQQuality: -1, Size: -1, Category: intp(9), Tags: "x, y",
			Updated: time.Date(2016, 6, 1, 3, 0, 0, 0, time.UTC)},
		{MD5: fakeMD5(6), PDQ: fakePDQ(6), PDQQuality: 87, Size: -1, Category: intp(4)},
	}
	for i := range want {
		if d := entryDiff(got[i], want[i]); d != "" {
			t.Errorf("entry %d: %s", i+1, d)
		}
		if got[i].Line != int64(i+1) {
			t.Errorf("entry %d: Line = %d", i+1, got[i].Line)
		}
		if got[i].Ref != fmt.Sprint(i+1) {
			t.Errorf("entry %d: Ref = %q", i+1, got[i].Ref)
		}
	}
	if len(got[0].Extra) != 1 || got[0].Extra[0] != (Field{"MimeType", "image/jpeg"}) {
		t.Errorf("entry 1 Extra = %v, want MimeType image/jpeg", got[0].Extra)
	}
	// null and absent categories stay nil, 0 stays 0.
	if got[2].Category != nil || got[3].Category != nil || got[1].Category == nil || *got[1].Category != 0 {
		t.Errorf("categories: %s %s %s", fmtPtr(got[1].Category), fmtPtr(got[2].Category), fmtPtr(got[3].Category))
	}
	// Category 9 is not a US code: kept, with a warning.
	if !strings.Contains(strings.Join(meta.Warnings, "\n"), "category 9 is not a code of profile US") {
		t.Errorf("no warning about category 9 in %q", meta.Warnings)
	}
}

func TestVICSCaseExport(t *testing.T) {
	doc := strings.NewReplacer("$MD5_1", fakeMD5(1), "$MD5_2", upper(fakeMD5(2)), "$MD5_3", fakeMD5(3)).Replace(`{
  "value": [
   { "CaseID": "{3F1C2B8E-0000-4000-8000-000000000001}", "CaseNumber": "EXAMPLE-1",
     "ContactOrganization": "Example Unit", "SourceApplicationName": "Tool", "SourceApplicationVersion": "1.0",
     "TotalMediaFiles": 99, "SeizureDate": "2017-04-18T10:00:00Z",
     "Media": [
       { "MediaID": 1, "MD5": "$MD5_1", "Category": 2, "IsPrecategorized": true,
         "MediaFiles": [ { "MD5": "$MD5_1", "FileName": "IMG_0001.JPG", "FilePath": "Partition 1\\DCIM\\" } ] },
       { "MediaID": 2, "MD5": "$MD5_2", "Category": null, "IsPrecategorized": true }
     ],
     "CaseMetadata": [ { "PropertyName": "x", "PropertyValue": "y" } ] },
   { "CaseID": "3f1c2b8e-0000-4000-8000-000000000002", "Media": [ { "MediaID": 1, "MD5": "$MD5_3", "Category": 3 } ] }
  ],
  "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases"
}`)
	// The model key comes last here: the reader must tell the shape from
	// the elements.
	path := writeFile(t, "case.json", []byte(doc))
	got, meta := mustReadAll(t, path, Options{})
	if meta.Version != "1.3" || meta.Shape != "Cases" || meta.Profile != "US" {
		t.Errorf("meta = %+v", meta)
	}
	if len(got) != 3 {
		t.Fatalf("got %d entries, want 3", len(got))
	}
	wantMD5 := []string{fakeMD5(1), fakeMD5(2), fakeMD5(3)}
	wantCat := []string{"2", "nil", "3"}
	for i := range got {
		if got[i].MD5 != wantMD5[i] || fmtPtr(got[i].Category) != wantCat[i] || got[i].Line != int64(i+1) {
			t.Errorf("entry %d = %s cat %s line %d", i, got[i].MD5, fmtPtr(got[i].Category), got[i].Line)
		}
	}
	if len(meta.Cases) != 2 {
		t.Fatalf("cases = %+v", meta.Cases)
	}
	c := meta.Cases[0]
	if c.ID != "3f1c2b8e-0000-4000-8000-000000000001" || c.Number != "EXAMPLE-1" || c.Organization != "Example Unit" ||
		c.Application != "Tool 1.0" || c.Media != 2 || !c.SeizureDate.Equal(time.Date(2017, 4, 18, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("case 1 = %+v", c)
	}
	if meta.Cases[1].Media != 1 {
		t.Errorf("case 2 = %+v", meta.Cases[1])
	}
}

func TestVICSCaseExport20WithShape(t *testing.T) {
	doc := `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Cases",
	"value":[{"CaseID":"{3F1C2B8E-0000-4000-8000-000000000001}","Media":[{"MD5":"` + fakeMD5(1) + `","Category":7}]}]}`
	got, meta := mustReadAll(t, writeFile(t, "uk.json", []byte(doc)), Options{})
	if meta.Profile != "UK" || meta.Shape != "Cases" || meta.Version != "2.0" {
		t.Errorf("meta = %+v", meta)
	}
	// UK codes are not published: kept raw, no warning.
	if len(got) != 1 || fmtPtr(got[0].Category) != "7" || len(meta.Warnings) != 0 {
		t.Errorf("got %+v, warnings %q", got, meta.Warnings)
	}
	if _, ok := LookupProfile(meta.Profile).CategoryName(7); ok {
		t.Error("UK profile names code 7")
	}
}

func TestVICSProfileOverride(t *testing.T) {
	doc := `{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media",
	"value":[{"MD5":"` + fakeMD5(1) + `","Category":5},{"MD5":"` + fakeMD5(2) + `","Category":"CAT-1: Child Exploitation (Illegal)"}]}`
	path := writeFile(t, "dhs.json", []byte(doc))
	got, meta := mustReadAll(t, path, Options{Profile: "dhs"})
	if meta.Profile != "DHS" || len(meta.Warnings) != 0 {
		t.Errorf("meta = %+v", meta)
	}
	if fmtPtr(got[0].Category) != "5" || fmtPtr(got[1].Category) != "1" {
		t.Errorf("categories %s %s, want 5 1", fmtPtr(got[0].Category), fmtPtr(got[1].Category))
	}
	if n := CategoryName("DHS", 5); n != "Non-pertinent" {
		t.Errorf("DHS 5 = %q", n)
	}
	// Without the override the file is read as US: 5 is kept, with a warning,
	// and the DHS name is not a US category.
	_, _, err := readAll(t, path, Options{})
	if err == nil || !strings.Contains(err.Error(), "record 2") || !strings.Contains(err.Error(), "neither a code nor a category name of profile US") {
		t.Errorf("US read: err = %v", err)
	}
}

func TestVICSBareArray(t *testing.T) {
	doc := `[{"MD5":"` + fakeMD5(1) + `"},{"md5":"` + fakeMD5(2) + `","SHA1":null}]`
	path := writeFile(t, "bare.json", []byte(doc))
	if f, err := Detect(path); f != VICS || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	got, _ := mustReadAll(t, path, Options{})
	if len(got) != 2 || got[1].MD5 != fakeMD5(2) {
		t.Errorf("got %+v", got)
	}
}

func TestVICSUTF16(t *testing.T) {
	doc := `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media","value":[{"MD5":"` + fakeMD5(1) + `","Category":0}]}`
	u := []byte{0xFF, 0xFE}
	for _, c := range doc {
		u = append(u, byte(c), 0)
	}
	path := writeFile(t, "utf16.json", u)
	if f, err := Detect(path); f != VICS || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	got, meta := mustReadAll(t, path, Options{})
	if len(got) != 1 || got[0].MD5 != fakeMD5(1) || meta.Profile != "Default" {
		t.Errorf("got %+v meta %+v", got, meta)
	}
	if n, _ := LookupProfile("Default").CategoryName(0); n != "Non-Pertinent" {
		t.Errorf("Default 0 = %q", n)
	}
}

func TestVICSRepeatedPhotoDNA(t *testing.T) {
	bogus, _ := fakePhotoDNA(99)
	legit, _ := fakePhotoDNA(7)
	var b strings.Builder
	b.WriteString(`{"@odata.context":"x/DataModels/2.0.xml/US/$metadata#Media","value":[`)
	for i := 0; i < 40; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		p := bogus
		if i%10 == 0 { // a few files share a real value: same pixels, other bytes
			p = legit
		}
		fmt.Fprintf(&b, `{"MD5":"%s","PhotoDNA":"%s"}`, fakeMD5(i), p)
	}
	b.WriteString("]}")
	got, meta := mustReadAll(t, writeFile(t, "pdna.json", []byte(b.String())), Options{})
	if len(meta.RepeatedPhotoDNA) != 1 || meta.RepeatedPhotoDNA[0] != bogus {
		t.Fatalf("RepeatedPhotoDNA = %q", meta.RepeatedPhotoDNA)
	}
	kept := 0
	for i, e := range got {
		if e.PhotoDNA == bogus {
			kept++
		}
		if i%10 == 0 && e.PhotoDNA != legit {
			t.Errorf("entry %d lost its shared PhotoDNA", i)
		}
	}
	if kept > repeatThreshold+1 {
		t.Errorf("bogus PhotoDNA kept on %d entries", kept)
	}
}

func TestVICSMalformed(t *testing.T) {
	head := `{"@odata.context":"x/DataModels/2.0.xml/US/$metadata#Media","value":[`
	ok := `{"MD5":"` + fakeMD5(1) + `"}`
	cases := []struct {
		name, doc, want string
	}{
		{"bad md5", head + ok + `,` + ok + `,{"MD5":"xyz"}]}`, `record 3 (byte`},
		{"bad md5 text", head + `{"MD5":"xyz"}]}`, `MD5 "xyz": not 32 hexadecimal digits`},
		{"bad flag", head + ok + `,{"MD5":"` + fakeMD5(2) + `","IsDistributed":"maybe"}]}`, `record 2`},
		{"bad category", head + `{"MD5":"` + fakeMD5(2) + `","Category":300}]}`, `category "300": not a code from 0 to 255`},
		{"no hash", head + `{"MediaID":1}]}`, `record 1`},
		{"not an object", head + ok + `,42]}`, `record 2`},
		{"truncated", head + ok + `,{"MD5":"` + fakeMD5(2), `truncated`},
		{"broken", head + ok + `,{"MD5" "x"}]}`, `broken JSON`},
		{"trailing", head + ok + `]} {}`, `data after the end`},
		{"sha256 conflict", head + `{"MD5":"` + fakeMD5(1) + `","SHA256":"` + fakeSHA256(1) + `","AlternativeHashes":[{"HashName":"SHA256","HashValue":"` + fakeSHA256(2) + `"}]}]}`, `differs`},
		{"value not array", `{"@odata.context":"x","value":{}}`, `value is not an array`},
		{"deep", head + strings.Repeat(`{"a":[`, 600) + strings.Repeat(`]}`, 600) + `]}`, ``},
		{"not vics", `{"hello":"world"}`, `not a VICS document`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "bad.json", []byte(c.doc))
			_, _, err := readAll(t, path, Options{Format: VICS})
			if err == nil {
				t.Fatal("no error")
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			if !strings.HasPrefix(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want the file name and %q", err, c.want)
			}
		})
	}
}

func TestVICSSkipBad(t *testing.T) {
	doc := `{"@odata.context":"x/DataModels/2.0.xml/US/$metadata#Media","value":[` +
		`{"MD5":"` + fakeMD5(1) + `"},{"MD5":"nothex"},7,{"MD5":"` + fakeMD5(2) + `"}]}`
	got, meta := mustReadAll(t, writeFile(t, "skip.json", []byte(doc)), Options{SkipBad: true})
	if len(got) != 2 || meta.Skipped != 2 || meta.Records != 2 {
		t.Fatalf("got %d entries, skipped %d", len(got), meta.Skipped)
	}
	if got[1].Line != 4 {
		t.Errorf("second entry Line = %d, want record 4", got[1].Line)
	}
	if len(meta.Warnings) != 2 || !strings.Contains(meta.Warnings[0], "record 2") {
		t.Errorf("warnings %q", meta.Warnings)
	}
}

func TestVICSStopsOnCallbackError(t *testing.T) {
	doc := `{"value":[{"MD5":"` + fakeMD5(1) + `"},{"MD5":"` + fakeMD5(2) + `"}]}`
	stop := errors.New("stop")
	n := 0
	_, err := Read(t.Context(), writeFile(t, "s.json", []byte(doc)), Options{}, func(Entry) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("err = %v after %d calls", err, n)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2023-06-07T02:31:49.8300Z":    time.Date(2023, 6, 7, 2, 31, 49, 830000000, time.UTC),
		"2023-06-07T02:31:49.1234567Z": time.Date(2023, 6, 7, 2, 31, 49, 123456700, time.UTC),
		"2023-06-07T02:31:49-05:00":    time.Date(2023, 6, 7, 7, 31, 49, 0, time.UTC),
		"2023-06-07T02:31:49+05:00Z":   time.Date(2023, 6, 6, 21, 31, 49, 0, time.UTC),
		"2023-06-07T02:31:49":          time.Date(2023, 6, 7, 2, 31, 49, 0, time.UTC),
		"/Date(1496275200000)/":        time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC),
		"/Date(1496275200000+0200)/":   time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC),
		"12/31/2016 11:59:59 PM":       time.Date(2016, 12, 31, 23, 59, 59, 0, time.UTC),
		"2016-12-31 23:59:59":          time.Date(2016, 12, 31, 23, 59, 59, 0, time.UTC),
		"2016-12-31T23:59:59.5+0100":   time.Date(2016, 12, 31, 22, 59, 59, 500000000, time.UTC),
		"":                             {},
	} {
		got, err := parseTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseTime("yesterday"); err == nil {
		t.Error("parseTime(yesterday) succeeded")
	}
}

func TestParseGUID(t *testing.T) {
	if g, ok := parseGUID("{3F1C2B8E-0000-4000-8000-00000000000A}"); !ok || g != "3f1c2b8e-0000-4000-8000-00000000000a" {
		t.Errorf("braced GUID = %q %v", g, ok)
	}
	if _, ok := parseGUID("EXAMPLE"); ok {
		t.Error("EXAMPLE is a GUID")
	}
}

func TestWarningsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"@odata.context":"x/DataModels/2.0.xml/US/$metadata#Media","value":[`)
	for i := 0; i < 30; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"MD5":"%s","Category":9}`, fakeMD5(i))
	}
	b.WriteString("]}")
	got, meta := mustReadAll(t, writeFile(t, "w.json", []byte(b.String())), Options{})
	if len(got) != 30 || len(meta.Warnings) != maxWarnings {
		t.Fatalf("%d entries, %d warnings", len(got), len(meta.Warnings))
	}
	if last := meta.Warnings[maxWarnings-1]; last != "11 more warnings not shown" {
		t.Errorf("last warning %q", last)
	}
}

func TestReadCancelled(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		b.WriteString(fakeMD5(i) + "\n")
	}
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	_, err := Read(ctx, writeFile(t, "l.txt", []byte(b.String())), Options{}, func(Entry) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n >= 5000 {
		t.Errorf("err = %v after %d entries", err, n)
	}
}
