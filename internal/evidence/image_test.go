package evidence

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The disk-image tests build their images with Debian's own tools
// (dosfstools, mtools, e2fsprogs, ntfs-3g, fdisk; .ci/install-evidence-tools.sh
// installs them) and skip, saying which tool is missing, where they are not.

func needTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (run .ci/install-evidence-tools.sh)", tool)
		}
	}
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func runInput(t testing.TB, input, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(input)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func emptyFile(t testing.TB, p string, size int64) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// tree is the content put into every image: path → data.
type tree map[string][]byte

func sampleTree() tree {
	tr := tree{
		"Report 2021.txt":    []byte("a long file name\n"),
		"SUB/DEEP/photo.bin": pattern(5, 300_000),
		"small.txt":          []byte("tiny"),
		"empty.dat":          nil,
	}
	for i := range 40 {
		tr[fmt.Sprintf("MANY/file%02d.txt", i)] = pattern(100+i, 100+i*37)
	}
	return tr
}

func writeTree(t testing.TB, dir string, tr tree) {
	t.Helper()
	for p, data := range tr {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(full, t0, t0)
	}
}

// checkTree checks that every file of tr was read back byte for byte, with
// its size and modification time (when mtime is not zero).
func checkTree(t *testing.T, found map[string]*got, prefix string, tr tree, mtime time.Time) {
	t.Helper()
	for p, data := range tr {
		g := wantFile(t, found, prefix+p, data)
		if !mtime.IsZero() && !g.info.ModTime().Equal(mtime) {
			t.Errorf("%s: mtime %v, want %v", p, g.info.ModTime(), mtime)
		}
	}
}

func fileDigest(t testing.TB, p string) ([32]byte, time.Time) {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	return sha256.Sum256(b), fi.ModTime()
}

// deletedLong is the long name of the second deleted file makeFAT writes.
const deletedLong = "An evening photo with a long name.jpeg"

// makeFAT builds a FAT image of the given FAT size with mtools, with tr in
// it, plus two deleted files: "GONE.TXT" holding gone, and deletedLong
// (three long-name pieces) holding gone reversed.
func makeFAT(t testing.TB, p string, bits string, size int64, tr tree, gone []byte) {
	t.Helper()
	needTools(t, "mkfs.fat", "mcopy", "mmd", "mdel")
	emptyFile(t, p, size)
	run(t, "mkfs.fat", "-F", bits, "-S", "512", "-s", "1", "-n", "EVIDENCE", p)
	dir := t.TempDir()
	writeTree(t, dir, tr)
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		run(t, "mcopy", "-s", "-m", "-i", p, filepath.Join(dir, e.Name()), "::/")
	}
	if gone != nil {
		g := filepath.Join(t.TempDir(), "GONE.TXT")
		os.WriteFile(g, gone, 0o644)
		run(t, "mcopy", "-m", "-i", p, g, "::/GONE.TXT")
		l := filepath.Join(t.TempDir(), deletedLong)
		os.WriteFile(l, reversed(gone), 0o644)
		run(t, "mcopy", "-m", "-i", p, l, "::/")
		run(t, "mdel", "-i", p, "::/GONE.TXT")
		run(t, "mdel", "-i", p, "::/"+deletedLong)
	}
}

func TestFATImages(t *testing.T) {
	for _, c := range []struct {
		bits string
		size int64
	}{{"12", 2 << 20}, {"16", 24 << 20}, {"32", 40 << 20}} {
		t.Run("FAT"+c.bits, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "card.img")
			tr := sampleTree()
			gone := pattern(7, 5000)
			makeFAT(t, p, c.bits, c.size, tr, gone)
			before, mtime := fileDigest(t, p)
			src := openPath(t, p)
			if src.Kind() != "fat" {
				t.Fatalf("kind %q", src.Kind())
			}
			found := walkAll(t, src, NewTracker(Budget{}))
			checkTree(t, found, "", tr, t0)
			g := found["Report 2021.txt"]
			if m := MetaOf(g.info); m.BTime.IsZero() || m.ATime.IsZero() || m.Deleted {
				t.Errorf("meta %+v", m)
			}
			// The deleted file is listed, flagged, and its clusters read.
			g = wantFile(t, found, "_ONE.TXT", gone)
			if !MetaOf(g.info).Deleted {
				t.Error("deleted file not flagged")
			}
			// A deleted long name is read whole: its pieces lost their
			// ordinals, not their order or checksum.
			g = wantFile(t, found, deletedLong, reversed(gone))
			if !MetaOf(g.info).Deleted {
				t.Error("deleted long-named file not flagged")
			}
			src.Close()
			after, mtime2 := fileDigest(t, p)
			if before != after || !mtime.Equal(mtime2) {
				t.Error("the image changed while it was read")
			}
		})
	}
}

