package network

import (
	"testing"
	"time"

	"vigil/internal/network/networktest"
	"vigil/internal/store"
)

// TestMessyCase feeds the analysis what real sources also give: a device
// whose owner no source names, an export that knows senders only by name,
// undated messages, a status post, a sender the source does not record.
func TestMessyCase(t *testing.T) {
	ctx, st := openStore(t)
	dev, err := st.PutDevice(ctx, store.Device{Label: "PHONE-9"})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := st.BeginArtifact(ctx, store.Artifact{DeviceID: dev.ID, Path: "WhatsApp Chat with Bob.txt", Extractor: "test", SHA256: networktest.Hash("messy")})
	if err != nil {
		t.Fatal(err)
	}
	item, undated, other := networktest.Hash("messy item"), networktest.Hash("undated item"), networktest.Hash("other")
	bob := "name:PHONE-9:Bob <script>"
	when := time.Date(2023, 5, 1, 10, 0, 0, 0, time.UTC)
	b := store.ArtifactBatch{
		Chats: []store.Chat{{JID: "status@broadcast", Kind: store.ChatStatus}, {JID: "120363000000000777@g.us", Kind: store.ChatGroup, Subject: "x"}},
		Messages: []store.Message{
			{RowRef: "line:1", ChatJID: "120363000000000777@g.us", SenderJID: bob, Time: when, Type: "image", MediaSHA256: item, MediaSize: -1},
			{RowRef: "line:2", ChatJID: "120363000000000777@g.us", SenderJID: bob, Type: "image", MediaSHA256: undated, MediaSize: -1},
			{RowRef: "line:3", ChatJID: "120363000000000777@g.us", Time: when, Type: "image", MediaSHA256: item, MediaSize: -1},
			{RowRef: "line:4", ChatJID: "status@broadcast", SenderJID: "50370000009@s.whatsapp.net", Time: when.Add(time.Hour), Type: "image", MediaSHA256: item, MediaSize: -1},
			{RowRef: "line:5", ChatJID: "50370000009@s.whatsapp.net", Time: when, Type: "image", MediaSHA256: other, MediaSize: -1},
			{RowRef: "line:6", ChatJID: "120363000000000777@g.us", SenderJID: bob, Time: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Type: "text", Text: "?"},
		},
	}
	if err := st.WriteArtifact(ctx, a.ID, b); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishArtifact(ctx, a.ID, "complete", nil, nil); err != nil {
		t.Fatal(err)
	}
	one := 1
	if _, err := st.Decide(ctx, store.Decision{SHA256: item, Category: &one, Profile: "US"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(ctx, store.Decision{SHA256: undated, Category: &one, Profile: "US"}); err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds := map[string]Distributor{}
	for _, d := range r.Distributors {
		ds[d.JID] = d
	}
	if d, ok := ds[bob]; !ok || d.Phone != nil || d.Country != Unknown || d.Items != 2 || d.Seeded != 1 {
		t.Errorf("export-named distributor: %+v", d)
	}
	if d, ok := ds["50370000009@s.whatsapp.net"]; !ok || d.Groups != 1 || d.Country != "SV" || d.Spreader != true {
		t.Errorf("status poster: %+v", d)
	}
	if len(r.Distributors) != 2 {
		t.Errorf("%d distributors, want 2 (the sender the source does not name is nobody)", len(r.Distributors))
	}
	for _, it := range r.Items {
		if it.SHA256 == undated && (it.Seeder != nil || it.FirstSeen != nil) {
			t.Errorf("undated item has seeder %v at %v", it.Seeder, it.FirstSeen)
		}
		if it.SHA256 == item && (it.Seeder == nil || *it.Seeder != bob || it.Messages != 3) {
			t.Errorf("item: seeder %v, %d messages", it.Seeder, it.Messages)
		}
	}
	var dated int64
	for _, b := range r.Timeline {
		dated += b.Messages
	}
	if dated != 5 || len(r.Timeline) != 2 {
		t.Errorf("timeline: %d dated messages in %d days, want 5 in 2 (far apart, not filled)", dated, len(r.Timeline))
	}
	if _, err := r.Graph(ScopeAll); err != nil {
		t.Fatal(err)
	}
}
