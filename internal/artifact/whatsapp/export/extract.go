// Package export reads WhatsApp "Export chat" text files (spec §9): the
// Android grammar ("12/07/2017, 22:35 - Name: text") and the iOS one
// ("[29/11/2018, 10:50:41] Name: text"), with their attachments.
//
// An export holds no JIDs, only names as the exporting phone's address
// book shows them, or formatted numbers for unsaved contacts. The
// extractor turns them into accounts as follows:
//
//   - a formatted international number ("+33 6 99 88 77 66") is the phone
//     JID of that number ("33699887766@s.whatsapp.net");
//   - any other name is "name:<device label>:<name>", one account per name
//     per device (the case store's convention for export-only names);
//   - the exporter ("You" in system lines, and the author of their own
//     messages when that name is known: Extractor.OwnerName, or the other
//     author of a direct chat whose file name names the partner) is the
//     device's owner, store.OwnerJID, which the store resolves to the
//     owner's account whatever source names it. An export saved on a
//     phone may have been made on another one (exports are shared): with
//     Extractor.ForeignExports the exporter is an account of its own
//     instead, named as above or "name:<device label>:You".
//
// A group chat's JID is "export:<SHA-256 of the text file>": an export
// does not say which group it is, so each exported file is its own chat.
// A direct chat's JID is the partner's account JID (as above) when the
// file name names the partner ("WhatsApp Chat with <name>.txt"), so that
// exports of the same conversation, and a database's chat with the same
// phone number, meet; else it is "export:<SHA-256>" too.
//
// Times are the exporting phone's wall clock, read in Extractor.Location
// (UTC when unset, with a warning).
package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// Extractor reads "Export chat" text files. Its fields are options the
// command line may set; the zero value infers everything.
type Extractor struct {
	// DateOrder is "auto" (or "") to infer the date order per file, or a
	// fixed order: "dmy", "mdy", "ymd", …
	DateOrder string
	// Location is the time zone of the exporting phone; nil reads the
	// wall-clock times as UTC.
	Location *time.Location
	// OwnerName is the exporter's own name as it appears before their
	// messages; their messages are then marked from_me.
	OwnerName string
	// ForeignExports says the exports on the device may have been made on
	// other phones, so the exporter is not taken to be the device's owner.
	ForeignExports bool
	// BatchSize is how many messages are written per transaction
	// (default 2000).
	BatchSize int
}

// Name identifies the extractor.
func (x *Extractor) Name() string { return "whatsapp/export" }

// chatPrefixes start the names WhatsApp gives export files ("WhatsApp
// Chat with <name>.txt", iOS "WhatsApp Chat - <name>.zip"), in English and
// a few localisations (spec §9.1 says the "with" is localised; the
// non-English ones are unconfirmed).
var chatPrefixes = []string{
	"WhatsApp Chat with ", "WhatsApp Chat - ", "WhatsApp Chat mit ", "WhatsApp-Chat mit ",
	"Chat de WhatsApp con ", "Conversa do WhatsApp com ", "Discussion WhatsApp avec ",
	"Chat WhatsApp con ", "WhatsApp-chat met ",
}

// chatName returns the chat name a file or archive name carries, "" when
// it carries none.
func chatName(base string) string {
	lower := strings.ToLower(base)
	for _, ext := range []string{".txt", ".zip"} {
		if strings.HasSuffix(lower, ext) {
			base = base[:len(base)-len(ext)]
			break
		}
	}
	for _, p := range chatPrefixes {
		if len(base) > len(p) && strings.EqualFold(base[:len(p)], p) {
			name := strings.TrimSpace(base[len(p):])
			// Browsers add " (1)" to repeated downloads.
			if i := strings.LastIndex(name, " ("); i > 0 && strings.HasSuffix(name, ")") {
				if _, n, _ := number(name, i+2, 2); n > 0 && i+2+n == len(name)-1 {
					name = name[:i]
				}
			}
			return name
		}
	}
	return ""
}

