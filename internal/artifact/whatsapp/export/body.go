package export

import (
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"vigil/internal/store"
)

// Who is a person named in a system line.
type Who struct {
	Name string // as written; "" when You is set
	You  bool   // the exporter ("You", "you", "Você" …)
}

// System is what a system line says (spec §9.6).
type System struct {
	// Action is a case store action name (store.ActionAdded, …), "pinned",
	// or Unknown for a line the phrase catalog does not know.
	Action  string
	Actor   Who   // who did it (zero when the line does not say)
	Targets []Who // who it was done to
	Old     string
	New     string
}

// Unknown is the action of a system line the catalog does not know; the
// line's text is kept whole.
const Unknown = "unknown"

// ActionPinned is "X pinned a message", which the store has no name for.
const ActionPinned = "pinned"

// TypeMedia is the message type of Android's "<Media omitted>", which does
// not say which kind of media was left out.
const TypeMedia = "media"

// A phrase of the catalog: a pattern anchored on the whole first line of a
// system body, and which of its groups hold what. Group 0 means none.
type phrase struct {
	re      *regexp.Regexp
	action  string
	actor   int
	targets int  // a list "B, C and D"
	you     bool // the target is the exporter ("You were added")
	youAct  bool // the actor is the exporter
	old     int
	new     int
}

// Quotes: iOS writes curly quotes and apostrophes, Android straight ones.
const (
	qo = `["“]`
	qc = `["”]`
	ap = `['’]`
)

// catalog is spec §9.6, English first, then the few Portuguese and Spanish
// phrases the sources give. Order matters: the first match wins.
var catalog = []phrase{
	{re: rx(`Messages\b.*\bend-to-end encrypt.*`), action: store.ActionEncryption},
	{re: rx(`(.+?) created group ` + qo + `(.*)` + qc), action: store.ActionCreated, actor: 1, new: 2},
	{re: rx(`(.+?) created this group`), action: store.ActionCreated, actor: 1},
	{re: rx(`You were added`), action: store.ActionAdded, you: true},
	{re: rx(`(.+?) joined using (?:this group` + ap + `s invite link|a group link|this community` + ap + `s invite link)`), action: store.ActionJoinedByLink, targets: 1},
	{re: rx(`(.+?) joined from the community`), action: store.ActionJoinedCommunity, targets: 1},
	{re: rx(`(.+?) changed the (?:subject|group name) from ` + qo + `(.*)` + qc + ` to ` + qo + `(.*)` + qc), action: store.ActionSubject, actor: 1, old: 2, new: 3},
	{re: rx(`(.+?) changed the (?:subject|group name) to ` + qo + `(.*)` + qc), action: store.ActionSubject, actor: 1, new: 2},
	{re: rx(`(.+?) changed the group description`), action: store.ActionDescription, actor: 1},
	{re: rx(`(.+?) (?:changed|deleted) this group` + ap + `s icon`), action: store.ActionIcon, actor: 1},
	{re: rx(`(.+?) changed (?:this group` + ap + `s settings|the group settings)\b.*`), action: store.ActionSettings, actor: 1},
	{re: rx(`(.+?) reset this group` + ap + `s invite link`), action: store.ActionLinkReset, actor: 1},
	{re: rx(`You` + ap + `re now an admin`), action: store.ActionAdminPromoted, you: true},
	{re: rx(`You` + ap + `re no longer an admin`), action: store.ActionAdminDemoted, you: true},
	{re: rx(`(.+?) pinned a message`), action: ActionPinned, actor: 1},
	{re: rx(`(.+?) changed their phone number to a new number\..*`), action: store.ActionNumberChanged, actor: 1},
	{re: rx(`(\+[0-9 ()\x{a0}\x{202f}-]+) changed to (\+[0-9 ()\x{a0}\x{202f}-]+)`), action: store.ActionNumberChanged, actor: 1, old: 1, new: 2},
	{re: rx(`Your security code with (.+?) changed\..*`), action: store.ActionSecurityCode, targets: 1},
	{re: rx(`(.+?) (?:turned on|turned off|changed) (?:disappearing messages|the disappearing message timer|the message timer)\b.*`), action: store.ActionDisappearing, actor: 1},
	{re: rx(`(.+?) was removed`), action: store.ActionRemoved, targets: 1},
	{re: rx(`(.+?) removed (.+)`), action: store.ActionRemoved, actor: 1, targets: 2},
	{re: rx(`(.+?) added (.+)`), action: store.ActionAdded, actor: 1, targets: 2},
	{re: rx(`(.+?) left`), action: store.ActionLeft, targets: 1},
	// Portuguese and Spanish (spec §9.6, one source each).
	{re: rx(`(.+?) entrou usando o link de convite deste grupo`), action: store.ActionJoinedByLink, targets: 1},
	{re: rx(`(?:T|t)e uniste usando el enlace.*`), action: store.ActionJoinedByLink, you: true},
	{re: rx(`(.+?) criou o grupo ` + qo + `(.*)` + qc), action: store.ActionCreated, actor: 1, new: 2},
	{re: rx(`(.+?) adicionou (.+)`), action: store.ActionAdded, actor: 1, targets: 2},
	{re: rx(`(.+?) removeu (.+)`), action: store.ActionRemoved, actor: 1, targets: 2},
	{re: rx(`(.+?) saiu`), action: store.ActionLeft, targets: 1},
}

