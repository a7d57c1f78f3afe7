package whatsapp

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// DB is a SQLite evidence database opened read-only, with its schema
// (tables, views and their columns) read once so that queries are built
// from the columns that exist (spec §0 rule 2).
type DB struct {
	*sql.DB
	Path string
	// Truncated, when set, says that the file is shorter than its header
	// says and was read from a private copy padded with empty pages (which
	// read as damaged): what it still holds is readable.
	Truncated string
	tables    map[string]bool            // lower-case names of tables and views
	columns   map[string]map[string]bool // lower-case table → lower-case columns
	cleanup   func()
}

// Close closes the database (and removes a padded copy).
func (d *DB) Close() error {
	err := d.DB.Close()
	if d.cleanup != nil {
		d.cleanup()
	}
	return err
}

// OpenDB opens the scratch copy of a SQLite database read-only. SQLite
// applies the -wal beside it (never immutable=1, which would ignore it).
// The connection cannot write: the file is opened with mode=ro, PRAGMA
// query_only is on, the schema is not trusted (functions in a hostile
// database's views and triggers do not run) and defensive mode is on.
// The schema is read at once, so a file that is not a SQLite database, or
// whose schema is corrupt, fails here with a clear error.
func OpenDB(ctx context.Context, path string) (*DB, error) {
	d, err := openDB(ctx, path)
	if err == nil || ctx.Err() != nil {
		return d, err
	}
	// A truncated file (a partial copy, a carved database) cannot even
	// show its schema when pages it needs are missing; padded back to the
	// size its header gives, the pages that are there read again.
	padded, note, cleanup, perr := padTruncated(path)
	if perr != nil || padded == "" {
		return nil, err
	}
	d, err2 := openDB(ctx, padded)
	if err2 != nil {
		cleanup()
		return nil, err
	}
	d.Path, d.Truncated, d.cleanup = path, note, cleanup
	return d, nil
}

// maxPadded bounds the size of a padded copy.
const maxPadded = 64 << 30

// padTruncated copies a SQLite file shorter than its header says (with
// its -wal) into a private temporary directory, padded with zeros to the
// full size. It returns "" when the file is not truncated.
func padTruncated(path string) (string, string, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", "", nil, err
	}
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:16]) != "SQLite format 3\x00" {
		return "", "", nil, nil
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return "", "", nil, nil
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	// The page count is valid only when the change counter matches.
	if binary.BigEndian.Uint32(h[24:28]) != binary.BigEndian.Uint32(h[92:96]) {
		pages = 0
	}
	want := pages * pageSize
	if want <= fi.Size() {
		if fi.Size()%pageSize == 0 {
			return "", "", nil, nil
		}
		want = (fi.Size()/pageSize + 1) * pageSize // a cut last page
	}
	if want > maxPadded {
		return "", "", nil, fmt.Errorf("a padded copy would take %d bytes", want)
	}
	dir, err := os.MkdirTemp("", "vigil-padded-")
	if err != nil {
		return "", "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	dst := filepath.Join(dir, filepath.Base(path))
	// A page cut short keeps its header and cell pointers but loses the
	// cells, which SQLite keeps at the end of the page: read as they are,
	// they would give rows of zeros. The cut page is dropped whole.
	whole := fi.Size() / pageSize * pageSize
	if err := copyPadded(path, dst, whole, want); err != nil {
		cleanup()
		return "", "", nil, err
	}
	for _, suf := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suf); err == nil {
			if err := copyPadded(path+suf, dst+suf, -1, 0); err != nil {
				cleanup()
				return "", "", nil, err
			}
		}
	}
	note := fmt.Sprintf("the file is truncated: %d of %d bytes; the missing pages (and the one cut short) read as damaged", fi.Size(), want)
	return dst, note, cleanup, nil
}