// chatNameOf returns the chat name the path of an export's text file
// gives: its own name, or for "_chat.txt" its archive's or folder's.
func chatNameOf(p string) string {
	base := path.Base(p)
	if n := chatName(base); n != "" {
		return n
	}
	if base == "_chat.txt" {
		return chatName(path.Base(path.Dir(p)))
	}
	return ""
}

// Claims reports whether the file is a chat export: "_chat.txt", a
// "WhatsApp Chat with …" / "WhatsApp Chat - …" text file, or any ".txt"
// whose first line starts like an export line. macOS resource forks
// ("__MACOSX/", "._*") are not claimed.
func (x *Extractor) Claims(p string, head []byte) bool {
	base := path.Base(p)
	if strings.HasPrefix(base, "._") || strings.HasPrefix(p, "__MACOSX/") || strings.Contains(p, "/__MACOSX/") {
		return false
	}
	if !strings.HasSuffix(strings.ToLower(base), ".txt") {
		return false
	}
	if base == "_chat.txt" || chatName(base) != "" {
		return true
	}
	first := head
	if i := strings.IndexByte(string(head[:min(len(head), 512)]), '\n'); i >= 0 {
		first = head[:i]
	}
	if len(first) > 512 {
		first = first[:512]
	}
	_, ok := parseHeader(string(first))
	return ok
}

// Extract reads the export in three passes over the scratch copy: the
// grammar and date order, then who is who, then the rows, written in
// batches, so that memory stays bounded by the longest message.
func (x *Extractor) Extract(ctx context.Context, in *artifact.Input) error {
	warn := in.Warn
	if warn == nil {
		warn = func(string, ...any) {}
	}
	order, err := ParseOrder(x.DateOrder)
	if err != nil {
		return err
	}
	opt := Options{DateOrder: order, Location: x.Location, ChatName: chatNameOf(in.Path)}
	open := func() (*os.File, error) {
		f, err := os.Open(in.Local)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", in.Path, err)
		}
		return f, nil
	}

	// Pass 1: grammar and date order.
	fh, err := open()
	if err != nil {
		return err
	}
	file, err := Inspect(ctx, fh, opt)
	fh.Close()
	if err != nil {
		return fmt.Errorf("export %s: %w", in.Path, err)
	}
	if file.OrderBasis != "override" && (strings.Contains(file.OrderBasis, "guess") || strings.Contains(file.OrderBasis, "weak") || strings.Contains(file.OrderBasis, "mixed")) {
		warn("export %s: date order %s is uncertain (%s); set the date order if it is wrong", in.Path, file.Order, file.OrderBasis)
	}
	if x.Location == nil {
		warn("export %s: times are the exporting phone's wall clock and no time zone is set: read as UTC", in.Path)
	}
	if file.Replaced > 0 {
		warn("export %s: %d invalid UTF-8 sequences replaced by U+FFFD", in.Path, file.Replaced)
	}
	if file.Truncated > 0 {
		warn("export %s: %d lines longer than %d bytes were cut", in.Path, file.Truncated, DefaultMaxText)
	}
	if file.Preamble > 0 {
		warn("export %s: %d lines before the first message line kept as an unknown system line", in.Path, file.Preamble)
	}

	sum := in.SHA256
	if sum == "" {
		if sum, err = fileSHA256(in.Local); err != nil {
			return fmt.Errorf("export %s: %w", in.Path, err)
		}
	}

	// Pass 2: who is who.
	var p people
	p.init(x, in, opt.ChatName, sum)
	fh, err = open()
	if err != nil {
		return err
	}
	_, err = file.Each(ctx, fh, func(e *Entry) error { p.see(e); return nil })
	fh.Close()
	if err != nil {
		return fmt.Errorf("export %s: %w", in.Path, err)
	}
	if p.unknown > 0 {
		warn("export %s: %d system lines are not in the phrase catalog (kept whole, as action %q), e.g. %q: the export may be in a language the catalog does not know", in.Path, p.unknown, Unknown, p.unknownEx)
	}
	first := p.decide(warn)
	if err := in.Store.WriteArtifact(ctx, in.Artifact.ID, first); err != nil {
		return fmt.Errorf("export %s: %w", in.Path, err)
	}

	// Pass 3: messages, events and links.
	size := x.BatchSize
	if size <= 0 {
		size = 2000
	}
	var b store.ArtifactBatch
	flush := func() error {
		if len(b.Messages)+len(b.Events)+len(b.Links) == 0 {
			return nil
		}
		err := in.Store.WriteArtifact(ctx, in.Artifact.ID, b)
		b = store.ArtifactBatch{}
		return err
	}
	dir := path.Dir(in.Path)
	fh, err = open()
	if err != nil {
		return err
	}
	rep, err := file.Each(ctx, fh, func(e *Entry) error {
		p.rows(e, dir, &b)
		if len(b.Messages)+len(b.Events) >= size {
			return flush()
		}
		return nil
	})
	fh.Close()
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", in.Path, err)
	}
	if rep.BadDates > 0 {
		warn("export %s: %d header lines have dates impossible in order %s (first at line %d); kept as continuation lines", in.Path, rep.BadDates, file.Order, rep.FirstBadDate)
	}
	if rep.CutLines > 0 {
		warn("export %s: %d continuation lines left out of messages longer than %d bytes", in.Path, rep.CutLines, DefaultMaxText)
	}
	return nil
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// people gathers, over one pass, who appears in an export and what the
// system lines say about the chat; decide then fixes the identities.
type people struct {
	device   string
	chatName string
	sum      string
	owner    string // the exporter's name, when known
	foreign  bool   // the exporter is not the device's owner

	seen      map[string]*seenName // by name as written
	order     []string
	you       bool // system lines mention the exporter
	youFirst  time.Time
	youLast   time.Time
	group     bool   // a line only a group has
	lastSys   string // the last chat name iOS wrote before a system line
	subjects  []store.SubjectChange
	created   time.Time
	creator   Who
	roleOf    map[string]string // by name ("\x00you" for the exporter): creator / admin
	ownerJID  string
	ownerWhy  string
	jids      map[string]string // name as written → account JID
	unknown   int               // system lines the phrase catalog does not know
	unknownEx string            // the first of them
	decided   bool              // the owner and the chat are fixed
	chatJID   string
	kind      string
	directJID string
}

