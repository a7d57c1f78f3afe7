package networktest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"vigil/internal/store"
)

// LargeParams sizes a generated case for benchmarks.
type LargeParams struct {
	Seed     uint64
	Accounts int // distinct accounts (members of groups)
	Rows     int // message rows to write, about (observations, all devices)
	Groups   int
	Devices  int
	// Known is the number of distinct known items (alert-set hits);
	// Contents the number of distinct media contents.
	Known, Contents int
	// Distributors are accounts that post known items.
	Distributors int
}

// BenchParams is the size of the benchmark: 100,000 accounts and
// a million messages.
func BenchParams() LargeParams {
	return LargeParams{Seed: 1, Accounts: 100_000, Rows: 1_000_000, Groups: 2_000, Devices: 20, Known: 2_000, Contents: 60_000,
		Distributors: 1_000}
}

// SmallBenchParams is a case a hundred times smaller, for a quick run.
func SmallBenchParams() LargeParams {
	return LargeParams{Seed: 1, Accounts: 1_000, Rows: 10_000, Groups: 40, Devices: 4, Known: 50, Contents: 1_000, Distributors: 20}
}

// country calling codes and digits the generated numbers use (all
// fictitious; the ranges are those of the operation's countries).
var ccs = []struct{ prefix string }{
	{"34600"}, {"57300"}, {"39320"}, {"49151"}, {"351912"}, {"56960"}, {"50370"}, {"595981"}, {"50683"}, {"52155"},
}

func largeJID(i int) string {
	c := ccs[i%len(ccs)]
	n := strconv.Itoa(i)
	for len(n) < 6 {
		n = "0" + n
	}
	return c.prefix + n + "@s.whatsapp.net"
}

func largeGroup(i int) string { return fmt.Sprintf("1203639%011d@g.us", i) }

