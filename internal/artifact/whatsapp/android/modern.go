package android

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"vigil/internal/artifact/whatsapp"
	"vigil/internal/store"
)

// readModernMessages reads the message table and its detail tables
// (spec §3.2 Q1–Q5): one store message per row, one store event per
// system row, the links their texts hold.
func (r *reader) readModernMessages() error {
	cols := r.db.Columns(r.ctx, "message")
	for _, c := range []string{"_id", "chat_row_id"} {
		if !cols[c] {
			return fmt.Errorf("message table without %s", c)
		}
	}
	col := func(table, alias, c string) string { return r.db.Col(r.ctx, table, alias, c) }
	sel := []string{"m._id", "m.chat_row_id", col("message", "m", "from_me"), col("message", "m", "key_id"),
		col("message", "m", "sender_jid_row_id"), col("message", "m", "timestamp"), col("message", "m", "message_type"),
		col("message", "m", "text_data"), col("message", "m", "origination_flags")}
	from := " FROM message m"
	if r.db.HasTable("message_media") && r.db.HasColumn(r.ctx, "message_media", "message_row_id") {
		sel = append(sel, "mm.message_row_id IS NOT NULL", col("message_media", "mm", "file_path"), col("message_media", "mm", "mime_type"),
			col("message_media", "mm", "file_hash"), col("message_media", "mm", "file_size"), col("message_media", "mm", "file_length"),
			col("message_media", "mm", "media_name"), col("message_media", "mm", "media_caption"))
		from += " LEFT JOIN message_media mm ON mm.message_row_id = m._id"
	} else {
		sel = append(sel, "0", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL")
	}
	if r.db.HasTable("message_forwarded") && r.db.HasColumn(r.ctx, "message_forwarded", "message_row_id") {
		sel = append(sel, "f.message_row_id IS NOT NULL")
		from += " LEFT JOIN message_forwarded f ON f.message_row_id = m._id"
	} else {
		sel = append(sel, "0")
	}
	system := r.db.HasTable("message_system") && r.db.HasColumn(r.ctx, "message_system", "message_row_id") &&
		r.db.HasColumn(r.ctx, "message_system", "action_type")
	if system {
		sel = append(sel, "s.message_row_id IS NOT NULL", "s.action_type")
		from += " LEFT JOIN message_system s ON s.message_row_id = m._id"
	} else {
		sel = append(sel, "0", "NULL")
	}
	if r.db.HasTable("message_system_value_change") && r.db.HasColumn(r.ctx, "message_system_value_change", "message_row_id") {
		sel = append(sel, col("message_system_value_change", "vc", "old_data"))
		from += " LEFT JOIN message_system_value_change vc ON vc.message_row_id = m._id"
	} else {
		sel = append(sel, "NULL")
	}
	var targets map[int64][]int64
	if err := r.step("message_system_chat_participant", func() (err error) { targets, err = r.systemTargets(); return err }); err != nil {
		return err
	}
	// The sentinel row (spec §0 rule 5) is the only one skipped.
	where := " WHERE m._id >= ?"
	if cols["key_id"] {
		where += ` AND NOT (m.chat_row_id = -1 AND m.key_id = '-1')`
	}
	var (
		id                                               int64
		chatRow, fromMe, sender, ts, typ, flags          sql.NullInt64
		hasMedia, size, length, forwarded, isSys         sql.NullInt64
		action                                           sql.NullInt64
		keyID, text, fpath, mime, fhash, name, capt, old any
	)
	err := r.scanFrom("message", "SELECT "+strings.Join(sel, ", ")+from+where+" ORDER BY m._id", func(rows *sql.Rows) (int64, error) {
		if err := rows.Scan(&id, &chatRow, &fromMe, &keyID, &sender, &ts, &typ, &text, &flags,
			&hasMedia, &fpath, &mime, &fhash, &size, &length, &name, &capt, &forwarded, &isSys, &action, &old); err != nil {
			return 0, err
		}
		ref := "message:" + strconv.FormatInt(id, 10)
		chat := r.chatJIDByRow(chatRow.Int64)
		kind := r.chats[chatRow.Int64].kind
		key := r.p.text(keyID, ref+" key_id")
		t := r.msTime(ts, ref+" timestamp")
		me := fromMe.Int64 == 1
		if r.seen != nil {
			r.seen[chat+"\x00"+strconv.FormatBool(me)+"\x00"+key] = true
		}
		body := r.p.text(text, ref+" text_data")
		if isSys.Int64 == 1 || typ.Valid && typ.Int64 == 7 {
			ev := store.Event{RowRef: ref, ChatJID: chat, Time: t, ActorJID: r.jidOf(sender), NewValue: body,
				OldValue: r.p.text(old, ref+" old_data")}
			if ev.ActorJID == "" && me {
				ev.ActorJID = r.owner
			}
			if action.Valid {
				n := int(action.Int64)
				ev.ActionRaw, ev.Action = &n, whatsapp.Decode(whatsapp.AndroidActions, n)
				if _, ok := whatsapp.AndroidActions[n]; !ok {
					r.p.note("unknown system action code", "%s action_type %d", ref, n)
				}
			} else {
				ev.Action = "unknown"
			}
			for _, tj := range targets[id] {
				if j := r.jidOf(sql.NullInt64{Int64: tj, Valid: true}); j != "" {
					ev.TargetJIDs = append(ev.TargetJIDs, j)
				}
			}
			if len(ev.TargetJIDs) == 0 && (action.Int64 == 5 || action.Int64 == 13 || action.Int64 == 20 || action.Int64 == 79) && ev.ActorJID != "" {
				ev.TargetJIDs = []string{ev.ActorJID} // the one who left or joined
			}
			return id, r.out.event(ev)
		}
		m := store.Message{RowRef: ref, ChatJID: chat, Time: t, FromMe: me, KeyID: key, MediaSize: -1,
			Forwarded: forwarded.Int64 == 1 || flags.Valid && flags.Int64&1 == 1}
		if typ.Valid {
			n := int(typ.Int64)
			m.TypeRaw, m.Type = &n, whatsapp.Decode(whatsapp.AndroidMessageTypes, n)
			if _, ok := whatsapp.AndroidMessageTypes[n]; !ok {
				r.p.note("unknown message type code", "%s message_type %d", ref, n)
			}
		} else {
			m.Type = "unknown"
		}
		switch s := r.jidOf(sender); {
		case s != "":
			m.SenderJID = s
		case me:
			m.SenderJID = r.owner
		case kind != store.ChatGroup && kind != store.ChatBroadcast && kind != store.ChatStatus:
			m.SenderJID = chat
		}
		m.Text = body
		if hasMedia.Int64 == 1 {
			m.MediaPath = r.p.text(fpath, ref+" file_path")
			m.MediaMIME = r.p.text(mime, ref+" mime_type")
			m.MediaName = r.p.text(name, ref+" media_name")
			m.MediaSHA256 = r.mediaHash(fhash, ref+" file_hash")
			switch {
			case length.Int64 > 0:
				m.MediaSize = length.Int64
			case size.Valid:
				m.MediaSize = size.Int64
			}
			// The caption: media_caption in newer files, text_data in
			// older ones (spec §3.1).
			if c := r.p.text(capt, ref+" media_caption"); c != "" {
				m.Caption = c
			} else {
				m.Caption, m.Text = m.Text, ""
			}
		}
		if err := r.out.message(m); err != nil {
			return id, err
		}
		return id, r.links(m)
	})
	if err != nil {
		return err
	}
	if err := r.step("message_text", r.previewLinks); err != nil {
		return err
	}
	return r.step("message_quoted", r.quotedLinks)
}

// quotedLinks records links in quoted texts (message_quoted.text_data):
// a reply keeps the text it quotes even when that message is gone.
func (r *reader) quotedLinks() error {
	return r.columnLinks("message_quoted", "text_data", "quoted text", "/quoted")
}

// previewLinks records links from message_text.url (link previews).
func (r *reader) previewLinks() error {
	return r.columnLinks("message_text", "url", "url", "")
}

// columnLinks records the links in table.column, a table keyed by
// message_row_id, dated and placed by the message the row belongs to;
// suffix marks the row references ("/quoted").
func (r *reader) columnLinks(table, column, what, suffix string) error {
	cols := r.db.Columns(r.ctx, table)
	if !cols["message_row_id"] || !cols[column] {
		return nil
	}
	rows, err := r.query(`SELECT t.message_row_id, m.chat_row_id, m.timestamp, t.` + column + ` FROM ` + table + ` t
		JOIN message m ON m._id = t.message_row_id WHERE t.` + column + ` IS NOT NULL ORDER BY t.message_row_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, chat, ts sql.NullInt64
		var v any
		if err := rows.Scan(&id, &chat, &ts, &v); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		ref := "message:" + strconv.FormatInt(id.Int64, 10)
		for _, l := range whatsapp.Links(r.p.text(v, ref+" "+what), r.chatJIDByRow(chat.Int64), ref, r.msTime(ts, ref+" timestamp")) {
			if suffix != "" {
				l.RowRef = ref + suffix
			}
			if err := r.out.link(l); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

// links records the WhatsApp links a message's text and caption hold.
func (r *reader) links(m store.Message) error {
	for _, s := range []string{m.Text, m.Caption} {
		for _, l := range whatsapp.Links(s, m.ChatJID, m.RowRef, m.Time) {
			if err := r.out.link(l); err != nil {
				return err
			}
		}
	}
	return nil
}

// systemTargets reads message_system_chat_participant: the accounts each
// system message affects.
func (r *reader) systemTargets() (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if !r.db.HasTable("message_system_chat_participant") {
		return out, nil
	}
	cols := r.db.Columns(r.ctx, "message_system_chat_participant")
	if !cols["message_row_id"] || !cols["user_jid_row_id"] {
		return out, nil
	}
	rows, err := r.query(`SELECT message_row_id, user_jid_row_id FROM message_system_chat_participant`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m, u sql.NullInt64
		if err := rows.Scan(&m, &u); err != nil {
			return nil, fmt.Errorf("message_system_chat_participant: %w", err)
		}
		if m.Valid && u.Valid {
			out[m.Int64] = append(out[m.Int64], u.Int64)
		}
	}
	return out, rows.Err()
}
