package synth

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/pdq"
)

// An operation is a whole synthetic case: accounts in ten countries,
// WhatsApp groups with their creators, admins, invite links, members who
// join and leave, distributors who post known items (benign procedural
// pictures labelled "ITEM nnnn") that others forward across groups, the
// suspects arrested at a number of places and every device seized from
// them, written in the formats Vigil reads, together with the hash sets
// an investigator would be handed and the ground truth to check the
// analysis against. Everything is fictitious and a pure function of
// Params: the same Params give byte-identical evidence.

// Params sizes an operation. SmallParams and SeedParams are the presets;
// ScaledParams interpolates for any number of files.
type Params struct {
	Seed  uint64 `json:"seed"`
	Scale string `json:"scale"` // "small", "seed" or the file count asked for

	Suspects     int `json:"suspects"` // persons arrested, each with a phone
	Places       int `json:"places"`   // places of arrest
	Groups       int `json:"groups"`
	Distributors int `json:"distributors"`
	Receivers    int `json:"receivers"` // accounts that only receive
	// GroupMembers is the typical number of members a group has over its
	// life; GroupMessages its typical number of messages besides items.
	GroupMembers  int `json:"group_members"`
	GroupMessages int `json:"group_messages"`

	Items       int `json:"items"`        // known items (alert set, abuse categories) found in the evidence
	FileOnly    int `json:"file_only"`    // of which only ever found as files, never sent in chats
	Benign      int `json:"benign"`       // known non-pertinent pictures (category 0) posted in groups
	Decoys      int `json:"decoys"`       // alert entries for material found nowhere
	SystemFiles int `json:"system_files"` // distinct operating-system files on laptops (the known set)
	NSRLExtra   int `json:"nsrl_extra"`   // known-set entries for files found nowhere

	Laptops int `json:"laptops"`
	USBs    int `json:"usbs"`
	Backups int `json:"backups"` // archives (tar.gz holding zips) seized as their own exhibit

	// Files is the number of files to reach on all devices together
	// (background files fill what chats and items leave).
	Files int `json:"files"`
}

// SmallParams is the default demo: a few suspects, every kind of device,
// a few thousand files.
func SmallParams(seed uint64) Params {
	return Params{Seed: seed, Scale: "small", Suspects: 6, Places: 4, Groups: 8, Distributors: 14, Receivers: 24,
		GroupMembers: 13, GroupMessages: 45, Items: 30, FileOnly: 4, Benign: 3, Decoys: 200, SystemFiles: 60,
		NSRLExtra: 2000, Laptops: 2, USBs: 1, Backups: 1, Files: 3000}
}

// SeedParams is the seed operation's size: 39 suspects arrested at 19
// places, 96 groups, 103 distributors in 10 countries, about 360,000
// files.
func SeedParams(seed uint64) Params {
	return Params{Seed: seed, Scale: "seed", Suspects: 39, Places: 19, Groups: 96, Distributors: 103, Receivers: 420,
		GroupMembers: 45, GroupMessages: 260, Items: 800, FileOnly: 120, Benign: 40, Decoys: 20000, SystemFiles: 1500,
		NSRLExtra: 200000, Laptops: 14, USBs: 8, Backups: 5, Files: 360000}
}

// ScaledParams sizes an operation for about files files, between (or
// beyond) the small preset and the seed's size.
func ScaledParams(files int, seed uint64) Params {
	s, b := SmallParams(seed), SeedParams(seed)
	if files <= s.Files {
		p := s
		p.Files = max(files, 500)
		p.Scale = strconv.Itoa(files)
		return p
	}
	t := float64(files-s.Files) / float64(b.Files-s.Files)
	lerp := func(x, y int) int { return max(x+int(float64(y-x)*t+0.5), x) }
	return Params{Seed: seed, Scale: strconv.Itoa(files),
		Suspects: min(lerp(s.Suspects, b.Suspects), 80), Places: min(lerp(s.Places, b.Places), 40),
		Groups: lerp(s.Groups, b.Groups), Distributors: lerp(s.Distributors, b.Distributors),
		Receivers: lerp(s.Receivers, b.Receivers), GroupMembers: min(lerp(s.GroupMembers, b.GroupMembers), 60),
		GroupMessages: min(lerp(s.GroupMessages, b.GroupMessages), 400), Items: lerp(s.Items, b.Items),
		FileOnly: lerp(s.FileOnly, b.FileOnly), Benign: lerp(s.Benign, b.Benign), Decoys: lerp(s.Decoys, b.Decoys),
		SystemFiles: lerp(s.SystemFiles, b.SystemFiles), NSRLExtra: lerp(s.NSRLExtra, b.NSRLExtra),
		Laptops: lerp(s.Laptops, b.Laptops), USBs: lerp(s.USBs, b.USBs), Backups: lerp(s.Backups, b.Backups), Files: files}
}

