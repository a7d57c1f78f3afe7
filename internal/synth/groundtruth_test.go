package synth

import (
	"reflect"
	"testing"
)

func TestCompare(t *testing.T) {
	g := &GroundTruth{
		Distributors: []AccountTruth{
			{JID: "34612345678@s.whatsapp.net", Country: "ES"},
			{JID: "34612345679@s.whatsapp.net", Country: "ES"},
			{JID: "573001234567@s.whatsapp.net", Country: "CO"},
			{JID: "393201234567@s.whatsapp.net", Country: "IT"},
		},
		Items: []ItemTruth{
			{Label: "ITEM 0001", SHA256: "aa", Seeder: "34612345678@s.whatsapp.net"},
			{Label: "ITEM 0002", SHA256: "bb", Seeder: "573001234567@s.whatsapp.net"},
			{Label: "ITEM 0003", SHA256: "cc", Seeder: "393201234567@s.whatsapp.net"},
			{Label: "ITEM 0004", SHA256: "dd"}, // found only as a file: no seeder
		},
	}
	// Found: three planted (one as E.164, one as a device JID), one
	// innocent; one planted missed.
	c := g.Compare(Found{
		Distributors: []string{"+34 612 34 56 78", "573001234567:12@s.whatsapp.net", "393201234567@s.whatsapp.net", "34699999999@s.whatsapp.net"},
		Seeders:      map[string]string{"aa": "+34612345678", "bb": "34612345679@s.whatsapp.net"},
	})
	if c.Planted != 4 || c.Found != 4 || c.Correct != 3 {
		t.Fatalf("planted %d found %d correct %d, want 4 4 3", c.Planted, c.Found, c.Correct)
	}
	if c.Precision != 0.75 || c.Recall != 0.75 {
		t.Errorf("precision %v recall %v, want 0.75 0.75", c.Precision, c.Recall)
	}
	if !reflect.DeepEqual(c.Missed, []string{"34612345679@s.whatsapp.net"}) || !reflect.DeepEqual(c.Extra, []string{"34699999999@s.whatsapp.net"}) {
		t.Errorf("missed %v extra %v", c.Missed, c.Extra)
	}
	if c.Seeded != 3 || c.SeedersCorrect != 1 || len(c.WrongSeeders) != 2 {
		t.Fatalf("seeders %d of %d, wrong %v", c.SeedersCorrect, c.Seeded, c.WrongSeeders)
	}
	if w := c.WrongSeeders[0]; w.Item != "ITEM 0002" || w.Got != "34612345679@s.whatsapp.net" {
		t.Errorf("wrong seeder %+v", w)
	}
	if w := c.WrongSeeders[1]; w.Item != "ITEM 0003" || w.Got != "" {
		t.Errorf("wrong seeder %+v", w)
	}
	es := c.ByCountry[0]
	if es.Country != "ES" || es.Planted != 2 || es.Found != 2 || es.Correct != 1 {
		t.Errorf("Spain: %+v (the innocent Spanish account counts as found in ES)", es)
	}

	// Nothing planted, nothing found: perfect; something found: precision 0.
	empty := &GroundTruth{}
	if c := empty.Compare(Found{}); c.Precision != 1 || c.Recall != 1 {
		t.Errorf("empty: %+v", c)
	}
	if c := empty.Compare(Found{Distributors: []string{"34612345678@s.whatsapp.net"}}); c.Precision != 0 || c.Recall != 1 {
		t.Errorf("found on empty truth: precision %v recall %v", c.Precision, c.Recall)
	}
	if c := g.Compare(Found{}); c.Precision != 0 || c.Recall != 0 {
		t.Errorf("nothing found: precision %v recall %v", c.Precision, c.Recall)
	}
}
