package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// makeTruth works out the ground truth from what the seized phones
// recorded, and checks it against what was planted: every planted
// distributor must be seen sending a known item on some phone, and the
// first observed sender of each item must be its planted seeder.
func (o *Operation) makeTruth(ctx context.Context) error {
	p := o.Params
	g := &GroundTruth{Seed: p.Seed, Scale: p.Scale, Params: p, Start: o.Start, End: o.End, HashSets: o.setTruth}
	type first struct {
		t      time.Time
		sender string
		chat   string
	}
	firsts := map[string]first{}
	sent := map[string]map[string]bool{}   // distributor → items
	sentIn := map[string]map[string]bool{} // distributor → groups
	abuse := map[string]*Item{}
	for _, it := range o.Items {
		abuse[it.SHA256] = it
	}
	for _, d := range o.Devices {
		if d.scenario == nil {
			continue
		}
		d.truth.Owner = d.scenario.Owner.JID
		for _, c := range d.scenario.Chats {
			if c.Kind == Group {
				d.truth.Groups = append(d.truth.Groups, c.JID)
			}
			d.truth.Messages += len(c.Messages)
			for _, m := range c.Messages {
				if m.Media == nil || abuse[m.Media.SHA256] == nil {
					continue
				}
				sha := m.Media.SHA256
				if f, ok := firsts[sha]; !ok || m.Time.Before(f.t) {
					firsts[sha] = first{m.Time, m.Sender, c.JID}
				}
				if sent[m.Sender] == nil {
					sent[m.Sender], sentIn[m.Sender] = map[string]bool{}, map[string]bool{}
				}
				sent[m.Sender][sha] = true
				if c.Kind == Group {
					sentIn[m.Sender][c.JID] = true
				}
			}
		}
		for _, e := range d.exports {
			d.truth.Exports = append(d.truth.Exports, e.path)
		}
		sort.Strings(d.truth.Groups)
	}
	seeded := map[string]int{}
	for sha, f := range firsts {
		it := abuse[sha]
		if it.seed == nil || f.sender != it.seed.sender.JID || !f.t.Equal(it.seed.t) {
			return fmt.Errorf("synth: %s: first observed from %s at %s, planted seeder %v: the generator is inconsistent", it.Label, f.sender, f.t, it.seed)
		}
		seeded[f.sender]++
	}
	for _, a := range o.Accounts {
		if a.Distributor != (len(sent[a.JID]) > 0) {
			return fmt.Errorf("synth: account %s planted distributor=%v but observed sending %d items: the generator is inconsistent", a.JID, a.Distributor, len(sent[a.JID]))
		}
		if !a.Distributor {
			g.Receivers++
			continue
		}
		at := AccountTruth{JID: a.JID, Phone: a.Phone, Country: a.Country, Name: a.Name, Suspect: a.Suspect != nil,
			Items: len(sent[a.JID]), Seeded: seeded[a.JID]}
		for j := range sentIn[a.JID] {
			at.Groups = append(at.Groups, j)
		}
		sort.Strings(at.Groups)
		g.Distributors = append(g.Distributors, at)
	}
	sort.Slice(g.Distributors, func(i, j int) bool { return g.Distributors[i].JID < g.Distributors[j].JID })
	for _, c := range countryPlans {
		ct := CountryTruth{Code: c.Code, Name: c.Name}
		for _, a := range o.Accounts {
			if a.Country == c.Code {
				ct.Accounts++
				if a.Distributor {
					ct.Distributors++
				}
				if a.Suspect != nil {
					ct.Suspects++
				}
			}
		}
		g.Countries = append(g.Countries, ct)
	}
	for _, s := range o.Suspects {
		st := SuspectTruth{N: s.N, Name: s.Account.Name, JID: s.Account.JID, Country: s.Country, Place: s.Place, SeizedAt: s.SeizedAt,
			Distributor: s.Account.Distributor}
		for _, d := range s.Devices {
			st.Devices = append(st.Devices, d.Label)
		}
		g.Suspects = append(g.Suspects, st)
	}
	// Messages and chats of each item, over every chat.
	itemMsgs, itemChats := map[string]int{}, map[string]map[string]bool{}
	count := func(chat string, ms []*opMessage) {
		for _, m := range ms {
			g.Totals.Messages++
			if m.media != nil && m.media.item != nil {
				sha := m.media.SHA256
				itemMsgs[sha]++
				if itemChats[sha] == nil {
					itemChats[sha] = map[string]bool{}
				}
				itemChats[sha][chat] = true
			}
		}
	}
	for _, gr := range o.Groups {
		count(gr.JID, gr.messages)
		gt := GroupTruth{JID: gr.JID, Subject: gr.Subject, Created: gr.Created, Creator: gr.Creator.JID, Members: len(gr.members),
			InviteCode: gr.Code, Messages: len(gr.messages)}
		for _, m := range gr.members {
			if m.acc == gr.Creator || m.admin {
				gt.Admins = append(gt.Admins, m.acc.JID)
			}
		}
		for _, m := range gr.messages {
			if m.media != nil && abuse[m.media.SHA256] != nil {
				gt.Distribution = true
				break
			}
		}
		for _, a := range gr.observers {
			for _, d := range a.Suspect.Devices {
				if d.scenario != nil {
					gt.Observers = append(gt.Observers, d.Label)
				}
			}
		}
		g.Groups = append(g.Groups, gt)
	}
	for i, d := range o.directs {
		count(fmt.Sprint("direct", i), d.messages)
	}
	item := func(it *Item) ItemTruth {
		t := ItemTruth{Label: it.Label, SHA256: it.SHA256, MD5: it.MD5, SHA1: it.SHA1, PDQ: it.PDQ, Quality: it.Quality,
			Category: it.Category, Messages: itemMsgs[it.SHA256], Chats: len(itemChats[it.SHA256])}
		if f, ok := firsts[it.SHA256]; ok {
			ft := f.t
			t.Seeder, t.FirstSeen, t.FirstChat = f.sender, &ft, f.chat
		}
		for _, v := range it.Variants {
			t.Variants = append(t.Variants, VariantTruth{Kind: v.Kind, SHA256: v.SHA256, PDQ: v.PDQ, Distance: v.Distance})
			g.Totals.Variants++
		}
		return t
	}
	for _, it := range o.Items {
		g.Items = append(g.Items, item(it))
	}
	for _, it := range o.Benign {
		g.Benign = append(g.Benign, item(it))
	}
	for _, d := range o.Devices {
		g.Devices = append(g.Devices, *d.truth)
		g.Totals.Files += d.truth.Files
	}
	g.Totals.Accounts, g.Totals.Groups, g.Totals.Devices, g.Totals.Items = len(o.Accounts), len(o.Groups), len(o.Devices), len(o.Items)
	o.Truth = g
	return nil
}

