package synth

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"time"
)

// fileKind says how Write makes a file's bytes.
type fileKind uint8

const (
	fkBytes     fileKind = iota // Data as given
	fkRandom                    // random bytes behind a header chosen by the extension
	fkText                      // words
	fkPhoto                     // a photo-like JPEG
	fkThumb                     // a small JPEG
	fkShot                      // a PNG screenshot
	fkPDF                       // a small PDF
	fkTruncated                 // a photo-like JPEG cut short inside its headers (corrupt)
	fkBrokenZip                 // a zip whose directory is damaged (corrupt)
	fkZip                       // a zip of Members
)

// fileSpec is one file to write: how to make its bytes, where, and when it
// was last modified.
type fileSpec struct {
	Path    string
	Kind    fileKind
	Seed    uint64
	Size    int32
	W, H    int16
	Data    []byte
	MTime   time.Time
	Members []fileSpec // fkZip
	Deleted bool       // in a disk image: written, then deleted
}

const (
	androidData        = "data/data/com.whatsapp/"
	androidMediaModern = "sdcard/Android/media/com.whatsapp/WhatsApp/"
	androidMediaOld    = "sdcard/WhatsApp/"
)

func iosAppGroup(seed uint64) string {
	return "private/var/mobile/Containers/Shared/AppGroup/" + uuidFrom(seed) + "/"
}

func uuidFrom(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x0d1d))
	return fmt.Sprintf("%08X-%04X-4%03X-%04X-%012X", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff,
		0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
}

// makeDevices creates every seized device and the phones' views.
func (o *Operation) makeDevices(ctx context.Context) error {
	p := o.Params
	r := p.rng(streamDevices)
	add := func(s *Suspect, kind, suffix, source string) *Device {
		d := &Device{Label: fmt.Sprintf("S%02d-%s", s.N, suffix), Kind: kind, Suspect: s}
		d.Source = d.Label + source
		s.Devices = append(s.Devices, d)
		o.Devices = append(o.Devices, d)
		return d
	}
	pick := func(k, n int) *Suspect { return o.Suspects[(k*len(o.Suspects)/max(n, 1)+k)%len(o.Suspects)] }
	for _, s := range o.Suspects {
		add(s, o.phoneKind(s), "PHONE", "")
	}
	for k := 0; k < p.Laptops; k++ {
		add(pick(k, p.Laptops), DeviceLaptop, "LAPTOP", "")
	}
	for k := 0; k < p.USBs; k++ {
		add(pick(k+1, p.USBs), DeviceUSB, "USB", ".img")
	}
	for k := 0; k < p.Backups; k++ {
		add(pick(k+2, p.Backups), DeviceBackup, "BACKUP", ".tar.gz")
	}
	// Devices of one suspect may collide on a label (two laptops): number them.
	seen := map[string]int{}
	for _, d := range o.Devices {
		seen[d.Label]++
		if n := seen[d.Label]; n > 1 {
			ext := strings.TrimPrefix(d.Source, d.Label)
			d.Label = fmt.Sprintf("%s%d", d.Label, n)
			d.Source = d.Label + ext
		}
	}
	sort.SliceStable(o.Devices, func(i, j int) bool { return o.Devices[i].Label < o.Devices[j].Label })
	// Exports: a group chat exported (with its media) by some Android
	// suspects, who saved no contact names: an export shows unsaved
	// members by their numbers, which is what ties them to accounts.
	{
		n := 0
		for _, d := range o.Devices {
			if !strings.HasPrefix(d.Kind, "android") || n >= max(1, len(o.Suspects)/8) {
				continue
			}
			var groups []*GroupHistory
			for _, g := range o.Groups {
				if m := g.member(d.Suspect.Account); m != nil && m.left.IsZero() {
					groups = append(groups, g)
				}
			}
			if len(groups) == 0 {
				continue
			}
			g := groups[r.IntN(len(groups))]
			d.exports = append(d.exports, exportSpec{group: g.JID, subject: g.Subject})
			n++
		}
	}
	for _, d := range o.Devices {
		if d.Kind == DeviceAndroidModern || d.Kind == DeviceAndroidLegacy || d.Kind == DeviceAndroidTransitional || d.Kind == DeviceIOS {
			d.scenario = o.view(d)
			if err := d.scenario.Check(); err != nil {
				return fmt.Errorf("synth: %s: %w", d.Label, err)
			}
		}
	}
	return nil
}

