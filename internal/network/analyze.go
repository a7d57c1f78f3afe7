package network

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"time"

	"vigil/internal/store"
)

// Analyze reads the case store and builds the network: see the package
// documentation and docs/NETWORK.md. The store must implement
// store.Analysis (the SQLite store does).
func Analyze(ctx context.Context, st store.Store, o Options) (*Result, error) {
	if o.MergeWindow == 0 {
		o.MergeWindow = DefaultMergeWindow
	}
	if o.MergeWindow < 0 {
		return nil, fmt.Errorf("merge window %v: must not be negative", o.MergeWindow)
	}
	switch o.Bucket {
	case "":
		o.Bucket = "day"
	case "day", "week":
	default:
		return nil, fmt.Errorf("timeline bucket %q: use day or week", o.Bucket)
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	m := newModel(newCategories(o.AbuseCodes))
	if err := m.load(ctx, st, progress); err != nil {
		return nil, fmt.Errorf("network analysis: %w", err)
	}
	progress("merging")
	if err := m.merge(ctx, o.MergeWindow.Milliseconds()); err != nil {
		return nil, err
	}
	progress("roles")
	r := m.analyze(o)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// csr is a compressed list of lists: the items of list i are
// items[start[i]:start[i+1]].
type csr struct {
	start []int32
	items []int32
}

func (c *csr) of(i int32) []int32 { return c.items[c.start[i]:c.start[i+1]] }

// buildCSR groups pairs (list<<32 | item), sorted and unique, by list.
func buildCSR(pairs []uint64, lists int) csr {
	c := csr{start: make([]int32, lists+1), items: make([]int32, len(pairs))}
	for _, p := range pairs {
		c.start[int(p>>32)+1]++
	}
	for i := 1; i <= lists; i++ {
		c.start[i] += c.start[i-1]
	}
	for i, p := range pairs {
		c.items[i] = int32(uint32(p))
	}
	return c
}

func pair(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func sortUnique(p []uint64) []uint64 {
	slices.Sort(p)
	return slices.Compact(p)
}

// post is what one account sent in one conversation.
type post struct {
	acct, conv   int32
	msgs, known  int32
	items        int32
	first, lastT int64
}

// derived holds what the analysis computed, for the result and the graph.
type derived struct {
	parts     csr // conversation → participants (members and senders)
	acctConvs csr // account → conversations it takes part in
	posts     []post
	convMsgs  []int64
	convKnown []int32 // known messages per conversation
	convItems []int32 // distinct known items per conversation
	distGroup []bool  // conversation is a distribution chat (not direct)
	distrib   map[int32]*Distributor
	seeders   map[int32]int   // account → items seeded
	firstMsg  map[int32]int32 // known item → its first message
	bridge    map[int32]bool
	adminOf   map[int32]int // account → distribution groups administered or created
}

func (m *model) label(d int32) string { return m.devices[d].label }

// labels names devices, in label order.
func (m *model) labels(ds []int32) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, m.label(d))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (m *model) jid(a int32) string {
	if a < 0 {
		return ""
	}
	return m.accounts[a].jid
}

func (m *model) country(a int32) string {
	if a < 0 || m.accounts[a].country == "" {
		return Unknown
	}
	return m.accounts[a].country
}

// convJID names a conversation: the group's JID; for a direct chat, the
// other party's JID seen from the sender (or the chat row's JID).
func (m *model) convJID(cv, sender int32) string {
	c := m.convs[cv]
	if c.direct && c.a >= 0 && c.b >= 0 {
		if sender == c.a {
			return m.jid(c.b)
		}
		if sender == c.b {
			return m.jid(c.a)
		}
		return m.jid(c.a) + " / " + m.jid(c.b)
	}
	return m.chats[c.chat].jid
}

func (m *model) analyze(o Options) *Result {
	r := &Result{m: m}
	r.Options = RunOptions{MergeWindowSeconds: o.MergeWindow.Seconds(), Bucket: o.Bucket, AbuseCategories: m.cats.table(),
		ScoreFormula: ScoreFormula}
	d := &derived{distrib: map[int32]*Distributor{}, seeders: map[int32]int{}, firstMsg: map[int32]int32{}, bridge: map[int32]bool{}, adminOf: map[int32]int{}}
	m.d = d
	nconv := len(m.convs)

	// Per conversation and per (account, conversation): messages, known
	// messages, distinct known items. Messages come grouped by
	// conversation, then sender, then content.
	d.convMsgs = make([]int64, nconv)
	d.convKnown = make([]int32, nconv)
	d.convItems = make([]int32, nconv)
	var pairs []uint64
	var convItemPairs []uint64
	var itemMsgs []uint64 // item << 32 | message
	for i := range m.msgs {
		msg := &m.msgs[i]
		d.convMsgs[msg.conv]++
		known := msg.content >= 0 && m.contents[msg.content].known >= 0
		if n := len(d.posts); n == 0 || d.posts[n-1].conv != msg.conv || d.posts[n-1].acct != msg.sender {
			d.posts = append(d.posts, post{acct: msg.sender, conv: msg.conv, first: noTime, lastT: noTime})
			if msg.sender >= 0 {
				pairs = append(pairs, pair(msg.conv, msg.sender))
			}
		}
		p := &d.posts[len(d.posts)-1]
		p.msgs++
		if msg.t != noTime {
			if p.first == noTime || msg.t < p.first {
				p.first = msg.t
			}
			if msg.t > p.lastT {
				p.lastT = msg.t
			}
		}
		if known {
			k := m.contents[msg.content].known
			if p.known == 0 || m.msgs[i-1].content != msg.content {
				p.items++
			}
			p.known++
			d.convKnown[msg.conv]++
			convItemPairs = append(convItemPairs, pair(msg.conv, k))
			itemMsgs = append(itemMsgs, pair(k, int32(i)))
		}
	}
	convItemPairs = sortUnique(convItemPairs)
	for _, p := range convItemPairs {
		d.convItems[p>>32]++
	}
	d.distGroup = make([]bool, nconv)
	for cv := range m.convs {
		d.distGroup[cv] = !m.convs[cv].direct && d.convKnown[cv] > 0
	}

	// Participants: members on any device, senders, the two sides of a
	// direct chat.
	for _, mb := range m.members {
		pairs = append(pairs, pair(mb.conv, mb.acct))
	}
	for cv, c := range m.convs {
		if c.direct {
			for _, a := range []int32{c.a, c.b} {
				if a >= 0 {
					pairs = append(pairs, pair(int32(cv), a))
				}
			}
		}
	}
	pairs = sortUnique(pairs)
	d.parts = buildCSR(pairs, nconv)
	rev := make([]uint64, len(pairs))
	for i, p := range pairs {
		rev[i] = p<<32 | p>>32
	}
	slices.Sort(rev)
	d.acctConvs = buildCSR(rev, len(m.accounts))

	// Creators and admins of distribution groups.
	for cv := range m.convs {
		if !d.distGroup[cv] {
			continue
		}
		seen := map[int32]bool{}
		if c := m.chats[m.convs[cv].chat].creator; c >= 0 {
			seen[c] = true
		}
		for _, a := range d.parts.of(int32(cv)) {
			if m.role(int32(cv), a) >= roleAdmin {
				seen[a] = true
			}
		}
		for a := range seen {
			d.adminOf[a]++
		}
	}

	r.Items = m.items(itemMsgs, d)
	r.Distributors = m.distributors(itemMsgs, d)
	r.Groups = m.groups(d)
	r.Bridges = m.bridges(d)
	r.GroupLinks = m.groupLinks(d, convItemPairs)
	r.Countries = m.countries(d, r)
	r.Timeline = m.timeline(o.Bucket, itemMsgs)
	r.HitSets = m.hitSummary()
	r.Devices = m.deviceList(itemMsgs)
	r.Summary = m.summary(r, d)
	return r
}

// firstObs returns the message's earliest dated observation (then by
// device label), and its time as the source recorded it.
func (m *model) firstObs(msg *message) (int32, time.Time) {
	best := int32(-1)
	var bt time.Time
	for _, k := range m.order[msg.o0 : msg.o0+msg.n] {
		o := &m.obs[k]
		t := timeOf(o.t)
		if o.detail >= 0 && !m.details[o.detail].t.IsZero() {
			t = m.details[o.detail].t
		}
		if best < 0 {
			best, bt = k, t
			continue
		}
		switch {
		case bt.IsZero() && !t.IsZero(),
			!t.IsZero() && t.Before(bt),
			t.Equal(bt) && m.label(o.device) < m.label(m.obs[best].device):
			best, bt = k, t
		}
	}
	return best, bt
}

func (m *model) msgDevices(msg *message) []string {
	var out []string
	for _, k := range m.order[msg.o0 : msg.o0+msg.n] {
		out = append(out, m.label(m.obs[k].device))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// earlier orders messages for seeding: dated before undated, then by
// time, then known senders first, then by sender JID, then by
// conversation.
func (m *model) earlier(a, b *message) bool {
	switch {
	case a.t == noTime && b.t == noTime:
	case a.t == noTime:
		return false
	case b.t == noTime:
		return true
	case a.t != b.t:
		return a.t < b.t
	}
	if (a.sender < 0) != (b.sender < 0) {
		return a.sender >= 0 // a known sender before one no source names
	}
	if ja, jb := m.jid(a.sender), m.jid(b.sender); ja != jb {
		return ja < jb
	}
	return m.convJID(a.conv, a.sender) < m.convJID(b.conv, b.sender)
}

// items builds the known items sent in chats, and records each one's
// seeder.
func (m *model) items(itemMsgs []uint64, d *derived) []Item {
	slices.Sort(itemMsgs)
	var out []Item
	for i := 0; i < len(itemMsgs); {
		k := int32(itemMsgs[i] >> 32)
		j := i
		for j < len(itemMsgs) && int32(itemMsgs[j]>>32) == k {
			j++
		}
		kc := m.known[k]
		it := Item{SHA256: kc.sha, Sets: nonNil(kc.sets), Category: kc.categoryName(), CategoryCode: kc.category, Profile: kc.profile,
			Basis: kc.basis(), Match: kc.match(), MIME: kc.mime}
		var first *message
		firstIdx := int32(-1)
		senders, convs, devices := map[int32]bool{}, map[int32]*message{}, map[string]bool{}
		for _, p := range itemMsgs[i:j] {
			msg := &m.msgs[int32(uint32(p))]
			it.Messages++
			if msg.sender >= 0 {
				senders[msg.sender] = true
			}
			if f := convs[msg.conv]; f == nil || m.earlier(msg, f) {
				convs[msg.conv] = msg
			}
			for _, dv := range m.msgDevices(msg) {
				devices[dv] = true
			}
			if first == nil || m.earlier(msg, first) {
				first, firstIdx = msg, int32(uint32(p))
			}
		}
		it.Senders, it.Chats = len(senders), len(convs)
		it.Devices = sortedKeys(devices)
		if first != nil && first.t != noTime {
			ob, t := m.firstObs(first)
			it.FirstSeen = tptr(t)
			it.FirstChat = m.convJID(first.conv, first.sender)
			it.FirstDevice = m.label(m.obs[ob].device)
			d.firstMsg[k] = firstIdx
			if first.sender >= 0 {
				it.Seeder = sptr(m.jid(first.sender))
				d.seeders[first.sender]++
			}
		}
		for _, msg := range convs {
			ob, t := m.firstObs(msg)
			it.Spread = append(it.Spread, Hop{Chat: m.convJID(msg.conv, msg.sender), Time: tptr(t), Sender: sptr(m.jid(msg.sender)),
				Device: m.label(m.obs[ob].device)})
		}
		sort.Slice(it.Spread, func(a, b int) bool { return hopLess(it.Spread[a], it.Spread[b]) })
		out = append(out, it)
		i = j
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if (x.FirstSeen == nil) != (y.FirstSeen == nil) {
			return x.FirstSeen != nil
		}
		if x.FirstSeen != nil && !x.FirstSeen.Equal(*y.FirstSeen) {
			return x.FirstSeen.Before(*y.FirstSeen)
		}
		return x.SHA256 < y.SHA256
	})
	return out
}

func hopLess(x, y Hop) bool {
	if (x.Time == nil) != (y.Time == nil) {
		return x.Time != nil
	}
	if x.Time != nil && !x.Time.Equal(*y.Time) {
		return x.Time.Before(*y.Time)
	}
	return x.Chat < y.Chat
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Score computes the distributor score of docs/NETWORK.md.
func Score(items, seeded, groups, adminRoles, members int) int {
	return 4*items + 6*seeded + 2*groups + 2*adminRoles + log2floor(1+members)
}

func log2floor(n int) int {
	if n <= 0 {
		return 0
	}
	return bits.Len(uint(n)) - 1
}

func (m *model) distributors(itemMsgs []uint64, d *derived) []Distributor {
	// itemMsgs is sorted by item; regroup the known messages by sender.
	bySender := map[int32][]int32{}
	for _, p := range itemMsgs {
		i := int32(uint32(p))
		if s := m.msgs[i].sender; s >= 0 {
			bySender[s] = append(bySender[s], i)
		}
	}
	stamp := make([]int32, len(m.accounts))
	var out []Distributor
	var who []int32
	for s, msgs := range bySender {
		a := &m.accounts[s]
		dist := Distributor{JID: a.jid, Phone: sptr(a.phone), Country: m.country(s), Names: nonNil(a.names), Devices: []string{},
			OwnerOf: []string{}, Evidence: []Evidence{}}
		dist.OwnerOf = m.labels(a.ownerOf)
		items, groups, direct, devices := map[int32]bool{}, map[int32]bool{}, map[int32]bool{}, map[string]bool{}
		for _, i := range msgs {
			msg := &m.msgs[i]
			k := m.contents[msg.content].known
			items[k] = true
			if m.convs[msg.conv].direct {
				direct[msg.conv] = true
			} else {
				groups[msg.conv] = true
			}
			ev := m.evidence(i)
			for _, dv := range ev.Devices {
				devices[dv] = true
			}
			dist.Evidence = append(dist.Evidence, ev)
			if ev.Time != nil {
				if dist.First == nil || ev.Time.Before(*dist.First) {
					dist.First = ev.Time
				}
				if dist.Last == nil || ev.Time.After(*dist.Last) {
					dist.Last = ev.Time
				}
			}
		}
		dist.Items, dist.Groups, dist.Direct, dist.Messages = len(items), len(groups), len(direct), len(msgs)
		dist.Devices = sortedKeys(devices)
		// Members reached: everyone else in the chats he sent known items to.
		mark := int32(s) + 1
		stamp[s] = mark
		for _, set := range []map[int32]bool{groups, direct} {
			for cv := range set {
				for _, p := range d.parts.of(cv) {
					if stamp[p] != mark {
						stamp[p] = mark
						dist.Members++
					}
				}
			}
		}
		dist.AdminRoles = d.adminOf[s]
		out = append(out, dist)
		who = append(who, s)
	}
	// Seeded and spread need every item's seeder (computed by items).
	for i := range out {
		dist := &out[i]
		dist.Seeded = d.seeders[who[i]]
		dist.Spread = dist.Items - dist.Seeded
		dist.Spreader = dist.Spread > 0
		dist.Score = Score(dist.Items, dist.Seeded, dist.Groups, dist.AdminRoles, dist.Members)
		sort.Slice(dist.Evidence, func(a, b int) bool { return evidenceLess(dist.Evidence[a], dist.Evidence[b]) })
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		x, y := &out[idx[a]], &out[idx[b]]
		if x.Score != y.Score {
			return x.Score > y.Score
		}
		if x.Items != y.Items {
			return x.Items > y.Items
		}
		if x.Seeded != y.Seeded {
			return x.Seeded > y.Seeded
		}
		if (x.First == nil) != (y.First == nil) {
			return x.First != nil
		}
		if x.First != nil && !x.First.Equal(*y.First) {
			return x.First.Before(*y.First)
		}
		return x.JID < y.JID
	})
	ranked := make([]Distributor, len(out))
	for rank, i := range idx {
		ranked[rank] = out[i]
		ranked[rank].Rank = rank + 1
		d.distrib[who[i]] = &ranked[rank]
	}
	return ranked
}

func evidenceLess(x, y Evidence) bool {
	if (x.Time == nil) != (y.Time == nil) {
		return x.Time != nil
	}
	if x.Time != nil && !x.Time.Equal(*y.Time) {
		return x.Time.Before(*y.Time)
	}
	if x.Chat != y.Chat {
		return x.Chat < y.Chat
	}
	return x.SHA256 < y.SHA256
}

// evidence describes one known message with all its observations.
func (m *model) evidence(i int32) Evidence {
	msg := &m.msgs[i]
	k := m.contents[msg.content].known
	kc := m.known[k]
	c := m.convs[msg.conv]
	ev := Evidence{Chat: m.convJID(msg.conv, msg.sender), ChatKind: c.kind, SHA256: kc.sha, Set: strings.Join(kc.sets, "; "),
		Category: kc.categoryName(), CategoryCode: kc.category, Basis: kc.basis(), Match: kc.match()}
	if !c.direct {
		ev.ChatSubject = m.chats[c.chat].subject
	}
	ob, t := m.firstObs(msg)
	ev.Time = tptr(t)
	ev.Device = m.label(m.obs[ob].device)
	ev.Devices = m.msgDevices(msg)
	for _, k := range m.order[msg.o0 : msg.o0+msg.n] {
		o := &m.obs[k]
		obv := Observation{Device: m.label(o.device), Time: tptr(timeOf(o.t))}
		if o.detail >= 0 {
			dt := m.details[o.detail]
			obv.Time, obv.Path, obv.File, obv.Source = tptr(dt.t), dt.mediaPath, dt.file, dt.source
		}
		ev.Observations = append(ev.Observations, obv)
	}
	sort.SliceStable(ev.Observations, func(a, b int) bool {
		x, y := ev.Observations[a], ev.Observations[b]
		if x.Device != y.Device {
			return x.Device < y.Device
		}
		return x.Source < y.Source
	})
	// The item's seed: this message is its first observation anywhere.
	f, ok := m.d.firstMsg[k]
	ev.Seed = ok && f == i
	return ev
}

func (m *model) groups(d *derived) []Group {
	links := map[int32][]string{}
	for _, l := range m.links {
		if l.Group == "" {
			continue
		}
		if ci, ok := m.chatJIDIndex(l.Group); ok && m.chats[ci].conv >= 0 {
			cv := m.chats[ci].conv
			if !slices.Contains(links[cv], l.Code) {
				links[cv] = append(links[cv], l.Code)
			}
		}
	}
	// Distributors per conversation.
	distIn := map[int32][]string{}
	for _, p := range d.posts {
		if p.known > 0 && p.acct >= 0 {
			distIn[p.conv] = append(distIn[p.conv], m.jid(p.acct))
		}
	}
	senders := make([]int32, len(m.convs))
	first, last := make([]int64, len(m.convs)), make([]int64, len(m.convs))
	for i := range first {
		first[i], last[i] = noTime, noTime
	}
	for _, p := range d.posts {
		if p.acct >= 0 {
			senders[p.conv]++
		}
		if p.first != noTime && (first[p.conv] == noTime || p.first < first[p.conv]) {
			first[p.conv] = p.first
		}
		if p.lastT != noTime && p.lastT > last[p.conv] {
			last[p.conv] = p.lastT
		}
	}
	var out []Group
	for cvi, c := range m.convs {
		if c.direct {
			continue
		}
		cv := int32(cvi)
		ch := m.chats[c.chat]
		g := Group{JID: ch.jid, Kind: c.kind, Subject: ch.subject, Created: tptr(timeOf(ch.created)), Country: Unknown,
			Admins: []string{}, Distributors: nonNil(distIn[cv]), Devices: []string{}, InviteLinks: nonNil(links[cv]),
			Messages: d.convMsgs[cv], KnownItems: int(d.convItems[cv]), KnownMsgs: int(d.convKnown[cv]), Distribution: d.distGroup[cv],
			Senders: int(senders[cv]), First: tptr(timeOf(first[cv])), Last: tptr(timeOf(last[cv]))}
		if ch.creator >= 0 {
			g.Creator = sptr(m.jid(ch.creator))
			g.Country = m.country(ch.creator)
		}
		g.Devices = m.labels(ch.devices)
		g.Exports = ch.exports
		parts := d.parts.of(cv)
		g.Members = len(parts)
		byCountry := map[string]int{}
		for _, a := range parts {
			byCountry[m.country(a)]++
			if m.role(cv, a) >= roleAdmin || ch.creator == a {
				g.Admins = append(g.Admins, m.jid(a))
				if g.Creator == nil && m.role(cv, a) == roleCreator {
					g.Creator = sptr(m.jid(a))
					g.Country = m.country(a)
				}
			}
		}
		if ch.creator >= 0 && !slices.Contains(g.Admins, m.jid(ch.creator)) {
			g.Admins = append(g.Admins, m.jid(ch.creator))
		}
		for cc, n := range byCountry {
			g.MemberCountries = append(g.MemberCountries, CountryCount{Country: cc, N: n})
		}
		sort.Slice(g.MemberCountries, func(a, b int) bool {
			x, y := g.MemberCountries[a], g.MemberCountries[b]
			if x.N != y.N {
				return x.N > y.N
			}
			return x.Country < y.Country
		})
		if g.MemberCountries == nil {
			g.MemberCountries = []CountryCount{}
		}
		slices.Sort(g.Admins)
		slices.Sort(g.Distributors)
		slices.Sort(g.InviteLinks)
		out = append(out, g)
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.KnownItems != y.KnownItems {
			return x.KnownItems > y.KnownItems
		}
		if x.KnownMsgs != y.KnownMsgs {
			return x.KnownMsgs > y.KnownMsgs
		}
		return x.JID < y.JID
	})
	return out
}

func (m *model) chatJIDIndex(jid string) (int32, bool) {
	if m.chatIdx == nil {
		m.chatIdx = make(map[string]int32, len(m.chats))
		for i, c := range m.chats {
			m.chatIdx[c.jid] = int32(i)
		}
	}
	i, ok := m.chatIdx[jid]
	return i, ok
}

func (m *model) bridges(d *derived) []Bridge {
	active := map[int32][]string{}
	for _, p := range d.posts {
		if p.acct >= 0 && d.distGroup[p.conv] {
			active[p.acct] = append(active[p.acct], m.chats[m.convs[p.conv].chat].jid)
		}
	}
	var out []Bridge
	for a, gs := range active {
		if len(gs) < 2 {
			continue
		}
		d.bridge[a] = true
		b := Bridge{JID: m.jid(a), Phone: sptr(m.accounts[a].phone), Country: m.country(a), Groups: gs, Distributor: d.distrib[a] != nil}
		slices.Sort(b.Groups)
		for _, cv := range d.acctConvs.of(a) {
			if d.distGroup[cv] {
				b.MemberOf++
			}
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Groups) != len(out[j].Groups) {
			return len(out[i].Groups) > len(out[j].Groups)
		}
		return out[i].JID < out[j].JID
	})
	return out
}

func (m *model) groupLinks(d *derived, convItemPairs []uint64) []GroupLink {
	type agg struct{ members, items, invites int }
	links := map[uint64]*agg{}
	get := func(x, y int32) *agg {
		if x > y {
			x, y = y, x
		}
		k := pair(x, y)
		a := links[k]
		if a == nil {
			a = &agg{}
			links[k] = a
		}
		return a
	}
	// Shared members: every pair of group conversations an account takes
	// part in, when one of the two is a distribution group.
	var gs []int32
	for a := range m.accounts {
		gs = gs[:0]
		for _, cv := range d.acctConvs.of(int32(a)) {
			if !m.convs[cv].direct {
				gs = append(gs, cv)
			}
		}
		for i := 0; i < len(gs); i++ {
			for j := i + 1; j < len(gs); j++ {
				if d.distGroup[gs[i]] || d.distGroup[gs[j]] {
					get(gs[i], gs[j]).members++
				}
			}
		}
	}
	// Shared known items.
	byItem := map[int32][]int32{}
	for _, p := range convItemPairs {
		cv, k := int32(p>>32), int32(uint32(p))
		if !m.convs[cv].direct {
			byItem[k] = append(byItem[k], cv)
		}
	}
	for _, cvs := range byItem {
		for i := 0; i < len(cvs); i++ {
			for j := i + 1; j < len(cvs); j++ {
				get(cvs[i], cvs[j]).items++
			}
		}
	}
	// Invite links to one group posted in another (each code once per
	// pair, however many devices recorded it).
	seenInvite := map[string]bool{}
	for _, l := range m.links {
		if l.Group == "" || l.Chat == "" || l.Group == l.Chat {
			continue
		}
		from, ok1 := m.chatJIDIndex(l.Chat)
		to, ok2 := m.chatJIDIndex(l.Group)
		if !ok1 || !ok2 || m.chats[from].conv < 0 || m.chats[to].conv < 0 {
			continue
		}
		x, y := m.chats[from].conv, m.chats[to].conv
		k := fmt.Sprintf("%d/%d/%s", x, y, l.Code)
		if (d.distGroup[x] || d.distGroup[y]) && !seenInvite[k] {
			seenInvite[k] = true
			get(x, y).invites++
		}
	}
	out := make([]GroupLink, 0, len(links))
	for k, a := range links {
		x, y := m.chats[m.convs[int32(k>>32)].chat].jid, m.chats[m.convs[int32(uint32(k))].chat].jid
		if x > y {
			x, y = y, x
		}
		out = append(out, GroupLink{A: x, B: y, SharedMembers: a.members, SharedItems: a.items, Invites: a.invites})
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.SharedItems != y.SharedItems {
			return x.SharedItems > y.SharedItems
		}
		if x.SharedMembers != y.SharedMembers {
			return x.SharedMembers > y.SharedMembers
		}
		if x.A != y.A {
			return x.A < y.A
		}
		return x.B < y.B
	})
	return out
}