func makeExt(t testing.TB, p, fsType, blockSize string, tr tree, extra func(dir string)) {
	t.Helper()
	needTools(t, "mke2fs")
	dir := t.TempDir()
	writeTree(t, dir, tr)
	if extra != nil {
		extra(dir)
	}
	emptyFile(t, p, 16<<20)
	run(t, "mke2fs", "-q", "-F", "-t", fsType, "-b", blockSize, "-d", dir, p)
}

func TestExtImages(t *testing.T) {
	longTarget := strings.Repeat("long/target/", 10) + "x"
	for _, c := range []struct{ fsType, bs string }{{"ext2", "1024"}, {"ext3", "1024"}, {"ext4", "4096"}, {"ext4", "1024"}} {
		t.Run(c.fsType+"-"+c.bs, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "disk.img")
			tr := sampleTree()
			// 300 names: an indexed (htree) directory in ext4
			for i := range 300 {
				tr[fmt.Sprintf("big dir/entry-%03d", i)] = []byte(fmt.Sprint(i))
			}
			sparse := make([]byte, 1<<20)
			copy(sparse[600_000:], pattern(9, 5000))
			makeExt(t, p, c.fsType, c.bs, tr, func(dir string) {
				os.Symlink("small.txt", filepath.Join(dir, "fast-link"))
				os.Symlink(longTarget, filepath.Join(dir, "slow-link"))
				os.Symlink("loop-b", filepath.Join(dir, "loop-a"))
				os.Symlink("loop-a", filepath.Join(dir, "loop-b"))
				os.Symlink("..", filepath.Join(dir, "SUB", "up"))
				f, _ := os.Create(filepath.Join(dir, "sparse.bin"))
				f.WriteAt(sparse[600_000:605_000], 600_000)
				f.Truncate(int64(len(sparse)))
				f.Close()
			})
			before, mtime := fileDigest(t, p)
			src := openPath(t, p)
			if src.Kind() != "ext" {
				t.Fatalf("kind %q", src.Kind())
			}
			found := walkAll(t, src, NewTracker(Budget{}))
			checkTree(t, found, "", tr, t0)
			wantFile(t, found, "sparse.bin", sparse)
			links := map[string]string{"fast-link": "small.txt", "slow-link": longTarget, "loop-a": "loop-b", "loop-b": "loop-a", "SUB/up": ".."}
			for link, target := range links {
				g := found[link]
				if g == nil || MetaOf(g.info).LinkTarget != target {
					t.Errorf("%s: link target not reported", link)
				}
				if f, err := src.Open(link); err == nil {
					f.Close()
					t.Errorf("%s: opened through the link", link)
				}
			}
			g := found["small.txt"]
			if m := MetaOf(g.info); !m.ATime.Equal(t0) || m.CTime.IsZero() || m.Inode == 0 {
				t.Errorf("small.txt meta %+v", m)
			}
			src.Close()
			after, mtime2 := fileDigest(t, p)
			if before != after || !mtime.Equal(mtime2) {
				t.Error("the image changed while it was read")
			}
		})
	}
}

func makeNTFS(t testing.TB, p string, size int64, tr tree) {
	t.Helper()
	needTools(t, "mkntfs", "ntfscp")
	emptyFile(t, p, size)
	run(t, "mkntfs", "-q", "-F", "-f", p)
	dir := t.TempDir()
	for name, data := range tr {
		src := filepath.Join(dir, name)
		os.WriteFile(src, data, 0o644)
		run(t, "ntfscp", "-q", p, src, name)
	}
}