// exportSpec is a chat a phone's owner exported and kept on the phone.
type exportSpec struct {
	group, subject string
	path           string // in the device's folder
}

// exportOwnerName is the name a phone's owner has in his own exports.
func exportOwnerName(s *Scenario) string {
	if s.Owner.PushName != "" {
		return s.Owner.PushName
	}
	return "Me"
}

// makeFiles lays out every device's files: chat media under the names the
// platform gives them (some deleted, some never downloaded, while the
// databases keep their hashes), known items and their near-duplicates,
// operating-system files, corrupt files, and background files (caches,
// photos, documents) up to the operation's file count.
func (o *Operation) makeFiles(ctx context.Context) error {
	p := o.Params
	r := p.rng(streamFiles)
	// Operating-system files, the same on every laptop: the known set.
	sysDirs := []string{"Windows/System32/", "Windows/System32/drivers/", "Windows/SysWOW64/", "Program Files/Common Files/ExampleOS/"}
	exts := []string{"dll", "sys", "exe", "mui", "dat"}
	for i := 0; i < p.SystemFiles; i++ {
		name := fmt.Sprintf("%sexos%s%03d.%s", sysDirs[i%len(sysDirs)], []string{"core", "net", "ui", "svc", "drv", "kb"}[i%6], i, exts[i%len(exts)])
		size := 2048 + r.IntN(20000)
		o.system = append(o.system, newBlob(name, randomFile(p.Seed^0x5e5, uint64(i), size, path.Ext(name))))
	}
	for _, d := range o.Devices {
		d.truth = &DeviceTruth{Label: d.Label, Kind: d.Kind, Suspect: d.Suspect.Account.Name, SuspectJID: d.Suspect.Account.JID,
			Country: d.Suspect.Country, Place: d.Suspect.Place, SeizedAt: d.Suspect.SeizedAt, Source: "evidence/" + d.Source}
	}
	// Known items and near-duplicates found as files: file-only items and
	// every variant go to laptops, USB sticks and backups (to phones when
	// there are none); a fifth of the chat items are saved there too.
	var stores []*Device
	for _, d := range o.Devices {
		if d.Kind == DeviceLaptop || d.Kind == DeviceUSB || d.Kind == DeviceBackup {
			stores = append(stores, d)
		}
	}
	if len(stores) == 0 {
		stores = o.Devices
	}
	placed := map[*Device][]fileSpec{}
	place := func(d *Device, name string, data []byte, mtime time.Time) {
		placed[d] = append(placed[d], fileSpec{Path: name, Kind: fkBytes, Data: data, MTime: mtime})
	}
	for i, it := range o.Items {
		mt := o.Start.Add(time.Duration(r.Int64N(int64(o.End.Sub(o.Start)))))
		if !it.InChats || r.IntN(5) == 0 {
			d := stores[(i+r.IntN(len(stores)))%len(stores)]
			place(d, fmt.Sprintf("IMG-%s-WA%04d.jpg", mt.Format("20060102"), 1+r.IntN(300)), it.JPEG, mt)
			d.truth.Items = append(d.truth.Items, it.SHA256)
		}
		for _, v := range it.Variants {
			d := stores[r.IntN(len(stores))]
			place(d, fmt.Sprintf("%s_%04d_%s.jpg", map[string]string{VariantResized: "peq", VariantRecompressed: "comp",
				VariantCropped: "rec", VariantMirrored: "esp"}[v.Kind], it.N, mt.Format("0102")), v.Data, mt.Add(time.Hour))
			d.truth.Variants = append(d.truth.Variants, v.SHA256)
		}
	}
	// Budgets: phones hold about two thirds of the files.
	var phones, laptops, usbs, backups []*Device
	for _, d := range o.Devices {
		switch d.Kind {
		case DeviceLaptop:
			laptops = append(laptops, d)
		case DeviceUSB:
			usbs = append(usbs, d)
		case DeviceBackup:
			backups = append(backups, d)
		default:
			phones = append(phones, d)
		}
	}
	share := func(frac float64, n int) int {
		if n == 0 {
			return 0
		}
		return int(frac * float64(p.Files) / float64(n))
	}
	fPhone, fLaptop, fUSB, fBackup := 0.64, 0.32, 0.015, 0.025
	// A USB stick holds a few hundred files at most (writing FAT32 with
	// go-diskfs costs a scan of the whole table per file).
	if share(fUSB, len(usbs)) > maxUSBFiles {
		fLaptop += fUSB - float64(maxUSBFiles*len(usbs))/float64(p.Files)
		fUSB = float64(maxUSBFiles*len(usbs)) / float64(p.Files)
	}
	if len(laptops) == 0 {
		fPhone += fLaptop
	}
	for _, d := range phones {
		if err := o.phoneFiles(d, r, share(fPhone, len(phones)), placed[d]); err != nil {
			return err
		}
	}
	for i, d := range laptops {
		o.laptopFiles(d, r, share(fLaptop, len(laptops)), placed[d], i)
	}
	for _, d := range usbs {
		o.usbFiles(d, r, share(fUSB, len(usbs)), placed[d])
	}
	for _, d := range backups {
		o.backupFiles(d, r, share(fBackup, len(backups)), placed[d])
	}
	for _, d := range o.Devices {
		d.truth.Files = countFiles(d.files)
		sort.Strings(d.truth.Items)
		d.truth.Items = dedupe(d.truth.Items)
		sort.Strings(d.truth.Variants)
		d.truth.Variants = dedupe(d.truth.Variants)
		sort.Strings(d.truth.ChatOnly)
		d.truth.ChatOnly = dedupe(d.truth.ChatOnly)
		sort.Strings(d.truth.Benign)
		d.truth.Benign = dedupe(d.truth.Benign)
	}
	return nil
}