func (m *model) countries(d *derived, r *Result) []Country {
	by := map[string]*Country{}
	get := func(c string) *Country {
		x := by[c]
		if x == nil {
			x = &Country{Country: c}
			by[c] = x
		}
		return x
	}
	for a := range m.accounts {
		c := get(m.country(int32(a)))
		c.Accounts++
		for _, cv := range d.acctConvs.of(int32(a)) {
			if d.distGroup[cv] {
				c.Members++
				break
			}
		}
		if n := d.seeders[int32(a)]; n > 0 {
			c.Seeders++
		}
	}
	for cv := range m.convs {
		if !d.distGroup[cv] {
			continue
		}
		seen := map[string]bool{}
		for _, a := range d.parts.of(int32(cv)) {
			seen[m.country(a)] = true
		}
		for c := range seen {
			get(c).Groups++
		}
		get(m.country(m.chats[m.convs[cv].chat].creator)).GroupsCreated++
	}
	items := map[string]map[string]bool{}
	for _, dist := range r.Distributors {
		get(dist.Country).Distributors++
		if items[dist.Country] == nil {
			items[dist.Country] = map[string]bool{}
		}
		for _, ev := range dist.Evidence {
			items[dist.Country][ev.SHA256] = true
		}
	}
	for c, set := range items {
		get(c).Items = len(set)
	}
	out := make([]Country, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.Distributors != y.Distributors {
			return x.Distributors > y.Distributors
		}
		if x.Members != y.Members {
			return x.Members > y.Members
		}
		if x.Accounts != y.Accounts {
			return x.Accounts > y.Accounts
		}
		return x.Country < y.Country
	})
	return out
}

