package match

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// cacheSeed is a small cache file with both indexes.
func cacheSeed(tb testing.TB) []byte {
	ex, _, _ := exactFixture(MD5, 20, 1)
	pq := buildPDQ(uniformSet(10, 2))
	var buf bytes.Buffer
	if err := writeCache(&buf, []byte("fp"), ex, pq); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzLoadCache: a cache file is read back from disk; whatever its bytes,
// loading must not panic or allocate beyond the file's size, and must
// either fail with ErrCorruptCache/ErrStaleCache or give indexes that
// answer queries.
func FuzzLoadCache(f *testing.F) {
	f.Add(cacheSeed(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Most mutations would only break the checksum: put it right, so
		// that the structure behind it is explored too (every other
		// input is tried as is).
		if len(data) >= 4 && len(data)%2 == 0 {
			binary.LittleEndian.PutUint32(data[len(data)-4:], crc32.Checksum(data[:len(data)-4], castagnoli))
		}
		ex, pq, err := readCache(bytes.NewReader(data), int64(len(data)), []byte("fp"))
		if err != nil {
			if !errors.Is(err, ErrCorruptCache) && !errors.Is(err, ErrStaleCache) {
				t.Fatalf("error %v is neither corrupt nor stale", err)
			}
			return
		}
		if ex != nil {
			for k := Kind(0); k < numKinds; k++ {
				t0 := &ex.t[k]
				for i := 0; i < len(t0.ids); i++ {
					ids := ex.Lookup(k, t0.key(i))
					found := false
					for _, id := range ids {
						found = found || id == t0.ids[i]
					}
					if !found {
						t.Fatalf("loaded %s digest %d not found", k, i)
					}
				}
			}
		}
		if pq != nil {
			for i, h := range pq.hashes {
				if hits := pq.Query(h, 0); len(hits) == 0 {
					t.Fatalf("loaded hash %d not found", i)
				}
			}
		}
	})
}

// TestWriteFuzzCorpus writes the seed corpus under testdata/fuzz.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_CORPUS") == "" {
		t.Skip("set VIGIL_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzLoadCache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", cacheSeed(t))
	if err := os.WriteFile(filepath.Join(dir, "seed0"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
