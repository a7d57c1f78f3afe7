package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/audit"
	"vigil/internal/store"
)

// PutDevice creates or updates a device by label.
func (s *Store) PutDevice(ctx context.Context, d store.Device) (store.Device, error) {
	if strings.TrimSpace(d.Label) == "" {
		return d, errors.New("device: a label is required")
	}
	var out store.Device
	err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		old, err := scanDevice(tx.QueryRowContext(ctx, deviceSelect+` WHERE label = ?`, d.Label))
		switch {
		case errors.Is(err, store.ErrNotFound):
			res, err := tx.ExecContext(ctx, `INSERT INTO device (label, suspect, country, place, seized_at, notes, created)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, d.Label, d.Suspect, d.Country, d.Place, nullTime(d.SeizedAt), d.Notes, fmtTime(s.now()))
			if err != nil {
				return fmt.Errorf("device %s: %w", d.Label, err)
			}
			id, _ := res.LastInsertId()
			if err := rec(audit.Entry{Action: "device.create", Object: "device:" + d.Label, Details: deviceDetails(d)}); err != nil {
				return err
			}
			out, err = scanDevice(tx.QueryRowContext(ctx, deviceSelect+` WHERE id = ?`, id))
			return err
		case err != nil:
			return err
		}
		changed := map[string]any{}
		set := func(field string, old *string, v string) {
			if v != "" && v != *old {
				changed[field] = v
				*old = v
			}
		}
		set("suspect", &old.Suspect, d.Suspect)
		set("country", &old.Country, d.Country)
		set("place", &old.Place, d.Place)
		set("notes", &old.Notes, d.Notes)
		if !d.SeizedAt.IsZero() && !d.SeizedAt.Equal(old.SeizedAt) {
			changed["seized_at"] = fmtTime(d.SeizedAt)
			old.SeizedAt = d.SeizedAt
		}
		out = old
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE device SET suspect = ?, country = ?, place = ?, seized_at = ?, notes = ? WHERE id = ?`,
			old.Suspect, old.Country, old.Place, nullTime(old.SeizedAt), old.Notes, old.ID); err != nil {
			return fmt.Errorf("device %s: %w", d.Label, err)
		}
		return rec(audit.Entry{Action: "device.update", Object: "device:" + d.Label, Details: changed})
	})
	return out, err
}

func deviceDetails(d store.Device) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"suspect": d.Suspect, "country": d.Country, "place": d.Place, "notes": d.Notes} {
		if v != "" {
			m[k] = v
		}
	}
	if !d.SeizedAt.IsZero() {
		m["seized_at"] = fmtTime(d.SeizedAt)
	}
	return m
}

const deviceSelect = `SELECT id, label, suspect, country, place, seized_at, notes, created FROM device`

type rowScanner interface{ Scan(...any) error }

func scanDevice(r rowScanner) (store.Device, error) {
	var d store.Device
	var seized, created sql.NullString
	err := r.Scan(&d.ID, &d.Label, &d.Suspect, &d.Country, &d.Place, &seized, &d.Notes, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return d, store.ErrNotFound
	}
	d.SeizedAt, d.Created = parseTime(seized), parseTime(created)
	return d, err
}

// Device returns the device with the given label.
func (s *Store) Device(ctx context.Context, label string) (store.Device, error) {
	d, err := scanDevice(s.r.QueryRowContext(ctx, deviceSelect+` WHERE label = ?`, label))
	if errors.Is(err, store.ErrNotFound) {
		return d, fmt.Errorf("device %q: %w (see vigil devices)", label, store.ErrNotFound)
	}
	return d, err
}