func rx(s string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + s + `)$`) }

// maxPhrase bounds the system lines the catalog is tried on: subjects are
// at most 100 characters, so a longer first line is not a system phrase.
const maxPhrase = 2048

// matchSystem matches a system body's first line against the catalog. It
// returns nil when no phrase matches.
func matchSystem(line string) *System {
	line = strings.TrimSpace(stripMarks(line))
	if line == "" || len(line) > maxPhrase {
		return nil
	}
	for i := range catalog {
		p := &catalog[i]
		m := p.re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := &System{Action: p.action}
		if p.actor > 0 {
			s.Actor = who(m[p.actor])
		}
		if p.youAct {
			s.Actor = Who{You: true}
		}
		if p.targets > 0 {
			s.Targets = whoList(m[p.targets])
		}
		if p.you {
			s.Targets = []Who{{You: true}}
		}
		if p.old > 0 {
			s.Old = m[p.old]
		}
		if p.new > 0 {
			s.New = m[p.new]
		}
		if p.action == store.ActionNumberChanged && p.old > 0 {
			s.Targets = []Who{who(m[p.new])}
		}
		return s
	}
	return nil
}

// youWords name the exporter in system lines.
var youWords = map[string]bool{"You": true, "you": true, "Você": true, "você": true, "Tú": true, "tú": true}

func who(name string) Who {
	name = strings.TrimSpace(name)
	if youWords[name] {
		return Who{You: true}
	}
	return Who{Name: name}
}

// whoList splits "B, C and D" (also " e ", " y ", " und ", " et ").
func whoList(s string) []Who {
	parts := strings.Split(s, ", ")
	last := parts[len(parts)-1]
	for _, and := range []string{" and ", " e ", " y ", " und ", " et "} {
		if i := strings.LastIndex(last, and); i > 0 {
			parts = append(parts[:len(parts)-1], last[:i], last[i+len(and):])
			break
		}
	}
	out := make([]Who, 0, len(parts))
	for _, p := range parts {
		if w := who(p); w.You || w.Name != "" {
			out = append(out, w)
		}
	}
	return out
}

