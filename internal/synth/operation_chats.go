package synth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GroupHistory is a WhatsApp group of the operation, with its whole history.
type GroupHistory struct {
	JID      string
	Subject  string // the last subject
	Subjects []SubjectChange
	Created  time.Time
	Creator  *Account
	Code     string // invite code
	members  []*membership
	events   []Event
	messages []*opMessage
	// observers are Android-phone suspects who are members from the
	// group's creation to the end: every message of the group is on
	// their phones.
	observers []*Account
}

type membership struct {
	acc     *Account
	joined  time.Time
	via     string // "created", "added", "link"
	left    time.Time
	removed bool
	admin   bool
	adminAt time.Time
}

func (m *membership) present(t time.Time) bool {
	return !t.Before(m.joined) && (m.left.IsZero() || t.Before(m.left))
}

// direct is a one-to-one chat of which at least one side is a suspect.
type direct struct {
	a, b     *Account
	messages []*opMessage
}

// opMessage is a message as sent, before any device records it.
type opMessage struct {
	id        string
	sender    *Account
	t         time.Time
	typ       string
	text      string
	caption   string
	media     *mediaObj
	forwarded bool
}

// mediaObj is a file sent in chats.
type mediaObj struct {
	SHA256 string
	Data   []byte
	MIME   string
	Type   string // image, voice, document
	Ext    string
	Name   string // documents
	item   *Item
}

func minuteAt(r *rand.Rand, from, to time.Time) time.Time {
	span := int64(to.Sub(from) / time.Minute)
	if span <= 0 {
		return from.Truncate(time.Minute).Add(time.Minute)
	}
	return from.Truncate(time.Minute).Add(time.Duration(1+r.Int64N(span)) * time.Minute)
}

func (g *GroupHistory) member(a *Account) *membership {
	for _, m := range g.members {
		if m.acc == a {
			return m
		}
	}
	return nil
}

func (g *GroupHistory) present(t time.Time, pred func(*Account) bool) []*Account {
	var out []*Account
	for _, m := range g.members {
		if m.present(t) && (pred == nil || pred(m.acc)) {
			out = append(out, m.acc)
		}
	}
	return out
}

func (g *GroupHistory) adminsAt(t time.Time) []*Account {
	var out []*Account
	for _, m := range g.members {
		if m.present(t) && (m.acc == g.Creator || (m.admin && !t.Before(m.adminAt))) {
			out = append(out, m.acc)
		}
	}
	return out
}

func isDistributor(a *Account) bool { return a.Distributor }

// androidObserver says whether a suspect's phone is an Android one.
func (o *Operation) androidObserver(a *Account) bool {
	return a.Suspect != nil && strings.HasPrefix(o.phoneKind(a.Suspect), "android")
}

// phoneKind is the platform of a suspect's phone. iPhones go to one in
// five of the suspects who only receive; the Android schema generations
// (modern, legacy, transitional) rotate among the others.
func (o *Operation) phoneKind(s *Suspect) string {
	nr, na := 0, 0
	for _, x := range o.Suspects {
		if x == s {
			break
		}
		if !x.Account.Distributor && nr%5 == 0 {
			nr++
			continue
		}
		if !x.Account.Distributor {
			nr++
		}
		na++
	}
	if !s.Account.Distributor && nr%5 == 0 {
		return DeviceIOS
	}
	return []string{DeviceAndroidModern, DeviceAndroidLegacy, DeviceAndroidTransitional}[na%3]
}

