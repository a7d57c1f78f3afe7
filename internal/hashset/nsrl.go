package hashset

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// NIST NSRL RDS v3 databases (domain.md §2). The minimal style has a
// FILE table and a DISTINCT_HASH view over it, read as is; the full style
// has a FILE view over METADATA and PACKAGE_OBJECT, read with SELECT
// DISTINCT (much slower on a real release: NIST and IPED recommend the
// minimal databases). Hashes there are upper case; they come out lower.

// openSQLite opens a database read-only: the file is never written, and
// a missing file is an error rather than a new empty database.
func openSQLite(path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// nsrlStyle tells the style of an RDS v3 database: "minimal" (a
// DISTINCT_HASH view), "full" (a FILE view) or an error.
func nsrlStyle(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, `SELECT type, lower(name) FROM sqlite_master WHERE lower(name) IN ('distinct_hash', 'file')`)
	if err != nil {
		return "", fmt.Errorf("not a readable SQLite database: %w", err)
	}
	defer rows.Close()
	objects := map[string]string{}
	for rows.Next() {
		var typ, name string
		if err := rows.Scan(&typ, &name); err != nil {
			return "", fmt.Errorf("reading the schema: %w", err)
		}
		objects[name] = typ
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("reading the schema: %w", err)
	}
	switch {
	case objects["distinct_hash"] == "view":
		return "minimal", nil
	case objects["file"] == "view":
		return "full", nil
	case objects["file"] == "table":
		return "minimal", nil // the view was dropped; read FILE itself
	}
	return "", errors.New("a SQLite database, but not an NSRL RDS v3 one: no DISTINCT_HASH view and no FILE table or view")
}

func readNSRL(ctx context.Context, path string, r *run) error {
	db, err := openSQLite(path)
	if err != nil {
		return r.fileErr(err)
	}
	defer db.Close()
	style, err := nsrlStyle(ctx, db)
	if err != nil {
		return r.fileErr(err)
	}
	r.meta.Shape = style
	r.nsrlVersion(ctx, db)

	query := `SELECT sha256, sha1, md5 FROM DISTINCT_HASH`
	if style == "full" {
		query = `SELECT DISTINCT sha256, sha1, md5 FROM FILE`
	} else if ok, _ := hasView(ctx, db, "distinct_hash"); !ok {
		query = `SELECT DISTINCT sha256, sha1, md5 FROM FILE`
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return r.fileErr(fmt.Errorf("reading hashes: %w", err))
	}
	defer rows.Close()
	var n int64
	var sha256, sha1, md5 sql.NullString
	for rows.Next() {
		n++
		if err := rows.Scan(&sha256, &sha1, &md5); err != nil {
			return r.lineErr("record", n, -1, err)
		}
		e := Entry{PDQQuality: -1, Size: -1, Line: n}
		if err := nsrlHashes(&e, sha256.String, sha1.String, md5.String); err != nil {
			if err := r.bad("record", n, -1, err); err != nil {
				return err
			}
			continue
		}
		if err := r.emit("record", &e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return r.fileErr(fmt.Errorf("reading hashes after record %d: %w", n, err))
	}
	return nil
}

func nsrlHashes(e *Entry, sha256, sha1, md5 string) error {
	var err error
	if s := strings.TrimSpace(sha256); s != "" {
		if e.SHA256, err = normHex("sha256", s, 64); err != nil {
			return err
		}
	}
	if s := strings.TrimSpace(sha1); s != "" {
		if e.SHA1, err = normHex("sha1", s, 40); err != nil {
			return err
		}
	}
	if s := strings.TrimSpace(md5); s != "" {
		if e.MD5, err = normHex("md5", s, 32); err != nil {
			return err
		}
	}
	return nil
}

func hasView(ctx context.Context, db *sql.DB, name string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'view' AND lower(name) = ?`, name).Scan(&n)
	return n > 0, err
}

// nsrlVersion reads the VERSION table, when there is one.
func (r *run) nsrlVersion(ctx context.Context, db *sql.DB) {
	var version, set, desc sql.NullString
	err := db.QueryRowContext(ctx, `SELECT version, build_set, description FROM VERSION ORDER BY version DESC LIMIT 1`).Scan(&version, &set, &desc)
	if err != nil {
		return
	}
	r.meta.Version = version.String
	r.meta.Model = strings.TrimSpace(strings.Trim(set.String+": "+desc.String, ": "))
}
