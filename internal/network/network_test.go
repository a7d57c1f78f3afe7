package network

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/network/networktest"
	"vigil/internal/store"
	"vigil/internal/store/sqlite"
)

func openStore(t testing.TB) (context.Context, *sqlite.Store) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "tester")
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "case.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return ctx, st
}

func operation(t *testing.T) (context.Context, *sqlite.Store, *networktest.Truth, *Result) {
	t.Helper()
	ctx, st := openStore(t)
	truth, err := networktest.Operation(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, st, truth, r
}

func TestOperationGroundTruth(t *testing.T) {
	_, _, truth, r := operation(t)

	got := map[string]Distributor{}
	for _, d := range r.Distributors {
		got[d.JID] = d
	}
	for _, j := range truth.Distributors {
		if _, ok := got[j]; !ok {
			t.Errorf("planted distributor %s not found", j)
		}
	}
	for _, j := range truth.Innocent {
		if _, ok := got[j]; ok {
			t.Errorf("%s only received (or sent nothing known) but is labelled a distributor", j)
		}
	}
	if len(r.Distributors) != len(truth.Distributors) {
		t.Errorf("%d distributors, want %d", len(r.Distributors), len(truth.Distributors))
	}

	// Scores from the hand-counted inputs and the documented formula.
	type ranked struct {
		jid   string
		score int
		c     networktest.DistributorCounts
	}
	var want []ranked
	for j, c := range truth.Counts {
		d := got[j]
		if d.Items != c.Items || d.Seeded != c.Seeded || d.Groups != c.Groups || d.Direct != c.Direct || d.Members != c.Members ||
			d.AdminRoles != c.AdminRoles || d.Messages != c.Messages {
			t.Errorf("%s: items %d seeded %d groups %d direct %d members %d admin %d messages %d, want %+v",
				j, d.Items, d.Seeded, d.Groups, d.Direct, d.Members, d.AdminRoles, d.Messages, c)
		}
		members := 0
		for n := 1 + c.Members; n > 1; n /= 2 {
			members++
		}
		score := 4*c.Items + 6*c.Seeded + 2*c.Groups + 2*c.AdminRoles + members
		if d.Score != score {
			t.Errorf("%s: score %d, want %d", j, d.Score, score)
		}
		want = append(want, ranked{j, score, c})
		if len(d.Evidence) != c.Messages {
			t.Errorf("%s: %d evidence messages, want %d", j, len(d.Evidence), c.Messages)
		}
	}
	// The documented order: score, items, seeded (all descending), first
	// known item sent, JID.
	slices.SortFunc(want, func(a, b ranked) int {
		switch {
		case a.score != b.score:
			return b.score - a.score
		case a.c.Items != b.c.Items:
			return b.c.Items - a.c.Items
		case a.c.Seeded != b.c.Seeded:
			return b.c.Seeded - a.c.Seeded
		case !a.c.First.Equal(b.c.First):
			return a.c.First.Compare(b.c.First)
		}
		return strings.Compare(a.jid, b.jid)
	})
	for i, w := range want {
		if r.Distributors[i].JID != w.jid || r.Distributors[i].Rank != i+1 {
			t.Errorf("rank %d: %s (rank field %d), want %s", i+1, r.Distributors[i].JID, r.Distributors[i].Rank, w.jid)
		}
	}

	// Seeders, across groups and devices.
	items := map[string]Item{}
	for _, it := range r.Items {
		items[it.SHA256] = it
	}
	for sha, seeder := range truth.Seeders {
		it, ok := items[sha]
		if !ok {
			t.Errorf("known item %s not found", sha[:8])
			continue
		}
		if it.Seeder == nil || *it.Seeder != seeder {
			t.Errorf("item %s: seeder %v, want %s", sha[:8], it.Seeder, seeder)
		}
	}
	if a := items[networktest.A]; a.FirstDevice != truth.SeedDevice || a.FirstChat != networktest.G3 || a.Chats != 3 || a.Senders != 2 {
		t.Errorf("item A: first on %s in %s, %d chats, %d senders; want %s, %s, 3, 2", a.FirstDevice, a.FirstChat, a.Chats, a.Senders,
			truth.SeedDevice, networktest.G3)
	}
	if len(r.Items) != len(truth.Items) {
		t.Errorf("%d known items, want %d", len(r.Items), len(truth.Items))
	}
	for _, sha := range truth.NotKnown {
		if _, ok := items[sha]; ok {
			t.Errorf("%s counted as a known item", sha[:8])
		}
	}
	if p := items[networktest.P]; p.Match != "pdq distance 14" || p.Messages != 2 || p.Basis != BasisHashSet {
		t.Errorf("PDQ item: match %q, %d messages, basis %q", p.Match, p.Messages, p.Basis)
	}
	if x := items[networktest.X]; x.Basis != BasisAnalyst || x.CategoryCode == nil || *x.CategoryCode != 1 {
		t.Errorf("analyst item: basis %q category %v", x.Basis, x.CategoryCode)
	}
	var spreaders []string
	for _, d := range r.Distributors {
		if d.Spreader {
			spreaders = append(spreaders, d.JID)
		}
	}
	if !slices.Equal(spreaders, truth.Spreaders) {
		t.Errorf("spreaders %v, want %v", spreaders, truth.Spreaders)
	}
	if r.Summary.Cleared != 1 {
		t.Errorf("cleared %d, want 1 (item Y)", r.Summary.Cleared)
	}

	// Merging.
	if r.Summary.Messages != truth.Messages || r.Summary.Observations != truth.Observations {
		t.Errorf("%d messages from %d observations, want %d from %d", r.Summary.Messages, r.Summary.Observations, truth.Messages, truth.Observations)
	}
	groups := map[string]Group{}
	for _, g := range r.Groups {
		if _, dup := groups[g.JID]; dup {
			t.Errorf("group %s listed twice", g.JID)
		}
		groups[g.JID] = g
	}
	for jid, devs := range truth.GroupDevices {
		if g := groups[jid]; !slices.Equal(g.Devices, devs) {
			t.Errorf("group %s seen on %v, want %v", jid, g.Devices, devs)
		}
	}
	if g := groups[networktest.G2]; !slices.Equal(g.InviteLinks, []string{networktest.G2Invite}) {
		t.Errorf("G2 invite links %v", g.InviteLinks)
	}
	invites := 0
	for _, l := range r.GroupLinks {
		if l.A == networktest.G1 && l.B == networktest.G2 {
			invites = l.Invites
		}
	}
	if invites != 1 {
		t.Errorf("G1–G2: %d invites, want 1 (one link, recorded on two devices)", invites)
	}
	if g := groups[networktest.G1]; g.Messages != 11 || g.Members != 8 || g.KnownItems != 2 || g.KnownMsgs != 3 ||
		!slices.Equal(g.Admins, []string{networktest.D3, networktest.D1}) || g.Creator == nil || *g.Creator != networktest.D3 {
		t.Errorf("G1: %d messages %d members %d items %d known messages admins %v creator %v", g.Messages, g.Members, g.KnownItems,
			g.KnownMsgs, g.Admins, g.Creator)
	}
	if g := groups[networktest.G4]; g.Distribution {
		t.Errorf("G4 has no known item but is a distribution group")
	}

	// Evidence: devices and the linked file.
	d1 := got[networktest.D1]
	if len(d1.Evidence) == 1 {
		ev := d1.Evidence[0]
		if ev.Device != "PHONE-2" || ev.Chat != networktest.G3 || ev.SHA256 != networktest.A || ev.Set != "synthetic-vics" ||
			ev.CategoryCode == nil || *ev.CategoryCode != 1 || ev.Category == "" || !ev.Seed || ev.Time == nil {
			t.Errorf("D1 evidence: %+v", ev)
		}
	}
	d2 := got[networktest.D2]
	found := false
	for _, ev := range d2.Evidence {
		if ev.SHA256 == networktest.A && ev.Chat == networktest.G1 {
			if !slices.Equal(ev.Devices, []string{"PHONE-1", "PHONE-2"}) || len(ev.Observations) != 2 || ev.Seed {
				t.Errorf("D2's A in G1: devices %v, %d observations, seed %v", ev.Devices, len(ev.Observations), ev.Seed)
			}
			for _, o := range ev.Observations {
				if o.File != truth.LinkedFile || o.Source == "" {
					t.Errorf("observation on %s: file %q source %q, want file %q", o.Device, o.File, o.Source, truth.LinkedFile)
				}
			}
			found = true
		}
		if ev.ChatKind == store.ChatDirect && ev.Chat != networktest.I3 {
			t.Errorf("direct evidence names chat %s, want the recipient %s", ev.Chat, networktest.I3)
		}
	}
	if !found {
		t.Errorf("D2's post of A in G1 missing from his evidence")
	}
	if !slices.Equal(d2.OwnerOf, []string{"PHONE-3"}) || d2.Phone == nil || *d2.Phone != "+393311000002" || d2.Country != "IT" {
		t.Errorf("D2: owner of %v, phone %v, country %s", d2.OwnerOf, d2.Phone, d2.Country)
	}

	// Countries: unknown kept explicit.
	countries := map[string]Country{}
	for _, c := range r.Countries {
		countries[c.Country] = c
	}
	if c := countries[Unknown]; c.Accounts != 1 || c.Members != 1 {
		t.Errorf("unknown country: %+v (I5 has no number)", c)
	}
	if c := countries["IT"]; c.Distributors != 1 || c.Seeders != 1 || c.GroupsCreated != 1 {
		t.Errorf("IT: %+v", c)
	}

	// Bridges: posted in two or more distribution groups.
	var bridges []string
	for _, b := range r.Bridges {
		bridges = append(bridges, b.JID)
	}
	if !slices.Equal(bridges, truth.Bridges) {
		t.Errorf("bridges %v, want %v", bridges, truth.Bridges)
	}
}

func TestDeterministicAndAudited(t *testing.T) {
	ctx, st, _, r := operation(t)
	d1, err := r.Digest()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Analyze(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := r2.Digest()
	if d1 != d2 {
		t.Errorf("two runs on the same case: digests %s and %s", d1, d2)
	}
	r3, err := Analyze(ctx, st, Options{MergeWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d3, _ := r3.Digest(); d3 == d1 {
		t.Errorf("a different merge window gave the same digest")
	}
	det, err := r.AuditDetails()
	if err != nil || det["digest"] != d1 {
		t.Errorf("audit details %v (%v)", det, err)
	}
}

func TestMergeWindowTooSmall(t *testing.T) {
	// With a 1 ms window, the export's minute-truncated times no longer
	// merge with the database's: G1 counts its shared messages twice,
	// except those the key ids... exports have none, and those dated on
	// the minute (which still merge).
	ctx, st, truth, _ := operation(t)
	r, err := Analyze(ctx, st, Options{MergeWindow: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Messages <= truth.Messages {
		t.Errorf("%d messages with a 1 ms window: want more than %d", r.Summary.Messages, truth.Messages)
	}
}

func TestGraph(t *testing.T) {
	_, _, truth, r := operation(t)
	for _, scope := range []string{ScopeDistribution, ScopeAll} {
		g, err := r.Graph(scope)
		if err != nil {
			t.Fatal(err)
		}
		nodes := map[string]Node{}
		for _, n := range g.Nodes {
			nodes[n.ID] = n
		}
		for _, e := range g.Edges {
			if _, ok := nodes[e.Source]; !ok {
				t.Errorf("%s: edge from unknown node %s", scope, e.Source)
			}
			if _, ok := nodes[e.Target]; !ok {
				t.Errorf("%s: edge to unknown node %s", scope, e.Target)
			}
		}
		g1 := nodes[networktest.G1]
		if g1.Type != NodeGroup || !slices.Equal(g1.Devices, truth.GroupDevices[networktest.G1]) {
			t.Errorf("%s: G1 node %+v", scope, g1)
		}
		if _, ok := nodes[networktest.LID3]; ok {
			t.Errorf("%s: D3's LID is a node of its own", scope)
		}
		_, g4 := nodes[networktest.G4]
		if g4 != (scope == ScopeAll) {
			t.Errorf("%s: G4 (no known item) in graph: %v", scope, g4)
		}
		for _, j := range truth.Distributors {
			if n := nodes[j]; !slices.Contains(n.Roles, "distributor") {
				t.Errorf("%s: %s roles %v", scope, j, n.Roles)
			}
		}
		var posting *Edge
		for i, e := range g.Edges {
			if e.Source == networktest.D3 && e.Target == networktest.G1 {
				posting = &g.Edges[i]
			}
		}
		if posting == nil || posting.Messages != 2 || posting.Known != 2 || posting.Items != 1 || !posting.Member || posting.Role != "creator" {
			t.Errorf("%s: D3→G1 edge %+v", scope, posting)
		}
	}
}

func TestAbuseTable(t *testing.T) {
	c := newCategories(nil)
	n := func(i int) *int { return &i }
	for _, tc := range []struct {
		profile string
		code    *int
		want    verdict
	}{
		{"US", n(1), verdictAbuse}, {"US", n(2), verdictAbuse}, {"US", n(3), verdictAbuse},
		{"US", n(0), verdictNotAbuse}, {"US", n(4), verdictNotAbuse}, {"", n(1), verdictAbuse},
		{"default", n(3), verdictAbuse}, {"DHS", n(5), verdictNotAbuse}, {"DHS", n(0), verdictUnknown},
		{"UK", n(1), verdictUnknown}, {"US", nil, verdictUnknown},
	} {
		if got := c.judge(tc.profile, tc.code); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.profile, tc.code, got, tc.want)
		}
	}
	extra, err := ParseAbuseCodes([]string{"UK=1, 2,3"})
	if err != nil {
		t.Fatal(err)
	}
	if c := newCategories(extra); c.judge("UK", n(2)) != verdictAbuse || c.judge("UK", n(4)) != verdictUnknown {
		t.Errorf("UK codes from options not applied")
	}
	for _, bad := range []string{"UK", "=1", "UK=a"} {
		if _, err := ParseAbuseCodes([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBuckets(t *testing.T) {
	for _, tc := range []struct {
		t          time.Time
		week, want time.Time
	}{
		{time.Date(2023, 3, 14, 13, 5, 0, 0, time.UTC), time.Date(2023, 3, 13, 0, 0, 0, 0, time.UTC), time.Date(2023, 3, 14, 0, 0, 0, 0, time.UTC)},
		{time.Date(2023, 3, 19, 23, 59, 0, 0, time.UTC), time.Date(2023, 3, 13, 0, 0, 0, 0, time.UTC), time.Date(2023, 3, 19, 0, 0, 0, 0, time.UTC)},
		{time.Date(1969, 12, 31, 1, 0, 0, 0, time.UTC), time.Date(1969, 12, 29, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
	} {
		if got := timeOf(bucketOf(msOf(tc.t), true)); !got.Equal(tc.week) || got.Weekday() != time.Monday {
			t.Errorf("week of %v: %v, want %v", tc.t, got, tc.week)
		}
		if got := timeOf(bucketOf(msOf(tc.t), false)); !got.Equal(tc.want) {
			t.Errorf("day of %v: %v, want %v", tc.t, got, tc.want)
		}
	}
}

func TestTimeline(t *testing.T) {
	_, _, truth, r := operation(t)
	if len(r.Timeline) != 1 {
		t.Fatalf("timeline of %d days, want 1", len(r.Timeline))
	}
	b := r.Timeline[0]
	if b.Messages != truth.Messages || b.NewItems != len(truth.Items) || b.KnownItems != len(truth.Items) || b.Distributors != len(truth.Distributors) {
		t.Errorf("day: %+v", b)
	}
}