// copyPadded copies the first keep bytes of src (all when keep < 0) and
// pads the copy with zeros up to size.
func copyPadded(src, dst string, keep, size int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	var r io.Reader = in
	if keep >= 0 {
		r = io.LimitReader(in, keep)
	}
	n, err := io.Copy(out, r)
	if err == nil && size > n {
		err = out.Truncate(size)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func openDB(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_defensive", "1")
	for _, p := range []string{"query_only(1)", "trusted_schema(0)", "cell_size_check(1)", "mmap_size(0)"} {
		q.Add("_pragma", p)
	}
	u := url.URL{Path: filepath.ToSlash(abs)}
	db, err := sql.Open("sqlite", "file:"+u.EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(2)
	d := &DB{DB: db, Path: path, tables: map[string]bool{}, columns: map[string]map[string]bool{}}
	if err := d.readSchema(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return d, nil
}

func (d *DB) readSchema(ctx context.Context) error {
	rows, err := d.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type IN ('table', 'view')`)
	if err != nil {
		return fmt.Errorf("reading the schema (not a SQLite database, or a corrupt one): %w", err)
	}
	var names []string
	for rows.Next() {
		var n sql.NullString
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		if n.Valid {
			names = append(names, n.String)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the schema: %w", err)
	}
	for _, n := range names {
		d.tables[strings.ToLower(n)] = true
	}
	return nil
}

// HasTable reports whether a table or view of that name exists.
func (d *DB) HasTable(name string) bool { return d.tables[strings.ToLower(name)] }

// Columns returns the lower-case column names of a table (nil when the
// table does not exist or its definition cannot be read).
func (d *DB) Columns(ctx context.Context, table string) map[string]bool {
	t := strings.ToLower(table)
	if c, ok := d.columns[t]; ok {
		return c
	}
	if !d.tables[t] {
		d.columns[t] = nil
		return nil
	}
	cols := map[string]bool{}
	rows, err := d.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err == nil {
		for rows.Next() {
			var n sql.NullString
			if rows.Scan(&n) == nil && n.Valid {
				cols[strings.ToLower(n.String)] = true
			}
		}
		rows.Close()
	}
	d.columns[t] = cols
	return cols
}

// HasColumn reports whether table has the column.
func (d *DB) HasColumn(ctx context.Context, table, col string) bool {
	return d.Columns(ctx, table)[strings.ToLower(col)]
}

// Col returns alias.col for a column that exists, and NULL for one that
// does not, for building a SELECT list from whatever columns a release has.
func (d *DB) Col(ctx context.Context, table, alias, col string) string {
	if d.HasColumn(ctx, table, col) {
		return alias + "." + Quote(col)
	}
	return "NULL"
}

// Count returns the number of rows of a table matching where ("" for all),
// or -1 when the table is absent.
func (d *DB) Count(ctx context.Context, table, where string) (int64, error) {
	if !d.HasTable(table) {
		return -1, nil
	}
	q := `SELECT count(*) FROM ` + Quote(table)
	if where != "" {
		q += " WHERE " + where
	}
	var n int64
	if err := d.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting %s: %w", table, err)
	}
	return n, nil
}

// Quote quotes an SQL identifier.
func Quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// Text turns a column value (SQLite is dynamically typed: a TEXT column
// can hold a BLOB, a number or NULL) into valid UTF-8 text. It reports
// whether invalid bytes had to be replaced with U+FFFD.
func Text(v any) (s string, replaced bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		return fmt.Sprint(x), false
	case float64:
		return fmt.Sprint(x), false
	default:
		return fmt.Sprint(x), false
	}
	if utf8.ValidString(s) {
		return s, false
	}
	return strings.ToValidUTF8(s, "\uFFFD"), true
}

// Int turns a column value into an integer, reporting whether it held one
// (numbers stored as text, as legacy media_wa_type is, count).
func Int(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
		return int64(x), true
	case string:
		return parseInt(strings.TrimSpace(x))
	case []byte:
		return parseInt(strings.TrimSpace(string(x)))
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func parseInt(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// ErrNotWhatsApp is returned by extractors handed a database that is not
// the kind they read.
var ErrNotWhatsApp = errors.New("not a WhatsApp database of this kind")
