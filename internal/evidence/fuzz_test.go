package evidence

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Every reader of untrusted containers has a fuzz target: given bytes, open
// them, walk everything, read everything (and open nested containers),
// within a small budget. None may panic or hang. Seed corpora are in
// testdata/fuzz/FuzzXxx, written by TestWriteFuzzSeeds from fixtures the
// tests build.

// fuzzHang is how long one input may take (VIGIL_FUZZ_HANG, a Go
// duration, to hunt slow inputs with a shorter one).
var fuzzHang = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("VIGIL_FUZZ_HANG")); err == nil && d > 0 {
		return d
	}
	return 20 * time.Second
}()

var fuzzBudget = Budget{MaxDepth: 2, MaxEntries: 2000, MaxExpanded: 8 << 20, MaxEntry: 2 << 20, MaxRatio: 200}

// fuzzOpen opens data as kind with a small budget and walks it all.
func fuzzOpen(t *testing.T, data []byte, kind string) {
	// A hang is a failure: the watchdog crashes the fuzzing worker, which
	// makes the fuzzer save the input.
	watchdog := time.AfterFunc(fuzzHang, func() {
		panic(fmt.Sprintf("%s input of %d bytes still being read after %v", kind, len(data), fuzzHang))
	})
	defer watchdog.Stop()
	tr := NewTracker(fuzzBudget)
	src, err := openKind(bytes.NewReader(data), int64(len(data)), kind, tr)
	if err != nil {
		return
	}
	defer src.Close()
	fuzzWalk(t, src, tr, 0)
}

func fuzzWalk(t *testing.T, src Source, tr *Tracker, depth int) {
	visited := 0
	fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		visited++
		if visited > 5000 {
			return fs.SkipAll
		}
		if err != nil || !fs.ValidPath(p) {
			if !fs.ValidPath(p) {
				t.Errorf("invalid path %q", p)
			}
			return nil
		}
		src.Stat(p)
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		f, err := src.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		data, _ := io.ReadAll(io.LimitReader(f, 4<<20))
		if int64(len(data)) > info.Size() {
			t.Errorf("%s: read %d bytes, declared %d", p, len(data), info.Size())
		}
		if kind, ok := Container(p, data[:min(len(data), HeadSize)]); ok {
			if n, err := OpenNested(bytes.NewReader(data), int64(len(data)), kind, depth+1, tr); err == nil {
				fuzzWalk(t, n, tr, depth+1)
				n.Close()
			}
		}
		return nil
	})
}

func addSeeds(f *testing.F, extra ...[]byte) {
	for _, b := range extra {
		f.Add(b)
	}
}

func FuzzZip(f *testing.F) {
	addSeeds(f, makeZip(f, sampleMembers()))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOpen(t, data, kindZip) })
}

func Fuzz7z(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOpen(t, data, kind7z) })
}

func FuzzTar(f *testing.F) {
	addSeeds(f, makeTar(f, tar.FormatPAX, sampleMembers()[:3]))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOpen(t, data, kindTar) })
}

func FuzzGzip(f *testing.F) {
	addSeeds(f, gz(f, makeTar(f, tar.FormatGNU, sampleMembers()[:2])))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOpen(t, data, kindGzip) })
}

// Container recognition and the partition tables (and, through them,
// every file system reader).
func FuzzDiskImage(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		Container("x", data[:min(len(data), HeadSize)])
		fuzzOpen(t, data, kindDiskImage)
	})
}

// File-system images are padded with zeros to a fixed size, so that seeds
// can leave out their empty tails.
func padImage(data []byte, size int) []byte {
	if len(data) >= size {
		return data
	}
	return append(bytes.Clone(data), make([]byte, size-len(data))...)
}

func FuzzFAT(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOpen(t, padImage(data, 64<<10), kindFAT) })
}

func FuzzExt(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOpen(t, padImage(data, 128<<10), kindExt) })
}

// NTFS volumes are at least 1 MiB: the input is a list of patches applied
// to a small volume made by mkntfs (3-byte offset, 1-byte length, bytes),
// so that the fuzzer mutates structures rather than megabytes of zeros.
var ntfsBase struct {
	once sync.Once
	img  []byte
	err  error
}