// ParseScale turns the demo's --scale value into Params: "small", "seed"
// or a number of files.
func ParseScale(scale string, seed uint64) (Params, error) {
	switch strings.ToLower(scale) {
	case "", "small":
		return SmallParams(seed), nil
	case "seed":
		return SeedParams(seed), nil
	}
	n, err := strconv.Atoi(strings.ReplaceAll(scale, "_", ""))
	if err != nil || n < 100 || n > 50_000_000 {
		return Params{}, fmt.Errorf("scale %q: use small, seed, or a number of files from 100 to 50000000", scale)
	}
	return ScaledParams(n, seed), nil
}

func (p Params) check() error {
	switch {
	case p.Suspects < 3:
		return fmt.Errorf("synth: %d suspects: at least 3 (one of each phone platform)", p.Suspects)
	case p.Places < 1 || p.Places > p.Suspects:
		return fmt.Errorf("synth: %d places for %d suspects", p.Places, p.Suspects)
	case p.Groups < 1, p.Distributors < p.Groups/2+1, p.Receivers < 1:
		return fmt.Errorf("synth: %d groups need at least %d distributors and a receiver", p.Groups, p.Groups/2+1)
	case p.Distributors+p.Receivers < p.Suspects:
		return fmt.Errorf("synth: %d suspects but only %d accounts", p.Suspects, p.Distributors+p.Receivers)
	case p.Items < 1 || p.FileOnly >= p.Items:
		return fmt.Errorf("synth: %d items, %d of them file-only: at least one must be sent in chats", p.Items, p.FileOnly)
	case p.GroupMembers < 5:
		return fmt.Errorf("synth: groups of %d members: at least 5", p.GroupMembers)
	}
	return nil
}

// Account is a WhatsApp account of the operation.
type Account struct {
	JID      string // phone JID
	Phone    string // E.164
	Country  string // ISO 3166 alpha-2
	Name     string
	PushName string
	LID      string // "<digits>@lid"
	// Distributor: the account sends known items; otherwise it only
	// receives them (and talks, and posts unknown pictures).
	Distributor bool
	Suspect     *Suspect // nil unless arrested
	lang        string
}

// Suspect is a person arrested, with the devices seized from him.
type Suspect struct {
	N        int
	Account  *Account
	Country  string
	Place    string
	SeizedAt time.Time
	Devices  []*Device
}

// Item is a known picture: in the alert set (abuse categories 1 to 3) or,
// for benign ones, in the same set as non-pertinent (category 0).
type Item struct {
	N                 int
	Label             string // "ITEM 0042"
	Category          int
	JPEG              []byte
	SHA256, SHA1, MD5 string
	PDQ               string
	Quality           int
	Variants          []*Variant
	// InChats: the item is sent in chats; else only found as files.
	InChats bool
	media   *mediaObj
	seed    *opMessage // the first post
}

// Variant is a near-duplicate of an item, found only by PDQ.
type Variant struct {
	Item     *Item
	Kind     string
	Data     []byte
	SHA256   string
	PDQ      string
	Distance int // to the item's PDQ hash, over the eight dihedral variants
}

// Device kinds.
const (
	DeviceAndroidModern       = "android-modern"
	DeviceAndroidLegacy       = "android-legacy"
	DeviceAndroidTransitional = "android-transitional"
	DeviceIOS                 = "ios"
	DeviceLaptop              = "laptop"
	DeviceUSB                 = "usb"
	DeviceBackup              = "backup"
)

// Device is one seized item and its evidence source.
type Device struct {
	Label   string
	Kind    string
	Suspect *Suspect
	// Source is the evidence source's path under the operation's
	// evidence directory: a folder, a disk image or an archive.
	Source   string
	scenario *Scenario // phones
	exports  []exportSpec
	files    []fileSpec // folders; the contents of images and archives
	truth    *DeviceTruth
}

// Operation is a generated operation, ready to be written.
type Operation struct {
	Params   Params
	Start    time.Time // first activity
	End      time.Time // last activity; the arrests follow
	Accounts []*Account
	Groups   []*GroupHistory
	Items    []*Item
	Benign   []*Item
	Suspects []*Suspect
	Devices  []*Device
	Truth    *GroundTruth

	directs    []*direct
	media      []*mediaObj // chat media other than items, in creation order
	mediaIndex map[string]*mediaObj
	byJID      map[string]*Account
	setTruth   []SetTruth
	system     []*blob // operating-system files (the known set)
	decoys     []decoy
	nsrlExtra  []decoy
}

// blob is a fixed content with its digests.
type blob struct {
	Name              string
	Data              []byte
	SHA256, SHA1, MD5 string
}

