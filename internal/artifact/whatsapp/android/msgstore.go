package android

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// Generations of msgstore.db (spec §1.2), as recorded on the artifact.
const (
	GenLegacy       = "android-legacy"
	GenTransitional = "android-transitional"
	GenModern       = "android-modern"
	GenModernLID    = "android-modern-lid"
)

// Msgstore reads msgstore.db.
type Msgstore struct {
	// BatchSize is how many rows are written per transaction
	// (DefaultBatchSize when 0).
	BatchSize int
}

// Name identifies the extractor.
func (*Msgstore) Name() string { return "whatsapp/android-msgstore" }

// Claims takes SQLite files named msgstore*.db (decrypted backups keep the
// date in the name) and any SQLite file in a WhatsApp folder, which Probe
// then checks by its tables.
func (*Msgstore) Claims(p string, head []byte) bool {
	if !isSQLite(head) {
		return false
	}
	b := baseName(p)
	return strings.HasPrefix(b, "msgstore") && strings.HasSuffix(b, ".db") || underWhatsApp(p) && !strings.HasSuffix(b, "wa.db")
}

// Probe reports whether the database has msgstore's tables. A file named
// msgstore*.db is taken even when it cannot be read (a damaged copy), so
// that its extraction fails with the reason instead of being skipped.
func (*Msgstore) Probe(ctx context.Context, local string) (bool, error) {
	b := baseName(local)
	named := strings.HasPrefix(b, "msgstore") && strings.HasSuffix(b, ".db")
	db, err := whatsapp.OpenDB(ctx, local)
	if err != nil {
		return named, nil
	}
	defer db.Close()
	_, err = detect(ctx, db)
	return err == nil || named && !errors.Is(err, whatsapp.ErrNotWhatsApp), nil
}

// layout is what detect finds in a msgstore.db.
type layout struct {
	gen                 string
	readLegacy, readNew bool // which message tables hold rows to read
	hasJID, hasChat     bool
	nLegacy, nModern    int64
}

// detect tells the generation and which tables to read (spec §1.2).
func detect(ctx context.Context, db *whatsapp.DB) (layout, error) {
	var l layout
	hasLegacy, hasModern := db.HasTable("messages"), db.HasTable("message")
	l.hasJID, l.hasChat = db.HasTable("jid"), db.HasTable("chat")
	switch {
	case hasLegacy && !l.hasJID:
		l.gen = GenLegacy
	case hasLegacy:
		l.gen = GenTransitional
	case hasModern && l.hasJID && l.hasChat:
		l.gen = GenModern
		if db.HasTable("jid_map") {
			l.gen = GenModernLID
		}
	default:
		return l, fmt.Errorf("%w: neither a messages table nor message with jid and chat", whatsapp.ErrNotWhatsApp)
	}
	if err := ctx.Err(); err != nil {
		return l, err
	}
	var err error
	if hasLegacy {
		where := ""
		if db.HasColumn(ctx, "messages", "key_remote_jid") {
			where = `key_remote_jid IS NOT '-1'`
		}
		if l.nLegacy, err = db.Count(ctx, "messages", where); err != nil {
			l.nLegacy = 1 // unreadable count (a damaged file): read what can be read
		}
	}
	if hasModern {
		where := ""
		if db.HasColumn(ctx, "message", "chat_row_id") {
			where = `chat_row_id IS NOT -1`
		}
		if l.nModern, err = db.Count(ctx, "message", where); err != nil {
			l.nModern = 1
		}
	}
	l.readLegacy = hasLegacy && l.nLegacy > 0
	l.readNew = hasModern && l.hasJID && l.hasChat && l.nModern > 0
	return l, nil
}

// Extract reads a msgstore.db into the store.
func (x *Msgstore) Extract(ctx context.Context, in *artifact.Input) error {
	db, err := whatsapp.OpenDB(ctx, in.Local)
	if err != nil {
		return fmt.Errorf("msgstore %s: %w", in.Path, err)
	}
	defer db.Close()
	if db.Truncated != "" {
		in.Warn("%s %s: %s", "msgstore", in.Path, db.Truncated)
	}
	send, wait := asyncWrite(ctx, func(b store.ArtifactBatch) error { return in.Store.WriteArtifact(ctx, in.Artifact.ID, b) })
	err = ReadMsgstore(ctx, db, x.BatchSize, send, in.Warn)
	if werr := wait(); werr != nil {
		return fmt.Errorf("msgstore %s: storing: %w", in.Path, werr)
	}
	if err != nil {
		return fmt.Errorf("msgstore %s: %w", in.Path, err)
	}
	return nil
}

