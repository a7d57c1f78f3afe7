package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/caseio"
	"vigil/internal/store"
)

// TestChatListings runs the WhatsApp listings in process on a case holding
// one extraction, and checks the JSON fields and the filters.
func TestChatListings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	t.Setenv("VIGIL_KEYS", keys)
	c, err := caseio.Init(ctx, filepath.Join(dir, "case"), "t", caseio.Options{KeyDir: keys})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Store.PutDevice(ctx, store.Device{Label: "PHONE-ES"})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := c.Store.BeginArtifact(ctx, store.Artifact{DeviceID: d.ID, Path: "msgstore.db", Extractor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2023, 5, 2, 9, 5, 0, 0, time.UTC)
	const group, co, es = "120363000000000001@g.us", "573000000001@s.whatsapp.net", "34600000001@s.whatsapp.net"
	sha := strings.Repeat("ab", 32)
	err = c.Store.WriteArtifact(ctx, a.ID, store.ArtifactBatch{
		Accounts: []store.Account{{JID: es, Owner: true, OwnerBasis: "test", Names: []string{"Ana"}}},
		Chats:    []store.Chat{{JID: group, Kind: "group", Subject: "Recetas", Created: when, CreatorJID: co, CreatorBasis: "rank"}},
		Members:  []store.Member{{ChatJID: group, AccountJID: co, Role: "creator", Current: true}, {ChatJID: group, AccountJID: es, Current: true}},
		Messages: []store.Message{
			{RowRef: "m:1", ChatJID: group, SenderJID: co, Time: when, Type: "image", MediaSHA256: sha, MediaPath: "Media/WhatsApp Images/IMG-1.jpg", MediaMIME: "image/jpeg", MediaSize: 10},
			{RowRef: "m:2", ChatJID: group, SenderJID: es, FromMe: true, Time: when.Add(time.Minute), Type: "text", Text: "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv", MediaSize: -1},
		},
		Events: []store.Event{{RowRef: "m:0", ChatJID: group, Time: when.Add(-time.Minute), Action: "added", ActorJID: co, TargetJIDs: []string{es}}},
		Links:  []store.Link{{Kind: "group-invite", Code: "AbCdEfGhIjKlMnOpQrStUv", ChatJID: group, MessageRowRef: "m:2", Time: when.Add(time.Minute)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Store.FinishArtifact(ctx, a.ID, "complete", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	run := func(build func(*app) *cobra.Command, args ...string) []map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		ap := &app{caseDir: filepath.Join(dir, "case"), actor: "tester", stdout: &out, stderr: &errb}
		cmd := build(ap)
		cmd.SetArgs(append(args, "--format", "json"))
		cmd.SetOut(&out)
		cmd.SetErr(&errb)
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("%s %v: %v %s", cmd.Use, args, err, errb.String())
		}
		var rows []map[string]any
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
			t.Fatalf("%s: %v: %s", cmd.Use, err, out.String())
		}
		return rows
	}
	fields := func(rows []map[string]any) string {
		if len(rows) == 0 {
			return ""
		}
		var ks []string
		for k := range rows[0] {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, ",")
	}
	chats := run(newChatsCmd)
	if len(chats) != 1 || fields(chats) != "created,creator,devices,jid,kind,members,subject" || chats[0]["members"] != 2.0 ||
		chats[0]["kind"] != "group" || chats[0]["creator"] != co {
		t.Errorf("chats %v", chats)
	}
	accs := run(newAccountsCmd, "--country", "CO")
	if len(accs) != 1 || fields(accs) != "country,devices,jid,names,phone" || accs[0]["phone"] != "+573000000001" {
		t.Errorf("accounts %v", accs)
	}
	msgs := run(newMessagesCmd, "--with-media")
	if len(msgs) != 1 || fields(msgs) != "chat,device,from_me,media_mime,media_path,media_sha256,sender,text,time,type" ||
		msgs[0]["media_sha256"] != sha || msgs[0]["time"] != "2023-05-02T09:05:00Z" {
		t.Errorf("messages %v", msgs)
	}
	if got := run(newMessagesCmd, "--sender", "+34 600 000 001", "--chat", group); len(got) != 1 || got[0]["from_me"] != true || got[0]["media_sha256"] != nil {
		t.Errorf("messages --sender %v", got)
	}
	evs := run(newEventsCmd)
	if len(evs) != 1 || fields(evs) != "action,actor,chat,targets,time" || evs[0]["actor"] != co {
		t.Errorf("events %v", evs)
	}
	if links := run(newLinksCmd); len(links) != 1 || links[0]["code"] != "AbCdEfGhIjKlMnOpQrStUv" || links[0]["chat"] != group {
		t.Errorf("links %v", links)
	}
}
