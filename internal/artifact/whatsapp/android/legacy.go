package android

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/artifact/whatsapp"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// readLegacyMessages reads the legacy messages table (spec §4): messages,
// and system messages (status 6, media_wa_type 0) as events.
func (r *reader) readLegacyMessages() error {
	cols := r.db.Columns(r.ctx, "messages")
	for _, c := range []string{"_id", "key_remote_jid"} {
		if !cols[c] {
			return fmt.Errorf("messages table without %s", c)
		}
	}
	col := func(c string) string { return r.db.Col(r.ctx, "messages", "m", c) }
	q := `SELECT m._id, m.key_remote_jid, ` + strings.Join([]string{col("key_from_me"), col("key_id"), col("status"),
		col("data"), col("timestamp"), col("media_mime_type"), col("media_wa_type"), col("media_size"), col("media_name"),
		col("media_caption"), col("media_hash"), col("remote_resource"), col("forwarded"), col("thumb_image")}, ", ") +
		` FROM messages m WHERE m._id >= ? AND m.key_remote_jid IS NOT '-1' ORDER BY m._id`
	var (
		id                                     int64
		fromMe, status, ts, size, forwarded    sql.NullInt64
		chatV, keyID, data, mime, waType, name any
		capt, hash, remote, thumb              any
	)
	return r.scanFrom("messages", q, func(rows *sql.Rows) (int64, error) {
		if err := rows.Scan(&id, &chatV, &fromMe, &keyID, &status, &data, &ts, &mime, &waType, &size, &name, &capt, &hash,
			&remote, &forwarded, &thumb); err != nil {
			return 0, err
		}
		ref := "messages:" + strconv.FormatInt(id, 10)
		chat := r.bareText(chatV, ref+" key_remote_jid")
		if chat == "" {
			r.p.note("message without a chat, kept under a placeholder chat", "%s", ref)
			chat = "msgstore-chat-unknown"
		}
		me := fromMe.Int64 == 1
		key := r.p.text(keyID, ref+" key_id")
		if r.seen != nil && r.seen[chat+"\x00"+strconv.FormatBool(me)+"\x00"+key] {
			return id, nil // already read from the new message table
		}
		t := r.msTime(ts, ref+" timestamp")
		typ, typOK := whatsapp.Int(waType)
		sender := r.bareText(remote, ref+" remote_resource")
		blob := blobOf(thumb)
		if status.Int64 == 6 && typOK && typ == 0 {
			return id, r.out.event(r.legacyEvent(ref, chat, t, me, sender, size, r.p.text(data, ref+" data"), blob))
		}
		m := store.Message{RowRef: ref, ChatJID: chat, Time: t, FromMe: me, KeyID: key, MediaSize: -1, Forwarded: forwarded.Int64 > 0}
		if typOK {
			n := int(typ)
			m.TypeRaw, m.Type = &n, whatsapp.Decode(whatsapp.AndroidLegacyMessageTypes, n)
			if _, ok := whatsapp.AndroidLegacyMessageTypes[n]; !ok {
				r.p.note("unknown message type code", "%s media_wa_type %d", ref, n)
			}
		} else {
			m.Type = "unknown"
		}
		kind := chatKindOf(chat)
		switch {
		case me:
			m.SenderJID = r.owner
		case kind == store.ChatGroup || kind == store.ChatStatus:
			m.SenderJID = sender
		case kind == store.ChatBroadcast:
			m.SenderJID = sender
		default:
			m.SenderJID = chat
		}
		m.Text = r.p.text(data, ref+" data")
		m.Caption = r.p.text(capt, ref+" media_caption")
		m.MediaMIME = r.p.text(mime, ref+" media_mime_type")
		m.MediaName = r.p.text(name, ref+" media_name")
		m.MediaSHA256 = r.mediaHash(hash, ref+" media_hash")
		m.MediaPath = mediaDataPath(blob)
		if m.MediaSHA256 != "" || m.MediaMIME != "" || m.MediaPath != "" || legacyMediaType(typ) {
			if size.Valid && size.Int64 >= 0 {
				m.MediaSize = size.Int64
			}
		}
		if err := r.out.message(m); err != nil {
			return id, err
		}
		return id, r.links(m)
	})
}

