package hashset

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// rdsMinimalSchema is the RDS v3 minimal schema (domain.md §2.2).
const rdsMinimalSchema = `
CREATE TABLE FILE (
 sha256     VARCHAR NOT NULL,
 sha1       VARCHAR NOT NULL,
 md5        VARCHAR NOT NULL,
 crc32      VARCHAR NOT NULL,
 file_name  VARCHAR NOT NULL,
 file_size  INTEGER NOT NULL,
 package_id INTEGER NOT NULL,
 CONSTRAINT PK_FILE__FILE PRIMARY KEY (sha256, sha1, md5, crc32, file_name, file_size, package_id)
);
CREATE TABLE MFG (
 manufacturer_id INTEGER NOT NULL,
 name            VARCHAR NOT NULL,
 CONSTRAINT PK_MFG__MFG_ID PRIMARY KEY (manufacturer_id)
);
CREATE TABLE OS (
 operating_system_id INTEGER NOT NULL,
 name                VARCHAR NOT NULL,
 version             VARCHAR NOT NULL,
 manufacturer_id     INTEGER NOT NULL,
 CONSTRAINT PK_OS__OS_ID PRIMARY KEY (operating_system_id, manufacturer_id)
);
CREATE TABLE PKG (
 package_id          INTEGER NOT NULL,
 name                VARCHAR NOT NULL,
 version             VARCHAR NOT NULL,
 operating_system_id INTEGER NOT NULL,
 manufacturer_id     INTEGER NOT NULL,
 language            VARCHAR NOT NULL,
 application_type    VARCHAR NOT NULL,
 CONSTRAINT PK_PGK__PKG_ID PRIMARY KEY (package_id, operating_system_id, manufacturer_id, language, application_type)
);
CREATE TABLE VERSION (
 version      VARCHAR UNIQUE NOT NULL,
 build_set    VARCHAR NOT NULL,
 build_date   TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
 release_date TIMESTAMP NOT NULL,
 description  VARCHAR NOT NULL,
 CONSTRAINT PK_VERSION__VERSION PRIMARY KEY (version)
);
CREATE VIEW DISTINCT_HASH AS
 SELECT DISTINCT
  sha256,
  sha1,
  md5,
  crc32
 FROM
  FILE
;`

// rdsFullSchema is the part of the RDS v3 full schema (domain.md §2.3)
// the reader touches: METADATA, PACKAGE_OBJECT, VERSION and the FILE view.
const rdsFullSchema = `
CREATE TABLE PACKAGE_OBJECT (
	package_object_id INTEGER UNIQUE NOT NULL,
	package_id INTEGER NOT NULL,
	object_id INTEGER UNIQUE NOT NULL,
	CONSTRAINT PK_PACKAGE_OBJECT__PACKAGE_OBJECT_ID PRIMARY KEY (package_object_id)
);
CREATE TABLE METADATA (
	metadata_id NUMERIC UNIQUE NOT NULL,
	object_id INTEGER,
	key_hash VARCHAR NOT NULL,
	image_hash VARCHAR,
	path VARCHAR NOT NULL,
	file_name VARCHAR NOT NULL,
	extension VARCHAR DEFAULT '' NOT NULL,
	bytes INTEGER NOT NULL,
	crc32 VARCHAR NOT NULL,
	md5 VARCHAR NOT NULL,
	sha1 VARCHAR NOT NULL,
	sha256 VARCHAR NOT NULL,
	CONSTRAINT PK_METADATA__METADATA_ID PRIMARY KEY (metadata_id)
);
CREATE TABLE VERSION (
	version VARCHAR UNIQUE NOT NULL,
	build_set VARCHAR NOT NULL,
	build_date TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
	release_date TIMESTAMP NOT NULL,
	description VARCHAR NOT NULL,
	CONSTRAINT PK_VERSION__VERSION PRIMARY KEY (version)
);
CREATE VIEW FILE AS
    SELECT
        UPPER(md.sha256) AS sha256,
        UPPER(md.sha1) AS sha1,
        UPPER(md.md5) AS md5,
        CASE md.extension
	        WHEN ''
                THEN md.file_name
                ELSE md.file_name||'.'||md.extension
            END AS file_name,
        md.bytes AS file_size,
        po.package_id
    FROM
        METADATA AS md,
        PACKAGE_OBJECT AS po
    WHERE
        md.object_id = po.object_id;`

