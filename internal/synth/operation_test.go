package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"vigil/internal/phone"
)

// tinyParams is the smallest operation with every kind of device.
func tinyParams(seed uint64) Params {
	return Params{Seed: seed, Scale: "tiny", Suspects: 4, Places: 2, Groups: 3, Distributors: 6, Receivers: 8,
		GroupMembers: 7, GroupMessages: 14, Items: 8, FileOnly: 2, Benign: 1, Decoys: 10, SystemFiles: 8, NSRLExtra: 30,
		Laptops: 1, USBs: 1, Backups: 1, Files: 400}
}

var (
	smallOnce sync.Once
	smallOp   *Operation
	smallErr  error
)

// small generates the small preset once for the tests that read it.
func small(t *testing.T) *Operation {
	t.Helper()
	smallOnce.Do(func() { smallOp, smallErr = Generate(SmallParams(3)) })
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallOp
}

// TestPhoneNumbers checks every account's number with libphonenumber
// itself and with internal/phone: valid, of the account's country, which
// is one of the operation's ten.
func TestPhoneNumbers(t *testing.T) {
	o := small(t)
	countries := map[string]int{}
	for _, a := range o.Accounts {
		pn, err := phonenumbers.Parse(a.Phone, "")
		if err != nil || !phonenumbers.IsValidNumber(pn) {
			t.Errorf("%s: not a valid number (%v)", a.Phone, err)
			continue
		}
		if r := phonenumbers.GetRegionCodeForNumber(pn); r != a.Country {
			t.Errorf("%s: libphonenumber says %s, the account says %s", a.Phone, r, a.Country)
		}
		n, err := phone.FromDigits(strings.TrimPrefix(a.Phone, "+"))
		if err != nil || n.Region != a.Country || !n.Valid {
			t.Errorf("%s: internal/phone reads %+v, %v", a.Phone, n, err)
		}
		if a.JID != strings.TrimPrefix(a.Phone, "+")+"@s.whatsapp.net" {
			t.Errorf("%s: JID %s", a.Phone, a.JID)
		}
		countries[a.Country]++
	}
	if len(countries) != 10 {
		t.Errorf("accounts in %d countries, want the operation's 10: %v", len(countries), countries)
	}
	for _, c := range countryPlans {
		if countries[c.Code] == 0 {
			t.Errorf("no account in %s", c.Code)
		}
	}
	// Larger draws stay valid: every plan, many numbers.
	nb := &numberer{r: SeedParams(5).rng(99), used: map[string]bool{}}
	for i := range countryPlans {
		for k := 0; k < 300; k++ {
			if _, err := nb.mobile(&countryPlans[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestOperationStructure checks the small preset holds what the demo is
// meant to show.
func TestOperationStructure(t *testing.T) {
	o := small(t)
	p := o.Params
	g := o.Truth
	if len(g.Distributors) != p.Distributors || len(g.Groups) != p.Groups || len(g.Suspects) != p.Suspects {
		t.Errorf("%d distributors, %d groups, %d suspects; want %d, %d, %d", len(g.Distributors), len(g.Groups), len(g.Suspects),
			p.Distributors, p.Groups, p.Suspects)
	}
	places := map[string]bool{}
	for _, s := range g.Suspects {
		places[s.Place] = true
	}
	if len(places) != p.Places {
		t.Errorf("arrests at %d places, want %d", len(places), p.Places)
	}
	kinds := map[string]int{}
	for _, d := range g.Devices {
		kinds[d.Kind]++
	}
	for _, k := range []string{DeviceAndroidModern, DeviceAndroidLegacy, DeviceAndroidTransitional, DeviceIOS, DeviceLaptop, DeviceUSB, DeviceBackup} {
		if kinds[k] == 0 {
			t.Errorf("no %s device: %v", k, kinds)
		}
	}
	// Group life: every action, links shared before joins by link.
	actions := map[string]int{}
	for _, gr := range o.Groups {
		for _, e := range gr.events {
			actions[e.Action]++
		}
		if len(gr.observers) == 0 {
			t.Errorf("group %s has no observing phone", gr.JID)
		}
		var firstLink time.Time
		for _, m := range gr.members {
			if m.via == "link" && (firstLink.IsZero() || m.joined.Before(firstLink)) {
				firstLink = m.joined
			}
		}
		if firstLink.IsZero() {
			continue
		}
		shared := false
		for _, h := range o.Groups {
			for _, m := range h.messages {
				if strings.Contains(m.text, "https://chat.whatsapp.com/"+gr.Code) && m.t.Before(firstLink) {
					shared = true
				}
			}
		}
		if !shared {
			t.Errorf("group %s: members join by link at %s, but the link was not shared before", gr.JID, firstLink)
		}
	}
	for _, a := range []string{"created", "added", "joined-by-link", "left", "removed", "admin-promoted", "subject", "link-reset"} {
		if actions[a] == 0 {
			t.Errorf("no %q event in any group: %v", a, actions)
		}
	}
	// Items: several groups, seeded once, forwarded; some only in files.
	multi, fileOnly, seeded := 0, 0, 0
	for _, it := range g.Items {
		if it.Chats > 1 {
			multi++
		}
		if it.Seeder == "" {
			fileOnly++
		} else {
			seeded++
		}
	}
	if multi < len(g.Items)/3 || fileOnly != p.FileOnly || seeded != p.Items-p.FileOnly {
		t.Errorf("%d items in several chats, %d only in files, %d seeded (of %d)", multi, fileOnly, seeded, len(g.Items))
	}
	// Devices: deleted media, chat-only hashes, variants, known files,
	// corrupt files.
	var chatOnly, variants, known, corrupt, deleted int
	for _, d := range g.Devices {
		chatOnly += len(d.ChatOnly)
		variants += len(d.Variants)
		known += len(d.Known)
		corrupt += len(d.Corrupt)
		deleted += len(d.Deleted)
	}
	exports := 0
	for _, d := range g.Devices {
		exports += len(d.Exports)
		if len(d.Exports) > 0 && d.ExportOwner == "" {
			t.Errorf("%s holds exports but no owner name for them", d.Label)
		}
	}
	if exports == 0 {
		t.Error("no phone holds a chat export")
	}
	if chatOnly == 0 || variants != g.Totals.Variants || known == 0 || corrupt == 0 || deleted == 0 {
		t.Errorf("chat-only %d, variants %d of %d, known %d, corrupt %d, deleted %d", chatOnly, variants, g.Totals.Variants, known, corrupt, deleted)
	}
	vk := map[string]bool{}
	for _, it := range o.Items {
		for _, v := range it.Variants {
			vk[v.Kind] = true
			if v.Distance > 31 || v.SHA256 == it.SHA256 {
				t.Errorf("%s %s: distance %d", it.Label, v.Kind, v.Distance)
			}
		}
	}
	if len(vk) != len(VariantKinds) {
		t.Errorf("variant kinds %v, want all of %v", vk, VariantKinds)
	}
	// Receivers never send known items: the ground truth checks the
	// planted roles against what the phones recorded; here the benign
	// known pictures must come from receivers too, so that precision is
	// tested.
	benignByReceiver := false
	for _, gr := range o.Groups {
		for _, m := range gr.messages {
			if m.media != nil && m.media.item != nil && m.media.item.Category == 0 && !m.sender.Distributor {
				benignByReceiver = true
			}
		}
	}
	if !benignByReceiver {
		t.Error("no receiver posts a benign known picture")
	}
	if g.Totals.Files < p.Files*8/10 || g.Totals.Files > p.Files*12/10 {
		t.Errorf("%d files, asked for about %d", g.Totals.Files, p.Files)
	}
}

// TestGenerateSeeds generates several seeds and the tiny preset: the
// ground truth's consistency checks run inside Generate.
func TestGenerateSeeds(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		if _, err := Generate(tinyParams(seed)); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
	if testing.Short() {
		return
	}
	p := ScaledParams(6000, 11)
	if _, err := Generate(p); err != nil {
		t.Fatalf("%+v: %v", p, err)
	}
}

// TestDeterministic writes the same tiny operation twice and compares
// every file's bytes and times; another seed must differ.
func TestDeterministic(t *testing.T) {
	digest := func(seed uint64) string {
		o, err := Generate(tinyParams(seed))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := o.Write(context.Background(), dir, nil); err != nil {
			t.Fatal(err)
		}
		return treeDigest(t, dir)
	}
	a, b := digest(21), digest(21)
	if a != b {
		t.Fatalf("the same seed gave different trees: %s and %s", a, b)
	}
	if c := digest(22); c == a {
		t.Fatal("another seed gave the same tree")
	}
}

// treeDigest hashes every regular file's path, bytes and modification
// time under dir.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", rel, info.Size(), info.ModTime().UnixNano())
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n++
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d files written", n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestAllocate(t *testing.T) {
	var w []int
	for _, c := range countryPlans {
		w = append(w, c.Distributors)
	}
	// The seed operation's table comes back as it is.
	if got := allocate(103, w); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("allocate(103) = %v, want the table %v", got, w)
	}
	for total := 0; total < 500; total += 7 {
		got := allocate(total, w)
		sum := 0
		for i, n := range got {
			sum += n
			if total >= len(w) && n == 0 {
				t.Errorf("allocate(%d): country %d gets none: %v", total, i, got)
			}
		}
		if sum != total {
			t.Errorf("allocate(%d) sums to %d: %v", total, sum, got)
		}
	}
}