func ntfsBaseImage(t testing.TB) []byte {
	ntfsBase.once.Do(func() {
		if _, err := execLookPath("mkntfs"); err != nil {
			ntfsBase.err = err
			return
		}
		dir, err := os.MkdirTemp("", "vigil-fuzz-ntfs")
		if err != nil {
			ntfsBase.err = err
			return
		}
		defer os.RemoveAll(dir)
		p := filepath.Join(dir, "n.img")
		makeNTFSQuiet(p, tree{"a.txt": []byte("resident content"), "b.bin": pattern(21, 20_000)})
		ntfsBase.img, ntfsBase.err = os.ReadFile(p)
	})
	if ntfsBase.err != nil || len(ntfsBase.img) == 0 {
		t.Skipf("no NTFS base image: mkntfs and ntfscp needed (%v)", ntfsBase.err)
	}
	return ntfsBase.img
}

func applyPatches(base, patches []byte) []byte {
	img := bytes.Clone(base)
	for len(patches) >= 4 {
		off := int(patches[0])<<16 | int(patches[1])<<8 | int(patches[2])
		n := int(patches[3])
		patches = patches[4:]
		n = min(n, len(patches))
		if off < len(img) {
			copy(img[off:], patches[:n])
		}
		patches = patches[n:]
	}
	return img
}

func FuzzNTFS(f *testing.F) {
	f.Fuzz(func(t *testing.T, patches []byte) {
		fuzzOpen(t, applyPatches(ntfsBaseImage(t), patches), kindNTFS)
	})
}