func countFiles(fs []fileSpec) int {
	n := 0
	for _, f := range fs {
		n++
		n += countFiles(f.Members)
	}
	return n
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// phoneFiles lays out a phone: its WhatsApp media, what was placed on it,
// and background files up to budget.
func (o *Operation) phoneFiles(d *Device, r *rand.Rand, budget int, placed []fileSpec) error {
	ios := d.Kind == DeviceIOS
	mediaRoot := androidMediaModern
	switch {
	case ios:
		mediaRoot = iosAppGroup(o.Params.Seed^uint64(d.Suspect.N)) + "Message/"
	case d.Kind != DeviceAndroidModern:
		mediaRoot = androidMediaOld
	}
	// WhatsApp media, in time order over all chats (names count per day).
	type ref struct{ c, m int }
	var refs []ref
	for ci := range d.scenario.Chats {
		for mi := range d.scenario.Chats[ci].Messages {
			if d.scenario.Chats[ci].Messages[mi].Media != nil {
				refs = append(refs, ref{ci, mi})
			}
		}
	}
	msg := func(x ref) *Message { return &d.scenario.Chats[x.c].Messages[x.m] }
	sort.SliceStable(refs, func(i, j int) bool { return msg(refs[i]).Time.Before(msg(refs[j]).Time) })
	counters := map[string]int{}
	onDisk := map[string]bool{}
	kept := map[string]bool{} // media paths whose file is on the phone
	mentioned := map[string]*mediaObj{}
	for _, x := range refs {
		m := msg(x)
		mo := o.mediaBySHA(m.Media.SHA256)
		if mo == nil {
			return fmt.Errorf("synth: %s: message %s carries unknown media", d.Label, m.ID)
		}
		mentioned[mo.SHA256] = mo
		// 80 % downloaded and kept, 13 % deleted since (the database keeps
		// path and hash), 7 % never downloaded (no path).
		state := r.IntN(100)
		if m.FromMe && state >= 93 {
			state = 0 // what one sent was on the phone
		}
		if state >= 93 {
			continue
		}
		day := m.Time.Format("20060102")
		var rel string
		if ios {
			u := uuidFrom(o.Params.Seed ^ uint64(len(refs)) ^ uint64(x.c)<<32 ^ uint64(x.m))
			rel = fmt.Sprintf("Media/%s/%s/%s/%s.%s", d.scenario.Chats[x.c].JID, u[:1], u[1:2], u, mo.Ext)
		} else {
			var prefix, folder string
			switch mo.Type {
			case "image":
				prefix, folder = "IMG", "WhatsApp Images/"
			case "voice":
				y, w := m.Time.ISOWeek()
				prefix, folder = "PTT", fmt.Sprintf("WhatsApp Voice Notes/%04d%02d/", y, w)
			default:
				prefix, folder = "DOC", "WhatsApp Documents/"
			}
			if m.FromMe && mo.Type != "voice" {
				folder += "Sent/"
			}
			counters[prefix+day]++
			rel = fmt.Sprintf("Media/%s%s-%s-WA%04d.%s", folder, prefix, day, counters[prefix+day], mo.Ext)
		}
		m.Media.Path = rel
		if state >= 80 {
			continue // deleted from the phone
		}
		d.files = append(d.files, fileSpec{Path: mediaRoot + rel, Kind: fkBytes, Data: mo.Data, MTime: m.Time.Add(time.Duration(r.IntN(90)) * time.Second)})
		onDisk[mo.SHA256] = true
		kept[rel] = true
	}
	// Chat exports kept on the phone (Download/), with the media the phone
	// still had.
	for i := range d.exports {
		e := &d.exports[i]
		ex, err := ExportChat(d.scenario, e.group, ExportOptions{Grammar: ExportAndroid, WithMedia: true, OwnerName: exportOwnerName(d.scenario)})
		if err != nil {
			return fmt.Errorf("synth: %s: export of %s: %w", d.Label, e.group, err)
		}
		media := map[string]*Media{}
		for _, c := range d.scenario.Chats {
			if c.JID == e.group {
				for k := range c.Messages {
					if m := c.Messages[k].Media; m != nil {
						media[c.Messages[k].ID] = m
					}
				}
			}
		}
		when := d.Suspect.SeizedAt.Add(-36 * time.Hour).Truncate(time.Second)
		entries := []Entry{{Path: ex.TextName, Data: ex.Text, MTime: when}}
		for _, a := range ex.Attachments {
			m := media[a.MessageID]
			if m == nil || !kept[m.Path] {
				continue // gone from the phone, so not in the export
			}
			mo := o.mediaBySHA(m.SHA256)
			entries = append(entries, Entry{Path: a.Name, Data: mo.Data, MTime: when})
			onDisk[mo.SHA256] = true
		}
		z, err := ZipBytes(entries)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(ex.Name, ".txt")
		if !strings.HasSuffix(name, ".zip") {
			name += ".zip"
		}
		e.path = "sdcard/Download/" + name
		d.files = append(d.files, fileSpec{Path: e.path, Kind: fkBytes, Data: z, MTime: when})
		d.truth.ExportOwner = exportOwnerName(d.scenario)
	}
	for sha, mo := range mentioned {
		switch {
		case mo.item == nil:
		case mo.item.Category == 0 && onDisk[sha]:
			d.truth.Benign = append(d.truth.Benign, sha)
		case mo.item.Category == 0:
		case onDisk[sha]:
			d.truth.Items = append(d.truth.Items, sha)
		default:
			d.truth.ChatOnly = append(d.truth.ChatOnly, sha)
		}
	}
	for _, f := range placed {
		f.Path = map[bool]string{true: "private/var/mobile/Media/DCIM/101APPLE/", false: "sdcard/Pictures/Guardadas/"}[ios] + f.Path
		d.files = append(d.files, f)
	}
	// Background: caches, app data, thumbnails, photos, screenshots,
	// downloads, music.
	n := budget - len(d.files) - 6
	seizure := d.Suspect.SeizedAt
	mt := func() time.Time {
		return seizure.Add(-time.Duration(r.Int64N(int64(500 * 24 * time.Hour)))).Truncate(time.Second)
	}
	apps := []string{"com.example.maps", "com.example.news", "com.example.music", "com.example.browser", "com.example.weather",
		"com.example.games.puzzle", "com.example.shop", "com.example.notes"}
	cacheExt := []string{"tmp", "cache", "bin", "dat", "0", "1"}
	for k := 0; k < n; k++ {
		f := fileSpec{Seed: r.Uint64(), MTime: mt()}
		app := apps[r.IntN(len(apps))]
		switch x := r.IntN(100); {
		case x < 58:
			f.Kind, f.Size = fkRandom, int32(300+r.IntN(6000))
			if ios {
				f.Path = fmt.Sprintf("private/var/mobile/Containers/Data/Application/%s/Library/Caches/%016x.%s", uuidFrom(uint64(len(app))*977), f.Seed, cacheExt[r.IntN(len(cacheExt))])
			} else {
				f.Path = fmt.Sprintf("sdcard/Android/data/%s/cache/%016x.%s", app, f.Seed, cacheExt[r.IntN(len(cacheExt))])
			}
		case x < 72:
			f.Kind, f.Size = fkText, int32(200+r.IntN(3000))
			ext := []string{"json", "xml", "txt"}[r.IntN(3)]
			if ios {
				f.Path = fmt.Sprintf("private/var/mobile/Containers/Data/Application/%s/Documents/%s_%d.%s", uuidFrom(uint64(len(app))*991), strings.TrimPrefix(app, "com.example."), k, ext)
			} else {
				f.Path = fmt.Sprintf("data/data/%s/files/%s_%d.%s", app, strings.TrimPrefix(app, "com.example."), k, ext)
			}
		case x < 78:
			f.Kind, f.W, f.H = fkThumb, 96, 72
			f.Path = fmt.Sprintf("%s%d.jpg", map[bool]string{true: "private/var/mobile/Media/PhotoData/Thumbnails/", false: "sdcard/DCIM/.thumbnails/"}[ios], 100000+k)
		case x < 90:
			f.Kind, f.W, f.H = fkPhoto, 224, 168
			if r.IntN(3) == 0 {
				f.W, f.H = 168, 224
			}
			if ios {
				f.Path = fmt.Sprintf("private/var/mobile/Media/DCIM/100APPLE/IMG_%04d.JPG", 1+k)
			} else {
				f.Path = fmt.Sprintf("sdcard/DCIM/Camera/IMG_%s_%02d%02d%02d.jpg", f.MTime.Format("20060102"), f.MTime.Hour(), f.MTime.Minute(), k%60)
			}
		case x < 91:
			f.Kind, f.W, f.H = fkShot, 144, 256
			f.Path = fmt.Sprintf("%sScreenshot_%s-%06d.png", map[bool]string{true: "private/var/mobile/Media/DCIM/100APPLE/", false: "sdcard/Pictures/Screenshots/"}[ios], f.MTime.Format("20060102"), k)
		case x < 96:
			if r.IntN(3) == 0 {
				f.Kind = fkPDF
				f.Path = fmt.Sprintf("%sdocumento_%d.pdf", map[bool]string{true: "private/var/mobile/Containers/Shared/AppGroup/" + uuidFrom(77) + "/File Provider Storage/", false: "sdcard/Download/"}[ios], k)
			} else {
				f.Kind, f.Size = fkText, int32(400+r.IntN(5000))
				f.Path = fmt.Sprintf("%snotas_%d.txt", map[bool]string{true: "private/var/mobile/Containers/Shared/AppGroup/" + uuidFrom(77) + "/File Provider Storage/", false: "sdcard/Download/"}[ios], k)
			}
		default:
			f.Kind, f.Size = fkRandom, int32(4000+r.IntN(12000))
			f.Path = fmt.Sprintf("%spista_%04d.mp3", map[bool]string{true: "private/var/mobile/Media/iTunes_Control/Music/F00/", false: "sdcard/Music/"}[ios], k)
		}
		d.files = append(d.files, f)
	}
	return nil
}

func (o *Operation) mediaBySHA(sha string) *mediaObj {
	if o.mediaIndex == nil {
		o.mediaIndex = map[string]*mediaObj{}
		for _, it := range o.Items {
			if it.media != nil {
				o.mediaIndex[it.SHA256] = it.media
			}
		}
		for _, it := range o.Benign {
			o.mediaIndex[it.SHA256] = benignMedia(it)
		}
		for _, m := range o.media {
			o.mediaIndex[m.SHA256] = m
		}
	}
	return o.mediaIndex[sha]
}

// laptopFiles lays out a laptop: operating-system files (the known set),
// programs, a browser cache, documents, photos, what was placed on it, a
// zip of pictures, and two corrupt files.
func (o *Operation) laptopFiles(d *Device, r *rand.Rand, budget int, placed []fileSpec, idx int) {
	user := strings.ToLower(strings.Fields(d.Suspect.Account.Name)[0])
	user = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "ã", "a", "ê", "e").Replace(user)
	home := "Users/" + user + "/"
	sysTime := time.Date(2022, 5, 10, 12, 0, 0, 0, time.UTC)
	for _, b := range o.system {
		d.files = append(d.files, fileSpec{Path: b.Name, Kind: fkBytes, Data: b.Data, MTime: sysTime})
		d.truth.Known = append(d.truth.Known, b.SHA256)
	}
	sort.Strings(d.truth.Known)
	d.truth.Known = dedupe(d.truth.Known)
	for _, f := range placed {
		dir := "Pictures/guardadas/"
		if !strings.HasPrefix(f.Path, "IMG-") {
			dir = "Pictures/editadas/"
		}
		f.Path = home + dir + f.Path
		d.files = append(d.files, f)
	}
	seizure := d.Suspect.SeizedAt
	mt := func() time.Time {
		return seizure.Add(-time.Duration(r.Int64N(int64(900 * 24 * time.Hour)))).Truncate(time.Second)
	}
	// A zip of pictures in Downloads (a nested source): photos and an item.
	var zm []fileSpec
	for k := 0; k < 4+r.IntN(6); k++ {
		zm = append(zm, fileSpec{Path: fmt.Sprintf("fotos/IMG_%04d.jpg", 1+k), Kind: fkPhoto, Seed: r.Uint64(), W: 256, H: 192, MTime: mt()})
	}
	if len(o.Items) > 0 {
		it := o.Items[(idx*7+3)%len(o.Items)]
		zm = append(zm, fileSpec{Path: fmt.Sprintf("fotos/recibida_%04d.jpg", it.N), Kind: fkBytes, Data: it.JPEG, MTime: mt()})
		d.truth.Items = append(d.truth.Items, it.SHA256)
	}
	d.files = append(d.files, fileSpec{Path: home + "Downloads/fotos_" + fmt.Sprint(2020+idx%4) + ".zip", Kind: fkZip, MTime: mt(), Members: zm})
	// Corrupt files: a JPEG cut short and a zip with a damaged directory.
	trunc := fileSpec{Path: home + "Pictures/IMG_0099.jpg", Kind: fkTruncated, Seed: r.Uint64(), W: 256, H: 192, MTime: mt()}
	broken := fileSpec{Path: home + "Downloads/copia_seguridad.zip", Kind: fkBrokenZip, Seed: r.Uint64(), MTime: mt()}
	d.files = append(d.files, trunc, broken)
	d.truth.Corrupt = append(d.truth.Corrupt, CorruptTruth{Path: trunc.Path, Why: "truncated JPEG"}, CorruptTruth{Path: broken.Path, Why: "damaged zip"})
	n := budget - len(d.files) - len(zm)
	vendors := []string{"ExampleSoft/Editor", "Demo Corp/Player", "Sample Tools/Backup", "ExampleBrowser/Application"}
	words := []string{"informe", "lista", "presupuesto", "notas", "factura", "horario", "receta", "contactos"}
	for k := 0; k < n; k++ {
		f := fileSpec{Seed: r.Uint64(), MTime: mt()}
		switch x := r.IntN(100); {
		case x < 16:
			f.Kind, f.Size = fkRandom, int32(2000+r.IntN(30000))
			f.Path = fmt.Sprintf("Program Files/%s/mod%04d.%s", vendors[r.IntN(len(vendors))], k, []string{"dll", "exe", "dat"}[r.IntN(3)])
		case x < 50:
			f.Kind, f.Size = fkRandom, int32(300+r.IntN(8000))
			f.Path = fmt.Sprintf("%sAppData/Local/ExampleBrowser/User Data/Default/Cache/f_%06x", home, k)
		case x < 60:
			f.Kind, f.Size = fkRandom, int32(200+r.IntN(4000))
			f.Path = fmt.Sprintf("%sAppData/Local/Temp/~%08x.tmp", home, uint32(f.Seed))
		case x < 72:
			w := words[r.IntN(len(words))]
			switch r.IntN(3) {
			case 0:
				f.Kind, f.Path = fkPDF, fmt.Sprintf("%sDocuments/%s_%d.pdf", home, w, k)
			default:
				f.Kind, f.Size = fkText, int32(300+r.IntN(6000))
				f.Path = fmt.Sprintf("%sDocuments/%s_%d.%s", home, w, k, []string{"txt", "csv"}[r.IntN(2)])
			}
		case x < 84:
			f.Kind, f.W, f.H = fkPhoto, 224, 168
			f.Path = fmt.Sprintf("%sPictures/%d/IMG_%05d.jpg", home, f.MTime.Year(), k)
		default:
			f.Kind, f.Size = fkText, int32(100+r.IntN(2000))
			f.Path = fmt.Sprintf("%sAppData/Roaming/ExampleApp/config_%d.%s", home, k, []string{"json", "xml", "ini"}[r.IntN(3)])
		}
		d.files = append(d.files, f)
	}
}