type seenName struct {
	first, last time.Time
	messages    int
	member      bool // appears in group membership events or writes in a group
}

func (p *people) init(x *Extractor, in *artifact.Input, chatName, sum string) {
	p.device = in.Device.Label
	if p.device == "" {
		p.device = fmt.Sprint(in.Device.ID)
	}
	p.chatName = cleanName(chatName)
	p.sum = sum
	p.owner = cleanName(x.OwnerName)
	p.foreign = x.ForeignExports
	p.seen = map[string]*seenName{}
	p.roleOf = map[string]string{}
	p.jids = map[string]string{}
}

func (p *people) note(name string, t time.Time, message, member bool) {
	name = cleanName(name)
	if name == "" {
		return
	}
	s := p.seen[name]
	if s == nil {
		if len(p.seen) > 1<<20 {
			return
		}
		s = &seenName{first: t, last: t}
		p.seen[name] = s
		p.order = append(p.order, name)
	}
	if t.Before(s.first) {
		s.first = t
	}
	if t.After(s.last) {
		s.last = t
	}
	if message {
		s.messages++
	}
	s.member = s.member || member
}

func (p *people) noteWho(w Who, t time.Time, member bool) {
	if w.You {
		if !p.you || t.Before(p.youFirst) {
			p.youFirst = t
		}
		if !p.you || t.After(p.youLast) {
			p.youLast = t
		}
		p.you = true
		return
	}
	if w.Name != "" {
		p.note(w.Name, t, false, member)
	}
}

