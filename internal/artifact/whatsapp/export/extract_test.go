package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/store"
)

// recorder is a case store that keeps the batches written to it; the
// other methods are not used by the extractor.
type recorder struct {
	store.Store
	batches []store.ArtifactBatch
}

func (r *recorder) WriteArtifact(_ context.Context, id int64, b store.ArtifactBatch) error {
	if id != 7 {
		return fmt.Errorf("artifact %d, want 7", id)
	}
	r.batches = append(r.batches, b)
	return nil
}

func (r *recorder) all() store.ArtifactBatch {
	var out store.ArtifactBatch
	for _, b := range r.batches {
		out.Accounts = append(out.Accounts, b.Accounts...)
		out.Chats = append(out.Chats, b.Chats...)
		out.Members = append(out.Members, b.Members...)
		out.Messages = append(out.Messages, b.Messages...)
		out.Events = append(out.Events, b.Events...)
		out.Links = append(out.Links, b.Links...)
	}
	return out
}

// extract runs the extractor on text as the file at path of device
// "phone-1".
func extract(t *testing.T, x *Extractor, path, text string) (store.ArtifactBatch, []string, error) {
	t.Helper()
	local := filepath.Join(t.TempDir(), "copy")
	if err := os.WriteFile(local, []byte(text), 0o400); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	var warnings []string
	in := &artifact.Input{
		Device:   store.Device{ID: 1, Label: "phone-1"},
		Artifact: store.Artifact{ID: 7},
		Path:     path, Local: local, SHA256: strings.Repeat("ab", 32), Store: rec,
		Warn: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) },
	}
	err := x.Extract(context.Background(), in)
	return rec.all(), warnings, err
}

func account(b store.ArtifactBatch, jid string) (store.Account, bool) {
	for _, a := range b.Accounts {
		if a.JID == jid {
			return a, true
		}
	}
	return store.Account{}, false
}

func TestExtractDirectAndroidChat(t *testing.T) {
	text := "05/03/2024, 21:15 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.\n" +
		"05/03/2024, 21:16 - Ana Lima: hi, join https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv\n" +
		"05/03/2024, 21:17 - Max: IMG-20240305-WA0001.jpg (file attached)\nlook\n" +
		"05/03/2024, 21:18 - Ana Lima: <Media omitted>\n" +
		"25/03/2024, 08:00 - Max: bye\n"
	b, warnings, err := extract(t, &Extractor{Location: time.FixedZone("CET", 3600)}, "sdcard/Download/WhatsApp Chat with Ana Lima.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Chats) != 1 {
		t.Fatalf("chats %+v", b.Chats)
	}
	c := b.Chats[0]
	if c.Kind != store.ChatDirect || c.JID != "name:phone-1:Ana Lima" {
		t.Errorf("chat %+v, want the direct chat with Ana Lima", c)
	}
	owner, ok := account(b, store.OwnerJID)
	if !ok || len(owner.Names) != 1 || owner.Names[0] != "Max" || !strings.Contains(owner.NameBasis, "direct chat") {
		t.Errorf("owner account %+v (found %v)", owner, ok)
	}
	if _, ok := account(b, "name:phone-1:Max"); ok {
		t.Error("the exporter has an account besides the device's owner")
	}
	if ana, ok := account(b, "name:phone-1:Ana Lima"); !ok || ana.Owner {
		t.Errorf("partner account %+v (found %v)", ana, ok)
	}
	if len(b.Members) != 0 {
		t.Errorf("a direct chat has no member rows: %+v", b.Members)
	}
	if len(b.Messages) != 4 || len(b.Events) != 1 {
		t.Fatalf("%d messages, %d events; want 4, 1", len(b.Messages), len(b.Events))
	}
	m := b.Messages[1]
	if !m.FromMe || m.SenderJID != owner.JID || m.Type != store.TypeImage || m.Caption != "look" ||
		m.MediaPath != "sdcard/Download/IMG-20240305-WA0001.jpg" || m.MediaSize != -1 || m.RowRef != "line:3" {
		t.Errorf("image message %+v", m)
	}
	if want := time.Date(2024, 3, 5, 20, 17, 0, 0, time.UTC); !m.Time.Equal(want) {
		t.Errorf("time %v, want %v (21:17 CET)", m.Time, want)
	}
	if m := b.Messages[2]; m.FromMe || m.Type != TypeMedia || m.MediaPath != "" {
		t.Errorf("omitted media %+v", m)
	}
	if e := b.Events[0]; e.Action != store.ActionEncryption || e.ChatJID != c.JID {
		t.Errorf("event %+v", e)
	}
	if len(b.Links) != 1 || b.Links[0].Code != "AbCdEfGhIjKlMnOpQrStUv" || b.Links[0].MessageRowRef != "line:2" || b.Links[0].ChatJID != c.JID {
		t.Errorf("links %+v", b.Links)
	}
	for _, w := range warnings {
		if strings.Contains(w, "UTC") || strings.Contains(w, "own name") {
			t.Errorf("unexpected warning %q", w)
		}
	}
}