// Devices lists devices with their counts.
func (s *Store) Devices(ctx context.Context) ([]store.DeviceSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.label, d.suspect, d.country, d.place, d.seized_at, d.notes, d.created,
		(SELECT count(*) FROM source WHERE device_id = d.id),
		coalesce((SELECT sum(files) FROM source WHERE device_id = d.id), 0),
		coalesce((SELECT sum(bytes) FROM source WHERE device_id = d.id), 0),
		coalesce((SELECT sum(errors) FROM source WHERE device_id = d.id), 0),
		(SELECT count(DISTINCT h.sha256) FROM hit h JOIN hash_entry e ON e.id = h.entry_id JOIN hashset s ON s.id = e.set_id
			WHERE s.status = 'alert' AND h.sha256 IN (SELECT sha256 FROM file WHERE device_id = d.id
				UNION SELECT media_sha256 FROM message WHERE device_id = d.id)),
		(SELECT count(DISTINCT h.sha256) FROM hit h JOIN hash_entry e ON e.id = h.entry_id JOIN hashset s ON s.id = e.set_id
			WHERE s.status = 'known' AND h.sha256 IN (SELECT sha256 FROM file WHERE device_id = d.id))
		FROM device d ORDER BY d.label`)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	defer rows.Close()
	var out []store.DeviceSummary
	for rows.Next() {
		var d store.DeviceSummary
		var seized, created sql.NullString
		if err := rows.Scan(&d.ID, &d.Label, &d.Suspect, &d.Country, &d.Place, &seized, &d.Notes, &created,
			&d.Sources, &d.Files, &d.Bytes, &d.Errors, &d.Alerts, &d.Known); err != nil {
			return nil, err
		}
		d.SeizedAt, d.Created = parseTime(seized), parseTime(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

const sourceSelect = `SELECT s.id, s.device_id, d.label, s.kind, s.path, s.size, coalesce(s.container_md5, ''),
	coalesce(s.container_sha1, ''), coalesce(s.container_sha256, ''), s.operator, s.host, s.tool, s.started, s.finished,
	s.status, s.files, s.bytes, s.errors, s.verified, coalesce(s.verify_status, '')
	FROM source s JOIN device d ON d.id = s.device_id`

func scanSource(r rowScanner) (store.Source, error) {
	var x store.Source
	var started, finished, verified sql.NullString
	err := r.Scan(&x.ID, &x.DeviceID, &x.Device, &x.Kind, &x.Path, &x.Size, &x.ContainerMD5, &x.ContainerSHA1,
		&x.ContainerSHA256, &x.Operator, &x.Host, &x.Tool, &started, &finished, &x.Status, &x.Files, &x.Bytes,
		&x.Errors, &verified, &x.VerifyStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return x, store.ErrNotFound
	}
	x.Started, x.Finished, x.Verified = parseTime(started), parseTime(finished), parseTime(verified)
	return x, err
}

// StartSource opens or resumes an acquisition record.
func (s *Store) StartSource(ctx context.Context, src store.Source) (store.Source, bool, error) {
	var out store.Source
	var resumed bool
	err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		old, err := scanSource(tx.QueryRowContext(ctx, sourceSelect+` WHERE s.device_id = ? AND s.path = ?`, src.DeviceID, src.Path))
		switch {
		case err == nil:
			if old.ContainerSHA256 != "" && src.ContainerSHA256 != "" && old.ContainerSHA256 != src.ContainerSHA256 {
				return fmt.Errorf("source %s: its SHA-256 is now %s but was %s when first acquired: the container changed; acquire it under a new path or device",
					src.Path, src.ContainerSHA256, old.ContainerSHA256)
			}
			resumed = true
			if _, err := tx.ExecContext(ctx, `UPDATE source SET status = 'running', finished = NULL WHERE id = ?`, old.ID); err != nil {
				return err
			}
			old.Status, old.Finished = "running", old.Finished.Truncate(0)
			out = old
			return rec(audit.Entry{Action: "ingest.resume", Object: "source:" + strconv.FormatInt(old.ID, 10),
				Details: map[string]any{"device": old.Device, "path": old.Path, "previous_status": old.Status, "tool": src.Tool, "operator": src.Operator}})
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO source (device_id, kind, path, size, container_md5, container_sha1,
			container_sha256, operator, host, tool, started, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')`,
			src.DeviceID, src.Kind, src.Path, src.Size, nullString(src.ContainerMD5), nullString(src.ContainerSHA1),
			nullString(src.ContainerSHA256), src.Operator, src.Host, src.Tool, fmtTime(s.now()))
		if err != nil {
			return fmt.Errorf("source %s: %w", src.Path, err)
		}
		id, _ := res.LastInsertId()
		out, err = scanSource(tx.QueryRowContext(ctx, sourceSelect+` WHERE s.id = ?`, id))
		if err != nil {
			return err
		}
		d := map[string]any{"device": out.Device, "kind": src.Kind, "path": src.Path, "size": src.Size,
			"operator": src.Operator, "host": src.Host, "tool": src.Tool}
		if src.ContainerSHA256 != "" {
			d["md5"], d["sha1"], d["sha256"] = src.ContainerMD5, src.ContainerSHA1, src.ContainerSHA256
		}
		return rec(audit.Entry{Action: "ingest.start", Object: "source:" + strconv.FormatInt(id, 10), Details: d})
	})
	return out, resumed, err
}

