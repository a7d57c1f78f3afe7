package export

import (
	"archive/zip"
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

// exportConfigs are the phones the round trips export from.
var exportConfigs = []synth.ExportOptions{
	{Grammar: synth.ExportAndroid, WithMedia: true},
	{Grammar: synth.ExportAndroid, DateOrder: "mdy", Clock12: true},
	{Grammar: synth.ExportIOS, WithMedia: true},
	{Grammar: synth.ExportIOS, DateOrder: "mdy", Clock12: true, Location: time.FixedZone("UTC-5", -5*3600)},
	{Grammar: synth.ExportIOS, DateOrder: "ymd", WithMedia: true, Location: time.FixedZone("UTC+9", 9*3600)},
}

// want* are what an export of a scenario must parse back to: what the
// grammar carries (spec §9), computed from the scenario independently of
// the parser.
type (
	wantMsg struct {
		Sender               string
		FromMe               bool
		Time                 time.Time
		Type, Text, Caption  string
		MediaPath, MediaName string
	}
	wantEvent struct {
		Action, Actor, Targets, Old, New string
		Time                             time.Time
	}
)

// exportJID is the account an export names a person by (package doc).
func exportJID(s *synth.Scenario, jid, device string) string {
	if jid == s.Owner.JID {
		return store.OwnerJID
	}
	p, _ := s.Person(jid)
	if p.Name != "" {
		return "name:" + device + ":" + p.Name
	}
	if strings.HasSuffix(jid, "@s.whatsapp.net") {
		return jid
	}
	if p.PushName != "" {
		return "name:" + device + ":" + p.PushName
	}
	u, _, _ := strings.Cut(jid, "@")
	return "name:" + device + ":" + u
}

func expectExport(s *synth.Scenario, c *synth.Chat, o synth.ExportOptions, e *synth.Export, dir, device string) ([]wantMsg, []wantEvent, []string) {
	prec := time.Minute
	if o.Grammar == synth.ExportIOS {
		prec = time.Second
	}
	at := func(t time.Time) time.Time { return t.Truncate(prec).UTC() }
	attached := map[string]string{}
	for _, a := range e.Attachments {
		attached[a.MessageID] = a.Name
	}
	j := func(x string) string { return exportJID(s, x, device) }
	var msgs []wantMsg
	var links []string
	msgOrder := map[string]int{}
	for _, m := range c.Messages {
		w := wantMsg{Sender: j(m.Sender), FromMe: m.FromMe, Time: at(m.Time), Type: m.Type, Text: m.Text}
		if m.FromMe {
			w.Sender = store.OwnerJID
		}
		switch m.Type {
		case "deleted":
			w.Text = ""
		case "location":
			w.Type = "text"
		case "text", "poll":
		default: // media
			w.Text = ""
			if name, ok := attached[m.ID]; ok {
				w.MediaPath = dir + "/" + name
				w.Caption = m.Caption
				switch {
				case o.Grammar == synth.ExportAndroid && m.Type == "gif":
					w.Type = "video" // Android names GIFs VID-…
				case o.Grammar == synth.ExportIOS && m.Type == "audio" && strings.HasSuffix(name, ".opus"):
					w.Type = "voice" // iOS writes AUDIO for both; .opus reads as a voice note
				case m.Type == "document" && o.Grammar == synth.ExportIOS:
					w.MediaName = name[9:]
				case m.Type == "document" && !strings.HasPrefix(name, "DOC-"):
					w.MediaName = name
				}
			} else if o.Grammar == synth.ExportAndroid {
				w.Type = TypeMedia
			} else if m.Type == "voice" {
				w.Type = "audio" // "audio omitted"
			}
		}
		msgOrder[m.ID] = len(msgs)
		msgs = append(msgs, w)
		for _, f := range whatsapp.FindLinks(w.Text + "\n" + w.Caption) {
			links = append(links, f.Code+"|"+m.ID)
		}
	}
	sort.SliceStable(msgs, func(a, b int) bool { return msgs[a].Time.Before(msgs[b].Time) })
	var events []wantEvent
	if len(c.Messages)+len(c.Events) > 0 {
		first := time.Time{}
		for _, m := range c.Messages {
			if first.IsZero() || m.Time.Before(first) {
				first = m.Time
			}
		}
		for _, ev := range c.Events {
			if first.IsZero() || ev.Time.Before(first) {
				first = ev.Time
			}
		}
		events = append(events, wantEvent{Action: store.ActionEncryption, Time: at(first)})
	}
	ts := func(xs []string) string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = j(x)
		}
		return strings.Join(out, ",")
	}
	for _, ev := range c.Events {
		w := wantEvent{Action: ev.Action, Time: at(ev.Time)}
		switch ev.Action {
		case "created":
			w.Actor, w.New = j(ev.Actor), ev.New
		case "added", "removed":
			w.Actor, w.Targets = j(ev.Actor), ts(ev.Targets)
		case "left", "joined-by-link":
			w.Targets = ts(ev.Targets)
		case "subject":
			w.Actor, w.New = j(ev.Actor), ev.New
			if o.Grammar == synth.ExportAndroid {
				w.Old = ev.Old
			}
		case "description", "icon", "link-reset":
			w.Actor = j(ev.Actor)
		case "admin-promoted", "admin-demoted":
			if len(ev.Targets) != 1 || ev.Targets[0] != s.Owner.JID {
				continue
			}
			w.Targets = store.OwnerJID
		default:
			continue
		}
		events = append(events, w)
	}
	sort.Strings(links)
	return msgs, events, links
}

