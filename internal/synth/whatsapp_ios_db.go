package synth

// The iOS writers live in a file not named *_ios.go: that suffix would
// build it only for GOOS=ios.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// WhatsAppIOS is the set of files an iPhone's WhatsApp keeps in its app
// group folder, as WriteWhatsAppIOS wrote them.
type WhatsAppIOS struct {
	ChatStorage string // ChatStorage.sqlite
	Contacts    string // ContactsV2.sqlite
	LID         string // LID.sqlite
}

// IOS message type and group event codes the writer uses, written from
// the research spec (§6.3, §6.4), independently of the reader's tables.
var (
	iosTypeCodes = map[string]int{
		"text": 0, "image": 1, "video": 2, "audio": 3, "voice": 3, "contact": 4, "location": 5,
		"link-preview": 7, "document": 8, "gif": 11, "waiting": 12, "deleted": 14, "sticker": 15,
		"invite-card": 27, "poll": 46, "video-note": 54, "call": 59,
	}
	iosEventCodes = map[string]int{
		"subject": 1, "added": 2, "left": 3, "icon": 4, "removed": 7, "created": 12,
		"joined-by-link": 15, "description": 17, "joined-by-invite-card": 23, "joined-from-community": 30,
	}
)

// IOSEventCode is the ZGROUPEVENTTYPE the iOS writer gives a scenario
// event, and false for events iOS has no code for (they are not written:
// "link-reset", "settings", an admin demotion of someone else). Admin
// promotions are 10 ("you are now an admin") when the owner is the
// target, else 39 ("a member became admin").
func IOSEventCode(e Event, owner string) (int, bool) {
	switch e.Action {
	case "admin-promoted":
		if len(e.Targets) == 1 && e.Targets[0] == owner {
			return 10, true
		}
		return 39, len(e.Targets) == 1
	case "admin-demoted":
		if len(e.Targets) == 1 && e.Targets[0] == owner {
			return 11, true
		}
		return 0, false
	}
	c, ok := iosEventCodes[e.Action]
	return c, ok
}

// WriteWhatsAppIOS writes the scenario as an iPhone keeps it in the
// WhatsApp app group folder dir: ChatStorage.sqlite, ContactsV2.sqlite
// and LID.sqlite.
func WriteWhatsAppIOS(ctx context.Context, dir string, s *Scenario) (WhatsAppIOS, error) {
	out := WhatsAppIOS{
		ChatStorage: filepath.Join(dir, "ChatStorage.sqlite"),
		Contacts:    filepath.Join(dir, "ContactsV2.sqlite"),
		LID:         filepath.Join(dir, "LID.sqlite"),
	}
	if err := WriteChatStorage(ctx, out.ChatStorage, s); err != nil {
		return out, err
	}
	if err := WriteContactsV2(ctx, out.Contacts, s); err != nil {
		return out, err
	}
	if err := WriteLIDDB(ctx, out.LID, s); err != nil {
		return out, err
	}
	return out, nil
}