// Progress reports how far Write got.
type Progress struct {
	Stage string // "evidence", "hash sets"
	Done  int64  // files written
	Total int64
}

// Ground-truth and marker files, relative to the operation's directory.
const (
	GroundTruthFile = "groundtruth.json"
	EvidenceDir     = "evidence"
)

// Write writes the operation under dir: evidence/ (one folder, disk image
// or archive per device), hashsets/ and groundtruth.json, in parallel.
// dir must exist. Progress, when set, is called from one goroutine at a
// time.
func (o *Operation) Write(ctx context.Context, dir string, progress func(Progress)) error {
	ev := filepath.Join(dir, EvidenceDir)
	type task struct {
		weight int64 // for ordering: heavy first
		units  int64 // files it writes, for progress
		run    func(w *writer) error
	}
	var tasks []task
	var total int64
	for _, d := range o.Devices {
		d := d
		root := filepath.Join(ev, d.Source)
		switch d.Kind {
		case DeviceUSB:
			n := int64(countFiles(d.files))
			tasks = append(tasks, task{n, n, func(w *writer) error { return o.writeUSB(ctx, w, d, root) }})
			total += n
		case DeviceBackup:
			n := int64(countFiles(d.files))
			tasks = append(tasks, task{n, n, func(w *writer) error { return o.writeBackup(ctx, w, d, root) }})
			total += n
		default:
			if err := makeDirs(root, d.files); err != nil {
				return err
			}
			if d.scenario != nil {
				tasks = append(tasks, task{400, 1, func(w *writer) error { return o.writeWhatsApp(ctx, d, root) }})
				total++
			}
			for i := range d.files {
				f := &d.files[i]
				n := 1 + int64(countFiles(f.Members))
				tasks = append(tasks, task{n, n, func(w *writer) error { return w.writeFile(filepath.Join(root, filepath.FromSlash(f.Path)), f) }})
				total += n
			}
		}
	}
	sets := filepath.Join(dir, "hashsets")
	if err := os.MkdirAll(sets, 0o755); err != nil {
		return err
	}
	tasks = append(tasks,
		task{int64(o.Params.NSRLExtra/50) + 1000, 1, func(w *writer) error { return o.writeNSRL(ctx, filepath.Join(dir, NSRLFile)) }},
		task{10, 1, func(w *writer) error { return writeVICS(filepath.Join(dir, VICSFile), o.vicsEntries()) }},
		task{1, 1, func(w *writer) error { return o.writePDQList(filepath.Join(dir, PDQFile)) }})
	total += 3
	// Heavy tasks first, so that none is left running alone at the end.
	sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].weight > tasks[j].weight })

	var done atomic.Int64
	var mu sync.Mutex
	var first error
	next := make(chan task)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	workers := runtime.NumCPU() + 2
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &writer{o: o}
			for t := range next {
				if err := t.run(w); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
				done.Add(t.units)
			}
		}()
	}
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
				if progress != nil {
					progress(Progress{Stage: "evidence", Done: done.Load(), Total: total})
				}
			}
		}
	}()