// Large writes a generated case into st: p.Accounts accounts in ten
// countries, p.Groups groups of about Accounts*3/Groups members each,
// every group seen by one or two of p.Devices devices (the same messages,
// with the same keys, on each), about p.Rows message rows of which a fifth
// carry media, a few percent of those known items posted by
// p.Distributors accounts, and an alert hash set over the known items.
// It is deterministic in p.
func Large(ctx context.Context, st store.Store, p LargeParams) error {
	rng := rand.New(rand.NewPCG(p.Seed, 0x6e6574776f726b))
	start := time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)
	devs := make([]store.Device, p.Devices)
	for i := range devs {
		d, err := st.PutDevice(ctx, store.Device{Label: fmt.Sprintf("PHONE-%03d", i+1), Country: "ES"})
		if err != nil {
			return err
		}
		devs[i] = d
	}
	// Which devices see which group, and each group's members.
	seenBy := make([][]int, p.Groups)
	members := make([][]int, p.Groups)
	perGroup := max(3, p.Accounts*3/p.Groups)
	for g := range p.Groups {
		d := rng.IntN(p.Devices)
		seenBy[g] = []int{d}
		if rng.IntN(10) < 3 {
			if e := rng.IntN(p.Devices); e != d {
				seenBy[g] = append(seenBy[g], e)
			}
		}
		n := perGroup/2 + rng.IntN(perGroup+1)
		seen := map[int]bool{}
		for len(members[g]) < n {
			a := rng.IntN(p.Accounts)
			if !seen[a] {
				seen[a] = true
				members[g] = append(members[g], a)
			}
		}
	}
	// Every account is in some group.
	for a := range p.Accounts {
		g := a % p.Groups
		members[g] = append(members[g], a)
	}
	owner := func(d int) int { return (d * 7919) % p.Accounts }
	isDist := func(a int) bool { return a%max(1, p.Accounts/p.Distributors) == 0 }
	content := func(i int) string { return Hash("large content " + strconv.Itoa(i)) }

	totalSeen := 0
	for g := range p.Groups {
		totalSeen += len(seenBy[g])
	}
	perGroupMsgs := max(1, p.Rows/max(1, totalSeen))

	type devWork struct {
		art  int64
		msgs []store.Message
	}
	work := make([]devWork, p.Devices)
	flush := func(d int) error {
		w := &work[d]
		if len(w.msgs) == 0 {
			return nil
		}
		err := st.WriteArtifact(ctx, w.art, store.ArtifactBatch{Messages: w.msgs})
		w.msgs = w.msgs[:0]
		return err
	}
	for d := range devs {
		art, done, err := st.BeginArtifact(ctx, store.Artifact{DeviceID: devs[d].ID, Path: "msgstore.db", Extractor: "whatsapp-large",
			SHA256: Hash("large artifact " + strconv.Itoa(d))})
		if err != nil {
			return err
		}
		if done {
			return fmt.Errorf("device %s: already loaded", devs[d].Label)
		}
		work[d].art = art.ID
		if err := st.WriteArtifact(ctx, art.ID, store.ArtifactBatch{Accounts: []store.Account{
			{JID: largeJID(owner(d)), Owner: true, OwnerBasis: "generated", Names: []string{"Owner " + strconv.Itoa(d+1)}, NameBasis: "generated"}}}); err != nil {
			return err
		}
	}
	for g := range p.Groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		jid := largeGroup(g)
		creator := members[g][0]
		for _, d := range seenBy[g] {
			b := store.ArtifactBatch{Chats: []store.Chat{{JID: jid, Kind: store.ChatGroup, Subject: "Group " + strconv.Itoa(g),
				CreatorJID: largeJID(creator), CreatorBasis: "group-info", Created: start.Add(time.Duration(g) * time.Minute)}}}
			for i, a := range members[g] {
				role := store.RoleMember
				switch {
				case i == 0:
					role = store.RoleCreator
				case i < 3:
					role = store.RoleAdmin
				}
				b.Members = append(b.Members, store.Member{ChatJID: jid, AccountJID: largeJID(a), Role: role, Current: true})
			}
			if err := st.WriteArtifact(ctx, work[d].art, b); err != nil {
				return err
			}
		}
		t := start.Add(time.Duration(rng.IntN(180*24)) * time.Hour)
		for i := range perGroupMsgs {
			sender := members[g][rng.IntN(len(members[g]))]
			t = t.Add(time.Duration(1+rng.IntN(1800)) * time.Second)
			msg := store.Message{ChatJID: jid, SenderJID: largeJID(sender), Time: t, Type: store.TypeText, MediaSize: -1,
				KeyID: fmt.Sprintf("K%d-%d", g, i)}
			switch r := rng.IntN(100); {
			case isDist(sender) && r < 30:
				msg.Type, msg.MediaSHA256, msg.MediaMIME = store.TypeImage, content(rng.IntN(p.Known)), "image/jpeg"
			case r < 20:
				msg.Type, msg.MediaSHA256, msg.MediaMIME = store.TypeImage, content(p.Known+rng.IntN(p.Contents-p.Known)), "image/jpeg"
				msg.MediaPath = "Media/WhatsApp Images/IMG-" + strconv.Itoa(i) + ".jpg"
			default:
				msg.Text = "message " + strconv.Itoa(rng.IntN(5000))
			}
			for _, d := range seenBy[g] {
				m := msg
				m.RowRef = "message:" + strconv.Itoa(g) + ":" + strconv.Itoa(i)
				m.FromMe = sender == owner(d)
				work[d].msgs = append(work[d].msgs, m)
				if len(work[d].msgs) >= 20_000 {
					if err := flush(d); err != nil {
						return err
					}
				}
			}
		}
	}
	for d := range devs {
		if err := flush(d); err != nil {
			return err
		}
		if err := st.FinishArtifact(ctx, work[d].art, "complete", nil, nil); err != nil {
			return err
		}
	}
	// The alert set over the known items, and its hits.
	cat := 1
	set, _, err := st.ImportHashSet(ctx, store.HashSet{Name: "large-alert", Status: store.StatusAlert, Format: "vics", Profile: "US",
		FileName: "large.json", FileSHA256: Hash("large set"), ImportedBy: "generator"}, func(_ *store.HashSet, add func(store.HashEntry) error) error {
		for i := range p.Known {
			if err := add(store.HashEntry{SHA256: content(i), Category: &cat, Size: -1}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	if err := st.Contents(ctx, store.ContentQuery{}, func(c store.Content) error {
		exists[c.SHA256] = true
		return nil
	}); err != nil {
		return err
	}
	var hits []store.Hit
	if err := st.HashEntries(ctx, set.ID, func(e store.HashEntry) error {
		if exists[e.SHA256] {
			hits = append(hits, store.Hit{SHA256: e.SHA256, EntryID: e.ID, Kind: store.HitSHA256})
		}
		return nil
	}); err != nil {
		return err
	}
	return st.ReplaceHits(ctx, store.MatchScope{All: true}, hits, map[string]any{"by": "generator"})
}