// FinishSource closes an acquisition record.
func (s *Store) FinishSource(ctx context.Context, id int64, status string, summary map[string]any) error {
	return s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		if _, err := tx.ExecContext(ctx, `UPDATE source SET status = ?, finished = ? WHERE id = ?`, status, fmtTime(s.now()), id); err != nil {
			return err
		}
		var files, bytes, errs int64
		if err := tx.QueryRowContext(ctx, `SELECT files, bytes, errors FROM source WHERE id = ?`, id).Scan(&files, &bytes, &errs); err != nil {
			return fmt.Errorf("source %d: %w", id, err)
		}
		d := map[string]any{"status": status, "files": files, "bytes": bytes, "errors": errs}
		for k, v := range summary {
			d[k] = v
		}
		return rec(audit.Entry{Action: "ingest.finish", Object: "source:" + strconv.FormatInt(id, 10), Details: d})
	})
}

// Sources lists acquisition records.
func (s *Store) Sources(ctx context.Context, label string) ([]store.Source, error) {
	q, args := sourceSelect, []any{}
	if label != "" {
		q, args = q+` WHERE d.label = ?`, append(args, label)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY d.label, s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	var out []store.Source
	for rows.Next() {
		x, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Source returns one acquisition record.
func (s *Store) Source(ctx context.Context, id int64) (store.Source, error) {
	return scanSource(s.r.QueryRowContext(ctx, sourceSelect+` WHERE s.id = ?`, id))
}

// RecordedPaths calls fn for every file already recorded from a source.
func (s *Store) RecordedPaths(ctx context.Context, sourceID int64, fn func(path, kind string) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT f.path, coalesce(c.kind, '') FROM file f LEFT JOIN content c ON c.sha256 = f.sha256
		WHERE f.source_id = ?`, sourceID)
	if err != nil {
		return fmt.Errorf("recorded files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, k string
		if err := rows.Scan(&p, &k); err != nil {
			return err
		}
		if err := fn(p, k); err != nil {
			return err
		}
	}
	return rows.Err()
}

const contentUpsert = `INSERT INTO content (sha256, md5, sha1, size, mime, kind, pdq, pdq_quality, exif, error, origin, pdq_dihedral)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (sha256) DO UPDATE SET
		md5 = coalesce(content.md5, excluded.md5),
		sha1 = coalesce(content.sha1, excluded.sha1),
		size = CASE WHEN content.size < 0 THEN excluded.size ELSE content.size END,
		mime = CASE WHEN content.origin = 'chat' AND excluded.origin = 'file' OR content.mime = '' THEN excluded.mime ELSE content.mime END,
		kind = CASE WHEN content.origin = 'chat' AND excluded.origin = 'file' OR content.kind = '' THEN excluded.kind ELSE content.kind END,
		pdq = coalesce(content.pdq, excluded.pdq),
		pdq_quality = coalesce(content.pdq_quality, excluded.pdq_quality),
		pdq_dihedral = coalesce(content.pdq_dihedral, excluded.pdq_dihedral),
		exif = coalesce(content.exif, excluded.exif),
		error = coalesce(content.error, excluded.error),
		origin = CASE WHEN excluded.origin = 'file' THEN 'file' ELSE content.origin END`

func contentArgs(c store.Content) ([]any, error) {
	var exif any
	if c.EXIF != nil {
		b, err := json.Marshal(c.EXIF)
		if err != nil {
			return nil, err
		}
		exif = string(b)
	}
	var q any
	if c.PDQ != "" {
		q = c.PDQQuality
	}
	origin := c.Origin
	if origin == "" {
		origin = "file"
	}
	size := c.Size
	if size == 0 && c.MD5 == "" && origin == "chat" {
		size = -1
	}
	return []any{c.SHA256, nullString(c.MD5), nullString(c.SHA1), size, c.MIME, c.Kind, nullString(c.PDQ), q, exif,
		nullString(c.Error), origin, nullString(c.PDQDihedral)}, nil
}

// WriteBatch stores intake results with their audit record.
func (s *Store) WriteBatch(ctx context.Context, b store.Batch) error {
	if len(b.Files) == 0 && len(b.Contents) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		var deviceID int64
		if err := tx.QueryRowContext(ctx, `SELECT device_id FROM source WHERE id = ?`, b.SourceID).Scan(&deviceID); err != nil {
			return fmt.Errorf("source %d: %w", b.SourceID, err)
		}
		cstmt, err := tx.PrepareContext(ctx, contentUpsert)
		if err != nil {
			return err
		}
		defer cstmt.Close()
		for _, c := range b.Contents {
			args, err := contentArgs(c)
			if err != nil {
				return err
			}
			if _, err := cstmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("content %s: %w", c.SHA256, err)
			}
		}
		fstmt, err := tx.PrepareContext(ctx, `INSERT INTO file (device_id, source_id, path, parent_path, sha256, size,
			mtime, atime, ctime, btime, deleted, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source_id, path) DO NOTHING`)
		if err != nil {
			return err
		}
		defer fstmt.Close()
		var added, bytes, errs int64
		var lines []string
		for _, f := range b.Files {
			res, err := fstmt.ExecContext(ctx, deviceID, b.SourceID, f.Path, f.ParentPath, nullString(f.SHA256), f.Size,
				nullTime(f.MTime), nullTime(f.ATime), nullTime(f.CTime), nullTime(f.BTime), f.Deleted, nullString(f.Error))
			if err != nil {
				return fmt.Errorf("file %s: %w", f.Path, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			added++
			bytes += f.Size
			if f.Error != "" {
				errs++
			}
			lines = append(lines, f.Path+"\x00"+f.SHA256+"\n")
		}
		if added == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE source SET files = files + ?, bytes = bytes + ?, errors = errors + ? WHERE id = ?`,
			added, bytes, errs, b.SourceID); err != nil {
			return err
		}
		sort.Strings(lines)
		h := sha256.New()
		for _, l := range lines {
			h.Write([]byte(l))
		}
		return rec(audit.Entry{Action: "ingest.batch", Object: "source:" + strconv.FormatInt(b.SourceID, 10),
			Details: map[string]any{"files": added, "bytes": bytes, "errors": errs, "digest": hex.EncodeToString(h.Sum(nil))}})
	})
}