// makeGroups creates the groups and their membership histories.
func (o *Operation) makeGroups(ctx context.Context) error {
	p := o.Params
	r := p.rng(streamGroups)
	var dists, recvs, observers []*Account
	for _, a := range o.Accounts {
		if a.Distributor {
			dists = append(dists, a)
		} else {
			recvs = append(recvs, a)
		}
	}
	for _, s := range o.Suspects {
		if o.androidObserver(s.Account) {
			observers = append(observers, s.Account)
		}
	}
	if len(observers) == 0 {
		return fmt.Errorf("synth: no suspect has an Android phone to observe the groups")
	}
	span := o.End.Sub(o.Start)
	// Every distributor must belong to a group: deal them out.
	dealt := append([]*Account(nil), dists...)
	r.Shuffle(len(dealt), func(i, j int) { dealt[i], dealt[j] = dealt[j], dealt[i] })
	used := map[string]bool{}
	for gi := 0; gi < p.Groups; gi++ {
		created := minuteAt(r, o.Start, o.Start.Add(span*55/100))
		creator := dists[r.IntN(len(dists))]
		g := &GroupHistory{Created: created, Creator: creator, Code: inviteCode(r)}
		if gi%3 == 0 {
			// Old-style JID: the creator's number and the creation time.
			g.JID = fmt.Sprintf("%s-%d@g.us", strings.TrimPrefix(creator.Phone, "+"), created.Unix())
		} else {
			g.JID = "120363" + digits(r, 12) + "@g.us"
		}
		if used[g.JID] {
			g.JID = "120363" + digits(r, 12) + "@g.us"
		}
		used[g.JID] = true
		subject := fmt.Sprintf("%s %s %d", subjectWords[r.IntN(len(subjectWords))], subjectTags[r.IntN(len(subjectTags))], 1+r.IntN(99))
		g.Subject = subject
		g.Subjects = []SubjectChange{{Subject: subject, Time: created, Actor: creator.JID}}
		g.events = append(g.events, Event{Time: created, Action: "created", Actor: creator.JID, New: subject})
		g.members = append(g.members, &membership{acc: creator, joined: created, via: "created", admin: true, adminAt: created})
		in := map[*Account]bool{creator: true}
		add := func(a *Account) *membership {
			if in[a] {
				return nil
			}
			in[a] = true
			m := &membership{acc: a}
			g.members = append(g.members, m)
			return m
		}
		// Initial members, added by the creator a minute after creation:
		// one or two observers, distributors (the dealt ones first) and
		// receivers.
		size := max(5, p.GroupMembers/2+r.IntN(p.GroupMembers/2+1))
		var initial []*membership
		if o.androidObserver(creator) {
			g.observers = append(g.observers, creator)
		} else {
			obs := observers[gi%len(observers)]
			if m := add(obs); m != nil {
				initial = append(initial, m)
				g.observers = append(g.observers, obs)
			}
		}
		if len(observers) > 2 && r.IntN(3) == 0 {
			o2 := observers[r.IntN(len(observers))]
			if m := add(o2); m != nil {
				initial = append(initial, m)
				g.observers = append(g.observers, o2)
			}
		}
		nd := max(2, size*2/5)
		for k := 0; k < nd; k++ {
			var a *Account
			if len(dealt) > 0 {
				a, dealt = dealt[0], dealt[1:]
			} else {
				a = dists[r.IntN(len(dists))]
			}
			if m := add(a); m != nil {
				initial = append(initial, m)
			}
		}
		for len(initial) < size {
			if m := add(recvs[r.IntN(len(recvs))]); m != nil {
				initial = append(initial, m)
			} else if len(in) >= len(recvs)+1 {
				break
			}
		}
		var targets []string
		for _, m := range initial {
			m.joined, m.via = created.Add(time.Minute), "added"
			targets = append(targets, m.acc.JID)
		}
		g.events = append(g.events, Event{Time: created.Add(time.Minute), Action: "added", Actor: creator.JID, Targets: targets})
		// One or two distributors become admins.
		for k, m := range initial {
			if m.acc.Distributor && !m.admin && k%3 == 1 {
				m.admin, m.adminAt = true, created.Add(2*time.Minute)
				g.events = append(g.events, Event{Time: m.adminAt, Action: "admin-promoted", Actor: creator.JID, Targets: []string{m.acc.JID}})
			}
		}
		// Later members, by invite link or added by an admin, until two
		// weeks before the end (suspects other than observers join too).
		later := max(1, p.GroupMembers/3+r.IntN(p.GroupMembers/4+1))
		lateEnd := o.End.Add(-14 * 24 * time.Hour)
		for k := 0; k < later; k++ {
			var a *Account
			switch x := r.IntN(10); {
			case x < 3:
				a = dists[r.IntN(len(dists))]
			case x < 4 && len(o.Suspects) > 0:
				a = o.Suspects[r.IntN(len(o.Suspects))].Account
			default:
				a = recvs[r.IntN(len(recvs))]
			}
			m := add(a)
			if m == nil {
				continue
			}
			m.joined = minuteAt(r, created.Add(time.Hour), lateEnd)
			if r.IntN(10) < 6 {
				m.via = "link"
				g.events = append(g.events, Event{Time: m.joined, Action: "joined-by-link", Actor: a.JID, Targets: []string{a.JID}})
			} else {
				m.via = "added"
				admins := g.adminsAt(m.joined)
				actor := creator
				if len(admins) > 0 {
					actor = admins[r.IntN(len(admins))]
				}
				g.events = append(g.events, Event{Time: m.joined, Action: "added", Actor: actor.JID, Targets: []string{a.JID}})
			}
		}
		// Some members leave or are removed (never the creator nor an
		// observer).
		for _, m := range g.members {
			if m.acc == creator || g.isObserver(m.acc) || r.IntN(100) >= 15 {
				continue
			}
			from := m.joined.Add(24 * time.Hour)
			if !from.Before(o.End.Add(-24 * time.Hour)) {
				continue
			}
			m.left = minuteAt(r, from, o.End.Add(-time.Hour))
			if admins := g.adminsAt(m.left); r.IntN(10) < 3 && len(admins) > 0 && !(len(admins) == 1 && admins[0] == m.acc) {
				actor := admins[r.IntN(len(admins))]
				for actor == m.acc {
					actor = admins[r.IntN(len(admins))]
				}
				m.removed = true
				g.events = append(g.events, Event{Time: m.left, Action: "removed", Actor: actor.JID, Targets: []string{m.acc.JID}})
			} else {
				g.events = append(g.events, Event{Time: m.left, Action: "left", Actor: m.acc.JID, Targets: []string{m.acc.JID}})
			}
		}
		// A subject change, and a link reset, in some groups.
		if r.IntN(3) == 0 {
			t := minuteAt(r, created.Add(48*time.Hour), o.End.Add(-48*time.Hour))
			if admins := g.adminsAt(t); len(admins) > 0 {
				actor := admins[r.IntN(len(admins))]
				ns := subject + " (" + subjectTags[r.IntN(len(subjectTags))] + ")"
				g.events = append(g.events, Event{Time: t, Action: "subject", Actor: actor.JID, Old: subject, New: ns})
				g.Subjects = append(g.Subjects, SubjectChange{Subject: ns, Time: t, Actor: actor.JID})
				g.Subject = ns
			}
		}
		if r.IntN(4) == 0 {
			t := minuteAt(r, o.End.Add(-5*24*time.Hour), o.End.Add(-time.Hour))
			if admins := g.adminsAt(t); len(admins) > 0 {
				g.events = append(g.events, Event{Time: t, Action: "link-reset", Actor: admins[r.IntN(len(admins))].JID})
			}
		}
		sort.SliceStable(g.events, func(i, j int) bool { return g.events[i].Time.Before(g.events[j].Time) })
		o.Groups = append(o.Groups, g)
	}
	if len(dealt) > 0 {
		return fmt.Errorf("synth: %d distributors left without a group: more groups or members needed", len(dealt))
	}
	return nil
}

