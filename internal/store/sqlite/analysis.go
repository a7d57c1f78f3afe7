package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/store"
)

var _ store.Analysis = (*Store)(nil)

// idList parses a group_concat of integer ids, ascending and unique.
func idList(s sql.NullString) []int64 {
	if !s.Valid || s.String == "" {
		return nil
	}
	parts := strings.Split(s.String, ",")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AnalysisDevices streams devices.
func (s *Store) AnalysisDevices(ctx context.Context, fn func(store.DeviceRow) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT id, label, suspect, country, coalesce(owner_account_id, 0) FROM device ORDER BY id`)
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d store.DeviceRow
		if err := rows.Scan(&d.ID, &d.Label, &d.Suspect, &d.Country, &d.OwnerID); err != nil {
			return fmt.Errorf("devices: %w", err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AnalysisCounts returns the sizes of the main tables.
func (s *Store) AnalysisCounts(ctx context.Context) (store.AnalysisCounts, error) {
	var c store.AnalysisCounts
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM account), (SELECT count(*) FROM chat),
		(SELECT count(*) FROM member), (SELECT count(*) FROM message)`).Scan(&c.Accounts, &c.Chats, &c.Members, &c.Messages)
	if err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	return c, nil
}

// AnalysisAccounts streams accounts. Names and devices are read first, in
// table order, and joined here: a hundred thousand correlated subqueries
// cost more than three scans.
func (s *Store) AnalysisAccounts(ctx context.Context, fn func(*store.AccountRow) error) error {
	names := map[int64][]string{}
	if err := s.scan(ctx, `SELECT account_id, name FROM account_name`, func(rows *sql.Rows) error {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		names[id] = append(names[id], name)
		return nil
	}); err != nil {
		return fmt.Errorf("accounts: names: %w", err)
	}
	devices, owns := map[int64][]int64{}, map[int64][]int64{}
	if err := s.scan(ctx, `SELECT account_id, device_id, owner FROM account_device`, func(rows *sql.Rows) error {
		var id, dev int64
		var owner bool
		if err := rows.Scan(&id, &dev, &owner); err != nil {
			return err
		}
		devices[id] = append(devices[id], dev)
		if owner {
			owns[id] = append(owns[id], dev)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("accounts: devices: %w", err)
	}
	var a store.AccountRow
	return s.scan(ctx, `SELECT id, jid, coalesce(phone, ''), coalesce(country, ''), coalesce(lid, '') FROM account ORDER BY id`,
		func(rows *sql.Rows) error {
			if err := rows.Scan(&a.ID, &a.JID, &a.Phone, &a.Country, &a.LID); err != nil {
				return fmt.Errorf("accounts: %w", err)
			}
			a.Names = names[a.ID]
			slices.Sort(a.Names)
			a.Names = slices.Compact(a.Names)
			a.DeviceIDs, a.OwnerOf = devices[a.ID], owns[a.ID]
			slices.Sort(a.DeviceIDs)
			slices.Sort(a.OwnerOf)
			return fn(&a)
		})
}

// scan runs a query and calls fn for each row.
func (s *Store) scan(ctx context.Context, query string, fn func(*sql.Rows) error) error {
	rows, err := s.r.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AnalysisChats streams chats.
func (s *Store) AnalysisChats(ctx context.Context, fn func(*store.ChatRow) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.jid, c.kind, c.subject, c.created, coalesce(c.creator_id, 0), c.description,
		(SELECT group_concat(device_id) FROM chat_device WHERE chat_id = c.id)
		FROM chat c ORDER BY c.id`)
	if err != nil {
		return fmt.Errorf("chats: %w", err)
	}
	defer rows.Close()
	var c store.ChatRow
	for rows.Next() {
		var created, devices sql.NullString
		if err := rows.Scan(&c.ID, &c.JID, &c.Kind, &c.Subject, &created, &c.CreatorID, &c.Description, &devices); err != nil {
			return fmt.Errorf("chats: %w", err)
		}
		c.Created, c.DeviceIDs = parseTime(created), idList(devices)
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AnalysisMembers streams memberships.
func (s *Store) AnalysisMembers(ctx context.Context, fn func(store.MemberRow) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT chat_id, account_id, device_id, role, current, first_seen, last_seen FROM member`)
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m store.MemberRow
		var first, last sql.NullString
		if err := rows.Scan(&m.ChatID, &m.AccountID, &m.DeviceID, &m.Role, &m.Current, &first, &last); err != nil {
			return fmt.Errorf("members: %w", err)
		}
		m.FirstSeen, m.LastSeen = parseTime(first), parseTime(last)
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AnalysisMessages streams messages.
func (s *Store) AnalysisMessages(ctx context.Context, fn func(*store.MessageRow) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, m.device_id, m.artifact_id, m.row_ref, m.chat_id, coalesce(m.sender_id, 0), m.time,
		m.from_me, m.type, m.key_id, m.text, m.caption, coalesce(m.media_sha256, ''), m.media_path, m.media_mime,
		coalesce(m.media_file_id, 0), coalesce(f.device_id, 0), coalesce(f.path, '')
		FROM message m LEFT JOIN file f ON f.id = m.media_file_id ORDER BY m.id`)
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	var m store.MessageRow
	var t sql.NullString
	for rows.Next() {
		if err := rows.Scan(&m.ID, &m.DeviceID, &m.ArtifactID, &m.RowRef, &m.ChatID, &m.SenderID, &t, &m.FromMe, &m.Type, &m.KeyID,
			&m.Text, &m.Caption, &m.MediaSHA256, &m.MediaPath, &m.MediaMIME, &m.FileID, &m.FileDeviceID, &m.FilePath); err != nil {
			return fmt.Errorf("messages: %w", err)
		}
		m.Time = parseTime(t)
		if err := fn(&m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AnalysisHits streams hits with their sets and entries.
func (s *Store) AnalysisHits(ctx context.Context, fn func(store.HitView) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT h.sha256, h.kind, h.distance, h.variant, s.name, s.status, s.profile, e.id, e.ref,
		e.category, e.series, c.mime, c.origin
		FROM hit h JOIN content c ON c.sha256 = h.sha256 JOIN hash_entry e ON e.id = h.entry_id JOIN hashset s ON s.id = e.set_id
		ORDER BY h.sha256, s.name, e.id, h.kind`)
	if err != nil {
		return fmt.Errorf("hits: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.HitView
		var cat sql.NullInt64
		if err := rows.Scan(&v.SHA256, &v.Kind, &v.Distance, &v.Variant, &v.Set, &v.Status, &v.Profile, &v.EntryID, &v.EntryRef,
			&cat, &v.Series, &v.MIME, &v.Origin); err != nil {
			return fmt.Errorf("hits: %w", err)
		}
		v.Category = intPtr(cat)
		v.Devices, v.Paths = []string{}, []string{}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LatestDecisions streams the newest decision of each content.
func (s *Store) LatestDecisions(ctx context.Context, fn func(store.Decision) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.sha256, d.category, d.profile, d.actor, d.time, d.reason FROM decision d
		WHERE d.id = (SELECT max(id) FROM decision WHERE sha256 = d.sha256) ORDER BY d.sha256`)
	if err != nil {
		return fmt.Errorf("decisions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d store.Decision
		var cat sql.NullInt64
		var t sql.NullString
		if err := rows.Scan(&d.ID, &d.SHA256, &cat, &d.Profile, &d.Actor, &t, &d.Reason); err != nil {
			return fmt.Errorf("decisions: %w", err)
		}
		d.Category = intPtr(cat)
		d.Time = parseTime(t)
		if err := fn(d); err != nil {
			return err
		}
	}
	return rows.Err()
}