// SetContentAnalysis fills in analysis results for existing contents.
func (s *Store) SetContentAnalysis(ctx context.Context, cs []store.Content) error {
	if len(cs) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE content SET pdq = coalesce(pdq, ?), pdq_quality = coalesce(pdq_quality, ?),
			exif = coalesce(exif, ?), error = coalesce(error, ?), pdq_dihedral = coalesce(pdq_dihedral, ?) WHERE sha256 = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var pdqs int
		for _, c := range cs {
			args, err := contentArgs(c)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, args[6], args[7], args[8], args[9], args[11], c.SHA256); err != nil {
				return fmt.Errorf("content %s: %w", c.SHA256, err)
			}
			if c.PDQ != "" {
				pdqs++
			}
		}
		return rec(audit.Entry{Action: "content.analyse", Object: "contents", Details: map[string]any{"contents": len(cs), "pdq": pdqs}})
	})
}

const fileViewSelect = `SELECT d.label, f.path, f.parent_path, f.size, coalesce(c.md5, ''), coalesce(c.sha1, ''), coalesce(f.sha256, ''),
	coalesce(c.mime, ''), coalesce(c.kind, ''), c.pdq, c.pdq_quality, c.exif, coalesce(f.error, c.error), f.mtime, f.deleted,
	coalesce((SELECT min(s.status) FROM hit h JOIN hash_entry e ON e.id = h.entry_id JOIN hashset s ON s.id = e.set_id
		WHERE h.sha256 = f.sha256 AND s.status IN ('alert', 'known')), '')
	FROM file f JOIN device d ON d.id = f.device_id LEFT JOIN content c ON c.sha256 = f.sha256`

