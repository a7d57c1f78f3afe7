package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/store"
)

// Fictitious accounts.
const (
	jidES   = "34600000001@s.whatsapp.net"
	jidCO   = "573000000001@s.whatsapp.net"
	jidDE   = "4915100000001@s.whatsapp.net"
	lidDE   = "100000000000003@lid"
	jidPT   = "351912000001@s.whatsapp.net"
	lidPT   = "100000000000004@lid"
	groupA  = "120363000000000001@g.us"
	groupOS = "59170000001-1559589144@g.us"
)

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

var t0 = time.Date(2023, 3, 1, 10, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func intp(n int) *int { return &n }

type artHarness struct {
	t   *testing.T
	ctx context.Context
	s   *Store
}

func newArtHarness(t *testing.T) *artHarness {
	return &artHarness{t: t, ctx: audit.WithActor(context.Background(), "tester"), s: openTest(t)}
}

func (h *artHarness) device(label string) store.Device {
	h.t.Helper()
	d, err := h.s.PutDevice(h.ctx, store.Device{Label: label})
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// extract runs one whole extraction of the given batches.
func (h *artHarness) extract(d store.Device, path, sha string, batches ...store.ArtifactBatch) store.Artifact {
	h.t.Helper()
	a, done, err := h.s.BeginArtifact(h.ctx, store.Artifact{DeviceID: d.ID, Path: path, SHA256: sha, Extractor: "test"})
	if err != nil {
		h.t.Fatal(err)
	}
	if done {
		h.t.Fatalf("%s: already extracted", path)
	}
	for _, b := range batches {
		if err := h.s.WriteArtifact(h.ctx, a.ID, b); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := h.s.FinishArtifact(h.ctx, a.ID, "complete", map[string]int64{"messages": 1}, nil); err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (h *artHarness) accounts(q store.AccountQuery) []store.AccountView {
	h.t.Helper()
	var out []store.AccountView
	if err := h.s.Accounts(h.ctx, q, func(v store.AccountView) error { out = append(out, v); return nil }); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *artHarness) chats(q store.ChatQuery) []store.ChatView {
	h.t.Helper()
	var out []store.ChatView
	if err := h.s.Chats(h.ctx, q, func(v store.ChatView) error { out = append(out, v); return nil }); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *artHarness) messages(q store.MessageQuery) []store.MessageView {
	h.t.Helper()
	var out []store.MessageView
	if err := h.s.Messages(h.ctx, q, func(v store.MessageView) error { out = append(out, v); return nil }); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *artHarness) events(q store.EventQuery) []store.EventView {
	h.t.Helper()
	var out []store.EventView
	if err := h.s.Events(h.ctx, q, func(v store.EventView) error { out = append(out, v); return nil }); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *artHarness) members(q store.MemberQuery) []store.MemberView {
	h.t.Helper()
	var out []store.MemberView
	if err := h.s.Members(h.ctx, q, func(v store.MemberView) error { out = append(out, v); return nil }); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func (h *artHarness) count(q string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.s.r.QueryRowContext(h.ctx, q, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// groupBatch is what a phone in group A holds: the owner (ES), two
// members, a subject change, an image and a text.
func groupBatch(owner string) store.ArtifactBatch {
	return store.ArtifactBatch{
		Generation: "android-modern",
		Accounts: []store.Account{
			{JID: owner, Owner: true, OwnerBasis: "preferences", Names: []string{"Owner " + owner[:4]}, NameBasis: "push name"},
			{JID: jidCO, Names: []string{"Camila"}, NameBasis: "wa.db"},
		},
		Chats: []store.Chat{{JID: groupA, Kind: store.ChatGroup, Subject: "Recetas", Created: at(0), CreatorJID: jidCO, CreatorBasis: "rank",
			Subjects: []store.SubjectChange{{Subject: "Cocina", Time: at(0), ActorJID: jidCO}, {Subject: "Recetas", Time: at(5), ActorJID: jidCO}}}},
		Members: []store.Member{
			{ChatJID: groupA, AccountJID: jidCO, Role: store.RoleCreator, RoleRaw: intp(2), Current: true},
			{ChatJID: groupA, AccountJID: owner, Role: store.RoleMember, RoleRaw: intp(0), Current: true},
		},
		Messages: []store.Message{
			{RowRef: "message:10", ChatJID: groupA, SenderJID: jidCO, Time: at(10), Type: store.TypeImage, TypeRaw: intp(1), KeyID: "K10",
				Caption: "mira", MediaSHA256: hashOf("img-1"), MediaPath: "Media/WhatsApp Images/IMG-20230301-WA0001.jpg", MediaMIME: "image/jpeg", MediaSize: 1234},
			{RowRef: "message:11", ChatJID: groupA, SenderJID: owner, FromMe: true, Time: at(11), Type: store.TypeText, TypeRaw: intp(0), KeyID: "K11",
				Text: "gracias https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv", MediaSize: -1},
		},
		Events: []store.Event{
			{RowRef: "message:3", ChatJID: groupA, Time: at(1), Action: store.ActionCreated, ActionRaw: intp(11), ActorJID: jidCO, NewValue: "Cocina"},
			{RowRef: "message:4", ChatJID: groupA, Time: at(2), Action: store.ActionAdded, ActionRaw: intp(12), ActorJID: jidCO, TargetJIDs: []string{owner}},
		},
		Links: []store.Link{{Kind: "group-invite", Code: "AbCdEfGhIjKlMnOpQrStUv", URL: "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv",
			ChatJID: groupA, MessageRowRef: "message:11", Time: at(11)}},
	}
}

func TestArtifactWriteAndRead(t *testing.T) {
	h := newArtHarness(t)
	d := h.device("PHONE-ES")
	a := h.extract(d, "data/data/com.whatsapp/databases/msgstore.db", hashOf("db1"), groupBatch(jidES))

	recs, err := h.s.ArtifactRecords(h.ctx, "PHONE-ES")
	if err != nil || len(recs) != 1 {
		t.Fatalf("artifact records: %v %v", recs, err)
	}
	if r := recs[0]; r.ID != a.ID || r.Status != "complete" || r.Generation != "android-modern" || r.Counts["messages"] != 1 || r.Finished.IsZero() {
		t.Errorf("artifact record %+v", r)
	}

	chats := h.chats(store.ChatQuery{})
	if len(chats) != 1 {
		t.Fatalf("chats: %+v", chats)
	}
	c := chats[0]
	if c.JID != groupA || c.Kind != "group" || c.Subject != "Recetas" || c.Members != 2 || !reflect.DeepEqual(c.Devices, []string{"PHONE-ES"}) ||
		c.Created == nil || !c.Created.Equal(at(0)) || c.Creator == nil || *c.Creator != jidCO || c.CreatorBasis != "rank" {
		t.Errorf("chat %+v", c)
	}
	var subjects []string
	rows, err := h.s.r.Query(`SELECT subject || '@' || time FROM chat_subject ORDER BY time`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		subjects = append(subjects, s)
	}
	rows.Close()
	if want := []string{"Cocina@" + fmtTime(at(0)), "Recetas@" + fmtTime(at(5))}; !reflect.DeepEqual(subjects, want) {
		t.Errorf("subject history %v, want %v", subjects, want)
	}

	accs := h.accounts(store.AccountQuery{})
	if len(accs) != 2 {
		t.Fatalf("accounts %+v", accs)
	}
	es := h.accounts(store.AccountQuery{JID: "+34600000001"})
	if len(es) != 1 || es[0].JID != jidES || *es[0].Phone != "+34600000001" || *es[0].Country != "ES" ||
		!reflect.DeepEqual(es[0].OwnerOf, []string{"PHONE-ES"}) || !reflect.DeepEqual(es[0].Names, []string{"Owner 3460"}) {
		t.Errorf("owner account %+v", es)
	}
	var owner int64
	h.s.r.QueryRow(`SELECT owner_account_id FROM device WHERE id = ?`, d.ID).Scan(&owner)
	if owner != es[0].ID {
		t.Errorf("device owner %d, want %d", owner, es[0].ID)
	}

	msgs := h.messages(store.MessageQuery{})
	if len(msgs) != 2 {
		t.Fatalf("messages %+v", msgs)
	}
	m := msgs[0]
	if m.Device != "PHONE-ES" || m.Chat != groupA || *m.Sender != jidCO || !m.Time.Equal(at(10)) || m.Type != "image" || *m.TypeRaw != 1 ||
		*m.MediaSHA256 != hashOf("img-1") || m.MediaSize != 1234 || m.Caption != "mira" || m.KeyID != "K10" || m.FromMe {
		t.Errorf("message %+v", m)
	}
	if msgs[1].MediaSHA256 != nil || msgs[1].MediaSize != -1 || !msgs[1].FromMe {
		t.Errorf("text message %+v", msgs[1])
	}
	if got := h.messages(store.MessageQuery{WithMedia: true}); len(got) != 1 || got[0].KeyID != "K10" {
		t.Errorf("--with-media: %+v", got)
	}
	if got := h.messages(store.MessageQuery{Sender: "+57 300 0000001"}); len(got) != 1 || got[0].KeyID != "K10" {
		t.Errorf("--sender by phone: %+v", got)
	}
	if got := h.messages(store.MessageQuery{Sender: jidES, Chat: groupA}); len(got) != 1 || got[0].KeyID != "K11" {
		t.Errorf("--sender by JID: %+v", got)
	}

	// The media hash has a content row, from the chat, so hash-set
	// matching covers it.
	ct, err := h.s.Content(h.ctx, hashOf("img-1"))
	if err != nil || ct.Origin != "chat" || ct.Kind != store.KindImage || ct.MIME != "image/jpeg" || ct.Size != -1 {
		t.Errorf("content %+v %v", ct, err)
	}

	evs := h.events(store.EventQuery{Chat: groupA})
	if len(evs) != 2 || evs[1].Action != "added" || *evs[1].Actor != jidCO || !reflect.DeepEqual(evs[1].Targets, []string{jidES}) ||
		*evs[0].ActionRaw != 11 || evs[0].NewValue != "Cocina" {
		t.Errorf("events %+v", evs)
	}
	var links []store.LinkView
	h.s.Links(h.ctx, store.LinkQuery{}, func(v store.LinkView) error { links = append(links, v); return nil })
	if len(links) != 1 || links[0].Code != "AbCdEfGhIjKlMnOpQrStUv" || links[0].Chat != groupA || links[0].Message != "message:11" || links[0].Device != "PHONE-ES" {
		t.Errorf("links %+v", links)
	}

	// JSON fields are exactly those the CLI documents.
	checkFields := func(v any, want ...string) {
		t.Helper()
		b, _ := json.Marshal(v)
		var m map[string]any
		json.Unmarshal(b, &m)
		var got []string
		for k := range m {
			got = append(got, k)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%T JSON fields %v, want %v", v, got, want)
		}
	}
	checkFields(c, "jid", "kind", "subject", "created", "creator", "members", "devices")
	checkFields(es[0], "jid", "phone", "country", "names", "devices")
	checkFields(m, "device", "chat", "sender", "time", "from_me", "type", "text", "media_sha256", "media_path", "media_mime")
	checkFields(evs[0], "chat", "time", "action", "actor", "targets")
	b, _ := json.Marshal(m)
	if !strings.Contains(string(b), `"time":"2023-03-01T10:10:00Z"`) {
		t.Errorf("message time not RFC 3339 UTC: %s", b)
	}

	// Every batch left an audit record with a digest of its rows.
	var batches []audit.Record
	h.s.AuditRecords(h.ctx, store.AuditQuery{Action: "artifact.batch"}, func(r audit.Record) error { batches = append(batches, r); return nil })
	if len(batches) != 1 || !strings.Contains(batches[0].Details, `"digest":"`) || !strings.Contains(batches[0].Details, `"messages_added":2`) {
		t.Errorf("batch audit records %+v", batches)
	}
	verifyChain(t, h.s)
}

func TestArtifactMergeAcrossDevices(t *testing.T) {
	h := newArtHarness(t)
	es, de := h.device("PHONE-ES"), h.device("PHONE-DE")
	h.extract(es, "msgstore.db", hashOf("es"), groupBatch(jidES))
	b := groupBatch(jidDE)
	// The second phone knows the group under an older subject only, and
	// the creator by the group's id only.
	b.Chats[0].Subjects = []store.SubjectChange{{Subject: "Cocina", Time: at(0)}}
	b.Chats[0].Subject = "Cocina"
	b.Chats[0].CreatorBasis = "group-id"
	b.Chats[0].CreatorJID = jidDE
	b.Messages[1].KeyID = "K11-de"
	h.extract(de, "msgstore.db", hashOf("de"), b)

	chats := h.chats(store.ChatQuery{})
	if len(chats) != 1 || !reflect.DeepEqual(chats[0].Devices, []string{"PHONE-DE", "PHONE-ES"}) || chats[0].Members != 3 {
		t.Fatalf("one group seen on two phones: %+v", chats)
	}
	if chats[0].Subject != "Recetas" {
		t.Errorf("current subject %q: the latest dated subject should win", chats[0].Subject)
	}
	if *chats[0].Creator != jidCO {
		t.Errorf("creator %s: the rank-based creator must not be replaced by a weaker basis", *chats[0].Creator)
	}
	co := h.accounts(store.AccountQuery{JID: jidCO})
	if len(co) != 1 || !reflect.DeepEqual(co[0].Devices, []string{"PHONE-DE", "PHONE-ES"}) {
		t.Errorf("the creator seen by both phones: %+v", co)
	}
	// Members are kept per device.
	ms := h.members(store.MemberQuery{Account: jidCO})
	if len(ms) != 2 || ms[0].Device != "PHONE-DE" || ms[1].Device != "PHONE-ES" || ms[0].Role != "creator" {
		t.Errorf("memberships %+v", ms)
	}
	if n := len(h.messages(store.MessageQuery{})); n != 4 {
		t.Errorf("%d messages, want 4 (two per device)", n)
	}
	if got := h.chats(store.ChatQuery{Device: "PHONE-DE"}); len(got) != 1 {
		t.Errorf("chats of PHONE-DE: %+v", got)
	}
	// The same content counted once.
	if n := h.count(`SELECT count(*) FROM content`); n != 1 {
		t.Errorf("%d contents, want 1", n)
	}
	// A device JID is the same account.
	a, _, _ := h.s.BeginArtifact(h.ctx, store.Artifact{DeviceID: de.ID, Path: "wa.db", SHA256: hashOf("wa"), Extractor: "test"})
	if err := h.s.WriteArtifact(h.ctx, a.ID, store.ArtifactBatch{Accounts: []store.Account{{JID: "573000000001.0:7@s.whatsapp.net", Names: []string{"Cami"}}}}); err != nil {
		t.Fatal(err)
	}
	if co := h.accounts(store.AccountQuery{JID: jidCO}); len(co) != 1 || !reflect.DeepEqual(co[0].Names, []string{"Cami", "Camila"}) {
		t.Errorf("device JID not merged: %+v", co)
	}
	if n := h.count(`SELECT count(*) FROM account`); n != 3 {
		t.Errorf("%d accounts, want 3", n)
	}
	verifyChain(t, h.s)
}

func TestArtifactMergeByPhone(t *testing.T) {
	h := newArtHarness(t)
	d := h.device("PHONE-ES")
	// An export names a contact and shows their number; a database later
	// gives the JID.
	h.extract(d, "export.txt", hashOf("x"), store.ArtifactBatch{
		Accounts: []store.Account{{JID: "name:PHONE-ES:Camila", Phone: "+573000000001", Country: "CO", Names: []string{"Camila"}}},
	})
	h.extract(d, "msgstore.db", hashOf("m"), store.ArtifactBatch{
		Messages: []store.Message{{RowRef: "message:2", ChatJID: jidCO, SenderJID: jidCO, Time: at(1), Type: "text", Text: "hola"}},
	})
	accs := h.accounts(store.AccountQuery{})
	if len(accs) != 1 || accs[0].JID != "name:PHONE-ES:Camila" || *accs[0].Phone != "+573000000001" {
		t.Fatalf("accounts %+v: the JID should have found the account by phone", accs)
	}
	if m := h.messages(store.MessageQuery{}); len(m) != 1 || *m[0].Sender != "name:PHONE-ES:Camila" {
		t.Errorf("messages %+v", m)
	}
}

func TestArtifactLIDMappedLater(t *testing.T) {
	h := newArtHarness(t)
	es, de := h.device("PHONE-ES"), h.device("PHONE-DE")
	// PHONE-ES knows the German member only by LID.
	h.extract(es, "msgstore.db", hashOf("es"), store.ArtifactBatch{
		Accounts: []store.Account{{JID: lidDE, Names: []string{"~ Dieter"}, NameBasis: "lid_display_name"}},
		Chats:    []store.Chat{{JID: groupA, Kind: "group"}},
		Members:  []store.Member{{ChatJID: groupA, AccountJID: lidDE, Role: store.RoleAdmin, Current: true, FirstSeen: at(2)}},
		Messages: []store.Message{{RowRef: "message:5", ChatJID: groupA, SenderJID: lidDE, Time: at(5), Type: "image", MediaSHA256: hashOf("img-9")}},
		Events:   []store.Event{{RowRef: "message:4", ChatJID: groupA, Time: at(2), Action: store.ActionJoinedByLink, TargetJIDs: []string{lidDE}}},
	})
	// PHONE-DE is the member's own phone: its owner by phone JID.
	h.extract(de, "msgstore.db", hashOf("de"), store.ArtifactBatch{
		Accounts: []store.Account{{JID: jidDE, Owner: true, OwnerBasis: "preferences", Names: []string{"Dieter"}}},
		Members:  []store.Member{{ChatJID: groupA, AccountJID: jidDE, Role: store.RoleMember, Current: true, FirstSeen: at(2)}},
		Messages: []store.Message{{RowRef: "message:9", ChatJID: groupA, SenderJID: jidDE, FromMe: true, Time: at(5), Type: "image", MediaSHA256: hashOf("img-9")}},
	})
	if n := h.count(`SELECT count(*) FROM account`); n != 2 {
		t.Fatalf("%d accounts before the mapping, want 2 (LID and phone apart)", n)
	}
	// A later source maps the LID to the phone: the two become one.
	a, _, err := h.s.BeginArtifact(h.ctx, store.Artifact{DeviceID: es.ID, Path: "LID.sqlite", SHA256: hashOf("lid"), Extractor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.s.WriteArtifact(h.ctx, a.ID, store.ArtifactBatch{Accounts: []store.Account{{JID: jidDE, LID: lidDE}}}); err != nil {
		t.Fatal(err)
	}
	accs := h.accounts(store.AccountQuery{})
	if len(accs) != 1 {
		t.Fatalf("accounts after the mapping: %+v", accs)
	}
	acc := accs[0]
	if acc.JID != jidDE || acc.LID != lidDE || *acc.Country != "DE" || !reflect.DeepEqual(acc.Devices, []string{"PHONE-DE", "PHONE-ES"}) ||
		!reflect.DeepEqual(acc.Names, []string{"Dieter", "~ Dieter"}) || !reflect.DeepEqual(acc.OwnerOf, []string{"PHONE-DE"}) {
		t.Errorf("merged account %+v", acc)
	}
	for _, m := range h.messages(store.MessageQuery{}) {
		if *m.Sender != jidDE {
			t.Errorf("message %s sender %s", m.RowRef, *m.Sender)
		}
	}
	if ev := h.events(store.EventQuery{}); len(ev) != 1 || !reflect.DeepEqual(ev[0].Targets, []string{jidDE}) {
		t.Errorf("event targets %+v", ev)
	}
	ms := h.members(store.MemberQuery{Chat: groupA})
	if len(ms) != 2 || ms[0].Account != jidDE || ms[1].Account != jidDE || ms[1].Device != "PHONE-ES" || ms[1].Role != "admin" {
		t.Errorf("members %+v", ms)
	}
	// Looking the account up by its LID still finds it, and new rows
	// naming the LID land on it.
	if err := h.s.WriteArtifact(h.ctx, a.ID, store.ArtifactBatch{Messages: []store.Message{{RowRef: "message:77", ChatJID: groupA, SenderJID: lidDE, Time: at(9), Type: "text"}}}); err != nil {
		t.Fatal(err)
	}
	if n := h.count(`SELECT count(*) FROM account`); n != 1 {
		t.Errorf("%d accounts after a LID reference, want 1", n)
	}
	if got := h.messages(store.MessageQuery{Sender: lidDE}); len(got) != 3 {
		t.Errorf("messages by LID: %d, want 3", len(got))
	}
	var merges int
	h.s.AuditRecords(h.ctx, store.AuditQuery{Action: "account.merge"}, func(audit.Record) error { merges++; return nil })
	if merges != 1 {
		t.Errorf("%d merge audit records, want 1", merges)
	}
	verifyChain(t, h.s)
}

func TestArtifactLIDFirstThenPhone(t *testing.T) {
	h := newArtHarness(t)
	d := h.device("PHONE-ES")
	a, _, _ := h.s.BeginArtifact(h.ctx, store.Artifact{DeviceID: d.ID, Path: "msgstore.db", SHA256: hashOf("m"), Extractor: "test"})
	must := func(b store.ArtifactBatch) {
		t.Helper()
		if err := h.s.WriteArtifact(h.ctx, a.ID, b); err != nil {
			t.Fatal(err)
		}
	}
	must(store.ArtifactBatch{Messages: []store.Message{{RowRef: "message:1", ChatJID: groupA, SenderJID: lidPT, Time: at(1), Type: "text"}}})
	// The mapping comes in a later batch (jid_map read after the messages).
	must(store.ArtifactBatch{Accounts: []store.Account{{JID: jidPT, LID: lidPT}}})
	accs := h.accounts(store.AccountQuery{})
	if len(accs) != 1 || accs[0].JID != jidPT || accs[0].LID != lidPT || *accs[0].Phone != "+351912000001" || *accs[0].Country != "PT" {
		t.Fatalf("LID account upgraded to the phone: %+v", accs)
	}
	must(store.ArtifactBatch{Messages: []store.Message{{RowRef: "message:2", ChatJID: groupA, SenderJID: jidPT, Time: at(2), Type: "text"}}})
	if n := len(h.messages(store.MessageQuery{Sender: jidPT})); n != 2 {
		t.Errorf("%d messages by the mapped account, want 2", n)
	}
}

func TestArtifactResumeAfterInterruption(t *testing.T) {
	h := newArtHarness(t)
	d := h.device("PHONE-ES")
	art := store.Artifact{DeviceID: d.ID, Path: "msgstore.db", SHA256: hashOf("db"), Extractor: "test"}
	mk := func(from, to int) store.ArtifactBatch {
		var b store.ArtifactBatch
		for i := from; i < to; i++ {
			b.Messages = append(b.Messages, store.Message{RowRef: fmt.Sprintf("message:%d", i), ChatJID: jidCO, SenderJID: jidCO, Time: at(i), Type: "text", Text: fmt.Sprint(i)})
			b.Events = append(b.Events, store.Event{RowRef: fmt.Sprintf("event:%d", i), ChatJID: groupA, Time: at(i), Action: "added", TargetJIDs: []string{jidCO}})
		}
		return b
	}
	a, done, err := h.s.BeginArtifact(h.ctx, art)
	if err != nil || done {
		t.Fatal(err, done)
	}
	if err := h.s.WriteArtifact(h.ctx, a.ID, mk(0, 5)); err != nil {
		t.Fatal(err)
	}
	// The process dies here: no FinishArtifact. A rerun reopens the record.
	b, done, err := h.s.BeginArtifact(h.ctx, art)
	if err != nil || done || b.ID != a.ID || b.Status != "running" {
		t.Fatalf("rerun: %+v done=%v err=%v", b, done, err)
	}
	if n := h.count(`SELECT count(*) FROM message`); n != 0 {
		t.Fatalf("%d partial messages left after reopening", n)
	}
	for _, batch := range []store.ArtifactBatch{mk(0, 5), mk(5, 10), mk(5, 10)} { // the last one repeated
		if err := h.s.WriteArtifact(h.ctx, b.ID, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.s.FinishArtifact(h.ctx, b.ID, "complete", map[string]int64{"messages": 10}, []string{"w1"}); err != nil {
		t.Fatal(err)
	}
	if n := h.count(`SELECT count(*) FROM message`); n != 10 {
		t.Errorf("%d messages, want 10", n)
	}
	if n := h.count(`SELECT count(*) FROM event_target`); n != 10 {
		t.Errorf("%d event targets, want 10", n)
	}
	if n := h.count(`SELECT count(*) FROM chat_device`); n != 2 {
		t.Errorf("%d chat_device rows, want 2", n)
	}
	// Complete: a third run is told to skip.
	c, done, err := h.s.BeginArtifact(h.ctx, art)
	if err != nil || !done || c.ID != a.ID || c.Status != "complete" || !reflect.DeepEqual(c.Warnings, []string{"w1"}) {
		t.Fatalf("after completion: %+v done=%v err=%v", c, done, err)
	}
	if err := h.s.WriteArtifact(h.ctx, c.ID, mk(20, 21)); err == nil {
		t.Error("writing to a complete artifact was accepted")
	}
	// The same path with other bytes is another artifact.
	art.SHA256 = hashOf("db2")
	if e, done, err := h.s.BeginArtifact(h.ctx, art); err != nil || done || e.ID == a.ID {
		t.Errorf("changed file: %+v %v %v", e, done, err)
	}
	verifyChain(t, h.s)
}

func TestArtifactRejectsBadInput(t *testing.T) {
	h := newArtHarness(t)
	d := h.device("PHONE-ES")
	a, _, _ := h.s.BeginArtifact(h.ctx, store.Artifact{DeviceID: d.ID, Path: "msgstore.db", Extractor: "test"})
	for name, b := range map[string]store.ArtifactBatch{
		"bad hash":   {Messages: []store.Message{{RowRef: "m:1", ChatJID: jidCO, Time: at(1), Type: "image", MediaSHA256: "zz"}}},
		"no row ref": {Messages: []store.Message{{ChatJID: jidCO, Time: at(1), Type: "text"}}},
		"bad role":   {Members: []store.Member{{ChatJID: groupA, AccountJID: jidCO, Role: "boss"}}},
		"bad LID":    {Accounts: []store.Account{{JID: jidCO, LID: jidDE}}},
	} {
		if err := h.s.WriteArtifact(h.ctx, a.ID, b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A failed batch leaves nothing behind.
	if n := h.count(`SELECT count(*) FROM account`); n != 0 {
		t.Errorf("%d accounts after failed batches", n)
	}
	if err := h.s.WriteArtifact(h.ctx, 999, store.ArtifactBatch{}); err == nil {
		t.Error("unknown artifact accepted")
	}
	// The cache must not keep ids of rows a failed batch rolled back.
	bad := store.ArtifactBatch{Messages: []store.Message{
		{RowRef: "m:1", ChatJID: jidCO, SenderJID: jidDE, Time: at(1), Type: "text"},
		{RowRef: "m:2", ChatJID: jidCO, Time: at(1), Type: "image", MediaSHA256: "zz"},
	}}
	if err := h.s.WriteArtifact(h.ctx, a.ID, bad); err == nil {
		t.Fatal("bad batch accepted")
	}
	bad.Messages = bad.Messages[:1]
	if err := h.s.WriteArtifact(h.ctx, a.ID, bad); err != nil {
		t.Fatalf("good batch after a failed one: %v", err)
	}
	if m := h.messages(store.MessageQuery{}); len(m) != 1 || *m[0].Sender != jidDE {
		t.Errorf("messages %+v", m)
	}
}

func TestLinkMedia(t *testing.T) {
	h := newArtHarness(t)
	es, de := h.device("PHONE-ES"), h.device("PHONE-DE")
	addFiles := func(d store.Device, files map[string]string) {
		t.Helper()
		src, _, err := h.s.StartSource(h.ctx, store.Source{DeviceID: d.ID, Kind: "directory", Path: "/evidence/" + d.Label, Operator: "t", Tool: "t"})
		if err != nil {
			t.Fatal(err)
		}
		var b store.Batch
		b.SourceID = src.ID
		for p, content := range files {
			sha := hashOf(content)
			b.Contents = append(b.Contents, store.Content{SHA256: sha, MD5: "m" + content, Size: int64(len(content)), MIME: "image/jpeg", Kind: "image"})
			b.Files = append(b.Files, store.File{Path: p, SHA256: sha, Size: int64(len(content))})
		}
		if err := h.s.WriteBatch(h.ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	img := func(ref, sha, path string) store.Message {
		return store.Message{RowRef: ref, ChatJID: groupA, SenderJID: jidCO, Time: at(1), Type: "image", MediaSHA256: sha, MediaPath: path, MediaMIME: "image/jpeg", MediaSize: 10}
	}
	// Messages first: their hashes exist only as chat contents.
	h.extract(es, "msgstore.db", hashOf("es"), store.ArtifactBatch{Messages: []store.Message{
		img("m:1", hashOf("both"), "Media/WhatsApp Images/IMG-1.jpg"),                  // a file on this device and on the other
		img("m:2", hashOf("only-de"), "Media/WhatsApp Images/IMG-2.jpg"),               // a file only on the other device
		img("m:3", "", "Media/WhatsApp Images/IMG-3.jpg"),                              // no hash: by path (relative under the WhatsApp folder)
		img("m:4", "", "/storage/emulated/0/WhatsApp/Media/WhatsApp Images/IMG-4.jpg"), // legacy absolute path
		img("m:5", hashOf("gone"), "Media/WhatsApp Images/IMG-5.jpg"),                  // the file at the path is another content
		img("m:6", "", "IMG-6.jpg"),                                                    // a bare name found in two places with different contents
		img("m:7", hashOf("nowhere"), ""),                                              // on no device
	}})
	if ct, _ := h.s.Content(h.ctx, hashOf("both")); ct.Origin != "chat" {
		t.Fatalf("content before the files: %+v", ct)
	}
	addFiles(es, map[string]string{
		"sdcard/WhatsApp/Media/WhatsApp Images/IMG-1.jpg":      "both",
		"sdcard/WhatsApp/Media/WhatsApp Images/IMG-3.jpg":      "three",
		"sdcard/WhatsApp/Media/WhatsApp Images/Sent/IMG-3.jpg": "three-sent",
		"sdcard/WhatsApp/Media/WhatsApp Images/IMG-4.jpg":      "four",
		"sdcard/WhatsApp/Media/WhatsApp Images/IMG-5.jpg":      "five-other",
		"sdcard/Download/IMG-6.jpg":                            "six-a",
		"sdcard/DCIM/IMG-6.jpg":                                "six-b",
	})
	addFiles(de, map[string]string{
		"Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-1.jpg": "both",
		"Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-2.jpg": "only-de",
	})
	// The files completed the chat contents.
	if ct, _ := h.s.Content(h.ctx, hashOf("both")); ct.Origin != "file" || ct.Size != 4 || ct.MD5 != "mboth" {
		t.Errorf("content after the file: %+v", ct)
	}
	n, err := h.s.LinkMedia(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("linked %d, want 4", n)
	}
	fileOf := func(id int64) (string, string) {
		var dev, p string
		h.s.r.QueryRow(`SELECT d.label, f.path FROM file f JOIN device d ON d.id = f.device_id WHERE f.id = ?`, id).Scan(&dev, &p)
		return dev, p
	}
	got := map[string]string{}
	for _, m := range h.messages(store.MessageQuery{}) {
		if m.MediaFileID == 0 {
			got[m.RowRef] = ""
			continue
		}
		dev, p := fileOf(m.MediaFileID)
		got[m.RowRef] = dev + ":" + p
		if m.RowRef == "m:3" && (m.MediaSHA256 == nil || *m.MediaSHA256 != hashOf("three")) {
			t.Errorf("m:3 linked by path did not get the file's hash: %v", m.MediaSHA256)
		}
	}
	want := map[string]string{
		"m:1": "PHONE-ES:sdcard/WhatsApp/Media/WhatsApp Images/IMG-1.jpg",
		"m:2": "PHONE-DE:Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-2.jpg",
		"m:3": "PHONE-ES:sdcard/WhatsApp/Media/WhatsApp Images/IMG-3.jpg",
		"m:4": "PHONE-ES:sdcard/WhatsApp/Media/WhatsApp Images/IMG-4.jpg",
		"m:5": "", "m:6": "", "m:7": "",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("links:\n got %v\nwant %v", got, want)
	}
	// Linking again changes nothing.
	if n, err := h.s.LinkMedia(h.ctx); err != nil || n != 0 {
		t.Errorf("second LinkMedia: %d %v", n, err)
	}
	var rec []audit.Record
	h.s.AuditRecords(h.ctx, store.AuditQuery{Action: "artifact.link-media"}, func(r audit.Record) error { rec = append(rec, r); return nil })
	if len(rec) != 2 || !strings.Contains(rec[0].Details, `"path_hash_mismatch":1`) || !strings.Contains(rec[0].Details, `"path_ambiguous":1`) {
		t.Errorf("link audit %+v", rec)
	}
}

func TestMatchPath(t *testing.T) {
	files := []fileRef{
		{1, "a/WhatsApp/Media/WhatsApp Images/IMG-1.jpg", "h1"},
		{2, "a/WhatsApp/Media/WhatsApp Images/Sent/IMG-1.jpg", "h2"},
		{3, "b/IMG-1.jpg", "h3"},
		{4, "Message/Media/34600000001@s.whatsapp.net/d/0/d041.jpg", "h4"},
	}
	byPath, byBase := map[string]fileRef{}, map[string][]fileRef{}
	for _, f := range files {
		byPath[f.path] = f
		byBase[baseName(f.path)] = append(byBase[baseName(f.path)], f)
	}
	for _, c := range []struct {
		mp  string
		id  int64
		amb bool
	}{
		{"Media/WhatsApp Images/IMG-1.jpg", 1, false},
		{"Media/WhatsApp Images/Sent/IMG-1.jpg", 2, false},
		{`\sdcard\WhatsApp\Media\WhatsApp Images\IMG-1.jpg`, 1, false},
		{"/storage/emulated/0/WhatsApp/Media/WhatsApp Images/IMG-1.jpg", 1, false},
		{"IMG-1.jpg", 0, true},
		{"Other/IMG-1.jpg", 0, false},
		{"Media/34600000001@s.whatsapp.net/d/0/d041.jpg", 4, false},
		{"b/IMG-1.jpg", 3, false},
		{"", 0, false},
	} {
		f, ok, amb := matchPath(c.mp, byPath, byBase)
		if f.id != c.id || ok != (c.id != 0) || amb != c.amb {
			t.Errorf("%q: got %d ok=%v amb=%v, want %d amb=%v", c.mp, f.id, ok, amb, c.id, c.amb)
		}
	}
}

func TestArtifactOwnerPlaceholder(t *testing.T) {
	h := newArtHarness(t)
	d := h.device("PHONE-ES")
	// msgstore.db first: its own messages have no sender JID.
	h.extract(d, "msgstore.db", hashOf("m"), store.ArtifactBatch{
		Accounts: []store.Account{{JID: store.OwnerJID, Names: []string{"Ana"}, NameBasis: "props"}},
		Members:  []store.Member{{ChatJID: groupA, AccountJID: store.OwnerJID, Role: store.RoleAdmin, Current: true}},
		Messages: []store.Message{{RowRef: "message:2", ChatJID: groupA, SenderJID: store.OwnerJID, FromMe: true, Time: at(1), Type: "text"}},
	})
	accs := h.accounts(store.AccountQuery{})
	if len(accs) != 1 || accs[0].JID != "owner:PHONE-ES" || !reflect.DeepEqual(accs[0].OwnerOf, []string{"PHONE-ES"}) {
		t.Fatalf("placeholder owner: %+v", accs)
	}
	// The preferences file names the owner: the placeholder becomes it.
	h.extract(d, "prefs.xml", hashOf("p"), store.ArtifactBatch{
		Accounts: []store.Account{{JID: jidES, Owner: true, OwnerBasis: "preferences", Names: []string{"Ana G."}}},
	})
	accs = h.accounts(store.AccountQuery{})
	if len(accs) != 1 || accs[0].JID != jidES || !reflect.DeepEqual(accs[0].Names, []string{"Ana", "Ana G."}) ||
		!reflect.DeepEqual(accs[0].OwnerOf, []string{"PHONE-ES"}) {
		t.Fatalf("owner after the preferences: %+v", accs)
	}
	if m := h.messages(store.MessageQuery{}); *m[0].Sender != jidES {
		t.Errorf("own message sender %s", *m[0].Sender)
	}
	if ms := h.members(store.MemberQuery{}); len(ms) != 1 || ms[0].Account != jidES || ms[0].Role != "admin" {
		t.Errorf("members %+v", ms)
	}
	var basis string
	h.s.r.QueryRow(`SELECT owner_basis FROM device WHERE id = ?`, d.ID).Scan(&basis)
	if basis != "preferences" {
		t.Errorf("owner basis %q", basis)
	}
	// Known owner first: OwnerJID resolves to it directly.
	d2 := h.device("PHONE-CO")
	h.extract(d2, "prefs.xml", hashOf("p2"), store.ArtifactBatch{Accounts: []store.Account{{JID: jidCO, Owner: true, OwnerBasis: "preferences"}}})
	h.extract(d2, "msgstore.db", hashOf("m2"), store.ArtifactBatch{
		Messages: []store.Message{{RowRef: "message:2", ChatJID: groupA, SenderJID: store.OwnerJID, FromMe: true, Time: at(1), Type: "text"}},
	})
	if m := h.messages(store.MessageQuery{Device: "PHONE-CO"}); len(m) != 1 || *m[0].Sender != jidCO {
		t.Errorf("PHONE-CO own message: %+v", m)
	}
	if n := h.count(`SELECT count(*) FROM account WHERE jid LIKE 'owner:%'`); n != 0 {
		t.Errorf("%d placeholders left", n)
	}
	verifyChain(t, h.s)
}

// BenchmarkWriteArtifactMessages writes batches of 10,000 messages (one in
// five with a media hash) from 1,000 senders in 100 chats
// (VIGIL_BENCH_BATCH and VIGIL_BENCH_CHATS change these).
func BenchmarkWriteArtifactMessages(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "case.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	d, _ := s.PutDevice(ctx, store.Device{Label: "BENCH"})
	a, _, err := s.BeginArtifact(ctx, store.Artifact{DeviceID: d.ID, Path: "msgstore.db", Extractor: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	batch, chats := 10000, 100
	if n, err := strconv.Atoi(os.Getenv("VIGIL_BENCH_BATCH")); err == nil {
		batch = n
	}
	if n, err := strconv.Atoi(os.Getenv("VIGIL_BENCH_CHATS")); err == nil {
		chats = n
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var bt store.ArtifactBatch
		for k := 0; k < batch; k++ {
			n := i*batch + k
			m := store.Message{RowRef: fmt.Sprintf("message:%d", n), ChatJID: fmt.Sprintf("120363%012d@g.us", n%chats),
				SenderJID: fmt.Sprintf("34600%06d@s.whatsapp.net", n%1000), Time: t0.Add(time.Duration(n) * time.Second),
				Type: "text", Text: fmt.Sprintf("message %d", n), KeyID: fmt.Sprintf("K%d", n), MediaSize: -1}
			if n%5 == 0 {
				m.Type, m.Text, m.MediaSHA256, m.MediaPath, m.MediaMIME, m.MediaSize = "image", "", hashOf(fmt.Sprint(n%20000)),
					fmt.Sprintf("Media/WhatsApp Images/IMG-%d.jpg", n), "image/jpeg", 1000
			}
			bt.Messages = append(bt.Messages, m)
		}
		b.StartTimer()
		if err := s.WriteArtifact(ctx, a.ID, bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "messages/s")
}

// TestArtifactConcurrentWriters: extractions of two devices write at the
// same time, sharing accounts and merging some by LID; nothing is lost or
// doubled (run with -race).
func TestArtifactConcurrentWriters(t *testing.T) {
	h := newArtHarness(t)
	devs := []store.Device{h.device("PHONE-A"), h.device("PHONE-B")}
	errs := make(chan error, 2)
	for di, d := range devs {
		go func() {
			a, _, err := h.s.BeginArtifact(h.ctx, store.Artifact{DeviceID: d.ID, Path: "msgstore.db", Extractor: "test"})
			if err != nil {
				errs <- err
				return
			}
			for b := 0; b < 20; b++ {
				var bt store.ArtifactBatch
				for k := 0; k < 50; k++ {
					n := b*50 + k
					sender := fmt.Sprintf("34600%06d@s.whatsapp.net", n%30)
					if di == 1 && n%3 == 0 {
						sender = fmt.Sprintf("1%014d@lid", n%30) // B knows some by LID first
					}
					bt.Messages = append(bt.Messages, store.Message{RowRef: fmt.Sprintf("m:%d", n), ChatJID: groupA, SenderJID: sender,
						Time: at(n), Type: "text", MediaSHA256: hashOf(fmt.Sprint(n % 7))})
				}
				if di == 1 && b%5 == 4 {
					for k := 0; k < 30; k++ {
						bt.Accounts = append(bt.Accounts, store.Account{JID: fmt.Sprintf("34600%06d@s.whatsapp.net", k), LID: fmt.Sprintf("1%014d@lid", k)})
					}
				}
				if err := h.s.WriteArtifact(h.ctx, a.ID, bt); err != nil {
					errs <- err
					return
				}
			}
			errs <- h.s.FinishArtifact(h.ctx, a.ID, "complete", nil, nil)
		}()
	}
	for range devs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := h.count(`SELECT count(*) FROM message`); n != 2000 {
		t.Errorf("%d messages, want 2000", n)
	}
	if n := h.count(`SELECT count(*) FROM account`); n != 30 {
		t.Errorf("%d accounts, want 30 (every LID mapped to its phone)", n)
	}
	if n := h.count(`SELECT count(*) FROM message m LEFT JOIN account a ON a.id = m.sender_id WHERE a.id IS NULL`); n != 0 {
		t.Errorf("%d messages lost their sender", n)
	}
	if n := h.count(`SELECT count(*) FROM content`); n != 7 {
		t.Errorf("%d contents, want 7", n)
	}
	verifyChain(t, h.s)
}

// TestMemberSeenTwice: the same membership twice in one batch (the old and
// the new participant tables of one file) keeps the highest role and
// stays current.
func TestMemberSeenTwice(t *testing.T) {
	h := newArtHarness(t)
	d := h.device("PHONE-ES")
	h.extract(d, "msgstore.db", hashOf("m"), store.ArtifactBatch{Members: []store.Member{
		{ChatJID: groupA, AccountJID: jidCO, Role: store.RoleAdmin, Current: true},
		{ChatJID: groupA, AccountJID: jidCO, Role: store.RoleMember, LastSeen: at(5)},
		{ChatJID: groupA, AccountJID: jidDE, Role: store.RoleMember, Current: true, Pending: true},
	}})
	ms := h.members(store.MemberQuery{})
	// Ordered by account JID: the German one first.
	if len(ms) != 2 || ms[1].Account != jidCO || ms[1].Role != "admin" || !ms[1].Current || !ms[1].LastSeen.Equal(at(5)) ||
		!ms[0].Pending {
		t.Errorf("members %+v", ms)
	}
}
