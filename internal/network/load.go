package network

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"vigil/internal/hashset"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// noTime marks an observation no source dates.
const noTime = math.MinInt64

// Role ranks, highest wins across devices.
const (
	roleNone uint8 = iota
	roleMember
	roleAdmin
	roleCreator
)

func roleRank(r string) uint8 {
	switch r {
	case store.RoleCreator:
		return roleCreator
	case store.RoleAdmin:
		return roleAdmin
	}
	return roleMember
}

func roleName(r uint8) string {
	switch r {
	case roleCreator:
		return store.RoleCreator
	case roleAdmin:
		return store.RoleAdmin
	case roleMember:
		return store.RoleMember
	}
	return ""
}

type deviceInfo struct {
	id      int64
	label   string
	suspect string
	country string
	owner   int32 // account index, -1 when none
	obs     int64
}

type accountInfo struct {
	id      int64
	jid     string
	phone   string
	country string // "" when unknown
	names   []string
	devices []int32 // device indexes that saw the account
	ownerOf []int32
}

type chatInfo struct {
	id      int64
	jid     string
	kind    string
	subject string
	created int64 // unix ms, noTime when unknown
	creator int32 // account index, -1 when unknown
	devices []int32
	conv    int32    // conversation of a non-direct chat, -1 for direct chats
	exports []string // JIDs of export chats folded into this group
}

// conv is a conversation: a group chat (one chat row), or a direct chat
// between two accounts, whose two sides' devices each keep a chat row
// named after the other side.
type conv struct {
	kind   string
	chat   int32 // the chat row (for direct chats, the first seen)
	a, b   int32 // the two accounts of a direct chat (-1 when unknown)
	direct bool
}

// membership is one account in one conversation, merged over devices.
type membership struct {
	conv, acct int32
	role       uint8
	current    bool
	dev0, ndev int32 // devices, in model.memberDevs
}

// obs is one message row, reduced to what merging and counting need.
type obs struct {
	conv, sender, device, artifact int32
	content                        int32 // media content index, -1 for none
	detail                         int32 // index in model.details for known items, -1 otherwise
	key                            uint64
	digest                         uint64 // of the text, for messages without media
	t                              int64  // unix ms, noTime when unknown
}

// detail is what the evidence trail shows of an observation of a known item.
type detail struct {
	t         time.Time // as the source recorded it
	mediaPath string
	file      string
	source    string
}

// content is a media content seen in messages or known.
type content struct {
	sha    string
	known  int32 // index in model.known, -1 when not a known item
	inMsgs bool  // some message carried it
}

// model is the merged case: every table reduced to integer ids.
type model struct {
	cats categories

	devices  []deviceInfo
	devByID  map[int64]int32
	accounts []accountInfo
	acctByID map[int64]int32
	acctJID  map[string]int32 // JID and LID → account
	chats    []chatInfo
	chatByID map[int64]int32
	convs    []conv
	pairConv map[uint64]int32 // direct chats: account pair → conversation
	lonely   map[uint64]int32 // direct chats without a known owner or partner: chat, device → conversation

	artifacts map[int64]string // artifact id → path

	contents  []content
	contentOf map[string]int32
	known     []*knownContent
	cleared   int
	undecided int

	members    []membership
	memberDevs []int32

	obs     []obs
	details []detail
	msgs    []message
	order   []int32 // observation indexes, grouped by message

	setAggs map[setKey]*setAgg // hits by set and category

	chatIdx map[string]int32 // chat JID → chat, built on demand
	d       *derived

	links []store.LinkView
}

func newModel(cats categories) *model {
	return &model{
		cats:      cats,
		devByID:   map[int64]int32{},
		acctByID:  map[int64]int32{},
		acctJID:   map[string]int32{},
		chatByID:  map[int64]int32{},
		pairConv:  map[uint64]int32{},
		lonely:    map[uint64]int32{},
		artifacts: map[int64]string{},
		contentOf: map[string]int32{},
		setAggs:   map[setKey]*setAgg{},
	}
}

// ErrNoAnalysis is returned for stores without the analysis read side.
var ErrNoAnalysis = errors.New("this case store cannot stream its rows for network analysis (store.Analysis)")