// groupActions are the system lines only a group chat has.
var groupActions = map[string]bool{
	store.ActionCreated: true, store.ActionAdded: true, store.ActionRemoved: true, store.ActionLeft: true,
	store.ActionJoinedByLink: true, store.ActionJoinedCommunity: true, store.ActionSubject: true,
	store.ActionDescription: true, store.ActionIcon: true, store.ActionSettings: true,
	store.ActionLinkReset: true, store.ActionAdminPromoted: true, store.ActionAdminDemoted: true,
}

// membership are the actions whose targets are (or were) members.
var membership = map[string]bool{
	store.ActionAdded: true, store.ActionRemoved: true, store.ActionLeft: true,
	store.ActionJoinedByLink: true, store.ActionJoinedCommunity: true,
	store.ActionAdminPromoted: true, store.ActionAdminDemoted: true,
}

func (p *people) see(e *Entry) {
	if e.System == nil {
		p.note(e.Author, e.Time, true, true)
		return
	}
	s := e.System
	if s.Action == Unknown {
		if p.unknown == 0 {
			p.unknownEx = e.Text
			if len(p.unknownEx) > 80 {
				p.unknownEx = strings.ToValidUTF8(p.unknownEx[:80], "") + "…"
			}
		}
		p.unknown++
	}
	if n := cleanName(e.Author); n != "" {
		p.lastSys = n
	}
	if groupActions[s.Action] || strings.Contains(e.Text, "this group") {
		p.group = true
	}
	member := groupActions[s.Action]
	p.noteWho(s.Actor, e.Time, member && s.Action != store.ActionNumberChanged)
	for _, t := range s.Targets {
		p.noteWho(t, e.Time, membership[s.Action])
	}
	key := func(w Who) string {
		if w.You {
			return "\x00you"
		}
		return cleanName(w.Name)
	}
	switch s.Action {
	case store.ActionCreated:
		if p.created.IsZero() {
			p.created, p.creator = e.Time, s.Actor
			p.roleOf[key(s.Actor)] = store.RoleCreator
		}
		if s.New != "" {
			p.subjects = append(p.subjects, store.SubjectChange{Subject: s.New, Time: e.Time, ActorJID: key(s.Actor)})
		}
	case store.ActionSubject:
		p.subjects = append(p.subjects, store.SubjectChange{Subject: s.New, Time: e.Time, ActorJID: key(s.Actor)})
	case store.ActionAdminPromoted, store.ActionAdminDemoted:
		for _, t := range s.Targets {
			if p.roleOf[key(t)] == store.RoleCreator {
				continue
			}
			if s.Action == store.ActionAdminPromoted {
				p.roleOf[key(t)] = store.RoleAdmin
			} else {
				p.roleOf[key(t)] = store.RoleMember
			}
		}
	}
}

// jid returns the account JID of a name as written in the export.
func (p *people) jid(name string) string {
	if j, ok := p.jids[name]; ok {
		return j
	}
	j := p.jidOf(name)
	if p.decided && len(p.jids) < 1<<16 {
		p.jids[name] = j // cached once the owner is fixed: numbers are slow to parse
	}
	return j
}

func (p *people) jidOf(name string) string {
	name = cleanName(name)
	if name == "" {
		return ""
	}
	if p.owner != "" && name == p.owner && p.ownerJID != "" {
		return p.ownerJID
	}
	if n, ok := phoneNumber(name); ok {
		return phone.PersonJID(n)
	}
	return "name:" + p.device + ":" + name
}

func (p *people) whoJID(w Who) string {
	if w.You {
		return p.ownerJID
	}
	return p.jid(w.Name)
}

// phoneNumber reads a name that is a formatted international number.
func phoneNumber(name string) (phone.Number, bool) {
	s := strings.TrimLeftFunc(name, func(r rune) bool { return isMark(r) || r == ' ' })
	if !strings.HasPrefix(s, "+") {
		return phone.Number{}, false
	}
	n, err := phone.Parse(s)
	return n, err == nil
}

