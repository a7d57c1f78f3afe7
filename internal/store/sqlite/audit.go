package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"vigil/internal/audit"
	"vigil/internal/store"
)

// Record appends one audit record on its own.
func (s *Store) Record(ctx context.Context, e audit.Entry) (audit.Record, error) {
	var out audit.Record
	err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		if err := rec(e); err != nil {
			return err
		}
		var err error
		out, err = readHead(ctx, tx)
		return err
	})
	return out, err
}

// AuditHead returns the last record of the chain.
func (s *Store) AuditHead(ctx context.Context) (audit.Record, error) {
	return readHead(ctx, s.r)
}

// AuditRecords calls fn for each matching record, in sequence order.
func (s *Store) AuditRecords(ctx context.Context, q store.AuditQuery, fn func(audit.Record) error) error {
	var where []string
	var args []any
	if q.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, q.Actor)
	}
	if q.Action != "" {
		where, args = append(where, "action LIKE ? ESCAPE '\\'"), append(args, likePrefix(q.Action))
	}
	if q.Object != "" {
		where, args = append(where, "object LIKE ? ESCAPE '\\'"), append(args, likePrefix(q.Object))
	}
	if !q.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, q.Since.UTC().Format(audit.TimeFormat))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "time < ?"), append(args, q.Until.UTC().Format(audit.TimeFormat))
	}
	if q.FromSeq > 0 {
		where, args = append(where, "seq >= ?"), append(args, q.FromSeq)
	}
	query := `SELECT seq, time, actor, action, object, details, prev_hash, hash FROM audit`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY seq"
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r audit.Record
		if err := rows.Scan(&r.Seq, &r.Time, &r.Actor, &r.Action, &r.Object, &r.Details, &r.PrevHash, &r.Hash); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AddCheckpoint stores a signed checkpoint. Checkpoints are not audit
// records themselves: they sign the chain.
func (s *Store) AddCheckpoint(ctx context.Context, c audit.Checkpoint) error {
	if s.w == nil {
		return fmt.Errorf("case opened read-only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_checkpoint (seq, hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (seq) DO NOTHING`, c.Seq, c.Hash, c.Time, c.KeyID, c.Signature)
	if err != nil {
		return fmt.Errorf("audit checkpoint: %w", err)
	}
	return nil
}

// Checkpoints returns the stored checkpoints in sequence order.
func (s *Store) Checkpoints(ctx context.Context) ([]audit.Checkpoint, error) {
	caseID, err := s.Meta(ctx, "case_id")
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, hash, time, key_id, signature FROM audit_checkpoint ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoints: %w", err)
	}
	defer rows.Close()
	var out []audit.Checkpoint
	for rows.Next() {
		c := audit.Checkpoint{CaseID: caseID}
		if err := rows.Scan(&c.Seq, &c.Hash, &c.Time, &c.KeyID, &c.Signature); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}
