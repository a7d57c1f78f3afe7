package whatsapp

import (
	"regexp"
	"strings"
	"time"

	"vigil/internal/store"
)

// Kinds of WhatsApp links (spec §8).
const (
	LinkGroupInvite = "group-invite"  // chat.whatsapp.com/<code>
	LinkInviteCard  = "invite-card"   // an invitation card's code (databases only)
	LinkChannel     = "channel"       // whatsapp.com/channel/<id>
	LinkClickToChat = "click-to-chat" // wa.me/<digits>, api.whatsapp.com/send?phone=<digits>
	LinkContactQR   = "contact-qr"    // wa.me/qr/<code>
)

// Found is one WhatsApp link found in a text.
type Found struct {
	Kind string // LinkGroupInvite, LinkChannel, LinkClickToChat or LinkContactQR
	// Code is the invite code, the channel id, the phone number's digits
	// (E.164 without "+") or the contact QR code, as written (codes are
	// case-sensitive).
	Code string
	// URL is the link in canonical form: https, lower-case host, no
	// "invite/", query or trailing punctuation
	// ("https://chat.whatsapp.com/<code>").
	URL string
	// Start and End are the byte offsets of the link in the text, from
	// the scheme (or host) to the end of the code.
	Start, End int
}

// Code lengths accepted. Group invite codes are 22 characters in practice;
// the parsers of spec §8 accept 20 to 24.
const (
	minInvite, maxInvite   = 20, 24
	minChannel, maxChannel = 16, 40
	minPhone, maxPhone     = 6, 15 // E.164 has at most 15 digits
	minQR, maxQR           = 8, 32
)

// linkRE finds candidates; FindLinks checks the code lengths and what
// precedes the host. Hosts are case-insensitive, the scheme is optional.
// The code groups are greedy over the allowed characters, so a code that
// runs on past its maximum length is rejected rather than cut.
var linkRE = regexp.MustCompile(`(?i)` +
	`(?:(https?)://)?(?:www\.)?` +
	`(?:` +
	`chat\.whatsapp\.com/(?:invite/)?([a-z0-9]+)` + // 2: invite code (1 is the scheme)
	`|whatsapp\.com/channel/([a-z0-9]+)` + // 3: channel id
	`|wa\.me/qr/([a-z0-9]+)` + // 4: contact QR
	`|wa\.me/\+?([0-9]+)` + // 5: click-to-chat digits
	`|(?:api|web)\.whatsapp\.com/send/?\?(?:[^\s#]*?&)?phone=(?:\+|%2b)?([0-9]+)` + // 6: api.whatsapp.com phone
	`)` +
	`|whatsapp://chat/?\?(?:[^\s#]*?&)?code=([a-z0-9]+)`) // 7: app deep link

// FindLinks returns the WhatsApp group invites, channels, click-to-chat
// links and contact QR links in text, in order of appearance, each once
// per position. Text that only resembles a link (a code of the wrong
// length, a host that is part of a longer name such as
// "notchat.whatsapp.com") is not returned.
func FindLinks(text string) []Found {
	if !mayHaveLink(text) {
		return nil
	}
	var out []Found
	for _, m := range linkRE.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[0], m[1]
		if start > 0 && hostChar(text[start-1]) {
			continue // "xchat.whatsapp.com", "foo.wa.me"
		}
		group := 0
		for g := 2; g <= 7; g++ { // group 1 is the scheme
			if m[2*g] >= 0 {
				group = g
				break
			}
		}
		if group == 0 {
			continue
		}
		code := text[m[2*group]:m[2*group+1]]
		f := Found{Code: code, Start: start, End: end}
		switch group {
		case 2, 7:
			f.Kind = LinkGroupInvite
			if !between(len(code), minInvite, maxInvite) {
				continue
			}
			f.URL = "https://chat.whatsapp.com/" + code
		case 3:
			f.Kind = LinkChannel
			if !between(len(code), minChannel, maxChannel) {
				continue
			}
			f.URL = "https://whatsapp.com/channel/" + code
		case 4:
			f.Kind = LinkContactQR
			if !between(len(code), minQR, maxQR) {
				continue
			}
			f.URL = "https://wa.me/qr/" + code
		case 5, 6:
			f.Kind = LinkClickToChat
			if !between(len(code), minPhone, maxPhone) || code[0] == '0' {
				continue
			}
			if end < len(text) && isAlnum(text[end]) {
				continue // "wa.me/123abc" is not a phone number
			}
			f.URL = "https://wa.me/" + code
		}
		out = append(out, f)
	}
	return out
}

// mayHaveLink is a cheap pre-filter: every form contains "wa.me",
// "whatsapp" in some case.
func mayHaveLink(s string) bool {
	for i := 0; i+4 < len(s); i++ {
		switch s[i] | 0x20 {
		case 'w':
			if hasFoldAt(s, i, "whatsapp") || hasFoldAt(s, i, "wa.me") {
				return true
			}
		}
	}
	return false
}

func hasFoldAt(s string, i int, word string) bool {
	return i+len(word) <= len(s) && strings.EqualFold(s[i:i+len(word)], word)
}

func between(n, lo, hi int) bool { return n >= lo && n <= hi }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// hostChar reports whether c may be part of a host name or user part, in
// which case a match starting right after it is inside a longer name.
func hostChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '-' || c == '_' || c == '@' || c == '/'
}

// Links turns the links found in one message's text into store rows seen
// in chat at time t, in the message rowRef; a code appearing twice in the
// same text is reported once.
func Links(text, chatJID, rowRef string, t time.Time) []store.Link {
	found := FindLinks(text)
	if len(found) == 0 {
		return nil
	}
	out := make([]store.Link, 0, len(found))
	seen := make(map[string]bool, len(found))
	for _, f := range found {
		k := f.Kind + "\x00" + f.Code
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, store.Link{
			Kind: f.Kind, Code: f.Code, URL: f.URL, ChatJID: chatJID,
			MessageRowRef: rowRef, RowRef: rowRef, Time: t,
		})
	}
	return out
}
