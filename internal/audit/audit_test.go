package audit

import (
	"iter"
	"strings"
	"testing"
	"time"
)

func chain(t *testing.T, n int) []Record {
	t.Helper()
	var out []Record
	var prev *Record
	t0 := time.Date(2017, 4, 18, 10, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		r, err := Seal(prev, t0.Add(time.Duration(i)*time.Second), "analyst", Entry{
			Action: "ingest", Object: "device:A", Details: map[string]any{"files": i, "z": "last", "a": "first"}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
		prev = &out[len(out)-1]
	}
	return out
}

func seq(rs []Record) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestSealLinksAndCanonicalDetails(t *testing.T) {
	rs := chain(t, 3)
	if rs[0].PrevHash != Genesis || rs[1].PrevHash != rs[0].Hash || rs[2].Seq != 3 {
		t.Fatalf("bad links: %+v", rs)
	}
	if !strings.HasPrefix(rs[0].Details, `{"a":"first","files":0`) {
		t.Errorf("details not canonical: %s", rs[0].Details)
	}
	rep := Verify(seq(rs), nil, nil, false)
	if !rep.OK() || rep.Records != 3 || rep.HeadSeq != 3 {
		t.Fatalf("intact chain reported: %+v", rep)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func([]Record) []Record
		bad    int64
	}{
		{"edit", func(r []Record) []Record { r[4].Object = "device:B"; return r }, 5},
		{"edit actor and rehash one", func(r []Record) []Record { r[4].Actor = "mallory"; r[4].Hash = r[4].Sum(); return r }, 6},
		{"delete", func(r []Record) []Record { return append(r[:3], r[4:]...) }, 4},
		{"insert", func(r []Record) []Record {
			fake := r[2]
			fake.Action = "export"
			fake.Hash = fake.Sum()
			return append(r[:3], append([]Record{fake}, r[3:]...)...)
		}, 3},
		{"reorder", func(r []Record) []Record { r[5], r[6] = r[6], r[5]; return r }, 6},
		{"time edited", func(r []Record) []Record { r[8].Time = "2016-01-01T00:00:00.000000000Z"; return r }, 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := c.tamper(chain(t, 10))
			rep := Verify(seq(rs), nil, nil, false)
			if rep.OK() {
				t.Fatal("tampering not detected")
			}
			if rep.FirstBad != c.bad {
				t.Errorf("first bad = %d, want %d (%v)", rep.FirstBad, c.bad, rep.Findings)
			}
		})
	}
}

func TestCheckpointsCatchRewrittenChain(t *testing.T) {
	dir := t.TempDir()
	pub, err := CreateKey(dir, "case1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateKey(dir, "case1"); err == nil {
		t.Fatal("key overwritten")
	}
	s, err := LoadSigner(dir, "case1", pub)
	if err != nil {
		t.Fatal(err)
	}
	rs := chain(t, 6)
	cp, err := s.Sign(6, rs[5].Hash, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	heads, err := Heads(dir, "case1")
	if err != nil || len(heads) != 1 || heads[0] != cp {
		t.Fatalf("heads log: %v %v", heads, err)
	}
	v, err := NewVerifier("case1", pub)
	if err != nil {
		t.Fatal(err)
	}
	if rep := Verify(seq(rs), heads, v, true); !rep.OK() || rep.SignedUpTo != 6 {
		t.Fatalf("good chain: %+v", rep)
	}
	// An attacker edits record 2 and recomputes every later hash: the links
	// hold, but the signed head no longer matches.
	rs[1].Details = `{"files":999}`
	for i := 1; i < len(rs); i++ {
		rs[i].PrevHash = rs[i-1].Hash
		rs[i].Hash = rs[i].Sum()
	}
	rep := Verify(seq(rs), heads, v, true)
	if rep.OK() || rep.SignedUpTo != 0 || !strings.Contains(rep.Findings[0].String(), "record 6: differs from the signed checkpoint") {
		t.Fatalf("rewritten chain: %+v", rep)
	}
	// Dropping the tail (records and the checkpoint that named it).
	rep = Verify(seq(chain(t, 6)[:4]), heads, v, true)
	if rep.OK() {
		t.Fatal("truncated chain not detected")
	}
	// A forged signature.
	bad := heads[0]
	bad.Signature = strings.Repeat("00", 64)
	if err := v.Check(bad); err == nil {
		t.Fatal("forged signature accepted")
	}
	other, _ := CreateKey(dir, "case2")
	if _, err := LoadSigner(dir, "case1", other); err == nil {
		t.Fatal("key of another case accepted")
	}
}

func TestUnsignedTailReported(t *testing.T) {
	rs := chain(t, 3)
	rep := Verify(seq(rs), nil, nil, true)
	if rep.OK() || rep.FirstBad != 1 {
		t.Fatalf("unsigned tail: %+v", rep)
	}
}
