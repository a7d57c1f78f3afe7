package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"vigil/internal/audit"
	"vigil/internal/store"
)

const hashSetSelect = `SELECT id, name, status, format, version, profile, shape, file_name, file_sha256, imported_by,
	imported, entries, description FROM hashset`

func scanHashSet(r rowScanner) (store.HashSet, error) {
	var h store.HashSet
	var imported sql.NullString
	err := r.Scan(&h.ID, &h.Name, &h.Status, &h.Format, &h.Version, &h.Profile, &h.Shape, &h.FileName, &h.FileSHA256,
		&h.ImportedBy, &imported, &h.Entries, &h.Description)
	if errors.Is(err, sql.ErrNoRows) {
		return h, store.ErrNotFound
	}
	h.Imported = parseTime(imported)
	return h, err
}

func boolArg(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func intArg(i *int) any {
	if i == nil {
		return nil
	}
	return *i
}

// ImportHashSet creates a set and streams its entries in, in one transaction.
func (s *Store) ImportHashSet(ctx context.Context, h store.HashSet, entries func(set *store.HashSet, add func(store.HashEntry) error) error) (store.HashSet, bool, error) {
	switch h.Status {
	case store.StatusAlert, store.StatusKnown, store.StatusReference:
	default:
		return h, false, fmt.Errorf("hash set %s: status %q: use alert, known or reference", h.Name, h.Status)
	}
	if old, err := scanHashSet(s.r.QueryRowContext(ctx, hashSetSelect+` WHERE file_sha256 = ?`, h.FileSHA256)); err == nil {
		return old, false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return h, false, err
	}
	var out store.HashSet
	err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM hashset WHERE name = ?`, h.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("hash set %q exists already: choose another --name, or remove it first", h.Name)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO hashset (name, status, format, version, profile, shape, file_name,
			file_sha256, imported_by, imported, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			h.Name, h.Status, h.Format, h.Version, h.Profile, h.Shape, h.FileName, h.FileSHA256, audit.Actor(ctx),
			fmtTime(s.now()), h.Description)
		if err != nil {
			return fmt.Errorf("hash set %s: %w", h.Name, err)
		}
		id, _ := res.LastInsertId()
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO hash_entry (set_id, md5, sha1, sha256, pdq, pdq_quality, photodna,
			category, series, tags, comments, victim_identified, offender_identified, distributed, size, ref, line)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var count int64
		err = entries(&h, func(e store.HashEntry) error {
			if count%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var q any
			if e.PDQ != "" {
				q = e.PDQQuality
			}
			if _, err := stmt.ExecContext(ctx, id, nullString(strings.ToLower(e.MD5)), nullString(strings.ToLower(e.SHA1)),
				nullString(strings.ToLower(e.SHA256)), nullString(strings.ToLower(e.PDQ)), q, nullString(e.PhotoDNA),
				intArg(e.Category), e.Series, e.Tags, e.Comments, boolArg(e.VictimIdentified), boolArg(e.OffenderIdentified),
				boolArg(e.Distributed), e.Size, e.Ref, e.Line); err != nil {
				return fmt.Errorf("entry %d: %w", count+1, err)
			}
			count++
			return nil
		})
		if err != nil {
			return err
		}
		var dropped int64
		for _, v := range h.DropPhotoDNA {
			res, err := tx.ExecContext(ctx, `UPDATE hash_entry SET photodna = NULL WHERE set_id = ? AND photodna = ?`, id, v)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			dropped += n
		}
		if _, err := tx.ExecContext(ctx, `UPDATE hashset SET entries = ?, format = ?, version = ?, profile = ?, shape = ? WHERE id = ?`,
			count, h.Format, h.Version, h.Profile, h.Shape, id); err != nil {
			return err
		}
		out, err = scanHashSet(tx.QueryRowContext(ctx, hashSetSelect+` WHERE id = ?`, id))
		if err != nil {
			return err
		}
		return rec(audit.Entry{Action: "hashset.import", Object: "hashset:" + h.Name, Details: map[string]any{
			"status": h.Status, "format": h.Format, "version": h.Version, "profile": h.Profile, "shape": h.Shape,
			"file": h.FileName, "sha256": h.FileSHA256, "entries": count, "bogus_photodna_blanked": dropped}})
	})
	if err != nil {
		return h, false, err
	}
	return out, true, nil
}

// HashSets lists the imported sets.
func (s *Store) HashSets(ctx context.Context) ([]store.HashSet, error) {
	rows, err := s.r.QueryContext(ctx, hashSetSelect+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("hash sets: %w", err)
	}
	defer rows.Close()
	var out []store.HashSet
	for rows.Next() {
		h, err := scanHashSet(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HashEntrySpan answers from the set_id index in two seeks.
func (s *Store) HashEntrySpan(ctx context.Context, setID int64) (lo, hi int64, err error) {
	var l, h sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(id), max(id) FROM hash_entry WHERE set_id = ?`, setID).Scan(&l, &h); err != nil {
		return 0, 0, fmt.Errorf("hash set %d: entry ids: %w", setID, err)
	}
	return l.Int64, h.Int64, nil
}

