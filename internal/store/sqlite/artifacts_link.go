package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"vigil/internal/audit"
)

// LinkMedia links media messages to ingested files: by SHA-256 on the
// message's device, then on any device, then by path under the device.
func (s *Store) LinkMedia(ctx context.Context) (int64, error) {
	counts := map[string]any{}
	var total int64
	// A file whose path is the message's path is preferred among files of
	// the same content; then one not deleted; then the first recorded.
	const pick = ` ORDER BY (f.path = message.media_path OR substr(f.path, -length(message.media_path) - 1) = '/' || message.media_path) DESC,
		f.deleted, f.id LIMIT 1`
	for _, step := range []struct{ name, cond string }{
		// The unary + keeps SQLite from choosing the (device, path) index,
		// which made the lookup a scan of the device's files per message.
		{"sha256_same_device", `f.sha256 = message.media_sha256 AND +f.device_id = message.device_id`},
		{"sha256_other_device", `f.sha256 = message.media_sha256`},
	} {
		err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
			res, err := tx.ExecContext(ctx, `UPDATE message SET media_file_id = (SELECT f.id FROM file f WHERE `+step.cond+pick+`)
				WHERE media_file_id IS NULL AND media_sha256 IS NOT NULL AND EXISTS (SELECT 1 FROM file f WHERE `+step.cond+`)`)
			if err != nil {
				return fmt.Errorf("linking media by SHA-256: %w", err)
			}
			n, _ := res.RowsAffected()
			counts[step.name] = n
			total += n
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	byPath, mismatch, ambiguous, err := s.linkMediaByPath(ctx)
	total += byPath
	counts["path"], counts["path_hash_mismatch"], counts["path_ambiguous"] = byPath, mismatch, ambiguous
	if err != nil {
		return total, err
	}
	_, err = s.Record(ctx, audit.Entry{Action: "artifact.link-media", Object: "messages", Details: counts})
	return total, err
}

type fileRef struct {
	id     int64
	path   string // normalised
	sha256 string
}

// normPath makes a stored path comparable: forward slashes, no leading
// slash or "./".
func normPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return strings.TrimLeft(p, "/")
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// commonTail counts the trailing path components a and b share.
func commonTail(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	n := 0
	for n < len(as) && n < len(bs) && as[len(as)-1-n] == bs[len(bs)-1-n] {
		n++
	}
	return n
}

// matchPath finds the file a media path names among a device's files:
// the same path, else the file sharing the longest tail with it, which
// must cover the whole media path or at least its last three components
// ("Media/WhatsApp Images/IMG-….jpg"). Candidates of different contents
// sharing the best tail make the match ambiguous.
func matchPath(mp string, byPath map[string]fileRef, byBase map[string][]fileRef) (f fileRef, ok, ambiguous bool) {
	mp = normPath(mp)
	if mp == "" {
		return fileRef{}, false, false
	}
	if f, ok := byPath[mp]; ok {
		return f, true, false
	}
	need := strings.Count(mp, "/") + 1
	if need > 3 {
		need = 3
	}
	best, bestN := fileRef{}, 0
	for _, c := range byBase[baseName(mp)] {
		n := commonTail(mp, c.path)
		switch {
		case n < need || n < bestN:
		case n > bestN:
			best, bestN, ambiguous = c, n, false
		case c.sha256 != best.sha256:
			ambiguous = true
		}
	}
	if bestN == 0 || ambiguous {
		return fileRef{}, false, ambiguous
	}
	return best, true, false
}

type pathLink struct {
	msg  int64
	file fileRef
}

func (s *Store) linkMediaByPath(ctx context.Context) (linked, mismatch, ambiguous int64, err error) {
	devRows, err := s.r.QueryContext(ctx, `SELECT DISTINCT device_id FROM message WHERE media_file_id IS NULL AND media_path <> ''`)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("linking media by path: %w", err)
	}
	var devices []int64
	for devRows.Next() {
		var d int64
		if err := devRows.Scan(&d); err != nil {
			devRows.Close()
			return 0, 0, 0, err
		}
		devices = append(devices, d)
	}
	devRows.Close()
	if err := devRows.Err(); err != nil {
		return 0, 0, 0, err
	}
	for _, dev := range devices {
		byPath := map[string]fileRef{}
		byBase := map[string][]fileRef{}
		rows, err := s.r.QueryContext(ctx, `SELECT id, path, sha256 FROM file WHERE device_id = ? AND sha256 IS NOT NULL ORDER BY deleted, id`, dev)
		if err != nil {
			return linked, mismatch, ambiguous, fmt.Errorf("linking media by path: %w", err)
		}
		for rows.Next() {
			var f fileRef
			if err := rows.Scan(&f.id, &f.path, &f.sha256); err != nil {
				rows.Close()
				return linked, mismatch, ambiguous, err
			}
			f.path = normPath(f.path)
			if _, dup := byPath[f.path]; !dup {
				byPath[f.path] = f
			}
			b := baseName(f.path)
			byBase[b] = append(byBase[b], f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return linked, mismatch, ambiguous, err
		}
		if len(byPath) == 0 {
			continue
		}
		mrows, err := s.r.QueryContext(ctx, `SELECT id, media_path, coalesce(media_sha256, '') FROM message
			WHERE device_id = ? AND media_file_id IS NULL AND media_path <> ''`, dev)
		if err != nil {
			return linked, mismatch, ambiguous, fmt.Errorf("linking media by path: %w", err)
		}
		var links []pathLink
		for mrows.Next() {
			var id int64
			var mp, sha string
			if err := mrows.Scan(&id, &mp, &sha); err != nil {
				mrows.Close()
				return linked, mismatch, ambiguous, err
			}
			f, ok, amb := matchPath(mp, byPath, byBase)
			switch {
			case amb:
				ambiguous++
			case !ok:
			case sha != "" && sha != f.sha256:
				// The file at that path is another content: WhatsApp
				// reuses names; the message's own media is elsewhere or gone.
				mismatch++
			default:
				links = append(links, pathLink{id, f})
			}
		}
		mrows.Close()
		if err := mrows.Err(); err != nil {
			return linked, mismatch, ambiguous, err
		}
		for start := 0; start < len(links); start += 10000 {
			chunk := links[start:min(start+10000, len(links))]
			err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
				st, err := tx.PrepareContext(ctx, `UPDATE message SET media_file_id = ?, media_sha256 = coalesce(media_sha256, ?)
					WHERE id = ? AND media_file_id IS NULL`)
				if err != nil {
					return err
				}
				defer st.Close()
				for _, l := range chunk {
					res, err := st.ExecContext(ctx, l.file.id, l.file.sha256, l.msg)
					if err != nil {
						return fmt.Errorf("linking message %d: %w", l.msg, err)
					}
					n, _ := res.RowsAffected()
					linked += n
				}
				return nil
			})
			if err != nil {
				return linked, mismatch, ambiguous, err
			}
		}
	}
	return linked, mismatch, ambiguous, nil
}