feed:
	for _, t := range tasks {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		select {
		case next <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(stop)
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if progress != nil {
		progress(Progress{Stage: "evidence", Done: total, Total: total})
	}
	b, err := json.MarshalIndent(o.Truth, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, GroundTruthFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	// Fixed times on the files made here too: the same operation, the
	// same tree.
	t := o.End.Add(10 * 24 * time.Hour)
	for _, f := range []string{GroundTruthFile, VICSFile, PDQFile, NSRLFile} {
		if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(f)), t, t); err != nil {
			return err
		}
	}
	return nil
}

func makeDirs(root string, files []fileSpec) error {
	seen := map[string]bool{}
	for _, f := range files {
		dir := path.Dir(f.Path)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(dir)), 0o755); err != nil {
			return err
		}
	}
	return os.MkdirAll(root, 0o755)
}

// writer makes files' bytes, reusing its buffer.
type writer struct {
	o   *Operation
	buf bytes.Buffer
}

func (w *writer) writeFile(p string, f *fileSpec) error {
	data, err := w.bytesOf(f)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	return os.Chtimes(p, f.MTime, f.MTime)
}

// bytesOf makes a file's bytes; the result is valid until the next call.
func (w *writer) bytesOf(f *fileSpec) ([]byte, error) {
	seed := w.o.Params.Seed
	switch f.Kind {
	case fkBytes:
		return f.Data, nil
	case fkRandom:
		return randomFile(seed, f.Seed, int(f.Size), path.Ext(f.Path)), nil
	case fkText:
		return textFile(seed^f.Seed, int(f.Size), strings.TrimPrefix(path.Ext(f.Path), ".")), nil
	case fkPDF:
		return pdfBytes(seed^f.Seed, path.Base(f.Path)), nil
	case fkPhoto, fkThumb, fkShot, fkTruncated:
		kind := map[fileKind]string{fkPhoto: PicturePhoto, fkThumb: PictureThumb, fkShot: PictureShot, fkTruncated: PicturePhoto}[f.Kind]
		m := DrawPicture(kind, seed^f.Seed, int(f.W), int(f.H))
		defer ReleaseImage(m)
		w.buf.Reset()
		var err error
		if f.Kind == fkShot {
			err = EncodePNG(&w.buf, m)
		} else {
			err = EncodeJPEG(&w.buf, m, 78)
		}
		if err != nil {
			return nil, err
		}
		b := w.buf.Bytes()
		if f.Kind == fkTruncated {
			// Cut inside the headers (a download that stopped early): a
			// JPEG cut in its entropy-coded data still decodes, as libjpeg
			// pads it, and is not what this file stands for.
			b = b[:min(len(b)/2, 300)]
		}
		return b, nil
	case fkZip, fkBrokenZip:
		members := f.Members
		if f.Kind == fkBrokenZip {
			for k := 0; k < 3; k++ {
				members = append(members, fileSpec{Path: fmt.Sprintf("copia/doc_%d.txt", k), Kind: fkText, Seed: f.Seed + uint64(k), Size: 2000, MTime: f.MTime})
			}
		}
		entries, err := w.entries(members)
		if err != nil {
			return nil, err
		}
		z, err := ZipBytes(entries)
		if err != nil {
			return nil, err
		}
		if f.Kind == fkBrokenZip {
			z = BreakZip(z)
		}
		return z, nil
	}
	return nil, fmt.Errorf("unknown file kind %d", f.Kind)
}

