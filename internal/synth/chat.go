// Package synth writes synthetic, benign evidence in real formats (SQLite
// databases in WhatsApp's own schemas, chat exports, hash-set files) from
// plain descriptions, for tests, benchmarks and the demo. Every name and
// number it is given or makes up is fictitious; media are described by
// hashes, never by content.
package synth

import (
	"fmt"
	"sort"
	"time"
)

// Scenario describes what one device's WhatsApp holds: its owner, the
// people it knows, and its chats with their members, messages and group
// events. It is plain data: writers for each platform and schema
// generation (WriteAndroidModern, the iOS and export writers, …) turn the
// same Scenario into the files that platform keeps, and parser tests check
// that reading those files back gives the Scenario again.
//
// Writers are deterministic: the same Scenario always gives the same rows
// (no randomness, no clock). They write what is described and nothing
// else, so a Scenario should be consistent: every JID a chat mentions is
// the Owner's or one of People's.
//
// Conventions shared by all writers:
//   - JIDs are full and bare: "34600000001@s.whatsapp.net",
//     "120363000000000001@g.us", "100000000000001@lid".
//   - Times are UTC and carry millisecond precision at most (Android keeps
//     ms; iOS keeps fractional seconds; exports keep minutes or seconds, so
//     export tests compare at the export's precision).
//   - Media hashes are lower-case hex SHA-256; paths are in the form the
//     target platform stores them (Android: relative to the WhatsApp folder,
//     "Media/WhatsApp Images/IMG-20230116-WA0004.jpg"; iOS: relative to
//     the app group's Message folder; export: the attachment's file name).
type Scenario struct {
	Owner  Person
	People []Person
	Chats  []Chat
	// AppVersion is written where the platform records one ("2.23.24.76").
	AppVersion string
}

// Person is an account the device knows.
type Person struct {
	// JID is the phone JID ("<E.164 digits>@s.whatsapp.net"), or the LID
	// JID when the device never learnt the phone number.
	JID string
	// LID is the person's LID JID ("<digits>@lid") when the device
	// addresses them by LID (modern Android groups, newer iOS): writers
	// that support LIDs then refer to the person by LID and write the
	// LID→phone mapping (jid_map, ZWAPHONENUMBERLIDPAIR) when JID is a
	// phone JID.
	LID string
	// Name is the name the owner saved in the address book ("" when the
	// person is not a saved contact).
	Name string
	// PushName is the name the person chose for themselves in WhatsApp.
	PushName string
}

// Chat kinds.
const (
	Group  = "group"
	Direct = "direct"
)

// Chat is a group or a one-to-one chat.
type Chat struct {
	// JID of the group ("…@g.us") or, for a direct chat, of the partner.
	JID  string
	Kind string // Group or Direct
	// Subject is the current group name. Subjects is its history, oldest
	// first; when not empty its last entry's Subject equals Subject.
	Subject  string
	Subjects []SubjectChange
	// Created is the group's creation time; Creator its creator's JID.
	Created time.Time
	Creator string
	// Description is the group description ("" for none).
	Description string
	// Members lists the group's members, current and past, the owner
	// included when the owner is (or was) one.
	Members []Member
	// Messages in chronological order (writers sort by Time, stably).
	Messages []Message
	// Events are the group's system events (created, added, …), also in
	// chronological order; writers interleave them with Messages by Time.
	Events []Event
	// InviteCode is the group's invite code (the last part of
	// https://chat.whatsapp.com/<code>), "" when none. No database stores a
	// group's own code; it reaches evidence only through messages that
	// share the link, which the scenario's builder writes into texts.
	InviteCode string
}

// SubjectChange is one name a group had.
type SubjectChange struct {
	Subject string
	Time    time.Time
	Actor   string // JID of who set it
}

// Member roles (the same words as the case store's).
const (
	RoleMember  = "member"
	RoleAdmin   = "admin"
	RoleCreator = "creator"
)

// Member is an account in a group.
type Member struct {
	JID  string
	Role string // RoleMember, RoleAdmin or RoleCreator
	// Past is true for a former member: Left is when they went, Removed
	// whether an admin removed them (else they left).
	Past    bool
	Left    time.Time
	Removed bool
	// Pending marks an invited member who has not joined yet.
	Pending bool
}

// Message is one message of a chat.
type Message struct {
	// ID is the message key id, unique within the chat (events included).
	ID     string
	Sender string // JID; the owner's JID when FromMe
	FromMe bool
	Time   time.Time
	// Type is one of the case store's message type names ("text",
	// "image", "video", "audio", "document", "sticker", "gif", …).
	Type      string
	Text      string // message text (text messages)
	Caption   string // media caption
	Media     *Media // nil for messages without media
	Forwarded bool
}