// ReadMsgstore reads an open msgstore.db and hands its findings, in
// batches of about batchSize rows, to write. Problems that do not stop the
// reading go to warn, summarised.
func ReadMsgstore(ctx context.Context, db *whatsapp.DB, batchSize int, write func(store.ArtifactBatch) error, warn func(string, ...any)) error {
	l, err := detect(ctx, db)
	if err != nil {
		return err
	}
	r := &reader{ctx: ctx, db: db, out: newEmitter(ctx, batchSize, write), p: newProblems(warn), l: l,
		owner: store.OwnerJID, jids: map[int64]jidRow{}, lids: map[int64]int64{}, chats: map[int64]chatRow{}}
	defer r.p.report()
	r.out.b.Generation = l.gen
	if err := r.read(); err != nil {
		return err
	}
	return r.out.flush()
}

type jidRow struct {
	user, server, raw string
	bare              string // the account JID, computed once
}

type chatRow struct {
	jid     string
	kind    string
	subject string
	created time.Time
	status  sql.NullInt64 // participation_status: the owner's own role
}

type reader struct {
	ctx       context.Context
	db        *whatsapp.DB
	out       *emitter
	p         *problems
	l         layout
	owner     string            // the owner's JID, or store.OwnerJID
	jids      map[int64]jidRow  // jid table
	lids      map[int64]int64   // jid_map: LID row → phone row
	chats     map[int64]chatRow // chat table by _id
	chatOrder []int64
	seen      map[string]bool // message keys read from the new table, when both are read
}

func (r *reader) query(q string, args ...any) (*sql.Rows, error) {
	rows, err := r.db.QueryContext(r.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query %.60q…: %w", q, err)
	}
	return rows, nil
}

func (r *reader) read() error {
	if r.l.hasJID {
		if err := r.step("jid", r.readJIDs); err != nil {
			return err
		}
	}
	if err := r.step("owner", r.readOwner); err != nil {
		return err
	}
	if err := r.step("chat", r.loadChats); err != nil {
		return err
	}
	var subjects map[string][]store.SubjectChange
	var creators map[string]creatorInfo
	if err := r.step("group history", func() (err error) { subjects, creators, err = r.groupHistory(); return err }); err != nil {
		return err
	}
	if err := r.step("chats", func() error { return r.readChats(subjects, creators) }); err != nil {
		return err
	}
	if err := r.step("members", r.readMembers); err != nil {
		return err
	}
	if err := r.out.flush(); err != nil {
		return err
	}
	if r.l.readNew {
		if r.l.readLegacy {
			r.seen = map[string]bool{}
		}
		if err := r.readModernMessages(); err != nil {
			return err
		}
	}
	if r.l.readLegacy {
		if err := r.readLegacyMessages(); err != nil {
			return err
		}
	}
	return r.step("message_group_invite", r.readInviteCards)
}

// step runs one part of the reading. A failure of the database (a
// corrupt page, a table whose definition does not match its rows) ends
// that part with a warning and the reading goes on with the rest; a
// failure to write to the store, or a cancellation, stops everything.
func (r *reader) step(what string, fn func() error) error {
	err := fn()
	if err == nil {
		return nil
	}
	var we *writeError
	if errors.As(err, &we) || r.ctx.Err() != nil {
		return err
	}
	r.p.note("part of the database unreadable, the rest read", "%s: %v", what, err)
	return nil
}

// noRow is below every row id.
const noRow = -(1 << 62)

// maxSkips bounds how many damaged stretches a table scan steps over.
const maxSkips = 1000

