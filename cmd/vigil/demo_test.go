package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/synth"
)

// TestDemo runs the small demo and checks the case it leaves against the
// operation's ground truth: every planted distributor found and no one
// else, every seeder right, a hit for every known item on every device
// holding it (exact for the items, PDQ only for their near-duplicates,
// through the chat databases' hashes for media deleted from the phones),
// the system files known, the corrupt files recorded with errors, and an
// intact audit chain; other commands open the case.
func TestDemo(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.dir, "demo")
	out := e.run(0, "demo", "--dir", dir, "--seed", "5")
	for _, want := range []string{"[8/8]", "What was found", "Against the ground truth", "precision 1.00, recall 1.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	truth, err := synth.ReadGroundTruth(filepath.Join(dir, synth.GroundTruthFile))
	if err != nil {
		t.Fatal(err)
	}
	var sum demoSummary
	b, err := os.ReadFile(filepath.Join(dir, demoSummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}

	// The network against the ground truth.
	c := sum.Comparison
	if c.Planted != len(truth.Distributors) || c.Planted < 10 {
		t.Fatalf("%d distributors planted in the comparison, %d in the ground truth", c.Planted, len(truth.Distributors))
	}
	if c.Precision != 1 || c.Recall != 1 {
		t.Errorf("precision %.3f recall %.3f: missed %v, unexpected %v", c.Precision, c.Recall, c.Missed, c.Extra)
	}
	seeded := 0
	for _, it := range truth.Items {
		if it.Seeder != "" {
			seeded++
		}
	}
	if c.Seeded != seeded || seeded == 0 || c.SeedersCorrect != c.Seeded {
		t.Errorf("seeders: %d of %d right (%d items seeded in the truth): %v", c.SeedersCorrect, c.Seeded, seeded, c.WrongSeeders)
	}

	caseDir := filepath.Join(dir, "case")
	// Hits, per content: kinds and devices.
	var hits []struct {
		SHA256  string   `json:"sha256"`
		Kind    string   `json:"kind"`
		Status  string   `json:"status"`
		Devices []string `json:"devices"`
	}
	if err := json.Unmarshal([]byte(e.run(0, "hits", "--case", caseDir, "--status", "alert", "--format", "json")), &hits); err != nil {
		t.Fatal(err)
	}
	type seen struct{ exact, pdq map[string]bool }
	byContent := map[string]*seen{}
	for _, h := range hits {
		s := byContent[h.SHA256]
		if s == nil {
			s = &seen{map[string]bool{}, map[string]bool{}}
			byContent[h.SHA256] = s
		}
		for _, d := range h.Devices {
			if h.Kind == "pdq" {
				s.pdq[d] = true
			} else {
				s.exact[d] = true
			}
		}
	}
	itemLabel := map[string]string{}
	for _, it := range append(append([]synth.ItemTruth(nil), truth.Items...), truth.Benign...) {
		itemLabel[it.SHA256] = it.Label
	}
	var items, variants, chatOnly, deleted int
	for _, d := range truth.Devices {
		for _, sha := range append(append(append([]string(nil), d.Items...), d.Benign...), d.Deleted...) {
			items++
			if s := byContent[sha]; s == nil || !s.exact[d.Label] {
				t.Errorf("%s: no exact hit for %s (%s) held as a file", d.Label, itemLabel[sha], sha)
			}
		}
		deleted += len(d.Deleted)
		for _, sha := range d.ChatOnly {
			chatOnly++
			if s := byContent[sha]; s == nil || !s.exact[d.Label] {
				t.Errorf("%s: no hit for %s (%s), named only by the chat database", d.Label, itemLabel[sha], sha)
			}
		}
		for _, sha := range d.Variants {
			variants++
			s := byContent[sha]
			switch {
			case s == nil || !s.pdq[d.Label]:
				t.Errorf("%s: no PDQ hit for the near-duplicate %s", d.Label, sha)
			case len(s.exact) > 0:
				t.Errorf("%s: the near-duplicate %s has an exact hit", d.Label, sha)
			}
		}
	}
	if items == 0 || variants == 0 || chatOnly == 0 || deleted == 0 {
		t.Errorf("the ground truth holds %d items as files, %d near-duplicates, %d chat-only items, %d deleted", items, variants, chatOnly, deleted)
	}

	// Known files and corrupt files, device by device.
	type fileRow struct {
		Path   string  `json:"path"`
		SHA256 string  `json:"sha256"`
		Match  string  `json:"match"`
		Error  *string `json:"error"`
	}
	var errFiles []struct {
		Device string  `json:"device"`
		Path   string  `json:"path"`
		Error  *string `json:"error"`
	}
	if err := json.Unmarshal([]byte(e.run(0, "files", "--case", caseDir, "--errors", "--format", "json")), &errFiles); err != nil {
		t.Fatal(err)
	}
	for _, d := range truth.Devices {
		if len(d.Known) > 0 {
			var rows []fileRow
			if err := json.Unmarshal([]byte(e.run(0, "files", "--case", caseDir, "--device", d.Label, "--match", "known", "--format", "json")), &rows); err != nil {
				t.Fatal(err)
			}
			known := map[string]bool{}
			for _, r := range rows {
				known[r.SHA256] = true
			}
			for _, sha := range d.Known {
				if !known[sha] {
					t.Errorf("%s: system file %s not marked known", d.Label, sha)
				}
			}
		}
		for _, cf := range d.Corrupt {
			found := false
			for _, f := range errFiles {
				if f.Device == d.Label && f.Path == cf.Path && f.Error != nil && *f.Error != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: corrupt file %s (%s) not recorded with an error", d.Label, cf.Path, cf.Why)
			}
		}
	}

	// An ordinary case: other commands open it; the chain is intact.
	if !strings.Contains(e.run(0, "devices", "--case", caseDir), truth.Devices[0].Label) {
		t.Error("vigil devices does not list the demo's devices")
	}
	e.run(0, "audit", "verify", "--case", caseDir)
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err != nil {
		t.Error(err)
	}
}

// TestDemoDir: a directory holding anything but an earlier demo is
// refused; an earlier demo's is replaced, and only what the demo wrote.
func TestDemoDir(t *testing.T) {
	dir := t.TempDir()
	p := synth.SmallParams(1)
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := prepareDemoDir(dir, p); err == nil || !strings.Contains(err.Error(), "not written by vigil demo") {
		t.Fatalf("a foreign directory: %v", err)
	}
	if b, _ := os.ReadFile(keep); string(b) != "mine" {
		t.Fatal("a refused directory was changed")
	}
	demo := filepath.Join(dir, "d")
	if err := prepareDemoDir(demo, p); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"evidence/x/y", "case"} {
		if err := os.MkdirAll(filepath.Join(demo, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(demo, "notes.txt")
	os.WriteFile(other, []byte("mine"), 0o644)
	if err := prepareDemoDir(demo, p); err != nil {
		t.Fatalf("an earlier demo's directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(demo, "evidence")); !os.IsNotExist(err) {
		t.Error("the earlier demo's evidence is still there")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("a file the demo did not write was removed")
	}
	if _, err := os.Stat(filepath.Join(demo, demoMarker)); err != nil {
		t.Error("no marker")
	}
}
