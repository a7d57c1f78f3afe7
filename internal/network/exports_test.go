package network

import (
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/network/networktest"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// An export names its group by subject only; the extractor gives it a
// JID of its own. The analysis must still see one group, count each of
// its messages once, and say which export it folded in.
func TestExportFoldedIntoItsGroup(t *testing.T) {
	_, _, _, want := operation(t)

	ctx, st := openStore(t)
	if _, err := networktest.OperationWith(ctx, st, networktest.Options{ExportJIDs: true}); err != nil {
		t.Fatal(err)
	}
	got, err := Analyze(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.Groups != want.Summary.Groups || got.Summary.Messages != want.Summary.Messages {
		t.Errorf("with an export JID: %d groups, %d messages; with the group's JID: %d groups, %d messages",
			got.Summary.Groups, got.Summary.Messages, want.Summary.Groups, want.Summary.Messages)
	}
	g1 := func(r *Result) *Group {
		for i := range r.Groups {
			if r.Groups[i].JID == networktest.G1 {
				return &r.Groups[i]
			}
		}
		t.Fatalf("group %s missing", networktest.G1)
		return nil
	}
	g, w := g1(got), g1(want)
	if len(g.Exports) != 1 || !strings.HasPrefix(g.Exports[0], exportPrefix) {
		t.Errorf("G1 exports %v, want the one export JID", g.Exports)
	}
	if len(w.Exports) != 0 {
		t.Errorf("G1 read by JID lists exports %v", w.Exports)
	}
	if g.Messages != w.Messages || g.Members != w.Members || g.KnownItems != w.KnownItems || !slices.Equal(g.Devices, w.Devices) ||
		!slices.Equal(g.Distributors, w.Distributors) {
		t.Errorf("G1 folded: %+v\nG1 by JID: %+v", *g, *w)
	}
	if len(got.Distributors) != len(want.Distributors) {
		t.Fatalf("%d distributors, want %d", len(got.Distributors), len(want.Distributors))
	}
	for i, d := range got.Distributors {
		e := want.Distributors[i]
		if d.JID != e.JID || d.Score != e.Score || d.Items != e.Items || d.Seeded != e.Seeded || d.Groups != e.Groups ||
			d.Messages != e.Messages || len(d.Evidence) != len(e.Evidence) {
			t.Errorf("distributor %d: %s score %d items %d seeded %d groups %d messages %d; by JID %s %d %d %d %d %d",
				i+1, d.JID, d.Score, d.Items, d.Seeded, d.Groups, d.Messages, e.JID, e.Score, e.Items, e.Seeded, e.Groups, e.Messages)
		}
	}
}

// An export that shares no messages with any group stays a group of its
// own, even under the subject of one: a subject is not enough.
func TestExportNotFoldedWithoutEvidence(t *testing.T) {
	ctx, st := openStore(t)
	if _, err := networktest.OperationWith(ctx, st, networktest.Options{ExportJIDs: true}); err != nil {
		t.Fatal(err)
	}
	before, err := Analyze(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := st.PutDevice(ctx, store.Device{Label: "LAPTOP-9"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2017, 3, 1, 10, 0, 0, 0, time.UTC)
	owner := synth.Person{JID: "34600999001@s.whatsapp.net", Name: "Owner Nine"}
	other := synth.Person{JID: "34600999002@s.whatsapp.net", Name: "Other Nine"}
	chat := synth.Chat{JID: "120363000000009999@g.us", Kind: synth.Group, Subject: "Grupo Uno", Created: t0, Creator: owner.JID,
		Members: []synth.Member{{JID: owner.JID, Role: synth.RoleCreator}, {JID: other.JID, Role: synth.RoleMember}}}
	for i, text := range []string{"nothing in common one", "nothing in common two", "nothing in common three"} {
		chat.Messages = append(chat.Messages, synth.Message{ID: "L9-" + string(rune('a'+i)), Sender: other.JID, Time: t0.Add(time.Duration(i) * time.Minute),
			Type: "text", Text: text})
	}
	s := synth.Scenario{Owner: owner, People: []synth.Person{other}, Chats: []synth.Chat{chat}}
	if err := networktest.Load(ctx, st, dev, &s, networktest.View{Path: "WhatsApp Chat with Grupo Uno.txt", Extractor: "whatsapp-export-test",
		Minutes: true, ExportJIDs: true}); err != nil {
		t.Fatal(err)
	}
	after, err := Analyze(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Summary.Groups != before.Summary.Groups+1 {
		t.Errorf("an export sharing nothing (same subject as G1): %d groups, want %d", after.Summary.Groups, before.Summary.Groups+1)
	}
	for _, g := range after.Groups {
		if g.JID == networktest.G1 && len(g.Exports) != 1 {
			t.Errorf("G1 exports %v: the unrelated export was folded in", g.Exports)
		}
	}
}