func (g *GroupHistory) isObserver(a *Account) bool {
	for _, x := range g.observers {
		if x == a {
			return true
		}
	}
	return false
}

// makeMessages writes the groups' and direct chats' messages: talk,
// unknown pictures, voice notes and documents, invite links shared
// before people join by them, and the known items: each seeded by a
// distributor in one group and forwarded by others to more groups and to
// suspects in direct chats.
func (o *Operation) makeMessages(ctx context.Context) error {
	p := o.Params
	r := p.rng(streamMessages)
	// Pictures, voice notes and documents that are not known.
	nPics := max(10, p.Groups*p.GroupMessages/12)
	pics := make([]*mediaObj, nPics)
	err := parallel(ctx, nPics, func(i int) error {
		w, h := 256, 192
		if i%4 == 0 {
			w, h = 192, 256
		}
		data, err := pictureJPEG(PicturePhoto, p.Seed^0x5eed0000^uint64(i), w, h, 80)
		if err != nil {
			return err
		}
		b := newBlob("", data)
		pics[i] = &mediaObj{SHA256: b.SHA256, Data: data, MIME: "image/jpeg", Type: "image", Ext: "jpg"}
		return nil
	})
	if err != nil {
		return err
	}
	o.media = append(o.media, pics...)
	nVoice := max(4, nPics/5)
	voices := make([]*mediaObj, nVoice)
	for i := range voices {
		data := opusBytes(p.Seed^0x70ce0000^uint64(i), 3000+r.IntN(9000))
		voices[i] = &mediaObj{SHA256: newBlob("", data).SHA256, Data: data, MIME: "audio/ogg; codecs=opus", Type: "voice", Ext: "opus"}
	}
	o.media = append(o.media, voices...)
	nDocs := max(2, nPics/20)
	docs := make([]*mediaObj, nDocs)
	for i := range docs {
		name := fmt.Sprintf("lista_%03d.pdf", i+1)
		data := pdfBytes(p.Seed^0xd0c00000^uint64(i), name)
		docs[i] = &mediaObj{SHA256: newBlob("", data).SHA256, Data: data, MIME: "application/pdf", Type: "document", Ext: "pdf", Name: name}
	}
	o.media = append(o.media, docs...)

	// Talk in groups.
	for _, g := range o.Groups {
		n := max(8, p.GroupMessages/2+r.IntN(p.GroupMessages+1))
		for k := 0; k < n; k++ {
			t := minuteAt(r, g.Created.Add(5*time.Minute), o.End)
			here := g.present(t, nil)
			if len(here) == 0 {
				continue
			}
			a := here[r.IntN(len(here))]
			m := &opMessage{sender: a, t: t}
			switch x := r.IntN(100); {
			case x < 70:
				m.typ, m.text = "text", phrase(r, a.lang)
			case x < 88:
				m.typ, m.media = "image", pics[r.IntN(len(pics))]
				if r.IntN(4) == 0 {
					m.caption = phrase(r, a.lang)
				}
			case x < 97:
				m.typ, m.media = "audio", voices[r.IntN(len(voices))]
			default:
				m.typ, m.media = "document", docs[r.IntN(len(docs))]
			}
			g.messages = append(g.messages, m)
		}
		// Benign known pictures (non-pertinent), posted by anyone.
		for _, b := range o.Benign {
			if r.IntN(max(1, len(o.Groups)/3)) != 0 {
				continue
			}
			t := minuteAt(r, g.Created.Add(5*time.Minute), o.End)
			if here := g.present(t, nil); len(here) > 0 {
				g.messages = append(g.messages, &opMessage{sender: here[r.IntN(len(here))], t: t, typ: "image", media: benignMedia(b)})
			}
		}
	}
	// Invite links: before the first join by link, an admin of the group
	// shares it in another group he is in, or with a suspect directly.
	for gi, g := range o.Groups {
		var first time.Time
		for _, m := range g.members {
			if m.via == "link" && (first.IsZero() || m.joined.Before(first)) {
				first = m.joined
			}
		}
		if first.IsZero() {
			continue
		}
		at := first.Add(-time.Duration(10+r.IntN(600)) * time.Minute)
		if at.Before(g.Created.Add(2 * time.Minute)) {
			at = g.Created.Add(2 * time.Minute)
		}
		admins := g.adminsAt(at)
		if len(admins) == 0 {
			continue
		}
		who := admins[r.IntN(len(admins))]
		text := fmt.Sprintf(linkPhrases[who.lang], "https://chat.whatsapp.com/"+g.Code)
		posted := false
		for k := 1; k < len(o.Groups) && !posted; k++ {
			h := o.Groups[(gi+k)%len(o.Groups)]
			if mm := h.member(who); mm != nil && mm.present(at) {
				h.messages = append(h.messages, &opMessage{sender: who, t: at, typ: "text", text: text})
				posted = true
			}
		}
		if !posted {
			g.messages = append(g.messages, &opMessage{sender: who, t: at, typ: "text", text: text})
		}
	}
	if err := o.postItems(r); err != nil {
		return err
	}
	o.makeDirects(r, docs)
	// Key ids, unique per chat, in time order.
	for _, g := range o.Groups {
		finishMessages(r, g.messages)
	}
	for _, d := range o.directs {
		finishMessages(r, d.messages)
	}
	return nil
}

