package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp/android"
	"vigil/internal/artifact/whatsapp/ios"
	"vigil/internal/network/networktest"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// extract runs an extractor on a file as the intake does: a read-only
// scratch copy, the extraction record, the extractor, the record closed.
func extract(t *testing.T, ctx context.Context, st store.Store, dev store.Device, x artifact.Extractor, file, evidencePath string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(local, b, 0o400); err != nil {
		t.Fatal(err)
	}
	head := b[:min(len(b), artifact.HeadSize)]
	if !x.Claims(evidencePath, head) {
		t.Fatalf("%s does not claim %s", x.Name(), evidencePath)
	}
	sum := sha256.Sum256(b)
	a, done, err := st.BeginArtifact(ctx, store.Artifact{DeviceID: dev.ID, Path: evidencePath, SHA256: hex.EncodeToString(sum[:]), Extractor: x.Name()})
	if err != nil || done {
		t.Fatalf("begin %s: %v %v", evidencePath, done, err)
	}
	var warnings []string
	in := &artifact.Input{Device: dev, Artifact: a, Path: evidencePath, SHA256: a.SHA256, Local: local, Store: st,
		Warn: func(f string, args ...any) { warnings = append(warnings, fmt.Sprintf(f, args...)) }}
	if err := x.Extract(ctx, in); err != nil {
		t.Fatalf("%s on %s: %v", x.Name(), evidencePath, err)
	}
	if err := st.FinishArtifact(ctx, a.ID, "complete", nil, warnings); err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Logf("%s on %s: warnings %v", x.Name(), evidencePath, warnings)
	}
}

// TestOperationThroughExtractors writes the Operation's phones in the
// formats WhatsApp keeps (two Android phones, one iPhone) with the synth
// writers, reads them with the extractors, and checks the analysis
// against the same ground truth as the store-level test: merging across
// Android and iOS, seeders across devices, no innocent labelled.
func TestOperationThroughExtractors(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and extracts three phones")
	}
	ctx, st := openStore(t)
	devs := map[string]store.Device{}
	for _, ph := range networktest.Phones() {
		d, err := st.PutDevice(ctx, ph.Device)
		if err != nil {
			t.Fatal(err)
		}
		devs[ph.Device.Label] = d
	}
	if err := networktest.EvidenceFile(ctx, st, devs["PHONE-1"]); err != nil {
		t.Fatal(err)
	}
	for _, ph := range networktest.Phones() {
		dev := devs[ph.Device.Label]
		dir := t.TempDir()
		switch ph.Platform {
		case "android":
			files, err := synth.WriteWhatsAppAndroid(ctx, dir, ph.Scenario, synth.AndroidModern)
			if err != nil {
				t.Fatal(err)
			}
			extract(t, ctx, st, dev, &android.Msgstore{}, files.Msgstore, "data/data/com.whatsapp/databases/msgstore.db")
			extract(t, ctx, st, dev, &android.WADB{}, files.WADB, "data/data/com.whatsapp/databases/wa.db")
			extract(t, ctx, st, dev, &android.Prefs{}, files.Prefs, "data/data/com.whatsapp/shared_prefs/com.whatsapp_preferences_light.xml")
		case "ios":
			files, err := synth.WriteWhatsAppIOS(ctx, dir, ph.Scenario)
			if err != nil {
				t.Fatal(err)
			}
			const group = "private/var/mobile/Containers/Shared/AppGroup/0A1B2C3D-0000-4000-8000-000000000000/"
			extract(t, ctx, st, dev, &ios.Extractor{}, files.Contacts, group+"ContactsV2.sqlite")
			extract(t, ctx, st, dev, &ios.Extractor{}, files.LID, group+"LID.sqlite")
			extract(t, ctx, st, dev, &ios.Extractor{}, files.ChatStorage, group+"ChatStorage.sqlite")
		}
	}
	if _, err := st.LinkMedia(ctx); err != nil {
		t.Fatal(err)
	}
	sets, err := networktest.Verdicts(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	truth := networktest.NewTruth(sets)
	r, err := Analyze(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}

	got := map[string]Distributor{}
	for _, d := range r.Distributors {
		got[d.JID] = d
	}
	var jids []string
	for _, d := range r.Distributors {
		jids = append(jids, d.JID)
	}
	slices.Sort(jids)
	want := slices.Clone(truth.Distributors)
	slices.Sort(want)
	if !slices.Equal(jids, want) {
		t.Errorf("distributors %v, want %v", jids, want)
	}
	for j, c := range truth.Counts {
		d := got[j]
		if d.Items != c.Items || d.Seeded != c.Seeded || d.Groups != c.Groups || d.Direct != c.Direct || d.Members != c.Members ||
			d.AdminRoles != c.AdminRoles || d.Messages != c.Messages {
			t.Errorf("%s: items %d seeded %d groups %d direct %d members %d admin %d messages %d, want %+v",
				j, d.Items, d.Seeded, d.Groups, d.Direct, d.Members, d.AdminRoles, d.Messages, c)
		}
	}
	for _, it := range r.Items {
		if want := truth.Seeders[it.SHA256]; it.Seeder == nil || *it.Seeder != want {
			t.Errorf("item %s: seeder %v, want %s", it.SHA256[:8], it.Seeder, want)
		}
	}
	if r.Summary.Messages != truth.Messages || r.Summary.Observations != truth.Observations {
		t.Errorf("%d messages from %d records, want %d from %d", r.Summary.Messages, r.Summary.Observations, truth.Messages, truth.Observations)
	}
	for _, g := range r.Groups {
		if want, ok := truth.GroupDevices[g.JID]; ok && !slices.Equal(g.Devices, want) {
			t.Errorf("group %s on %v, want %v", g.JID, g.Devices, want)
		}
	}
	if d1 := got[networktest.D1]; len(d1.Evidence) != 1 || d1.Evidence[0].Device != truth.SeedDevice {
		t.Errorf("D1's evidence: %+v", d1.Evidence)
	}
	if d2 := got[networktest.D2]; !slices.Equal(d2.OwnerOf, []string{"PHONE-3"}) {
		t.Errorf("D2 owns %v, want PHONE-3", d2.OwnerOf)
	}
}