// HashSet returns one set by name or id.
func (s *Store) HashSet(ctx context.Context, name string) (store.HashSet, error) {
	h, err := scanHashSet(s.r.QueryRowContext(ctx, hashSetSelect+` WHERE name = ?`, name))
	if errors.Is(err, store.ErrNotFound) {
		if id, perr := strconv.ParseInt(name, 10, 64); perr == nil {
			h, err = scanHashSet(s.r.QueryRowContext(ctx, hashSetSelect+` WHERE id = ?`, id))
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return h, fmt.Errorf("hash set %q: %w (see vigil hashset list)", name, err)
	}
	return h, err
}

// RemoveHashSet deletes a set, its entries and hits.
func (s *Store) RemoveHashSet(ctx context.Context, name string) error {
	h, err := s.HashSet(ctx, name)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM hit WHERE entry_id IN (SELECT id FROM hash_entry WHERE set_id = ?)`, h.ID)
		if err != nil {
			return err
		}
		hits, _ := res.RowsAffected()
		if _, err := tx.ExecContext(ctx, `DELETE FROM hash_entry WHERE set_id = ?`, h.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM hashset WHERE id = ?`, h.ID); err != nil {
			return err
		}
		return rec(audit.Entry{Action: "hashset.remove", Object: "hashset:" + h.Name, Details: map[string]any{
			"entries": h.Entries, "hits": hits, "sha256": h.FileSHA256}})
	})
}