// sqliteFile creates a database from SQL statements and returns its path.
func sqliteFile(t testing.TB, stmts ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rds.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

// makeMinimalRDS writes n distinct made-up hashes, each in one to three
// FILE rows (several packages and names, as real releases have).
func makeMinimalRDS(t testing.TB, n int) string {
	t.Helper()
	p := sqliteFile(t, rdsMinimalSchema,
		`INSERT INTO VERSION VALUES ('2099.01.1', 'modern', '2099-01-01', '2099-01-02', 'made-up test release')`)
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	st, err := tx.Prepare(`INSERT INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		for k := 0; k <= i%3; k++ {
			if _, err := st.Exec(upper(fakeSHA256(i)), upper(fakeSHA1(i)), upper(fakeMD5(i)), "AABBCCDD",
				"file"+string(rune('a'+k))+".dll", 100+i, k+1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNSRLMinimal(t *testing.T) {
	const n = 500
	p := makeMinimalRDS(t, n)
	if f, err := Detect(p); f != NSRL || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	before, _ := os.ReadFile(p)
	got, meta := mustReadAll(t, p, Options{})
	if meta.Format != NSRL || meta.Shape != "minimal" || meta.Version != "2099.01.1" || meta.Model != "modern: made-up test release" {
		t.Errorf("meta = %+v", meta)
	}
	if len(got) != n {
		t.Fatalf("got %d entries, want %d distinct hashes", len(got), n)
	}
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		want[fakeMD5(i)+fakeSHA1(i)+fakeSHA256(i)] = true
	}
	for _, e := range got {
		if !want[e.MD5+e.SHA1+e.SHA256] {
			t.Fatalf("unexpected entry %+v", e)
		}
		delete(want, e.MD5+e.SHA1+e.SHA256)
	}
	after, _ := os.ReadFile(p)
	if string(before) != string(after) {
		t.Error("reading changed the database file")
	}
	if _, err := os.Stat(p + "-journal"); err == nil {
		t.Error("reading left a journal")
	}
}

func TestNSRLFull(t *testing.T) {
	p := sqliteFile(t, rdsFullSchema,
		`INSERT INTO VERSION VALUES ('2099.03.1', 'legacy', '2099-01-01', '2099-01-02', 'full')`,
		`INSERT INTO PACKAGE_OBJECT VALUES (1, 10, 100), (2, 11, 101), (3, 12, 102)`,
		// Hashes are lower case in METADATA; the FILE view upper-cases them.
		`INSERT INTO METADATA VALUES
		 (1, 100, 'k', NULL, '/', 'a', 'dll', 1, 'AABBCCDD', '`+fakeMD5(1)+`', '`+fakeSHA1(1)+`', '`+fakeSHA256(1)+`'),
		 (2, 101, 'k', NULL, '/', 'b', '',    1, 'AABBCCDD', '`+fakeMD5(1)+`', '`+fakeSHA1(1)+`', '`+fakeSHA256(1)+`'),
		 (3, 102, 'k', NULL, '/', 'c', 'exe', 1, 'AABBCCDD', '`+fakeMD5(2)+`', '`+fakeSHA1(2)+`', '`+fakeSHA256(2)+`'),
		 (4, 999, 'k', NULL, '/', 'd', 'exe', 1, 'AABBCCDD', '`+fakeMD5(3)+`', '`+fakeSHA1(3)+`', '`+fakeSHA256(3)+`')`)
	if f, err := Detect(p); f != NSRL || err != nil {
		t.Fatalf("Detect = %q %v", f, err)
	}
	got, meta := mustReadAll(t, p, Options{})
	if meta.Shape != "full" || meta.Version != "2099.03.1" {
		t.Errorf("meta = %+v", meta)
	}
	var md5s []string
	for _, e := range got {
		md5s = append(md5s, e.MD5)
	}
	sort.Strings(md5s)
	want := []string{fakeMD5(1), fakeMD5(2)}
	sort.Strings(want)
	// Entry 3 belongs to no package, so the FILE view leaves it out.
	if strings.Join(md5s, ",") != strings.Join(want, ",") {
		t.Errorf("md5s = %v, want %v", md5s, want)
	}
}

func TestNSRLMalformedHash(t *testing.T) {
	p := sqliteFile(t, rdsMinimalSchema,
		`INSERT INTO FILE VALUES ('`+upper(fakeSHA256(1))+`', '`+upper(fakeSHA1(1))+`', '`+upper(fakeMD5(1))+`', 'X', 'a', 1, 1)`,
		`INSERT INTO FILE VALUES ('`+upper(fakeSHA256(2))+`', 'NOT-A-SHA1', '`+upper(fakeMD5(2))+`', 'X', 'b', 1, 1)`)
	_, _, err := readAll(t, p, Options{})
	if err == nil || !strings.Contains(err.Error(), p+" record ") || !strings.Contains(err.Error(), `sha1 "NOT-A-SHA1"`) {
		t.Errorf("err = %v", err)
	}
	got, meta := mustReadAll(t, p, Options{SkipBad: true})
	if len(got) != 1 || meta.Skipped != 1 {
		t.Errorf("SkipBad: %d entries, %d skipped", len(got), meta.Skipped)
	}
}

func TestNSRLDistinctUsesIndex(t *testing.T) {
	// The DISTINCT_HASH view must stream from the primary key index, not
	// build a temporary B-tree of every row (which would be slow and take
	// gigabytes of temporary space on a real release).
	p := makeMinimalRDS(t, 10)
	db, err := openSQLite(p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT sha256, sha1, md5 FROM DISTINCT_HASH`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	text := strings.Join(plan, "; ")
	if strings.Contains(text, "TEMP B-TREE") || !strings.Contains(text, "COVERING INDEX") {
		t.Errorf("plan %q", text)
	}
}
