package phone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind classifies a JID by its server (never by a platform's type code).
type Kind string

// JID kinds.
const (
	KindPerson     Kind = "person"     // user@s.whatsapp.net: the user is an E.164 number without "+"
	KindGroup      Kind = "group"      // …@g.us
	KindLID        Kind = "lid"        // …@lid: an opaque privacy identifier, not a phone number
	KindBroadcast  Kind = "broadcast"  // a broadcast list (…@broadcast)
	KindStatus     Kind = "status"     // status@broadcast
	KindNewsletter Kind = "newsletter" // …@newsletter: a channel
	KindStatusMe   Kind = "status-me"  // Android's pseudo-JID for the device owner
	KindLIDMe      Kind = "lid-me"     // Android's pseudo-JID for the owner's own LID
	KindBot        Kind = "bot"        // …@bot: Meta AI
	KindHosted     Kind = "hosted"     // …@hosted, …@hosted.lid
	KindCall       Kind = "call"       // …@call
	KindOther      Kind = "other"      // a server no table knows
)

// Servers.
const (
	ServerPerson     = "s.whatsapp.net"
	ServerGroup      = "g.us"
	ServerLID        = "lid"
	ServerBroadcast  = "broadcast"
	ServerNewsletter = "newsletter"
)

// JID is a parsed WhatsApp identifier: user.agent:device@server.
type JID struct {
	User   string
	Agent  int // 0 when absent
	Device int // 0 when absent (the primary device)
	Server string
}

// ErrNotJID is returned for strings that are not JIDs.
var ErrNotJID = errors.New("not a WhatsApp JID")

// pseudo are raw strings Android stores without an "@".
var pseudo = map[string]bool{"status_me": true, "lid_me": true}

// ParseJID parses a JID in any of the forms WhatsApp stores:
// "34600000001@s.whatsapp.net", the device form
// "34600000001.0:2@s.whatsapp.net", "120363…@g.us", "…@lid",
// "status@broadcast", and Android's bare "status_me" and "lid_me". Letters
// in the server are lower-cased.
func ParseJID(s string) (JID, error) {
	s = strings.TrimSpace(s)
	if pseudo[s] {
		return JID{Server: s}, nil
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 || at == len(s)-1 {
		return JID{}, fmt.Errorf("%q: %w (no @server)", s, ErrNotJID)
	}
	j := JID{User: s[:at], Server: strings.ToLower(s[at+1:])}
	if strings.ContainsAny(j.Server, "@ \t\r\n") || strings.ContainsAny(j.User, "@\t\r\n") {
		return JID{}, fmt.Errorf("%q: %w", s, ErrNotJID)
	}
	// Device forms exist for people and LIDs: user.agent:device.
	if j.Server == ServerPerson || j.Server == ServerLID || j.Server == "hosted" || j.Server == "hosted.lid" {
		if i := strings.IndexByte(j.User, ':'); i >= 0 {
			d, err := strconv.Atoi(j.User[i+1:])
			if err != nil || d < 0 {
				return JID{}, fmt.Errorf("%q: %w (bad device %q)", s, ErrNotJID, j.User[i+1:])
			}
			j.Device, j.User = d, j.User[:i]
		}
		if i := strings.IndexByte(j.User, '.'); i >= 0 {
			a, err := strconv.Atoi(j.User[i+1:])
			if err != nil || a < 0 {
				return JID{}, fmt.Errorf("%q: %w (bad agent %q)", s, ErrNotJID, j.User[i+1:])
			}
			j.Agent, j.User = a, j.User[:i]
		}
	}
	return j, nil
}

// Kind classifies the JID by its server.
func (j JID) Kind() Kind {
	switch j.Server {
	case ServerPerson, "c.us":
		return KindPerson
	case ServerGroup:
		return KindGroup
	case ServerLID:
		return KindLID
	case ServerBroadcast:
		if j.User == "status" {
			return KindStatus
		}
		return KindBroadcast
	case ServerNewsletter:
		return KindNewsletter
	case "status_me":
		return KindStatusMe
	case "lid_me":
		return KindLIDMe
	case "bot":
		return KindBot
	case "hosted", "hosted.lid":
		return KindHosted
	case "call":
		return KindCall
	}
	return KindOther
}

// String returns the JID as WhatsApp writes it, device part included.
func (j JID) String() string {
	if j.User == "" && pseudo[j.Server] {
		return j.Server
	}
	u := j.User
	if j.Agent != 0 || j.Device != 0 {
		u += "." + strconv.Itoa(j.Agent) + ":" + strconv.Itoa(j.Device)
	}
	return u + "@" + j.Server
}

// Bare returns the JID without its agent and device: the account's JID.
// "c.us", an older spelling of the person server, becomes s.whatsapp.net.
func (j JID) Bare() string {
	if j.User == "" && pseudo[j.Server] {
		return j.Server
	}
	srv := j.Server
	if srv == "c.us" {
		srv = ServerPerson
	}
	return j.User + "@" + srv
}

// Number returns the phone number a person JID carries. LIDs, groups and
// every other kind carry none.
func (j JID) Number() (Number, bool) {
	if j.Kind() != KindPerson {
		return Number{}, false
	}
	n, err := FromDigits(j.User)
	if err != nil {
		return Number{}, false
	}
	return n, true
}

// BareJID parses s and returns its bare form, or s unchanged with false
// when it is not a JID.
func BareJID(s string) (string, bool) {
	j, err := ParseJID(s)
	if err != nil {
		return s, false
	}
	return j.Bare(), true
}

// PersonJID returns the JID of the account whose number is n:
// "<digits>@s.whatsapp.net".
func PersonJID(n Number) string { return strings.TrimPrefix(n.E164, "+") + "@" + ServerPerson }

// GroupOrigin is what an old-style group JID ("<creator>-<unix seconds>
// @g.us") tells: the number that created the group and when. It is
// derived from the group's identifier, not observed: the creator may have
// left since and the number may have been reassigned.
type GroupOrigin struct {
	Creator Number
	Created time.Time
}

// ParseGroupOrigin decodes an old-style group JID. New-style group JIDs
// (18 digits starting 120363) carry neither and give false.
func ParseGroupOrigin(j JID) (GroupOrigin, bool) {
	if j.Kind() != KindGroup {
		return GroupOrigin{}, false
	}
	i := strings.LastIndexByte(j.User, '-')
	if i <= 0 || i == len(j.User)-1 {
		return GroupOrigin{}, false
	}
	n, err := FromDigits(j.User[:i])
	if err != nil {
		return GroupOrigin{}, false
	}
	secs, err := strconv.ParseInt(j.User[i+1:], 10, 64)
	// WhatsApp started in 2009; anything before, or past year 2200, is not a creation time.
	if err != nil || !allDigits(j.User[i+1:]) || secs < 1230768000 || secs > 7258118400 {
		return GroupOrigin{}, false
	}
	return GroupOrigin{Creator: n, Created: time.Unix(secs, 0).UTC()}, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
