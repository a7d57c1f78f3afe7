package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// AndroidGeneration is a schema generation of Android's msgstore.db
// (research spec §1.2).
type AndroidGeneration string

// Android msgstore.db generations.
const (
	// AndroidLegacy has the messages, chat_list and group_participants
	// tables and no jid table (files up to about 2018).
	AndroidLegacy AndroidGeneration = "legacy"
	// AndroidTransitional has both the legacy tables and the new ones
	// (jid, chat, message, group_participant_user, …), with the messages
	// only in the legacy messages table and the members only in
	// group_participant_user (as the 2021 fixtures are).
	AndroidTransitional AndroidGeneration = "transitional"
	// AndroidModern has only the new tables: jid, chat, message,
	// message_media, message_system*, group_participant_user,
	// group_past_participant_user, and jid_map for people addressed by
	// LID.
	AndroidModern AndroidGeneration = "modern"
)

// Codes the writers use, written from the research spec (§3.4, §3.5,
// §4.1), independently of the readers' tables.
var (
	androidTypeCodes = map[string]int{
		"text": 0, "image": 1, "audio": 2, "video": 3, "contact": 4, "location": 5,
		"document": 9, "gif": 13, "deleted": 15, "sticker": 20,
	}
	androidActionCodes = map[string]int{
		"subject": 1, "icon": 6, "created": 11, "added": 12, "left": 13, "removed": 14,
		"admin-promoted": 15, "admin-demoted": 16, "joined-by-link": 20, "link-reset": 21,
		"description": 27, "joined-by-invite-card": 52,
	}
	// Legacy files write the older "left" code.
	androidLegacyActionCodes = map[string]int{
		"subject": 1, "icon": 6, "created": 11, "added": 12, "left": 5, "removed": 14,
		"admin-promoted": 15, "admin-demoted": 16, "joined-by-link": 20, "link-reset": 21,
		"description": 27, "joined-by-invite-card": 52,
	}
)

// Android jid.type values seen in real files (spec §2).
const (
	jidTypePerson    = 0
	jidTypeGroup     = 1
	jidTypeBroadcast = 5
	jidTypeStatusMe  = 11
	jidTypeDevice    = 17
	jidTypeLID       = 18
)

// WhatsAppAndroid is the set of files an Android phone's WhatsApp keeps,
// as WriteWhatsAppAndroid wrote them.
type WhatsAppAndroid struct {
	Msgstore string // databases/msgstore.db
	WADB     string // databases/wa.db
	Prefs    string // shared_prefs/com.whatsapp_preferences_light.xml
}

// WriteWhatsAppAndroid writes the scenario as an Android phone keeps it
// under dir: dir/databases/msgstore.db in the given generation,
// dir/databases/wa.db and dir/shared_prefs/com.whatsapp_preferences_light.xml.
func WriteWhatsAppAndroid(ctx context.Context, dir string, s *Scenario, gen AndroidGeneration) (WhatsAppAndroid, error) {
	out := WhatsAppAndroid{
		Msgstore: filepath.Join(dir, "databases", "msgstore.db"),
		WADB:     filepath.Join(dir, "databases", "wa.db"),
		Prefs:    filepath.Join(dir, "shared_prefs", "com.whatsapp_preferences_light.xml"),
	}
	if err := WriteMsgstore(ctx, out.Msgstore, s, gen); err != nil {
		return out, err
	}
	if err := WriteWADB(ctx, out.WADB, s); err != nil {
		return out, err
	}
	if err := WriteAndroidPrefs(out.Prefs, s); err != nil {
		return out, err
	}
	return out, nil
}

func createDB(ctx context.Context, path string) (*sql.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	u := url.URL{Path: filepath.ToSlash(path)}
	db, err := sql.Open("sqlite", "file:"+u.EscapedPath()+"?_pragma=journal_mode(DELETE)&_pragma=synchronous(OFF)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func execAll(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, stmts string) error {
	for _, q := range strings.Split(stmts, ";\n") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", strings.TrimSpace(q), err)
		}
	}
	return nil
}