// Core Data tables with the columns of the iOS 15 / WhatsApp 2023 schema
// (spec §6.2), including several the readers do not use, as real files
// have.
const ddlChatStorage = `CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE Z_MODELCACHE (Z_CONTENT BLOB);
CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZARCHIVED INTEGER, ZCONTACTABID INTEGER,
	ZFLAGS INTEGER, ZHIDDEN INTEGER, ZIDENTITYVERIFICATIONEPOCH INTEGER, ZIDENTITYVERIFICATIONSTATE INTEGER, ZMESSAGECOUNTER INTEGER,
	ZREMOVED INTEGER, ZSESSIONTYPE INTEGER, ZSPOTLIGHTSTATUS INTEGER, ZUNREADCOUNT INTEGER, ZGROUPINFO INTEGER, ZLASTMESSAGE INTEGER,
	ZPROPERTIES INTEGER, ZLASTMESSAGEDATE TIMESTAMP, ZLOCATIONSHARINGENDDATE TIMESTAMP, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTJID VARCHAR,
	ZETAG VARCHAR, ZLASTMESSAGETEXT VARCHAR, ZPARTNERNAME VARCHAR, ZSAVEDINPUT VARCHAR);
CREATE TABLE ZWAGROUPINFO (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZSTATE INTEGER, ZCHATSESSION INTEGER,
	ZLASTMESSAGEOWNER INTEGER, ZCREATIONDATE TIMESTAMP, ZSUBJECTTIMESTAMP TIMESTAMP, ZCREATORJID VARCHAR, ZOWNERJID VARCHAR,
	ZPICTUREID VARCHAR, ZPICTUREPATH VARCHAR, ZSOURCEJID VARCHAR, ZSUBJECTOWNERJID VARCHAR);
CREATE TABLE ZWAGROUPMEMBER (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCONTACTABID INTEGER, ZISACTIVE INTEGER,
	ZISADMIN INTEGER, ZSENDERKEYSENT INTEGER, ZCHATSESSION INTEGER, ZRECENTGROUPCHAT INTEGER, ZCONTACTIDENTIFIER VARCHAR,
	ZCONTACTNAME VARCHAR, ZFIRSTNAME VARCHAR, ZMEMBERJID VARCHAR);
CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCHILDMESSAGESDELIVEREDCOUNT INTEGER,
	ZCHILDMESSAGESPLAYEDCOUNT INTEGER, ZCHILDMESSAGESREADCOUNT INTEGER, ZDATAITEMVERSION INTEGER, ZDOCID INTEGER,
	ZENCRETRYCOUNT INTEGER, ZFILTEREDRECIPIENTCOUNT INTEGER, ZFLAGS INTEGER, ZGROUPEVENTTYPE INTEGER, ZISFROMME INTEGER,
	ZMESSAGEERRORSTATUS INTEGER, ZMESSAGESTATUS INTEGER, ZMESSAGETYPE INTEGER, ZSORT INTEGER, ZSPOTLIGHTSTATUS INTEGER,
	ZSTARRED INTEGER, ZCHATSESSION INTEGER, ZGROUPMEMBER INTEGER, ZLASTSESSION INTEGER, ZMEDIAITEM INTEGER, ZMESSAGEINFO INTEGER,
	ZPARENTMESSAGE INTEGER, ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR, ZMEDIASECTIONID VARCHAR,
	ZPHASH VARCHAR, ZPUSHNAME VARCHAR, ZSTANZAID VARCHAR, ZTEXT VARCHAR, ZTOJID VARCHAR);
CREATE TABLE ZWAMEDIAITEM (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCLOUDSTATUS INTEGER, ZFILESIZE INTEGER,
	ZMEDIAORIGIN INTEGER, ZMOVIEDURATION INTEGER, ZMESSAGE INTEGER, ZASPECTRATIO FLOAT, ZHACCURACY FLOAT, ZLATITUDE FLOAT,
	ZLONGITUDE FLOAT, ZMEDIAURLDATE TIMESTAMP, ZAUTHORNAME VARCHAR, ZCOLLECTIONNAME VARCHAR, ZMEDIALOCALPATH VARCHAR,
	ZMEDIAURL VARCHAR, ZTHUMBNAILLOCALPATH VARCHAR, ZTITLE VARCHAR, ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR,
	ZXMPPTHUMBPATH VARCHAR, ZMEDIAKEY BLOB, ZMETADATA BLOB);
CREATE TABLE ZWAMESSAGEDATAITEM (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZINDEX INTEGER, ZMESSAGE INTEGER,
	ZDATE TIMESTAMP, ZCONTENT1 VARCHAR, ZCONTENT2 VARCHAR, ZMATCHEDTEXT VARCHAR, ZSECTIONID VARCHAR, ZSUMMARY VARCHAR, ZTITLE VARCHAR);
CREATE TABLE ZWAMESSAGEINFO (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZMESSAGE INTEGER, ZRECEIPTINFO BLOB);
CREATE TABLE ZWAPROFILEPUSHNAME (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZJID VARCHAR, ZPUSHNAME VARCHAR);
CREATE TABLE ZWAGROUPMEMBERSCHANGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCHANGETYPE INTEGER,
	ZCHANGEDATE TIMESTAMP, ZGROUPJID VARCHAR, ZMEMBERJIDS VARCHAR, ZPHASHBEFORECHANGE VARCHAR);
CREATE INDEX ZWAMESSAGE_ZCHATSESSION_INDEX ON ZWAMESSAGE (ZCHATSESSION);
CREATE INDEX ZWAMESSAGE_ZGROUPMEMBER_INDEX ON ZWAMESSAGE (ZGROUPMEMBER);
CREATE INDEX ZWAMESSAGE_ZMEDIAITEM_INDEX ON ZWAMESSAGE (ZMEDIAITEM);
CREATE INDEX ZWAGROUPMEMBER_ZCHATSESSION_INDEX ON ZWAGROUPMEMBER (ZCHATSESSION);
CREATE INDEX ZWAMEDIAITEM_ZMESSAGE_INDEX ON ZWAMEDIAITEM (ZMESSAGE);
`