// decide fixes the chat's kind and JID and the owner, and returns the
// first batch: accounts, the chat and its members.
func (p *people) decide(warn func(string, ...any)) store.ArtifactBatch {
	var authors []string
	for _, n := range p.order {
		if p.seen[n].messages > 0 {
			authors = append(authors, n)
		}
	}
	if !p.group && len(authors) > 2 {
		p.group = true
	}

	// The owner.
	switch {
	case p.owner != "":
		p.ownerWhy = "export: the exporter's name was given"
	case !p.group && p.chatName != "" && len(authors) == 2 && (authors[0] == p.chatName || authors[1] == p.chatName):
		p.owner = authors[0]
		if p.owner == p.chatName {
			p.owner = authors[1]
		}
		p.ownerWhy = "export: the author of a direct chat who is not the partner the file name names"
	}
	switch {
	case !p.foreign && (p.owner != "" || p.you):
		p.ownerJID = store.OwnerJID
		if p.owner == "" {
			p.ownerWhy = "export: \"You\" in system lines"
		}
	case p.owner != "":
		p.ownerJID = "" // jid below must not map the owner's name to itself
		p.ownerJID = p.jid(p.owner)
	case p.you:
		p.ownerJID = "name:" + p.device + ":You"
		p.ownerWhy = "export: \"You\" in system lines (the exporter's own name is unknown)"
	}
	if p.owner == "" && len(authors) > 0 {
		warn("export: the exporter's own name is unknown, so none of the messages is marked from_me; give the owner's name to mark them")
	}

	p.decided = true

	// The chat.
	p.kind = store.ChatDirect
	if p.group {
		p.kind = store.ChatGroup
	}
	p.chatJID = "export:" + p.sum
	if !p.group && p.chatName != "" {
		p.directJID = p.jid(p.chatName)
		p.chatJID = p.directJID
	}
	chat := store.Chat{JID: p.chatJID, Kind: p.kind}
	if p.group {
		for i := range p.subjects {
			p.subjects[i].ActorJID = p.keyJID(p.subjects[i].ActorJID)
		}
		chat.Subjects = p.subjects
		switch {
		case len(p.subjects) > 0:
			chat.Subject = p.subjects[len(p.subjects)-1].Subject
		case p.lastSys != "":
			chat.Subject = p.lastSys
		default:
			chat.Subject = p.chatName
		}
		if !p.created.IsZero() {
			chat.Created = p.created
			chat.CreatorJID = p.whoJID(p.creator)
			chat.CreatorBasis = "event"
		}
	}

	var b store.ArtifactBatch
	b.Chats = []store.Chat{chat}
	owner := store.Account{}
	if p.ownerJID != "" {
		// The device's owner needs no account row unless it has a name to
		// record; a foreign exporter is an account of its own.
		owner = store.Account{JID: p.ownerJID}
		if p.owner != "" {
			p.addNames(&owner, p.owner)
			if len(owner.Names) > 0 {
				owner.NameBasis = p.ownerWhy
			}
		}
		p.fillPhone(&owner)
		if p.ownerJID != store.OwnerJID || len(owner.Names) > 0 {
			b.Accounts = append(b.Accounts, owner)
		}
	}
	for _, n := range p.order {
		j := p.jid(n)
		if j == p.ownerJID {
			continue
		}
		a := store.Account{JID: j}
		p.addNames(&a, n)
		p.fillPhone(&a)
		b.Accounts = append(b.Accounts, a)
	}
	if !p.group {
		if p.directJID != "" && p.directJID != p.ownerJID && p.seen[p.chatName] == nil {
			a := store.Account{JID: p.directJID}
			p.addNames(&a, p.chatName)
			p.fillPhone(&a)
			b.Accounts = append(b.Accounts, a)
		}
		return b
	}
	for _, n := range p.order {
		s := p.seen[n]
		if !s.member {
			continue
		}
		m := store.Member{ChatJID: p.chatJID, AccountJID: p.jid(n), Role: store.RoleMember, FirstSeen: s.first, LastSeen: s.last}
		if r := p.roleOf[n]; r != "" {
			m.Role = r
		}
		if n == p.owner {
			p.mergeYou(&m)
		}
		b.Members = append(b.Members, m)
	}
	if p.you && p.ownerJID != "" && (p.owner == "" || p.seen[p.owner] == nil || !p.seen[p.owner].member) {
		m := store.Member{ChatJID: p.chatJID, AccountJID: p.ownerJID, Role: store.RoleMember, FirstSeen: p.youFirst, LastSeen: p.youLast}
		p.mergeYou(&m)
		b.Members = append(b.Members, m)
	}
	sort.SliceStable(b.Members, func(i, j int) bool { return b.Members[i].AccountJID < b.Members[j].AccountJID })
	return b
}