// TestWriteFuzzSeeds writes the seed corpora from fixtures built here. It
// runs only when VIGIL_WRITE_FUZZ_SEEDS is set:
//
//	VIGIL_WRITE_FUZZ_SEEDS=1 go test ./internal/evidence -run TestWriteFuzzSeeds
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("VIGIL_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set VIGIL_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz")
	}
	write := func(target string, seeds map[string][]byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		for name, b := range seeds {
			s := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	small := []member{
		{name: "d/", dir: true, mtime: t0},
		{name: "d/a.txt", data: []byte("first file\n"), mtime: t0},
		{name: "b.bin", data: pattern(1, 3000), mtime: t0, stored: true},
		{name: "link", link: "d/a.txt", mtime: t0},
		{name: "../up.txt", data: []byte("up"), mtime: t0},
	}
	inner := makeZip(t, small[:2])
	packed := deflate([]byte("benign content"))
	write("FuzzZip", map[string][]byte{
		"sample":  makeZip(t, small),
		"nested":  makeZip(t, []member{{name: "in.zip", data: inner, stored: true}, {name: "t.tar", data: makeTar(t, tar.FormatUSTAR, small[:2])}}),
		"overlap": rawZip([]rawEntry{{name: "a", method: 8, packed: uint32(len(packed)), size: 14, localOffset: -1, data: packed}, {name: "b", method: 8, packed: uint32(len(packed)), size: 14, localOffset: 0}}),
		"liar":    rawZip([]rawEntry{{name: "a", method: 8, packed: uint32(len(packed)), size: 3 << 30, localOffset: -1, data: packed}}),
		"empty":   makeZip(t, nil),
	})
	write("FuzzTar", map[string][]byte{
		"ustar":  makeTar(t, tar.FormatUSTAR, small),
		"gnu":    makeTar(t, tar.FormatGNU, small),
		"pax":    makeTar(t, tar.FormatPAX, small),
		"zip":    makeTar(t, tar.FormatPAX, []member{{name: "in.zip", data: inner}}),
		"sparse": sparseTar(t),
	})
	var gzSingle bytes.Buffer
	{
		zw := newGzipWriter(&gzSingle, "named.txt")
		zw.Write([]byte("a single gzip member"))
		zw.Close()
	}
	write("FuzzGzip", map[string][]byte{
		"targz":  gz(t, makeTar(t, tar.FormatPAX, small)),
		"single": gzSingle.Bytes(),
	})

	needTools(t, "mkfs.fat", "mcopy", "mmd", "mke2fs", "sfdisk", "mkntfs", "ntfscp", "7z")
	dir := t.TempDir()
	sevenSeeds := map[string][]byte{}
	for name, args := range map[string][]string{"lzma2": {"-m0=lzma2"}, "copy": {"-m0=copy"}, "solid": {"-ms=on", "-mx=9"}} {
		in := filepath.Join(dir, "7in-"+name)
		writeTree(t, in, tree{"a.txt": []byte("first"), "d/b.bin": pattern(8, 3000), "d/c.txt": []byte("third")})
		out := filepath.Join(dir, name+".7z")
		cmd := exec.Command("7z", append(append([]string{"a", "-bd"}, args...), out, ".")...)
		cmd.Dir = in
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("7z: %v\n%s", err, b)
		}
		sevenSeeds[name], _ = os.ReadFile(out)
	}
	write("Fuzz7z", sevenSeeds)
	fat := filepath.Join(dir, "fat.img")
	emptyFile(t, fat, 64<<10)
	run(t, "mkfs.fat", "-F", "12", "-r", "16", "-s", "1", fat)
	src := filepath.Join(dir, "src")
	writeTree(t, src, tree{"Long Name.txt": []byte("long"), "D/b.bin": pattern(3, 3000)})
	os.WriteFile(filepath.Join(dir, "GONE.TXT"), []byte("deleted"), 0o644)
	run(t, "mcopy", "-s", "-m", "-i", fat, filepath.Join(src, "Long Name.txt"), filepath.Join(src, "D"), filepath.Join(dir, "GONE.TXT"), "::/")
	run(t, "mdel", "-i", fat, "::/GONE.TXT")
	fatImg, _ := os.ReadFile(fat)
	write("FuzzFAT", map[string][]byte{"fat12": bytes.TrimRight(fatImg, "\x00")})

	ext := filepath.Join(dir, "ext.img")
	esrc := filepath.Join(dir, "esrc")
	writeTree(t, esrc, tree{"d/h.txt": []byte("hello"), "big.bin": pattern(4, 20_000)})
	os.Symlink("d/h.txt", filepath.Join(esrc, "l"))
	seeds := map[string][]byte{}
	for _, typ := range []string{"ext2", "ext4"} {
		emptyFile(t, ext, 128<<10)
		run(t, "mke2fs", "-q", "-F", "-t", typ, "-b", "1024", "-N", "16", "-m", "0", "-d", esrc, ext)
		b, _ := os.ReadFile(ext)
		seeds[typ] = bytes.TrimRight(b, "\x00")
	}
	write("FuzzExt", seeds)

	// A GPT disk and an MBR disk, each holding the FAT12 volume.
	gptDisk := filepath.Join(dir, "gpt.img")
	emptyFile(t, gptDisk, 8<<10)
	runInput(t, "label: gpt\ntable-length: 4\nfirst-lba: 3\nlast-lba: 13\nstart=3, size=8, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n", "sfdisk", "-q", gptDisk)
	gptImg, _ := os.ReadFile(gptDisk)
	mbr := make([]byte, 512)
	mbr[446+4] = 0x01
	binary.LittleEndian.PutUint32(mbr[446+8:], 1)
	binary.LittleEndian.PutUint32(mbr[446+12:], 128)
	mbr[510], mbr[511] = 0x55, 0xaa
	write("FuzzDiskImage", map[string][]byte{
		"gpt": gptImg,
		"mbr": bytes.TrimRight(append(mbr, fatImg...), "\x00"),
	})

	base := ntfsBaseImage(t)
	bps := int(binary.LittleEndian.Uint16(base[11:]))
	spc := int(base[13])
	mft := int(binary.LittleEndian.Uint64(base[48:])) * bps * spc
	patch := func(off int, b ...byte) []byte {
		return append([]byte{byte(off >> 16), byte(off >> 8), byte(off), byte(len(b))}, b...)
	}
	write("FuzzNTFS", map[string][]byte{
		"none":       nil,
		"boot":       patch(13, 0x40),
		"mft-root":   patch(mft+5*1024+0x38, 0xff, 0xff),
		"mft-record": patch(mft+64*1024+0x14, 0x00, 0x04),
	})
}

func execLookPath(name string) (string, error) { return exec.LookPath(name) }

// makeNTFSQuiet builds an NTFS volume outside a test (for the fuzz base).
func makeNTFSQuiet(p string, tr tree) {
	f, err := os.Create(p)
	if err != nil {
		return
	}
	f.Truncate(2 << 20)
	f.Close()
	if exec.Command("mkntfs", "-q", "-F", "-f", "-c", "512", p).Run() != nil {
		return
	}
	dir := filepath.Dir(p)
	for name, data := range tr {
		src := filepath.Join(dir, "src-"+name)
		os.WriteFile(src, data, 0o644)
		exec.Command("ntfscp", "-q", p, src, name).Run()
	}
}

func newGzipWriter(w io.Writer, name string) *gzip.Writer {
	zw := gzip.NewWriter(w)
	zw.Name = name
	return zw
}