// Files calls fn for each matching file.
func (s *Store) Files(ctx context.Context, q store.FileQuery, fn func(store.FileView) error) error {
	var where []string
	var args []any
	if q.Device != "" {
		where, args = append(where, "d.label = ?"), append(args, q.Device)
	}
	if q.SourceID != 0 {
		where, args = append(where, "f.source_id = ?"), append(args, q.SourceID)
	}
	if q.Kind != "" {
		where, args = append(where, "c.kind = ?"), append(args, q.Kind)
	}
	if q.SHA256 != "" {
		where, args = append(where, "f.sha256 = ?"), append(args, q.SHA256)
	}
	if q.Errors {
		where = append(where, "(f.error IS NOT NULL OR c.error IS NOT NULL)")
	}
	if q.Undecided {
		where = append(where, "NOT EXISTS (SELECT 1 FROM decision x WHERE x.sha256 = f.sha256)")
	}
	const statusOf = `(SELECT min(s.status) FROM hit h JOIN hash_entry e ON e.id = h.entry_id JOIN hashset s ON s.id = e.set_id
		WHERE h.sha256 = f.sha256 AND s.status IN ('alert', 'known'))`
	switch q.Match {
	case "":
	case "alert", "known":
		where, args = append(where, statusOf+" = ?"), append(args, q.Match)
	case "none":
		where = append(where, statusOf+" IS NULL")
	default:
		return fmt.Errorf("files: match %q: use alert, known or none", q.Match)
	}
	query := fileViewSelect
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.r.QueryContext(ctx, query+" ORDER BY d.label, f.path", args...)
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v store.FileView
		var pdq, exif, ferr, mtime sql.NullString
		var qual sql.NullInt64
		if err := rows.Scan(&v.Device, &v.Path, &v.ParentPath, &v.Size, &v.MD5, &v.SHA1, &v.SHA256, &v.MIME, &v.Kind,
			&pdq, &qual, &exif, &ferr, &mtime, &v.Deleted, &v.Match); err != nil {
			return fmt.Errorf("files: %w", err)
		}
		if pdq.Valid {
			v.PDQ = &pdq.String
			n := int(qual.Int64)
			v.PDQQuality = &n
		}
		if ferr.Valid {
			v.Error = &ferr.String
		}
		v.EXIF = parseEXIF(exif)
		v.MTime = parseTime(mtime)
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func parseEXIF(s sql.NullString) *store.EXIF {
	if !s.Valid || s.String == "" {
		return nil
	}
	var e store.EXIF
	if json.Unmarshal([]byte(s.String), &e) != nil {
		return nil
	}
	return &e
}

const contentSelect = `SELECT sha256, coalesce(md5, ''), coalesce(sha1, ''), size, mime, kind, coalesce(pdq, ''),
	coalesce(pdq_quality, -1), exif, coalesce(error, ''), origin, coalesce(pdq_dihedral, '') FROM content`

func scanContent(r rowScanner) (store.Content, error) {
	var c store.Content
	var exif sql.NullString
	err := r.Scan(&c.SHA256, &c.MD5, &c.SHA1, &c.Size, &c.MIME, &c.Kind, &c.PDQ, &c.PDQQuality, &exif, &c.Error, &c.Origin, &c.PDQDihedral)
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	c.EXIF = parseEXIF(exif)
	return c, err
}

// Content returns one content.
func (s *Store) Content(ctx context.Context, sha string) (store.Content, error) {
	c, err := scanContent(s.r.QueryRowContext(ctx, contentSelect+` WHERE sha256 = ?`, strings.ToLower(sha)))
	if errors.Is(err, store.ErrNotFound) {
		return c, fmt.Errorf("content %s: %w", sha, err)
	}
	return c, err
}

// Contents calls fn for each matching content, in SHA-256 order.
func (s *Store) Contents(ctx context.Context, q store.ContentQuery, fn func(store.Content) error) error {
	var where []string
	var args []any
	if q.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, q.Kind)
	}
	if q.NeedPDQ {
		where = append(where, "pdq IS NULL AND error IS NULL AND origin = 'file'")
	}
	if q.HasPDQ {
		where = append(where, "pdq IS NOT NULL")
	}
	if q.Origin != "" {
		where, args = append(where, "origin = ?"), append(args, q.Origin)
	}
	if q.AfterSHA != "" {
		where, args = append(where, "sha256 > ?"), append(args, q.AfterSHA)
	}
	if q.NotMatchedWith != "" {
		where, args = append(where, "matched IS NOT ?"), append(args, q.NotMatchedWith)
	}
	if q.MatchedWith != "" {
		where, args = append(where, "matched = ?"), append(args, q.MatchedWith)
	}
	query := contentSelect
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY sha256"
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("contents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanContent(rows)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RecordVerification stores the outcome of re-reading a source.
func (s *Store) RecordVerification(ctx context.Context, sourceID int64, status string, details map[string]any) error {
	return s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		if _, err := tx.ExecContext(ctx, `UPDATE source SET verified = ?, verify_status = ? WHERE id = ?`,
			fmtTime(s.now()), status, sourceID); err != nil {
			return err
		}
		d := map[string]any{"status": status}
		for k, v := range details {
			d[k] = v
		}
		return rec(audit.Entry{Action: "verify", Object: "source:" + strconv.FormatInt(sourceID, 10), Details: d})
	})
}
