package synth

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"

	"vigil/internal/hashset"
)

// TestHashSets writes the three sets of an operation and reads them back
// with the importer's reader: the VICS set holds every item with its
// category and its digests (checked against the picture's bytes), the PDQ
// list every item's hash, the NSRL database every system file.
func TestHashSets(t *testing.T) {
	o, err := Generate(tinyParams(4))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	if err := writeVICS(filepath.Join(dir, "v.json"), o.vicsEntries()); err != nil {
		t.Fatal(err)
	}
	if err := o.writePDQList(filepath.Join(dir, "p.csv")); err != nil {
		t.Fatal(err)
	}
	if err := o.writeNSRL(ctx, filepath.Join(dir, "n.db")); err != nil {
		t.Fatal(err)
	}

	vics := map[string]hashset.Entry{}
	meta, err := hashset.Read(ctx, filepath.Join(dir, "v.json"), hashset.Options{}, func(e hashset.Entry) error {
		vics[e.MD5] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if meta.Format != hashset.VICS || meta.Version != "2.0" || meta.Profile != "US" {
		t.Errorf("VICS meta %+v", meta)
	}
	if len(vics) != len(o.Items)+len(o.Benign)+o.Params.Decoys {
		t.Errorf("%d VICS entries, want %d", len(vics), len(o.Items)+len(o.Benign)+o.Params.Decoys)
	}
	for _, it := range append(append([]*Item(nil), o.Items...), o.Benign...) {
		m5, s256 := md5.Sum(it.JPEG), sha256.Sum256(it.JPEG)
		e, ok := vics[hex.EncodeToString(m5[:])]
		switch {
		case !ok:
			t.Errorf("%s: not in the VICS set", it.Label)
		case e.SHA256 != hex.EncodeToString(s256[:]):
			t.Errorf("%s: SHA-256 %s", it.Label, e.SHA256)
		case e.Category == nil || *e.Category != it.Category:
			t.Errorf("%s: category %v, want %d", it.Label, e.Category, it.Category)
		case it.Category == 0 && it.N < 9000, it.Category != 0 && (it.Category < 1 || it.Category > 3):
			t.Errorf("%s: category %d", it.Label, it.Category)
		}
	}

	pdqs := map[string]int{}
	meta, err = hashset.Read(ctx, filepath.Join(dir, "p.csv"), hashset.Options{Format: hashset.PDQList}, func(e hashset.Entry) error {
		pdqs[e.PDQ] = e.PDQQuality
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range o.Items {
		if q, ok := pdqs[it.PDQ]; !ok || q != it.Quality || q < 50 {
			t.Errorf("%s: PDQ %s quality %d in the list (%v)", it.Label, it.PDQ, q, ok)
		}
	}

	known := map[string]bool{}
	if det, err := hashset.Detect(filepath.Join(dir, "n.db")); err != nil || det != hashset.NSRL {
		t.Errorf("the NSRL database is detected as %q (%v)", det, err)
	}
	meta, err = hashset.Read(ctx, filepath.Join(dir, "n.db"), hashset.Options{Format: hashset.NSRL}, func(e hashset.Entry) error {
		known[e.SHA256] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(known) != len(o.system)+o.Params.NSRLExtra {
		t.Errorf("%d NSRL hashes, want %d", len(known), len(o.system)+o.Params.NSRLExtra)
	}
	for _, b := range o.system {
		s := sha256.Sum256(b.Data)
		if !known[hex.EncodeToString(s[:])] {
			t.Errorf("system file %s is not in the NSRL set", b.Name)
		}
	}
}