// Media is the file a message carries.
type Media struct {
	SHA256 string // lower-case hex of the decrypted file
	Path   string // where the platform keeps it ("" when not downloaded)
	MIME   string
	Size   int64
	Name   string // original document name ("" when none)
}

// Event is a group system event.
type Event struct {
	ID      string // key id of the system message, unique within the chat
	Time    time.Time
	Action  string   // a case store action name: "created", "added", "removed", "left", "joined-by-link", "link-reset", "subject", "admin-promoted", "admin-demoted", "description"
	Actor   string   // JID of who did it ("" when the platform does not say)
	Targets []string // JIDs affected
	Old     string   // previous value (subject)
	New     string   // new value (subject, description)
}

// Person returns the person with the given JID or LID (the owner
// included), and whether there is one.
func (s *Scenario) Person(jid string) (Person, bool) {
	if jid == "" {
		return Person{}, false
	}
	if s.Owner.JID == jid || (s.Owner.LID != "" && s.Owner.LID == jid) {
		return s.Owner, true
	}
	for _, p := range s.People {
		if p.JID == jid || (p.LID != "" && p.LID == jid) {
			return p, true
		}
	}
	return Person{}, false
}

// Check reports the first inconsistency of a scenario: a JID that is
// neither the owner's nor a person's, a chat without a JID or of an
// unknown kind, a subject history that does not end with the subject,
// a duplicate message id in a chat, a malformed media hash.
func (s *Scenario) Check() error {
	known := func(j string) bool { _, ok := s.Person(j); return ok }
	if s.Owner.JID == "" {
		return fmt.Errorf("scenario: the owner has no JID")
	}
	seenChat := map[string]bool{}
	for i, c := range s.Chats {
		where := fmt.Sprintf("scenario: chat %d (%s)", i, c.JID)
		if c.JID == "" {
			return fmt.Errorf("%s: no JID", where)
		}
		if seenChat[c.JID] {
			return fmt.Errorf("%s: listed twice", where)
		}
		seenChat[c.JID] = true
		switch c.Kind {
		case Group:
		case Direct:
			if !known(c.JID) {
				return fmt.Errorf("%s: the partner is not a person of the scenario", where)
			}
		default:
			return fmt.Errorf("%s: kind %q is neither %q nor %q", where, c.Kind, Group, Direct)
		}
		if n := len(c.Subjects); n > 0 && c.Subjects[n-1].Subject != c.Subject {
			return fmt.Errorf("%s: the subject history ends with %q, not the subject %q", where, c.Subjects[n-1].Subject, c.Subject)
		}
		if c.Creator != "" && !known(c.Creator) {
			return fmt.Errorf("%s: unknown creator %s", where, c.Creator)
		}
		for _, m := range c.Members {
			if !known(m.JID) {
				return fmt.Errorf("%s: unknown member %s", where, m.JID)
			}
			switch m.Role {
			case RoleMember, RoleAdmin, RoleCreator:
			default:
				return fmt.Errorf("%s: member %s has role %q", where, m.JID, m.Role)
			}
		}
		ids := map[string]bool{}
		for _, m := range c.Messages {
			if m.ID == "" || ids[m.ID] {
				return fmt.Errorf("%s: message id %q empty or repeated", where, m.ID)
			}
			ids[m.ID] = true
			if m.Sender != "" && !known(m.Sender) {
				return fmt.Errorf("%s: message %s: unknown sender %s", where, m.ID, m.Sender)
			}
			if m.Media != nil && !isHex64(m.Media.SHA256) && m.Media.SHA256 != "" {
				return fmt.Errorf("%s: message %s: media hash %q is not lower-case hex SHA-256", where, m.ID, m.Media.SHA256)
			}
		}
		for _, e := range c.Events {
			if e.ID == "" || ids[e.ID] {
				return fmt.Errorf("%s: event id %q empty or repeated", where, e.ID)
			}
			ids[e.ID] = true
			for _, j := range append([]string{e.Actor}, e.Targets...) {
				if j != "" && !known(j) {
					return fmt.Errorf("%s: event %s: unknown account %s", where, e.ID, j)
				}
			}
		}
	}
	return nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// timeline is one chat's messages and events merged in time order: the
// order in which writers give them row ids.
type timelineItem struct {
	Msg *Message
	Evt *Event
}

func (it timelineItem) time() time.Time {
	if it.Msg != nil {
		return it.Msg.Time
	}
	return it.Evt.Time
}

// timeline merges a chat's events and messages by time, events first
// when times are equal (a group is created before its first message).
func timeline(c *Chat) []timelineItem {
	out := make([]timelineItem, 0, len(c.Messages)+len(c.Events))
	for i := range c.Events {
		out = append(out, timelineItem{Evt: &c.Events[i]})
	}
	for i := range c.Messages {
		out = append(out, timelineItem{Msg: &c.Messages[i]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].time().Before(out[j].time()) })
	return out
}
