package synth

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Export grammars (research spec §9.2).
const (
	ExportAndroid = "android" // "02/05/2023, 09:05 - Name: text"
	ExportIOS     = "ios"     // "[02/05/2023, 09:05:00] Name: text"
)

// ExportOptions say how a phone writes a chat export.
type ExportOptions struct {
	Grammar   string         // ExportAndroid (default) or ExportIOS
	DateOrder string         // "dmy" (default), "mdy" or "ymd"
	Clock12   bool           // 12-hour clock with AM/PM
	Location  *time.Location // the phone's time zone (UTC when nil)
	// WithMedia includes the attachments ("Attach media"); without it the
	// export writes placeholders ("<Media omitted>", "image omitted").
	WithMedia bool
	// OwnerName is the name the chatExporter's own messages carry (default:
	// the owner's push name, else "Me").
	OwnerName string
}

// Export is one chat as WhatsApp exports it.
type Export struct {
	// Name is the file WhatsApp shares: "WhatsApp Chat with <name>.txt"
	// (Android) or "WhatsApp Chat - <name>.zip" (iOS).
	Name string
	// TextName is the text file's name: Name itself (Android) or
	// "_chat.txt" inside the zip (iOS).
	TextName    string
	Text        []byte
	Attachments []Attachment
}

// Attachment is an exported media file. Scenarios describe media by hash
// only, so its bytes are a benign stand-in (they do not hash to the
// scenario's SHA-256).
type Attachment struct {
	Name      string
	MessageID string
	Data      []byte
}

// ExportName is how an export shows a person: the name saved in the
// exporting phone's address book, else the number in international
// format (iOS wraps it in directional marks), else the push name.
func ExportName(p Person, grammar string) string {
	if p.Name != "" {
		return p.Name
	}
	if u, ok := strings.CutSuffix(p.JID, "@s.whatsapp.net"); ok {
		num := "+" + u
		if n, err := phonenumbers.Parse(num, ""); err == nil {
			num = phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
		}
		if grammar == ExportIOS {
			return "\u202a" + num + "\u202c"
		}
		return num
	}
	if p.PushName != "" {
		return p.PushName
	}
	u, _, _ := strings.Cut(p.JID, "@")
	return u
}

// name returns the display name of a JID in the export.
func (x *chatExporter) name(jid string) string {
	if jid == x.s.Owner.JID {
		return x.ownerName
	}
	if n, ok := x.names[jid]; ok {
		return n
	}
	n := ""
	if p, ok := x.s.Person(jid); ok {
		n = ExportName(p, x.o.Grammar)
	} else {
		n, _, _ = strings.Cut(jid, "@")
	}
	x.names[jid] = n
	return n
}

type chatExporter struct {
	s         *Scenario
	c         *Chat
	o         ExportOptions
	ownerName string
	chatName  string
	buf       bytes.Buffer
	att       []Attachment
	perDay    map[string]int    // Android file counters per day and prefix
	names     map[string]string // JID → name shown
}