// entries materialises files as container entries (each its own copy).
func (w *writer) entries(files []fileSpec) ([]Entry, error) {
	out := make([]Entry, 0, len(files))
	for i := range files {
		b, err := w.bytesOf(&files[i])
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{Path: files[i].Path, Data: append([]byte(nil), b...), MTime: files[i].MTime, Deleted: files[i].Deleted})
	}
	return out, nil
}

func (o *Operation) writeUSB(ctx context.Context, w *writer, d *Device, p string) error {
	entries, err := w.entries(d.files)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := WriteFAT32Image(p, "USB"+fmt.Sprint(d.Suspect.N), o.Start.Add(-200*24*time.Hour), entries); err != nil {
		return err
	}
	return os.Chtimes(p, d.Suspect.SeizedAt, d.Suspect.SeizedAt)
}

func (o *Operation) writeBackup(ctx context.Context, w *writer, d *Device, p string) error {
	entries, err := w.entries(d.files)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := WriteTarGz(p, entries); err != nil {
		return err
	}
	return os.Chtimes(p, d.Suspect.SeizedAt, d.Suspect.SeizedAt)
}

// writeWhatsApp writes a phone's WhatsApp databases (and its chat
// exports), their times set to the seizure.
func (o *Operation) writeWhatsApp(ctx context.Context, d *Device, root string) error {
	var paths []string
	switch d.Kind {
	case DeviceIOS:
		out, err := WriteWhatsAppIOS(ctx, filepath.Join(root, filepath.FromSlash(iosAppGroup(o.Params.Seed^uint64(d.Suspect.N)))), d.scenario)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Label, err)
		}
		paths = []string{out.ChatStorage, out.Contacts, out.LID}
	default:
		gen := map[string]AndroidGeneration{DeviceAndroidModern: AndroidModern, DeviceAndroidLegacy: AndroidLegacy,
			DeviceAndroidTransitional: AndroidTransitional}[d.Kind]
		out, err := WriteWhatsAppAndroid(ctx, filepath.Join(root, filepath.FromSlash(androidData)), d.scenario, gen)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Label, err)
		}
		paths = []string{out.Msgstore, out.WADB, out.Prefs}
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if err := os.Chtimes(p, d.Suspect.SeizedAt, d.Suspect.SeizedAt); err != nil {
			return err
		}
	}
	return nil
}
