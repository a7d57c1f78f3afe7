// Package synth writes synthetic, benign evidence in real formats (SQLite
// databases in WhatsApp's own schemas, chat exports, hash-set files) from
// plain descriptions, for tests, benchmarks and the demo. Every name and
// number it is given or makes up is fictitious; media are described by
// hashes, never by content.
package synth

import (
	"crypto/sha256"
	"encoding/hex"
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

// MediaHash is the SHA-256 (hex) a synthetic scenario gives the media
// file named name: scenarios describe media by hash only.
func MediaHash(name string) string {
	h := sha256.Sum256([]byte("vigil synthetic media: " + name))
	return hex.EncodeToString(h[:])
}

// ExampleScenario is a small, fixed scenario that exercises what the
// WhatsApp readers must get right: a new-style and an old-style group, a
// subject history, a creator, admins, current, pending and past members
// (left and removed), people addressed by LID (mapped to a phone and
// not), group events with actors and targets, images, a video, a
// document, forwarded media, captions, invite links shared in texts, and
// two direct chats. The owner is in Spain; the others in the operation's
// countries. Every number is fictitious.
func ExampleScenario() *Scenario {
	t := func(day, hour, min int) time.Time {
		return time.Date(2023, 5, day, hour, min, 0, 0, time.UTC).Add(time.Duration(day*37+min) * time.Millisecond)
	}
	const (
		owner  = "34600000001@s.whatsapp.net"
		camila = "573000000001@s.whatsapp.net"
		marco  = "393200000001@s.whatsapp.net"
		dieter = "4915100000001@s.whatsapp.net"
		luis   = "100000000000005@lid" // known only by LID
		sofia  = "50683123456@s.whatsapp.net"
		pedro  = "595981000001@s.whatsapp.net"
		carla  = "56960000001@s.whatsapp.net"
		jose   = "50370000001@s.whatsapp.net"
		joao   = "351912000001@s.whatsapp.net"
		recipe = "120363000000000001@g.us"
		garden = "50683123456-1682935200@g.us" // old style: created by Sofia on 2023-05-01 10:00 UTC
	)
	img := func(name string, size int64) *Media {
		return &Media{SHA256: MediaHash(name), Path: "Media/WhatsApp Images/" + name, MIME: "image/jpeg", Size: size}
	}
	gardenCode := "GaRdEnInViTeCoDe0123ab"
	s := &Scenario{
		AppVersion: "2.23.10.77",
		Owner:      Person{JID: owner, PushName: "Ana G."},
		People: []Person{
			{JID: camila, Name: "Camila Rojas", PushName: "Cami"},
			{JID: marco, Name: "Marco Bianchi", PushName: "Marco"},
			{JID: dieter, LID: "100000000000003@lid", PushName: "Dieter"},
			{JID: luis, PushName: "Luis"},
			{JID: sofia, Name: "Sofía Mora", PushName: "Sofi"},
			{JID: pedro, Name: "Pedro Benítez"},
			{JID: carla, Name: "Carla Soto", PushName: "Carla"},
			{JID: jose, Name: "José Díaz"},
			{JID: joao, LID: "100000000000004@lid", Name: "João Silva", PushName: "João"},
		},
	}
	s.Chats = []Chat{
		{
			JID: recipe, Kind: Group, Subject: "Recetas 2023", Created: t(2, 9, 0), Creator: camila,
			Description: "Solo recetas, por favor",
			Subjects: []SubjectChange{
				{Subject: "Recetas", Time: t(2, 9, 0), Actor: camila},
				{Subject: "Recetas 2023", Time: t(3, 12, 30), Actor: marco},
			},
			Members: []Member{
				{JID: camila, Role: RoleCreator},
				{JID: marco, Role: RoleAdmin},
				{JID: owner, Role: RoleMember},
				{JID: dieter, Role: RoleMember},
				{JID: luis, Role: RoleMember},
				{JID: joao, Role: RoleMember},
				{JID: carla, Role: RoleMember, Pending: true},
				{JID: jose, Role: RoleMember, Past: true, Left: t(4, 8, 0)},
				{JID: pedro, Role: RoleMember, Past: true, Left: t(4, 9, 15), Removed: true},
			},
			Events: []Event{
				{ID: "E01", Time: t(2, 9, 0), Action: "created", Actor: camila, New: "Recetas"},
				{ID: "E02", Time: t(2, 9, 1), Action: "added", Actor: camila, Targets: []string{marco, owner, jose, pedro}},
				{ID: "E03", Time: t(2, 10, 5), Action: "joined-by-link", Actor: dieter, Targets: []string{dieter}},
				{ID: "E04", Time: t(2, 10, 6), Action: "joined-by-link", Actor: luis, Targets: []string{luis}},
				{ID: "E05", Time: t(3, 12, 30), Action: "subject", Actor: marco, Old: "Recetas", New: "Recetas 2023"},
				{ID: "E06", Time: t(3, 13, 0), Action: "added", Actor: marco, Targets: []string{joao, carla}},
				{ID: "E07", Time: t(4, 8, 0), Action: "left", Actor: jose, Targets: []string{jose}},
				{ID: "E08", Time: t(4, 9, 15), Action: "removed", Actor: camila, Targets: []string{pedro}},
				{ID: "E09", Time: t(4, 9, 20), Action: "link-reset", Actor: camila},
			},
			Messages: []Message{
				{ID: "M01", Sender: camila, Time: t(2, 9, 5), Type: "text", Text: "¡Bienvenidos! 🍲"},
				{ID: "M02", Sender: camila, Time: t(2, 9, 6), Type: "image", Caption: "paella", Media: img("IMG-20230502-WA0001.jpg", 48213)},
				{ID: "M03", Sender: marco, Time: t(2, 11, 0), Type: "image", Forwarded: true, Media: img("IMG-20230502-WA0002.jpg", 91022)},
				{ID: "M04", Sender: dieter, Time: t(2, 11, 30), Type: "video", Media: &Media{SHA256: MediaHash("VID-20230502-WA0003.mp4"),
					Path: "Media/WhatsApp Video/VID-20230502-WA0003.mp4", MIME: "video/mp4", Size: 2203117}},
				{ID: "M05", Sender: owner, FromMe: true, Time: t(2, 12, 0), Type: "image", Caption: "la mía",
					Media: &Media{SHA256: MediaHash("IMG-20230502-WA0004.jpg"), Path: "Media/WhatsApp Images/Sent/IMG-20230502-WA0004.jpg", MIME: "image/jpeg", Size: 33001}},
				{ID: "M06", Sender: luis, Time: t(3, 8, 0), Type: "image", Forwarded: true, Media: &Media{SHA256: MediaHash("IMG-20230502-WA0002.jpg"), MIME: "image/jpeg", Size: 91022}},
				{ID: "M07", Sender: joao, Time: t(3, 14, 0), Type: "document", Media: &Media{SHA256: MediaHash("receitas.pdf"),
					Path: "Media/WhatsApp Documents/receitas.pdf", MIME: "application/pdf", Size: 120331, Name: "receitas.pdf"}},
				{ID: "M08", Sender: marco, Time: t(3, 15, 0), Type: "text", Text: "Otro grupo: https://chat.whatsapp.com/" + gardenCode + " entrad"},
				{ID: "M09", Sender: owner, FromMe: true, Time: t(4, 7, 0), Type: "text", Text: "Gracias a todos"},
			},
		},
		{
			JID: garden, Kind: Group, Subject: "Huerto", Created: time.Date(2023, 5, 1, 10, 0, 0, 0, time.UTC), Creator: sofia,
			InviteCode: gardenCode,
			Subjects:   []SubjectChange{{Subject: "Huerto", Time: time.Date(2023, 5, 1, 10, 0, 0, 0, time.UTC), Actor: sofia}},
			Members: []Member{
				{JID: sofia, Role: RoleCreator},
				{JID: owner, Role: RoleAdmin},
				{JID: carla, Role: RoleMember},
			},
			Events: []Event{
				{ID: "G01", Time: time.Date(2023, 5, 1, 10, 0, 0, 0, time.UTC), Action: "created", Actor: sofia, New: "Huerto"},
				{ID: "G02", Time: t(1, 10, 1), Action: "added", Actor: sofia, Targets: []string{owner}},
				{ID: "G03", Time: t(1, 10, 2), Action: "admin-promoted", Actor: sofia, Targets: []string{owner}},
				{ID: "G04", Time: t(3, 16, 0), Action: "joined-by-link", Actor: carla, Targets: []string{carla}},
			},
			Messages: []Message{
				{ID: "H01", Sender: sofia, Time: t(1, 10, 3), Type: "image", Media: img("IMG-20230501-WA0001.jpg", 60021)},
				{ID: "H02", Sender: owner, FromMe: true, Time: t(1, 10, 4), Type: "image", Forwarded: true,
					Media: &Media{SHA256: MediaHash("IMG-20230502-WA0002.jpg"), Path: "Media/WhatsApp Images/Sent/IMG-20230501-WA0002.jpg", MIME: "image/jpeg", Size: 91022}},
				{ID: "H03", Sender: carla, Time: t(3, 16, 5), Type: "sticker", Media: &Media{SHA256: MediaHash("STK-20230503-WA0001.webp"),
					Path: "Media/WhatsApp Stickers/STK-20230503-WA0001.webp", MIME: "image/webp", Size: 14000}},
			},
		},
		{
			JID: camila, Kind: Direct,
			Messages: []Message{
				{ID: "D01", Sender: camila, Time: t(1, 20, 0), Type: "text", Text: "Hola Ana"},
				{ID: "D02", Sender: owner, FromMe: true, Time: t(1, 20, 1), Type: "text", Text: "¡Hola! Únete: https://chat.whatsapp.com/" + gardenCode},
				{ID: "D03", Sender: camila, Time: t(1, 20, 2), Type: "audio", Media: &Media{SHA256: MediaHash("AUD-20230501-WA0001.opus"),
					Path: "Media/WhatsApp Audio/AUD-20230501-WA0001.opus", MIME: "audio/ogg; codecs=opus", Size: 8021}},
			},
		},
		{
			JID: carla, Kind: Direct,
			Messages: []Message{
				{ID: "C01", Sender: owner, FromMe: true, Time: t(4, 18, 0), Type: "image", Forwarded: true,
					Media: &Media{SHA256: MediaHash("IMG-20230502-WA0002.jpg"), Path: "Media/WhatsApp Images/Sent/IMG-20230502-WA0002.jpg", MIME: "image/jpeg", Size: 91022}},
				{ID: "C02", Sender: carla, Time: t(4, 18, 5), Type: "text", Text: "👍"},
			},
		},
	}
	return s
}

// LargeScenario is a deterministic scenario of the given size for
// benchmarks and robustness tests: groups of 20 members drawn from a pool
// of people (numbers of the operation's countries), messages spread over
// the groups in turn, one in five an image whose hash recurs across
// groups (forwarded media), one in fifty a group event.
func LargeScenario(chats, messages int) *Scenario {
	prefixes := []string{"34600", "57300", "39320", "49151", "59170", "50683", "59598", "56960", "50370", "35191"}
	people := chats * 5
	if people < 40 {
		people = 40
	}
	jid := func(i int) string {
		p := prefixes[i%len(prefixes)]
		digits := 11
		if p == "57300" || p == "59598" || p == "35191" {
			digits = 12
		}
		n := fmt.Sprintf("%s%0*d", p, digits-len(p), i/len(prefixes)+1)
		return n + "@s.whatsapp.net"
	}
	s := &Scenario{AppVersion: "2.24.1.5", Owner: Person{JID: "34699999999@s.whatsapp.net", PushName: "Owner"}}
	for i := 0; i < people; i++ {
		p := Person{JID: jid(i), PushName: fmt.Sprintf("P%d", i)}
		if i%3 == 0 {
			p.Name = fmt.Sprintf("Contact %d", i)
		}
		if i%7 == 0 {
			p.LID = fmt.Sprintf("1%014d@lid", i+1)
		}
		s.People = append(s.People, p)
	}
	base := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Chats = make([]Chat, chats)
	for c := range s.Chats {
		ch := &s.Chats[c]
		ch.JID = fmt.Sprintf("120363%012d@g.us", c+1)
		ch.Kind = Group
		ch.Subject = fmt.Sprintf("Group %d", c+1)
		ch.Created = base.Add(time.Duration(c) * time.Second)
		first := (c * 5) % people
		ch.Creator = s.People[first].JID
		ch.Subjects = []SubjectChange{{Subject: ch.Subject, Time: ch.Created, Actor: ch.Creator}}
		ch.Members = append(ch.Members, Member{JID: s.Owner.JID, Role: RoleMember})
		for k := 0; k < 20; k++ {
			role := RoleMember
			switch k {
			case 0:
				role = RoleCreator
			case 1:
				role = RoleAdmin
			}
			ch.Members = append(ch.Members, Member{JID: s.People[(first+k)%people].JID, Role: role})
		}
		ch.Events = append(ch.Events, Event{ID: fmt.Sprintf("C%d", c), Time: ch.Created, Action: "created", Actor: ch.Creator, New: ch.Subject})
	}
	for i := 0; i < messages; i++ {
		c := i % chats
		ch := &s.Chats[c]
		t := base.Add(time.Hour + time.Duration(i)*time.Second)
		if i%50 == 49 {
			ch.Events = append(ch.Events, Event{ID: fmt.Sprintf("E%d", i), Time: t, Action: "added", Actor: ch.Creator,
				Targets: []string{ch.Members[2+i%19].JID}})
			continue
		}
		sender := ch.Members[1+i%20].JID
		m := Message{ID: fmt.Sprintf("M%d", i), Sender: sender, Time: t, Type: "text", Text: fmt.Sprintf("message %d", i)}
		if i%11 == 0 {
			m.Sender, m.FromMe = s.Owner.JID, true
		}
		if i%5 == 0 {
			name := fmt.Sprintf("IMG-20220101-WA%04d.jpg", i%9973)
			m.Type, m.Text, m.Forwarded = "image", "", i%10 == 0
			m.Media = &Media{SHA256: MediaHash(name), Path: "Media/WhatsApp Images/" + name, MIME: "image/jpeg", Size: int64(20000 + i%9973)}
		}
		ch.Messages = append(ch.Messages, m)
	}
	return s
}