// scanFrom reads a table in row id order with q, which takes one
// argument (read the rows whose _id is at least it), handing each row to
// fn, which returns the row's _id. A stretch of rows the database cannot
// read (a corrupt or missing page) is skipped with a warning, and reading
// resumes at the next row it can read, so that a damaged file still gives
// every row that is readable.
func (r *reader) scanFrom(what, q string, fn func(*sql.Rows) (int64, error)) error {
	from := int64(noRow)
	for skips := 0; ; skips++ {
		last, err := r.scanOnce(q, from, fn)
		if err == nil {
			return nil
		}
		var we *writeError
		if errors.As(err, &we) || r.ctx.Err() != nil {
			return err
		}
		if skips == maxSkips {
			r.p.note("unreadable rows skipped", "%s: the rows after %s: damaged in more than %d places, reading stopped: %v", what, rowName(last), maxSkips, err)
			return nil
		}
		next, ok := r.nextReadable(q, last)
		if ok && next <= last {
			ok = false // a b-tree so damaged that it loops back
		}
		if !ok {
			r.p.note("unreadable rows skipped", "%s: the rows after %s: %v", what, rowName(last), err)
			return nil
		}
		r.p.note("unreadable rows skipped", "%s: the rows after %s and before %d: %v", what, rowName(last), next, err)
		from = next
	}
}

func rowName(id int64) string {
	if id == noRow {
		return "the start"
	}
	return strconv.FormatInt(id, 10)
}

// scanOnce reads from row from on; it returns the last row read.
func (r *reader) scanOnce(q string, from int64, fn func(*sql.Rows) (int64, error)) (int64, error) {
	last := from - 1
	if from == noRow {
		last = noRow
	}
	rows, err := r.db.QueryContext(r.ctx, q, from)
	if err != nil {
		return last, err
	}
	defer rows.Close()
	for rows.Next() {
		id, err := fn(rows)
		if err != nil {
			return last, err
		}
		if id <= last && last != noRow {
			return last, fmt.Errorf("row %d after row %d: the table's order is damaged", id, last)
		}
		last = id
	}
	return last, rows.Err()
}

// nextReadable finds the first row after last that the database can read
// again: it probes ever further ahead, then narrows down.
func (r *reader) nextReadable(q string, last int64) (int64, bool) {
	probe := func(x int64) (int64, bool) {
		var id int64
		rows, err := r.db.QueryContext(r.ctx, q+" LIMIT 1", x)
		if err != nil {
			return 0, false
		}
		defer rows.Close()
		if !rows.Next() {
			return 0, false
		}
		// Only the row id is needed; scanning the first column is enough to
		// tell the row is readable.
		cols, _ := rows.Columns()
		dest := make([]any, len(cols))
		for i := range dest {
			dest[i] = new(any)
		}
		if rows.Scan(dest...) != nil {
			return 0, false
		}
		if v, ok := whatsapp.Int(*(dest[0].(*any))); ok {
			id = v
		}
		return id, rows.Err() == nil
	}
	// probe(x) reads the first row at or after x. It fails while x lies
	// in the damaged stretch: find the first x past it.
	base := last
	if base == noRow {
		base = 0
	}
	lo, hi := base, int64(-1)
	var found int64
	for gap := int64(1); gap < 1<<42; gap *= 2 {
		if r.ctx.Err() != nil {
			return 0, false
		}
		if id, ok := probe(base + gap); ok {
			hi, found = base+gap, id
			break
		}
		lo = base + gap
	}
	if hi < 0 {
		return 0, false
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if id, ok := probe(mid); ok {
			hi, found = mid, id
		} else {
			lo = mid
		}
	}
	return found, true
}

