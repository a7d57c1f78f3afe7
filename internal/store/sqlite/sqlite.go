// Package sqlite implements the case store on an embedded SQLite database
// (modernc.org/sqlite, pure Go): WAL journal, foreign keys on, synchronous
// commits, versioned schema migrations, and one writing connection whose
// every transaction appends its audit records before it commits.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"vigil/internal/audit"
	"vigil/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite case store.
type Store struct {
	path string
	w    *sql.DB    // the one writing connection
	r    *sql.DB    // readers
	mu   sync.Mutex // serialises writes; guards artCache
	now  func() time.Time

	artCache *artifactCache // JID and chat ids across artifact batches
}

var _ store.Store = (*Store)(nil)

// Options tune how a store is opened.
type Options struct {
	// ReadOnly opens the database without the writing connection and
	// without applying migrations.
	ReadOnly bool
	// Now replaces the clock (tests).
	Now func() time.Time
}

func dsn(file string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	return "file:" + file + "?" + q.Encode()
}

// Open opens (creating if needed) the case database at file and brings its
// schema up to date.
func Open(ctx context.Context, file string, o Options) (*Store, error) {
	s := &Store{path: file, now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	common := []string{"foreign_keys(1)", "busy_timeout(15000)"}
	var err error
	if !o.ReadOnly {
		// The writing connection: statement journals in memory (multi-row
		// inserts keep one) and a page cache of up to 256 MiB, allocated as
		// used, which bulk writes of a million messages need to avoid
		// re-reading index pages.
		s.w, err = sql.Open("sqlite", dsn(file, append(common, "journal_mode(WAL)", "synchronous(FULL)",
			"temp_store(2)", "cache_size(-262144)")...)+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("case database %s: %w", file, err)
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetConnMaxLifetime(0)
		if err := s.w.PingContext(ctx); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("case database %s: %w", file, err)
		}
		if err := s.migrate(ctx); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("case database %s: %w", file, err)
		}
	}
	s.r, err = sql.Open("sqlite", dsn(file, append(common, "query_only(1)")...))
	if err != nil {
		if s.w != nil {
			s.w.Close()
		}
		return nil, fmt.Errorf("case database %s: %w", file, err)
	}
	s.r.SetMaxOpenConns(4)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("case database %s: %w", file, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		// Let SQLite refresh the statistics its query planner uses, as it
		// advises before closing a connection that changed the database.
		if _, err := s.w.Exec("PRAGMA optimize"); err != nil {
			errs = append(errs, err)
		}
		if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// DB exposes the reading connection pool, for analysis code that runs its
// own queries (network analysis, reports).
func (s *Store) DB() *sql.DB { return s.r }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		var n int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migration WHERE version = ?`, v).Scan(&n); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.write(ctx, func(tx *sql.Tx, rec recorder) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", base, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migration (version, name, applied) VALUES (?, ?, ?)`,
				v, base, fmtTime(s.now())); err != nil {
				return err
			}
			// The audit table exists once the first migration ran.
			return rec(audit.Entry{Action: "schema.migrate", Object: "schema:" + strconv.Itoa(v), Details: map[string]any{"migration": base}})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion returns the last migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT max(version) FROM schema_migration`).Scan(&v)
	return int(v.Int64), err
}

// recorder appends an audit record inside the current transaction.
type recorder func(audit.Entry) error

// write runs fn in a write transaction; the audit records fn makes are
// appended to the chain in that same transaction.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx, rec recorder) error) error {
	if s.w == nil {
		return errors.New("case opened read-only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	actor := audit.Actor(ctx)
	var head *audit.Record
	rec := func(e audit.Entry) error {
		if head == nil {
			h, err := readHead(ctx, tx)
			if err != nil {
				return err
			}
			if h.Seq > 0 {
				head = &h
			}
		}
		r, err := audit.Seal(head, s.now(), actor, e)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (seq, time, actor, action, object, details, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Seq, r.Time, r.Actor, r.Action, r.Object, r.Details, r.PrevHash, r.Hash); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		head = &r
		return nil
	}
	if err := fn(tx, rec); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readHead(ctx context.Context, q querier) (audit.Record, error) {
	var r audit.Record
	err := q.QueryRowContext(ctx, `SELECT seq, time, actor, action, object, details, prev_hash, hash
		FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&r.Seq, &r.Time, &r.Actor, &r.Action, &r.Object, &r.Details, &r.PrevHash, &r.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Record{}, nil
	}
	if err != nil {
		return r, fmt.Errorf("audit head: %w", err)
	}
	return r, nil
}

// Meta returns a case-wide setting.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta changes a case-wide setting.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.write(ctx, func(tx *sql.Tx, rec recorder) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
			return err
		}
		return rec(audit.Entry{Action: "case.set", Object: "meta:" + key, Details: map[string]any{"value": value}})
	})
}

// Time columns are RFC 3339 text in UTC with nanoseconds; NULL when unknown.
const timeLayout = time.RFC3339Nano

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return fmtTime(t)
}

func parseTime(s sql.NullString) time.Time {
	if !s.Valid || s.String == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		return time.Time{}
	}
	return t
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