// Table definitions, with the columns of the real schemas that matter
// (spec §3.1, §4.1, §4.2) and a few that do not, as real files have.
const (
	ddlProps = `CREATE TABLE props (_id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, value TEXT);
`
	ddlLegacy = `CREATE TABLE messages (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT NOT NULL, key_from_me INTEGER,
	key_id TEXT NOT NULL, status INTEGER, needs_push INTEGER, data TEXT, timestamp INTEGER, media_url TEXT, media_mime_type TEXT,
	media_wa_type TEXT, media_size INTEGER, media_name TEXT, media_caption TEXT, media_hash TEXT, media_duration INTEGER,
	origin INTEGER, latitude REAL, longitude REAL, thumb_image TEXT, remote_resource TEXT, received_timestamp INTEGER,
	send_timestamp INTEGER, receipt_server_timestamp INTEGER, receipt_device_timestamp INTEGER, read_device_timestamp INTEGER,
	played_device_timestamp INTEGER, raw_data BLOB, recipient_count INTEGER, participant_hash TEXT, starred INTEGER,
	quoted_row_id INTEGER, mentioned_jids TEXT, multicast_id TEXT, edit_version INTEGER, media_enc_hash TEXT,
	payment_transaction_id TEXT, forwarded INTEGER, preview_type INTEGER, send_count INTEGER, lookup_tables INTEGER,
	future_message_type INTEGER);
CREATE UNIQUE INDEX messages_key_index ON messages (key_remote_jid, key_from_me, key_id);
CREATE TABLE chat_list (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT UNIQUE, message_table_id INTEGER,
	subject TEXT, creation INTEGER, last_read_message_table_id INTEGER, archived INTEGER, sort_timestamp INTEGER);
CREATE TABLE group_participants (_id INTEGER PRIMARY KEY AUTOINCREMENT, gjid TEXT NOT NULL, jid TEXT NOT NULL,
	admin INTEGER, pending INTEGER, sent_sender_key INTEGER);
CREATE UNIQUE INDEX group_participants_index ON group_participants (gjid, jid);
CREATE TABLE group_participants_history (_id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp DATETIME NOT NULL,
	gjid TEXT NOT NULL, jid TEXT NOT NULL, action INTEGER NOT NULL, old_phash TEXT NOT NULL, new_phash TEXT NOT NULL);
CREATE TABLE messages_links (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT, message_row_id INTEGER, link_index INTEGER);
`
	ddlModern = `CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL, agent INTEGER,
	device INTEGER, type INTEGER, raw_string TEXT);
CREATE UNIQUE INDEX jid_raw_string_index ON jid (raw_string);
CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, hidden INTEGER, subject TEXT,
	created_timestamp INTEGER, display_message_row_id INTEGER, last_message_row_id INTEGER, archived INTEGER,
	sort_timestamp INTEGER, ephemeral_expiration INTEGER, group_type INTEGER NOT NULL DEFAULT 0, participation_status INTEGER,
	account_jid_row_id INTEGER, group_member_count INTEGER);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL, from_me INTEGER NOT NULL,
	key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER, broadcast INTEGER, recipient_count INTEGER,
	participant_hash TEXT, origination_flags INTEGER, origin INTEGER, timestamp INTEGER, received_timestamp INTEGER,
	receipt_server_timestamp INTEGER, message_type INTEGER, text_data TEXT, starred INTEGER, lookup_tables INTEGER,
	sort_id INTEGER NOT NULL DEFAULT 0, message_add_on_flags INTEGER, view_mode INTEGER, translated_text TEXT);
CREATE UNIQUE INDEX message_key_index ON message (chat_row_id, from_me, key_id, sender_jid_row_id);
CREATE INDEX message_sort_id_index ON message (sort_id);
CREATE TABLE message_media (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER, autotransfer_retry_enabled INTEGER,
	multicast_id TEXT, media_job_uuid TEXT, transferred INTEGER, transcoded INTEGER, file_path TEXT, file_size INTEGER,
	suspicious_content INTEGER, trim_from INTEGER, trim_to INTEGER, face_x INTEGER, face_y INTEGER, media_key BLOB,
	media_key_timestamp INTEGER, width INTEGER, height INTEGER, has_streaming_sidecar INTEGER, gif_attribution INTEGER,
	thumbnail_height_width_ratio REAL, direct_path TEXT, first_scan_sidecar BLOB, first_scan_length INTEGER, message_url TEXT,
	mime_type TEXT, file_length INTEGER, media_name TEXT, file_hash TEXT, media_duration INTEGER, page_count INTEGER,
	enc_file_hash TEXT, partial_media_hash TEXT, partial_media_enc_hash TEXT, is_animated_sticker INTEGER,
	original_file_hash TEXT, mute_video INTEGER DEFAULT 0, media_caption TEXT);
CREATE TABLE message_forwarded (message_row_id INTEGER PRIMARY KEY, forward_score INTEGER, forward_origin INTEGER);
CREATE TABLE message_details (message_row_id INTEGER PRIMARY KEY, author_device_jid INTEGER);
CREATE TABLE message_text (message_row_id INTEGER PRIMARY KEY, description TEXT, page_title TEXT, url TEXT,
	font_style INTEGER, text_color INTEGER, background_color INTEGER, preview_type INTEGER,
	invite_link_group_type INTEGER NOT NULL DEFAULT 0);
CREATE TABLE message_group_invite (message_row_id INTEGER PRIMARY KEY, group_jid_row_id INTEGER NOT NULL,
	admin_jid_row_id INTEGER NOT NULL, group_name TEXT, invite_code TEXT, expiration INTEGER, invite_time INTEGER, expired INTEGER);
CREATE TABLE message_system (message_row_id INTEGER PRIMARY KEY, action_type INTEGER NOT NULL);
CREATE TABLE message_system_group (message_row_id INTEGER PRIMARY KEY, is_me_joined INTEGER);
CREATE TABLE message_system_value_change (message_row_id INTEGER PRIMARY KEY, old_data TEXT);
CREATE TABLE message_system_chat_participant (message_row_id INTEGER, user_jid_row_id INTEGER);
CREATE TABLE message_system_number_change (message_row_id INTEGER PRIMARY KEY, old_jid_row_id INTEGER, new_jid_row_id INTEGER);
CREATE TABLE message_system_photo_change (message_row_id INTEGER PRIMARY KEY, new_photo_id TEXT, old_photo BLOB, new_photo BLOB);
CREATE TABLE group_participant_user (_id INTEGER PRIMARY KEY AUTOINCREMENT, group_jid_row_id INTEGER NOT NULL,
	user_jid_row_id INTEGER NOT NULL, rank INTEGER, pending INTEGER, add_timestamp INTEGER, label TEXT, join_method INTEGER);
CREATE UNIQUE INDEX group_participant_user_index ON group_participant_user (group_jid_row_id, user_jid_row_id);
CREATE TABLE group_past_participant_user (_id INTEGER PRIMARY KEY AUTOINCREMENT, group_jid_row_id INTEGER NOT NULL,
	user_jid_row_id INTEGER NOT NULL, is_leave INTEGER NOT NULL, timestamp INTEGER);
CREATE TABLE group_notification_version (group_jid_row_id INTEGER PRIMARY KEY, subject_timestamp INTEGER NOT NULL);
CREATE TABLE receipt_user (_id INTEGER PRIMARY KEY AUTOINCREMENT, message_row_id INTEGER NOT NULL,
	receipt_user_jid_row_id INTEGER NOT NULL, receipt_timestamp INTEGER, read_timestamp INTEGER, played_timestamp INTEGER);
`
	ddlLID = `CREATE TABLE jid_map (lid_row_id INTEGER PRIMARY KEY NOT NULL, jid_row_id INTEGER NOT NULL, sort_id INTEGER);
CREATE TABLE lid_display_name (lid_row_id INTEGER PRIMARY KEY NOT NULL, display_name TEXT NOT NULL, username TEXT);
`
)

