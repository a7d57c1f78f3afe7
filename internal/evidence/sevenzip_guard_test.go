package evidence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz/lzma"
)

// The guard must follow every header 7-Zip writes to its end: stored and
// compressed headers, LZMA, LZMA2, solid or not, many files.
func TestSevenZipGuardFollowsRealHeaders(t *testing.T) {
	needTools(t, "7z")
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	tr := tree{"a.txt": []byte("first"), "d/b.bin": pattern(8, 3000), "d/c.txt": []byte("third")}
	for i := range 300 {
		tr[filepath.Join("many", strings.Repeat("x", i%40)+string(rune('a'+i%26))+".txt")] = []byte{byte(i)}
	}
	writeTree(t, in, tr)
	for name, args := range map[string][]string{
		"default":      nil,
		"plain-header": {"-mhc=off"},
		"copy":         {"-m0=copy"},
		"lzma":         {"-m0=lzma"},
		"solid-ultra":  {"-ms=on", "-mx=9"},
		"bzip2":        {"-m0=bzip2", "-mtm=on", "-mta=on", "-mtc=on"},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name+".7z")
			cmd := exec.Command("7z", append(append([]string{"a", "-bd"}, args...), out, ".")...)
			cmd.Dir = in
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("7z: %v\n%s", err, b)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := walk7zHeader(bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatalf("the guard did not follow the header to its end: %v", err)
			}
			src, err := open7z(bytes.NewReader(data), int64(len(data)), NewTracker(Budget{}))
			if err != nil {
				t.Fatal(err)
			}
			found := walkAll(t, src, NewTracker(Budget{}))
			wantFile(t, found, "d/b.bin", pattern(8, 3000))
		})
	}
}

// An encrypted header cannot be checked: refused, saying why.
func TestSevenZipGuardEncryptedHeader(t *testing.T) {
	needTools(t, "7z")
	dir := t.TempDir()
	writeTree(t, filepath.Join(dir, "in"), tree{"a.txt": []byte("secret")})
	out := filepath.Join(dir, "enc.7z")
	cmd := exec.Command("7z", "a", "-bd", "-mhe=on", "-pexample", out, ".")
	cmd.Dir = filepath.Join(dir, "in")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("7z: %v\n%s", err, b)
	}
	data, _ := os.ReadFile(out)
	_, err := open7z(bytes.NewReader(data), int64(len(data)), NewTracker(Budget{}))
	if err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Fatalf("encrypted header: %v", err)
	}
}

// num7z writes a 7z number in its longest form.
func num7z(v uint64) []byte {
	b := []byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint64(b[1:], v)
	return b
}

// archive7z puts a 7z archive together: packed streams, then the header,
// with correct checksums throughout (a crafter computes them too).
func archive7z(packed, header []byte) []byte {
	start := make([]byte, 20)
	binary.LittleEndian.PutUint64(start[0:], uint64(len(packed)))
	binary.LittleEndian.PutUint64(start[8:], uint64(len(header)))
	binary.LittleEndian.PutUint32(start[16:], crc32.ChecksumIEEE(header))
	out := append([]byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c, 0, 4}, binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(start))...)
	out = append(out, start...)
	out = append(out, packed...)
	return append(out, header...)
}

// A header of a few bytes that declares 2^36 files (terabytes of tables
// for the library, which would end the process) is refused, plain or
// LZMA-packed as 7-Zip packs headers.
func TestSevenZipGuardRefusesCraftedCounts(t *testing.T) {
	files := append(append([]byte{0x01, 0x05}, num7z(1<<36)...), 0x00, 0x00)
	streams := append(append([]byte{0x01, 0x04, 0x07, 0x0b}, num7z(1<<34)...), 0x00) // 2^34 folders
	var lz bytes.Buffer
	w, err := lzma.WriterConfig{DictCap: 1 << 16}.NewWriter(&lz)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(files)
	w.Close()
	raw := lz.Bytes()[13:] // the coder's stream: no .lzma header
	props := lz.Bytes()[:5]
	enc := []byte{0x17, 0x06, 0x00, 0x01, 0x09}
	enc = append(enc, num7z(uint64(len(raw)))...)
	enc = append(enc, 0x00, 0x07, 0x0b, 0x01, 0x00, 0x01, 0x23, 0x03, 0x01, 0x01, 0x05)
	enc = append(enc, props...)
	enc = append(enc, 0x0c)
	enc = append(enc, num7z(uint64(len(files)))...)
	enc = append(enc, 0x00, 0x00)

	for name, data := range map[string][]byte{
		"files":        archive7z(nil, files),
		"folders":      archive7z(nil, streams),
		"lzma-encoded": archive7z(raw, enc),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := open7z(bytes.NewReader(data), int64(len(data)), NewTracker(Budget{}))
			if err == nil || !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), "declares tables") {
				t.Fatalf("crafted counts: %v", err)
			}
		})
	}
	// The same file with its header's checksum broken: refused as damaged.
	bad := archive7z(nil, files)
	bad[len(bad)-1] ^= 0xff
	if _, err := open7z(bytes.NewReader(bad), int64(len(bad)), nil); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("damaged header: %v", err)
	}
}