const dayMs = 24 * 60 * 60 * 1000

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// bucketOf returns the start (unix ms) of the day or ISO week of t.
func bucketOf(t int64, week bool) int64 {
	day := floorDiv(t, dayMs)
	if week {
		// 1970-01-01 was a Thursday: Monday-based weekday (day+3) mod 7.
		wd := ((day+3)%7 + 7) % 7
		day -= wd
	}
	return day * dayMs
}

// maxFilled is the longest timeline whose empty steps are filled in.
const maxFilled = 1000

func (m *model) timeline(bucket string, itemMsgs []uint64) []Bucket {
	week := bucket == "week"
	step := int64(dayMs)
	if week {
		step *= 7
	}
	by := map[int64]*Bucket{}
	get := func(start int64) *Bucket {
		b := by[start]
		if b == nil {
			b = &Bucket{Start: timeOf(start)}
			by[start] = b
		}
		return b
	}
	for i := range m.msgs {
		msg := &m.msgs[i]
		if msg.t == noTime {
			continue
		}
		b := get(bucketOf(msg.t, week))
		b.Messages++
		if msg.content >= 0 {
			b.MediaMessages++
			if m.contents[msg.content].known >= 0 {
				b.KnownMessages++
			}
		}
	}
	itemsIn, distIn := map[uint64]bool{}, map[uint64]bool{}
	firstOf := map[int32]int64{}
	for _, p := range itemMsgs {
		k, msg := int32(p>>32), &m.msgs[int32(uint32(p))]
		if msg.t == noTime {
			continue
		}
		start := bucketOf(msg.t, week)
		idx := uint64(floorDiv(start, step)) << 32
		if !itemsIn[idx|uint64(uint32(k))] {
			itemsIn[idx|uint64(uint32(k))] = true
			get(start).KnownItems++
		}
		if msg.sender >= 0 && !distIn[idx|uint64(uint32(msg.sender))] {
			distIn[idx|uint64(uint32(msg.sender))] = true
			get(start).Distributors++
		}
		if f, ok := firstOf[k]; !ok || msg.t < f {
			firstOf[k] = msg.t
		}
	}
	for _, f := range firstOf {
		get(bucketOf(f, week)).NewItems++
	}
	starts := make([]int64, 0, len(by))
	for s := range by {
		starts = append(starts, s)
	}
	slices.Sort(starts)
	if n := len(starts); n > 1 && (starts[n-1]-starts[0])/step < maxFilled {
		for s := starts[0]; s <= starts[n-1]; s += step {
			get(s)
		}
		starts = starts[:0]
		for s := range by {
			starts = append(starts, s)
		}
		slices.Sort(starts)
	}
	out := make([]Bucket, 0, len(starts))
	for _, s := range starts {
		out = append(out, *by[s])
	}
	return out
}

