package ios

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/audit"
	"vigil/internal/store"
	"vigil/internal/store/sqlite"
	"vigil/internal/synth"
)

// recorder is a case store that keeps the batches written to it.
type recorder struct {
	store.Store
	batches []store.ArtifactBatch
}

func (r *recorder) WriteArtifact(_ context.Context, _ int64, b store.ArtifactBatch) error {
	r.batches = append(r.batches, b)
	return nil
}

func merge(bs []store.ArtifactBatch) store.ArtifactBatch {
	var out store.ArtifactBatch
	for _, b := range bs {
		out.Accounts = append(out.Accounts, b.Accounts...)
		out.Chats = append(out.Chats, b.Chats...)
		out.Members = append(out.Members, b.Members...)
		out.Messages = append(out.Messages, b.Messages...)
		out.Events = append(out.Events, b.Events...)
		out.Links = append(out.Links, b.Links...)
	}
	return out
}

// appGroup is where the databases sit in the synthetic sources.
const appGroup = "private/var/mobile/Containers/Shared/AppGroup/5A1F0C3E-0000-4000-8000-000000000001"

// extractFile runs the extractor on one database with a recording store.
func extractFile(t *testing.T, local string) (store.ArtifactBatch, []string, error) {
	t.Helper()
	rec := &recorder{}
	var warnings []string
	in := &artifact.Input{
		Device: store.Device{ID: 1, Label: "iphone-1"}, Artifact: store.Artifact{ID: 1},
		Path: appGroup + "/" + filepath.Base(local), Local: local, Store: rec,
		Warn: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) },
	}
	err := (&Extractor{BatchSize: 7}).Extract(context.Background(), in)
	return merge(rec.batches), warnings, err
}

// The neutral form of what a reader gives back, for comparison with the
// scenario.
type (
	gotChat struct {
		Kind, Subject string
		Created       time.Time
		Creator       string
	}
	gotMember struct {
		Role    string
		Current bool
	}
	gotMsg struct {
		Sender                         string
		FromMe                         bool
		Time                           time.Time
		Type, Text, Caption, SHA, MIME string
		Path, Name                     string
		Size                           int64
		Forwarded                      bool
	}
	gotEvent struct {
		Chat     string
		Time     time.Time
		Action   string
		Actor    string
		Targets  string
		Old, New string
	}
	view struct {
		Owner   string
		Chats   map[string]gotChat
		Members map[string]gotMember // "chat|account"
		Msgs    map[string]gotMsg    // "chat|key id"
		Events  []gotEvent
		Links   []string // "code|chat|key id"
	}
)

func newView() view {
	return view{Chats: map[string]gotChat{}, Members: map[string]gotMember{}, Msgs: map[string]gotMsg{}}
}