func TestNTFSImage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "win.img")
	// ntfscp cannot make directories: files at the root only.
	tr := tree{"resident.txt": []byte("small enough to live in the MFT"), "photo.bin": pattern(6, 300_000), "empty": nil}
	start := time.Now().Add(-2 * time.Second)
	makeNTFS(t, p, 8<<20, tr)
	end := time.Now().Add(2 * time.Second)
	before, mtime := fileDigest(t, p)
	src := openPath(t, p)
	if src.Kind() != "ntfs" {
		t.Fatalf("kind %q", src.Kind())
	}
	found := walkAll(t, src, NewTracker(Budget{}))
	checkTree(t, found, "", tr, time.Time{})
	for name := range tr {
		g := found[name]
		m := MetaOf(g.info)
		for _, ts := range []time.Time{g.info.ModTime(), m.ATime, m.BTime, m.CTime} {
			if ts.Before(start) || ts.After(end) {
				t.Errorf("%s: time %v not when it was copied", name, ts)
			}
		}
	}
	for p := range found {
		if strings.HasPrefix(p, "$") {
			t.Errorf("NTFS metadata file %s listed", p)
		}
	}
	src.Close()
	after, mtime2 := fileDigest(t, p)
	if before != after || !mtime.Equal(mtime2) {
		t.Error("the image changed while it was read")
	}
}

// copyInto writes the file at src into dst at byte offset off.
func copyInto(t testing.TB, dst string, off int64, src string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestPartitionedImages(t *testing.T) {
	needTools(t, "sfdisk")
	const mib = 1 << 20
	for _, label := range []string{"dos", "gpt"} {
		t.Run(label, func(t *testing.T) {
			dir := t.TempDir()
			fat, ext := filepath.Join(dir, "fat.img"), filepath.Join(dir, "ext.img")
			ftr := tree{"DCIM/IMG_0001.BIN": pattern(11, 40_000), "notes.txt": []byte("fat")}
			etr := tree{"home/user/a.bin": pattern(12, 70_000)}
			makeFAT(t, fat, "16", 16*mib, ftr, nil)
			makeExt(t, ext, "ext4", "4096", etr, nil)
			disk := filepath.Join(dir, "disk.dd")
			emptyFile(t, disk, 56*mib)
			var script string
			if label == "dos" {
				script = "label: dos\nstart=2048, size=32768, type=6\nstart=34816, size=32768, type=83\nstart=67584, size=8192, type=a5\n"
			} else {
				script = "label: gpt\nstart=2048, size=32768, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n" +
					"start=34816, size=32768, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n" +
					"start=67584, size=8192, type=516E7CB6-6ECF-11D6-8FF8-00022D09712B\n"
			}
			runInput(t, script, "sfdisk", "-q", disk)
			copyInto(t, disk, 2048*512, fat)
			copyInto(t, disk, 34816*512, ext)
			before, mtime := fileDigest(t, disk)

			src := openPath(t, disk)
			if src.Kind() != "disk-image" {
				t.Fatalf("kind %q", src.Kind())
			}
			found := walkAll(t, src, NewTracker(Budget{}))
			checkTree(t, found, "p1/", ftr, t0)
			checkTree(t, found, "p2/", etr, t0)
			g := wantErr(t, found, "p3", ErrUnsupported)
			want := "partition 3: file system type 0xa5 not recognised"
			if label == "gpt" {
				want = "partition 3: file system type 516E7CB6-6ECF-11D6-8FF8-00022D09712B not recognised"
			}
			if !strings.Contains(g.err.Error(), want) {
				t.Errorf("p3: %v, want it to say %q", g.err, want)
			}
			src.Close()
			after, mtime2 := fileDigest(t, disk)
			if before != after || !mtime.Equal(mtime2) {
				t.Error("the image changed while it was read")
			}
		})
	}
}

// A disk image inside a zip is a nested source, charged to the budget.
func TestNestedImage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sd.img")
	tr := tree{"a.bin": pattern(13, 100_000)}
	makeFAT(t, p, "12", 2<<20, tr, nil)
	img, _ := os.ReadFile(p)
	z := makeZip(t, []member{{name: "backup/sd.img", data: img}})
	src := openPath(t, writeTemp(t, "seized.zip", z))
	found := walkAll(t, src, NewTracker(Budget{}))
	checkTree(t, found, "backup/sd.img/", tr, t0)

	// The intake's tracker is charged for what nested sources expand to.
	found = walkAll(t, openPath(t, writeTemp(t, "seized.zip", z)), NewTracker(Budget{MaxExpanded: 50_000}))
	wantErr(t, found, "backup/sd.img/a.bin", ErrBudget)
}