func phrase(r *rand.Rand, lang string) string {
	ps := chatPhrases[lang]
	return ps[r.IntN(len(ps))]
}

func benignMedia(it *Item) *mediaObj {
	if it.media == nil {
		it.media = &mediaObj{SHA256: it.SHA256, Data: it.JPEG, MIME: "image/jpeg", Type: "image", Ext: "jpg", item: it}
	}
	return it.media
}

func finishMessages(r *rand.Rand, ms []*opMessage) {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].t.Before(ms[j].t) })
	seen := map[string]bool{}
	for _, m := range ms {
		for {
			id := fmt.Sprintf("3EB0%016X", r.Uint64())
			if !seen[id] {
				seen[id] = true
				m.id = id
				break
			}
		}
	}
}

// postItems seeds each chat item in a group and forwards it, then makes
// sure every distributor posted at least one item.
func (o *Operation) postItems(r *rand.Rand) error {
	posts := map[*Account]int{}
	post := func(g *GroupHistory, a *Account, t time.Time, it *Item, fwd bool) *opMessage {
		m := &opMessage{sender: a, t: t, typ: "image", media: it.media, forwarded: fwd}
		g.messages = append(g.messages, m)
		posts[a]++
		return m
	}
	from, to := o.Start.Add(4*24*time.Hour), o.End.Add(-12*24*time.Hour)
	for _, it := range o.Items {
		if !it.InChats {
			continue
		}
		var g *GroupHistory
		var poster *Account
		var t time.Time
		for try := 0; try < 200 && poster == nil; try++ {
			t = minuteAt(r, from, to)
			g = o.Groups[r.IntN(len(o.Groups))]
			if t.Before(g.Created.Add(10 * time.Minute)) {
				continue
			}
			if ds := g.present(t, isDistributor); len(ds) > 0 {
				poster = ds[r.IntN(len(ds))]
			}
		}
		if poster == nil {
			return fmt.Errorf("synth: no distributor to seed %s", it.Label)
		}
		it.seed = post(g, poster, t, it, false)
		forwards := 1 + r.IntN(4)
		for k := 0; k < forwards; k++ {
			for try := 0; try < 50; try++ {
				maxGap := min(10*24*time.Hour, o.End.Add(-time.Hour).Sub(t.Add(time.Hour)))
				if maxGap <= 0 {
					break
				}
				ft := minuteAt(r, t.Add(time.Hour), t.Add(time.Hour+maxGap))
				h := o.Groups[r.IntN(len(o.Groups))]
				ds := h.present(ft, isDistributor)
				if len(ds) == 0 {
					continue
				}
				a := ds[r.IntN(len(ds))]
				if a == poster && len(ds) > 1 && r.IntN(5) != 0 {
					continue
				}
				post(h, a, ft, it, true)
				break
			}
		}
	}
	// Every distributor posts at least once: a forward, in a group he is
	// in, of an item seeded before.
	for _, a := range o.Accounts {
		if !a.Distributor || posts[a] > 0 {
			continue
		}
		done := false
		for _, g := range o.Groups {
			m := g.member(a)
			if m == nil {
				continue
			}
			end := o.End.Add(-time.Hour)
			if !m.left.IsZero() {
				end = m.left.Add(-time.Minute)
			}
			for _, it := range o.Items {
				if it.seed == nil {
					continue
				}
				start := m.joined.Add(time.Minute)
				if s := it.seed.t.Add(time.Hour); s.After(start) {
					start = s
				}
				if !start.Before(end) {
					continue
				}
				post(g, a, minuteAt(r, start, end), it, true)
				done = true
				break
			}
			if done {
				break
			}
		}
		if !done {
			return fmt.Errorf("synth: distributor %s could not post any item", a.JID)
		}
	}
	return nil
}