const maxUSBFiles = 200

// usbFiles lays out a USB stick (a FAT32 image): pictures, documents,
// what was placed on it, and a known item written then deleted.
func (o *Operation) usbFiles(d *Device, r *rand.Rand, budget int, placed []fileSpec) {
	seizure := d.Suspect.SeizedAt
	mt := func() time.Time {
		return seizure.Add(-time.Duration(r.Int64N(int64(300 * 24 * time.Hour)))).Truncate(2 * time.Second)
	}
	for _, f := range placed {
		f.Path = "FOTOS/" + f.Path
		d.files = append(d.files, f)
	}
	if len(o.Items) > 1 {
		it := o.Items[(d.Suspect.N*5+1)%len(o.Items)]
		d.files = append(d.files, fileSpec{Path: fmt.Sprintf("FOTOS/borrada_%04d.jpg", it.N), Kind: fkBytes, Data: it.JPEG, MTime: mt(), Deleted: true})
		d.truth.Deleted = append(d.truth.Deleted, it.SHA256)
	}
	n := max(budget-len(d.files), 8)
	for k := 0; k < n; k++ {
		f := fileSpec{Seed: r.Uint64(), MTime: mt()}
		if r.IntN(4) == 0 {
			f.Kind, f.Size, f.Path = fkText, int32(300+r.IntN(4000)), fmt.Sprintf("DOCS/nota_%03d.txt", k)
		} else {
			f.Kind, f.W, f.H, f.Path = fkPhoto, 256, 192, fmt.Sprintf("FOTOS/VARIAS/IMG_%04d.JPG", k)
		}
		d.files = append(d.files, f)
	}
}

