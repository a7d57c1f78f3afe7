package hashset

import (
	"bytes"
	"encoding/json"
	"errors"
	"iter"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func entriesSeq(es []Entry) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// randomEntries makes entries with every field WriteVICS carries set or
// unset at random.
func randomEntries(n int, seed uint64) []Entry {
	rng := rand.New(rand.NewPCG(seed, 1))
	flag := func() *bool {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return boolp(true)
		}
		return boolp(false)
	}
	text := func(s string) string {
		if rng.IntN(2) == 0 {
			return ""
		}
		return s + ` "quoted" <&> ünïcode`
	}
	out := make([]Entry, n)
	for i := range out {
		e := Entry{MD5: fakeMD5(i), PDQQuality: -1, Size: -1}
		if rng.IntN(2) == 0 {
			e.SHA1 = fakeSHA1(i)
		}
		if rng.IntN(2) == 0 {
			e.SHA256 = fakeSHA256(i)
		}
		if rng.IntN(3) == 0 {
			e.PDQ = fakePDQ(i)
			e.PDQQuality = rng.IntN(102) - 1
		}
		if rng.IntN(3) == 0 {
			e.PhotoDNA, _ = fakePhotoDNA(i)
		}
		if c := rng.IntN(7) - 1; c >= 0 && c <= 4 {
			e.Category = intp(c)
		}
		e.Series, e.Tags, e.Comments = text("series"), text("tags"), text("comments")
		e.VictimIdentified, e.OffenderIdentified, e.Distributed = flag(), flag(), flag()
		if rng.IntN(2) == 0 {
			e.Size = rng.Int64N(1 << 40)
		}
		if rng.IntN(2) == 0 {
			e.Updated = time.Unix(rng.Int64N(2e9), rng.Int64N(1e9)).UTC()
		}
		out[i] = e
	}
	return out
}

func TestVICSRoundTrip(t *testing.T) {
	want := randomEntries(300, 7)
	for _, version := range []string{"2.0", "1.3"} {
		t.Run(version, func(t *testing.T) {
			var buf bytes.Buffer
			n, skipped, err := WriteVICS(&buf, version, "US", entriesSeq(want))
			if err != nil || n != int64(len(want)) || skipped != 0 {
				t.Fatalf("WriteVICS: %d written, %d skipped, %v", n, skipped, err)
			}
			path := writeFile(t, "export.json", buf.Bytes())
			got, meta := mustReadAll(t, path, Options{})
			if meta.Version != version || meta.Shape != "Media" || meta.Profile != "US" || len(meta.Warnings) != 0 {
				t.Errorf("meta = %+v", meta)
			}
			if len(got) != len(want) {
				t.Fatalf("read back %d entries, want %d", len(got), len(want))
			}
			for i := range want {
				if d := entryDiff(got[i], want[i]); d != "" {
					t.Errorf("entry %d: %s", i, d)
				}
			}
			// Export again: the same bytes (a fixed point).
			var again bytes.Buffer
			if _, _, err := WriteVICS(&again, version, "US", entriesSeq(got)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("second export differs from the first")
			}
		})
	}
}

// TestVICSExportShape checks the exported JSON itself with a plain JSON
// decoder, independently of the reader.
func TestVICSExportShape(t *testing.T) {
	es := []Entry{
		{MD5: fakeMD5(1), SHA1: fakeSHA1(1), SHA256: fakeSHA256(1), Category: intp(0), Size: -1, PDQQuality: -1},
		{MD5: fakeMD5(2), Size: 5, PDQ: fakePDQ(2), PDQQuality: 90},
		{SHA256: fakeSHA256(3), Size: -1, PDQQuality: -1}, // no MD5: not written
	}
	var buf bytes.Buffer
	n, skipped, err := WriteVICS(&buf, "2.0", "UK", entriesSeq(es))
	if err != nil || n != 2 || skipped != 1 {
		t.Fatalf("WriteVICS: %d, %d, %v", n, skipped, err)
	}
	var doc struct {
		Context string           `json:"@odata.context"`
		Value   []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if doc.Context != "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media" {
		t.Errorf("context %q", doc.Context)
	}
	r0, r1 := doc.Value[0], doc.Value[1]
	if r0["MD5"] != upper(fakeMD5(1)) || r0["SHA1"] != upper(fakeSHA1(1)) || r0["Category"] != 0.0 || r0["MediaID"] != 1.0 || r0["IsPrecategorized"] != true {
		t.Errorf("record 1 = %v", r0)
	}
	alt := r0["AlternativeHashes"].([]any)[0].(map[string]any)
	if alt["HashName"] != "SHA256" || alt["HashValue"] != upper(fakeSHA256(1)) || alt["MD5"] != upper(fakeMD5(1)) {
		t.Errorf("record 1 AlternativeHashes = %v", alt)
	}
	if _, ok := r0["MediaSize"]; ok {
		t.Error("unknown size written")
	}
	if _, ok := r1["Category"]; ok {
		t.Error("Category written for an uncategorised entry")
	}
	if r1["MediaSize"] != 5.0 || r1["IsPrecategorized"] != false {
		t.Errorf("record 2 = %v", r1)
	}
	// The UK profile is kept through a round trip.
	_, meta := mustReadAll(t, writeFile(t, "uk.json", buf.Bytes()), Options{})
	if meta.Profile != "UK" {
		t.Errorf("profile %q", meta.Profile)
	}

	if _, _, err := WriteVICS(&buf, "3.0", "US", entriesSeq(es)); err == nil {
		t.Error("version 3.0 accepted")
	}
	if _, _, err := WriteVICS(&buf, "2.0", "U/S", entriesSeq(es)); err == nil {
		t.Error("profile U/S accepted")
	}
	boom := errors.New("boom")
	_, _, err = WriteVICS(&buf, "2.0", "US", func(yield func(Entry, error) bool) { yield(Entry{}, boom) })
	if err != boom {
		t.Errorf("iterator error: %v", err)
	}
}

// TestRoundTripFromICSE: ICSE → VICS → read gives the ICSE entries.
func TestRoundTripFromICSE(t *testing.T) {
	_, pdnaHex := fakePhotoDNA(5)
	content := icseHeader + "\n" +
		fakeMD5(1) + ";" + fakeSHA1(1) + ";;" + pdnaHex + ";;1001;Y;N;Yes;Series X;;;;;;Yes\n" +
		fakeMD5(2) + ";;;;;1002;;;;;;;;;;\n"
	in, _ := mustReadAll(t, writeFile(t, "icse.csv", []byte(content)), Options{})
	var buf bytes.Buffer
	if _, _, err := WriteVICS(&buf, "2.0", "Default", entriesSeq(in)); err != nil {
		t.Fatal(err)
	}
	out, _ := mustReadAll(t, writeFile(t, "x.json", buf.Bytes()), Options{})
	if len(out) != len(in) {
		t.Fatalf("%d entries, want %d", len(out), len(in))
	}
	for i := range in {
		if d := entryDiff(out[i], in[i]); d != "" {
			t.Errorf("entry %d: %s", i, d)
		}
	}
	if !strings.Contains(buf.String(), `"PhotoDNA":"`) {
		t.Error("PhotoDNA not exported")
	}
}