func TestExtractIOSGroupExport(t *testing.T) {
	text := "[02/05/2023, 16:00:00] Plans: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.\n" +
		"[02/05/2023, 16:00:00] Plans: \u200eYou created group “Plans”\n" +
		"[02/05/2023, 16:00:01] Plans: \u200eYou added Ana and \u202a+34 600 000 001\u202c\n" +
		"[02/05/2023, 16:05:00] Ana: \u200e<attached: 00000001-PHOTO-2023-05-02-16-05-00.jpg>\n" +
		"[02/05/2023, 16:06:00] \u202a+34 600 000 001\u202c: hello all\n" +
		"[02/05/2023, 16:07:00] Max: thanks\n" +
		"[13/05/2023, 09:00:00] Plans: \u200eAna changed the group name to “Plans 2”\n" +
		"[13/05/2023, 09:01:00] Plans: \u200eAna left\n"
	path := "Downloads/WhatsApp Chat - Plans.zip/_chat.txt"
	b, warnings, err := extract(t, &Extractor{}, path, text)
	if err != nil {
		t.Fatal(err)
	}
	c := b.Chats[0]
	if c.Kind != store.ChatGroup || c.JID != "export:"+strings.Repeat("ab", 32) || c.Subject != "Plans 2" {
		t.Errorf("chat %+v", c)
	}
	ownerJID := store.OwnerJID
	if c.CreatorJID != ownerJID || c.CreatorBasis != "event" || !c.Created.Equal(time.Date(2023, 5, 2, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("creator %q (%s) at %v", c.CreatorJID, c.CreatorBasis, c.Created)
	}
	if len(c.Subjects) != 2 || c.Subjects[0].Subject != "Plans" || c.Subjects[1].Subject != "Plans 2" || c.Subjects[1].ActorJID != "name:phone-1:Ana" {
		t.Errorf("subjects %+v", c.Subjects)
	}
	if o, ok := account(b, ownerJID); ok {
		t.Errorf("an account row for the owner, who has no name here: %+v", o)
	}
	num, ok := account(b, "34600000001@s.whatsapp.net")
	if !ok || num.Phone != "+34600000001" || num.Country != "ES" || len(num.Names) != 0 {
		t.Errorf("number account %+v (found %v)", num, ok)
	}
	if _, ok := account(b, "name:phone-1:Plans"); ok {
		t.Error("the chat's name became an account")
	}
	roles := map[string]string{}
	for _, m := range b.Members {
		roles[m.AccountJID] = m.Role
		if m.ChatJID != c.JID {
			t.Errorf("member %+v in another chat", m)
		}
	}
	want := map[string]string{ownerJID: store.RoleCreator, "name:phone-1:Ana": store.RoleMember, "34600000001@s.whatsapp.net": store.RoleMember, "name:phone-1:Max": store.RoleMember}
	if fmt.Sprint(roles) != fmt.Sprint(want) {
		t.Errorf("members %v, want %v", roles, want)
	}
	for _, m := range b.Members {
		if m.AccountJID == "name:phone-1:Ana" && !m.LastSeen.Equal(time.Date(2023, 5, 13, 9, 1, 0, 0, time.UTC)) {
			t.Errorf("Ana last seen %v, want when she left", m.LastSeen)
		}
	}
	if len(b.Messages) != 3 {
		t.Fatalf("messages %+v", b.Messages)
	}
	if m := b.Messages[0]; m.MediaPath != "Downloads/WhatsApp Chat - Plans.zip/00000001-PHOTO-2023-05-02-16-05-00.jpg" || m.Type != store.TypeImage || m.SenderJID != "name:phone-1:Ana" {
		t.Errorf("attachment message %+v", m)
	}
	if m := b.Messages[1]; m.SenderJID != "34600000001@s.whatsapp.net" {
		t.Errorf("message from a number %+v", m)
	}
	added := b.Events[2]
	if added.Action != store.ActionAdded || added.ActorJID != ownerJID || fmt.Sprint(added.TargetJIDs) != "[name:phone-1:Ana 34600000001@s.whatsapp.net]" {
		t.Errorf("added event %+v", added)
	}
	var sawOwnName bool
	for _, w := range warnings {
		sawOwnName = sawOwnName || strings.Contains(w, "own name is unknown")
	}
	if !sawOwnName {
		t.Errorf("no warning that the exporter's name is unknown: %q", warnings)
	}

	// Told the exporter's name, their messages are from_me and "You" is
	// the same account.
	b, _, err = extract(t, &Extractor{OwnerName: "Max"}, path, text)
	if err != nil {
		t.Fatal(err)
	}
	if m := b.Messages[2]; !m.FromMe || m.SenderJID != store.OwnerJID {
		t.Errorf("own message %+v", m)
	}
	if b.Chats[0].CreatorJID != store.OwnerJID {
		t.Errorf("creator %q, want the device's owner", b.Chats[0].CreatorJID)
	}
	if o, ok := account(b, store.OwnerJID); !ok || fmt.Sprint(o.Names) != "[Max]" {
		t.Errorf("owner account %+v (found %v)", o, ok)
	}
	owners := 0
	for _, m := range b.Members {
		if m.AccountJID == "name:phone-1:Max" {
			t.Errorf("the named exporter is a member besides the owner: %+v", m)
		}
		if m.AccountJID == store.OwnerJID {
			owners++
			if m.Role != store.RoleCreator {
				t.Errorf("owner member %+v, want creator", m)
			}
		}
	}
	if owners != 1 {
		t.Errorf("%d owner member rows, want 1", owners)
	}

	// An export that may come from another phone: the exporter is an
	// account of its own, not the device's owner.
	b, _, err = extract(t, &Extractor{ForeignExports: true}, path, text)
	if err != nil {
		t.Fatal(err)
	}
	if c := b.Chats[0]; c.CreatorJID != "name:phone-1:You" {
		t.Errorf("foreign export: creator %q", c.CreatorJID)
	}
	for _, a := range b.Accounts {
		if a.JID == store.OwnerJID || a.Owner {
			t.Errorf("foreign export names the device's owner: %+v", a)
		}
	}
}

func TestExtractBatches(t *testing.T) {
	var sb strings.Builder
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&sb, "01/02/2020, 10:%02d - Ana: message %d\n", i, i)
	}
	local := filepath.Join(t.TempDir(), "c")
	os.WriteFile(local, []byte(sb.String()), 0o400)
	rec := &recorder{}
	in := &artifact.Input{Device: store.Device{ID: 1, Label: "d"}, Artifact: store.Artifact{ID: 7}, Path: "x.txt", Local: local, Store: rec}
	if err := (&Extractor{BatchSize: 10}).Extract(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	// One batch with the chat and accounts, then 10 + 10 + 5 messages.
	if len(rec.batches) != 4 || len(rec.batches[0].Chats) != 1 || len(rec.batches[3].Messages) != 5 {
		t.Errorf("%d batches", len(rec.batches))
	}
	if got := rec.all(); len(got.Messages) != 25 || !strings.HasPrefix(got.Chats[0].JID, "export:") || len(got.Chats[0].JID) != len("export:")+64 {
		t.Errorf("%d messages, chat %q", len(got.Messages), got.Chats[0].JID)
	}
}