func TestExportRoundTrip(t *testing.T) {
	s := synth.ExampleScenario()
	// Edges: a poll, a deleted message, a voice note, a GIF, a multi-line
	// text, an unsaved contact shown by number.
	s.Chats[3].Messages = append(s.Chats[3].Messages,
		synth.Message{ID: "C03", Sender: "56960000001@s.whatsapp.net", Time: time.Date(2023, 5, 5, 9, 0, 0, 0, time.UTC), Type: "poll", Text: "¿Cuándo?\nOPTION: lunes (1 vote)"},
		synth.Message{ID: "C04", Sender: s.Owner.JID, FromMe: true, Time: time.Date(2023, 5, 5, 9, 1, 0, 0, time.UTC), Type: "deleted"},
		synth.Message{ID: "C05", Sender: "56960000001@s.whatsapp.net", Time: time.Date(2023, 5, 5, 9, 2, 0, 0, time.UTC), Type: "voice",
			Media: &synth.Media{SHA256: synth.MediaHash("PTT-20230505-WA0001.opus"), Path: "Media/WhatsApp Voice Notes/202318/PTT-20230505-WA0001.opus", MIME: "audio/ogg; codecs=opus", Size: 3000}},
		synth.Message{ID: "C06", Sender: "56960000001@s.whatsapp.net", Time: time.Date(2023, 5, 5, 9, 3, 0, 0, time.UTC), Type: "gif",
			Media: &synth.Media{SHA256: synth.MediaHash("gif"), MIME: "video/mp4", Size: 3000}},
		synth.Message{ID: "C07", Sender: s.Owner.JID, FromMe: true, Time: time.Date(2023, 5, 5, 9, 4, 0, 0, time.UTC), Type: "text", Text: "línea uno\nlínea dos\n\nfin"},
	)
	for ci, c := range s.Chats {
		for oi, o := range exportConfigs {
			t.Run(fmt.Sprintf("%s/%d", c.JID, oi), func(t *testing.T) {
				e, err := synth.ExportChat(s, c.JID, o)
				if err != nil {
					t.Fatal(err)
				}
				dir := "sdcard/Download"
				path := dir + "/" + e.TextName
				if strings.HasSuffix(e.Name, ".zip") {
					dir = "sdcard/Download/" + e.Name
					path = dir + "/_chat.txt"
				}
				x := &Extractor{Location: o.Location, OwnerName: s.Owner.PushName}
				if o.Location == nil {
					x.Location = time.UTC
				}
				b, warnings, err := extract(t, x, path, string(e.Text))
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range warnings {
					if !strings.Contains(w, "uncertain") {
						t.Errorf("warning %q", w)
					}
				}
				wantMsgs, wantEvents, wantLinks := expectExport(s, &s.Chats[ci], o, e, dir, "phone-1")

				chat := b.Chats[0]
				if c.Kind == synth.Group {
					if chat.Kind != store.ChatGroup || chat.Subject != c.Subject || !strings.HasPrefix(chat.JID, "export:") {
						t.Errorf("chat %+v", chat)
					}
					prec := map[string]time.Duration{synth.ExportAndroid: time.Minute, synth.ExportIOS: time.Second}[o.Grammar]
					if !chat.Created.Equal(c.Created.Truncate(prec)) || chat.CreatorJID != exportJID(s, c.Creator, "phone-1") {
						t.Errorf("created %v by %s, want %v by %s", chat.Created, chat.CreatorJID, c.Created.Truncate(prec), exportJID(s, c.Creator, "phone-1"))
					}
				} else if chat.Kind != store.ChatDirect || chat.JID != exportJID(s, c.JID, "phone-1") {
					t.Errorf("direct chat %+v", chat)
				}

				var gotMsgs []wantMsg
				ids := map[string]int{}
				for i, m := range b.Messages {
					ids[m.RowRef] = i
					if m.ChatJID != chat.JID {
						t.Errorf("message in chat %s", m.ChatJID)
					}
					gotMsgs = append(gotMsgs, wantMsg{Sender: m.SenderJID, FromMe: m.FromMe, Time: m.Time, Type: m.Type, Text: m.Text,
						Caption: m.Caption, MediaPath: m.MediaPath, MediaName: m.MediaName})
				}
				if !reflect.DeepEqual(gotMsgs, wantMsgs) {
					t.Errorf("messages:\n got %+v\nwant %+v", gotMsgs, wantMsgs)
				}
				var gotEvents []wantEvent
				for _, ev := range b.Events {
					gotEvents = append(gotEvents, wantEvent{Action: ev.Action, Actor: ev.ActorJID, Targets: strings.Join(ev.TargetJIDs, ","),
						Old: ev.OldValue, New: ev.NewValue, Time: ev.Time})
				}
				if !reflect.DeepEqual(gotEvents, wantEvents) {
					t.Errorf("events:\n got %+v\nwant %+v", gotEvents, wantEvents)
				}
				// Links, by message: the message's position gives its id.
				var gotLinks []string
				sorted := append([]synth.Message(nil), c.Messages...)
				sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].Time.Before(sorted[b].Time) })
				for _, l := range b.Links {
					gotLinks = append(gotLinks, l.Code+"|"+sorted[ids[l.MessageRowRef]].ID)
				}
				sort.Strings(gotLinks)
				if !reflect.DeepEqual(gotLinks, wantLinks) {
					t.Errorf("links %q, want %q", gotLinks, wantLinks)
				}
				// Members: everyone the export shows in the group, with the
				// creator's role.
				if c.Kind == synth.Group {
					seen := map[string]bool{}
					for _, m := range wantMsgs {
						seen[m.Sender] = true
					}
					for _, ev := range wantEvents {
						if ev.Action == store.ActionEncryption {
							continue
						}
						for _, x := range append(strings.Split(ev.Targets, ","), ev.Actor) {
							if x != "" {
								seen[x] = true
							}
						}
					}
					got := map[string]string{}
					for _, m := range b.Members {
						got[m.AccountJID] = m.Role
						if m.FirstSeen.After(m.LastSeen) {
							t.Errorf("member %s first seen after last seen", m.AccountJID)
						}
					}
					for jid := range seen {
						want := store.RoleMember
						if jid == exportJID(s, c.Creator, "phone-1") {
							want = store.RoleCreator
						} else if jid == store.OwnerJID && ownerPromoted(s, &s.Chats[ci]) {
							want = store.RoleAdmin
						}
						if got[jid] != want {
							t.Errorf("member %s: role %q, want %q", jid, got[jid], want)
						}
					}
					if len(got) != len(seen) {
						t.Errorf("members %v, want %v", got, seen)
					}
				}
			})
		}
	}
}

