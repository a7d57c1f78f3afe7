package hashset

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fixtures: every hash below is the digest of a made-up benign string
// ("entry-N"), so no list is real.

func fakeMD5(i int) string {
	s := md5.Sum([]byte(fmt.Sprint("entry-", i)))
	return hex.EncodeToString(s[:])
}
func fakeSHA1(i int) string {
	s := sha1.Sum([]byte(fmt.Sprint("entry-", i)))
	return hex.EncodeToString(s[:])
}
func fakeSHA256(i int) string {
	s := sha256.Sum256([]byte(fmt.Sprint("entry-", i)))
	return hex.EncodeToString(s[:])
}

// fakePDQ is a made-up 256-bit value (not the hash of any image).
func fakePDQ(i int) string { return fakeSHA256(i + 1_000_000) }

func writeFile(t testing.TB, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAll(t testing.TB, path string, opt Options) ([]Entry, Meta, error) {
	t.Helper()
	var got []Entry
	meta, err := Read(context.Background(), path, opt, func(e Entry) error {
		got = append(got, e)
		return nil
	})
	return got, meta, err
}

func mustReadAll(t testing.TB, path string, opt Options) ([]Entry, Meta) {
	t.Helper()
	got, meta, err := readAll(t, path, opt)
	if err != nil {
		t.Fatalf("Read(%s): %v", filepath.Base(path), err)
	}
	return got, meta
}

func intp(i int) *int       { return &i }
func boolp(b bool) *bool    { return &b }
func upper(s string) string { return strings.ToUpper(s) }

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// sameEntry compares the fields a round trip must keep (not Line, Ref).
func entryDiff(a, b Entry) string {
	var d []string
	cmp := func(name string, x, y any) {
		if x != y {
			d = append(d, fmt.Sprintf("%s: %v != %v", name, x, y))
		}
	}
	cmp("MD5", a.MD5, b.MD5)
	cmp("SHA1", a.SHA1, b.SHA1)
	cmp("SHA256", a.SHA256, b.SHA256)
	cmp("PDQ", a.PDQ, b.PDQ)
	cmp("PDQQuality", a.PDQQuality, b.PDQQuality)
	cmp("PhotoDNA", a.PhotoDNA, b.PhotoDNA)
	cmp("Category", fmtPtr(a.Category), fmtPtr(b.Category))
	cmp("Series", a.Series, b.Series)
	cmp("Tags", a.Tags, b.Tags)
	cmp("Comments", a.Comments, b.Comments)
	cmp("VictimIdentified", fmtPtr(a.VictimIdentified), fmtPtr(b.VictimIdentified))
	cmp("OffenderIdentified", fmtPtr(a.OffenderIdentified), fmtPtr(b.OffenderIdentified))
	cmp("Distributed", fmtPtr(a.Distributed), fmtPtr(b.Distributed))
	cmp("Size", a.Size, b.Size)
	cmp("Updated", a.Updated.String(), b.Updated.String())
	return strings.Join(d, "; ")
}