func TestExtractWarnsOfUnknownPhrases(t *testing.T) {
	text := "01/02/2020, 10:00 - Ana hat Bo hinzugefügt\n01/02/2020, 10:01 - Bo: hallo\n01/02/2020, 10:02 - Bo hat die Gruppe verlassen\n"
	b, warnings, err := extract(t, &Extractor{Location: time.UTC}, "x/chat.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 || b.Events[0].Action != Unknown || b.Events[0].NewValue != "Ana hat Bo hinzugefügt" {
		t.Errorf("events %+v", b.Events)
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "2 system lines are not in the phrase catalog") {
		t.Errorf("warnings %q", warnings)
	}
}

func TestExtractErrors(t *testing.T) {
	_, _, err := extract(t, &Extractor{}, "notes/_chat.txt", "just some notes\nwithout any header\n")
	if !errors.Is(err, ErrNoHeaders) || !strings.Contains(err.Error(), "notes/_chat.txt") {
		t.Errorf("no headers: %v", err)
	}
	_, _, err = extract(t, &Extractor{DateOrder: "dd"}, "a.txt", "01/02/2020, 10:00 - Ana: hi\n")
	if err == nil || !strings.Contains(err.Error(), "date order") {
		t.Errorf("bad date order option: %v", err)
	}
}

