package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/audit"
)

// TestAuditTamperingDetected edits the case database behind vigil's back in
// every way a curious insider could, and expects vigil audit verify to fail
// naming the first bad record.
func TestAuditTamperingDetected(t *testing.T) {
	ev := t.TempDir()
	writeCorpus(t, ev, 30, 2_000, 21)
	base := newEnv(t)
	base.run(0, "init", base.cas)
	base.run(0, "ingest", "--device", "P1", ev)
	base.run(0, "ingest", "--device", "P2", ev)
	base.run(0, "verify")
	if out := base.run(0, "audit", "verify"); !strings.Contains(out, "intact") {
		t.Fatal(out)
	}

	cases := []struct {
		name     string
		tamper   func(db *sql.DB, keys string) error
		firstBad int64 // 0: any
	}{
		{"edit details", func(db *sql.DB, _ string) error {
			_, err := db.Exec(`UPDATE audit SET details = replace(details, '"files":30', '"files":29') WHERE seq = (SELECT min(seq) FROM audit WHERE action = 'ingest.batch')`)
			return err
		}, -1},
		{"edit actor", func(db *sql.DB, _ string) error {
			_, err := db.Exec(`UPDATE audit SET actor = 'someone-else' WHERE seq = 10`)
			return err
		}, 10},
		{"delete a record", func(db *sql.DB, _ string) error {
			_, err := db.Exec(`DELETE FROM audit WHERE seq = 12`)
			return err
		}, 12},
		{"insert a record", func(db *sql.DB, _ string) error {
			if _, err := db.Exec(`UPDATE audit SET seq = seq + 1000 WHERE seq >= 11`); err != nil {
				return err
			}
			if _, err := db.Exec(`UPDATE audit SET seq = seq - 999 WHERE seq >= 1011`); err != nil {
				return err
			}
			_, err := db.Exec(`INSERT INTO audit SELECT 11, time, actor, 'export.hashset', object, details, prev_hash, hash FROM audit WHERE seq = 10`)
			return err
		}, 11},
		{"reorder two records", func(db *sql.DB, _ string) error {
			for _, q := range []string{`UPDATE audit SET seq = -1 WHERE seq = 13`, `UPDATE audit SET seq = 13 WHERE seq = 14`, `UPDATE audit SET seq = 14 WHERE seq = -1`} {
				if _, err := db.Exec(q); err != nil {
					return err
				}
			}
			return nil
		}, 13},
		{"drop the tail with its checkpoints", func(db *sql.DB, _ string) error {
			var max int64
			db.QueryRow(`SELECT max(seq) FROM audit`).Scan(&max)
			if _, err := db.Exec(`DELETE FROM audit WHERE seq > ?`, max-4); err != nil {
				return err
			}
			_, err := db.Exec(`DELETE FROM audit_checkpoint WHERE seq > ?`, max-4)
			return err
		}, 0},
		{"rewrite the whole chain", func(db *sql.DB, _ string) error {
			rows, err := db.Query(`SELECT seq, time, actor, action, object, details, prev_hash, hash FROM audit ORDER BY seq`)
			if err != nil {
				return err
			}
			var rs []audit.Record
			for rows.Next() {
				var r audit.Record
				rows.Scan(&r.Seq, &r.Time, &r.Actor, &r.Action, &r.Object, &r.Details, &r.PrevHash, &r.Hash)
				rs = append(rs, r)
			}
			rows.Close()
			rs[6].Details = `{"rewritten":true}`
			prev := audit.Genesis
			for i := range rs {
				rs[i].PrevHash = prev
				rs[i].Hash = rs[i].Sum()
				prev = rs[i].Hash
				if _, err := db.Exec(`UPDATE audit SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?`, rs[i].Details, rs[i].PrevHash, rs[i].Hash, rs[i].Seq); err != nil {
					return err
				}
			}
			_, err = db.Exec(`UPDATE audit_checkpoint SET hash = (SELECT hash FROM audit WHERE audit.seq = audit_checkpoint.seq)`)
			return err
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			copyDir(t, base.dir, e.dir)
			db, err := sql.Open("sqlite", filepath.Join(e.cas, "case.db"))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.tamper(db, e.keys); err != nil {
				t.Fatal(err)
			}
			db.Close()
			out := e.run(1, "audit", "verify", "--format", "json")
			var rep audit.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.OK() || rep.FirstBad == 0 {
				t.Fatalf("not detected: %+v", rep)
			}
			if c.firstBad > 0 && rep.FirstBad != c.firstBad {
				t.Errorf("first bad record %d, want %d (%v)", rep.FirstBad, c.firstBad, rep.Findings)
			}
			text := e.run(1, "audit", "verify")
			if !strings.Contains(text, "AUDIT CHAIN BROKEN: first bad record") {
				t.Errorf("table output: %s", text)
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return os.WriteFile(dst, b, fi.Mode())
	})
}