// Corrupt images give errors, never panics or hangs: a few targeted
// corruptions beyond what the fuzzers find.
func TestCorruptImages(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.img")
	makeFAT(t, p, "12", 2<<20, tree{"a.bin": pattern(14, 100_000), "D/b.txt": []byte("b")}, nil)
	img, _ := os.ReadFile(p)
	// A FAT whose chains all loop back on themselves.
	loop := bytes.Clone(img)
	for i := 512 + 3; i < 512+1536; i++ {
		loop[i] = 0x02
	}
	src, err := openImage(bytes.NewReader(loop), int64(len(loop)), kindFAT, NewTracker(Budget{}))
	if err != nil {
		t.Fatal(err)
	}
	found := walkAll(t, src, NewTracker(Budget{}))
	if g := found["a.bin"]; g != nil && g.err == nil && bytes.Equal(g.data, pattern(14, 100_000)) {
		t.Error("a looping chain read as the original file")
	}
	// Truncated inside a.bin's data: what lies past the end is an error.
	half := img[:40_000]
	src, err = openImage(bytes.NewReader(half), int64(len(half)), kindFAT, NewTracker(Budget{}))
	if err == nil {
		found = walkAll(t, src, NewTracker(Budget{}))
		if g := found["a.bin"]; g != nil && g.err == nil {
			t.Error("a.bin read whole from a truncated image")
		}
	}
}

// The intake reads files of one source from several workers at once.
func TestConcurrentReads(t *testing.T) {
	tr := sampleTree()
	sources := map[string]Source{}
	ms := []member{}
	for p, data := range tr {
		ms = append(ms, member{name: p, data: data, mtime: t0})
	}
	sources["zip"] = openPath(t, writeTemp(t, "c.zip", makeZip(t, ms)))
	sources["tar"] = openPath(t, writeTemp(t, "c.tar", makeTar(t, 0, ms)))
	if _, err := exec.LookPath("mcopy"); err == nil {
		p := filepath.Join(t.TempDir(), "c.img")
		makeFAT(t, p, "16", 24<<20, tr, nil)
		sources["fat"] = openPath(t, p)
	}
	for kind, src := range sources {
		t.Run(kind, func(t *testing.T) {
			errs := make(chan error, 4)
			for w := range 4 {
				go func() {
					for p, data := range tr {
						f, err := src.Open(p)
						if err != nil {
							errs <- err
							return
						}
						b, err := io.ReadAll(f)
						f.Close()
						if err != nil || !bytes.Equal(b, data) {
							errs <- fmt.Errorf("worker %d: %s: %v (read %d bytes)", w, p, err, len(b))
							return
						}
					}
					errs <- nil
				}()
			}
			for range 4 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// The go-diskfs backend that reads partition tables cannot reach the
// evidence for writing.
func TestStorageIsReadOnly(t *testing.T) {
	s := newROStorage(bytes.NewReader(make([]byte, 1024)), 1024)
	if w, err := s.Writable(); err == nil || w != nil {
		t.Error("Writable succeeded")
	}
	if f, err := s.Sys(); err == nil || f != nil {
		t.Error("Sys gave an *os.File")
	}
}

// A directory that contains itself (a crafted FAT entry pointing back at
// its parent's clusters) is refused with an error; the walk ends.
func TestFATDirectoryLoop(t *testing.T) {
	p := filepath.Join(t.TempDir(), "loop.img")
	makeFAT(t, p, "12", 2<<20, tree{"OUTER/LOOP/x.txt": []byte("x"), "OUTER/y.txt": []byte("y")}, nil)
	img, _ := os.ReadFile(p)
	entry := func(name string) int {
		for i := 0; i+32 <= len(img); i += 32 {
			if string(img[i:i+11]) == name && img[i+11]&0x10 != 0 {
				return i
			}
		}
		t.Fatalf("no directory entry %q", name)
		return 0
	}
	outer, loop := entry("OUTER      "), entry("LOOP       ")
	copy(img[loop+26:loop+28], img[outer+26:outer+28]) // LOOP's clusters are OUTER's
	src, err := openImage(bytes.NewReader(img), int64(len(img)), kindFAT, NewTracker(Budget{}))
	if err != nil {
		t.Fatal(err)
	}
	found := walkAll(t, src, NewTracker(Budget{}))
	wantFile(t, found, "OUTER/y.txt", []byte("y"))
	wantErr(t, found, "OUTER/LOOP", errCorrupt)
	if len(found) > 10 {
		t.Errorf("walk went round the loop: %d entries", len(found))
	}
}

func reversed(b []byte) []byte {
	r := slices.Clone(b)
	slices.Reverse(r)
	return r
}