// mergeYou folds what system lines say about "You" into the owner's
// member row.
func (p *people) mergeYou(m *store.Member) {
	if !p.you {
		return
	}
	if m.FirstSeen.IsZero() || p.youFirst.Before(m.FirstSeen) {
		m.FirstSeen = p.youFirst
	}
	if p.youLast.After(m.LastSeen) {
		m.LastSeen = p.youLast
	}
	if r := p.roleOf["\x00you"]; r != "" && m.Role != store.RoleCreator {
		m.Role = r
	}
}

func (p *people) keyJID(k string) string {
	if k == "\x00you" {
		return p.ownerJID
	}
	return p.jid(k)
}

func (p *people) addNames(a *store.Account, name string) {
	if _, ok := phoneNumber(name); ok {
		return // a number shown for an unsaved contact is not a name
	}
	a.Names = []string{cleanName(name)}
	a.NameBasis = "export"
}

// cleanName drops the bidirectional marks iOS wraps names and numbers in
// ("\u202a+34 600 000 001\u202c"), so the same person is one account.
func cleanName(name string) string { return strings.TrimSpace(stripMarks(name)) }

func (p *people) fillPhone(a *store.Account) {
	j, err := phone.ParseJID(a.JID)
	if err != nil {
		return
	}
	if n, ok := j.Number(); ok {
		a.Phone, a.Country = n.E164, n.Region
	}
}

// rows turns one entry into store rows.
func (p *people) rows(e *Entry, dir string, b *store.ArtifactBatch) {
	ref := fmt.Sprintf("line:%d", e.Line)
	if e.System != nil {
		s := e.System
		ev := store.Event{RowRef: ref, ChatJID: p.chatJID, Time: e.Time, Action: s.Action,
			ActorJID: p.whoJID(s.Actor), OldValue: s.Old, NewValue: s.New}
		for _, t := range s.Targets {
			if j := p.whoJID(t); j != "" {
				ev.TargetJIDs = append(ev.TargetJIDs, j)
			}
		}
		if s.Action == Unknown {
			ev.NewValue = e.Text
		}
		b.Events = append(b.Events, ev)
		return
	}
	sender := p.jid(e.Author)
	m := store.Message{RowRef: ref, ChatJID: p.chatJID, SenderJID: sender, Time: e.Time,
		FromMe: p.ownerJID != "" && sender == p.ownerJID, Type: e.Type, Text: e.Text, Caption: e.Caption,
		MediaName: e.MediaName, MediaSize: -1}
	if e.Attachment != "" {
		m.MediaPath = e.Attachment
		if dir != "." && dir != "" {
			m.MediaPath = dir + "/" + e.Attachment
		}
	}
	b.Messages = append(b.Messages, m)
	b.Links = append(b.Links, whatsapp.Links(e.Text+"\n"+e.Caption, p.chatJID, ref, e.Time)...)
}