// backupFiles lays out a backup archive (tar.gz): photos and what was
// placed on it, partly inside a zip that holds another zip.
func (o *Operation) backupFiles(d *Device, r *rand.Rand, budget int, placed []fileSpec) {
	seizure := d.Suspect.SeizedAt
	mt := func() time.Time {
		return seizure.Add(-time.Duration(r.Int64N(int64(700 * 24 * time.Hour)))).Truncate(time.Second)
	}
	var outer, inner []fileSpec
	for i, f := range placed {
		switch i % 3 {
		case 0:
			f.Path = "copia/fotos/" + f.Path
			d.files = append(d.files, f)
		case 1:
			f.Path = "album/" + f.Path
			outer = append(outer, f)
		default:
			f.Path = "mas/" + f.Path
			inner = append(inner, f)
		}
	}
	n := max(budget-len(placed)-2, 6)
	for k := 0; k < n; k++ {
		f := fileSpec{Seed: r.Uint64(), MTime: mt(), Kind: fkPhoto, W: 256, H: 192}
		switch k % 5 {
		case 0:
			f.Path = fmt.Sprintf("album/IMG_%04d.jpg", k)
			outer = append(outer, f)
		case 1:
			f.Path = fmt.Sprintf("mas/IMG_%04d.jpg", k)
			inner = append(inner, f)
		default:
			f.Path = fmt.Sprintf("copia/fotos/%d/IMG_%04d.jpg", f.MTime.Year(), k)
			d.files = append(d.files, f)
		}
	}
	outer = append(outer, fileSpec{Path: "album/mas.zip", Kind: fkZip, MTime: mt(), Members: inner})
	d.files = append(d.files, fileSpec{Path: "copia/antiguo/album_2022.zip", Kind: fkZip, MTime: mt(), Members: outer})
}