// stripMarks removes the bidirectional marks exports put inside bodies
// (iOS writes U+200E before "<attached:", inside "<attached>", before
// "image omitted" …).
func stripMarks(s string) string {
	if !strings.ContainsAny(s, "\ufeff\u200e\u200f\u202a\u202b\u202c\u2066\u2067\u2068\u2069") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if !isMark(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// startsWithMark reports whether s begins (after spaces) with U+200E or
// U+200F: iOS marks system bodies that way.
func startsWithMark(s string) bool {
	s = strings.TrimLeft(s, " ")
	r, _ := utf8.DecodeRuneInString(s)
	return r == '\u200e' || r == '\u200f'
}

// splitAuthor finds the first ": " of a body's first line that is not
// inside quotes (a subject may contain ": ") and returns the name before
// it and the text after it.
func splitAuthor(body string) (name, text string, ok bool) {
	first := body
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	quoted := false
	for i := 0; i < len(first); i++ {
		switch {
		case first[i] == '"':
			quoted = !quoted
		case strings.HasPrefix(first[i:], "“"):
			quoted = true
		case strings.HasPrefix(first[i:], "”"):
			quoted = false
		case first[i] == ':' && !quoted && i > 0:
			if i+1 == len(first) || first[i+1] == ' ' {
				text = body[i+1:]
				if strings.HasPrefix(text, " ") {
					text = text[1:]
				}
				return body[:i], text, true
			}
		}
	}
	return "", body, false
}

// Media markers (spec §9.5).
var (
	attachedAndroid = regexp.MustCompile(`^(.+?) \((?:file attached|Datei angehängt|archivo adjunto|arquivo anexado|fichier joint|file allegato|bestand bijgevoegd)\)$`)
	attachedIOS     = regexp.MustCompile(`^<attached: (.+)>$`)
	attachedIOSOld  = regexp.MustCompile(`^(.+) <attached>$`)
	mediaOmitted    = map[string]string{
		// Android, without media (the kind is not said).
		"<Media omitted>": TypeMedia, "<Medien ausgeschlossen>": TypeMedia, "<Multimedia omitido>": TypeMedia,
		"<Mídia oculta>": TypeMedia, "<Médias omis>": TypeMedia, "<Media omessi>": TypeMedia, "<Media weggelaten>": TypeMedia,
		// iOS, without media.
		"image omitted": store.TypeImage, "video omitted": store.TypeVideo, "audio omitted": store.TypeAudio,
		"sticker omitted": store.TypeSticker, "GIF omitted": store.TypeGIF, "document omitted": store.TypeDocument,
		"Contact card omitted": store.TypeContact,
		"imagen omitida":       store.TypeImage, "video omitido": store.TypeVideo, "audio omitido": store.TypeAudio,
		"sticker omitido": store.TypeSticker, "documento omitido": store.TypeDocument, "GIF omitido": store.TypeGIF,
	}
	deletedText = map[string]bool{
		"This message was deleted": true, "This message was deleted.": true,
		"You deleted this message": true, "You deleted this message.": true,
	}
	// iOS attachment names: "00000042-PHOTO-2020-06-07-15-13-20.jpg" and
	// the older "2015-08-04-PHOTO-00004762.jpg"; documents
	// "00000004-<original name>".
	iosNameNew = regexp.MustCompile(`^[0-9]{8}-([A-Z]+)-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}(\.[A-Za-z0-9]+)?$`)
	iosNameOld = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}-([A-Z]+)-[0-9]{8}(\.[A-Za-z0-9]+)?$`)
	iosNameDoc = regexp.MustCompile(`^[0-9]{8}-(.+)$`)
	// Android names: "IMG-20210428-WA0001.jpg".
	androidName = regexp.MustCompile(`^(IMG|VID|PTT|AUD|STK|DOC)-[0-9]{8}-WA[0-9]+(\.[A-Za-z0-9]+)?$`)
)

// message is what a message body holds.
type message struct {
	typ        string
	text       string
	caption    string
	attachment string
	mediaName  string
	omitted    bool
}

// classifyMessage reads a message's text (after "Name: "): an attachment
// line with its caption, a placeholder for media left out of the export,
// a deleted message, a poll, a location, or text. Markers count only when
// they are the whole first line (or the whole text): "the image omitted
// half the story" is text.
func classifyMessage(text string) message {
	first, rest := text, ""
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		first, rest = text[:i], text[i+1:]
	}
	clean := strings.TrimSpace(stripMarks(first))
	if len(clean) <= maxPhrase {
		var file string
		// Cheap tests first: most lines are plain text.
		switch {
		case strings.HasPrefix(clean, "<attached: "):
			if m := attachedIOS.FindStringSubmatch(clean); m != nil {
				file = m[1]
			}
		case strings.HasSuffix(clean, " <attached>"):
			if m := attachedIOSOld.FindStringSubmatch(clean); m != nil {
				file = m[1]
			}
		case strings.HasSuffix(clean, ")") && strings.Contains(clean, " ("):
			if m := attachedAndroid.FindStringSubmatch(clean); m != nil {
				file = m[1]
			}
		}
		if file != "" && file == path.Base(file) && file != "." && file != ".." {
			typ, name := attachmentType(file)
			return message{typ: typ, attachment: file, mediaName: name, caption: rest}
		}
		if rest == "" {
			if typ, ok := mediaOmitted[clean]; ok {
				return message{typ: typ, omitted: true}
			}
			if name, ok := strings.CutSuffix(clean, " document omitted"); ok {
				// "Report.pdf • 3 pages document omitted"
				if i := strings.Index(name, " • "); i > 0 {
					return message{typ: store.TypeDocument, omitted: true, mediaName: name[:i]}
				}
			}
			if deletedText[clean] {
				return message{typ: store.TypeDeleted}
			}
		}
		if clean == "POLL:" {
			return message{typ: store.TypePoll, text: rest}
		}
		if l := strings.ToLower(clean); strings.HasPrefix(l, "location: https://maps.google.") {
			return message{typ: store.TypeLocation, text: text}
		}
	}
	return message{typ: store.TypeText, text: text}
}

// attachmentType tells a message type from an exported attachment's name,
// and the document's original name when the name carries one.
func attachmentType(file string) (typ, original string) {
	ext := strings.ToLower(path.Ext(file))
	if m := iosNameNew.FindStringSubmatch(file); m != nil {
		return iosType(m[1], ext), ""
	}
	if m := iosNameOld.FindStringSubmatch(file); m != nil {
		return iosType(m[1], ext), ""
	}
	if m := androidName.FindStringSubmatch(file); m != nil {
		switch m[1] {
		case "IMG":
			return store.TypeImage, ""
		case "VID":
			return store.TypeVideo, ""
		case "PTT":
			return store.TypeVoice, ""
		case "AUD":
			return store.TypeAudio, ""
		case "STK":
			return store.TypeSticker, ""
		}
		return store.TypeDocument, ""
	}
	if m := iosNameDoc.FindStringSubmatch(file); m != nil {
		if t := extType(ext); t == store.TypeContact {
			return t, ""
		}
		return store.TypeDocument, m[1]
	}
	if t := extType(ext); t == store.TypeContact {
		return t, ""
	}
	// Newer Android exports keep a document's original name.
	return store.TypeDocument, file
}

func iosType(kind, ext string) string {
	switch kind {
	case "PHOTO":
		return store.TypeImage
	case "VIDEO":
		return store.TypeVideo
	case "AUDIO":
		if ext == ".opus" {
			return store.TypeVoice
		}
		return store.TypeAudio
	case "GIF":
		return store.TypeGIF
	case "STICKER":
		return store.TypeSticker
	case "CONTACT":
		return store.TypeContact
	}
	if t := extType(ext); t != "" {
		return t
	}
	return store.TypeDocument
}

// extType guesses the kind of a file from its extension alone; "" when the
// extension says nothing.
func extType(ext string) string {
	switch ext {
	case ".jpg", ".jpeg", ".png", ".webp", ".heic":
		return store.TypeImage
	case ".mp4", ".3gp", ".mov", ".m4v":
		return store.TypeVideo
	case ".opus", ".ogg", ".mp3", ".m4a", ".aac", ".amr", ".wav":
		return store.TypeAudio
	case ".vcf":
		return store.TypeContact
	}
	return ""
}
