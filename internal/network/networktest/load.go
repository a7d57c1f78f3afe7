// Package networktest builds synthetic cases whose ground truth is known,
// for the tests of network analysis, of reports and of the CLI: devices
// described as internal/synth Scenarios, loaded into a case store as an
// extractor would write them, with made-up hash sets, hits and analyst
// decisions. Every name, number and hash is fictitious; media exist only
// as hashes of their names.
package networktest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"vigil/internal/store"
	"vigil/internal/synth"
)

// Hash is the SHA-256 (hex) this package gives the synthetic media named
// name.
func Hash(name string) string {
	h := sha256.Sum256([]byte("vigil network test media: " + name))
	return hex.EncodeToString(h[:])
}

// View says how a device's sources recorded a Scenario: what an
// extractor of that platform would find.
type View struct {
	Path      string // the artifact's path on the device ("msgstore.db")
	Extractor string // the extractor's name ("whatsapp-android")
	// Keys records message key ids (databases do; exports do not).
	Keys bool
	// Minutes truncates times to the minute (as exports write them).
	Minutes bool
	// LIDs addresses people who have a LID by their LID, and records the
	// LID→phone mapping (modern Android groups).
	LIDs bool
	// Batch is the number of messages per write (default 5000).
	Batch int
	// ExportJIDs names group chats as the export extractor does, which
	// never learns a group's JID: "export:<SHA-256>" (of the path here).
	ExportJIDs bool
}

const inviteURL = "https://chat.whatsapp.com/"

// Load writes a Scenario into the store as the findings of one artifact
// of the device: accounts (the owner marked), chats, members, messages and
// events. A message whose Sender is "" and FromMe is true is written
// without a sender (the owner is implied), as some databases keep them.
func Load(ctx context.Context, st store.Store, device store.Device, s *synth.Scenario, v View) error {
	if err := s.Check(); err != nil {
		return err
	}
	if v.Path == "" {
		v.Path = "msgstore.db"
	}
	if v.Extractor == "" {
		v.Extractor = "whatsapp-test"
	}
	if v.ExportJIDs {
		c := *s
		c.Chats = append([]synth.Chat(nil), s.Chats...)
		for i := range c.Chats {
			if c.Chats[i].Kind != synth.Direct {
				c.Chats[i].JID = "export:" + Hash(v.Path+"\x00"+c.Chats[i].JID)
				c.Chats[i].InviteCode = ""
			}
		}
		s = &c
	}
	if v.Batch <= 0 {
		v.Batch = 5000
	}
	art, done, err := st.BeginArtifact(ctx, store.Artifact{DeviceID: device.ID, Path: v.Path, Extractor: v.Extractor,
		SHA256: Hash(device.Label + "/" + v.Path)})
	if err != nil {
		return err
	}
	if done {
		return nil
	}
	ref := func(jid string) string {
		if !v.LIDs || jid == "" {
			return jid
		}
		if p, ok := s.Person(jid); ok && p.LID != "" {
			return p.LID
		}
		return jid
	}
	when := func(t time.Time) time.Time {
		if v.Minutes {
			return t.Truncate(time.Minute)
		}
		return t
	}
	var b store.ArtifactBatch
	person := func(p synth.Person, owner bool) store.Account {
		a := store.Account{JID: p.JID, Owner: owner, NameBasis: "test"}
		if owner {
			a.OwnerBasis = "test"
		}
		if v.LIDs && p.LID != "" && strings.HasSuffix(p.JID, "@s.whatsapp.net") {
			a.LID = p.LID
		}
		for _, n := range []string{p.Name, p.PushName} {
			if n != "" {
				a.Names = append(a.Names, n)
			}
		}
		return a
	}
	b.Accounts = append(b.Accounts, person(s.Owner, true))
	for _, p := range s.People {
		b.Accounts = append(b.Accounts, person(p, false))
	}
	for _, c := range s.Chats {
		kind := store.ChatGroup
		if c.Kind == synth.Direct {
			kind = store.ChatDirect
		}
		ch := store.Chat{JID: c.JID, Kind: kind, Subject: c.Subject, Created: c.Created, Description: c.Description}
		if c.Creator != "" {
			ch.CreatorJID, ch.CreatorBasis = ref(c.Creator), "group-info"
		}
		b.Chats = append(b.Chats, ch)
		for _, m := range c.Members {
			b.Members = append(b.Members, store.Member{ChatJID: c.JID, AccountJID: ref(m.JID), Role: m.Role, Current: !m.Past})
		}
		for _, e := range c.Events {
			ev := store.Event{RowRef: "event:" + e.ID, ChatJID: c.JID, Time: when(e.Time), Action: e.Action, ActorJID: ref(e.Actor),
				OldValue: e.Old, NewValue: e.New}
			for _, t := range e.Targets {
				ev.TargetJIDs = append(ev.TargetJIDs, ref(t))
			}
			b.Events = append(b.Events, ev)
		}
	}
	if err := st.WriteArtifact(ctx, art.ID, b); err != nil {
		return fmt.Errorf("loading %s on %s: %w", v.Path, device.Label, err)
	}
	// Invitation links in texts, to the scenario's groups by their code
	// (as an extractor records them when an invite card names the group).
	invites := map[string]string{}
	for _, c := range s.Chats {
		if c.InviteCode != "" {
			invites[c.InviteCode] = c.JID
		}
	}
	var msgs []store.Message
	var links []store.Link
	flush := func() error {
		if len(msgs) == 0 {
			return nil
		}
		err := st.WriteArtifact(ctx, art.ID, store.ArtifactBatch{Messages: msgs, Links: links})
		msgs, links = msgs[:0], links[:0]
		return err
	}
	line := 0
	for _, c := range s.Chats {
		for _, m := range c.Messages {
			line++
			msg := store.Message{RowRef: "message:" + m.ID, ChatJID: c.JID, SenderJID: ref(m.Sender), Time: when(m.Time), FromMe: m.FromMe,
				Type: m.Type, Text: m.Text, Caption: m.Caption, MediaSize: -1, Forwarded: m.Forwarded}
			if v.Keys {
				msg.KeyID = m.ID
			} else {
				msg.RowRef = fmt.Sprintf("line:%d", line)
			}
			if md := m.Media; md != nil {
				msg.MediaSHA256, msg.MediaPath, msg.MediaMIME, msg.MediaSize, msg.MediaName = md.SHA256, md.Path, md.MIME, md.Size, md.Name
			}
			msgs = append(msgs, msg)
			for code, group := range invites {
				if strings.Contains(m.Text, inviteURL+code) {
					links = append(links, store.Link{Kind: "group-invite", Code: code, URL: inviteURL + code, ChatJID: c.JID,
						GroupJID: group, MessageRowRef: msg.RowRef, Time: msg.Time})
				}
			}
			if len(msgs) >= v.Batch {
				if err := flush(); err != nil {
					return fmt.Errorf("loading %s on %s: %w", v.Path, device.Label, err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("loading %s on %s: %w", v.Path, device.Label, err)
	}
	return st.FinishArtifact(ctx, art.ID, "complete", nil, nil)
}