// makeDirects gives each suspect direct chats with accounts he shares a
// group with: talk, an invite link, and from distributors, forwarded
// items (after they were seeded). Items go only to and from Android
// phones' owners, whose phones every item message must be observed on.
func (o *Operation) makeDirects(r *rand.Rand, docs []*mediaObj) {
	seen := map[[2]string]*direct{}
	for _, s := range o.Suspects {
		me := s.Account
		var mates []*Account
		for _, g := range o.Groups {
			if g.member(me) == nil {
				continue
			}
			for _, m := range g.members {
				if m.acc != me {
					mates = append(mates, m.acc)
				}
			}
		}
		if len(mates) == 0 {
			continue
		}
		n := 2 + r.IntN(4)
		for k := 0; k < n; k++ {
			other := mates[r.IntN(len(mates))]
			key := [2]string{me.JID, other.JID}
			if key[0] > key[1] {
				key[0], key[1] = key[1], key[0]
			}
			if seen[key] != nil {
				continue
			}
			d := &direct{a: me, b: other}
			seen[key] = d
			o.directs = append(o.directs, d)
			msgs := 4 + r.IntN(12)
			for j := 0; j < msgs; j++ {
				a := d.a
				if r.IntN(2) == 0 {
					a = d.b
				}
				t := minuteAt(r, o.Start.Add(24*time.Hour), o.End)
				m := &opMessage{sender: a, t: t, typ: "text", text: phrase(r, a.lang)}
				if r.IntN(12) == 0 {
					g := o.Groups[r.IntN(len(o.Groups))]
					m.text = fmt.Sprintf(linkPhrases[a.lang], "https://chat.whatsapp.com/"+g.Code)
				} else if r.IntN(15) == 0 {
					m.typ, m.text, m.media = "document", "", docs[r.IntN(len(docs))]
				}
				d.messages = append(d.messages, m)
			}
			// Forwarded items, on Android phones only.
			if !o.androidObserver(d.a) && !o.androidObserver(d.b) {
				continue
			}
			for _, sender := range []*Account{d.a, d.b} {
				if !sender.Distributor || r.IntN(2) == 0 {
					continue
				}
				for j := 0; j < 1+r.IntN(3); j++ {
					it := o.Items[r.IntN(len(o.Items))]
					if it.seed == nil || !it.seed.t.Add(time.Hour).Before(o.End.Add(-time.Hour)) {
						continue
					}
					t := minuteAt(r, it.seed.t.Add(time.Hour), o.End.Add(-time.Hour))
					d.messages = append(d.messages, &opMessage{sender: sender, t: t, typ: "image", media: it.media, forwarded: true})
				}
			}
		}
	}
}