// Content makers. Each is a pure function of its seed.

func pictureJPEG(kind string, seed uint64, w, h, quality int) ([]byte, error) {
	m := DrawPicture(kind, seed, w, h)
	defer ReleaseImage(m)
	var b bytes.Buffer
	b.Grow(w * h / 3)
	if err := EncodeJPEG(&b, m, quality); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func randomFill(seed uint64, b []byte) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	binary.LittleEndian.PutUint64(key[8:], seed*0x9e3779b97f4a7c15+1)
	c := rand.NewChaCha8(key)
	c.Read(b)
}

// randomFile returns size random bytes behind a header that makes the
// type sniffable from the extension.
func randomFile(opSeed, seed uint64, size int, ext string) []byte {
	b := make([]byte, size)
	randomFill(opSeed^seed*0xbf58476d1ce4e5b9, b)
	var head []byte
	switch strings.TrimPrefix(ext, ".") {
	case "dll", "exe", "sys", "mui":
		head = []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
	case "mp3":
		head = []byte("ID3\x03\x00\x00\x00\x00\x0f\x76")
	case "opus":
		head = []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00")
	}
	copy(b, head)
	return b
}

func opusBytes(seed uint64, size int) []byte { return randomFile(0x0995, seed, size, "opus") }

var textWords = strings.Fields(`el la de que y en un una los las por con para como pero más este esta todo
	lunes martes miércoles jueves viernes sábado domingo reunión lista compra pendiente llamar revisar enviar
	correo mañana tarde noche semana mes informe tabla total suma nota idea plan viaje tren hotel calle número
	pan leche café agua fruta verdura arroz pasta huevos queso aceite sal azúcar`)