func (v *view) sort() {
	sort.Slice(v.Events, func(i, j int) bool {
		a, b := v.Events[i], v.Events[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.Chat+a.Action < b.Chat+b.Action
	})
	sort.Strings(v.Links)
}

func targets(js []string) string {
	s := append([]string(nil), js...)
	sort.Strings(s)
	return strings.Join(s, ",")
}

// expectIOS is what an iOS reader must give back for a scenario written by
// synth.WriteWhatsAppIOS, given what the format carries (spec §6): no
// pending flag, voice notes are audio, a document's ZTITLE is its name
// (no caption), events iOS has no code for are absent, a promotion of
// someone else names no actor, and an event without an actor whose row
// names no member reads as the owner's.
func expectIOS(s *synth.Scenario, dir string) view {
	v := newView()
	owner := s.Owner.JID
	v.Owner = owner
	for _, c := range s.Chats {
		gc := gotChat{Kind: c.Kind}
		if c.Kind == synth.Group {
			gc.Subject, gc.Created, gc.Creator = c.Subject, c.Created, c.Creator
			for _, m := range c.Members {
				v.Members[c.JID+"|"+m.JID] = gotMember{Role: m.Role, Current: !m.Past}
			}
		}
		v.Chats[c.JID] = gc
		for _, m := range c.Messages {
			g := gotMsg{Sender: m.Sender, FromMe: m.FromMe, Time: m.Time, Type: m.Type, Text: m.Text, Caption: m.Caption, Size: -1, Forwarded: m.Forwarded}
			if m.FromMe {
				g.Sender = owner
			}
			if g.Type == "voice" {
				g.Type = "audio"
			}
			if md := m.Media; md != nil {
				g.SHA, g.MIME = md.SHA256, md.MIME
				if md.Size > 0 {
					g.Size = md.Size
				}
				if md.Path != "" {
					g.Path = dir + "/Message/" + md.Path
				}
			}
			if m.Type == "document" {
				g.Caption = ""
				if m.Media != nil {
					g.Name = m.Media.Name
				}
			}
			v.Msgs[c.JID+"|"+m.ID] = g
			for _, f := range whatsapp.FindLinks(m.Text + "\n" + m.Caption) {
				v.Links = append(v.Links, f.Code+"|"+c.JID+"|"+m.ID)
			}
		}
		for _, e := range c.Events {
			code, ok := synth.IOSEventCode(e, owner)
			if !ok || c.Kind != synth.Group {
				continue
			}
			g := gotEvent{Chat: c.JID, Time: e.Time, Action: e.Action, Actor: e.Actor, Targets: targets(e.Targets)}
			switch code {
			case 39:
				g.Actor = ""
			case 1, 4, 12, 17:
				if g.Actor == "" {
					g.Actor = owner
				}
				g.New = e.New
				if code == 1 {
					g.Old = e.Old
				}
			case 3, 15, 23, 30:
				if g.Actor == "" && len(e.Targets) > 0 {
					g.Actor = e.Targets[0]
				}
				if len(e.Targets) == 0 {
					g.Targets = e.Actor
				}
			}
			v.Events = append(v.Events, g)
		}
	}
	v.sort()
	return v
}

// fromBatch builds the view of what the extractor wrote, with LIDs mapped
// to phone JIDs by the mappings the batches themselves carry.
func fromBatch(b store.ArtifactBatch) view {
	v := newView()
	lid := map[string]string{}
	for _, a := range b.Accounts {
		if a.LID != "" {
			lid[a.LID] = a.JID
		}
		if a.Owner {
			v.Owner = a.JID
		}
	}
	m := func(j string) string {
		if p, ok := lid[j]; ok {
			return p
		}
		return j
	}
	for _, c := range b.Chats {
		v.Chats[c.JID] = gotChat{Kind: c.Kind, Subject: c.Subject, Created: c.Created, Creator: m(c.CreatorJID)}
	}
	for _, mb := range b.Members {
		v.Members[mb.ChatJID+"|"+m(mb.AccountJID)] = gotMember{Role: mb.Role, Current: mb.Current}
	}
	keys := map[string]string{}
	for _, x := range b.Messages {
		keys[x.RowRef] = x.KeyID
		v.Msgs[x.ChatJID+"|"+x.KeyID] = gotMsg{Sender: m(x.SenderJID), FromMe: x.FromMe, Time: x.Time, Type: x.Type, Text: x.Text,
			Caption: x.Caption, SHA: x.MediaSHA256, MIME: x.MediaMIME, Path: x.MediaPath, Name: x.MediaName, Size: x.MediaSize, Forwarded: x.Forwarded}
	}
	for _, e := range b.Events {
		if e.Action == store.ActionEncryption {
			continue
		}
		ts := make([]string, len(e.TargetJIDs))
		for i, t := range e.TargetJIDs {
			ts[i] = m(t)
		}
		v.Events = append(v.Events, gotEvent{Chat: e.ChatJID, Time: e.Time, Action: e.Action, Actor: m(e.ActorJID), Targets: targets(ts), Old: e.OldValue, New: e.NewValue})
	}
	for _, l := range b.Links {
		v.Links = append(v.Links, l.Code+"|"+l.ChatJID+"|"+keys[l.MessageRowRef])
	}
	v.sort()
	return v
}

// compare reports every difference between the expected and the read view.
func compare(t *testing.T, want, got view) {
	t.Helper()
	if got.Owner != want.Owner {
		t.Errorf("owner %q, want %q", got.Owner, want.Owner)
	}
	for _, kind := range []struct {
		name      string
		want, got any
	}{{"chat", want.Chats, got.Chats}, {"member", want.Members, got.Members}, {"message", want.Msgs, got.Msgs}} {
		w, g := reflect.ValueOf(kind.want), reflect.ValueOf(kind.got)
		for _, k := range w.MapKeys() {
			gv := g.MapIndex(k)
			if !gv.IsValid() {
				t.Errorf("%s %v missing", kind.name, k)
				continue
			}
			if !reflect.DeepEqual(w.MapIndex(k).Interface(), gv.Interface()) {
				t.Errorf("%s %v:\n got %+v\nwant %+v", kind.name, k, gv.Interface(), w.MapIndex(k).Interface())
			}
		}
		for _, k := range g.MapKeys() {
			if !w.MapIndex(k).IsValid() {
				t.Errorf("%s %v read but not in the scenario: %+v", kind.name, k, g.MapIndex(k).Interface())
			}
		}
	}
	if !reflect.DeepEqual(got.Events, want.Events) {
		t.Errorf("events:\n got %s\nwant %s", fmtEvents(got.Events), fmtEvents(want.Events))
	}
	if !reflect.DeepEqual(got.Links, want.Links) {
		t.Errorf("links:\n got %q\nwant %q", got.Links, want.Links)
	}
}

func fmtEvents(es []gotEvent) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "\n  %s %s %s actor=%s targets=%s old=%q new=%q", e.Time.Format(time.RFC3339Nano), e.Chat, e.Action, e.Actor, e.Targets, e.Old, e.New)
	}
	return b.String()
}

