package networktest

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/store"
	"vigil/internal/synth"
)

// Fictitious accounts of the Operation.
const (
	O1 = "34611000001@s.whatsapp.net"   // owner of PHONE-1 (ES), receives only
	O2 = "4917100000002@s.whatsapp.net" // owner of PHONE-2 (DE), receives only
	D1 = "573001000001@s.whatsapp.net"  // CO: seeds item A in G3 (seen on PHONE-2 only)
	D2 = "393311000002@s.whatsapp.net"  // IT: owner of PHONE-3; spreads A, seeds B (also in a direct chat)
	D3 = "351911000003@s.whatsapp.net"  // PT: posts the PDQ-matched item P twice; addressed by LID on PHONE-2
	D4 = "56961000004@s.whatsapp.net"   // CL: posts X, known only by an analyst's decision
	I1 = "50371000005@s.whatsapp.net"   // SV: posts a benign image N and texts
	I2 = "59598100006@s.whatsapp.net"   // PY: posts C, in an alert set but in category 0 (non-pertinent)
	I3 = "50683000007@s.whatsapp.net"   // CR: posts Y (alert hit, cleared by an analyst); receives B directly
	I4 = "56962000008@s.whatsapp.net"   // CL: posts K, a file of a known (NSRL-like) set
	I5 = "100000000000099@lid"          // no phone number: country unknown

	LID3 = "100000000000013@lid" // D3's LID

	G1 = "120363000000000101@g.us" // seen on PHONE-1 (database) and PHONE-2 (export)
	G2 = "120363000000000102@g.us" // seen on PHONE-1 and PHONE-3
	G3 = "120363000000000103@g.us" // seen on PHONE-2 only
	G4 = "120363000000000104@g.us" // seen on PHONE-1 only: no known item
)

// G2Invite is G2's invitation code, which D2 posts in G1.
const G2Invite = "GrupoDosInvite0001"

// Media of the Operation.
var (
	A = Hash("A") // alert set, category 1, exact
	B = Hash("B") // alert plain list, no category
	P = Hash("P") // alert PDQ list, matched at distance 14
	X = Hash("X") // no hit; analyst decision category 1
	C = Hash("C") // alert set entry in category 0: not known
	Y = Hash("Y") // alert set category 1, cleared by an analyst (category 0)
	K = Hash("K") // known set (NSRL-like): not known
	N = Hash("N") // nothing
)

// Truth is what the Operation's analysis must find.
type Truth struct {
	Distributors []string          // JIDs
	Innocent     []string          // members who only received (or sent nothing known)
	Seeders      map[string]string // item SHA-256 → seeder JID
	Items        []string          // known items sent in chats
	NotKnown     []string          // contents sent in chats that are not known items
	Spreaders    []string
	// Bridges posted in two or more distribution groups (G1, G2, G3), in
	// JID order.
	Bridges      []string
	Messages     int64 // after merging
	Observations int64 // message rows
	// Devices that saw each group.
	GroupDevices map[string][]string
	// Per distributor: items, seeded, groups, direct chats, members
	// reached, admin roles, known messages, worked out by hand.
	Counts map[string]DistributorCounts
	// SeedDevice is the device of item A's first observation (PHONE-2),
	// loaded last so that row order cannot give the answer.
	SeedDevice string
	// LinkedFile is the evidence file A's message on PHONE-1 is linked to.
	LinkedFile string
	Sets       []string // the hash sets
}

// DistributorCounts are the inputs of a distributor's score.
type DistributorCounts struct {
	Items, Seeded, Groups, Direct, Members, AdminRoles, Messages int
	// First is when he first sent a known item (the ranking's last
	// tie-break before the JID).
	First time.Time
}

var day = time.Date(2023, 3, 14, 0, 0, 0, 0, time.UTC)