func newBlob(name string, data []byte) *blob {
	s256, s1, m5 := sha256.Sum256(data), sha1.Sum(data), md5.Sum(data)
	return &blob{Name: name, Data: data, SHA256: hex.EncodeToString(s256[:]), SHA1: hex.EncodeToString(s1[:]), MD5: hex.EncodeToString(m5[:])}
}

type decoy struct {
	SHA256, SHA1, MD5 string
	Size              int64
	Category          *int
	Name              string
}

// Random streams: each part of the generation draws from its own stream,
// so that changing one part leaves the others as they were.
const (
	streamPeople = iota + 1
	streamGroups
	streamItems
	streamMessages
	streamDevices
	streamFiles
	streamSets
)

func (p Params) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(p.Seed, stream*0x9e3779b97f4a7c15))
}

// Generate builds an operation from its parameters.
func Generate(p Params) (*Operation, error) {
	return GenerateContext(context.Background(), p)
}

// GenerateContext is Generate with a context, for the demo's Ctrl-C.
func GenerateContext(ctx context.Context, p Params) (*Operation, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	o := &Operation{Params: p,
		Start: time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC),
		End:   time.Date(2023, 6, 9, 0, 0, 0, 0, time.UTC)}
	steps := []func(context.Context) error{
		o.makePeople, o.makeItems, o.makeGroups, o.makeMessages, o.makeDevices, o.makeFiles, o.makeSets, o.makeTruth,
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// makePeople makes the accounts, the suspects and where they are arrested.
func (o *Operation) makePeople(ctx context.Context) error {
	p := o.Params
	r := p.rng(streamPeople)
	nb := &numberer{r: r, used: map[string]bool{}}
	var wD, wS, wP []int
	for _, c := range countryPlans {
		wD, wS, wP = append(wD, c.Distributors), append(wS, c.Suspects), append(wP, c.PlaceCount)
	}
	perD := allocate(p.Distributors, wD)
	perR := allocate(p.Receivers, wD)
	perS := allocate(p.Suspects, wS)
	lidBase := 100000000000000 + r.Int64N(800000000000000)
	byCountry := map[string][]*Account{}
	for ci := range countryPlans {
		c := &countryPlans[ci]
		for k := 0; k < perD[ci]+perR[ci]; k++ {
			d, err := nb.mobile(c)
			if err != nil {
				return err
			}
			name := personName(r, c.Lang)
			a := &Account{JID: d + "@s.whatsapp.net", Phone: "+" + d, Country: c.Code, Name: name, PushName: pushName(r, name),
				Distributor: k < perD[ci], lang: c.Lang}
			if r.IntN(3) == 0 {
				lidBase += 1 + r.Int64N(1000)
				a.LID = strconv.FormatInt(lidBase, 10) + "@lid"
			}
			o.Accounts = append(o.Accounts, a)
			byCountry[c.Code] = append(byCountry[c.Code], a)
		}
	}
	// Suspects: accounts of the country they are arrested in, distributors
	// first (most arrested were), the last of each country a receiver when
	// the country has any, so that phones of receivers are seized too.
	// Places: at least one in each country with suspects.
	var wPS []int
	countriesWithSuspects := 0
	for ci := range countryPlans {
		w := 0
		if perS[ci] > 0 {
			w = wP[ci]
			countriesWithSuspects++
		}
		wPS = append(wPS, w)
	}
	perP := make([]int, len(countryPlans))
	if extra := p.Places - countriesWithSuspects; extra > 0 {
		perP = allocateSome(extra, wPS)
	}
	day := time.Date(2023, 6, 20, 4, 0, 0, 0, time.UTC)
	n := 0
	for ci := range countryPlans {
		c := &countryPlans[ci]
		if perS[ci] == 0 {
			continue
		}
		accs := byCountry[c.Code]
		places := c.Places[:min(perP[ci]+1, len(c.Places), perS[ci])]
		var ds, rs []*Account
		for _, a := range accs {
			if a.Distributor {
				ds = append(ds, a)
			} else {
				rs = append(rs, a)
			}
		}
		for k := 0; k < perS[ci]; k++ {
			var a *Account
			switch {
			case k == perS[ci]-1 && k > 0 && len(rs) > 0, len(ds) == 0:
				if len(rs) == 0 {
					return fmt.Errorf("synth: not enough accounts in %s for %d suspects", c.Code, perS[ci])
				}
				a, rs = rs[0], rs[1:]
			default:
				a, ds = ds[0], ds[1:]
			}
			n++
			s := &Suspect{N: n, Account: a, Country: c.Code, Place: places[k%len(places)] + " (" + c.Name + ")",
				SeizedAt: day.Add(time.Duration(k%3)*24*time.Hour + time.Duration(ci*17+k*5)*time.Minute)}
			a.Suspect = s
			o.Suspects = append(o.Suspects, s)
		}
	}
	o.byJID = map[string]*Account{}
	for _, a := range o.Accounts {
		o.byJID[a.JID] = a
	}
	return nil
}

// allocateSome splits total over the non-zero weights only.
func allocateSome(total int, weights []int) []int {
	var idx, ws []int
	for i, w := range weights {
		if w > 0 {
			idx, ws = append(idx, i), append(ws, w)
		}
	}
	out := make([]int, len(weights))
	if len(ws) == 0 {
		return out
	}
	for k, n := range allocate(total, ws) {
		out[idx[k]] = n
	}
	return out
}

// makeItems draws the known items, their near-duplicates, the benign known
// pictures, and the other pictures, voice notes and documents sent in
// chats; it computes their digests and PDQ hashes, in parallel.
func (o *Operation) makeItems(ctx context.Context) error {
	p := o.Params
	r := p.rng(streamItems)
	type job struct {
		it     *Item
		benign bool
	}
	var jobs []job
	for n := 1; n <= p.Items; n++ {
		cat := 1 + r.IntN(3)
		it := &Item{N: n, Label: fmt.Sprintf("ITEM %04d", n), Category: cat, InChats: n > p.FileOnly}
		o.Items = append(o.Items, it)
		jobs = append(jobs, job{it: it})
	}
	for n := 1; n <= p.Benign; n++ {
		it := &Item{N: 9000 + n, Label: fmt.Sprintf("ITEM %04d", 9000+n), Category: 0, InChats: true}
		o.Benign = append(o.Benign, it)
		jobs = append(jobs, job{it: it, benign: true})
	}
	// About one item in three has near-duplicates; every kind appears.
	kinds := map[*Item][]string{}
	for i, it := range o.Items {
		if i%3 == 1 || i < len(VariantKinds) {
			kinds[it] = []string{VariantKinds[i%len(VariantKinds)]}
			if r.IntN(4) == 0 {
				kinds[it] = append(kinds[it], VariantKinds[(i+1+r.IntN(3))%len(VariantKinds)])
			}
		}
	}
	err := parallel(ctx, len(jobs), func(i int) error {
		it := jobs[i].it
		w, h := 320, 240
		if it.N%5 == 0 {
			w, h = 320, 400 // PDQ mirrors exactly only when its filter window over the width is odd
		}
		data, err := ItemJPEG(p.Seed, it.N, w, h)
		if err != nil {
			return err
		}
		res, err := pdq.HashBytes(ctx, data, pdq.Limits{})
		if err != nil {
			return fmt.Errorf("item %d: %w", it.N, err)
		}
		b := newBlob(it.Label, data)
		it.JPEG, it.SHA256, it.SHA1, it.MD5 = data, b.SHA256, b.SHA1, b.MD5
		it.PDQ, it.Quality = res.Hash.String(), res.Quality
		it.media = &mediaObj{SHA256: b.SHA256, Data: data, MIME: "image/jpeg", Type: "image", Ext: "jpg", item: it}
		for _, k := range kinds[it] {
			v, err := makeVariant(ctx, it, res.Hash, k)
			if err != nil {
				return err
			}
			it.Variants = append(it.Variants, v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return nil
}

// makeVariant makes a near-duplicate of an item whose PDQ hash is at most
// 28 bits from the item's (over the eight dihedral variants, as matching
// compares them), backing off the transformation until it is.
func makeVariant(ctx context.Context, it *Item, orig pdq.Hash, kind string) (*Variant, error) {
	for _, strength := range []float64{1, 0.7, 0.45, 0.25, 0.1} {
		data, err := MakeVariant(it.JPEG, kind, strength)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", it.N, err)
		}
		res, err := pdq.HashBytes(ctx, data, pdq.Limits{})
		if err != nil {
			return nil, fmt.Errorf("item %d variant %s: %w", it.N, kind, err)
		}
		_, d := res.Dihedral.Nearest(orig)
		if d <= 28 && res.Quality >= 50 {
			b := newBlob("", data)
			if b.SHA256 == it.SHA256 {
				continue
			}
			return &Variant{Item: it, Kind: kind, Data: data, SHA256: b.SHA256, PDQ: res.Hash.String(), Distance: d}, nil
		}
	}
	return nil, fmt.Errorf("synth: item %d: no %s variant within 28 bits of the original", it.N, kind)
}

// parallel runs fn(0..n-1) on all cores, returning the first error.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	workers := min(runtime.NumCPU(), max(n, 1))
	var next int
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || i >= n
				mu.Unlock()
				if stop {
					return
				}
				err := ctx.Err()
				if err == nil {
					err = fn(i)
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