func TestClaims(t *testing.T) {
	x := &Extractor{}
	header := []byte("12/07/2017, 22:35 - Ana: hi\n")
	tests := []struct {
		path string
		head []byte
		want bool
	}{
		{"WhatsApp Chat - Plans.zip/_chat.txt", nil, true},
		{"Download/WhatsApp Chat with Ana.txt", []byte("garbage"), true},
		{"Download/WhatsApp Chat mit Ana.txt", nil, true},
		{"Download/Conversa do WhatsApp com Ana.txt", nil, true},
		{"notes/anything.txt", header, true},
		{"notes/anything.TXT", []byte("\ufeff[20.06.19, 15:58:47] Loris: hi\r\n"), true},
		{"notes/anything.txt", []byte("Dear diary, 12/07/2017, 22:35 - Ana: hi"), false},
		{"notes/anything.csv", header, false},
		{"__MACOSX/._chat.txt", header, false},
		{"x/__MACOSX/WhatsApp Chat - A.zip/_chat.txt", header, false},
		{"x/._WhatsApp Chat with Ana.txt", header, false},
		{"x/_chat.txt.bak", header, false},
	}
	for _, tt := range tests {
		if got := x.Claims(tt.path, tt.head); got != tt.want {
			t.Errorf("Claims(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if x.Name() != "whatsapp/export" {
		t.Errorf("Name() = %q", x.Name())
	}
}

func TestChatNameOf(t *testing.T) {
	for p, want := range map[string]string{
		"a/WhatsApp Chat with Ana Lima.txt":     "Ana Lima",
		"a/WhatsApp Chat with Ana Lima (1).txt": "Ana Lima",
		"a/WhatsApp Chat with Ana (2019).txt":   "Ana (2019)",
		"a/WhatsApp Chat - Plans.zip/_chat.txt": "Plans",
		"a/whatsapp chat - Plans/_chat.txt":     "Plans",
		"a/_chat.txt":                           "",
		"a/notes.txt":                           "",
	} {
		if got := chatNameOf(p); got != want {
			t.Errorf("chatNameOf(%q) = %q, want %q", p, got, want)
		}
	}
}
