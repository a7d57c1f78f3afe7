package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vigilBin is the command built once for the end-to-end tests.
var vigilBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	out, err := exec.Command("go", "build", "-o", vigilBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building vigil: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env isolates a test's keys and case.
type env struct {
	t    *testing.T
	dir  string
	keys string
	cas  string
}

func newEnv(t *testing.T) *env {
	d := t.TempDir()
	return &env{t: t, dir: d, keys: filepath.Join(d, "keys"), cas: filepath.Join(d, "case")}
}

func (e *env) cmd(args ...string) *exec.Cmd {
	c := exec.Command(vigilBin, args...)
	c.Env = append(os.Environ(), "VIGIL_KEYS="+e.keys, "VIGIL_CASE="+e.cas, "VIGIL_ACTOR=tester")
	return c
}

// run runs vigil and returns stdout, failing the test on an unexpected
// exit status.
func (e *env) run(wantCode int, args ...string) string {
	e.t.Helper()
	c := e.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	if code != wantCode {
		e.t.Fatalf("vigil %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, out.String(), errb.String())
	}
	return out.String()
}

func writeCorpus(t *testing.T, dir string, n, maxSize int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	for i := 0; i < n; i++ {
		b := make([]byte, r.IntN(maxSize))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		p := filepath.Join(dir, fmt.Sprintf("dir%02d", i%13), fmt.Sprintf("file%05d.dat", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type fileRow struct {
	Device string `json:"device"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	MD5    string `json:"md5"`
}

func (e *env) files() []fileRow {
	e.t.Helper()
	var rows []fileRow
	if err := json.Unmarshal([]byte(e.run(0, "files", "--format", "json")), &rows); err != nil {
		e.t.Fatal(err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Path < rows[j].Path })
	return rows
}

// TestKillResume kills the ingest with SIGKILL at several moments, runs the
// same command again each time, and expects the store to end exactly as an
// uninterrupted run leaves it, with an intact audit chain.
func TestKillResume(t *testing.T) {
	ev := t.TempDir()
	const n = 4000
	writeCorpus(t, ev, n, 100_000, 11)

	ref := newEnv(t)
	ref.run(0, "init", ref.cas)
	ref.run(0, "ingest", "--device", "P1", ev)
	want := ref.files()
	if len(want) != n {
		t.Fatalf("reference run recorded %d files", len(want))
	}

	e := newEnv(t)
	e.run(0, "init", e.cas)
	r := rand.New(rand.NewPCG(3, 3))
	kills := 0
	for attempt := 0; attempt < 12 && kills < 5; attempt++ {
		c := e.cmd("ingest", "--device", "P1", ev)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+r.IntN(900)) * time.Millisecond)
		c.Process.Signal(syscall.SIGKILL)
		err := c.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
			continue // finished before the kill
		}
		var ds []struct {
			Files int64 `json:"files"`
		}
		json.Unmarshal([]byte(e.run(0, "devices", "--format", "json")), &ds)
		if len(ds) == 1 && ds[0].Files > 0 && ds[0].Files < n {
			kills++ // killed with part of the source recorded
		}
	}
	if kills == 0 {
		t.Fatal("never managed to kill the ingest mid-run")
	}
	e.run(0, "ingest", "--device", "P1", ev)
	got := e.files()
	if len(got) != len(want) {
		t.Fatalf("after %d kills and a rerun: %d files, uninterrupted run %d", kills, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d differs: %+v vs %+v", i, got[i], want[i])
		}
	}
	var devs []struct {
		Files int64 `json:"files"`
		Bytes int64 `json:"bytes"`
	}
	json.Unmarshal([]byte(e.run(0, "devices", "--format", "json")), &devs)
	var refDevs []struct {
		Files int64 `json:"files"`
		Bytes int64 `json:"bytes"`
	}
	json.Unmarshal([]byte(ref.run(0, "devices", "--format", "json")), &refDevs)
	if len(devs) != 1 || devs[0] != refDevs[0] {
		t.Fatalf("device counts after kills %+v, uninterrupted %+v", devs, refDevs)
	}
	out := e.run(0, "audit", "verify")
	if !strings.Contains(out, "audit chain intact") {
		t.Fatalf("audit after kills: %s", out)
	}
	t.Logf("%d kills; %s", kills, strings.TrimSpace(out))
}

// TestInterruptIsClean sends SIGINT (Ctrl-C): the ingest stops, records
// where it stopped, and the same command finishes the job.
func TestInterruptIsClean(t *testing.T) {
	ev := t.TempDir()
	writeCorpus(t, ev, 2000, 80_000, 12)
	e := newEnv(t)
	e.run(0, "init", e.cas)
	c := e.cmd("ingest", "--device", "P1", "--workers", "1", ev)
	var errb bytes.Buffer
	pr, pw := io.Pipe()
	c.Stderr = io.MultiWriter(&errb, pw)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the ingest is under way: its first progress line says so.
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ingest P1:") {
				started <- true
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("no progress line within a minute")
	}
	c.Process.Signal(os.Interrupt)
	err := c.Wait()
	pw.Close()
	ee, ok := err.(*exec.ExitError)
	if err == nil {
		t.Skip("the ingest finished before the interrupt; machine too fast for this corpus")
	}
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("interrupted ingest: %v\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "run the same command again") {
		t.Errorf("no resume hint in: %s", errb.String())
	}
	var srcs []struct {
		Status string `json:"status"`
	}
	json.Unmarshal([]byte(e.run(0, "devices", "sources", "--format", "json")), &srcs)
	if len(srcs) != 1 || srcs[0].Status != "interrupted" {
		t.Fatalf("sources after interrupt: %+v", srcs)
	}
	e.run(0, "ingest", "--device", "P1", ev)
	if n := len(e.files()); n != 2000 {
		t.Fatalf("%d files after resume", n)
	}
	if out := e.run(0, "audit", "verify"); !strings.Contains(out, "signed up to") {
		t.Fatalf("audit: %s", out)
	}
}

// snapshot records every file's bytes hash and modification time.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Lstat(p)
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			s := sha256.Sum256(b)
			m[p] = hex.EncodeToString(s[:]) + " " + fi.ModTime().UTC().Format(time.RFC3339Nano)
		} else {
			m[p] = fi.Mode().String() + " " + fi.ModTime().UTC().Format(time.RFC3339Nano)
		}
		return nil
	})
	return m
}

// TestEvidenceUnchanged runs every command on evidence and checks that no
// byte and no modification time changed.
func TestEvidenceUnchanged(t *testing.T) {
	ev := t.TempDir()
	writeCorpus(t, ev, 40, 20_000, 13)
	os.Symlink("dir00", filepath.Join(ev, "link"))
	before := snapshot(t, ev)
	e := newEnv(t)
	e.run(0, "init", e.cas)
	e.run(0, "ingest", "--device", "P1", "--country", "ES", ev)
	e.run(0, "ingest", "--device", "P1", ev)
	e.run(0, "verify")
	e.run(0, "files")
	e.run(0, "devices")
	e.run(0, "audit", "verify")
	e.run(0, "audit", "show", "--format", "csv")
	after := snapshot(t, ev)
	if len(after) != len(before) {
		t.Fatalf("evidence tree changed: %d entries, was %d", len(after), len(before))
	}
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s changed: %s -> %s", p, v, after[p])
		}
	}
}

// TestVerifyFindsChanges alters and removes evidence files after ingest.
func TestVerifyFindsChanges(t *testing.T) {
	ev := t.TempDir()
	writeCorpus(t, ev, 10, 5_000, 14)
	e := newEnv(t)
	e.run(0, "init", e.cas)
	e.run(0, "ingest", "--device", "P1", ev)
	os.WriteFile(filepath.Join(ev, "dir01", "file00001.dat"), []byte("tampered"), 0o644)
	os.Remove(filepath.Join(ev, "dir02", "file00002.dat"))
	var ms []struct {
		Path   string `json:"path"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(e.run(1, "verify", "--format", "json")), &ms); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.Path] = m.Status
	}
	if len(got) != 2 || got["dir01/file00001.dat"] != "changed" || got["dir02/file00002.dat"] != "missing" {
		t.Fatalf("verify found %+v", ms)
	}
	if out := e.run(0, "audit", "show", "--action", "verify"); !strings.Contains(out, "mismatch: 2 files") {
		t.Fatalf("verification not in the audit trail:\n%s", out)
	}
}