func at(h, m, s int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

func img(name string) *synth.Media {
	return &synth.Media{SHA256: Hash(name), Path: "Media/WhatsApp Images/IMG-" + name + ".jpg", MIME: "image/jpeg", Size: 1000}
}

// people of the Operation, with names.
var people = []synth.Person{
	{JID: O1, PushName: "Owner One"},
	{JID: O2, PushName: "Owner Two"},
	{JID: D1, PushName: "Dist One"},
	{JID: D2, PushName: "Dist Two"},
	{JID: D3, LID: LID3, PushName: "Dist Three"},
	{JID: D4, PushName: "Dist Four"},
	{JID: I1, PushName: "Inno One"},
	{JID: I2, PushName: "Inno Two"},
	{JID: I3, PushName: "Inno Three"},
	{JID: I4, PushName: "Inno Four"},
	{JID: I5, PushName: "Inno Five"},
}

// forOwner returns a scenario for the device of owner: the people, and
// chats whose messages from the owner are marked FromMe.
func forOwner(owner string, chats ...synth.Chat) *synth.Scenario {
	s := &synth.Scenario{}
	for _, p := range people {
		if p.JID == owner {
			s.Owner = p
		} else {
			s.People = append(s.People, p)
		}
	}
	for _, c := range chats {
		c.Messages = append([]synth.Message(nil), c.Messages...)
		for i := range c.Messages {
			m := &c.Messages[i]
			m.FromMe = m.Sender == owner
		}
		s.Chats = append(s.Chats, c)
	}
	return s
}

func g1(extra ...synth.Message) synth.Chat {
	c := synth.Chat{JID: G1, Kind: synth.Group, Subject: "Grupo Uno", Created: at(8, 0, 0), Creator: D3,
		Members: []synth.Member{{JID: D3, Role: synth.RoleCreator}, {JID: D1, Role: synth.RoleAdmin}, {JID: O1, Role: synth.RoleMember},
			{JID: O2, Role: synth.RoleMember}, {JID: D2, Role: synth.RoleMember}, {JID: I1, Role: synth.RoleMember},
			{JID: I3, Role: synth.RoleMember}, {JID: I5, Role: synth.RoleMember}},
		Events: []synth.Event{
			{ID: "G1E1", Time: at(8, 0, 0), Action: "created", Actor: D3, New: "Grupo Uno"},
			{ID: "G1E2", Time: at(8, 1, 0), Action: "added", Actor: D3, Targets: []string{D1, O1, O2, D2, I1, I3, I5}},
			{ID: "G1E3", Time: at(8, 2, 0), Action: "admin-promoted", Actor: D3, Targets: []string{D1}},
		},
		Messages: []synth.Message{
			{ID: "G1M1", Sender: I1, Time: at(9, 30, 10), Type: "text", Text: "hola"},
			{ID: "G1M0", Sender: D2, Time: at(9, 45, 0), Type: "text", Text: "entrad: " + inviteURL + G2Invite},
			{ID: "G1M2", Sender: D2, Time: at(10, 0, 5), Type: "image", Media: img("A")},
			{ID: "G1M3", Sender: D3, Time: at(10, 5, 0), Type: "image", Media: img("P")},
			{ID: "G1M4", Sender: D3, Time: at(10, 5, 40), Type: "image", Media: img("P")},
			{ID: "G1M5", Sender: I1, Time: at(10, 10, 0), Type: "image", Media: img("N")},
			{ID: "G1M6", Sender: I3, Time: at(10, 20, 0), Type: "image", Media: img("Y")},
			{ID: "G1M7", Sender: I5, Time: at(10, 30, 0), Type: "image", Media: img("K")},
			{ID: "G1M8", Sender: O1, Time: at(10, 40, 0), Type: "text", Text: "gracias"},
		}}
	c.Messages = append(c.Messages, extra...)
	return c
}

func g2() synth.Chat {
	return synth.Chat{JID: G2, Kind: synth.Group, Subject: "Grupo Dos", Created: at(11, 0, 0), Creator: D2, InviteCode: G2Invite,
		Members: []synth.Member{{JID: D2, Role: synth.RoleCreator}, {JID: D4, Role: synth.RoleAdmin}, {JID: O1, Role: synth.RoleMember},
			{JID: I4, Role: synth.RoleMember}, {JID: I2, Role: synth.RoleMember}},
		Events: []synth.Event{
			{ID: "G2E1", Time: at(11, 0, 0), Action: "created", Actor: D2, New: "Grupo Dos"},
			{ID: "G2E2", Time: at(11, 1, 0), Action: "added", Actor: D2, Targets: []string{D4, O1, I4, I2}},
			{ID: "G2E3", Time: at(11, 2, 0), Action: "admin-promoted", Actor: D2, Targets: []string{D4}},
		},
		Messages: []synth.Message{
			{ID: "G2M1", Sender: D4, Time: at(12, 0, 0), Type: "image", Media: img("X")},
			{ID: "G2M2", Sender: D2, Time: at(12, 30, 0), Type: "image", Media: img("B")},
			{ID: "G2M3", Sender: I2, Time: at(12, 40, 0), Type: "image", Media: img("C")},
			{ID: "G2M4", Sender: D2, Time: at(13, 0, 0), Type: "image", Media: img("A")},
		}}
}

// Phone is one seized phone of the Operation: its device record, the
// platform whose databases hold its WhatsApp, and what they hold.
type Phone struct {
	Device   store.Device
	Platform string // "android" or "ios"
	Scenario *synth.Scenario
}

// Phones describes the Operation's three phones, in the order they are
// loaded: PHONE-3 (D2's phone, Android) first, PHONE-2 (iOS) last, so that
// the earliest observation of A is the last row written. Messages follow
// the scenario conventions (the owner's own messages are FromMe with the
// owner as Sender).
func Phones() []Phone {
	direct := synth.Chat{JID: I3, Kind: synth.Direct, Messages: []synth.Message{
		{ID: "DM1", Sender: D2, Time: at(14, 0, 0), Type: "image", Media: img("B")},
		{ID: "DM2", Sender: I3, Time: at(14, 1, 0), Type: "text", Text: "?"},
	}}
	g4 := synth.Chat{JID: G4, Kind: synth.Group, Subject: "Recetas", Creator: O1, Created: at(7, 0, 0),
		Members: []synth.Member{{JID: O1, Role: synth.RoleCreator}, {JID: I1, Role: synth.RoleMember}, {JID: D1, Role: synth.RoleMember}},
		Events: []synth.Event{
			{ID: "G4E1", Time: at(7, 0, 0), Action: "created", Actor: O1, New: "Recetas"},
			{ID: "G4E2", Time: at(7, 1, 0), Action: "added", Actor: O1, Targets: []string{I1, D1}},
		},
		Messages: []synth.Message{{ID: "G4M1", Sender: I1, Time: at(15, 0, 0), Type: "text", Text: "paella"}}}
	g3 := synth.Chat{JID: G3, Kind: synth.Group, Subject: "Grupo Tres", Creator: D1, Created: at(8, 30, 0),
		Members: []synth.Member{{JID: D1, Role: synth.RoleCreator}, {JID: O2, Role: synth.RoleMember}, {JID: I2, Role: synth.RoleMember}},
		Events: []synth.Event{
			{ID: "G3E1", Time: at(8, 30, 0), Action: "created", Actor: D1, New: "Grupo Tres"},
			{ID: "G3E2", Time: at(8, 31, 0), Action: "added", Actor: D1, Targets: []string{O2, I2}},
		},
		Messages: []synth.Message{
			{ID: "G3M1", Sender: D1, Time: at(9, 0, 0), Type: "image", Media: img("A")},
			{ID: "G3M2", Sender: O2, Time: at(9, 1, 0), Type: "text", Text: "ok"},
			{ID: "G3M3", Sender: I2, Time: at(9, 2, 0), Type: "text", Text: "?"},
		}}
	return []Phone{
		{Device: store.Device{Label: "PHONE-3", Suspect: "Dist Two", Country: "IT"}, Platform: "android",
			Scenario: forOwner(D2, g2(), direct)},
		{Device: store.Device{Label: "PHONE-1", Suspect: "Owner One", Country: "ES"}, Platform: "android",
			Scenario: forOwner(O1, g1(synth.Message{ID: "G1M9", Sender: I1, Time: at(10, 50, 0), Type: "text", Text: "adiós"}), g2(), g4)},
		{Device: store.Device{Label: "PHONE-2", Suspect: "Owner Two", Country: "DE"}, Platform: "ios",
			Scenario: forOwner(O2, g1(synth.Message{ID: "G1M10", Sender: O2, Time: at(10, 45, 0), Type: "text", Text: "ok"}), g3)},
	}
}

// LinkedPath is where the evidence file of item A lies on PHONE-1.
const LinkedPath = "sdcard/WhatsApp/Media/WhatsApp Images/IMG-A.jpg"

// EvidenceFile records the evidence file of item A on PHONE-1 (a source
// with one file), as an intake would.
func EvidenceFile(ctx context.Context, st store.Store, phone1 store.Device) error {
	src, _, err := st.StartSource(ctx, store.Source{DeviceID: phone1.ID, Kind: "directory", Path: "/evidence/phone-1",
		Operator: "tester", Tool: "networktest"})
	if err != nil {
		return err
	}
	if err := st.WriteBatch(ctx, store.Batch{SourceID: src.ID,
		Contents: []store.Content{{SHA256: A, Size: 1000, MIME: "image/jpeg", Kind: store.KindImage, PDQQuality: -1, Origin: "file"}},
		Files:    []store.File{{DeviceID: phone1.ID, SourceID: src.ID, Path: LinkedPath, SHA256: A, Size: 1000}}}); err != nil {
		return err
	}
	return st.FinishSource(ctx, src.ID, "complete", map[string]any{"files": 1})
}

// Operation builds the ground-truth case in st through the store API: the
// three phones, each source written as an extractor would (PHONE-2's G1
// as an export: no message keys, times to the minute; its people by LID
// where they have one; D2's own messages on PHONE-3 without a sender),
// the evidence file, and the verdicts.
func Operation(ctx context.Context, st store.Store) (*Truth, error) {
	return OperationWith(ctx, st, Options{})
}

// Options vary how the Operation's sources are recorded.
type Options struct {
	// ExportJIDs gives PHONE-2's export of G1 the JID the export
	// extractor gives it ("export:…"), as a real export has no group JID.
	ExportJIDs bool
}

// OperationWith is Operation with options.
func OperationWith(ctx context.Context, st store.Store, o Options) (*Truth, error) {
	dev := map[string]store.Device{}
	phones := Phones()
	for _, p := range []string{"PHONE-1", "PHONE-2", "PHONE-3"} {
		for _, ph := range phones {
			if ph.Device.Label == p {
				out, err := st.PutDevice(ctx, ph.Device)
				if err != nil {
					return nil, err
				}
				dev[p] = out
			}
		}
	}
	if err := EvidenceFile(ctx, st, dev["PHONE-1"]); err != nil {
		return nil, err
	}
	for _, ph := range phones {
		d := dev[ph.Device.Label]
		switch ph.Device.Label {
		case "PHONE-3":
			s := *ph.Scenario
			s.Chats = append([]synth.Chat(nil), s.Chats...)
			for i := range s.Chats {
				s.Chats[i].Messages = append([]synth.Message(nil), s.Chats[i].Messages...)
				for j := range s.Chats[i].Messages {
					if m := &s.Chats[i].Messages[j]; m.FromMe {
						m.Sender = "" // the owner's own messages carry no sender
					}
				}
			}
			if err := Load(ctx, st, d, &s, View{Path: "msgstore.db", Keys: true}); err != nil {
				return nil, err
			}
		case "PHONE-1":
			if err := Load(ctx, st, d, ph.Scenario, View{Path: "msgstore.db", Keys: true}); err != nil {
				return nil, err
			}
		case "PHONE-2":
			// G1 as an export, G3 in the database.
			exp, db := *ph.Scenario, *ph.Scenario
			exp.Chats, db.Chats = nil, nil
			for _, c := range ph.Scenario.Chats {
				if c.JID == G1 {
					exp.Chats = append(exp.Chats, c)
				} else {
					db.Chats = append(db.Chats, c)
				}
			}
			if err := Load(ctx, st, d, &exp, View{Path: "WhatsApp Chat with Grupo Uno.txt", Extractor: "whatsapp-export-test",
				Minutes: true, LIDs: true, ExportJIDs: o.ExportJIDs}); err != nil {
				return nil, err
			}
			if err := Load(ctx, st, d, &db, View{Path: "msgstore.db", Keys: true, LIDs: true}); err != nil {
				return nil, err
			}
		}
	}
	if _, err := st.LinkMedia(ctx); err != nil {
		return nil, err
	}
	names, err := Verdicts(ctx, st)
	if err != nil {
		return nil, err
	}
	return NewTruth(names), nil
}

// Verdicts imports the Operation's made-up hash sets, stores their hits
// and the analysts' decisions; the media must be in the store already. It
// returns the names of the sets.
func Verdicts(ctx context.Context, st store.Store) ([]string, error) {
	// Hash sets (made up), their hits, and analysts' decisions.
	cat := func(n int) *int { return &n }
	type entry struct {
		sha  string
		pdq  string
		cat  *int
		kind string
		dist int
	}
	sets := []struct {
		set     store.HashSet
		entries []entry
	}{
		{store.HashSet{Name: "synthetic-vics", Status: store.StatusAlert, Format: "vics", Profile: "US"},
			[]entry{{sha: A, cat: cat(1), kind: store.HitSHA256}, {sha: C, cat: cat(0), kind: store.HitSHA256}, {sha: Y, cat: cat(1), kind: store.HitSHA256}}},
		{store.HashSet{Name: "synthetic-plain", Status: store.StatusAlert, Format: "sha256sum"},
			[]entry{{sha: B, kind: store.HitSHA256}}},
		{store.HashSet{Name: "synthetic-pdq", Status: store.StatusAlert, Format: "pdq"},
			[]entry{{sha: P, pdq: "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", kind: store.HitPDQ, dist: 14}}},
		{store.HashSet{Name: "synthetic-nsrl", Status: store.StatusKnown, Format: "nsrl"},
			[]entry{{sha: K, kind: store.HitSHA256}}},
	}
	var hits []store.Hit
	var names []string
	for _, s := range sets {
		s.set.FileName = s.set.Name + ".txt"
		s.set.FileSHA256 = Hash("set " + s.set.Name)
		s.set.ImportedBy = "tester"
		set, _, err := st.ImportHashSet(ctx, s.set, func(_ *store.HashSet, add func(store.HashEntry) error) error {
			for _, e := range s.entries {
				he := store.HashEntry{Category: e.cat, Size: -1}
				if e.pdq != "" {
					he.PDQ = e.pdq
				} else {
					he.SHA256 = e.sha
				}
				if err := add(he); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		names = append(names, set.Name)
		i := 0
		if err := st.HashEntries(ctx, set.ID, func(he store.HashEntry) error {
			if i >= len(s.entries) {
				return fmt.Errorf("set %s: more entries than written", set.Name)
			}
			e := s.entries[i]
			hits = append(hits, store.Hit{SHA256: e.sha, EntryID: he.ID, Kind: e.kind, Distance: e.dist})
			i++
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := st.ReplaceHits(ctx, store.MatchScope{All: true}, hits, map[string]any{"by": "networktest"}); err != nil {
		return nil, err
	}
	for _, d := range []store.Decision{
		{SHA256: X, Category: cat(1), Profile: "US", Reason: "test: abuse category"},
		{SHA256: Y, Category: cat(0), Profile: "US", Reason: "test: non-pertinent"},
	} {
		if _, err := st.Decide(ctx, d); err != nil {
			return nil, err
		}
	}

	return names, nil
}

// NewTruth is what the analysis of the Operation must find, whichever way
// its sources were loaded.
func NewTruth(sets []string) *Truth {
	return &Truth{
		Distributors: []string{D1, D2, D3, D4},
		Innocent:     []string{O1, O2, I1, I2, I3, I4, I5},
		Seeders:      map[string]string{A: D1, B: D2, P: D3, X: D4},
		Items:        []string{A, B, P, X},
		NotKnown:     []string{C, Y, K, N},
		Spreaders:    []string{D2},
		Bridges:      []string{D2, O2, I2}, // G1+G2, G1+G3, G2+G3
		// G3: 3; G1: 9 on both phones + 1 on each alone; G2: 4 on two
		// phones; direct: 2; G4: 1.
		Messages:     3 + 11 + 4 + 2 + 1,
		Observations: 3 + 20 + 8 + 2 + 1,
		GroupDevices: map[string][]string{G1: {"PHONE-1", "PHONE-2"}, G2: {"PHONE-1", "PHONE-3"}, G3: {"PHONE-2"}, G4: {"PHONE-1"}},
		Counts: map[string]DistributorCounts{
			// G1 ∪ G2 ∪ {I3} without D2: D3 D1 O1 O2 I1 I3 I5 D4 I4 I2.
			D2: {Items: 2, Seeded: 1, Groups: 2, Direct: 1, Members: 10, AdminRoles: 1, Messages: 4, First: at(10, 0, 5)},
			// G3 without D1: O2 I2. Creator of G3, admin of G1.
			D1: {Items: 1, Seeded: 1, Groups: 1, Members: 2, AdminRoles: 2, Messages: 1, First: at(9, 0, 0)},
			// G1 without D3: D1 O1 O2 D2 I1 I3 I5.
			D3: {Items: 1, Seeded: 1, Groups: 1, Members: 7, AdminRoles: 1, Messages: 2, First: at(10, 5, 0)},
			// G2 without D4: D2 O1 I4 I2.
			D4: {Items: 1, Seeded: 1, Groups: 1, Members: 4, AdminRoles: 1, Messages: 1, First: at(12, 0, 0)},
		},
		SeedDevice: "PHONE-2",
		LinkedFile: "PHONE-1:" + LinkedPath,
		Sets:       sets,
	}
}