// edgeScenario adds what ExampleScenario lacks: a direct chat with a
// person known only by LID, a voice note, a deleted message, a poll, a
// location, a document with a caption (iOS keeps the name), a promotion
// of someone else, a demotion and a link reset (neither written), a
// description change.
func edgeScenario() *synth.Scenario {
	s := synth.ExampleScenario()
	at := func(h int) time.Time { return time.Date(2023, 6, 1, h, 0, 0, 0, time.UTC).Add(123 * time.Millisecond) }
	const luis = "100000000000005@lid"
	const marco = "393200000001@s.whatsapp.net"
	const dieter = "4915100000001@s.whatsapp.net"
	s.Chats = append(s.Chats, synth.Chat{JID: luis, Kind: synth.Direct, Messages: []synth.Message{
		{ID: "L01", Sender: luis, Time: at(1), Type: "voice", Media: &synth.Media{SHA256: synth.MediaHash("PTT-1.opus"), Path: "Media/" + luis + "/a/b/ptt.opus", MIME: "audio/ogg; codecs=opus", Size: 999}},
		{ID: "L02", Sender: luis, Time: at(2), Type: "deleted"},
		{ID: "L03", Sender: s.Owner.JID, FromMe: true, Time: at(3), Type: "poll", Text: "¿Cuándo?\nOPTION: lunes\nOPTION: martes"},
		{ID: "L04", Sender: luis, Time: at(4), Type: "location", Text: "geo:40.416800,-3.703800"},
		{ID: "L05", Sender: luis, Time: at(5), Type: "document", Caption: "léelo", Media: &synth.Media{SHA256: synth.MediaHash("plan.pdf"), MIME: "application/pdf", Size: 5, Name: "plan.pdf"}},
		{ID: "L06", Sender: luis, Time: at(6), Type: "text", Text: "canal https://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12 y wa.me/34600000002"},
	}})
	g := &s.Chats[0] // Recetas
	g.Events = append(g.Events,
		synth.Event{ID: "E10", Time: at(7), Action: "admin-promoted", Actor: marco, Targets: []string{dieter}},
		synth.Event{ID: "E11", Time: at(8), Action: "admin-demoted", Actor: marco, Targets: []string{dieter}},
		synth.Event{ID: "E12", Time: at(9), Action: "description", Actor: marco, New: "Solo recetas, por favor"},
		synth.Event{ID: "E13", Time: at(10), Action: "link-reset", Actor: marco},
	)
	return s
}

func TestRoundTripThroughTheExtractor(t *testing.T) {
	for name, s := range map[string]*synth.Scenario{"example": synth.ExampleScenario(), "edges": edgeScenario()} {
		t.Run(name, func(t *testing.T) {
			files, err := synth.WriteWhatsAppIOS(context.Background(), t.TempDir(), s)
			if err != nil {
				t.Fatal(err)
			}
			var all []store.ArtifactBatch
			for _, f := range []string{files.ChatStorage, files.Contacts, files.LID} {
				b, warnings, err := extractFile(t, f)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(f), err)
				}
				if len(warnings) > 0 {
					t.Errorf("%s: warnings %q", filepath.Base(f), warnings)
				}
				all = append(all, b)
			}
			compare(t, expectIOS(s, appGroup), fromBatch(merge(all)))
		})
	}
}

