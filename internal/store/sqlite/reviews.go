package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"vigil/internal/audit"
	"vigil/internal/store"
)

// Decide records an analyst's category for a content.
func (s *Store) Decide(ctx context.Context, d store.Decision) (store.Decision, error) {
	d.SHA256 = strings.ToLower(d.SHA256)
	d.Actor = audit.Actor(ctx)
	d.Time = s.now().UTC()
	err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO decision (sha256, category, profile, actor, time, reason) VALUES (?, ?, ?, ?, ?, ?)`,
			d.SHA256, intArg(d.Category), d.Profile, d.Actor, fmtTime(d.Time), d.Reason)
		if err != nil {
			return fmt.Errorf("decision on %s: %w", d.SHA256, err)
		}
		d.ID, _ = res.LastInsertId()
		var cat any = nil
		if d.Category != nil {
			cat = *d.Category
		}
		return rec(audit.Entry{Action: "review.decide", Object: "content:" + d.SHA256,
			Details: map[string]any{"category": cat, "profile": d.Profile, "reason": d.Reason}})
	})
	return d, err
}

// Decisions returns a content's decision history, oldest first.
func (s *Store) Decisions(ctx context.Context, sha string) ([]store.Decision, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, sha256, category, profile, actor, time, reason FROM decision
		WHERE sha256 = ? ORDER BY id`, strings.ToLower(sha))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Decision
	for rows.Next() {
		var d store.Decision
		var cat sql.NullInt64
		var t sql.NullString
		if err := rows.Scan(&d.ID, &d.SHA256, &cat, &d.Profile, &d.Actor, &t, &d.Reason); err != nil {
			return nil, err
		}
		if cat.Valid {
			c := int(cat.Int64)
			d.Category = &c
		}
		d.Time = parseTime(t)
		out = append(out, d)
	}
	return out, rows.Err()
}