func ownerPromoted(s *synth.Scenario, c *synth.Chat) bool {
	admin := false
	for _, e := range c.Events {
		if len(e.Targets) == 1 && e.Targets[0] == s.Owner.JID {
			switch e.Action {
			case "admin-promoted":
				admin = true
			case "admin-demoted":
				admin = false
			}
		}
	}
	return admin
}

// An iOS export zip on a phone, through the case store as the intake hands
// it over: every attachment message is linked to its exported file.
func TestExportZipThroughTheStore(t *testing.T) {
	s := synth.ExampleScenario()
	e, err := synth.ExportChat(s, s.Chats[0].JID, synth.ExportOptions{Grammar: synth.ExportIOS, WithMedia: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zpath, err := synth.WriteExport(dir, e, true)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(zpath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()

	ctx := audit.WithActor(context.Background(), "tester")
	st, err := sqlite.Open(ctx, filepath.Join(dir, "case.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dev, _ := st.PutDevice(ctx, store.Device{Label: "iphone-9"})
	src, _, err := st.StartSource(ctx, store.Source{DeviceID: dev.ID, Kind: "directory", Path: "/evidence/iphone-9", Operator: "t", Tool: "t"})
	if err != nil {
		t.Fatal(err)
	}
	inZip := "Documents/" + e.Name
	var batch store.Batch
	batch.SourceID = src.ID
	var text []byte
	var textSum string
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		h := sha256.Sum256(b)
		sum := hex.EncodeToString(h[:])
		if f.Name == "_chat.txt" {
			text, textSum = b, sum
		}
		batch.Contents = append(batch.Contents, store.Content{SHA256: sum, Size: int64(len(b)), Kind: store.KindOther})
		batch.Files = append(batch.Files, store.File{Path: inZip + "/" + f.Name, ParentPath: inZip, SHA256: sum, Size: int64(len(b))})
	}
	if err := st.WriteBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	x := &Extractor{OwnerName: s.Owner.PushName, Location: time.UTC}
	a, _, err := st.BeginArtifact(ctx, store.Artifact{DeviceID: dev.ID, SourceID: src.ID, Path: inZip + "/_chat.txt", SHA256: textSum, Extractor: x.Name()})
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "scratch.txt")
	os.WriteFile(local, text, 0o400)
	in := &artifact.Input{Device: dev, SourceID: src.ID, Artifact: a, Path: inZip + "/_chat.txt", SHA256: textSum, Local: local, Store: st}
	if err := x.Extract(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishArtifact(ctx, a.ID, "complete", nil, nil); err != nil {
		t.Fatal(err)
	}
	linked, err := st.LinkMedia(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int(linked) != len(e.Attachments) || len(e.Attachments) == 0 {
		t.Errorf("linked %d messages, want the %d attachments", linked, len(e.Attachments))
	}
	var own, total int
	st.Messages(ctx, store.MessageQuery{Device: "iphone-9"}, func(m store.MessageView) error {
		total++
		if m.FromMe {
			own++
			if m.Sender == nil || !strings.HasPrefix(*m.Sender, "owner:") && *m.Sender != s.Owner.JID {
				t.Errorf("own message sender %v", m.Sender)
			}
		}
		return nil
	})
	wantOwn := 0
	for _, m := range s.Chats[0].Messages {
		if m.FromMe {
			wantOwn++
		}
	}
	if total != len(s.Chats[0].Messages) || own != wantOwn {
		t.Errorf("%d messages (%d own), want %d (%d)", total, own, len(s.Chats[0].Messages), wantOwn)
	}
	// The owner's name from the export is on the device's owner.
	var names []string
	st.Accounts(ctx, store.AccountQuery{Device: "iphone-9"}, func(a store.AccountView) error {
		if len(a.OwnerOf) > 0 {
			names = a.Names
		}
		return nil
	})
	if !reflect.DeepEqual(names, []string{s.Owner.PushName}) {
		t.Errorf("owner's names %q, want [%s]", names, s.Owner.PushName)
	}
}
