package synth

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"vigil/internal/hashset"
)

// The hash sets of an operation, all made up from its own pictures and
// files: a VICS 2.0 alert set (US profile) with the known items in abuse
// categories 1 to 3, the benign known pictures as non-pertinent (0) and
// decoys (digests of random bytes) for material found nowhere; a PDQ list
// of the items; and an NSRL RDS v3 minimal database of the laptops'
// operating-system files plus made-up entries.

// Hash-set files, relative to the operation's directory.
const (
	VICSFile = "hashsets/vics-alert-2.0.json"
	PDQFile  = "hashsets/pdq-alert.csv"
	NSRLFile = "hashsets/RDS_2023.06.1_modern_minimal.db"
)

// makeSets records the hash sets in the ground truth (their files are
// written by Write).
func (o *Operation) makeSets(ctx context.Context) error {
	p := o.Params
	o.setTruth = []SetTruth{
		{Name: "vics-alert", File: VICSFile, Format: string(hashset.VICS), Status: "alert", Profile: "US",
			Entries: len(o.Items) + len(o.Benign) + p.Decoys},
		{Name: "pdq-alert", File: PDQFile, Format: string(hashset.PDQList), Status: "alert", Entries: len(o.Items)},
		{Name: "nsrl-modern", File: NSRLFile, Format: string(hashset.NSRL), Status: "known", Entries: len(o.system) + p.NSRLExtra},
	}
	return nil
}

// digests makes three made-up but consistent digests (of random bytes).
func digests(r *rand.Rand) (s256, s1, m5 string, size int64) {
	b := make([]byte, 48)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	a, c, d := sha256.Sum256(b), sha1.Sum(b), md5.Sum(b)
	return hex.EncodeToString(a[:]), hex.EncodeToString(c[:]), hex.EncodeToString(d[:]), 20000 + r.Int64N(4<<20)
}

func (o *Operation) vicsEntries() iter.Seq2[hashset.Entry, error] {
	return func(yield func(hashset.Entry, error) bool) {
		cat := func(c int) *int { return &c }
		yes, no := true, false
		for _, it := range append(append([]*Item(nil), o.Items...), o.Benign...) {
			e := hashset.Entry{MD5: it.MD5, SHA1: it.SHA1, SHA256: it.SHA256, Category: cat(it.Category), Size: int64(len(it.JPEG)),
				Series: "SYNTH-" + fmt.Sprint(it.N/50), Distributed: &yes, VictimIdentified: &no, Comments: "synthetic " + it.Label}
			if it.Category == 0 {
				e.Series, e.Distributed = "", nil
			}
			if !yield(e, nil) {
				return
			}
		}
		r := o.Params.rng(streamSets)
		for i := 0; i < o.Params.Decoys; i++ {
			s256, s1, m5, size := digests(r)
			e := hashset.Entry{MD5: m5, SHA1: s1, SHA256: s256, Size: size}
			if i%10 != 0 { // one in ten uncategorised
				e.Category = cat(1 + r.IntN(3))
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

func writeVICS(path string, entries iter.Seq2[hashset.Entry, error]) error {
	return writeAtomic(path, func(w *bufio.Writer) error {
		_, _, err := hashset.WriteVICS(w, "2.0", "US", entries)
		return err
	})
}

func (o *Operation) writePDQList(path string) error {
	return writeAtomic(path, func(w *bufio.Writer) error {
		w.WriteString("# PDQ hashes of the operation's known items (synthetic): hash,quality,id\n")
		for _, it := range o.Items {
			fmt.Fprintf(w, "%s,%d,%s\n", it.PDQ, it.Quality, strings.ReplaceAll(it.Label, " ", "-"))
		}
		return nil
	})
}

// writeNSRL writes an NSRL RDS v3 minimal database (domain.md §2.2): the
// FILE, MFG, OS, PKG and VERSION tables and the DISTINCT_HASH view, hashes
// in upper case as NIST writes them.
func (o *Operation) writeNSRL(ctx context.Context, path string) error {
	tmp := path + ".partial"
	os.Remove(tmp)
	db, err := createDB(ctx, tmp)
	if err != nil {
		return fmt.Errorf("nsrl %s: %w", path, err)
	}
	defer db.Close()
	ddl := `CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL, build_date TIMESTAMP NOT NULL, release_date TIMESTAMP NOT NULL, description VARCHAR NOT NULL);
CREATE TABLE MFG (manufacturer_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL);
CREATE TABLE OS (operating_system_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL, manufacturer_id INTEGER NOT NULL, PRIMARY KEY (operating_system_id, manufacturer_id));
CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL, operating_system_id INTEGER NOT NULL, manufacturer_id INTEGER NOT NULL, language VARCHAR NOT NULL, application_type VARCHAR NOT NULL, PRIMARY KEY (package_id, operating_system_id, manufacturer_id, language, application_type));
CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL, PRIMARY KEY (sha256, sha1, md5, crc32, file_name, file_size, package_id));
CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;
INSERT INTO VERSION VALUES ('2023.06.1', 'modern', '2023-06-01 00:00:00', '2023-06-05 00:00:00', 'Synthetic RDS for the Vigil demo: made-up packages and files');
INSERT INTO MFG VALUES (1, 'Example Systems (fictitious)');
INSERT INTO OS VALUES (1, 'ExampleOS', '11', 1);
INSERT INTO PKG VALUES (1, 'ExampleOS base', '11.0', 1, 1, 'English', 'Operating System');
INSERT INTO PKG VALUES (2, 'Example Office', '2021', 1, 1, 'English', 'Office');`
	if err := execAll(ctx, db, ddl); err != nil {
		return fmt.Errorf("nsrl %s: %w", path, err)
	}
	// Rows go in in key order, with a cache that holds the index: the
	// composite primary key of the real schema is slow to fill at random.
	type row struct {
		s256, s1, m5, crc, name string
		size                    int64
		pkg                     int
	}
	rows := make([]row, 0, len(o.system)+o.Params.NSRLExtra)
	for _, b := range o.system {
		rows = append(rows, row{strings.ToUpper(b.SHA256), strings.ToUpper(b.SHA1), strings.ToUpper(b.MD5),
			fmt.Sprintf("%08X", crc32.ChecksumIEEE(b.Data)), filepath.Base(b.Name), int64(len(b.Data)), 1})
	}
	r := o.Params.rng(streamSets + 100)
	for i := 0; i < o.Params.NSRLExtra; i++ {
		s256, s1, m5, size := digests(r)
		rows = append(rows, row{strings.ToUpper(s256), strings.ToUpper(s1), strings.ToUpper(m5), fmt.Sprintf("%08X", r.Uint32()),
			fmt.Sprintf("file%06d.dat", i), size, 2})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].s256 < rows[j].s256 })
	if _, err := db.ExecContext(ctx, "PRAGMA cache_size = -131072"); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for i, x := range rows {
		if i%8192 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := st.ExecContext(ctx, x.s256, x.s1, x.m5, x.crc, x.name, x.size, x.pkg); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeAtomic writes a file through a buffered writer and renames it into
// place once complete.
func writeAtomic(path string, fn func(*bufio.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	err = fn(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
