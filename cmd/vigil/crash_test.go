package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"vigil/internal/synth"
)

// killRandomly starts vigil with args again and again, killing it with
// SIGKILL after a random delay, and returns how many runs were killed
// before they finished. It stops after max attempts or kills.
func (e *env) killRandomly(t *testing.T, r *rand.Rand, maxDelay time.Duration, kills int, args ...string) int {
	t.Helper()
	killed := 0
	for attempt := 0; attempt < 3*kills && killed < kills; attempt++ {
		c := e.cmd(args...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.Int64N(int64(maxDelay))))
		c.Process.Signal(syscall.SIGKILL)
		if err := c.Wait(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == -1 {
				killed++
			}
		}
	}
	return killed
}

// lines runs a listing as CSV and returns its rows sorted, so that two
// cases can be compared whatever the order rows were written in.
func (e *env) lines(args ...string) []string {
	e.t.Helper()
	out := strings.Split(strings.TrimSpace(e.run(0, append(args, "--format", "csv")...)), "\n")
	sort.Strings(out)
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows after kills, %d in an uninterrupted run", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: row differs after kills:\n  %s\nvs\n  %s", what, got[i], want[i])
		}
	}
}

// TestCrashSafetyAcrossStages kills vigil at random points during hash-set
// import, artifact extraction, matching, and network analysis with the
// report, then runs the same command again: the case must end as an
// uninterrupted run leaves it, with nothing committed lost, nothing
// duplicated, and an intact audit chain.
func TestCrashSafetyAcrossStages(t *testing.T) {
	if testing.Short() {
		t.Skip("kills many processes")
	}
	ctx := context.Background()
	top := t.TempDir()
	r := rand.New(rand.NewPCG(5, 8))

	// A big hash list (the import is one transaction), a phone whose
	// msgstore.db holds 60,000 messages (extraction in batches).
	list := filepath.Join(top, "big.sha256")
	f, err := os.Create(list)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300_000; i++ {
		s := sha256.Sum256([]byte(fmt.Sprint("made-up entry ", i)))
		fmt.Fprintf(f, "%s  f%d\n", hex.EncodeToString(s[:]), i)
	}
	s := synth.LargeScenario(40, 60_000)
	ev := filepath.Join(top, "phone")
	dbdir := filepath.Join(ev, "databases")
	os.MkdirAll(dbdir, 0o755)
	if err := synth.WriteMsgstore(ctx, filepath.Join(dbdir, "msgstore.db"), s, synth.AndroidModern); err != nil {
		t.Fatal(err)
	}
	// Make a few chat media hashes known to the list, so matching has hits.
	n := 0
	for _, c := range s.Chats {
		for _, m := range c.Messages {
			if m.Media != nil && n < 50 {
				fmt.Fprintf(f, "%s  media%d\n", m.Media.SHA256, n)
				n++
			}
		}
	}
	f.Close()

	steps := [][]string{
		{"hashset", "import", list, "--name", "big", "--no-match"},
		{"ingest", "--device", "PHONE", ev},
		{"match"},
		{"report", "--out", "REPORT"},
	}
	ref := newEnv(t)
	ref.run(0, "init", ref.cas)
	e := newEnv(t)
	e.run(0, "init", e.cas)
	for _, step := range steps {
		refStep := append([]string(nil), step...)
		myStep := append([]string(nil), step...)
		for i := range step {
			if step[i] == "REPORT" {
				refStep[i] = filepath.Join(ref.dir, "report.html")
				myStep[i] = filepath.Join(e.dir, "report.html")
			}
		}
		start := time.Now()
		ref.run(0, refStep...)
		took := time.Since(start)
		killed := e.killRandomly(t, r, took, 4, myStep...)
		e.run(0, myStep...)
		t.Logf("%s: %d runs killed (an uninterrupted run takes %v)", step[0], killed, took.Round(time.Millisecond))
	}
	sameLines(t, "hash sets", cutColumns(e.lines("hashset", "list"), 0, 1, 2, 4, 6), cutColumns(ref.lines("hashset", "list"), 0, 1, 2, 4, 6))
	sameLines(t, "files", e.lines("files"), ref.lines("files"))
	sameLines(t, "chats", e.lines("chats"), ref.lines("chats"))
	sameLines(t, "accounts", e.lines("accounts"), ref.lines("accounts"))
	sameLines(t, "messages", e.lines("messages"), ref.lines("messages"))
	sameLines(t, "events", e.lines("events"), ref.lines("events"))
	sameLines(t, "hits", e.lines("hits"), ref.lines("hits"))
	sameLines(t, "distributors", e.lines("network", "distributors"), ref.lines("network", "distributors"))
	var got, want []byte
	got, _ = os.ReadFile(filepath.Join(e.dir, "report.html"))
	want, _ = os.ReadFile(filepath.Join(ref.dir, "report.html"))
	if len(got) == 0 || len(want) == 0 {
		t.Fatal("report missing")
	}
	if !strings.HasSuffix(strings.TrimSpace(string(got)), "</html>") {
		t.Fatal("the report after kills is incomplete")
	}
	var rep struct {
		Records int64 `json:"records"`
	}
	out := e.run(0, "audit", "verify", "--format", "json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Records == 0 {
		t.Fatalf("audit verify: %s", out)
	}
}

// cutColumns keeps some columns of CSV rows (dropping times and ids that
// differ between any two runs).
func cutColumns(rows []string, keep ...int) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		f := strings.Split(r, ",")
		var k []string
		for _, c := range keep {
			if c < len(f) {
				k = append(k, f[c])
			}
		}
		out[i] = strings.Join(k, ",")
	}
	sort.Strings(out)
	return out
}
