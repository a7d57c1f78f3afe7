package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"mime"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// Artifact writes resolve JIDs to account and chat rows. The lookups are
// cached across batches (an extraction of a million messages refers to the
// same few thousand JIDs over and over). Entries learnt in a transaction
// join the cache only once it commits; a merge of two accounts empties the
// cache, since ids it holds may be gone.
type artifactCache struct {
	accounts map[string]int64 // bare JID (or LID) → account id
	chats    map[string]int64 // bare JID → chat id
	seen     map[[2]int64]bool
	contents map[string]bool // SHA-256 already in content
}

func newArtifactCache() *artifactCache {
	return &artifactCache{accounts: map[string]int64{}, chats: map[string]int64{}, seen: map[[2]int64]bool{}, contents: map[string]bool{}}
}

func (c *artifactCache) size() int {
	return len(c.accounts) + len(c.chats) + len(c.seen) + len(c.contents)
}

// cacheLimit bounds the cache; past it the cache starts over.
const cacheLimit = 4 << 20

// artifactCache returns the store's lookup cache; callers hold s.mu (the
// write mutex), which guards it.
func (s *Store) artifactCache() *artifactCache {
	if s.artCache == nil {
		s.artCache = newArtifactCache()
	}
	return s.artCache
}

func (s *Store) resetArtifactCache() { s.artCache = newArtifactCache() }

const artifactSelect = `SELECT id, device_id, coalesce(source_id, 0), path, sha256, extractor, generation, status, counts, warnings,
	started, finished FROM artifact`

func scanArtifact(r rowScanner) (store.Artifact, error) {
	var a store.Artifact
	var counts, warnings string
	var started, finished sql.NullString
	err := r.Scan(&a.ID, &a.DeviceID, &a.SourceID, &a.Path, &a.SHA256, &a.Extractor, &a.Generation, &a.Status, &counts,
		&warnings, &started, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return a, store.ErrNotFound
	}
	if err != nil {
		return a, err
	}
	if counts != "" && counts != "{}" {
		_ = json.Unmarshal([]byte(counts), &a.Counts)
	}
	if warnings != "" && warnings != "[]" {
		_ = json.Unmarshal([]byte(warnings), &a.Warnings)
	}
	a.Started, a.Finished = parseTime(started), parseTime(finished)
	return a, nil
}

// BeginArtifact opens an extraction record, or finds a complete one, or
// reopens an interrupted one after deleting its partial rows.
func (s *Store) BeginArtifact(ctx context.Context, a store.Artifact) (store.Artifact, bool, error) {
	if a.DeviceID == 0 || a.Path == "" || a.Extractor == "" {
		return a, false, errors.New("artifact: device, path and extractor are required")
	}
	a.SHA256 = strings.ToLower(a.SHA256)
	var out store.Artifact
	var done bool
	err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		old, err := scanArtifact(tx.QueryRowContext(ctx, artifactSelect+` WHERE device_id = ? AND path = ? AND extractor = ? AND sha256 = ?`,
			a.DeviceID, a.Path, a.Extractor, a.SHA256))
		switch {
		case err == nil && old.Status == "complete":
			out, done = old, true
			return nil
		case err == nil:
			// An interrupted or failed extraction: drop what it wrote.
			n, err := deleteArtifactRows(ctx, tx, old.ID)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE artifact SET status = 'running', started = ?, finished = NULL,
				counts = '{}', warnings = '[]' WHERE id = ?`, fmtTime(s.now()), old.ID); err != nil {
				return fmt.Errorf("artifact %s: %w", a.Path, err)
			}
			out, err = scanArtifact(tx.QueryRowContext(ctx, artifactSelect+` WHERE id = ?`, old.ID))
			if err != nil {
				return err
			}
			return rec(audit.Entry{Action: "artifact.resume", Object: "artifact:" + strconv.FormatInt(old.ID, 10),
				Details: map[string]any{"device_id": a.DeviceID, "path": a.Path, "extractor": a.Extractor, "sha256": a.SHA256,
					"previous_status": old.Status, "deleted_rows": n}})
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		var src any
		if a.SourceID != 0 {
			src = a.SourceID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO artifact (device_id, source_id, path, sha256, extractor, generation, status, started)
			VALUES (?, ?, ?, ?, ?, ?, 'running', ?)`, a.DeviceID, src, a.Path, a.SHA256, a.Extractor, a.Generation, fmtTime(s.now()))
		if err != nil {
			return fmt.Errorf("artifact %s: %w", a.Path, err)
		}
		id, _ := res.LastInsertId()
		out, err = scanArtifact(tx.QueryRowContext(ctx, artifactSelect+` WHERE id = ?`, id))
		if err != nil {
			return err
		}
		return rec(audit.Entry{Action: "artifact.begin", Object: "artifact:" + strconv.FormatInt(id, 10),
			Details: map[string]any{"device_id": a.DeviceID, "path": a.Path, "extractor": a.Extractor, "sha256": a.SHA256}})
	})
	return out, done, err
}