func (m *model) load(ctx context.Context, st store.Store, progress func(string)) error {
	an, ok := st.(store.Analysis)
	if !ok {
		return ErrNoAnalysis
	}
	counts, err := an.AnalysisCounts(ctx)
	if err != nil {
		return err
	}
	// Sizes from the counts, bounded: a corrupt count must not make the
	// analysis allocate at once what the rows would not fill.
	capOf := func(n int64) int { return int(max(0, min(n, 1<<26))) }
	m.obs = make([]obs, 0, capOf(counts.Messages))
	m.accounts = make([]accountInfo, 0, capOf(counts.Accounts))
	m.acctByID = make(map[int64]int32, capOf(counts.Accounts))
	m.acctJID = make(map[string]int32, capOf(counts.Accounts))

	progress("devices")
	owners := map[int64]int64{}
	if err := an.AnalysisDevices(ctx, func(d store.DeviceRow) error {
		m.devByID[d.ID] = int32(len(m.devices))
		m.devices = append(m.devices, deviceInfo{id: d.ID, label: d.Label, suspect: d.Suspect, country: d.Country, owner: -1})
		if d.OwnerID != 0 {
			owners[d.ID] = d.OwnerID
		}
		return nil
	}); err != nil {
		return err
	}

	progress("accounts")
	names := newInterner()
	n := 0
	if err := an.AnalysisAccounts(ctx, func(a *store.AccountRow) error {
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		i := int32(len(m.accounts))
		info := accountInfo{id: a.ID, jid: a.JID, phone: a.Phone, country: strings.ToUpper(a.Country)}
		if info.country == "" && a.Phone != "" {
			if num, err := phone.Parse(a.Phone); err == nil {
				info.country = num.Region
			}
		}
		info.country = names.get(info.country)
		for _, s := range a.Names {
			info.names = append(info.names, names.get(s))
		}
		info.devices = m.deviceIdx(a.DeviceIDs)
		info.ownerOf = m.deviceIdx(a.OwnerOf)
		m.acctByID[a.ID] = i
		m.acctJID[a.JID] = i
		if a.LID != "" {
			if _, dup := m.acctJID[a.LID]; !dup {
				m.acctJID[a.LID] = i
			}
		}
		m.accounts = append(m.accounts, info)
		return nil
	}); err != nil {
		return err
	}
	for d, a := range owners {
		if di, ok := m.devByID[d]; ok {
			if ai, ok := m.acctByID[a]; ok {
				m.devices[di].owner = ai
			}
		}
	}

	progress("chats")
	if err := an.AnalysisChats(ctx, func(c *store.ChatRow) error {
		i := int32(len(m.chats))
		ci := chatInfo{id: c.ID, jid: c.JID, kind: c.Kind, subject: c.Subject, created: msOf(c.Created), creator: -1, conv: -1,
			devices: m.deviceIdx(c.DeviceIDs)}
		if a, ok := m.acctByID[c.CreatorID]; ok && c.CreatorID != 0 {
			ci.creator = a
		}
		if c.Kind != store.ChatDirect {
			ci.conv = int32(len(m.convs))
			m.convs = append(m.convs, conv{kind: c.Kind, chat: i, a: -1, b: -1})
		}
		m.chatByID[c.ID] = i
		m.chats = append(m.chats, ci)
		return nil
	}); err != nil {
		return err
	}

	arts, err := st.ArtifactRecords(ctx, "")
	if err != nil {
		return err
	}
	for _, a := range arts {
		m.artifacts[a.ID] = a.Path
	}

	progress("hits")
	if err := m.loadKnown(ctx, an); err != nil {
		return err
	}

	progress("messages")
	if err := m.loadMessages(ctx, an); err != nil {
		return err
	}
	if err := m.foldExports(ctx); err != nil {
		return err
	}

	progress("members")
	if err := m.loadMembers(ctx, an, counts.Members); err != nil {
		return err
	}

	progress("links")
	return st.Links(ctx, store.LinkQuery{}, func(l store.LinkView) error {
		m.links = append(m.links, l)
		return nil
	})
}