func (m *model) hitSummary() []SetCategory {
	out := make([]SetCategory, 0, len(m.setAggs))
	for _, a := range m.setAggs {
		a.flush()
		a.last = ""
		sc := a.SetCategory
		for _, c := range a.contents {
			if m.contents[c].inMsgs {
				sc.InChats++
			}
		}
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.Status != y.Status {
			return x.Status < y.Status // alert, known, reference
		}
		if x.Set != y.Set {
			return x.Set < y.Set
		}
		xc, yc := -1, -1
		if x.CategoryCode != nil {
			xc = *x.CategoryCode
		}
		if y.CategoryCode != nil {
			yc = *y.CategoryCode
		}
		return xc < yc
	})
	return out
}

func (m *model) deviceList(itemMsgs []uint64) []Device {
	known := map[uint64]bool{}
	for _, p := range itemMsgs {
		k, msg := int32(p>>32), &m.msgs[int32(uint32(p))]
		for _, o := range m.order[msg.o0 : msg.o0+msg.n] {
			known[pair(m.obs[o].device, k)] = true
		}
	}
	per := make([]int, len(m.devices))
	for p := range known {
		per[p>>32]++
	}
	out := make([]Device, 0, len(m.devices))
	for i, dv := range m.devices {
		out = append(out, Device{Label: dv.label, Suspect: dv.suspect, Country: dv.country, Owner: m.jid(dv.owner),
			Observations: dv.obs, KnownItems: per[i]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

func (m *model) summary(r *Result, d *derived) Summary {
	s := Summary{Devices: len(m.devices), Accounts: len(m.accounts), Chats: len(m.chats), Observations: int64(len(m.obs)),
		Messages: int64(len(m.msgs)), KnownItems: len(r.Items), Cleared: m.cleared, Undetermined: m.undecided,
		Distributors: len(r.Distributors), Seeders: len(d.seeders), Bridges: len(r.Bridges)}
	s.KnownContents = len(m.known)
	for _, c := range m.convs {
		if !c.direct {
			s.Groups++
		}
	}
	for _, g := range r.Groups {
		if g.Distribution {
			s.DistributionGroups++
		}
	}
	for _, dist := range r.Distributors {
		if dist.Spreader {
			s.Spreaders++
		}
	}
	var first, last, firstK, lastK int64 = noTime, noTime, noTime, noTime
	for i := range m.msgs {
		msg := &m.msgs[i]
		if msg.content >= 0 {
			s.MediaMessages++
			if m.contents[msg.content].known >= 0 {
				s.KnownMessages++
				if msg.t != noTime {
					if firstK == noTime || msg.t < firstK {
						firstK = msg.t
					}
					lastK = max(lastK, msg.t)
				}
			}
		}
		if msg.t != noTime {
			if first == noTime || msg.t < first {
				first = msg.t
			}
			last = max(last, msg.t)
		}
	}
	s.First, s.Last, s.FirstKnown, s.LastKnown = tptr(timeOf(first)), tptr(timeOf(last)), tptr(timeOf(firstK)), tptr(timeOf(lastK))
	return s
}
