package match

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"slices"
	"testing"
)

// exactFixture makes n random digests of kind k, some added under
// several ids, and the expected digest → ids map (built independently of
// the index).
func exactFixture(k Kind, n int, seed uint64) (*Exact, map[string][]uint32, [][]byte) {
	rng := mrand.New(mrand.NewPCG(seed, 7))
	b := NewExactBuilder()
	b.Grow(k, n)
	want := map[string][]uint32{}
	var digests [][]byte
	id := uint32(0)
	for i := 0; i < n; i++ {
		d := make([]byte, k.Size())
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		if i%50 == 0 && i > 0 { // a crowd sharing the first 8 bytes
			copy(d, digests[0][:8])
		}
		digests = append(digests, d)
		for r := 0; r < 1+i%3; r++ {
			id = id*31 + uint32(rng.IntN(1000)) // ids in no order
			if err := b.Add(k, d, id); err != nil {
				panic(err)
			}
			want[string(d)] = append(want[string(d)], id)
		}
	}
	for _, ids := range want {
		slices.Sort(ids)
	}
	return b.Build(), want, digests
}

func TestExactLookup(t *testing.T) {
	for _, k := range []Kind{MD5, SHA1, SHA256} {
		for _, n := range []int{0, 1, 7, 1000, 50000} {
			x, want, digests := exactFixture(k, n, uint64(n)+uint64(k))
			if x.Len(k) != len(want)*0+countIDs(want) {
				t.Fatalf("%s n=%d: Len %d", k, n, x.Len(k))
			}
			for _, d := range digests {
				got := x.Lookup(k, d)
				if !slices.Equal(got, want[string(d)]) {
					t.Fatalf("%s n=%d: Lookup(%x) = %v, want %v", k, n, d, got, want[string(d)])
				}
			}
			// Absent digests, including neighbours of present ones.
			for i := 0; i < 200; i++ {
				d := make([]byte, k.Size())
				rand.Read(d)
				if i < len(digests) {
					copy(d, digests[i])
					d[len(d)-1] ^= 1
				}
				if _, ok := want[string(d)]; ok {
					continue
				}
				if got := x.Lookup(k, d); got != nil {
					t.Fatalf("%s n=%d: absent %x found: %v", k, n, d, got)
				}
			}
			// Other kinds are empty.
			for o := Kind(0); o < numKinds; o++ {
				if o != k && x.Len(o) != 0 {
					t.Fatalf("kind %s not empty", o)
				}
			}
		}
	}
}

func countIDs(m map[string][]uint32) int {
	n := 0
	for _, ids := range m {
		n += len(ids)
	}
	return n
}

func TestExactHex(t *testing.T) {
	b := NewExactBuilder()
	md5 := "d41d8cd98f00b204e9800998ecf8427e"
	sha256 := "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	if err := b.AddHex(MD5, md5, 10); err != nil {
		t.Fatal(err)
	}
	if err := b.AddHex(SHA256, sha256, 11); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		k Kind
		s string
	}{{MD5, "xyz"}, {MD5, md5 + "00"}, {SHA1, md5}, {SHA256, "zz" + sha256[2:]}, {Kind(9), md5}} {
		if err := b.AddHex(bad.k, bad.s, 1); err == nil {
			t.Errorf("AddHex(%s, %q) accepted", bad.k, bad.s)
		}
	}
	if err := b.Add(SHA1, make([]byte, 16), 1); err == nil {
		t.Error("Add of a 16-byte SHA-1 accepted")
	}
	x := b.Build()
	if k, ids, err := x.LookupHex("D41D8CD98F00B204E9800998ECF8427E"); err != nil || k != MD5 || !slices.Equal(ids, []uint32{10}) {
		t.Errorf("LookupHex(md5) = %s %v %v", k, ids, err)
	}
	if k, ids, err := x.LookupHex(sha256[:40]); err != nil || k != SHA1 || ids != nil {
		t.Errorf("LookupHex(sha1) = %s %v %v", k, ids, err)
	}
	if _, _, err := x.LookupHex("abc"); err == nil {
		t.Error("LookupHex(abc) accepted")
	}
	raw, _ := hex.DecodeString(sha256)
	if ids := x.Lookup(SHA256, raw); !slices.Equal(ids, []uint32{11}) {
		t.Errorf("Lookup(sha256) = %v", ids)
	}
	if x.Lookup(SHA256, raw[:16]) != nil || x.Lookup(Kind(7), raw) != nil {
		t.Error("lookup of a wrong length or kind answered")
	}
	var nilx *Exact
	if nilx.Lookup(MD5, raw[:16]) != nil || nilx.Len(MD5) != 0 || nilx.Bytes() != 0 {
		t.Error("nil index answered")
	}
}

func TestExactMatchAll(t *testing.T) {
	b := NewExactBuilder()
	md5a, sha1b, sha256c := "00000000000000000000000000000001", "0000000000000000000000000000000000000002", "0000000000000000000000000000000000000000000000000000000000000003"
	b.AddHex(MD5, md5a, 1)
	b.AddHex(SHA1, sha1b, 2)
	b.AddHex(SHA256, sha256c, 3)
	b.AddHex(SHA256, sha256c, 4)
	x := b.Build()
	items := make([]Sums, 3)
	var err error
	if items[0], err = SumsFromHex(md5a, "", ""); err != nil {
		t.Fatal(err)
	}
	if items[1], err = SumsFromHex("ffffffffffffffffffffffffffffffff", sha1b, sha256c); err != nil {
		t.Fatal(err)
	}
	if items[2], err = SumsFromHex("", "", "1000000000000000000000000000000000000000000000000000000000000003"); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = x.MatchAll(context.Background(), items, func(i int, k Kind, ids []uint32) error {
		for _, id := range ids {
			got = append(got, string(rune('0'+i))+k.String()+string(rune('0'+id)))
		}
		return nil
	})
	want := []string{"0md51", "1sha12", "1sha2563", "1sha2564"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("MatchAll = %v, %v; want %v", got, err, want)
	}
	stop := errors.New("stop")
	if err := x.MatchAll(context.Background(), items, func(int, Kind, []uint32) error { return stop }); err != stop {
		t.Errorf("callback error: %v", err)
	}
	if _, err := SumsFromHex("abc", "", ""); err == nil {
		t.Error("SumsFromHex(abc) accepted")
	}
}