// deleteArtifactRows removes the messages, events and links an
// extraction wrote. Accounts, chats and memberships are left: they are
// upserted, so a rerun finds them again.
func deleteArtifactRows(ctx context.Context, tx *sql.Tx, id int64) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM invite_link WHERE artifact_id = ?`,
		`DELETE FROM event_target WHERE event_id IN (SELECT id FROM event WHERE artifact_id = ?)`,
		`DELETE FROM event WHERE artifact_id = ?`,
		`DELETE FROM message WHERE artifact_id = ?`,
	} {
		res, err := tx.ExecContext(ctx, q, id)
		if err != nil {
			return total, fmt.Errorf("artifact %d: clearing partial rows: %w", id, err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// FinishArtifact closes an extraction record.
func (s *Store) FinishArtifact(ctx context.Context, id int64, status string, counts map[string]int64, warnings []string) error {
	switch status {
	case "complete", "failed", "interrupted":
	default:
		return fmt.Errorf("artifact %d: status %q: use complete, failed or interrupted", id, status)
	}
	if warnings == nil {
		warnings = []string{}
	}
	wj, err := json.Marshal(warnings)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		// What the extraction stored, counted here: extractors report only
		// what the store cannot see.
		var msgs, media, events, links int64
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM message WHERE artifact_id = ?1),
			(SELECT count(*) FROM message WHERE artifact_id = ?1 AND media_sha256 IS NOT NULL),
			(SELECT count(*) FROM event WHERE artifact_id = ?1),
			(SELECT count(*) FROM invite_link WHERE artifact_id = ?1)`, id).Scan(&msgs, &media, &events, &links); err != nil {
			return fmt.Errorf("artifact %d: %w", id, err)
		}
		all := map[string]int64{"messages": msgs, "media": media, "events": events, "links": links}
		for k, v := range counts {
			all[k] = v
		}
		counts = all
		cj, err := json.Marshal(counts)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE artifact SET status = ?, counts = ?, warnings = ?, finished = ? WHERE id = ?`,
			status, string(cj), string(wj), fmtTime(s.now()), id)
		if err != nil {
			return fmt.Errorf("artifact %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("artifact %d: %w", id, store.ErrNotFound)
		}
		// The lookup cache lives as long as extractions run: a finished one
		// lets it go (the next extraction fills it again).
		s.artCache = nil
		d := map[string]any{"status": status, "counts": counts, "warnings": len(warnings)}
		return rec(audit.Entry{Action: "artifact.finish", Object: "artifact:" + strconv.FormatInt(id, 10), Details: d})
	})
}

// ArtifactRecords lists extraction records.
func (s *Store) ArtifactRecords(ctx context.Context, label string) ([]store.Artifact, error) {
	q, args := artifactSelect, []any{}
	if label != "" {
		q, args = q+` WHERE device_id = (SELECT id FROM device WHERE label = ?)`, append(args, label)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("artifacts: %w", err)
	}
	defer rows.Close()
	var out []store.Artifact
	for rows.Next() {
		a, err := scanArtifact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// batchWriter writes one ArtifactBatch inside one transaction.
type batchWriter struct {
	s          *Store
	ctx        context.Context
	tx         *sql.Tx
	rec        recorder
	artifact   int64
	device     int64
	cache      *artifactCache // committed entries
	pending    *artifactCache // entries learnt in this transaction
	merged     bool
	stmts      map[string]*sql.Stmt
	hash       hash.Hash // digest of the batch's rows, for its audit record
	msgArgs    []any     // queued message rows
	memberArgs []any     // queued memberships
	msgRefs    []string
	added      int64 // messages inserted (not already there)
}

func (w *batchWriter) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *batchWriter) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// line adds one row to the batch digest.
func (w *batchWriter) line(fields ...string) {
	for i, f := range fields {
		if i > 0 {
			w.hash.Write([]byte{0})
		}
		w.hash.Write([]byte(f))
	}
	w.hash.Write([]byte{'\n'})
}

// WriteArtifact stores one batch of an extraction's findings.
func (s *Store) WriteArtifact(ctx context.Context, id int64, b store.ArtifactBatch) error {
	var w *batchWriter
	err := s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		w = &batchWriter{s: s, ctx: ctx, tx: tx, rec: rec, artifact: id, cache: s.artifactCache(), pending: newArtifactCache(),
			stmts: map[string]*sql.Stmt{}, hash: sha256.New()}
		defer w.close()
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT device_id, status FROM artifact WHERE id = ?`, id).Scan(&w.device, &status); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("artifact %d: %w (BeginArtifact first)", id, store.ErrNotFound)
			}
			return fmt.Errorf("artifact %d: %w", id, err)
		}
		if status != "running" {
			return fmt.Errorf("artifact %d is %s: findings are written between BeginArtifact and FinishArtifact", id, status)
		}
		if b.Generation != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE artifact SET generation = ? WHERE id = ?`, b.Generation, id); err != nil {
				return err
			}
		}
		return w.write(b)
	})
	if w != nil {
		// The cache is shared by every writer of this store and guarded by
		// the write mutex. Entries join it only once their transaction
		// committed, and only if no merge replaced the cache meanwhile.
		s.mu.Lock()
		defer s.mu.Unlock()
		if err == nil && !w.merged && w.cache == s.artifactCache() {
			c := w.cache
			if c.size()+w.pending.size() > cacheLimit {
				s.resetArtifactCache()
				c = s.artifactCache()
			}
			for k, v := range w.pending.accounts {
				c.accounts[k] = v
			}
			for k, v := range w.pending.chats {
				c.chats[k] = v
			}
			for k := range w.pending.seen {
				c.seen[k] = true
			}
			for k := range w.pending.contents {
				c.contents[k] = true
			}
		} else if w.merged {
			s.resetArtifactCache()
		}
	}
	return err
}

func (w *batchWriter) write(b store.ArtifactBatch) error {
	counts := map[string]any{}
	for _, a := range b.Accounts {
		if err := w.describeAccount(a); err != nil {
			return err
		}
	}
	for _, c := range b.Chats {
		if err := w.describeChat(c); err != nil {
			return err
		}
	}
	for _, m := range b.Members {
		if err := w.member(m); err != nil {
			return err
		}
	}
	if err := w.flushMembers(); err != nil {
		return err
	}
	for i := range b.Messages {
		if err := w.message(&b.Messages[i]); err != nil {
			return err
		}
	}
	if err := w.flushMessages(); err != nil {
		return err
	}
	added := w.added
	for i := range b.Events {
		if err := w.event(&b.Events[i]); err != nil {
			return err
		}
	}
	for i := range b.Links {
		if err := w.link(&b.Links[i]); err != nil {
			return err
		}
	}
	counts["accounts"], counts["chats"], counts["members"] = len(b.Accounts), len(b.Chats), len(b.Members)
	counts["messages"], counts["messages_added"], counts["events"], counts["links"] = len(b.Messages), added, len(b.Events), len(b.Links)
	counts["digest"] = hex.EncodeToString(w.hash.Sum(nil))
	return w.rec(audit.Entry{Action: "artifact.batch", Object: "artifact:" + strconv.FormatInt(w.artifact, 10), Details: counts})
}

// normJID returns the canonical key of an identity: the bare JID, or the
// text itself (trimmed) for identities that are not JIDs ("name:…").
func normJID(s string) (string, phone.JID, bool) {
	s = strings.TrimSpace(s)
	j, err := phone.ParseJID(s)
	if err != nil {
		return s, phone.JID{}, false
	}
	return j.Bare(), j, true
}

func (w *batchWriter) cachedAccount(key string) (int64, bool) {
	if id, ok := w.pending.accounts[key]; ok {
		return id, true
	}
	id, ok := w.cache.accounts[key]
	return id, ok
}

// findAccount looks an identity up without creating it: by JID, then by
// phone for phone JIDs, by LID for LID JIDs.
func (w *batchWriter) findAccount(key string, j phone.JID, isJID bool) (int64, error) {
	if id, ok := w.cachedAccount(key); ok {
		return id, nil
	}
	st, err := w.stmt(`SELECT id FROM account WHERE jid = ?`)
	if err != nil {
		return 0, err
	}
	var id int64
	err = st.QueryRowContext(w.ctx, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) && isJID {
		switch j.Kind() {
		case phone.KindPerson:
			if n, ok := j.Number(); ok {
				st, err2 := w.stmt(`SELECT id FROM account WHERE phone = ? ORDER BY id LIMIT 1`)
				if err2 != nil {
					return 0, err2
				}
				err = st.QueryRowContext(w.ctx, n.E164).Scan(&id)
			}
		case phone.KindLID:
			st, err2 := w.stmt(`SELECT id FROM account WHERE lid = ?`)
			if err2 != nil {
				return 0, err2
			}
			err = st.QueryRowContext(w.ctx, key).Scan(&id)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("account %s: %w", key, err)
	}
	w.pending.accounts[key] = id
	return id, nil
}

// account returns the row of an identity, creating a bare one when it is
// new, and records that this device saw it.
func (w *batchWriter) account(jid string) (int64, error) {
	if strings.TrimSpace(jid) == store.OwnerJID {
		return w.owner()
	}
	key, j, isJID := normJID(jid)
	if key == "" {
		return 0, nil
	}
	id, err := w.findAccount(key, j, isJID)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		var ph, cc any
		if n, ok := j.Number(); ok && isJID {
			ph = n.E164
			if n.Region != "" {
				cc = n.Region
			}
		}
		st, err := w.stmt(`INSERT INTO account (jid, phone, country) VALUES (?, ?, ?)`)
		if err != nil {
			return 0, err
		}
		res, err := st.ExecContext(w.ctx, key, ph, cc)
		if err != nil {
			return 0, fmt.Errorf("account %s: %w", key, err)
		}
		id, _ = res.LastInsertId()
		w.pending.accounts[key] = id
	}
	return id, w.sawAccount(id)
}

// owner returns the account of the device's owner, creating a
// placeholder when no source has named the owner yet.
func (w *batchWriter) owner() (int64, error) {
	key := store.OwnerJID + strconv.FormatInt(w.device, 10)
	if id, ok := w.cachedAccount(key); ok {
		return id, nil
	}
	var owner sql.NullInt64
	var label string
	if err := w.tx.QueryRowContext(w.ctx, `SELECT owner_account_id, label FROM device WHERE id = ?`, w.device).Scan(&owner, &label); err != nil {
		return 0, fmt.Errorf("device %d: %w", w.device, err)
	}
	if owner.Valid {
		w.pending.accounts[key] = owner.Int64
		return owner.Int64, nil
	}
	pkey := store.OwnerJID + label
	id, err := w.findAccount(pkey, phone.JID{}, false)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		res, err := w.tx.ExecContext(w.ctx, `INSERT INTO account (jid) VALUES (?)`, pkey)
		if err != nil {
			return 0, fmt.Errorf("owner of %s: %w", label, err)
		}
		id, _ = res.LastInsertId()
	}
	if err := w.sawAccount(id); err != nil {
		return 0, err
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE account_device SET owner = 1, basis = 'placeholder' WHERE account_id = ? AND device_id = ?`, id, w.device); err != nil {
		return 0, err
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE device SET owner_account_id = ?, owner_basis = 'placeholder' WHERE id = ?`, id, w.device); err != nil {
		return 0, err
	}
	w.pending.accounts[key] = id
	w.pending.accounts[pkey] = id
	return id, nil
}

func (w *batchWriter) sawAccount(id int64) error {
	k := [2]int64{id, w.device}
	if w.pending.seen[k] || w.cache.seen[k] {
		return nil
	}
	st, err := w.stmt(`INSERT INTO account_device (account_id, device_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(w.ctx, id, w.device); err != nil {
		return fmt.Errorf("account %d on device %d: %w", id, w.device, err)
	}
	w.pending.seen[k] = true
	return nil
}

// describeAccount stores what a source says of an identity: phone,
// country, LID mapping, names, ownership of the device.
func (w *batchWriter) describeAccount(a store.Account) error {
	key, j, isJID := normJID(a.JID)
	if key == "" {
		return errors.New("account without a JID")
	}
	lid := ""
	if a.LID != "" {
		l, lj, ok := normJID(a.LID)
		if !ok || lj.Kind() != phone.KindLID {
			return fmt.Errorf("account %s: LID %q is not a …@lid JID", key, a.LID)
		}
		if l != key {
			lid = l
		}
	}
	var id int64
	var err error
	if key == store.OwnerJID {
		id, err = w.owner()
	} else if lid != "" && (!isJID || j.Kind() == phone.KindPerson) {
		id, err = w.mapLID(key, j, isJID, lid)
	} else {
		id, err = w.account(key)
	}
	if err != nil {
		return err
	}
	if err := w.sawAccount(id); err != nil {
		return err
	}
	if a.Phone != "" || a.Country != "" {
		if _, err := w.tx.ExecContext(w.ctx, `UPDATE account SET phone = coalesce(phone, ?), country = coalesce(country, ?) WHERE id = ?`,
			nullString(a.Phone), nullString(a.Country), id); err != nil {
			return fmt.Errorf("account %s: %w", key, err)
		}
	}
	if len(a.Names) > 0 {
		st, err := w.stmt(`INSERT INTO account_name (account_id, name, device_id, basis) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		for _, n := range a.Names {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			if _, err := st.ExecContext(w.ctx, id, n, w.device, a.NameBasis); err != nil {
				return fmt.Errorf("account %s: name: %w", key, err)
			}
		}
	}
	if a.Owner && key != store.OwnerJID {
		if err := w.setOwner(id, key, a.OwnerBasis); err != nil {
			return err
		}
	}
	w.line("a", key, lid, a.Phone, a.Country, strings.Join(a.Names, "\x01"), strconv.FormatBool(a.Owner))
	return nil
}

// setOwner records that account id (key) owns the device. A placeholder
// owner made before is merged into it; an owner already named stays the
// device's first owner (a phone may run WhatsApp and WhatsApp Business
// under two numbers: both are marked owners of the device).
func (w *batchWriter) setOwner(id int64, key, basis string) error {
	var cur sql.NullInt64
	var curJID sql.NullString
	if err := w.tx.QueryRowContext(w.ctx, `SELECT d.owner_account_id, a.jid FROM device d LEFT JOIN account a ON a.id = d.owner_account_id
		WHERE d.id = ?`, w.device).Scan(&cur, &curJID); err != nil {
		return fmt.Errorf("device %d: %w", w.device, err)
	}
	if cur.Valid && cur.Int64 != id && strings.HasPrefix(curJID.String, store.OwnerJID) {
		if err := w.mergeAccounts(cur.Int64, id, "the owner of the device is "+key); err != nil {
			return err
		}
		cur.Valid = false
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE account_device SET owner = 1, basis = ? WHERE account_id = ? AND device_id = ?`,
		basis, id, w.device); err != nil {
		return err
	}
	if !cur.Valid || cur.Int64 == id {
		if _, err := w.tx.ExecContext(w.ctx, `UPDATE device SET owner_account_id = ?, owner_basis = ? WHERE id = ?`, id, basis, w.device); err != nil {
			return err
		}
	}
	return nil
}

// mapLID records that the LID lid and the identity key are one account,
// merging the two rows when both exist.
func (w *batchWriter) mapLID(key string, j phone.JID, isJID bool, lid string) (int64, error) {
	p, err := w.findAccount(key, j, isJID)
	if err != nil {
		return 0, err
	}
	lj, _ := phone.ParseJID(lid)
	l, err := w.findAccount(lid, lj, true)
	if err != nil {
		return 0, err
	}
	switch {
	case p == 0 && l == 0:
		id, err := w.account(key)
		if err != nil {
			return 0, err
		}
		return id, w.setLID(id, lid)
	case p == 0:
		// Known so far only by its LID: the row becomes the phone's.
		var ph, cc any
		if n, ok := j.Number(); ok {
			ph = n.E164
			if n.Region != "" {
				cc = n.Region
			}
		}
		if _, err := w.tx.ExecContext(w.ctx, `UPDATE account SET jid = ?, phone = coalesce(phone, ?), country = coalesce(country, ?),
			lid = ? WHERE id = ?`, key, ph, cc, lid, l); err != nil {
			return 0, fmt.Errorf("account %s: mapping LID %s: %w", key, lid, err)
		}
		w.pending.accounts[key] = l
		w.pending.accounts[lid] = l
		if err := w.rec(audit.Entry{Action: "account.map-lid", Object: "account:" + key,
			Details: map[string]any{"lid": lid, "account_id": l}}); err != nil {
			return 0, err
		}
		return l, w.sawAccount(l)
	case l == 0 || l == p:
		return p, w.setLID(p, lid)
	default:
		if err := w.mergeAccounts(l, p, "lid "+lid+" maps to "+key); err != nil {
			return 0, err
		}
		return p, w.setLID(p, lid)
	}
}

func (w *batchWriter) setLID(id int64, lid string) error {
	var old sql.NullString
	if err := w.tx.QueryRowContext(w.ctx, `SELECT lid FROM account WHERE id = ?`, id).Scan(&old); err != nil {
		return err
	}
	if old.Valid && old.String != "" {
		// An account keeps the first LID it was given; a different one is
		// a conflict the sources must resolve, not the store.
		return nil
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE account SET lid = ? WHERE id = ?`, lid, id); err != nil {
		return fmt.Errorf("account %d: LID %s: %w", id, lid, err)
	}
	w.pending.accounts[lid] = id
	return nil
}

// roleRank orders roles, for keeping the highest.
const roleRankSQL = `CASE %s WHEN 'creator' THEN 2 WHEN 'admin' THEN 1 ELSE 0 END`

// mergeAccounts folds account from into account to: every reference moves,
// names, devices and memberships are united, and from is deleted. Audited.
func (w *batchWriter) mergeAccounts(from, to int64, why string) error {
	ctx, tx := w.ctx, w.tx
	var fromJID, toJID string
	var fromLID sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT jid, lid FROM account WHERE id = ?`, from).Scan(&fromJID, &fromLID); err != nil {
		return fmt.Errorf("merging account %d: %w", from, err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT jid FROM account WHERE id = ?`, to).Scan(&toJID); err != nil {
		return fmt.Errorf("merging into account %d: %w", to, err)
	}
	rf, rt := fmt.Sprintf(roleRankSQL, "f.role"), fmt.Sprintf(roleRankSQL, "member.role")
	steps := []string{
		// Memberships both accounts have on the same chat and device are
		// united: highest role, either current, earliest and latest seen.
		`UPDATE member SET
			role = coalesce((SELECT f.role FROM member f WHERE f.account_id = ?1 AND f.chat_id = member.chat_id AND f.device_id = member.device_id AND ` + rf + ` > ` + rt + `), role),
			current = max(current, coalesce((SELECT f.current FROM member f WHERE f.account_id = ?1 AND f.chat_id = member.chat_id AND f.device_id = member.device_id), 0)),
			first_seen = CASE WHEN first_seen IS NULL THEN (SELECT f.first_seen FROM member f WHERE f.account_id = ?1 AND f.chat_id = member.chat_id AND f.device_id = member.device_id)
				ELSE min(first_seen, coalesce((SELECT f.first_seen FROM member f WHERE f.account_id = ?1 AND f.chat_id = member.chat_id AND f.device_id = member.device_id), first_seen)) END,
			last_seen = max(coalesce(last_seen, ''), coalesce((SELECT f.last_seen FROM member f WHERE f.account_id = ?1 AND f.chat_id = member.chat_id AND f.device_id = member.device_id), ''))
			WHERE account_id = ?2 AND EXISTS (SELECT 1 FROM member f WHERE f.account_id = ?1 AND f.chat_id = member.chat_id AND f.device_id = member.device_id)`,
		`UPDATE member SET last_seen = NULL WHERE account_id = ?2 AND last_seen = ''`,
		`UPDATE OR IGNORE member SET account_id = ?2 WHERE account_id = ?1`,
		`DELETE FROM member WHERE account_id = ?1`,
		`UPDATE account_device SET owner = 1, basis = (SELECT f.basis FROM account_device f WHERE f.account_id = ?1 AND f.device_id = account_device.device_id)
			WHERE account_id = ?2 AND owner = 0 AND device_id IN (SELECT device_id FROM account_device WHERE account_id = ?1 AND owner = 1)`,
		`UPDATE OR IGNORE account_device SET account_id = ?2 WHERE account_id = ?1`,
		`DELETE FROM account_device WHERE account_id = ?1`,
		`UPDATE OR IGNORE account_name SET account_id = ?2 WHERE account_id = ?1`,
		`DELETE FROM account_name WHERE account_id = ?1`,
		`UPDATE OR IGNORE event_target SET account_id = ?2 WHERE account_id = ?1`,
		`DELETE FROM event_target WHERE account_id = ?1`,
		`UPDATE event SET actor_id = ?2 WHERE actor_id = ?1`,
		`UPDATE message SET sender_id = ?2 WHERE sender_id = ?1`,
		`UPDATE chat SET creator_id = ?2 WHERE creator_id = ?1`,
		`UPDATE chat_subject SET actor_id = ?2 WHERE actor_id = ?1`,
		`UPDATE device SET owner_account_id = ?2 WHERE owner_account_id = ?1`,
		`UPDATE account SET lid = NULL WHERE id = ?1`,
		`UPDATE account SET phone = coalesce(phone, (SELECT phone FROM account WHERE id = ?1)),
			country = coalesce(country, (SELECT country FROM account WHERE id = ?1)) WHERE id = ?2`,
		`DELETE FROM account WHERE id = ?1`,
	}
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q, from, to); err != nil {
			return fmt.Errorf("merging account %s into %s: %w", fromJID, toJID, err)
		}
	}
	if fromLID.Valid && fromLID.String != "" {
		if err := w.setLID(to, fromLID.String); err != nil {
			return err
		}
	}
	// Ids in the caches may point at the deleted row.
	w.merged = true
	w.cache = newArtifactCache()
	w.s.resetArtifactCache()
	for k, v := range w.pending.accounts {
		if v == from {
			w.pending.accounts[k] = to
		}
	}
	for k := range w.pending.seen {
		if k[0] == from {
			delete(w.pending.seen, k)
		}
	}
	w.pending.accounts[fromJID] = to
	return w.rec(audit.Entry{Action: "account.merge", Object: "account:" + toJID,
		Details: map[string]any{"merged": fromJID, "merged_id": from, "into_id": to, "why": why}})
}

// chatKind tells a chat's kind from its JID when the source does not.
func chatKind(j phone.JID, isJID bool) string {
	if !isJID {
		return store.ChatDirect
	}
	switch j.Kind() {
	case phone.KindGroup:
		return store.ChatGroup
	case phone.KindStatus:
		return store.ChatStatus
	case phone.KindBroadcast:
		return store.ChatBroadcast
	case phone.KindNewsletter:
		return store.ChatNewsletter
	}
	return store.ChatDirect
}

// chat returns the row of a chat, creating it when new, and records that
// this device saw it.
func (w *batchWriter) chat(jid, kind string) (int64, error) {
	key, j, isJID := normJID(jid)
	if key == "" {
		return 0, errors.New("chat without a JID")
	}
	if id, ok := w.pending.chats[key]; ok {
		return id, nil
	}
	if id, ok := w.cache.chats[key]; ok {
		return id, w.sawChat(id)
	}
	st, err := w.stmt(`SELECT id FROM chat WHERE jid = ?`)
	if err != nil {
		return 0, err
	}
	var id int64
	err = st.QueryRowContext(w.ctx, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if kind == "" {
			kind = chatKind(j, isJID)
		}
		res, err := w.tx.ExecContext(w.ctx, `INSERT INTO chat (jid, kind) VALUES (?, ?)`, key, kind)
		if err != nil {
			return 0, fmt.Errorf("chat %s: %w", key, err)
		}
		id, _ = res.LastInsertId()
	} else if err != nil {
		return 0, fmt.Errorf("chat %s: %w", key, err)
	}
	w.pending.chats[key] = id
	return id, w.sawChat(id)
}

func (w *batchWriter) sawChat(id int64) error {
	k := [2]int64{-id, w.device} // negative ids keep chats apart from accounts in the seen set
	if w.pending.seen[k] || w.cache.seen[k] {
		return nil
	}
	st, err := w.stmt(`INSERT INTO chat_device (chat_id, device_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(w.ctx, id, w.device); err != nil {
		return fmt.Errorf("chat %d on device %d: %w", id, w.device, err)
	}
	w.pending.seen[k] = true
	return nil
}

// creatorBasisRank orders the ways a creator is known, strongest first.
var creatorBasisRank = map[string]int{"rank": 5, "group-info": 4, "wa.db": 4, "event": 3, "group-id": 1}

func (w *batchWriter) describeChat(c store.Chat) error {
	id, err := w.chat(c.JID, c.Kind)
	if err != nil {
		return err
	}
	ctx, tx := w.ctx, w.tx
	if c.Kind != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE chat SET kind = ? WHERE id = ? AND kind <> ?`, c.Kind, id, c.Kind); err != nil {
			return err
		}
	}
	if !c.Created.IsZero() {
		t := fmtTime(c.Created)
		if _, err := tx.ExecContext(ctx, `UPDATE chat SET created = ? WHERE id = ? AND (created IS NULL OR created > ?)`, t, id, t); err != nil {
			return err
		}
	}
	if c.Description != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE chat SET description = ? WHERE id = ?`, c.Description, id); err != nil {
			return err
		}
	}
	if c.CreatorJID != "" {
		creator, err := w.account(c.CreatorJID)
		if err != nil {
			return err
		}
		var oldBasis string
		var oldCreator sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT creator_id, creator_basis FROM chat WHERE id = ?`, id).Scan(&oldCreator, &oldBasis); err != nil {
			return err
		}
		if !oldCreator.Valid || creatorBasisRank[c.CreatorBasis] > creatorBasisRank[oldBasis] {
			if _, err := tx.ExecContext(ctx, `UPDATE chat SET creator_id = ?, creator_basis = ? WHERE id = ?`, creator, c.CreatorBasis, id); err != nil {
				return err
			}
		}
	}
	subjects := c.Subjects
	if c.Subject != "" {
		dated := false
		for _, h := range subjects {
			if h.Subject == c.Subject {
				dated = true
			}
		}
		if !dated {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chat_subject WHERE chat_id = ? AND subject = ?`, id, c.Subject).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				subjects = append(subjects, store.SubjectChange{Subject: c.Subject})
			}
		}
	}
	for _, h := range subjects {
		var actor any
		if h.ActorJID != "" {
			a, err := w.account(h.ActorJID)
			if err != nil {
				return err
			}
			actor = a
		}
		t := ""
		if !h.Time.IsZero() {
			t = fmtTime(h.Time)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_subject (chat_id, subject, time, actor_id, device_id) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (chat_id, subject, time) DO UPDATE SET actor_id = coalesce(chat_subject.actor_id, excluded.actor_id)`,
			id, h.Subject, t, actor, w.device); err != nil {
			return fmt.Errorf("chat %s: subject: %w", c.JID, err)
		}
	}
	// The current subject: the latest dated one, else the first seen.
	if _, err := tx.ExecContext(ctx, `UPDATE chat SET subject = coalesce(
			(SELECT subject FROM chat_subject WHERE chat_id = ?1 AND time <> '' ORDER BY time DESC LIMIT 1),
			CASE WHEN subject = '' THEN ?2 ELSE subject END) WHERE id = ?1`, id, c.Subject); err != nil {
		return err
	}
	w.line("c", c.JID, c.Kind, c.Subject, fmtTimeOrEmpty(c.Created), c.CreatorJID, c.CreatorBasis)
	return nil
}

func fmtTimeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtTime(t)
}

func (w *batchWriter) member(m store.Member) error {
	chat, err := w.chat(m.ChatJID, "")
	if err != nil {
		return err
	}
	acc, err := w.account(m.AccountJID)
	if err != nil {
		return err
	}
	if acc == 0 {
		return fmt.Errorf("member of %s without an account JID", m.ChatJID)
	}
	role := m.Role
	switch role {
	case store.RoleMember, store.RoleAdmin, store.RoleCreator:
	case "":
		role = store.RoleMember
	default:
		return fmt.Errorf("member %s of %s: role %q: use member, admin or creator", m.AccountJID, m.ChatJID, m.Role)
	}
	var raw any
	if m.RoleRaw != nil {
		raw = *m.RoleRaw
	}
	w.memberArgs = append(w.memberArgs, chat, acc, w.device, role, raw, m.Current, nullTime(m.FirstSeen), nullTime(m.LastSeen), m.Pending)
	w.line("m", m.ChatJID, m.AccountJID, role, strconv.FormatBool(m.Current))
	if len(w.memberArgs) == memberArgs*messageChunk {
		return w.flushMembers()
	}
	return nil
}

const memberArgs = 9

// memberInsert returns the upsert of n memberships: a membership seen
// again keeps its highest role, is current if either says so, and spans
// both sightings.
func memberInsert(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO member (chat_id, account_id, device_id, role, role_raw, current, first_seen, last_seen, pending) VALUES `)
	writeRows(&b, n, memberArgs)
	b.WriteString(` ON CONFLICT (chat_id, account_id, device_id) DO UPDATE SET
		role = CASE WHEN ` + fmt.Sprintf(roleRankSQL, "excluded.role") + ` > ` + fmt.Sprintf(roleRankSQL, "member.role") + ` THEN excluded.role ELSE member.role END,
		role_raw = coalesce(excluded.role_raw, member.role_raw),
		current = max(member.current, excluded.current),
		pending = CASE WHEN excluded.current AND NOT member.current THEN excluded.pending ELSE member.pending AND excluded.pending END,
		first_seen = CASE WHEN member.first_seen IS NULL OR excluded.first_seen < member.first_seen THEN coalesce(excluded.first_seen, member.first_seen) ELSE member.first_seen END,
		last_seen = CASE WHEN member.last_seen IS NULL OR excluded.last_seen > member.last_seen THEN coalesce(excluded.last_seen, member.last_seen) ELSE member.last_seen END`)
	return b.String()
}

// flushMembers writes the queued memberships.
func (w *batchWriter) flushMembers() error {
	n := len(w.memberArgs) / memberArgs
	if n == 0 {
		return nil
	}
	st, err := w.stmt(memberInsert(n))
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(w.ctx, w.memberArgs...); err != nil {
		return fmt.Errorf("members: %w", err)
	}
	w.memberArgs = w.memberArgs[:0]
	return nil
}

// mediaKind is a content kind from a MIME type.
func mediaKind(m string) string {
	if m == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(m); err == nil {
		m = mt
	}
	switch {
	case strings.HasPrefix(m, "image/"):
		return store.KindImage
	case strings.HasPrefix(m, "video/"):
		return store.KindVideo
	case strings.HasPrefix(m, "audio/"):
		return store.KindAudio
	case strings.HasPrefix(m, "application/") || strings.HasPrefix(m, "text/"):
		return store.KindDocument
	}
	return store.KindOther
}

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// content makes sure a media hash has its content row (origin "chat" when
// no file brought it), so hash-set matching covers media that is on no
// seized device.
func (w *batchWriter) content(sha, mimeType string) error {
	if w.pending.contents[sha] || w.cache.contents[sha] {
		return nil
	}
	st, err := w.stmt(contentUpsert)
	if err != nil {
		return err
	}
	args, err := contentArgs(store.Content{SHA256: sha, Size: -1, MIME: mimeType, Kind: mediaKind(mimeType), Origin: "chat"})
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(w.ctx, args...); err != nil {
		return fmt.Errorf("content %s: %w", sha, err)
	}
	w.pending.contents[sha] = true
	return nil
}

const messageColumns = `INSERT INTO message (device_id, artifact_id, row_ref, chat_id, sender_id, time, from_me, type, type_raw,
	key_id, text, caption, media_sha256, media_path, media_mime, media_size, media_name, forwarded) VALUES `

const messageArgs = 18

// messageChunk is how many messages one INSERT statement writes: one
// statement per row costs more in statement overhead than in B-tree work.
const messageChunk = 64

// messageInsert returns the INSERT statement for n rows.
func messageInsert(n int) string {
	var b strings.Builder
	b.WriteString(messageColumns)
	writeRows(&b, n, messageArgs)
	b.WriteString(" ON CONFLICT (artifact_id, row_ref) DO NOTHING")
	return b.String()
}

// writeRows writes the placeholders of n rows of k values: "(?, ?), (?, ?)".
func writeRows(b *strings.Builder, n, k int) {
	row := "(" + strings.Repeat("?, ", k-1) + "?)"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
}

// message checks and resolves one message and queues its row.
func (w *batchWriter) message(m *store.Message) error {
	if m.RowRef == "" {
		return fmt.Errorf("message in %s without a row reference", m.ChatJID)
	}
	chat, err := w.chat(m.ChatJID, "")
	if err != nil {
		return fmt.Errorf("message %s: %w", m.RowRef, err)
	}
	var sender any
	if m.SenderJID != "" {
		id, err := w.account(m.SenderJID)
		if err != nil {
			return err
		}
		if id != 0 {
			sender = id
		}
	}
	var sha any
	if m.MediaSHA256 != "" {
		h := strings.ToLower(m.MediaSHA256)
		if !validSHA256(h) {
			return fmt.Errorf("message %s: media hash %q is not a hex SHA-256", m.RowRef, m.MediaSHA256)
		}
		if err := w.content(h, m.MediaMIME); err != nil {
			return err
		}
		sha = h
	}
	var size, raw any
	if m.MediaSize >= 0 && (m.MediaSize > 0 || m.MediaSHA256 != "" || m.MediaPath != "") {
		size = m.MediaSize
	}
	if m.TypeRaw != nil {
		raw = *m.TypeRaw
	}
	typ := m.Type
	if typ == "" {
		typ = "unknown"
	}
	t := fmtTimeOrEmpty(m.Time)
	w.msgArgs = append(w.msgArgs, w.device, w.artifact, m.RowRef, chat, sender, t, m.FromMe, typ, raw,
		m.KeyID, m.Text, m.Caption, sha, m.MediaPath, m.MediaMIME, size, m.MediaName, m.Forwarded)
	w.msgRefs = append(w.msgRefs, m.RowRef)
	shaS, _ := sha.(string)
	w.line("msg", m.RowRef, m.ChatJID, m.SenderJID, t, typ, m.KeyID, shaS, m.MediaPath, m.Text, m.Caption)
	if len(w.msgRefs) == messageChunk {
		return w.flushMessages()
	}
	return nil
}

// flushMessages inserts the queued rows.
func (w *batchWriter) flushMessages() error {
	n := len(w.msgRefs)
	if n == 0 {
		return nil
	}
	st, err := w.stmt(messageInsert(n))
	if err != nil {
		return err
	}
	res, err := st.ExecContext(w.ctx, w.msgArgs...)
	if err != nil {
		return fmt.Errorf("messages %s to %s: %w", w.msgRefs[0], w.msgRefs[n-1], err)
	}
	added, _ := res.RowsAffected()
	w.added += added
	w.msgArgs, w.msgRefs = w.msgArgs[:0], w.msgRefs[:0]
	return nil
}

func (w *batchWriter) event(e *store.Event) error {
	if e.RowRef == "" {
		return fmt.Errorf("event in %s without a row reference", e.ChatJID)
	}
	chat, err := w.chat(e.ChatJID, "")
	if err != nil {
		return err
	}
	var actor, raw any
	if e.ActorJID != "" {
		id, err := w.account(e.ActorJID)
		if err != nil {
			return err
		}
		if id != 0 {
			actor = id
		}
	}
	if e.ActionRaw != nil {
		raw = *e.ActionRaw
	}
	st, err := w.stmt(`INSERT INTO event (device_id, artifact_id, row_ref, chat_id, time, action, action_raw, actor_id, old_value, new_value)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (artifact_id, row_ref) DO NOTHING RETURNING id`)
	if err != nil {
		return err
	}
	t := fmtTimeOrEmpty(e.Time)
	var id int64
	err = st.QueryRowContext(w.ctx, w.device, w.artifact, e.RowRef, chat, t, e.Action, raw, actor, e.OldValue, e.NewValue).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // already stored by an earlier write of the same batch
	}
	if err != nil {
		return fmt.Errorf("event %s: %w", e.RowRef, err)
	}
	tst, err := w.stmt(`INSERT INTO event_target (event_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	for _, tj := range e.TargetJIDs {
		a, err := w.account(tj)
		if err != nil {
			return err
		}
		if a == 0 {
			continue
		}
		if _, err := tst.ExecContext(w.ctx, id, a); err != nil {
			return fmt.Errorf("event %s: target %s: %w", e.RowRef, tj, err)
		}
	}
	w.line("e", e.RowRef, e.ChatJID, t, e.Action, e.ActorJID, strings.Join(e.TargetJIDs, ","), e.OldValue, e.NewValue)
	return nil
}

func (w *batchWriter) link(l *store.Link) error {
	if l.Code == "" {
		return errors.New("invite link without a code")
	}
	var chat, msg any
	if l.ChatJID != "" {
		id, err := w.chat(l.ChatJID, "")
		if err != nil {
			return err
		}
		chat = id
	}
	if l.MessageRowRef != "" {
		st, err := w.stmt(`SELECT id FROM message WHERE artifact_id = ? AND row_ref = ?`)
		if err != nil {
			return err
		}
		var id int64
		switch err := st.QueryRowContext(w.ctx, w.artifact, l.MessageRowRef).Scan(&id); {
		case err == nil:
			msg = id
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	ref := l.RowRef
	if ref == "" {
		ref = l.MessageRowRef
	}
	st, err := w.stmt(`INSERT INTO invite_link (kind, code, url, device_id, artifact_id, message_id, chat_id, group_jid, time, row_ref)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (artifact_id, code, row_ref) DO NOTHING`)
	if err != nil {
		return err
	}
	group := l.GroupJID
	if g, _, ok := normJID(group); ok {
		group = g
	}
	if _, err := st.ExecContext(w.ctx, l.Kind, l.Code, l.URL, w.device, w.artifact, msg, chat, group, nullTime(l.Time), ref); err != nil {
		return fmt.Errorf("invite link %s: %w", l.Code, err)
	}
	w.line("l", l.Kind, l.Code, l.ChatJID, l.GroupJID, ref)
	return nil
}