// Core Data entity numbers of the tables above (Z_ENT).
var iosEntities = []struct {
	ent   int
	name  string
	table string
}{
	{1, "WAChatSession", "ZWACHATSESSION"}, {2, "WAGroupInfo", "ZWAGROUPINFO"}, {3, "WAGroupMember", "ZWAGROUPMEMBER"},
	{4, "WAMediaItem", "ZWAMEDIAITEM"}, {5, "WAMessage", "ZWAMESSAGE"}, {6, "WAMessageDataItem", "ZWAMESSAGEDATAITEM"},
	{7, "WAMessageInfo", "ZWAMESSAGEINFO"}, {8, "WAProfilePushName", "ZWAPROFILEPUSHNAME"}, {9, "WAGroupMembersChange", "ZWAGROUPMEMBERSCHANGE"},
}

func entity(table string) int {
	for _, e := range iosEntities {
		if e.table == table {
			return e.ent
		}
	}
	return 0
}

// coreDataTime is a time as Core Data keeps it: seconds since
// 2001-01-01T00:00:00Z, fractional.
func coreDataTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return float64(t.UnixMicro()-978307200_000000) / 1e6
}

// WriteChatStorage writes the scenario as an iOS ChatStorage.sqlite at
// path (replacing any file there). People with a LID are addressed by it
// in groups (member rows, senders, event texts), as newer versions do; the
// LID→phone pairs go to LID.sqlite (WriteLIDDB). Events iOS has no code
// for are not written (see IOSEventCode); nor are member Pending flags,
// captions of documents (ZTITLE holds the document's name), or the
// difference between voice notes and audio files (both type 3).
func WriteChatStorage(ctx context.Context, path string, s *Scenario) error {
	if err := s.Check(); err != nil {
		return err
	}
	db, err := createDB(ctx, path)
	if err != nil {
		return fmt.Errorf("ChatStorage %s: %w", path, err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := &iosWriter{ctx: ctx, tx: tx, s: s, members: map[[2]string]int64{}, max: map[string]int64{}}
	if err := w.chatStorage(); err != nil {
		return fmt.Errorf("ChatStorage %s: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return db.Close()
}

type iosWriter struct {
	ctx     context.Context
	tx      *sql.Tx
	s       *Scenario
	members map[[2]string]int64 // chat JID, person JID → ZWAGROUPMEMBER.Z_PK
	max     map[string]int64    // table → last Z_PK
}

// insert adds a row to a Core Data table with the next Z_PK.
func (w *iosWriter) insert(table string, cols []string, vals ...any) (int64, error) {
	w.max[table]++
	pk := w.max[table]
	q := `INSERT INTO ` + table + ` (Z_PK, Z_ENT, Z_OPT, ` + strings.Join(cols, ", ") + `) VALUES (?, ?, 1` + strings.Repeat(", ?", len(cols)) + `)`
	args := append([]any{pk, entity(table)}, vals...)
	if _, err := w.tx.ExecContext(w.ctx, q, args...); err != nil {
		return 0, fmt.Errorf("%s: %w", table, err)
	}
	return pk, nil
}

// addressed is the JID iOS uses for a person in a group: the LID when the
// person has one. The owner is addressed by their own JID.
func (w *iosWriter) addressed(j string) string {
	if j == "" || j == w.s.Owner.JID {
		return j
	}
	if p, ok := w.s.Person(j); ok && p.LID != "" {
		return p.LID
	}
	return j
}

func nullIf(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func firstWord(s string) string {
	f, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return f
}

// displayName is what ZPARTNERNAME shows for a person: the saved name,
// else the push name, else the number.
func displayName(p Person) string {
	switch {
	case p.Name != "":
		return p.Name
	case p.PushName != "":
		return p.PushName
	}
	u, _, _ := strings.Cut(p.JID, "@")
	return "+" + u
}

func (w *iosWriter) chatStorage() error {
	if err := execAll(w.ctx, w.tx, ddlChatStorage); err != nil {
		return err
	}
	owner := w.s.Owner.JID
	chatPK := make([]int64, len(w.s.Chats))
	for i := range w.s.Chats {
		c := &w.s.Chats[i]
		items := timeline(c)
		var last any
		if len(items) > 0 {
			last = coreDataTime(items[len(items)-1].time())
		}
		var err error
		switch c.Kind {
		case Group:
			chatPK[i], err = w.insert("ZWACHATSESSION", []string{"ZSESSIONTYPE", "ZCONTACTJID", "ZPARTNERNAME", "ZLASTMESSAGEDATE", "ZARCHIVED", "ZHIDDEN", "ZREMOVED", "ZUNREADCOUNT"},
				1, c.JID, c.Subject, last, 0, 0, 0, 0)
			if err != nil {
				return err
			}
			var subjOwner, subjTime any
			if n := len(c.Subjects); n > 0 {
				subjOwner, subjTime = nullIf(w.addressed(c.Subjects[n-1].Actor)), coreDataTime(c.Subjects[n-1].Time)
			}
			info, err := w.insert("ZWAGROUPINFO", []string{"ZCHATSESSION", "ZCREATIONDATE", "ZCREATORJID", "ZSUBJECTOWNERJID", "ZSUBJECTTIMESTAMP", "ZSTATE"},
				chatPK[i], coreDataTime(c.Created), nullIf(c.Creator), subjOwner, subjTime, 0)
			if err != nil {
				return err
			}
			if _, err := w.tx.ExecContext(w.ctx, `UPDATE ZWACHATSESSION SET ZGROUPINFO = ? WHERE Z_PK = ?`, info, chatPK[i]); err != nil {
				return err
			}
			for _, m := range c.Members {
				p, _ := w.s.Person(m.JID)
				admin := 0
				if m.Role == RoleAdmin || m.Role == RoleCreator {
					admin = 1
				}
				active := 1
				if m.Past {
					active = 0
				}
				pk, err := w.insert("ZWAGROUPMEMBER", []string{"ZCHATSESSION", "ZMEMBERJID", "ZISADMIN", "ZISACTIVE", "ZCONTACTNAME", "ZFIRSTNAME", "ZSENDERKEYSENT"},
					chatPK[i], w.addressed(m.JID), admin, active, nullIf(p.Name), nullIf(firstWord(p.Name)), 1)
				if err != nil {
					return err
				}
				w.members[[2]string{c.JID, m.JID}] = pk
			}
		case Direct:
			p, _ := w.s.Person(c.JID)
			var alt any
			if p.LID != "" && p.LID != c.JID {
				alt = p.LID
			}
			chatPK[i], err = w.insert("ZWACHATSESSION", []string{"ZSESSIONTYPE", "ZCONTACTJID", "ZPARTNERNAME", "ZCONTACTIDENTIFIER", "ZLASTMESSAGEDATE", "ZARCHIVED", "ZHIDDEN", "ZREMOVED", "ZUNREADCOUNT"},
				0, c.JID, displayName(p), alt, last, 0, 0, 0, 0)
			if err != nil {
				return err
			}
		}
	}

	// Messages and events, by time across chats.
	member := func(c *Chat, j string) (any, error) {
		if j == "" || j == owner {
			if pk, ok := w.members[[2]string{c.JID, j}]; ok && j != "" {
				return pk, nil
			}
			return nil, nil
		}
		pk, ok := w.members[[2]string{c.JID, j}]
		if !ok {
			return nil, fmt.Errorf("chat %s: %s is not a member (iOS refers to group senders and event subjects by member row)", c.JID, j)
		}
		return pk, nil
	}
	for _, it := range androidTimeline(w.s) {
		c := &w.s.Chats[it.chat]
		cpk := chatPK[it.chat]
		if e := it.Evt; e != nil {
			if c.Kind != Group {
				continue
			}
			if err := w.event(c, cpk, e, member); err != nil {
				return err
			}
			continue
		}
		if err := w.message(c, cpk, it.Msg, member); err != nil {
			return err
		}
	}

	for _, p := range w.s.People {
		if p.PushName == "" {
			continue
		}
		if _, err := w.insert("ZWAPROFILEPUSHNAME", []string{"ZJID", "ZPUSHNAME"}, p.JID, p.PushName); err != nil {
			return err
		}
	}
	for _, e := range iosEntities {
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO Z_PRIMARYKEY (Z_ENT, Z_NAME, Z_SUPER, Z_MAX) VALUES (?, ?, 0, ?)`, e.ent, e.name, w.max[e.table]); err != nil {
			return err
		}
	}
	app := w.s.AppVersion
	if app == "" {
		app = "2.23.10.77"
	}
	_, err := w.tx.ExecContext(w.ctx, `INSERT INTO Z_METADATA (Z_VERSION, Z_UUID, Z_PLIST) VALUES (1, ?, ?)`,
		uuidOf("ChatStorage "+owner), []byte("bplist00 synthetic; WhatsApp "+app))
	return err
}

// message writes one message and its media item.
func (w *iosWriter) message(c *Chat, cpk int64, m *Message, member func(*Chat, string) (any, error)) error {
	typ, ok := iosTypeCodes[m.Type]
	if !ok {
		return fmt.Errorf("message %s: type %q has no iOS code", m.ID, m.Type)
	}
	var from, to, gm any
	sent := m.Time
	if m.FromMe {
		to = c.JID
	} else {
		from = c.JID
		sent = m.Time.Add(time.Second) // received after it was sent
		if c.Kind == Group {
			var err error
			if gm, err = member(c, m.Sender); err != nil {
				return err
			}
		}
	}
	flags := 0
	if m.Forwarded {
		flags = 0x180
	}
	fromMe := 0
	if m.FromMe {
		fromMe = 1
	}
	pk, err := w.insert("ZWAMESSAGE", []string{"ZCHATSESSION", "ZISFROMME", "ZMESSAGETYPE", "ZGROUPEVENTTYPE", "ZGROUPMEMBER", "ZMESSAGEDATE",
		"ZSENTDATE", "ZFROMJID", "ZTOJID", "ZTEXT", "ZSTANZAID", "ZFLAGS", "ZMESSAGESTATUS", "ZSORT"},
		cpk, fromMe, typ, 0, gm, coreDataTime(m.Time), coreDataTime(sent), from, to, nullIf(m.Text), m.ID, flags, 8, w.max["ZWAMESSAGE"]+1)
	if err != nil {
		return err
	}
	if m.Media == nil && m.Caption == "" {
		return nil
	}
	var md Media
	if m.Media != nil {
		md = *m.Media
	}
	title := m.Caption
	if m.Type == "document" {
		title = md.Name
	}
	var hash, url, key any
	if md.SHA256 != "" {
		h, err := FileHash(md.SHA256)
		if err != nil {
			return fmt.Errorf("message %s: %w", m.ID, err)
		}
		hash = h
		url = "https://mmg.whatsapp.net/v/t62.7118-24/" + hex.EncodeToString(mediaKey(md.SHA256)[:12]) + ".enc"
		key = iosMediaKey(md.SHA256, m.Time)
	}
	var size any
	if md.Size > 0 {
		size = md.Size
	}
	mi, err := w.insert("ZWAMEDIAITEM", []string{"ZMESSAGE", "ZMEDIALOCALPATH", "ZFILESIZE", "ZVCARDNAME", "ZVCARDSTRING", "ZTITLE", "ZMEDIAURL", "ZMEDIAKEY", "ZCLOUDSTATUS"},
		pk, nullIf(md.Path), size, hash, nullIf(md.MIME), nullIf(title), url, key, 1)
	if err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, `UPDATE ZWAMESSAGE SET ZMEDIAITEM = ? WHERE Z_PK = ?`, mi, pk)
	return err
}

// iosMediaKey is ZMEDIAKEY's protobuf: field 1 the 32-byte media key,
// field 2 the encrypted file's SHA-256, field 3 the key's Unix time.
func iosMediaKey(hexSHA string, t time.Time) []byte {
	enc := sha256.Sum256([]byte("enc:" + hexSHA))
	b := append([]byte{0x0a, 0x20}, mediaKey(hexSHA)...)
	b = append(b, 0x12, 0x20)
	b = append(b, enc[:]...)
	b = append(b, 0x18)
	return binary.AppendUvarint(b, uint64(t.Unix()))
}

// event writes a group event as iOS does (spec §6.4, IPED's rules read
// backwards): added/removed name actor and targets in ZTEXT
// ("actor;target,target"); left and joined name the person by member row;
// created, subject and description name their actor by member row (none:
// the owner) and carry the new value in ZTEXT.
func (w *iosWriter) event(c *Chat, cpk int64, e *Event, member func(*Chat, string) (any, error)) error {
	owner := w.s.Owner.JID
	code, ok := IOSEventCode(*e, owner)
	if !ok {
		return nil
	}
	var gm any
	var text string
	var err error
	target := ""
	if len(e.Targets) > 0 {
		target = e.Targets[0]
	}
	switch code {
	case 2, 7:
		ts := make([]string, len(e.Targets))
		for i, t := range e.Targets {
			ts[i] = w.addressed(t)
		}
		text = w.addressed(e.Actor) + ";" + strings.Join(ts, ",")
		gm, err = member(c, target)
	case 3, 15, 23, 30:
		who := target
		if who == "" {
			who = e.Actor
		}
		gm, err = member(c, who)
	case 10, 11:
		gm, err = member(c, e.Actor)
	case 39:
		gm, err = member(c, target)
	default: // 1, 4, 12, 17: the actor's row, none for the owner
		if e.Actor != owner {
			gm, err = member(c, e.Actor)
		}
		text = e.New
	}
	if err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	if gm == nil && (code == 3 || code == 15 || code == 23 || code == 30 || code == 39) && (target == owner || e.Actor == owner) {
		// The owner's own member row, when the owner is a member.
		if pk, ok := w.members[[2]string{c.JID, owner}]; ok {
			gm = pk
		}
	}
	_, err = w.insert("ZWAMESSAGE", []string{"ZCHATSESSION", "ZISFROMME", "ZMESSAGETYPE", "ZGROUPEVENTTYPE", "ZGROUPMEMBER", "ZMESSAGEDATE",
		"ZSENTDATE", "ZFROMJID", "ZTOJID", "ZTEXT", "ZSTANZAID", "ZFLAGS", "ZMESSAGESTATUS", "ZSORT"},
		cpk, 0, 6, code, gm, coreDataTime(e.Time), coreDataTime(e.Time), c.JID, owner, nullIf(text), e.ID, 0, 6, w.max["ZWAMESSAGE"]+1)
	return err
}

// uuidOf makes a stable UUID-shaped string.
func uuidOf(s string) string {
	h := sha256.Sum256([]byte(s))
	x := strings.ToUpper(hex.EncodeToString(h[:16]))
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// WriteContactsV2 writes the owner's address book as iOS ContactsV2.sqlite:
// one row per person with a saved name and a phone JID (ZWHATSAPPID the
// full JID, ZLID the LID when the person has one), and one contact who is
// not on WhatsApp.
func WriteContactsV2(ctx context.Context, path string, s *Scenario) error {
	db, err := createDB(ctx, path)
	if err != nil {
		return fmt.Errorf("ContactsV2 %s: %w", path, err)
	}
	defer db.Close()
	if err := execAll(ctx, db, `CREATE TABLE ZWAADDRESSBOOKCONTACT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
	ZABOUTTIMESTAMP TIMESTAMP, ZABOUTTEXT VARCHAR, ZBUSINESSNAME VARCHAR, ZFULLNAME VARCHAR, ZGIVENNAME VARCHAR, ZHIGHLIGHTEDNAME VARCHAR,
	ZIDENTIFIER VARCHAR, ZLASTNAME VARCHAR, ZLID VARCHAR, ZLOCALIZEDPHONENUMBER VARCHAR, ZPHONENUMBER VARCHAR, ZPHONENUMBERLABEL VARCHAR,
	ZUSERNAME VARCHAR, ZWHATSAPPID VARCHAR);
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);`); err != nil {
		return fmt.Errorf("ContactsV2 %s: %w", path, err)
	}
	pk := 0
	add := func(full, given, last, number, wa, lid string) error {
		pk++
		_, err := db.ExecContext(ctx, `INSERT INTO ZWAADDRESSBOOKCONTACT (Z_PK, Z_ENT, Z_OPT, ZFULLNAME, ZGIVENNAME, ZLASTNAME, ZHIGHLIGHTEDNAME,
			ZIDENTIFIER, ZPHONENUMBER, ZLOCALIZEDPHONENUMBER, ZPHONENUMBERLABEL, ZWHATSAPPID, ZLID) VALUES (?, 1, 1, ?, ?, ?, ?, ?, ?, ?, '_$!<Mobile>!$_', ?, ?)`,
			pk, full, nullIf(given), nullIf(last), full, uuidOf("contact "+full+number)+":ABPerson", number, number, nullIf(wa), nullIf(lid))
		return err
	}
	for _, p := range s.People {
		if p.Name == "" || !strings.HasSuffix(p.JID, "@s.whatsapp.net") {
			continue
		}
		given, last, _ := strings.Cut(p.Name, " ")
		u, _, _ := strings.Cut(p.JID, "@")
		if err := add(p.Name, given, last, "+"+u, p.JID, p.LID); err != nil {
			return fmt.Errorf("ContactsV2 %s: %w", path, err)
		}
	}
	if err := add("Dentist", "Dentist", "", "+34 910 000 000", "", ""); err != nil {
		return fmt.Errorf("ContactsV2 %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO Z_PRIMARYKEY VALUES (1, 'WAAddressBookContact', 0, ?)`, pk); err != nil {
		return err
	}
	return db.Close()
}

// WriteLIDDB writes iOS LID.sqlite: one ZWAPHONENUMBERLIDPAIR row per
// person known by both a phone JID and a LID.
func WriteLIDDB(ctx context.Context, path string, s *Scenario) error {
	db, err := createDB(ctx, path)
	if err != nil {
		return fmt.Errorf("LID %s: %w", path, err)
	}
	defer db.Close()
	if err := execAll(ctx, db, `CREATE TABLE ZWAPHONENUMBERLIDPAIR (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
	ZTIMESTAMP TIMESTAMP, ZLID VARCHAR, ZPHONENUMBER VARCHAR);
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);`); err != nil {
		return fmt.Errorf("LID %s: %w", path, err)
	}
	pk := 0
	for _, p := range append([]Person{s.Owner}, s.People...) {
		if p.LID == "" || !strings.HasSuffix(p.JID, "@s.whatsapp.net") {
			continue
		}
		pk++
		if _, err := db.ExecContext(ctx, `INSERT INTO ZWAPHONENUMBERLIDPAIR VALUES (?, 1, 1, ?, ?, ?)`,
			pk, coreDataTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), p.LID, p.JID); err != nil {
			return fmt.Errorf("LID %s: %w", path, err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO Z_PRIMARYKEY VALUES (1, 'WAPhoneNumberLIDPair', 0, ?)`, pk); err != nil {
		return err
	}
	return db.Close()
}