func (m *model) deviceIdx(ids []int64) []int32 {
	if len(ids) == 0 {
		return nil
	}
	out := make([]int32, 0, len(ids))
	for _, id := range ids {
		if d, ok := m.devByID[id]; ok {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

func (m *model) contentIdx(sha string) int32 {
	if i, ok := m.contentOf[sha]; ok {
		return i
	}
	i := int32(len(m.contents))
	m.contents = append(m.contents, content{sha: strings.Clone(sha), known: -1})
	m.contentOf[m.contents[i].sha] = i
	return i
}

func (m *model) loadKnown(ctx context.Context, an store.Analysis) error {
	byContent := map[string]*knownContent{}
	get := func(sha string) *knownContent {
		k := byContent[sha]
		if k == nil {
			k = &knownContent{sha: sha, pdqDist: -1}
			byContent[sha] = k
		}
		return k
	}
	if err := an.AnalysisHits(ctx, func(h store.HitView) error {
		m.addSetHit(h)
		get(h.SHA256).addHit(m.cats, h)
		return nil
	}); err != nil {
		return err
	}
	if err := an.LatestDecisions(ctx, func(d store.Decision) error {
		k := get(d.SHA256)
		if k.addDecision(m.cats, d) {
			m.undecided++
		}
		if k.cleared && k.hashset {
			m.cleared++
		}
		return nil
	}); err != nil {
		return err
	}
	shas := make([]string, 0, len(byContent))
	for sha, k := range byContent {
		if k.known() {
			shas = append(shas, sha)
		}
	}
	slices.Sort(shas)
	for _, sha := range shas {
		k := byContent[sha]
		slices.Sort(k.sets)
		c := m.contentIdx(sha)
		m.contents[c].known = int32(len(m.known))
		m.known = append(m.known, k)
	}
	return nil
}

func (m *model) loadMembers(ctx context.Context, an store.Analysis, hint int64) error {
	type row struct {
		conv, acct, dev int32
		role            uint8
		current         bool
	}
	rows := make([]row, 0, max(0, min(hint, 1<<26)))
	n := 0
	if err := an.AnalysisMembers(ctx, func(r store.MemberRow) error {
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ci, ok := m.chatByID[r.ChatID]
		if !ok {
			return nil
		}
		cv := m.chats[ci].conv
		a, ok := m.acctByID[r.AccountID]
		if !ok || cv < 0 {
			return nil // direct chats: their two parties are known without member rows
		}
		rows = append(rows, row{conv: cv, acct: a, dev: m.devByID[r.DeviceID], role: roleRank(r.Role), current: r.Current})
		return nil
	}); err != nil {
		return err
	}
	slices.SortFunc(rows, func(x, y row) int {
		if c := cmp.Compare(x.conv, y.conv); c != 0 {
			return c
		}
		if c := cmp.Compare(x.acct, y.acct); c != 0 {
			return c
		}
		return cmp.Compare(x.dev, y.dev)
	})
	m.memberDevs = make([]int32, 0, len(rows))
	for _, r := range rows {
		last := len(m.members) - 1
		if last < 0 || m.members[last].conv != r.conv || m.members[last].acct != r.acct {
			m.members = append(m.members, membership{conv: r.conv, acct: r.acct, dev0: int32(len(m.memberDevs))})
			last++
		}
		mb := &m.members[last]
		mb.role = max(mb.role, r.role)
		mb.current = mb.current || r.current
		if mb.ndev == 0 || m.memberDevs[len(m.memberDevs)-1] != r.dev {
			m.memberDevs = append(m.memberDevs, r.dev)
			mb.ndev++
		}
	}
	return nil
}

// membership returns the membership of account a in conversation cv, nil
// when no device lists one.
func (m *model) membership(cv, a int32) *membership {
	i, ok := slices.BinarySearchFunc(m.members, [2]int32{cv, a}, func(x membership, k [2]int32) int {
		if c := cmp.Compare(x.conv, k[0]); c != 0 {
			return c
		}
		return cmp.Compare(x.acct, k[1])
	})
	if !ok {
		return nil
	}
	return &m.members[i]
}

// role returns the highest role any device gives account a in
// conversation cv (roleNone when not a listed member).
func (m *model) role(cv, a int32) uint8 {
	if mb := m.membership(cv, a); mb != nil {
		return mb.role
	}
	return roleNone
}

// setKey is one set and category of the hit summary.
type setKey struct {
	set, status, profile string
	category             int // -1 for none
}

type setAgg struct {
	SetCategory
	last     string // the content whose hits are being read
	curExact bool
	contents []int32 // alert sets: the contents hit
}

// addSetHit counts a hit in the summary by set and category. Hits come
// ordered by content, so a content is counted when the next one starts.
func (m *model) addSetHit(h store.HitView) {
	k := setKey{set: h.Set, status: h.Status, profile: h.Profile, category: -1}
	if h.Category != nil {
		k.category = *h.Category
	}
	a := m.setAggs[k]
	if a == nil {
		a = &setAgg{SetCategory: SetCategory{Set: h.Set, Status: h.Status, Profile: h.Profile, Category: "uncategorised"}}
		if h.Category != nil {
			c := *h.Category
			a.CategoryCode = &c
			a.Category = hashset.CategoryName(h.Profile, c)
		}
		m.setAggs[k] = a
	}
	exact := h.Kind != store.HitPDQ
	if a.last == h.SHA256 {
		a.curExact = a.curExact || exact
		return
	}
	a.flush()
	a.last, a.curExact = h.SHA256, exact
	a.Contents++
	if h.Status == store.StatusAlert {
		a.contents = append(a.contents, m.contentIdx(h.SHA256))
	}
}

func (a *setAgg) flush() {
	if a.last == "" {
		return
	}
	if a.curExact {
		a.Exact++
	} else {
		a.PDQ++
	}
}

// directConv returns the conversation of a direct chat row as one device
// saw it: the pair of the device's owner and the chat's partner.
func (m *model) directConv(chat, device int32) int32 {
	c := &m.chats[chat]
	owner := m.devices[device].owner
	partner, ok := m.acctJID[c.jid]
	if !ok {
		if b, ok2 := phone.BareJID(c.jid); ok2 {
			partner, ok = m.acctJID[b]
		}
	}
	if ok && owner >= 0 && owner != partner {
		a, b := min(owner, partner), max(owner, partner)
		key := uint64(uint32(a))<<32 | uint64(uint32(b))
		if cv, ok := m.pairConv[key]; ok {
			return cv
		}
		cv := int32(len(m.convs))
		m.convs = append(m.convs, conv{kind: store.ChatDirect, chat: chat, a: a, b: b, direct: true})
		m.pairConv[key] = cv
		return cv
	}
	key := uint64(uint32(chat))<<32 | uint64(uint32(device))
	if cv, ok := m.lonely[key]; ok {
		return cv
	}
	cv := int32(len(m.convs))
	p := int32(-1)
	if ok {
		p = partner
	}
	m.convs = append(m.convs, conv{kind: store.ChatDirect, chat: chat, a: owner, b: p, direct: true})
	m.lonely[key] = cv
	return cv
}

// fnv64 hashes s (FNV-1a), deterministically across runs.
func fnv64(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

const fnvOffset = 14695981039346656037

func (m *model) loadMessages(ctx context.Context, an store.Analysis) error {
	n := 0
	return an.AnalysisMessages(ctx, func(r *store.MessageRow) error {
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ci, ok := m.chatByID[r.ChatID]
		if !ok {
			return fmt.Errorf("message %d: chat %d not found", r.ID, r.ChatID)
		}
		d, ok := m.devByID[r.DeviceID]
		if !ok {
			return fmt.Errorf("message %d: device %d not found", r.ID, r.DeviceID)
		}
		m.devices[d].obs++
		o := obs{device: d, artifact: int32(r.ArtifactID), sender: -1, content: -1, detail: -1, t: msOf(r.Time)}
		if cv := m.chats[ci].conv; cv >= 0 {
			o.conv = cv
		} else {
			o.conv = m.directConv(ci, d)
		}
		if a, ok := m.acctByID[r.SenderID]; ok && r.SenderID != 0 {
			o.sender = a
		} else if owner := m.devices[d].owner; r.FromMe && owner >= 0 {
			o.sender = owner
		} else if cv := m.convs[o.conv]; cv.direct && !r.FromMe && cv.a >= 0 && cv.b >= 0 {
			// An incoming message of a direct chat is from the partner.
			if cv.a == owner {
				o.sender = cv.b
			} else {
				o.sender = cv.a
			}
		}
		if r.KeyID != "" {
			o.key = fnv64(fnvOffset, r.KeyID) | 1
		}
		if sha := r.MediaSHA256; sha != "" {
			o.content = m.contentIdx(sha)
			m.contents[o.content].inMsgs = true
			if m.contents[o.content].known >= 0 {
				o.detail = int32(len(m.details))
				dt := detail{t: r.Time, mediaPath: r.MediaPath, source: m.artifacts[r.ArtifactID] + "#" + r.RowRef}
				if r.FilePath != "" {
					label := ""
					if fd, ok := m.devByID[r.FileDeviceID]; ok {
						label = m.devices[fd].label
					}
					dt.file = label + ":" + r.FilePath
				}
				m.details = append(m.details, dt)
			}
		} else {
			// Without a media hash, the message is told by its text and
			// caption, and whether it carried media at all.
			h := uint64(fnvOffset)
			if r.MediaPath != "" || r.MediaMIME != "" {
				h = fnv64(h, "\x00media")
			}
			h = fnv64(h, r.Text)
			h = fnv64(h^0xff, r.Caption)
			o.digest = h
		}
		m.obs = append(m.obs, o)
		return nil
	})
}

// msOf is a time in unix milliseconds (the finest precision any
// messaging source keeps), noTime when zero.
func msOf(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixMilli()
}

func timeOf(ms int64) time.Time {
	if ms == noTime {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// interner keeps one copy of repeated strings.
type interner map[string]string

func newInterner() interner { return interner{} }

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}