// HashEntries calls fn for each entry of a set, or of every set.
func (s *Store) HashEntries(ctx context.Context, setID int64, fn func(store.HashEntry) error) error {
	q := `SELECT id, set_id, coalesce(md5, ''), coalesce(sha1, ''), coalesce(sha256, ''), coalesce(pdq, ''),
		coalesce(pdq_quality, 0), coalesce(photodna, ''), category, series, tags, comments, victim_identified,
		offender_identified, distributed, size, ref, line FROM hash_entry`
	var args []any
	if setID != 0 {
		q, args = q+` WHERE set_id = ?`, append(args, setID)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("hash entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e store.HashEntry
		var cat sql.NullInt64
		var vi, oi, di sql.NullBool
		if err := rows.Scan(&e.ID, &e.SetID, &e.MD5, &e.SHA1, &e.SHA256, &e.PDQ, &e.PDQQuality, &e.PhotoDNA, &cat,
			&e.Series, &e.Tags, &e.Comments, &vi, &oi, &di, &e.Size, &e.Ref, &e.Line); err != nil {
			return err
		}
		if cat.Valid {
			c := int(cat.Int64)
			e.Category = &c
		}
		e.VictimIdentified, e.OffenderIdentified, e.Distributed = nullBool(vi), nullBool(oi), nullBool(di)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

func nullBool(b sql.NullBool) *bool {
	if !b.Valid {
		return nil
	}
	v := b.Bool
	return &v
}

// HashSetsFingerprint identifies the current collection of sets.
func (s *Store) HashSetsFingerprint(ctx context.Context) (string, error) {
	sets, err := s.HashSets(ctx)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, x := range sets {
		fmt.Fprintf(h, "%d\x00%s\x00%d\x00%s\n", x.ID, x.FileSHA256, x.Entries, x.Status)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReplaceHits stores a match run's hits.
func (s *Store) ReplaceHits(ctx context.Context, scope store.MatchScope, hits []store.Hit, summary map[string]any) error {
	return s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		if scope.All {
			if _, err := tx.ExecContext(ctx, `DELETE FROM hit`); err != nil {
				return err
			}
			if scope.Fingerprint != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE content SET matched = ?`, scope.Fingerprint); err != nil {
					return err
				}
			}
		} else {
			del, err := tx.PrepareContext(ctx, `DELETE FROM hit WHERE sha256 = ?`)
			if err != nil {
				return err
			}
			defer del.Close()
			mark, err := tx.PrepareContext(ctx, `UPDATE content SET matched = ? WHERE sha256 = ?`)
			if err != nil {
				return err
			}
			defer mark.Close()
			for _, sha := range scope.SHA256s {
				if _, err := del.ExecContext(ctx, sha); err != nil {
					return err
				}
				if scope.Fingerprint != "" {
					if _, err := mark.ExecContext(ctx, scope.Fingerprint, sha); err != nil {
						return err
					}
				}
			}
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO hit (sha256, entry_id, kind, distance, variant) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (sha256, entry_id, kind) DO UPDATE SET distance = min(hit.distance, excluded.distance)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, h := range hits {
			if _, err := ins.ExecContext(ctx, h.SHA256, h.EntryID, h.Kind, h.Distance, h.Variant); err != nil {
				return fmt.Errorf("hit %s: %w", h.SHA256, err)
			}
		}
		d := map[string]any{"hits": len(hits)}
		if !scope.All {
			d["contents"] = len(scope.SHA256s)
		} else {
			d["contents"] = "all"
		}
		for k, v := range summary {
			d[k] = v
		}
		return rec(audit.Entry{Action: "match", Object: "hits", Details: d})
	})
}

// Hits calls fn for each matching hit.
func (s *Store) Hits(ctx context.Context, q store.HitQuery, fn func(store.HitView) error) error {
	var where []string
	var args []any
	if q.Set != "" {
		where, args = append(where, "s.name = ?"), append(args, q.Set)
	}
	if q.Status != "" {
		where, args = append(where, "s.status = ?"), append(args, q.Status)
	}
	if q.Kind != "" {
		where, args = append(where, "h.kind = ?"), append(args, q.Kind)
	}
	if q.SHA256 != "" {
		where, args = append(where, "h.sha256 = ?"), append(args, strings.ToLower(q.SHA256))
	}
	if q.Device != "" {
		where, args = append(where, `h.sha256 IN (SELECT f.sha256 FROM file f JOIN device d ON d.id = f.device_id WHERE d.label = ?
			UNION SELECT m.media_sha256 FROM message m JOIN device d ON d.id = m.device_id WHERE d.label = ?)`), append(args, q.Device, q.Device)
	}
	query := `SELECT h.sha256, coalesce(c.md5, ''), h.kind, h.distance, h.variant, s.name, s.status, s.profile, e.id, e.ref,
		e.category, e.series, c.mime, c.origin,
		coalesce((SELECT group_concat(label, char(31)) FROM (
			SELECT d.label FROM file f JOIN device d ON d.id = f.device_id WHERE f.sha256 = h.sha256
			UNION SELECT d.label FROM message m JOIN device d ON d.id = m.device_id WHERE m.media_sha256 = h.sha256
			ORDER BY 1)), ''),
		coalesce((SELECT group_concat(p, char(31)) FROM (
			SELECT DISTINCT d.label || ':' || f.path AS p FROM file f JOIN device d ON d.id = f.device_id
			WHERE f.sha256 = h.sha256 ORDER BY 1)), '')
		FROM hit h JOIN content c ON c.sha256 = h.sha256 JOIN hash_entry e ON e.id = h.entry_id
		JOIN hashset s ON s.id = e.set_id`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY s.status, h.sha256, s.name, e.id, h.kind`, args...)
	if err != nil {
		return fmt.Errorf("hits: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.HitView
		var cat sql.NullInt64
		var devices, paths string
		if err := rows.Scan(&v.SHA256, &v.MD5, &v.Kind, &v.Distance, &v.Variant, &v.Set, &v.Status, &v.Profile, &v.EntryID,
			&v.EntryRef, &cat, &v.Series, &v.MIME, &v.Origin, &devices, &paths); err != nil {
			return fmt.Errorf("hits: %w", err)
		}
		if cat.Valid {
			c := int(cat.Int64)
			v.Category = &c
		}
		v.Devices, v.Paths = splitList(devices), splitList(paths)
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\x1f")
}