func legacyMediaType(t int64) bool {
	switch t {
	case 1, 2, 3, 9, 13, 20:
		return true
	}
	return false
}

func blobOf(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

// legacyEvent decodes a legacy system message (spec §4.3): the action code
// is in media_size, the actor in remote_resource (none: the owner), the
// affected accounts serialized in thumb_image.
func (r *reader) legacyEvent(ref, chat string, t time.Time, me bool, remote string, code sql.NullInt64, data string, blob []byte) store.Event {
	ev := store.Event{RowRef: ref, ChatJID: chat, Time: t, NewValue: data}
	n := int(code.Int64)
	ev.ActionRaw, ev.Action = &n, whatsapp.Decode(whatsapp.AndroidActions, n)
	if _, ok := whatsapp.AndroidActions[n]; !ok {
		r.p.note("unknown system action code", "%s media_size %d", ref, n)
	}
	who := remote
	if who == "" {
		who = r.owner
	}
	switch n {
	case 4: // older "added": the added person is in remote_resource
		ev.TargetJIDs = []string{who}
	case 5, 13: // left
		ev.ActorJID, ev.TargetJIDs = who, []string{who}
	case 1:
		ev.ActorJID = who
		ev.OldValue = javaString(blob)
	case 6, 10, 11:
		ev.ActorJID = who
	default:
		ev.ActorJID = who
		ev.TargetJIDs = append(ev.TargetJIDs, jidsIn(blob)...)
		if len(ev.TargetJIDs) == 0 && (n == 20 || n == 52) {
			ev.TargetJIDs = []string{who}
		}
	}
	return ev
}

// The media path of a legacy message is in thumb_image: a serialized
// com.whatsapp.MediaData whose java.io.File field is a string record (tag
// 0x74, 2-byte length, modified UTF-8) followed by the block that
// File.writeObject appends: 77 02 00 2F 78 (spec §4.1).
var fileTail = []byte{0x77, 0x02, 0x00, 0x2f, 0x78}

func mediaDataPath(b []byte) string {
	if len(b) < 4 || !bytes.HasPrefix(b, []byte{0xac, 0xed, 0x00, 0x05}) {
		return ""
	}
	for i := 4; i+3 <= len(b); i++ {
		if b[i] != 0x74 {
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+1 : i+3]))
		end := i + 3 + n
		if end+len(fileTail) <= len(b) && bytes.Equal(b[end:end+len(fileTail)], fileTail) {
			return javaUTF(b[i+3 : end])
		}
	}
	// whapa's fallback: the text from the last "Media/" before the block.
	if k := bytes.Index(b, fileTail[:2]); k > 0 {
		if m := bytes.LastIndex(b[:k], []byte("Media/")); m >= 0 {
			s := b[m:k]
			if utf8.Valid(s) && !bytes.ContainsAny(s, "\x00") {
				return string(s)
			}
		}
	}
	return ""
}

// javaString decodes a serialized String (an old subject): the stream
// magic, tag 0x74, length, bytes.
func javaString(b []byte) string {
	if len(b) < 7 || !bytes.HasPrefix(b, []byte{0xac, 0xed, 0x00, 0x05, 0x74}) {
		return ""
	}
	n := int(binary.BigEndian.Uint16(b[5:7]))
	if 7+n > len(b) {
		return ""
	}
	return javaUTF(b[7 : 7+n])
}

// javaUTF decodes Java's modified UTF-8 (NUL as C0 80) into valid UTF-8.
func javaUTF(b []byte) string {
	s := string(bytes.ReplaceAll(b, []byte{0xc0, 0x80}, []byte{0}))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

var jidRE = regexp.MustCompile(`[0-9]{5,20}(?:-[0-9]{6,12})?(?:[.:][0-9]{1,4}){0,2}@(?:s\.whatsapp\.net|lid|c\.us)`)

// jidsIn finds the JIDs serialized in a legacy system message's
// thumb_image, in order, each once.
func jidsIn(b []byte) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range jidRE.FindAll(b, -1) {
		j, ok := phone.BareJID(string(m))
		if !ok || seen[j] {
			continue
		}
		seen[j] = true
		out = append(out, j)
	}
	return out
}