func TestGenerationsAndNames(t *testing.T) {
	s := synth.ExampleScenario()
	files, err := synth.WriteWhatsAppIOS(context.Background(), t.TempDir(), s)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	in := &artifact.Input{Device: store.Device{ID: 1, Label: "d"}, Path: "x/ChatStorage.sqlite", Local: files.ChatStorage, Store: rec}
	if err := (&Extractor{}).Extract(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if rec.batches[0].Generation != KindChatStorage {
		t.Errorf("generation %q", rec.batches[0].Generation)
	}
	b := merge(rec.batches)
	names := map[string][]string{}
	for _, a := range b.Accounts {
		names[a.JID] = a.Names
	}
	// A member's saved name (ZCONTACTNAME) and push name, a direct
	// partner's ZPARTNERNAME.
	if got := names["393200000001@s.whatsapp.net"]; !reflect.DeepEqual(got, []string{"Marco Bianchi", "Marco"}) {
		t.Errorf("Marco's names %q", got)
	}
	if got := names["573000000001@s.whatsapp.net"]; !reflect.DeepEqual(got, []string{"Camila Rojas", "Cami"}) {
		t.Errorf("Camila's names %q", got)
	}
	// Contacts: address-book names, LIDs, phone and country.
	b, _, err = extractFile(t, files.Contacts)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range b.Accounts {
		if a.JID == "351912000001@s.whatsapp.net" {
			found = true
			if a.LID != "100000000000004@lid" || a.Phone != "+351912000001" || a.Country != "PT" || !reflect.DeepEqual(a.Names, []string{"João Silva"}) {
				t.Errorf("contact %+v", a)
			}
		}
		if len(a.Names) > 0 && a.Names[0] == "Dentist" {
			t.Errorf("a contact not on WhatsApp became an account: %+v", a)
		}
	}
	if !found {
		t.Error("João's contact row not read")
	}
}

// The same files through a real case store, as the intake runs them:
// BeginArtifact, Extract, FinishArtifact for each database, then the
// store's own views. The store merges LIDs into phone accounts.
func TestRoundTripThroughTheStore(t *testing.T) {
	s := edgeScenario()
	dir := t.TempDir()
	files, err := synth.WriteWhatsAppIOS(context.Background(), filepath.Join(dir, "src", appGroup), s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := audit.WithActor(context.Background(), "tester")
	st, err := sqlite.Open(ctx, filepath.Join(dir, "case.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dev, err := st.PutDevice(ctx, store.Device{Label: "iphone-1"})
	if err != nil {
		t.Fatal(err)
	}
	x := &Extractor{BatchSize: 5}
	for _, f := range []string{files.LID, files.ChatStorage, files.Contacts} {
		path := appGroup + "/" + filepath.Base(f)
		sum := fileSum(t, f)
		a, done, err := st.BeginArtifact(ctx, store.Artifact{DeviceID: dev.ID, Path: path, SHA256: sum, Extractor: x.Name()})
		if err != nil || done {
			t.Fatalf("BeginArtifact %s: %v (done %v)", path, err, done)
		}
		var warnings []string
		in := &artifact.Input{Device: dev, Artifact: a, Path: path, SHA256: sum, Local: f, Store: st,
			Warn: func(f string, args ...any) { warnings = append(warnings, fmt.Sprintf(f, args...)) }}
		if err := x.Extract(ctx, in); err != nil {
			t.Fatal(err)
		}
		if len(warnings) > 0 {
			t.Errorf("%s: %q", path, warnings)
		}
		if err := st.FinishArtifact(ctx, a.ID, "complete", nil, warnings); err != nil {
			t.Fatal(err)
		}
	}

	got := newView()
	var accs []store.AccountView
	st.Accounts(ctx, store.AccountQuery{}, func(a store.AccountView) error { accs = append(accs, a); return nil })
	for _, a := range accs {
		if len(a.OwnerOf) > 0 {
			got.Owner = a.JID
		}
		if strings.HasSuffix(a.JID, "@lid") && a.JID != "100000000000005@lid" {
			t.Errorf("LID account %s not merged into its phone account", a.JID)
		}
	}
	st.Chats(ctx, store.ChatQuery{}, func(c store.ChatView) error {
		g := gotChat{Kind: c.Kind, Subject: c.Subject}
		if c.Created != nil {
			g.Created = *c.Created
		}
		if c.Creator != nil {
			g.Creator = *c.Creator
		}
		got.Chats[c.JID] = g
		return nil
	})
	st.Members(ctx, store.MemberQuery{}, func(m store.MemberView) error {
		got.Members[m.Chat+"|"+m.Account] = gotMember{Role: m.Role, Current: m.Current}
		return nil
	})
	keys := map[string]string{}
	st.Messages(ctx, store.MessageQuery{}, func(m store.MessageView) error {
		keys[m.RowRef] = m.KeyID
		g := gotMsg{FromMe: m.FromMe, Time: m.Time, Type: m.Type, Text: m.Text, Caption: m.Caption, MIME: m.MediaMIME,
			Path: m.MediaPath, Name: m.MediaName, Size: m.MediaSize, Forwarded: m.Forwarded}
		if m.Sender != nil {
			g.Sender = *m.Sender
		}
		if m.MediaSHA256 != nil {
			g.SHA = *m.MediaSHA256
		}
		got.Msgs[m.Chat+"|"+m.KeyID] = g
		return nil
	})
	st.Events(ctx, store.EventQuery{}, func(e store.EventView) error {
		g := gotEvent{Chat: e.Chat, Time: e.Time, Action: e.Action, Targets: targets(e.Targets), Old: e.OldValue, New: e.NewValue}
		if e.Actor != nil {
			g.Actor = *e.Actor
		}
		got.Events = append(got.Events, g)
		return nil
	})
	st.Links(ctx, store.LinkQuery{}, func(l store.LinkView) error {
		got.Links = append(got.Links, l.Code+"|"+l.Chat+"|"+keys[l.Message])
		return nil
	})
	got.sort()
	compare(t, expectIOS(s, appGroup), got)
}

func fileSum(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
