package hashset

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Import-rate benchmarks (records/s), on generated files:
//
//	go test -run '^$' -bench . ./internal/hashset
//
// VIGIL_BENCH_LARGE=1 uses 1M records instead of 200k.

var (
	benchOnce  sync.Map // name -> path
	benchDirMu sync.Mutex
	benchDir   string
)

func benchRecords() int {
	if os.Getenv("VIGIL_BENCH_LARGE") != "" {
		return 1_000_000
	}
	return 200_000
}

func benchFile(b *testing.B, name string, make func(path string, n int)) (string, int) {
	n := benchRecords()
	key := fmt.Sprint(name, n)
	if p, ok := benchOnce.Load(key); ok {
		return p.(string), n
	}
	benchDirMu.Lock()
	defer benchDirMu.Unlock()
	if benchDir == "" {
		d, err := os.MkdirTemp("", "hashset-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
	}
	p := filepath.Join(benchDir, key)
	make(p, n)
	benchOnce.Store(key, p)
	return p, n
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// writeVICSBench writes a distribution-style 2.0 hash set: upper-case
// hex, integer fields, string booleans, a PhotoDNA on every record.
func writeVICSBench(path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(`{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media","value":[` + "\n")
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteString(",\n")
		}
		pdna, _ := fakePhotoDNA(i)
		fmt.Fprintf(w, `{"MediaID":%d,"Category":%d,"MD5":"%s","SHA1":"%s","MediaSize":%d,"DateUpdated":"2023-06-07T02:31:49.8300Z","IsPrecategorized":"false","PhotoDNA":"%s"}`,
			i+1, i%5, upper(fakeMD5(i)), upper(fakeSHA1(i)), 1000+i, pdna)
	}
	w.WriteString("\n]}\n")
	if err := w.Flush(); err != nil {
		panic(err)
	}
	f.Close()
}

func writeNSRLBench(path string, n int) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Exec(rdsMinimalSchema); err != nil {
		panic(err)
	}
	tx, _ := db.Begin()
	st, _ := tx.Prepare(`INSERT INTO FILE VALUES (?, ?, ?, 'AABBCCDD', ?, ?, ?)`)
	rows := 0
	for i := 0; rows < n*3/2; i++ { // ~1.5 FILE rows per distinct hash
		for k := 0; k <= i%2; k++ {
			if _, err := st.Exec(upper(fakeSHA256(i)), upper(fakeSHA1(i)), upper(fakeMD5(i)), fmt.Sprint("f", k), i, k); err != nil {
				panic(err)
			}
			rows++
		}
	}
	if err := tx.Commit(); err != nil {
		panic(err)
	}
}

func benchRead(b *testing.B, path string) {
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	var records int64
	for i := 0; i < b.N; i++ {
		meta, err := Read(context.Background(), path, Options{}, func(Entry) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		records += meta.Records
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkReadVICS(b *testing.B) {
	p, _ := benchFile(b, "vics.json", writeVICSBench)
	benchRead(b, p)
}

func BenchmarkReadNSRL(b *testing.B) {
	p, _ := benchFile(b, "rds.db", writeNSRLBench)
	benchRead(b, p)
}

func BenchmarkReadMD5Sum(b *testing.B) {
	p, _ := benchFile(b, "list.md5", func(path string, n int) {
		f, _ := os.Create(path)
		w := bufio.NewWriter(f)
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "%s  dir/file-%d.jpg\n", fakeMD5(i), i)
		}
		w.Flush()
		f.Close()
	})
	benchRead(b, p)
}

func BenchmarkReadICSE(b *testing.B) {
	p, _ := benchFile(b, "icse.csv", func(path string, n int) {
		f, _ := os.Create(path)
		w := bufio.NewWriter(f)
		w.WriteString(icseHeader + "\n")
		for i := 0; i < n; i++ {
			_, pdna := fakePhotoDNA(i)
			fmt.Fprintf(w, "%s;%s;%s;%s;;%d;Y;N;N;;;;1;True;Image;No\n", fakeMD5(i), fakeSHA1(i), upper(fakeMD5(i+1)), pdna, i)
		}
		w.Flush()
		f.Close()
	})
	benchRead(b, p)
}