// readJIDs loads the jid table and the LID map.
func (r *reader) readJIDs() error {
	raw := r.db.Col(r.ctx, "jid", "j", "raw_string")
	rows, err := r.query(`SELECT j._id, j.user, j.server, ` + raw + ` FROM jid j`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var u, s, rs any
		if err := rows.Scan(&id, &u, &s, &rs); err != nil {
			return fmt.Errorf("jid table: %w", err)
		}
		j := jidRow{user: r.p.text(u, "jid.user"), server: strings.ToLower(r.p.text(s, "jid.server")), raw: r.p.text(rs, "jid.raw_string")}
		j.bare = r.bareOf(j)
		r.jids[id] = j
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("jid table: %w", err)
	}
	if !r.db.HasTable("jid_map") {
		return nil
	}
	rows, err = r.query(`SELECT lid_row_id, jid_row_id FROM jid_map`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var names map[int64]string
	if r.db.HasTable("lid_display_name") && r.db.HasColumn(r.ctx, "lid_display_name", "display_name") {
		names = map[int64]string{}
		nrows, err := r.query(`SELECT lid_row_id, display_name FROM lid_display_name`)
		if err != nil {
			return err
		}
		for nrows.Next() {
			var id int64
			var n any
			if err := nrows.Scan(&id, &n); err == nil {
				names[id] = r.p.text(n, "lid_display_name")
			}
		}
		nrows.Close()
	}
	for rows.Next() {
		var lid, pj sql.NullInt64
		if err := rows.Scan(&lid, &pj); err != nil {
			return fmt.Errorf("jid_map: %w", err)
		}
		if !lid.Valid || !pj.Valid {
			continue
		}
		l, okL := r.jids[lid.Int64]
		ph, okP := r.jids[pj.Int64]
		// The JIDs as written (raw_string) must agree with the server
		// columns: a damaged row whose two disagree maps nothing.
		lj, pjid := r.bare(l), r.bare(ph)
		if !okL || !okP || l.server != phone.ServerLID || ph.server != phone.ServerPerson ||
			!strings.HasSuffix(lj, "@"+phone.ServerLID) || !strings.HasSuffix(pjid, "@"+phone.ServerPerson) {
			r.p.note("jid_map row that does not map a LID to a phone", "lid_row_id %d → jid_row_id %d", lid.Int64, pj.Int64)
			continue
		}
		r.lids[lid.Int64] = pj.Int64
		a := store.Account{JID: pjid, LID: lj}
		if n := names[lid.Int64]; n != "" {
			a.Names, a.NameBasis = []string{n}, "msgstore lid_display_name"
		}
		r.out.account(a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("jid_map: %w", err)
	}
	// LIDs with a display name and no phone.
	for id, n := range names {
		if _, mapped := r.lids[id]; mapped || n == "" {
			continue
		}
		if j, ok := r.jids[id]; ok && j.server == phone.ServerLID {
			r.out.account(store.Account{JID: r.bare(j), Names: []string{n}, NameBasis: "msgstore lid_display_name"})
		}
	}
	return nil
}

// bare is the account JID of a jid row ("" for rows that are no JID);
// the owner's pseudo-JIDs give the owner.
func (r *reader) bare(j jidRow) string {
	if j.raw == "status_me" || j.server == "status_me" || j.raw == "lid_me" || j.server == "lid_me" {
		return r.owner
	}
	return j.bare
}

func (r *reader) bareOf(j jidRow) string {
	s := j.raw
	if s == "" {
		s = j.user + "@" + j.server
	}
	b, ok := phone.BareJID(s)
	if !ok {
		if j.user != "" && j.server != "" {
			return j.user + "@" + j.server
		}
		return ""
	}
	return b
}

// jidOf is the account JID of a jid row id, LIDs mapped to their phone
// when the database maps them; "" for none.
func (r *reader) jidOf(id sql.NullInt64) string {
	if !id.Valid || id.Int64 <= 0 {
		return ""
	}
	if p, ok := r.lids[id.Int64]; ok {
		id.Int64 = p
	}
	j, ok := r.jids[id.Int64]
	if !ok {
		r.p.note("reference to a missing jid row", "jid row %d", id.Int64)
		return ""
	}
	return r.bare(j)
}

// readOwner looks for the owner inside the database: the device JID that
// wrote the owner's own messages (message_details), and the owner's push
// name (props). The preferences file is the better source (Prefs).
func (r *reader) readOwner() error {
	var name string
	if r.db.HasTable("props") && r.db.HasColumn(r.ctx, "props", "key") && r.db.HasColumn(r.ctx, "props", "value") {
		var v any
		err := r.db.QueryRowContext(r.ctx, `SELECT value FROM props WHERE key = 'user_push_name'`).Scan(&v)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("props: %w", err)
		}
		name = r.p.text(v, "props.user_push_name")
	}
	if r.l.hasJID && r.db.HasTable("message_details") && r.db.HasColumn(r.ctx, "message_details", "author_device_jid") &&
		r.db.HasColumn(r.ctx, "message", "from_me") {
		var dev sql.NullInt64
		err := r.db.QueryRowContext(r.ctx, `SELECT author_device_jid FROM (SELECT d.author_device_jid FROM message_details d
			JOIN message m ON m._id = d.message_row_id WHERE m.from_me = 1 AND d.author_device_jid > 0 LIMIT 1000)
			GROUP BY author_device_jid ORDER BY count(*) DESC LIMIT 1`).Scan(&dev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("message_details: %w", err)
		}
		if j, ok := r.jids[dev.Int64]; ok && dev.Valid {
			if b := r.bare(j); b != "" && b != store.OwnerJID {
				if p, ok := r.lids[dev.Int64]; ok {
					b = r.bare(r.jids[p])
				}
				r.owner = b
				r.out.account(store.Account{JID: b, Owner: true, OwnerBasis: "msgstore message_details"})
			}
		}
	}
	if name != "" {
		r.out.account(store.Account{JID: r.owner, Names: []string{name}, NameBasis: "msgstore props user_push_name"})
	}
	return nil
}

// msTime turns msgstore's milliseconds into a time; zero, negative or
// absurd values (before 2009, after 2100) give the zero time.
func (r *reader) msTime(v sql.NullInt64, where string) time.Time {
	if !v.Valid || v.Int64 == 0 {
		return time.Time{}
	}
	if v.Int64 < 1230768000000 || v.Int64 > 4102444800000 {
		r.p.note("timestamp out of range, left unknown", "%s = %d", where, v.Int64)
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// mediaHash decodes a base64 SHA-256 (file_hash, media_hash) to hex.
func (r *reader) mediaHash(v any, where string) string {
	s, _ := whatsapp.Text(v)
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil || len(b) != 32 {
		r.p.note("media hash that is not a base64 SHA-256, left out", "%s = %.60q", where, s)
		return ""
	}
	return hex.EncodeToString(b)
}

func chatKindOf(jid string) string {
	j, err := phone.ParseJID(jid)
	if err != nil {
		return store.ChatDirect
	}
	switch j.Kind() {
	case phone.KindGroup:
		return store.ChatGroup
	case phone.KindStatus:
		return store.ChatStatus
	case phone.KindBroadcast:
		return store.ChatBroadcast
	case phone.KindNewsletter:
		return store.ChatNewsletter
	}
	return store.ChatDirect
}

type creatorInfo struct {
	jid  string
	when time.Time
}

// groupHistory reads the subject history and the "created" events of the
// groups before the messages, so that chats are described first.
func (r *reader) groupHistory() (map[string][]store.SubjectChange, map[string]creatorInfo, error) {
	subjects := map[string][]store.SubjectChange{}
	creators := map[string]creatorInfo{}
	add := func(chat, actor, subject string, code int64, t time.Time) {
		if code == 11 {
			if _, ok := creators[chat]; !ok {
				creators[chat] = creatorInfo{actor, t}
			}
		}
		if subject != "" {
			subjects[chat] = append(subjects[chat], store.SubjectChange{Subject: subject, Time: t, ActorJID: actor})
		}
	}
	if r.l.readNew && r.db.HasTable("message_system") && r.db.HasColumn(r.ctx, "message_system", "action_type") {
		rows, err := r.query(`SELECT m.chat_row_id, m.sender_jid_row_id, m.from_me, ` + r.db.Col(r.ctx, "message", "m", "text_data") + `,
			m.timestamp, s.action_type FROM message_system s JOIN message m ON m._id = s.message_row_id
			WHERE s.action_type IN (1, 11) ORDER BY m.timestamp, m._id`)
		if err != nil {
			return nil, nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var chatID, sender, fromMe, ts, code sql.NullInt64
			var text any
			if err := rows.Scan(&chatID, &sender, &fromMe, &text, &ts, &code); err != nil {
				return nil, nil, fmt.Errorf("group history: %w", err)
			}
			c, ok := r.chats[chatID.Int64]
			if !ok {
				c.jid = r.chatJIDByRow(chatID.Int64)
			}
			actor := r.jidOf(sender)
			if actor == "" && fromMe.Int64 == 1 {
				actor = r.owner
			}
			add(c.jid, actor, r.p.text(text, "message.text_data"), code.Int64, r.msTime(ts, "message.timestamp"))
		}
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("group history: %w", err)
		}
	}
	if r.l.readLegacy {
		cols := r.db.Columns(r.ctx, "messages")
		if cols["status"] && cols["media_wa_type"] && cols["media_size"] && cols["key_remote_jid"] {
			rows, err := r.query(`SELECT key_remote_jid, ` + r.db.Col(r.ctx, "messages", "messages", "remote_resource") + `, ` +
				r.db.Col(r.ctx, "messages", "messages", "key_from_me") + `, ` + r.db.Col(r.ctx, "messages", "messages", "data") + `,
				timestamp, media_size FROM messages WHERE status = 6 AND CAST(media_wa_type AS INTEGER) = 0 AND media_size IN (1, 11)
				ORDER BY timestamp, _id`)
			if err != nil {
				return nil, nil, err
			}
			defer rows.Close()
			for rows.Next() {
				var chat, remote, data any
				var fromMe, ts, code sql.NullInt64
				if err := rows.Scan(&chat, &remote, &fromMe, &data, &ts, &code); err != nil {
					return nil, nil, fmt.Errorf("group history: %w", err)
				}
				cj := r.bareText(chat, "messages.key_remote_jid")
				actor := r.bareText(remote, "messages.remote_resource")
				if actor == "" {
					actor = r.owner
				}
				add(cj, actor, r.p.text(data, "messages.data"), code.Int64, r.msTime(ts, "messages.timestamp"))
			}
			if err := rows.Err(); err != nil {
				return nil, nil, fmt.Errorf("group history: %w", err)
			}
		}
	}
	return subjects, creators, nil
}

// bareText is the bare JID in a text column ("" when empty; the text as
// is, with a warning, when it is not a JID).
func (r *reader) bareText(v any, where string) string {
	s := strings.TrimSpace(r.p.text(v, where))
	if s == "" {
		return ""
	}
	if s == "status_me" || s == "lid_me" {
		return r.owner
	}
	b, ok := phone.BareJID(s)
	if !ok {
		r.p.note("value that is not a JID, kept as written", "%s = %.60q", where, s)
	}
	return b
}

func (r *reader) chatJIDByRow(id int64) string {
	if c, ok := r.chats[id]; ok {
		return c.jid
	}
	r.p.note("message of a chat row that does not exist, kept under a placeholder chat", "chat_row_id %d", id)
	return "msgstore-chat-" + strconv.FormatInt(id, 10)
}

// loadChats reads the chat table of new and transitional files.
func (r *reader) loadChats() error {
	if !r.l.hasChat || !r.l.hasJID || !r.db.HasColumn(r.ctx, "chat", "jid_row_id") {
		return nil
	}
	rows, err := r.query(`SELECT c._id, c.jid_row_id, ` + r.db.Col(r.ctx, "chat", "c", "subject") + `, ` +
		r.db.Col(r.ctx, "chat", "c", "created_timestamp") + `, ` + r.db.Col(r.ctx, "chat", "c", "participation_status") + ` FROM chat c ORDER BY c._id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var jr, created, status sql.NullInt64
		var subject any
		if err := rows.Scan(&id, &jr, &subject, &created, &status); err != nil {
			return fmt.Errorf("chat table: %w", err)
		}
		j := r.jidOf(jr)
		if j == "" {
			r.p.note("chat without a JID, kept under a placeholder", "chat %d", id)
			j = "msgstore-chat-" + strconv.FormatInt(id, 10)
		}
		r.chats[id] = chatRow{jid: j, kind: chatKindOf(j), status: status, subject: r.p.text(subject, "chat.subject"),
			created: r.msTime(created, "chat.created_timestamp")}
		r.chatOrder = append(r.chatOrder, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("chat table: %w", err)
	}
	return nil
}

// readChats describes every chat: the chat table (new and transitional
// files) and chat_list (legacy and transitional), with creators and
// subject histories.
func (r *reader) readChats(subjects map[string][]store.SubjectChange, creators map[string]creatorInfo) error {
	type info struct {
		subject string
		created time.Time
	}
	found := map[string]info{}
	var order []string
	addChat := func(jid, subject string, created time.Time) {
		if jid == "" {
			return
		}
		old, ok := found[jid]
		if !ok {
			order = append(order, jid)
		}
		if subject == "" {
			subject = old.subject
		}
		if created.IsZero() || !old.created.IsZero() && old.created.Before(created) {
			created = old.created
		}
		found[jid] = info{subject, created}
	}
	for _, id := range r.chatOrder {
		c := r.chats[id]
		addChat(c.jid, c.subject, c.created)
	}
	if r.db.HasTable("chat_list") && r.db.HasColumn(r.ctx, "chat_list", "key_remote_jid") {
		rows, err := r.query(`SELECT key_remote_jid, ` + r.db.Col(r.ctx, "chat_list", "l", "subject") + `, ` +
			r.db.Col(r.ctx, "chat_list", "l", "creation") + ` FROM chat_list l`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var jid, subject any
			var created sql.NullInt64
			if err := rows.Scan(&jid, &subject, &created); err != nil {
				return fmt.Errorf("chat_list: %w", err)
			}
			addChat(r.bareText(jid, "chat_list.key_remote_jid"), r.p.text(subject, "chat_list.subject"), r.msTime(created, "chat_list.creation"))
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("chat_list: %w", err)
		}
	}
	for _, jid := range order {
		in := found[jid]
		c := store.Chat{JID: jid, Kind: chatKindOf(jid), Subject: in.subject, Created: in.created, Subjects: subjects[jid]}
		if c.Kind == store.ChatGroup {
			if cr, ok := creators[jid]; ok && cr.jid != "" {
				c.CreatorJID, c.CreatorBasis = cr.jid, "event"
				if c.Created.IsZero() {
					c.Created = cr.when
				}
			}
			if j, err := phone.ParseJID(jid); err == nil {
				if o, ok := phone.ParseGroupOrigin(j); ok {
					if c.CreatorJID == "" {
						c.CreatorJID, c.CreatorBasis = phone.PersonJID(o.Creator), "group-id"
					}
					if c.Created.IsZero() {
						c.Created = o.Created
					}
				}
			}
		}
		r.out.chat(c)
	}
	return nil
}

// readMembers reads current members (group_participant_user, legacy
// group_participants), past members (group_past_participant_user) and
// the owner's own participation (chat.participation_status). A creator
// known by rank is recorded on the chat.
func (r *reader) readMembers() error {
	ownerListed := map[string]bool{}
	creators := map[string]bool{}
	member := func(chat, acc string, rank sql.NullInt64, pending bool) {
		if chat == "" || acc == "" {
			r.p.note("member row without a group or an account", "%s / %s", chat, acc)
			return
		}
		m := store.Member{ChatJID: chat, AccountJID: acc, Current: true, Pending: pending, Role: store.RoleMember}
		if rank.Valid {
			n := int(rank.Int64)
			m.RoleRaw, m.Role = &n, whatsapp.Role(rank.Int64)
		}
		if acc == r.owner {
			ownerListed[chat] = true
		}
		if m.Role == store.RoleCreator && !creators[chat] {
			creators[chat] = true
			r.out.chat(store.Chat{JID: chat, Kind: store.ChatGroup, CreatorJID: acc, CreatorBasis: "rank"})
		}
		r.out.member(m)
	}
	if r.l.hasJID && r.db.HasTable("group_participant_user") {
		cols := r.db.Columns(r.ctx, "group_participant_user")
		if cols["group_jid_row_id"] && cols["user_jid_row_id"] {
			rows, err := r.query(`SELECT g.group_jid_row_id, g.user_jid_row_id, ` + r.db.Col(r.ctx, "group_participant_user", "g", "rank") + `, ` +
				r.db.Col(r.ctx, "group_participant_user", "g", "pending") + ` FROM group_participant_user g ORDER BY g._id`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var g, u, rank, pending sql.NullInt64
				if err := rows.Scan(&g, &u, &rank, &pending); err != nil {
					return fmt.Errorf("group_participant_user: %w", err)
				}
				member(r.jidOf(g), r.jidOf(u), rank, pending.Int64 > 0)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("group_participant_user: %w", err)
			}
		}
	}
	if r.db.HasTable("group_participants") {
		cols := r.db.Columns(r.ctx, "group_participants")
		if cols["gjid"] && cols["jid"] {
			rows, err := r.query(`SELECT p.gjid, p.jid, ` + r.db.Col(r.ctx, "group_participants", "p", "admin") + `, ` +
				r.db.Col(r.ctx, "group_participants", "p", "pending") + ` FROM group_participants p ORDER BY p._id`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var g, u any
				var admin, pending sql.NullInt64
				if err := rows.Scan(&g, &u, &admin, &pending); err != nil {
					return fmt.Errorf("group_participants: %w", err)
				}
				acc := r.bareText(u, "group_participants.jid")
				if acc == "" {
					acc = r.owner // the owner's row has jid '' (spec §4.2)
				}
				member(r.bareText(g, "group_participants.gjid"), acc, admin, pending.Int64 > 0)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("group_participants: %w", err)
			}
		}
	}
	if r.l.hasJID && r.db.HasTable("group_past_participant_user") {
		cols := r.db.Columns(r.ctx, "group_past_participant_user")
		if cols["group_jid_row_id"] && cols["user_jid_row_id"] {
			rows, err := r.query(`SELECT g.group_jid_row_id, g.user_jid_row_id, ` + r.db.Col(r.ctx, "group_past_participant_user", "g", "timestamp") +
				` FROM group_past_participant_user g ORDER BY g._id`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var g, u, ts sql.NullInt64
				if err := rows.Scan(&g, &u, &ts); err != nil {
					return fmt.Errorf("group_past_participant_user: %w", err)
				}
				chat, acc := r.jidOf(g), r.jidOf(u)
				if chat == "" || acc == "" {
					r.p.note("past member row without a group or an account", "group %d user %d", g.Int64, u.Int64)
					continue
				}
				r.out.member(store.Member{ChatJID: chat, AccountJID: acc, Role: store.RoleMember,
					LastSeen: r.msTime(ts, "group_past_participant_user.timestamp")})
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("group_past_participant_user: %w", err)
			}
		}
	}
	// The owner's role where the participant lists do not name the owner
	// (spec §3.1 participation_status: 1 former member, 2 member, 3 admin,
	// 4 creator and admin).
	for _, id := range r.chatOrder {
		c := r.chats[id]
		if c.kind != store.ChatGroup || !c.status.Valid || ownerListed[c.jid] {
			continue
		}
		raw := int(c.status.Int64)
		m := store.Member{ChatJID: c.jid, AccountJID: r.owner, Role: store.RoleMember, RoleRaw: &raw}
		switch raw {
		case 1:
		case 2:
			m.Current = true
		case 3:
			m.Current, m.Role = true, store.RoleAdmin
		case 4:
			m.Current, m.Role = true, store.RoleCreator
		default:
			continue
		}
		r.out.member(m)
	}
	return nil
}

// readInviteCards reads the "invitation to join group" cards
// (message_group_invite), whose codes are kept apart from public links.
func (r *reader) readInviteCards() error {
	if !r.l.hasJID || !r.db.HasTable("message_group_invite") {
		return nil
	}
	cols := r.db.Columns(r.ctx, "message_group_invite")
	if !cols["message_row_id"] || !cols["invite_code"] {
		return nil
	}
	rows, err := r.query(`SELECT i.message_row_id, m.chat_row_id, m.timestamp, ` + r.db.Col(r.ctx, "message_group_invite", "i", "group_jid_row_id") +
		`, i.invite_code FROM message_group_invite i JOIN message m ON m._id = i.message_row_id ORDER BY i.message_row_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, chat, ts, group sql.NullInt64
		var code any
		if err := rows.Scan(&id, &chat, &ts, &group, &code); err != nil {
			return fmt.Errorf("message_group_invite: %w", err)
		}
		c := strings.TrimSpace(r.p.text(code, "message_group_invite.invite_code"))
		if c == "" {
			continue
		}
		ref := "message:" + strconv.FormatInt(id.Int64, 10)
		if err := r.out.link(store.Link{Kind: whatsapp.LinkInviteCard, Code: c, ChatJID: r.chatJIDByRow(chat.Int64),
			GroupJID: r.jidOf(group), MessageRowRef: ref, RowRef: ref, Time: r.msTime(ts, "message.timestamp")}); err != nil {
			return err
		}
	}
	return rows.Err()
}
