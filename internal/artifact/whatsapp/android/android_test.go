package android

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/artifact"
	"vigil/internal/store"
	"vigil/internal/store/sqlite"
	"vigil/internal/synth"
)

// caseStore is a fresh case store with one device.
type caseStore struct {
	t   *testing.T
	ctx context.Context
	s   *sqlite.Store
	dev store.Device
}

func newCase(t *testing.T, label string) *caseStore {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "case.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	d, err := s.PutDevice(ctx, store.Device{Label: label})
	if err != nil {
		t.Fatal(err)
	}
	return &caseStore{t: t, ctx: ctx, s: s, dev: d}
}

// stage copies a file (and its -wal, -shm) into a scratch directory, read
// only, as the intake does.
func stage(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	dst := filepath.Join(dir, filepath.Base(src))
	for _, suf := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(src + suf)
		if err != nil {
			if suf != "" && os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suf, b, 0o400); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// run extracts one file end to end through the store interface and
// returns the artifact record and the warnings.
func (c *caseStore) run(x artifact.Extractor, src, evidencePath string) (store.Artifact, []string, error) {
	c.t.Helper()
	local := stage(c.t, src)
	head := make([]byte, artifact.HeadSize)
	f, err := os.Open(local)
	if err != nil {
		c.t.Fatal(err)
	}
	n, _ := f.Read(head)
	f.Close()
	if !x.Claims(evidencePath, head[:n]) {
		c.t.Fatalf("%s does not claim %s", x.Name(), evidencePath)
	}
	if p, ok := x.(artifact.Prober); ok {
		if yes, err := p.Probe(c.ctx, local); err != nil || !yes {
			c.t.Fatalf("%s: probe %v %v", evidencePath, yes, err)
		}
	}
	sum := fmt.Sprintf("%064x", len(evidencePath)+n)
	a, done, err := c.s.BeginArtifact(c.ctx, store.Artifact{DeviceID: c.dev.ID, Path: evidencePath, SHA256: sum, Extractor: x.Name()})
	if err != nil || done {
		c.t.Fatalf("begin: %v %v", done, err)
	}
	var warnings []string
	in := &artifact.Input{Device: c.dev, Artifact: a, Path: evidencePath, SHA256: sum, Local: local, Store: c.s,
		Warn: func(f string, args ...any) { warnings = append(warnings, fmt.Sprintf(f, args...)) }}
	xerr := x.Extract(c.ctx, in)
	status := "complete"
	if xerr != nil {
		status = "failed"
	}
	if err := c.s.FinishArtifact(c.ctx, a.ID, status, nil, warnings); err != nil {
		c.t.Fatal(err)
	}
	recs, _ := c.s.ArtifactRecords(c.ctx, c.dev.Label)
	for _, r := range recs {
		if r.ID == a.ID {
			a = r
		}
	}
	return a, warnings, xerr
}

// extractAll writes the scenario for a generation and extracts
// msgstore.db, wa.db and the preferences, in that order.
func (c *caseStore) extractAll(s *synth.Scenario, gen synth.AndroidGeneration) store.Artifact {
	c.t.Helper()
	files, err := synth.WriteWhatsAppAndroid(c.ctx, c.t.TempDir(), s, gen)
	if err != nil {
		c.t.Fatal(err)
	}
	a, warns, err := c.run(&Msgstore{BatchSize: 7}, files.Msgstore, "data/data/com.whatsapp/databases/msgstore.db")
	if err != nil {
		c.t.Fatalf("msgstore: %v", err)
	}
	if len(warns) > 0 {
		c.t.Errorf("msgstore warnings: %v", warns)
	}
	if _, warns, err := c.run(&WADB{}, files.WADB, "data/data/com.whatsapp/databases/wa.db"); err != nil || len(warns) > 0 {
		c.t.Fatalf("wa.db: %v %v", err, warns)
	}
	if _, warns, err := c.run(&Prefs{}, files.Prefs, "data/data/com.whatsapp/shared_prefs/com.whatsapp_preferences_light.xml"); err != nil || len(warns) > 0 {
		c.t.Fatalf("prefs: %v %v", err, warns)
	}
	return a
}

func fmtT(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// diff compares two sets of lines and reports what is missing and what
// is extra.
func diff(t *testing.T, what string, got, want []string) {
	t.Helper()
	count := func(xs []string) map[string]int {
		m := map[string]int{}
		for _, x := range xs {
			m[x]++
		}
		return m
	}
	g, w := count(got), count(want)
	var missing, extra []string
	for k, n := range w {
		if g[k] < n {
			missing = append(missing, k)
		}
	}
	for k, n := range g {
		if w[k] < n {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("%s differ:\n missing %d:\n  %s\n extra %d:\n  %s", what, len(missing), strings.Join(missing, "\n  "), len(extra), strings.Join(extra, "\n  "))
	}
}

// countries of ExampleScenario's people, written out here rather than
// computed, so that the test checks the phone package too.
var exampleCountries = map[string]string{
	"34600000001@s.whatsapp.net":   "ES",
	"573000000001@s.whatsapp.net":  "CO",
	"393200000001@s.whatsapp.net":  "IT",
	"4915100000001@s.whatsapp.net": "DE",
	"50683123456@s.whatsapp.net":   "CR",
	"595981000001@s.whatsapp.net":  "PY",
	"56960000001@s.whatsapp.net":   "CL",
	"50370000001@s.whatsapp.net":   "SV",
	"351912000001@s.whatsapp.net":  "PT",
}

func TestExtractReproducesScenario(t *testing.T) {
	for _, gen := range []synth.AndroidGeneration{synth.AndroidLegacy, synth.AndroidTransitional, synth.AndroidModern} {
		t.Run(string(gen), func(t *testing.T) {
			s := synth.ExampleScenario()
			c := newCase(t, "PHONE-ES")
			a := c.extractAll(s, gen)
			wantGen := map[synth.AndroidGeneration]string{synth.AndroidLegacy: GenLegacy, synth.AndroidTransitional: GenTransitional,
				synth.AndroidModern: GenModernLID}[gen]
			if a.Generation != wantGen || a.Status != "complete" {
				t.Errorf("artifact %+v, want generation %s", a, wantGen)
			}
			checkScenario(t, c, s, gen)
		})
	}
}

func checkScenario(t *testing.T, c *caseStore, s *synth.Scenario, gen synth.AndroidGeneration) {
	t.Helper()
	ctx := c.ctx
	modern := gen == synth.AndroidModern
	label := c.dev.Label

	// Accounts: JID, phone, country, LID, names, devices, owner.
	var want, got []string
	for _, p := range append([]synth.Person{s.Owner}, s.People...) {
		cc := exampleCountries[p.JID]
		ph := "<nil>"
		if strings.HasSuffix(p.JID, "@s.whatsapp.net") {
			ph = "+" + strings.TrimSuffix(p.JID, "@s.whatsapp.net")
		}
		if cc == "" {
			cc = "<nil>"
		}
		lid := ""
		if modern && p.JID != s.Owner.JID {
			lid = p.LID
		}
		var names []string
		for _, n := range []string{p.Name, p.PushName} {
			if n != "" && (len(names) == 0 || names[0] != n) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		owner := ""
		if p.JID == s.Owner.JID {
			owner = label
		}
		want = append(want, fmt.Sprintf("%s phone=%s country=%s lid=%s names=%q devices=[%s] owner=%s", p.JID, ph, cc, lid, names, label, owner))
	}
	c.s.Accounts(ctx, store.AccountQuery{}, func(v store.AccountView) error {
		got = append(got, fmt.Sprintf("%s phone=%s country=%s lid=%s names=%q devices=%v owner=%s", v.JID, str(v.Phone), str(v.Country), v.LID,
			v.Names, v.Devices, strings.Join(v.OwnerOf, ",")))
		return nil
	})
	diff(t, "accounts", got, want)

	// Chats, with their creators, creation times, member counts.
	want, got = nil, nil
	for _, ch := range s.Chats {
		creator, created := "<nil>", "<nil>"
		if ch.Creator != "" {
			creator = ch.Creator
		}
		if !ch.Created.IsZero() {
			created = fmtT(ch.Created)
		}
		n := 0
		for _, m := range ch.Members {
			if modern || !m.Past {
				n++
			}
		}
		want = append(want, fmt.Sprintf("%s %s subject=%q created=%s creator=%s members=%d devices=[%s] description=%q",
			ch.JID, ch.Kind, ch.Subject, created, creator, n, label, ch.Description))
	}
	c.s.Chats(ctx, store.ChatQuery{}, func(v store.ChatView) error {
		created := "<nil>"
		if v.Created != nil {
			created = fmtT(*v.Created)
		}
		got = append(got, fmt.Sprintf("%s %s subject=%q created=%s creator=%s members=%d devices=%v description=%q",
			v.JID, v.Kind, v.Subject, created, str(v.Creator), v.Members, v.Devices, v.Description))
		return nil
	})
	diff(t, "chats", got, want)

	// Subject histories (dated).
	want, got = nil, nil
	for _, ch := range s.Chats {
		for _, h := range ch.Subjects {
			want = append(want, fmt.Sprintf("%s %q %s by %s", ch.JID, h.Subject, fmtT(h.Time), h.Actor))
		}
	}
	rows, err := c.s.DB().QueryContext(ctx, `SELECT c.jid, s.subject, s.time, coalesce(a.jid, '') FROM chat_subject s
		JOIN chat c ON c.id = s.chat_id LEFT JOIN account a ON a.id = s.actor_id WHERE s.time <> ''`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var j, subj, tm, actor string
		rows.Scan(&j, &subj, &tm, &actor)
		got = append(got, fmt.Sprintf("%s %q %s by %s", j, subj, tm, actor))
	}
	rows.Close()
	diff(t, "subject history", got, want)

	// Members with roles; past members only where the schema keeps them.
	want, got = nil, nil
	for _, ch := range s.Chats {
		for _, m := range ch.Members {
			switch {
			case !m.Past:
				want = append(want, fmt.Sprintf("%s %s %s current=true pending=%v left=-", ch.JID, m.JID, m.Role, m.Pending))
			case modern:
				want = append(want, fmt.Sprintf("%s %s %s current=false pending=false left=%s", ch.JID, m.JID, m.Role, fmtT(m.Left)))
			}
		}
	}
	c.s.Members(ctx, store.MemberQuery{}, func(v store.MemberView) error {
		if v.Device != label {
			t.Errorf("member seen on %s", v.Device)
		}
		got = append(got, fmt.Sprintf("%s %s %s current=%v pending=%v left=%s", v.Chat, v.Account, v.Role, v.Current, v.Pending, fmtT(v.LastSeen)))
		return nil
	})
	diff(t, "members", got, want)

	// Every message, field by field.
	want, got = nil, nil
	for _, ch := range s.Chats {
		for _, m := range ch.Messages {
			sha, path, mime, name, size := "<nil>", "", "", "", int64(-1)
			if md := m.Media; md != nil {
				sha, path, mime, name, size = md.SHA256, md.Path, md.MIME, md.Name, md.Size
			}
			want = append(want, fmt.Sprintf("%s/%s from=%s me=%v %s type=%s text=%q caption=%q sha=%s path=%q mime=%q name=%q size=%d fwd=%v dev=%s",
				ch.JID, m.ID, m.Sender, m.FromMe, fmtT(m.Time), m.Type, m.Text, m.Caption, sha, path, mime, name, size, m.Forwarded, label))
		}
	}
	c.s.Messages(ctx, store.MessageQuery{}, func(v store.MessageView) error {
		got = append(got, fmt.Sprintf("%s/%s from=%s me=%v %s type=%s text=%q caption=%q sha=%s path=%q mime=%q name=%q size=%d fwd=%v dev=%s",
			v.Chat, v.KeyID, str(v.Sender), v.FromMe, fmtT(v.Time), v.Type, v.Text, v.Caption, str(v.MediaSHA256), v.MediaPath, v.MediaMIME,
			v.MediaName, v.MediaSize, v.Forwarded, v.Device))
		return nil
	})
	diff(t, "messages", got, want)

	// Every group event with its actor and targets.
	want, got = nil, nil
	for _, ch := range s.Chats {
		for _, e := range ch.Events {
			ts := append([]string{}, e.Targets...)
			sort.Strings(ts)
			want = append(want, fmt.Sprintf("%s %s %s actor=%s targets=%v old=%q new=%q", ch.JID, fmtT(e.Time), e.Action, e.Actor, ts, e.Old, e.New))
		}
	}
	c.s.Events(ctx, store.EventQuery{}, func(v store.EventView) error {
		got = append(got, fmt.Sprintf("%s %s %s actor=%s targets=%v old=%q new=%q", v.Chat, fmtT(v.Time), v.Action, str(v.Actor), v.Targets, v.OldValue, v.NewValue))
		return nil
	})
	diff(t, "events", got, want)

	// Invite links: each message text naming a group's code.
	want, got = nil, nil
	for _, ch := range s.Chats {
		for _, m := range ch.Messages {
			for _, g := range s.Chats {
				if g.InviteCode != "" && strings.Contains(m.Text, "https://chat.whatsapp.com/"+g.InviteCode) {
					want = append(want, fmt.Sprintf("group-invite %s in %s at %s", g.InviteCode, ch.JID, fmtT(m.Time)))
				}
			}
		}
	}
	c.s.Links(ctx, store.LinkQuery{}, func(v store.LinkView) error {
		got = append(got, fmt.Sprintf("%s %s in %s at %s", v.Kind, v.Code, v.Chat, fmtT(*v.Time)))
		return nil
	})
	diff(t, "links", got, want)

	// Media hashes are contents, for hash-set matching.
	hashes := map[string]bool{}
	for _, ch := range s.Chats {
		for _, m := range ch.Messages {
			if m.Media != nil && m.Media.SHA256 != "" {
				hashes[m.Media.SHA256] = true
			}
		}
	}
	n := 0
	c.s.Contents(ctx, store.ContentQuery{Origin: "chat"}, func(ct store.Content) error {
		if !hashes[ct.SHA256] {
			t.Errorf("unexpected content %s", ct.SHA256)
		}
		n++
		return nil
	})
	if n != len(hashes) {
		t.Errorf("%d chat contents, want %d", n, len(hashes))
	}
}
