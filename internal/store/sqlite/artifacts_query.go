package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"vigil/internal/phone"
	"vigil/internal/store"
)

// sortedList splits a group_concat result, sorted and unique.
func sortedList(s sql.NullString) []string {
	if !s.Valid || s.String == "" {
		return []string{}
	}
	parts := strings.Split(s.String, "\x1f")
	sort.Strings(parts)
	out := parts[:0]
	for i, p := range parts {
		if i > 0 && p == parts[i-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

func strPtr(s sql.NullString) *string {
	if !s.Valid || s.String == "" {
		return nil
	}
	v := s.String
	return &v
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// bareOrSelf normalises a JID given on the command line.
func bareOrSelf(s string) string {
	b, _ := phone.BareJID(s)
	return b
}

// Chats lists chats.
func (s *Store) Chats(ctx context.Context, q store.ChatQuery, fn func(store.ChatView) error) error {
	var w where
	if q.Device != "" {
		w.add(`c.id IN (SELECT chat_id FROM chat_device WHERE device_id = (SELECT id FROM device WHERE label = ?))`, q.Device)
	}
	if q.Kind != "" {
		w.add(`c.kind = ?`, q.Kind)
	}
	if q.JID != "" {
		w.add(`c.jid = ?`, bareOrSelf(q.JID))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.jid, c.kind, c.subject, c.created, a.jid, c.creator_basis, c.description,
		(SELECT count(DISTINCT account_id) FROM member WHERE chat_id = c.id),
		(SELECT group_concat(d.label, char(31)) FROM chat_device cd JOIN device d ON d.id = cd.device_id WHERE cd.chat_id = c.id)
		FROM chat c LEFT JOIN account a ON a.id = c.creator_id`+w.String()+` ORDER BY c.jid`, w.args...)
	if err != nil {
		return fmt.Errorf("chats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.ChatView
		var created, creator, devices sql.NullString
		if err := rows.Scan(&v.ID, &v.JID, &v.Kind, &v.Subject, &created, &creator, &v.CreatorBasis, &v.Description, &v.Members, &devices); err != nil {
			return fmt.Errorf("chats: %w", err)
		}
		if t := parseTime(created); !t.IsZero() {
			v.Created = &t
		}
		v.Creator = strPtr(creator)
		v.Devices = sortedList(devices)
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Accounts lists accounts.
func (s *Store) Accounts(ctx context.Context, q store.AccountQuery, fn func(store.AccountView) error) error {
	var w where
	if q.Device != "" {
		w.add(`a.id IN (SELECT account_id FROM account_device WHERE device_id = (SELECT id FROM device WHERE label = ?))`, q.Device)
	}
	if q.Country != "" {
		w.add(`a.country = ?`, strings.ToUpper(q.Country))
	}
	if q.JID != "" {
		j := bareOrSelf(q.JID)
		w.add(`(a.jid = ? OR a.lid = ? OR a.phone = ?)`, j, j, q.JID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.id, a.jid, a.phone, a.country, a.lid,
		(SELECT group_concat(name, char(31)) FROM account_name WHERE account_id = a.id),
		(SELECT group_concat(d.label, char(31)) FROM account_device ad JOIN device d ON d.id = ad.device_id WHERE ad.account_id = a.id),
		(SELECT group_concat(d.label, char(31)) FROM account_device ad JOIN device d ON d.id = ad.device_id WHERE ad.account_id = a.id AND ad.owner = 1)
		FROM account a`+w.String()+` ORDER BY a.jid`, w.args...)
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.AccountView
		var ph, cc, lid, names, devices, owns sql.NullString
		if err := rows.Scan(&v.ID, &v.JID, &ph, &cc, &lid, &names, &devices, &owns); err != nil {
			return fmt.Errorf("accounts: %w", err)
		}
		v.Phone, v.Country, v.LID = strPtr(ph), strPtr(cc), lid.String
		v.Names, v.Devices, v.OwnerOf = sortedList(names), sortedList(devices), sortedList(owns)
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Members lists memberships.
func (s *Store) Members(ctx context.Context, q store.MemberQuery, fn func(store.MemberView) error) error {
	var w where
	if q.Chat != "" {
		w.add(`c.jid = ?`, bareOrSelf(q.Chat))
	}
	if q.Account != "" {
		w.add(`a.jid = ?`, bareOrSelf(q.Account))
	}
	if q.Device != "" {
		w.add(`d.label = ?`, q.Device)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.jid, a.jid, d.label, m.role, m.role_raw, m.current, m.pending, m.first_seen, m.last_seen
		FROM member m JOIN chat c ON c.id = m.chat_id JOIN account a ON a.id = m.account_id JOIN device d ON d.id = m.device_id`+
		w.String()+` ORDER BY c.jid, a.jid, d.label`, w.args...)
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.MemberView
		var raw sql.NullInt64
		var first, last sql.NullString
		if err := rows.Scan(&v.Chat, &v.Account, &v.Device, &v.Role, &raw, &v.Current, &v.Pending, &first, &last); err != nil {
			return fmt.Errorf("members: %w", err)
		}
		v.RoleRaw = intPtr(raw)
		v.FirstSeen, v.LastSeen = parseTime(first), parseTime(last)
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Messages lists messages.
func (s *Store) Messages(ctx context.Context, q store.MessageQuery, fn func(store.MessageView) error) error {
	var w where
	if q.Device != "" {
		w.add(`m.device_id = (SELECT id FROM device WHERE label = ?)`, q.Device)
	}
	if q.Chat != "" {
		w.add(`m.chat_id = (SELECT id FROM chat WHERE jid = ?)`, bareOrSelf(q.Chat))
	}
	if q.Sender != "" {
		j := bareOrSelf(q.Sender)
		p := q.Sender
		if n, err := phone.Parse(q.Sender); err == nil {
			p = n.E164
		}
		w.add(`m.sender_id IN (SELECT id FROM account WHERE jid = ? OR lid = ? OR phone = ?)`, j, j, p)
	}
	if q.WithMedia {
		w.add(`(m.media_sha256 IS NOT NULL OR m.media_path <> '')`)
	}
	if q.SHA256 != "" {
		w.add(`m.media_sha256 = ?`, strings.ToLower(q.SHA256))
	}
	query := `SELECT m.id, d.label, c.jid, a.jid, m.time, m.from_me, m.type, m.type_raw, m.key_id, m.text, m.caption,
		m.media_sha256, m.media_path, m.media_mime, m.media_size, m.media_name, m.media_file_id, m.forwarded, m.row_ref
		FROM message m JOIN device d ON d.id = m.device_id JOIN chat c ON c.id = m.chat_id LEFT JOIN account a ON a.id = m.sender_id` +
		w.String() + ` ORDER BY m.time, m.id`
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, w.args...)
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.MessageView
		var sender, t, sha sql.NullString
		var raw, size, file sql.NullInt64
		if err := rows.Scan(&v.ID, &v.Device, &v.Chat, &sender, &t, &v.FromMe, &v.Type, &raw, &v.KeyID, &v.Text, &v.Caption,
			&sha, &v.MediaPath, &v.MediaMIME, &size, &v.MediaName, &file, &v.Forwarded, &v.RowRef); err != nil {
			return fmt.Errorf("messages: %w", err)
		}
		v.Sender, v.MediaSHA256 = strPtr(sender), strPtr(sha)
		v.Time = parseTime(t)
		v.TypeRaw = intPtr(raw)
		v.MediaSize = -1
		if size.Valid {
			v.MediaSize = size.Int64
		}
		v.MediaFileID = file.Int64
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Events lists group events.
func (s *Store) Events(ctx context.Context, q store.EventQuery, fn func(store.EventView) error) error {
	var w where
	if q.Device != "" {
		w.add(`e.device_id = (SELECT id FROM device WHERE label = ?)`, q.Device)
	}
	if q.Chat != "" {
		w.add(`e.chat_id = (SELECT id FROM chat WHERE jid = ?)`, bareOrSelf(q.Chat))
	}
	if q.Action != "" {
		w.add(`e.action = ?`, q.Action)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT d.label, c.jid, e.time, e.action, e.action_raw, a.jid, e.old_value, e.new_value, e.row_ref,
		(SELECT group_concat(t.jid, char(31)) FROM event_target et JOIN account t ON t.id = et.account_id WHERE et.event_id = e.id)
		FROM event e JOIN device d ON d.id = e.device_id JOIN chat c ON c.id = e.chat_id LEFT JOIN account a ON a.id = e.actor_id`+
		w.String()+` ORDER BY e.time, e.id`, w.args...)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.EventView
		var t, actor, targets sql.NullString
		var raw sql.NullInt64
		if err := rows.Scan(&v.Device, &v.Chat, &t, &v.Action, &raw, &actor, &v.OldValue, &v.NewValue, &v.RowRef, &targets); err != nil {
			return fmt.Errorf("events: %w", err)
		}
		v.Time, v.ActionRaw, v.Actor, v.Targets = parseTime(t), intPtr(raw), strPtr(actor), sortedList(targets)
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Links lists invite links.
func (s *Store) Links(ctx context.Context, q store.LinkQuery, fn func(store.LinkView) error) error {
	var w where
	if q.Device != "" {
		w.add(`l.device_id = (SELECT id FROM device WHERE label = ?)`, q.Device)
	}
	if q.Kind != "" {
		w.add(`l.kind = ?`, q.Kind)
	}
	if q.Code != "" {
		w.add(`l.code = ?`, q.Code)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT l.kind, l.code, l.url, l.group_jid, coalesce(c.jid, ''), d.label, l.time,
		coalesce(m.row_ref, ''), l.row_ref
		FROM invite_link l JOIN device d ON d.id = l.device_id LEFT JOIN chat c ON c.id = l.chat_id
		LEFT JOIN message m ON m.id = l.message_id`+w.String()+` ORDER BY l.time, l.id`, w.args...)
	if err != nil {
		return fmt.Errorf("links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.LinkView
		var t sql.NullString
		if err := rows.Scan(&v.Kind, &v.Code, &v.URL, &v.Group, &v.Chat, &v.Device, &t, &v.Message, &v.RowRef); err != nil {
			return fmt.Errorf("links: %w", err)
		}
		if tt := parseTime(t); !tt.IsZero() {
			v.Time = &tt
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}