// view is what one phone recorded: the scenario its databases are
// written from.
func (o *Operation) view(dev *Device) *Scenario {
	me := dev.Suspect.Account
	s := &Scenario{AppVersion: "2.23.10.77", Owner: Person{JID: me.JID, LID: me.LID, PushName: me.PushName}}
	if dev.Kind == DeviceAndroidLegacy {
		s.AppVersion = "2.17.231"
		s.Owner.LID = ""
	}
	people := map[*Account]bool{}
	mention := func(jids ...string) {
		for _, j := range jids {
			if a := o.account(j); a != nil && a != me {
				people[a] = true
			}
		}
	}
	for _, g := range o.Groups {
		mm := g.member(me)
		if mm == nil {
			continue
		}
		from, to := mm.joined, o.End
		if !mm.left.IsZero() {
			to = mm.left
		}
		if from.Sub(g.Created) <= time.Minute {
			from = g.Created
		}
		c := Chat{JID: g.JID, Kind: Group, Created: g.Created, Creator: g.Creator.JID, InviteCode: g.Code}
		for _, sc := range g.Subjects {
			if !sc.Time.After(to) {
				c.Subjects = append(c.Subjects, sc)
				c.Subject = sc.Subject
			}
		}
		mention(g.Creator.JID)
		for _, m := range g.members {
			if m.joined.After(to) || (!m.left.IsZero() && m.left.Before(from)) {
				continue
			}
			role := RoleMember
			switch {
			case m.acc == g.Creator:
				role = RoleCreator
			case m.admin && !m.adminAt.After(to):
				role = RoleAdmin
			}
			mem := Member{JID: m.acc.JID, Role: role}
			if !m.left.IsZero() && !m.left.After(to) && m.acc != me {
				mem.Past, mem.Left, mem.Removed = true, m.left, m.removed
			}
			if m.acc == me && !mm.left.IsZero() {
				mem.Past, mem.Left, mem.Removed = true, mm.left, mm.removed
			}
			c.Members = append(c.Members, mem)
			mention(m.acc.JID)
		}
		for k, e := range g.events {
			if e.Time.Before(from) || e.Time.After(to) {
				continue
			}
			e.ID = fmt.Sprintf("E%s%04d", strings.ToUpper(strconv.FormatUint(uint64(len(g.JID)*7919+k), 36)), k)
			e.Targets = append([]string(nil), e.Targets...)
			c.Events = append(c.Events, e)
			mention(e.Actor)
			mention(e.Targets...)
		}
		for _, m := range g.messages {
			if m.t.Before(from) || !m.t.Before(to) {
				continue
			}
			c.Messages = append(c.Messages, o.recorded(dev, me, m))
			mention(m.sender.JID)
		}
		s.Chats = append(s.Chats, c)
	}
	for _, d := range o.directs {
		var other *Account
		switch me {
		case d.a:
			other = d.b
		case d.b:
			other = d.a
		default:
			continue
		}
		c := Chat{JID: other.JID, Kind: Direct}
		for _, m := range d.messages {
			c.Messages = append(c.Messages, o.recorded(dev, me, m))
		}
		mention(other.JID)
		s.Chats = append(s.Chats, c)
	}
	// People, in a fixed order. The owner saved the names of those he
	// talks to directly (the suspects who exported chats saved none).
	direct := map[*Account]bool{}
	for _, d := range o.directs {
		direct[d.a], direct[d.b] = true, true
	}
	for _, a := range o.Accounts {
		if !people[a] {
			continue
		}
		pr := Person{JID: a.JID, PushName: a.PushName}
		if dev.Kind != DeviceAndroidLegacy {
			pr.LID = a.LID
		}
		if direct[a] && len(dev.exports) == 0 {
			pr.Name = a.Name
		}
		s.People = append(s.People, pr)
	}
	return s
}

func (o *Operation) account(jid string) *Account { return o.byJID[jid] }

// recorded is a message as a phone recorded it: from the owner or not,
// its media under the phone's own file name.
func (o *Operation) recorded(dev *Device, me *Account, m *opMessage) Message {
	msg := Message{ID: m.id, Sender: m.sender.JID, FromMe: m.sender == me, Time: m.t, Type: m.typ, Text: m.text,
		Caption: m.caption, Forwarded: m.forwarded}
	if m.media != nil {
		msg.Media = &Media{SHA256: m.media.SHA256, MIME: m.media.MIME, Size: int64(len(m.media.Data)), Name: m.media.Name}
	}
	return msg
}