// ms is a time as msgstore keeps it: milliseconds since the Unix epoch.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// FileHash is how WhatsApp writes a SHA-256 (file_hash, media_hash,
// ZVCARDNAME): standard base64 of the 32 bytes.
func FileHash(hexSHA string) (string, error) {
	b, err := hex.DecodeString(hexSHA)
	if err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("media hash %q is not hex SHA-256", hexSHA)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// encHash stands for the SHA-256 of the encrypted blob: derived from the
// file's hash so that it is stable, and different from it.
func encHash(hexSHA string) string {
	h := sha256.Sum256([]byte("enc:" + hexSHA))
	return base64.StdEncoding.EncodeToString(h[:])
}

func mediaKey(hexSHA string) []byte {
	h := sha256.Sum256([]byte("key:" + hexSHA))
	return h[:]
}

// androidItem is one message or event in the order the writers give them
// row ids: by time across all chats, stably.
type androidItem struct {
	chat int // index in Scenario.Chats
	timelineItem
}

func androidTimeline(s *Scenario) []androidItem {
	var all []androidItem
	for ci := range s.Chats {
		for _, it := range timeline(&s.Chats[ci]) {
			all = append(all, androidItem{ci, it})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].time().Before(all[j].time()) })
	return all
}

// WriteMsgstore writes the scenario as an Android msgstore.db of the
// given generation at path (replacing any file there).
func WriteMsgstore(ctx context.Context, path string, s *Scenario, gen AndroidGeneration) error {
	if err := s.Check(); err != nil {
		return err
	}
	db, err := createDB(ctx, path)
	if err != nil {
		return fmt.Errorf("msgstore %s: %w", path, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := &msgstoreWriter{ctx: ctx, tx: tx, s: s, gen: gen, jids: map[string]int64{}}
	switch gen {
	case AndroidLegacy:
		err = w.legacy()
	case AndroidTransitional:
		err = w.transitional()
	case AndroidModern:
		err = w.modern()
	default:
		err = fmt.Errorf("unknown generation %q", gen)
	}
	if err != nil {
		return fmt.Errorf("msgstore %s (%s): %w", path, gen, err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return db.Close()
}

type msgstoreWriter struct {
	ctx  context.Context
	tx   *sql.Tx
	s    *Scenario
	gen  AndroidGeneration
	jids map[string]int64 // raw_string → jid._id
}

func (w *msgstoreWriter) exec(q string, args ...any) (sql.Result, error) {
	return w.tx.ExecContext(w.ctx, q, args...)
}

// jid returns the jid row of raw, adding it.
func (w *msgstoreWriter) jid(raw string) (int64, error) {
	if id, ok := w.jids[raw]; ok {
		return id, nil
	}
	user, server, typ := "", raw, jidTypeStatusMe
	if i := strings.LastIndexByte(raw, '@'); i >= 0 {
		user, server = raw[:i], raw[i+1:]
		switch server {
		case "g.us":
			typ = jidTypeGroup
		case "broadcast":
			typ = jidTypeBroadcast
		case "lid":
			typ = jidTypeLID
		default:
			typ = jidTypePerson
			if strings.ContainsAny(user, ".:") {
				typ = jidTypeDevice
			}
		}
	}
	var agent, device any
	if typ == jidTypeDevice {
		u, d, _ := strings.Cut(user, ":")
		u, a, _ := strings.Cut(u, ".")
		user, agent, device = u, atoiOr(a), atoiOr(d)
	}
	res, err := w.exec(`INSERT INTO jid (user, server, agent, device, type, raw_string) VALUES (?, ?, ?, ?, ?, ?)`,
		user, server, agent, device, typ, raw)
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	w.jids[raw] = id
	return id, nil
}

func atoiOr(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// addressed is the JID the database uses for a person in a group: the
// LID when the person has one (modern files only).
func (w *msgstoreWriter) addressed(j string) string {
	if w.gen != AndroidModern || j == "" {
		return j
	}
	if p, ok := w.s.Person(j); ok && p.LID != "" {
		return p.LID
	}
	return j
}

// memberJID is the raw JID a member row uses: status_me for the owner.
func (w *msgstoreWriter) memberJID(j string) string {
	if j == w.s.Owner.JID {
		return "status_me"
	}
	return w.addressed(j)
}

func (w *msgstoreWriter) props() error {
	if err := execAll(w.ctx, w.tx, ddlProps); err != nil {
		return err
	}
	kv := [][2]string{{"msgtore_db_schema_version", "synthetic"}}
	if w.gen != AndroidLegacy {
		kv = append(kv, [][2]string{{"chat_ready", "2"}, {"jid_ready", "1"}, {"participant_user_ready", "2"}}...)
	}
	if w.gen == AndroidModern {
		kv = append(kv, [2]string{"media_message_ready", "2"})
	}
	for _, p := range kv {
		if _, err := w.exec(`INSERT INTO props (key, value) VALUES (?, ?)`, p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

func (w *msgstoreWriter) modern() error {
	if err := execAll(w.ctx, w.tx, ddlModern+ddlLID); err != nil {
		return err
	}
	if err := w.props(); err != nil {
		return err
	}
	if _, err := w.jid("status_me"); err != nil {
		return err
	}
	// People, their LIDs and the LID→phone map.
	for _, p := range append([]Person{w.s.Owner}, w.s.People...) {
		if _, err := w.jid(p.JID); err != nil {
			return err
		}
		if p.LID == "" || p.JID == w.s.Owner.JID {
			continue
		}
		lid, err := w.jid(p.LID)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p.JID, "@s.whatsapp.net") {
			if _, err := w.exec(`INSERT INTO jid_map (lid_row_id, jid_row_id, sort_id) VALUES (?, ?, ?)`, lid, w.jids[p.JID], lid); err != nil {
				return err
			}
		}
		if p.PushName != "" {
			if _, err := w.exec(`INSERT INTO lid_display_name (lid_row_id, display_name) VALUES (?, ?)`, lid, p.PushName); err != nil {
				return err
			}
		}
	}
	chats, err := w.chats()
	if err != nil {
		return err
	}
	if err := w.participants(); err != nil {
		return err
	}
	// The sentinel row real files start with.
	if _, err := w.exec(`INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, status, timestamp, message_type)
		VALUES (1, -1, 0, '-1', 0, -1, 0, -1)`); err != nil {
		return err
	}
	ownerDevice, err := w.jid(deviceJID(w.s.Owner.JID))
	if err != nil {
		return err
	}
	ins, err := w.tx.PrepareContext(w.ctx, `INSERT INTO message (chat_row_id, from_me, key_id, sender_jid_row_id, status,
		timestamp, received_timestamp, message_type, text_data, sort_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	media, err := w.tx.PrepareContext(w.ctx, `INSERT INTO message_media (message_row_id, chat_row_id, transferred, file_path,
		file_size, media_key, mime_type, file_length, media_name, file_hash, enc_file_hash, media_caption, message_url, direct_path)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer media.Close()
	details, err := w.tx.PrepareContext(w.ctx, `INSERT INTO message_details (message_row_id, author_device_jid) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer details.Close()
	for i, it := range androidTimeline(w.s) {
		if i%4096 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		c := &w.s.Chats[it.chat]
		chatRow := chats[it.chat]
		if m := it.Msg; m != nil {
			code, ok := androidTypeCodes[m.Type]
			if !ok {
				return fmt.Errorf("chat %s, message %s: no Android code for type %q", c.JID, m.ID, m.Type)
			}
			var sender int64
			if !m.FromMe && c.Kind == Group {
				if sender, err = w.jid(w.addressed(m.Sender)); err != nil {
					return err
				}
			}
			status := 0
			if m.FromMe {
				status = 13
			}
			var text any
			if m.Text != "" {
				text = m.Text
			}
			res, err := ins.ExecContext(w.ctx, chatRow, m.FromMe, m.ID, sender, status, ms(m.Time), ms(m.Time.Add(time.Second)), code, text, i+2)
			if err != nil {
				return fmt.Errorf("chat %s, message %s: %w", c.JID, m.ID, err)
			}
			row, _ := res.LastInsertId()
			if m.FromMe {
				if _, err := details.ExecContext(w.ctx, row, ownerDevice); err != nil {
					return err
				}
			}
			if m.Media != nil || m.Caption != "" {
				md := m.Media
				if md == nil {
					md = &Media{}
				}
				var fh, eh, key, cdn, direct any
				if md.SHA256 != "" {
					b64, err := FileHash(md.SHA256)
					if err != nil {
						return err
					}
					fh, eh, key = b64, encHash(md.SHA256), mediaKey(md.SHA256)
					cdn = "https://mmg.whatsapp.net/v/t62.7118-24/" + md.SHA256[:16] + ".enc"
					direct = "/v/t62.7118-24/" + md.SHA256[:16] + ".enc"
				}
				transferred := 0
				if md.Path != "" {
					transferred = 1
				}
				if _, err := media.ExecContext(w.ctx, row, chatRow, transferred, nullStr(md.Path), md.Size, key, nullStr(md.MIME),
					md.Size, nullStr(md.Name), fh, eh, nullStr(m.Caption), cdn, direct); err != nil {
					return err
				}
			}
			if m.Forwarded {
				if _, err := w.exec(`INSERT INTO message_forwarded (message_row_id, forward_score) VALUES (?, 1)`, row); err != nil {
					return err
				}
			}
			continue
		}
		e := it.Evt
		code, ok := androidActionCodes[e.Action]
		if !ok {
			return fmt.Errorf("chat %s, event %s: no Android code for action %q", c.JID, e.ID, e.Action)
		}
		fromMe := e.Actor == w.s.Owner.JID
		var sender int64
		if !fromMe && e.Actor != "" {
			if sender, err = w.jid(w.addressed(e.Actor)); err != nil {
				return err
			}
		}
		var text any
		if e.New != "" {
			text = e.New
		}
		res, err := ins.ExecContext(w.ctx, chatRow, fromMe, e.ID, sender, 6, ms(e.Time), ms(e.Time), 7, text, i+2)
		if err != nil {
			return fmt.Errorf("chat %s, event %s: %w", c.JID, e.ID, err)
		}
		row, _ := res.LastInsertId()
		if _, err := w.exec(`INSERT INTO message_system (message_row_id, action_type) VALUES (?, ?)`, row, code); err != nil {
			return err
		}
		for _, t := range e.Targets {
			tj, err := w.jid(w.memberJID(t))
			if err != nil {
				return err
			}
			if _, err := w.exec(`INSERT INTO message_system_chat_participant (message_row_id, user_jid_row_id) VALUES (?, ?)`, row, tj); err != nil {
				return err
			}
		}
		if e.Old != "" {
			if _, err := w.exec(`INSERT INTO message_system_value_change (message_row_id, old_data) VALUES (?, ?)`, row, e.Old); err != nil {
				return err
			}
		}
	}
	return nil
}

// deviceJID is the primary-device form of a person JID.
func deviceJID(j string) string {
	u, srv, ok := strings.Cut(j, "@")
	if !ok {
		return j
	}
	return u + ".0:0@" + srv
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// chats writes the chat table; it returns the chat row ids by scenario
// index.
func (w *msgstoreWriter) chats() ([]int64, error) {
	out := make([]int64, len(w.s.Chats))
	for i, c := range w.s.Chats {
		jr, err := w.jid(c.JID)
		if err != nil {
			return nil, err
		}
		var subject any
		if c.Kind == Group {
			subject = c.Subject
		}
		status := any(nil)
		if c.Kind == Group {
			status = 2
			for _, m := range c.Members {
				if m.JID == w.s.Owner.JID {
					switch {
					case m.Past:
						status = 1
					case m.Role == RoleCreator:
						status = 4
					case m.Role == RoleAdmin:
						status = 3
					}
				}
			}
		} else {
			status = 0
		}
		res, err := w.exec(`INSERT INTO chat (jid_row_id, hidden, subject, created_timestamp, archived, sort_timestamp, participation_status)
			VALUES (?, 0, ?, ?, 0, ?, ?)`, jr, subject, ms(c.Created), ms(c.Created), status)
		if err != nil {
			return nil, fmt.Errorf("chat %s: %w", c.JID, err)
		}
		out[i], _ = res.LastInsertId()
	}
	return out, nil
}

// participants writes group_participant_user and, in modern files,
// group_past_participant_user.
func (w *msgstoreWriter) participants() error {
	for _, c := range w.s.Chats {
		if c.Kind != Group {
			continue
		}
		g, err := w.jid(c.JID)
		if err != nil {
			return err
		}
		for _, m := range c.Members {
			u, err := w.jid(w.memberJID(m.JID))
			if err != nil {
				return err
			}
			if m.Past {
				if w.gen != AndroidModern {
					continue // older files keep no past members
				}
				if _, err := w.exec(`INSERT INTO group_past_participant_user (group_jid_row_id, user_jid_row_id, is_leave, timestamp)
					VALUES (?, ?, ?, ?)`, g, u, !m.Removed, ms(m.Left)); err != nil {
					return err
				}
				continue
			}
			if _, err := w.exec(`INSERT INTO group_participant_user (group_jid_row_id, user_jid_row_id, rank, pending) VALUES (?, ?, ?, ?)`,
				g, u, rank(m.Role), m.Pending); err != nil {
				return fmt.Errorf("group %s member %s: %w", c.JID, m.JID, err)
			}
		}
	}
	return nil
}

func rank(role string) int {
	switch role {
	case RoleCreator:
		return 2
	case RoleAdmin:
		return 1
	}
	return 0
}

func (w *msgstoreWriter) legacy() error {
	if err := execAll(w.ctx, w.tx, ddlLegacy); err != nil {
		return err
	}
	if err := w.props(); err != nil {
		return err
	}
	if err := w.chatList(); err != nil {
		return err
	}
	for _, c := range w.s.Chats {
		if c.Kind != Group {
			continue
		}
		for _, m := range c.Members {
			if m.Past {
				continue
			}
			j := m.JID
			if j == w.s.Owner.JID {
				j = "" // the owner's row (spec §4.2)
			}
			if _, err := w.exec(`INSERT INTO group_participants (gjid, jid, admin, pending, sent_sender_key) VALUES (?, ?, ?, ?, 0)`,
				c.JID, j, rank(m.Role), m.Pending); err != nil {
				return fmt.Errorf("group %s member %s: %w", c.JID, m.JID, err)
			}
		}
	}
	return w.legacyMessages()
}

func (w *msgstoreWriter) chatList() error {
	for _, c := range w.s.Chats {
		var subject any
		if c.Kind == Group {
			subject = c.Subject
		}
		if _, err := w.exec(`INSERT INTO chat_list (key_remote_jid, subject, creation, archived, sort_timestamp) VALUES (?, ?, ?, 0, ?)`,
			c.JID, subject, ms(c.Created), ms(c.Created)); err != nil {
			return fmt.Errorf("chat %s: %w", c.JID, err)
		}
	}
	return nil
}

func (w *msgstoreWriter) transitional() error {
	if err := execAll(w.ctx, w.tx, ddlLegacy+ddlModern); err != nil {
		return err
	}
	if err := w.props(); err != nil {
		return err
	}
	if _, err := w.jid("status_me"); err != nil {
		return err
	}
	for _, p := range append([]Person{w.s.Owner}, w.s.People...) {
		if _, err := w.jid(p.JID); err != nil {
			return err
		}
	}
	if _, err := w.chats(); err != nil {
		return err
	}
	if err := w.chatList(); err != nil {
		return err
	}
	if err := w.participants(); err != nil {
		return err
	}
	// The new message table holds only its sentinel.
	if _, err := w.exec(`INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, status, timestamp, message_type)
		VALUES (1, -1, 0, '-1', 0, -1, 0, -1)`); err != nil {
		return err
	}
	return w.legacyMessages()
}

// legacyMessages writes the messages table: its sentinel, the messages,
// and the system messages (status 6, media_wa_type 0, action code in
// media_size, details in remote_resource, data and thumb_image).
func (w *msgstoreWriter) legacyMessages() error {
	if _, err := w.exec(`INSERT INTO messages (_id, key_remote_jid, key_from_me, key_id, status, media_wa_type, media_size, timestamp)
		VALUES (1, '-1', 0, '-1', -1, '-1', -1, 0)`); err != nil {
		return err
	}
	ins, err := w.tx.PrepareContext(w.ctx, `INSERT INTO messages (key_remote_jid, key_from_me, key_id, status, needs_push, data,
		timestamp, media_url, media_mime_type, media_wa_type, media_size, media_name, media_caption, media_hash, thumb_image,
		remote_resource, received_timestamp, media_enc_hash, forwarded) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for i, it := range androidTimeline(w.s) {
		if i%4096 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		c := &w.s.Chats[it.chat]
		if m := it.Msg; m != nil {
			code, ok := androidTypeCodes[m.Type]
			if !ok {
				return fmt.Errorf("chat %s, message %s: no Android code for type %q", c.JID, m.ID, m.Type)
			}
			var remote any
			if !m.FromMe && c.Kind == Group {
				remote = m.Sender
			}
			status := 0
			if m.FromMe {
				status = 13
			}
			var data, cdn, mimeT, name, hash, enc, thumb any
			var size int64
			if m.Text != "" {
				data = m.Text
			}
			if md := m.Media; md != nil {
				if md.SHA256 != "" {
					b64, err := FileHash(md.SHA256)
					if err != nil {
						return err
					}
					hash, enc = b64, encHash(md.SHA256)
					cdn = "https://mmg.whatsapp.net/d/f/" + md.SHA256[:16] + ".enc"
				}
				mimeT, name, size = nullStr(md.MIME), nullStr(md.Name), md.Size
				if md.Path != "" {
					thumb = mediaDataBlob(md.Path)
				}
			}
			if _, err := ins.ExecContext(w.ctx, c.JID, m.FromMe, m.ID, status, data, ms(m.Time), cdn, mimeT, fmt.Sprint(code), size,
				name, nullStr(m.Caption), hash, thumb, remote, ms(m.Time.Add(time.Second)), enc, m.Forwarded); err != nil {
				return fmt.Errorf("chat %s, message %s: %w", c.JID, m.ID, err)
			}
			continue
		}
		e := it.Evt
		code, ok := androidLegacyActionCodes[e.Action]
		if !ok {
			return fmt.Errorf("chat %s, event %s: no Android code for action %q", c.JID, e.ID, e.Action)
		}
		fromMe := e.Actor == w.s.Owner.JID
		var remote, data, thumb any
		if !fromMe && e.Actor != "" {
			remote = e.Actor
		}
		if e.New != "" {
			data = e.New
		}
		switch {
		case e.Action == "subject" && e.Old != "":
			thumb = javaString(e.Old)
		case code == 4 || code == 5:
			// The older forms name the person in remote_resource.
		case len(e.Targets) > 0:
			thumb = javaStringList(e.Targets)
		}
		if _, err := ins.ExecContext(w.ctx, c.JID, fromMe, e.ID, 6, data, ms(e.Time), nil, nil, "0", code, nil, nil, nil, thumb,
			remote, ms(e.Time), nil, false); err != nil {
			return fmt.Errorf("chat %s, event %s: %w", c.JID, e.ID, err)
		}
	}
	return nil
}

// Java serialization, just enough to carry what WhatsApp's legacy
// thumb_image column carries (spec §4.1, §4.3): a serialized
// com.whatsapp.MediaData whose java.io.File field holds the media path, a
// serialized String (an old subject) or a list of JID strings.
const (
	javaMagic      = "\xac\xed\x00\x05"
	tcObject       = 0x73
	tcClassDesc    = 0x72
	tcString       = 0x74
	tcEndBlock     = 0x78
	tcNull         = 0x70
	tcBlockData    = 0x77
	scSerializable = 0x02
	scWriteMethod  = 0x01
)

func javaUTF(b *bytes.Buffer, s string) {
	binary.Write(b, binary.BigEndian, uint16(len(s)))
	b.WriteString(s)
}

func javaClassDesc(b *bytes.Buffer, name string, flags byte, fields [][2]string) {
	b.WriteByte(tcClassDesc)
	javaUTF(b, name)
	b.Write(make([]byte, 8)) // serialVersionUID
	b.WriteByte(flags)
	binary.Write(b, binary.BigEndian, uint16(len(fields)))
	for _, f := range fields {
		// f[0] is the type code and name ("Jsize"), f[1] the class
		// signature of an object field ("" for a primitive).
		b.WriteByte(f[0][0])
		javaUTF(b, f[0][1:])
		if f[1] != "" {
			b.WriteByte(tcString)
			javaUTF(b, f[1])
		}
	}
	b.WriteByte(tcEndBlock)
	b.WriteByte(tcNull) // no superclass
}

// mediaDataBlob is a serialized com.whatsapp.MediaData holding path in
// its java.io.File field, as legacy thumb_image does.
func mediaDataBlob(path string) []byte {
	var b bytes.Buffer
	b.WriteString(javaMagic)
	b.WriteByte(tcObject)
	javaClassDesc(&b, "com.whatsapp.MediaData", scSerializable, [][2]string{
		{"JfileSize", ""}, {"Ztransferred", ""}, {"Lfile", "Ljava/io/File;"},
	})
	binary.Write(&b, binary.BigEndian, int64(len(path)*1000)) // fileSize
	b.WriteByte(1)                                            // transferred
	b.WriteByte(tcObject)
	javaClassDesc(&b, "java.io.File", scSerializable|scWriteMethod, [][2]string{{"Lpath", "Ljava/lang/String;"}})
	b.WriteByte(tcString)
	javaUTF(&b, path)
	// File.writeObject appends the separator character in block data.
	b.Write([]byte{tcBlockData, 0x02, 0x00, '/', tcEndBlock})
	return b.Bytes()
}

// javaString is a serialized String.
func javaString(s string) []byte {
	var b bytes.Buffer
	b.WriteString(javaMagic)
	b.WriteByte(tcString)
	javaUTF(&b, s)
	return b.Bytes()
}

// javaStringList is a serialized java.util.ArrayList of strings.
func javaStringList(items []string) []byte {
	var b bytes.Buffer
	b.WriteString(javaMagic)
	b.WriteByte(tcObject)
	javaClassDesc(&b, "java.util.ArrayList", scSerializable|scWriteMethod, [][2]string{{"Isize", ""}})
	binary.Write(&b, binary.BigEndian, int32(len(items)))
	b.Write([]byte{tcBlockData, 0x04})
	binary.Write(&b, binary.BigEndian, int32(len(items)))
	for _, it := range items {
		b.WriteByte(tcString)
		javaUTF(&b, it)
	}
	b.WriteByte(tcEndBlock)
	return b.Bytes()
}

// WriteWADB writes wa.db: one wa_contacts row per person (display_name
// is the address-book name, wa_name the push name) and per group (its
// subject), the groups' creators in wa_group_admin_settings and their
// descriptions in wa_group_descriptions.
func WriteWADB(ctx context.Context, path string, s *Scenario) error {
	if err := s.Check(); err != nil {
		return err
	}
	db, err := createDB(ctx, path)
	if err != nil {
		return fmt.Errorf("wa.db %s: %w", path, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := execAll(ctx, tx, `CREATE TABLE wa_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT NOT NULL,
	is_whatsapp_user BOOLEAN NOT NULL, status TEXT, status_timestamp INTEGER, number TEXT, raw_contact_id INTEGER,
	display_name TEXT, phone_type INTEGER, phone_label TEXT, unseen_msg_count INTEGER, photo_ts INTEGER, thumb_ts INTEGER,
	photo_id_timestamp INTEGER, given_name TEXT, family_name TEXT, wa_name TEXT, sort_name TEXT, nickname TEXT,
	company TEXT, title TEXT, status_autodownload_disabled INTEGER, keep_timestamp INTEGER, is_spam_reported INTEGER,
	is_sidelist_synced BOOLEAN DEFAULT 0, is_business_synced BOOLEAN DEFAULT 0, disappearing_mode_duration INTEGER,
	disappearing_mode_timestamp LONG, history_sync_initial_phash TEXT);
CREATE TABLE wa_group_admin_settings (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT UNIQUE, restrict_mode BOOLEAN,
	announcement_group BOOLEAN, no_frequently_forwarded BOOLEAN, ephemeral_duration INTEGER, creator_jid TEXT, in_app_support BOOLEAN);
CREATE TABLE wa_group_descriptions (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT UNIQUE, description TEXT,
	description_id TEXT, description_time INTEGER, description_setter_jid TEXT, description_id_string TEXT);
CREATE TABLE wa_vnames (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT UNIQUE, serial INTEGER, issuer TEXT,
	expires INTEGER, verified_name TEXT);
CREATE TABLE wa_block_list (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT UNIQUE)`); err != nil {
		return fmt.Errorf("wa.db %s: %w", path, err)
	}
	for i, p := range s.People {
		var number, given, family any
		if u, srv, _ := strings.Cut(p.JID, "@"); srv == "s.whatsapp.net" && p.Name != "" {
			number = "+" + u
		}
		if p.Name != "" {
			f, l, _ := strings.Cut(p.Name, " ")
			given, family = f, nullStr(l)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO wa_contacts (jid, is_whatsapp_user, status, number, raw_contact_id, display_name,
			given_name, family_name, wa_name, sort_name) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.JID, "Hey there! I am using WhatsApp.", number, i+1, nullStr(p.Name), given, family, nullStr(p.PushName), nullStr(p.Name)); err != nil {
			return fmt.Errorf("wa.db %s: contact %s: %w", path, p.JID, err)
		}
	}
	for _, c := range s.Chats {
		if c.Kind != Group {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO wa_contacts (jid, is_whatsapp_user, display_name) VALUES (?, 1, ?)`, c.JID, c.Subject); err != nil {
			return err
		}
		if c.Creator != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO wa_group_admin_settings (jid, restrict_mode, announcement_group, creator_jid)
				VALUES (?, 0, 0, ?)`, c.JID, c.Creator); err != nil {
				return err
			}
		}
		if c.Description != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO wa_group_descriptions (jid, description, description_time) VALUES (?, ?, ?)`,
				c.JID, c.Description, ms(c.Created)); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return db.Close()
}

// WriteAndroidPrefs writes shared_prefs/com.whatsapp_preferences_light.xml
// with the owner's registration JID, number, calling code and push name.
func WriteAndroidPrefs(path string, s *Scenario) error {
	user, _, _ := strings.Cut(s.Owner.JID, "@")
	cc := callingCode(user)
	var b strings.Builder
	b.WriteString("<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n")
	str := func(k, v string) {
		if v == "" {
			return
		}
		var e bytes.Buffer
		xmlEscape(&e, v)
		fmt.Fprintf(&b, "    <string name=\"%s\">%s</string>\n", k, e.String())
	}
	str("registration_jid", user)
	str("cc", cc)
	str("ph", strings.TrimPrefix(user, cc))
	str("push_name", s.Owner.PushName)
	str("my_current_status", "Available")
	str("version", s.AppVersion)
	b.WriteString("    <boolean name=\"registration_success\" value=\"true\" />\n")
	b.WriteString("    <int name=\"registration_state\" value=\"3\" />\n")
	b.WriteString("</map>\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func xmlEscape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
}

// callingCode picks the calling code of an E.164 number's digits among
// those of the operation's countries (enough for synthetic owners; the
// readers never rely on cc).
func callingCode(digits string) string {
	for _, cc := range []string{"591", "595", "503", "506", "351", "34", "57", "39", "49", "56", "33", "44", "1"} {
		if strings.HasPrefix(digits, cc) {
			return cc
		}
	}
	if len(digits) > 2 {
		return digits[:2]
	}
	return digits
}