// textFile returns about size bytes of words in lines.
func textFile(seed uint64, size int, ext string) []byte {
	r := rand.New(rand.NewPCG(seed, 0x7e47))
	var b bytes.Buffer
	b.Grow(size + 64)
	switch ext {
	case "json":
		b.WriteString("{\n")
	case "xml":
		b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<map>\n")
	}
	line := 0
	for b.Len() < size {
		switch ext {
		case "json":
			fmt.Fprintf(&b, "  \"%s_%d\": \"%s %s\",\n", textWords[r.IntN(len(textWords))], line, textWords[r.IntN(len(textWords))], textWords[r.IntN(len(textWords))])
		case "xml":
			fmt.Fprintf(&b, "    <string name=\"%s_%d\">%s</string>\n", textWords[r.IntN(len(textWords))], line, textWords[r.IntN(len(textWords))])
		case "csv":
			fmt.Fprintf(&b, "%d;%s;%d,%02d\n", line, textWords[r.IntN(len(textWords))], r.IntN(500), r.IntN(100))
		default:
			for w := 0; w < 6+r.IntN(8); w++ {
				if w > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(textWords[r.IntN(len(textWords))])
			}
			b.WriteByte('\n')
		}
		line++
	}
	switch ext {
	case "json":
		fmt.Fprintf(&b, "  \"end\": %d\n}\n", line)
	case "xml":
		b.WriteString("</map>\n")
	}
	return b.Bytes()
}

// pdfBytes returns a small valid PDF with one line of text.
func pdfBytes(seed uint64, title string) []byte {
	r := rand.New(rand.NewPCG(seed, 0x9df))
	text := fmt.Sprintf("%s - %s %d", title, textWords[r.IntN(len(textWords))], r.IntN(10000))
	text = strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(text)
	stream := fmt.Sprintf("BT /F1 14 Tf 72 720 Td (%s) Tj ET", text)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, obj := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, obj)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