// ExportChat renders the chat chatJID of a scenario as the exporting phone
// (the scenario's owner) would. Events the English phrase catalog has no
// line for (an admin change of someone else, an invitation-card join) are
// left out, as WhatsApp shows none.
func ExportChat(s *Scenario, chatJID string, o ExportOptions) (*Export, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	var c *Chat
	for i := range s.Chats {
		if s.Chats[i].JID == chatJID {
			c = &s.Chats[i]
		}
	}
	if c == nil {
		return nil, fmt.Errorf("export: no chat %s in the scenario", chatJID)
	}
	if o.Grammar == "" {
		o.Grammar = ExportAndroid
	}
	if o.DateOrder == "" {
		o.DateOrder = "dmy"
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Grammar != ExportAndroid && o.Grammar != ExportIOS {
		return nil, fmt.Errorf("export: grammar %q", o.Grammar)
	}
	if o.DateOrder != "dmy" && o.DateOrder != "mdy" && o.DateOrder != "ymd" {
		return nil, fmt.Errorf("export: date order %q", o.DateOrder)
	}
	x := &chatExporter{s: s, c: c, o: o, perDay: map[string]int{}, names: map[string]string{}}
	x.ownerName = o.OwnerName
	if x.ownerName == "" {
		x.ownerName = s.Owner.PushName
	}
	if x.ownerName == "" {
		x.ownerName = "Me"
	}
	if c.Kind == Group {
		x.chatName = c.Subject
	} else {
		x.chatName = x.name(c.JID)
	}
	items := timeline(c)
	if len(items) > 0 {
		x.system(items[0].time(), "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them."+
			map[string]string{ExportAndroid: " Tap to learn more.", ExportIOS: ""}[o.Grammar])
	}
	for _, it := range items {
		if it.Evt != nil {
			if line, ok := x.eventLine(it.Evt); ok {
				x.system(it.Evt.Time, line)
			}
			continue
		}
		if err := x.message(it.Msg); err != nil {
			return nil, err
		}
	}
	e := &Export{Text: x.buf.Bytes(), Attachments: x.att}
	file := strings.NewReplacer("/", "_", "\\", "_", ":", "_").Replace(strings.Trim(x.chatName, "\u202a\u202c"))
	if o.Grammar == ExportIOS {
		e.Name, e.TextName = "WhatsApp Chat - "+file+".zip", "_chat.txt"
	} else {
		e.Name = "WhatsApp Chat with " + file + ".txt"
		e.TextName = e.Name
	}
	return e, nil
}

// header writes a line's date and time in the export's grammar.
func (x *chatExporter) header(t time.Time) {
	t = t.In(x.o.Location)
	var date string
	switch x.o.DateOrder {
	case "mdy":
		date = t.Format("1/2/06")
	case "ymd":
		date = t.Format("2006/01/02")
	default:
		date = t.Format("02/01/2006")
	}
	if x.o.Grammar == ExportIOS {
		clock := t.Format("15:04:05")
		if x.o.Clock12 {
			clock = t.Format("3:04:05\u202fPM")
		}
		fmt.Fprintf(&x.buf, "[%s, %s] ", date, clock)
		return
	}
	clock := t.Format("15:04")
	if x.o.Clock12 {
		clock = t.Format("3:04\u202fPM")
	}
	fmt.Fprintf(&x.buf, "%s, %s - ", date, clock)
}

// system writes a system line: bare on Android; on iOS after the chat's
// name and a left-to-right mark.
func (x *chatExporter) system(t time.Time, line string) {
	x.header(t)
	if x.o.Grammar == ExportIOS {
		x.buf.WriteString(x.chatName + ": \u200e")
	}
	x.buf.WriteString(line)
	x.newline()
}

func (x *chatExporter) newline() {
	if x.o.Grammar == ExportIOS {
		x.buf.WriteString("\r\n")
	} else {
		x.buf.WriteString("\n")
	}
}

// who names a person in a system line: "You"/"you" for the chatExporter.
func (x *chatExporter) who(jid string, capital bool) string {
	if jid == x.s.Owner.JID {
		if capital {
			return "You"
		}
		return "you"
	}
	return x.name(jid)
}

func (x *chatExporter) list(jids []string) string {
	names := make([]string, len(jids))
	for i, j := range jids {
		names[i] = x.who(j, false)
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// eventLine is the English system line of an event (spec §9.6), with
// iOS's curly quotes and apostrophes.
func (x *chatExporter) eventLine(e *Event) (string, bool) {
	qo, qc, ap := `"`, `"`, "'"
	if x.o.Grammar == ExportIOS {
		qo, qc, ap = "“", "”", "’"
	}
	actor := x.who(e.Actor, true)
	target := ""
	if len(e.Targets) > 0 {
		target = x.who(e.Targets[0], true)
	}
	switch e.Action {
	case "created":
		return actor + " created group " + qo + e.New + qc, e.Actor != ""
	case "added":
		return actor + " added " + x.list(e.Targets), e.Actor != "" && len(e.Targets) > 0
	case "removed":
		return actor + " removed " + x.list(e.Targets), e.Actor != "" && len(e.Targets) > 0
	case "left":
		if target == "" {
			target = actor
		}
		return target + " left", target != ""
	case "joined-by-link":
		if target == "" {
			target = actor
		}
		return target + " joined using this group" + ap + "s invite link", target != ""
	case "subject":
		if x.o.Grammar == ExportAndroid && e.Old != "" {
			return actor + " changed the subject from " + qo + e.Old + qc + " to " + qo + e.New + qc, e.Actor != ""
		}
		return actor + " changed the group name to " + qo + e.New + qc, e.Actor != ""
	case "description":
		return actor + " changed the group description", e.Actor != ""
	case "icon":
		return actor + " changed this group" + ap + "s icon", e.Actor != ""
	case "link-reset":
		return actor + " reset this group" + ap + "s invite link", e.Actor != ""
	case "admin-promoted":
		if len(e.Targets) == 1 && e.Targets[0] == x.s.Owner.JID {
			return "You" + ap + "re now an admin", true
		}
	case "admin-demoted":
		if len(e.Targets) == 1 && e.Targets[0] == x.s.Owner.JID {
			return "You" + ap + "re no longer an admin", true
		}
	}
	return "", false
}

// How exports name and stand for media.
var exportIOSKind = map[string]string{"image": "PHOTO", "video": "VIDEO", "audio": "AUDIO", "voice": "AUDIO", "gif": "GIF", "sticker": "STICKER"}

var exportAndroidPrefix = map[string]string{"image": "IMG", "video": "VID", "gif": "VID", "audio": "AUD", "voice": "PTT", "sticker": "STK", "document": "DOC"}

var exportIOSOmitted = map[string]string{"image": "image omitted", "video": "video omitted", "audio": "audio omitted", "voice": "audio omitted",
	"gif": "GIF omitted", "sticker": "sticker omitted", "document": "document omitted", "contact": "Contact card omitted"}

func exportExt(m *Message) string {
	if m.Media != nil {
		if e := path.Ext(m.Media.Path); e != "" {
			return e
		}
		if e := path.Ext(m.Media.Name); e != "" {
			return e
		}
	}
	return map[string]string{"image": ".jpg", "video": ".mp4", "gif": ".mp4", "audio": ".m4a", "voice": ".opus", "sticker": ".webp", "document": ".bin"}[m.Type]
}

// message writes a message with its attachment or placeholder.
func (x *chatExporter) message(m *Message) error {
	sender := m.Sender
	if m.FromMe {
		sender = x.s.Owner.JID
	}
	x.header(m.Time)
	x.buf.WriteString(x.name(sender) + ": ")
	body := m.Text
	switch m.Type {
	case "text", "location":
	case "deleted":
		body = "This message was deleted"
		if m.FromMe {
			body = "You deleted this message"
		}
	case "poll":
		body = "POLL:\n" + m.Text
	case "image", "video", "gif", "audio", "voice", "sticker", "document", "contact":
		if !x.o.WithMedia || m.Media == nil && m.Type != "contact" {
			body = "<Media omitted>"
			if x.o.Grammar == ExportIOS {
				body = "\u200e" + exportIOSOmitted[m.Type]
			}
			break
		}
		name := x.attachmentName(m)
		if x.o.Grammar == ExportIOS {
			body = "\u200e<attached: " + name + ">"
		} else {
			body = name + " (file attached)"
		}
		if m.Caption != "" {
			body += "\n" + m.Caption
		}
		sha := ""
		if m.Media != nil {
			sha = m.Media.SHA256
		}
		x.att = append(x.att, Attachment{Name: name, MessageID: m.ID,
			Data: []byte("vigil synthetic attachment " + name + " standing for media " + sha + "\n")})
	default:
		return fmt.Errorf("export: message %s: type %q has no export form", m.ID, m.Type)
	}
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if i > 0 {
			x.newline()
		}
		x.buf.WriteString(l)
	}
	x.newline()
	return nil
}

// attachmentName is the file name an export gives a message's media:
// iOS "<counter>-<KIND>-<date-time>.<ext>" (documents
// "<counter>-<original name>"); Android the name the phone stored, or
// "<PREFIX>-<date>-WA<n>.<ext>", documents their original name.
func (x *chatExporter) attachmentName(m *Message) string {
	if x.o.Grammar == ExportIOS {
		n := len(x.att) + 1
		if m.Type == "document" || m.Type == "contact" {
			orig := "document" + exportExt(m)
			if m.Media != nil && m.Media.Name != "" {
				orig = m.Media.Name
			}
			if m.Type == "contact" {
				orig = x.name(m.Sender) + ".vcf"
			}
			return fmt.Sprintf("%08d-%s", n, orig)
		}
		return fmt.Sprintf("%08d-%s-%s%s", n, exportIOSKind[m.Type], m.Time.In(x.o.Location).Format("2006-01-02-15-04-05"), exportExt(m))
	}
	if m.Type == "contact" {
		return x.name(m.Sender) + ".vcf"
	}
	if m.Media != nil {
		if m.Type == "document" && m.Media.Name != "" {
			return m.Media.Name
		}
		if b := path.Base(m.Media.Path); strings.HasPrefix(b, exportAndroidPrefix[m.Type]+"-") {
			return b
		}
	}
	day := m.Time.In(x.o.Location).Format("20060102")
	key := exportAndroidPrefix[m.Type] + day
	x.perDay[key]++
	return fmt.Sprintf("%s-%s-WA%04d%s", exportAndroidPrefix[m.Type], day, x.perDay[key], exportExt(m))
}

// WriteExport writes an export under dir as it is shared: the text file
// with its attachments beside it, or, when zipped (always for iOS exports,
// whose Name ends in .zip), one zip holding both. It returns the path of
// the text file or of the zip.
func WriteExport(dir string, e *Export, zipped bool) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if strings.HasSuffix(e.Name, ".zip") || zipped {
		name := strings.TrimSuffix(e.Name, ".txt")
		if !strings.HasSuffix(name, ".zip") {
			name += ".zip"
		}
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		mod := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, f := range append([]Attachment{{Name: e.TextName, Data: e.Text}}, e.Attachments...) {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: mod})
			if err != nil {
				return "", err
			}
			if _, err := w.Write(f.Data); err != nil {
				return "", err
			}
		}
		if err := zw.Close(); err != nil {
			return "", err
		}
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, b.Bytes(), 0o644)
	}
	p := filepath.Join(dir, e.TextName)
	if err := os.WriteFile(p, e.Text, 0o644); err != nil {
		return "", err
	}
	for _, a := range e.Attachments {
		if err := os.WriteFile(filepath.Join(dir, a.Name), a.Data, 0o644); err != nil {
			return "", err
		}
	}
	return p, nil
}
