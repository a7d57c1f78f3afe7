package ios

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/artifact/whatsapp"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// coreDataEpoch is 2001-01-01T00:00:00Z in Unix seconds: Core Data's
// TIMESTAMP columns count seconds from it (spec §6.1).
const coreDataEpoch = 978307200

// coreData turns a TIMESTAMP value into a UTC time, to the microsecond;
// values ≤ 0 (unset, or the year-1 sentinel) and absurd ones give false.
func coreData(v any) (time.Time, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	case string, []byte:
		s, _ := whatsapp.Text(x)
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	// Until year 2200: a larger value is not a time WhatsApp wrote.
	if !(f > 0) || f > 6.3e9 || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	us := math.Round(f * 1e6)
	return time.Unix(coreDataEpoch, 0).Add(time.Duration(us) * time.Microsecond).UTC(), true
}

// jid reads a JID column in its bare form; "" when empty or not a JID
// (counted).
func (r *reader) jid(v any) string {
	s := r.text(v)
	if s == "" {
		return ""
	}
	j, err := phone.ParseJID(s)
	if err != nil {
		r.counts["values that are not JIDs, ignored"]++
		return ""
	}
	return j.Bare()
}

// personJID keeps a JID only when it names a person (phone or LID).
func personJID(j string) string {
	p, err := phone.ParseJID(j)
	if err != nil {
		return ""
	}
	switch p.Kind() {
	case phone.KindPerson, phone.KindLID:
		return j
	}
	return ""
}

// kindOf classifies a chat by its JID's server, falling back on
// ZSESSIONTYPE (0 one-to-one, 1 group).
func kindOf(jid string, sessionType int64, ok bool) string {
	if p, err := phone.ParseJID(jid); err == nil {
		switch p.Kind() {
		case phone.KindGroup:
			return store.ChatGroup
		case phone.KindPerson, phone.KindLID:
			return store.ChatDirect
		case phone.KindStatus:
			return store.ChatStatus
		case phone.KindBroadcast:
			return store.ChatBroadcast
		case phone.KindNewsletter:
			return store.ChatNewsletter
		}
	}
	if ok && sessionType == 1 {
		return store.ChatGroup
	}
	return store.ChatDirect
}

// chat is a ZWACHATSESSION row as the reader needs it.
type chat struct {
	jid     string
	kind    string
	subject string // current subject (groups)
	row     *store.Chat
}

// member is a ZWAGROUPMEMBER row.
type member struct {
	jid  string
	chat int64
}

// chatStorage reads a ChatStorage.sqlite.
func (r *reader) chatStorage() error {
	if !r.db.HasColumn(r.ctx, "ZWAMESSAGE", "Z_PK") || !r.db.HasColumn(r.ctx, "ZWACHATSESSION", "Z_PK") {
		return fmt.Errorf("ZWAMESSAGE or ZWACHATSESSION has no Z_PK column: not a Core Data store this reader knows")
	}
	owner, basis := r.findOwner()
	s := &session{reader: r, owner: owner, chats: map[int64]*chat{}, members: map[int64]member{}}
	if owner != store.OwnerJID {
		a := r.account(owner)
		a.Owner, a.OwnerBasis = true, basis
	}
	steps := []struct {
		what, lost string
		fn         func() error
	}{
		{"ZWACHATSESSION", "chats are named by their messages' JIDs", s.readChats},
		{"ZWAGROUPMEMBER", "group members and senders known only by member row are missing", s.readMembers},
		{"group events", "creators and subject histories are missing", s.readHistory},
		{"ZWAPROFILEPUSHNAME", "push names are missing", s.readPushNames},
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			r.warn("whatsapp ios %s: %s: %v (%s)", r.in.Path, st.what, err, st.lost)
		}
		if st.what == "ZWACHATSESSION" && len(s.chats) == 0 {
			s.chatsFromMessages()
		}
	}
	if r.db.HasTable("ZWAPHONENUMBERLIDPAIR") {
		if err := r.lidPairs(); err != nil {
			r.warn("whatsapp ios %s: ZWAPHONENUMBERLIDPAIR: %v", r.in.Path, err)
		}
	}
	s.finishChats()
	if err := r.flush(true); err != nil {
		return err
	}
	if err := s.readMessages(); err != nil {
		return err
	}
	if err := s.readPreviews(); err != nil {
		r.warn("whatsapp ios %s: ZWAMESSAGEDATAITEM: %v", r.in.Path, err)
	}
	return r.flush(true)
}

// findOwner identifies the device's owner (spec §6.5): WhatsApp addresses
// group event rows (ZFROMJID the group) to the owner in ZTOJID.
func (r *reader) findOwner() (string, string) {
	if !r.db.HasColumn(r.ctx, "ZWAMESSAGE", "ZTOJID") || !r.db.HasColumn(r.ctx, "ZWAMESSAGE", "ZMESSAGETYPE") {
		return store.OwnerJID, ""
	}
	votes := map[string]int{}
	from := r.db.Col(r.ctx, "ZWAMESSAGE", "m", "ZFROMJID")
	q := `SELECT m.ZTOJID, count(*) AS n FROM ZWAMESSAGE m WHERE m.ZMESSAGETYPE = 6 AND ` + from + ` LIKE '%@g.us' GROUP BY m.ZTOJID`
	_, err := r.scan(q, func(row map[string]any) error {
		if j := personJID(r.jid(row["ZTOJID"])); j != "" {
			n, _ := whatsapp.Int(row["n"])
			votes[j] += int(n)
		}
		return nil
	})
	if err != nil {
		r.warn("whatsapp ios %s: looking for the owner: %v", r.in.Path, err)
	}
	best, bestN, total := "", 0, 0
	for j, n := range votes {
		total += n
		if n > bestN || n == bestN && j < best {
			best, bestN = j, n
		}
	}
	if best != "" {
		if bestN < total {
			r.warn("whatsapp ios %s: group events are addressed to %d accounts; the owner is taken to be %s (%d of %d)", r.in.Path, len(votes), best, bestN, total)
		}
		return best, "ZTOJID of group event rows"
	}
	// A group whose "created" event names no member was created by the
	// owner: its recorded creator is the owner.
	if r.db.HasColumn(r.ctx, "ZWAGROUPINFO", "ZCREATORJID") && r.db.HasColumn(r.ctx, "ZWAMESSAGE", "ZGROUPEVENTTYPE") &&
		r.db.HasColumn(r.ctx, "ZWAMESSAGE", "ZGROUPMEMBER") && r.db.HasColumn(r.ctx, "ZWACHATSESSION", "ZGROUPINFO") {
		q := `SELECT DISTINCT g.ZCREATORJID FROM ZWAMESSAGE m JOIN ZWACHATSESSION c ON c.Z_PK = m.ZCHATSESSION
			JOIN ZWAGROUPINFO g ON g.Z_PK = c.ZGROUPINFO
			WHERE m.ZMESSAGETYPE = 6 AND m.ZGROUPEVENTTYPE = 12 AND m.ZGROUPMEMBER IS NULL AND g.ZCREATORJID IS NOT NULL`
		var found []string
		r.scan(q, func(row map[string]any) error {
			if j := personJID(r.jid(row["ZCREATORJID"])); j != "" {
				found = append(found, j)
			}
			return nil
		})
		if len(found) == 1 {
			return found[0], "ZWAGROUPINFO.ZCREATORJID of a group the owner created"
		}
	}
	return store.OwnerJID, ""
}

// session is the state of reading one ChatStorage.
type session struct {
	*reader
	owner   string
	chats   map[int64]*chat
	order   []int64
	members map[int64]member
	// subject history, creators and old subjects, from the group events
	oldSubject map[int64]string // event Z_PK → the subject it replaced
}

func (s *session) readChats() error {
	t := "ZWACHATSESSION"
	q := `SELECT c.Z_PK AS pk, ` + s.cols(t, "c", "ZCONTACTJID", "ZSESSIONTYPE", "ZPARTNERNAME", "ZCONTACTIDENTIFIER", "ZGROUPINFO")
	info := s.db.HasTable("ZWAGROUPINFO") && s.db.HasColumn(s.ctx, t, "ZGROUPINFO")
	if info {
		q += `, ` + s.cols("ZWAGROUPINFO", "g", "ZCREATIONDATE", "ZCREATORJID") + ` FROM ZWACHATSESSION c LEFT JOIN ZWAGROUPINFO g ON g.Z_PK = c.ZGROUPINFO`
	} else {
		q += `, NULL AS ZCREATIONDATE, NULL AS ZCREATORJID FROM ZWACHATSESSION c`
	}
	fallback := `SELECT c.Z_PK AS pk, ` + s.cols(t, "c", "ZCONTACTJID", "ZSESSIONTYPE", "ZPARTNERNAME", "ZCONTACTIDENTIFIER", "ZGROUPINFO") +
		`, NULL AS ZCREATIONDATE, NULL AS ZCREATORJID FROM ZWACHATSESSION c`
	if !info {
		fallback = ""
	}
	_, err := s.readTable(t, "c", q, fallback, func(row map[string]any) error {
		pk, _ := whatsapp.Int(row["pk"])
		jid := s.jid(row["ZCONTACTJID"])
		st, stOK := whatsapp.Int(row["ZSESSIONTYPE"])
		if jid == "" {
			// A chat without a usable JID keeps its row identity.
			jid = "ios-chat:" + strconv.FormatInt(pk, 10)
			s.counts["chats without a JID (named ios-chat:<Z_PK>)"]++
		}
		c := &chat{jid: jid, kind: kindOf(jid, st, stOK)}
		c.row = &store.Chat{JID: jid, Kind: c.kind}
		name := s.text(row["ZPARTNERNAME"])
		switch c.kind {
		case store.ChatGroup:
			c.subject = name
			c.row.Subject = name
			if t, ok := coreData(row["ZCREATIONDATE"]); ok {
				c.row.Created = t
			}
			if cr := personJID(s.jid(row["ZCREATORJID"])); cr != "" {
				c.row.CreatorJID, c.row.CreatorBasis = cr, "ZWAGROUPINFO.ZCREATORJID"
			}
		case store.ChatDirect:
			s.name(jid, name, "ZWACHATSESSION.ZPARTNERNAME")
			// The other identity of the same partner: LID beside phone.
			if alt := personJID(s.jid(row["ZCONTACTIDENTIFIER"])); alt != "" {
				a, _ := phone.ParseJID(jid)
				b, _ := phone.ParseJID(alt)
				switch {
				case a.Kind() == phone.KindPerson && b.Kind() == phone.KindLID:
					s.mapLID(jid, alt)
				case a.Kind() == phone.KindLID && b.Kind() == phone.KindPerson:
					s.mapLID(alt, jid)
				}
			}
		default:
			c.row.Subject = name
		}
		if _, dup := s.chats[pk]; !dup {
			s.chats[pk] = c
			s.order = append(s.order, pk)
		}
		return nil
	})
	return err
}

// chatsFromMessages rebuilds the chats when ZWACHATSESSION gave none (an
// unreadable page): each chat row id is named by the JIDs of its
// messages, a group's JID if any, else the partner's.
func (s *session) chatsFromMessages() {
	need := []string{"ZCHATSESSION", "ZFROMJID", "ZTOJID"}
	for _, c := range need {
		if !s.db.HasColumn(s.ctx, "ZWAMESSAGE", c) {
			return
		}
	}
	found := map[int64]string{}
	s.scan(`SELECT DISTINCT ZCHATSESSION, ZFROMJID, ZTOJID FROM ZWAMESSAGE WHERE ZCHATSESSION IS NOT NULL`, func(row map[string]any) error {
		pk, _ := whatsapp.Int(row["ZCHATSESSION"])
		for _, col := range []string{"ZFROMJID", "ZTOJID"} {
			j := s.jid(row[col])
			if j == "" {
				continue
			}
			if strings.HasSuffix(j, "@g.us") || found[pk] == "" && personJID(j) != "" && j != s.owner {
				if !strings.HasSuffix(found[pk], "@g.us") {
					found[pk] = j
				}
			}
		}
		return nil
	})
	for pk, j := range found {
		c := &chat{jid: j, kind: kindOf(j, 0, false)}
		c.row = &store.Chat{JID: j, Kind: c.kind}
		s.chats[pk] = c
		s.order = append(s.order, pk)
	}
	sort.Slice(s.order, func(i, j int) bool { return s.order[i] < s.order[j] })
	if len(found) > 0 {
		s.warn("whatsapp ios %s: ZWACHATSESSION unreadable: %d chats rebuilt from their messages' JIDs (no subjects or creation times)", s.in.Path, len(found))
	}
}

func (s *session) readMembers() error {
	t := "ZWAGROUPMEMBER"
	if !s.db.HasTable(t) {
		return nil
	}
	q := `SELECT gm.Z_PK AS pk, ` + s.cols(t, "gm", "ZCHATSESSION", "ZMEMBERJID", "ZISADMIN", "ZISACTIVE", "ZCONTACTNAME", "ZFIRSTNAME") +
		` FROM ZWAGROUPMEMBER gm`
	type seen struct{ first, last time.Time }
	// First and last activity of each member row and of the owner per chat.
	spans := map[int64]*seen{}
	ownerSpans := map[int64]*seen{}
	grow := func(m map[int64]*seen, k int64, lo, hi any) {
		a, ok1 := coreData(lo)
		b, ok2 := coreData(hi)
		if !ok1 || !ok2 {
			return
		}
		m[k] = &seen{a, b}
	}
	if s.db.HasColumn(s.ctx, "ZWAMESSAGE", "ZGROUPMEMBER") && s.db.HasColumn(s.ctx, "ZWAMESSAGE", "ZMESSAGEDATE") {
		// NOT INDEXED: one pass over the table beats a lookup per row.
		s.scan(`SELECT ZGROUPMEMBER AS k, min(ZMESSAGEDATE) AS lo, max(ZMESSAGEDATE) AS hi FROM ZWAMESSAGE NOT INDEXED
			WHERE ZGROUPMEMBER IS NOT NULL AND ZMESSAGEDATE > 0 GROUP BY ZGROUPMEMBER`, func(row map[string]any) error {
			k, _ := whatsapp.Int(row["k"])
			grow(spans, k, row["lo"], row["hi"])
			return nil
		})
	}
	if s.db.HasColumn(s.ctx, "ZWAMESSAGE", "ZISFROMME") && s.db.HasColumn(s.ctx, "ZWAMESSAGE", "ZCHATSESSION") && s.db.HasColumn(s.ctx, "ZWAMESSAGE", "ZMESSAGEDATE") {
		s.scan(`SELECT ZCHATSESSION AS k, min(ZMESSAGEDATE) AS lo, max(ZMESSAGEDATE) AS hi FROM ZWAMESSAGE NOT INDEXED
			WHERE ZISFROMME = 1 AND ZMESSAGEDATE > 0 GROUP BY ZCHATSESSION`, func(row map[string]any) error {
			k, _ := whatsapp.Int(row["k"])
			grow(ownerSpans, k, row["lo"], row["hi"])
			return nil
		})
	}
	seenPair := map[[2]string]int{} // chat, account → index in the batch
	_, err := s.readTable(t, "gm", q, "", func(row map[string]any) error {
		pk, _ := whatsapp.Int(row["pk"])
		cpk, _ := whatsapp.Int(row["ZCHATSESSION"])
		jid := personJID(s.jid(row["ZMEMBERJID"]))
		c := s.chats[cpk]
		if jid == "" {
			s.counts["member rows without a person JID, skipped"]++
			return nil
		}
		s.members[pk] = member{jid: jid, chat: cpk}
		if name := s.text(row["ZCONTACTNAME"]); name != "" {
			s.name(jid, name, "ZWAGROUPMEMBER.ZCONTACTNAME")
		} else if name := s.text(row["ZFIRSTNAME"]); name != "" {
			s.name(jid, name, "ZWAGROUPMEMBER.ZFIRSTNAME")
		}
		if c == nil {
			s.counts["member rows of a chat that is not in ZWACHATSESSION, skipped"]++
			return nil
		}
		m := store.Member{ChatJID: c.jid, AccountJID: jid, Role: store.RoleMember, Current: true}
		if adm, ok := whatsapp.Int(row["ZISADMIN"]); ok {
			raw := int(adm)
			m.RoleRaw = &raw
			if adm >= 1 {
				m.Role = store.RoleAdmin
			}
		}
		if act, ok := whatsapp.Int(row["ZISACTIVE"]); ok && act == 0 {
			m.Current = false
		}
		if sp := spans[pk]; sp != nil {
			m.FirstSeen, m.LastSeen = sp.first, sp.last
		}
		if jid == s.owner {
			if sp := ownerSpans[cpk]; sp != nil {
				if m.FirstSeen.IsZero() || sp.first.Before(m.FirstSeen) {
					m.FirstSeen = sp.first
				}
				if sp.last.After(m.LastSeen) {
					m.LastSeen = sp.last
				}
			}
		}
		k := [2]string{c.jid, jid}
		if i, dup := seenPair[k]; dup {
			// Two rows for one person in one chat: keep the active one,
			// the higher role, the wider span.
			prev := &s.b.Members[i]
			prev.Current = prev.Current || m.Current
			if m.Role == store.RoleAdmin {
				prev.Role, prev.RoleRaw = m.Role, m.RoleRaw
			}
			if !m.FirstSeen.IsZero() && (prev.FirstSeen.IsZero() || m.FirstSeen.Before(prev.FirstSeen)) {
				prev.FirstSeen = m.FirstSeen
			}
			if m.LastSeen.After(prev.LastSeen) {
				prev.LastSeen = m.LastSeen
			}
			return nil
		}
		seenPair[k] = len(s.b.Members)
		s.b.Members = append(s.b.Members, m)
		return nil
	})
	return err
}

// readHistory reads the group events that describe a chat rather than a
// moment in it: creation and subject changes, for each chat's creator and
// subject history (and each subject change's previous subject).
func (s *session) readHistory() error {
	s.oldSubject = map[int64]string{}
	need := []string{"ZMESSAGETYPE", "ZGROUPEVENTTYPE", "ZCHATSESSION", "ZMESSAGEDATE"}
	for _, c := range need {
		if !s.db.HasColumn(s.ctx, "ZWAMESSAGE", c) {
			return nil
		}
	}
	q := `SELECT m.Z_PK AS pk, m.ZCHATSESSION, m.ZGROUPEVENTTYPE, m.ZMESSAGEDATE, ` + s.cols("ZWAMESSAGE", "m", "ZGROUPMEMBER", "ZTEXT") +
		` FROM ZWAMESSAGE m WHERE m.ZMESSAGETYPE = 6 AND m.ZGROUPEVENTTYPE IN (1, 12, 56) ORDER BY m.ZMESSAGEDATE, m.Z_PK`
	current := map[int64]string{} // chat → subject so far
	_, err := s.scan(q, func(row map[string]any) error {
		pk, _ := whatsapp.Int(row["pk"])
		cpk, _ := whatsapp.Int(row["ZCHATSESSION"])
		c := s.chats[cpk]
		if c == nil || c.kind != store.ChatGroup {
			return nil
		}
		code, _ := whatsapp.Int(row["ZGROUPEVENTTYPE"])
		at, _ := coreData(row["ZMESSAGEDATE"])
		actor := s.memberOf(row["ZGROUPMEMBER"], cpk)
		if actor == "" {
			actor = s.owner // no member: the owner did it
		}
		text := s.text(row["ZTEXT"])
		switch code {
		case 12:
			if c.row.CreatorBasis != "event" {
				if c.row.CreatorJID != "" && c.row.CreatorJID != actor {
					s.counts["groups whose recorded creator differs from their created event (the event wins)"]++
				}
				c.row.CreatorJID, c.row.CreatorBasis = actor, "event"
				if !at.IsZero() {
					c.row.Created = at
				}
			}
			if text != "" {
				c.row.Subjects = append(c.row.Subjects, store.SubjectChange{Subject: text, Time: at, ActorJID: actor})
				current[cpk] = text
			}
		case 1, 56:
			old, new := current[cpk], text
			if code == 56 {
				var v struct {
					Previous string `json:"previous_subject"`
					New      string `json:"new_subject"`
				}
				if json.Unmarshal([]byte(text), &v) == nil {
					old, new = v.Previous, v.New
				}
			}
			s.oldSubject[pk] = old
			c.row.Subjects = append(c.row.Subjects, store.SubjectChange{Subject: new, Time: at, ActorJID: actor})
			current[cpk] = new
		}
		return nil
	})
	return err
}

// memberOf resolves ZGROUPMEMBER to the member's JID, provided the member
// row belongs to the same chat (IPED's check); "" otherwise.
func (s *session) memberOf(v any, chatPK int64) string {
	pk, ok := whatsapp.Int(v)
	if !ok || pk <= 0 {
		return ""
	}
	m, ok := s.members[pk]
	if !ok {
		s.counts["references to group member rows that do not exist"]++
		return ""
	}
	if m.chat != chatPK && m.chat != 0 {
		s.counts["references to a member row of another chat, ignored"]++
		return ""
	}
	return m.jid
}

func (s *session) readPushNames() error {
	t := "ZWAPROFILEPUSHNAME"
	if !s.db.HasColumn(s.ctx, t, "ZJID") || !s.db.HasColumn(s.ctx, t, "ZPUSHNAME") {
		return nil
	}
	_, err := s.scan(`SELECT ZJID, ZPUSHNAME FROM ZWAPROFILEPUSHNAME ORDER BY Z_PK`, func(row map[string]any) error {
		if j := personJID(s.jid(row["ZJID"])); j != "" {
			s.name(j, s.text(row["ZPUSHNAME"]), "push name")
		}
		return nil
	})
	return err
}

// lidPairs reads ZWAPHONENUMBERLIDPAIR (in LID.sqlite, or in
// ChatStorage.sqlite in some versions).
func (r *reader) lidPairs() error {
	t := "ZWAPHONENUMBERLIDPAIR"
	if !r.db.HasColumn(r.ctx, t, "ZLID") || !r.db.HasColumn(r.ctx, t, "ZPHONENUMBER") {
		return fmt.Errorf("%s lacks ZLID or ZPHONENUMBER", t)
	}
	_, err := r.scan(`SELECT ZLID, ZPHONENUMBER FROM ZWAPHONENUMBERLIDPAIR`, func(row map[string]any) error {
		lid := toJID(r.text(row["ZLID"]), phone.ServerLID)
		ph := toJID(r.text(row["ZPHONENUMBER"]), phone.ServerPerson)
		lj, err1 := phone.ParseJID(lid)
		pj, err2 := phone.ParseJID(ph)
		if err1 != nil || err2 != nil || lj.Kind() != phone.KindLID || pj.Kind() != phone.KindPerson {
			r.counts["LID pairs that are not a LID and a phone number, skipped"]++
			return nil
		}
		r.mapLID(pj.Bare(), lj.Bare())
		return nil
	})
	return err
}

// toJID completes a bare user part ("+34600000001", "100000000000005")
// with a server.
func toJID(s, server string) string {
	if s == "" || strings.Contains(s, "@") {
		return s
	}
	return strings.TrimPrefix(s, "+") + "@" + server
}

// finishChats fills what is known of every chat once members and history
// are read, and puts the chats in the first batch.
func (s *session) finishChats() {
	for _, pk := range s.order {
		c := s.chats[pk]
		if c.kind == store.ChatGroup && c.row.CreatorJID == "" {
			if j, err := phone.ParseJID(c.jid); err == nil {
				if o, ok := phone.ParseGroupOrigin(j); ok {
					c.row.CreatorJID, c.row.CreatorBasis = phone.PersonJID(o.Creator), "group-id"
					if c.row.Created.IsZero() {
						c.row.Created = o.Created
					}
				}
			}
		}
		if n := len(c.row.Subjects); n > 0 && c.row.Subjects[n-1].Subject != c.row.Subject && c.row.Subject != "" {
			// The current subject is newer than the last change this
			// device kept.
			c.row.Subjects = append(c.row.Subjects, store.SubjectChange{Subject: c.row.Subject})
		}
		s.b.Chats = append(s.b.Chats, *c.row)
	}
	// ZISADMIN does not tell the creator (spec §6.2): the creator's member
	// row gets the creator role from the chat's creator.
	creators := map[string]string{}
	for _, c := range s.b.Chats {
		if c.CreatorJID != "" {
			creators[c.JID] = c.CreatorJID
		}
	}
	for i := range s.b.Members {
		m := &s.b.Members[i]
		if creators[m.ChatJID] == m.AccountJID {
			m.Role = store.RoleCreator
		}
	}
}

// messages

// row names of the message query
var messageCols = []string{"ZCHATSESSION", "ZISFROMME", "ZMESSAGETYPE", "ZGROUPEVENTTYPE", "ZGROUPMEMBER", "ZMESSAGEDATE", "ZSENTDATE",
	"ZFROMJID", "ZTOJID", "ZTEXT", "ZSTANZAID", "ZFLAGS"}
var mediaCols = []string{"ZMEDIALOCALPATH", "ZFILESIZE", "ZVCARDNAME", "ZVCARDSTRING", "ZTITLE", "ZLATITUDE", "ZLONGITUDE"}

func (s *session) readMessages() error {
	q := `SELECT m.Z_PK AS pk, ` + s.cols("ZWAMESSAGE", "m", messageCols...)
	join := ""
	switch {
	case !s.db.HasTable("ZWAMEDIAITEM"):
	case s.db.HasColumn(s.ctx, "ZWAMESSAGE", "ZMEDIAITEM") && s.db.HasColumn(s.ctx, "ZWAMEDIAITEM", "Z_PK"):
		join = ` LEFT JOIN ZWAMEDIAITEM mi ON mi.Z_PK = m.ZMEDIAITEM`
	case s.db.HasColumn(s.ctx, "ZWAMEDIAITEM", "ZMESSAGE"):
		join = ` LEFT JOIN ZWAMEDIAITEM mi ON mi.ZMESSAGE = m.Z_PK`
	}
	if join != "" {
		q += `, ` + s.cols("ZWAMEDIAITEM", "mi", mediaCols...)
	} else {
		for _, c := range mediaCols {
			q += `, NULL AS ` + c
		}
	}
	fallback := ""
	if join != "" {
		fallback = `SELECT m.Z_PK AS pk, ` + s.cols("ZWAMESSAGE", "m", messageCols...)
		for _, c := range mediaCols {
			fallback += `, NULL AS ` + c
		}
		fallback += ` FROM ZWAMESSAGE m`
	}
	q += ` FROM ZWAMESSAGE m` + join
	last := int64(math.MinInt64)
	_, err := s.readTable("ZWAMESSAGE", "m", q, fallback, func(row map[string]any) error {
		pk, _ := whatsapp.Int(row["pk"])
		if pk == last {
			s.counts["extra media items of a message, ignored"]++
			return nil
		}
		last = pk
		s.message(pk, row)
		return s.flush(false)
	})
	if err != nil {
		return fmt.Errorf("ZWAMESSAGE: %w", err)
	}
	return nil
}

// message turns one ZWAMESSAGE row into a message, an event or a missed
// call.
func (s *session) message(pk int64, row map[string]any) {
	ref := "ZWAMESSAGE:" + strconv.FormatInt(pk, 10)
	cpk, _ := whatsapp.Int(row["ZCHATSESSION"])
	from := s.jid(row["ZFROMJID"])
	to := s.jid(row["ZTOJID"])
	fromMe := false
	if v, ok := whatsapp.Int(row["ZISFROMME"]); ok && v != 0 {
		fromMe = true
	}
	c := s.chats[cpk]
	if c == nil {
		// The chat row is gone: the JIDs still say which chat it was.
		j := from
		if fromMe || j == "" {
			j = to
		}
		if j == "" {
			j = "ios-chat:" + strconv.FormatInt(cpk, 10)
		}
		c = &chat{jid: j, kind: kindOf(j, 0, false)}
		c.row = &store.Chat{JID: j, Kind: c.kind}
		s.chats[cpk] = c
		s.b.Chats = append(s.b.Chats, *c.row)
		s.counts["messages whose chat row is missing (chat taken from their JIDs)"]++
	}
	at, ok := coreData(row["ZMESSAGEDATE"])
	if !ok {
		if at, ok = coreData(row["ZSENTDATE"]); ok {
			s.counts["messages without ZMESSAGEDATE, timed by ZSENTDATE"]++
		} else {
			s.counts["messages without a time (stored as 0001-01-01)"]++
		}
	}
	typ, hasType := whatsapp.Int(row["ZMESSAGETYPE"])
	code, hasCode := whatsapp.Int(row["ZGROUPEVENTTYPE"])
	mem := s.memberOf(row["ZGROUPMEMBER"], cpk)
	text := s.text(row["ZTEXT"])

	if hasType && typ == typeGroupEvent {
		s.groupEvent(pk, ref, c, at, int(code), hasCode, mem, text)
		return
	}
	if hasType && typ == typeNotice {
		action := decodeNotice(int(code))
		if action != store.TypeMissedCall {
			raw := int(code)
			e := store.Event{RowRef: ref, ChatJID: c.jid, Time: at, Action: action, NewValue: text}
			if hasCode {
				e.ActionRaw = &raw
			}
			if j := personJID(from); j != "" && !fromMe {
				e.ActorJID = j
			}
			s.b.Events = append(s.b.Events, e)
			return
		}
	}

	m := store.Message{RowRef: ref, ChatJID: c.jid, Time: at, FromMe: fromMe, KeyID: s.text(row["ZSTANZAID"]), Text: text, MediaSize: -1}
	if hasType {
		raw := int(typ)
		m.TypeRaw = &raw
		m.Type = whatsapp.Decode(MessageTypes, raw)
		if _, known := MessageTypes[raw]; !known {
			s.unknownTy[raw]++
		}
		if typ == typeNotice {
			m.Type = store.TypeMissedCall
		}
	} else {
		m.Type = store.TypeText
		s.counts["messages without ZMESSAGETYPE, read as text"]++
	}
	switch {
	case fromMe:
		m.SenderJID = s.owner
	case c.kind == store.ChatGroup:
		m.SenderJID = mem
		if m.SenderJID == "" {
			m.SenderJID = personJID(from)
		}
	default:
		m.SenderJID = personJID(from)
		if m.SenderJID == "" {
			m.SenderJID = personJID(c.jid)
		}
	}
	if f, ok := whatsapp.Int(row["ZFLAGS"]); ok && f&0x180 == 0x180 {
		m.Forwarded = true
	}
	s.media(&m, int(typ), row)
	s.b.Messages = append(s.b.Messages, m)
	s.b.Links = append(s.b.Links, whatsapp.Links(m.Text+"\n"+m.Caption, c.jid, ref, at)...)
}

// media fills a message's media from its ZWAMEDIAITEM columns.
func (s *session) media(m *store.Message, typ int, row map[string]any) {
	local := s.text(row["ZMEDIALOCALPATH"])
	title := s.text(row["ZTITLE"])
	switch {
	case mediaTypes[typ]:
		if v := s.text(row["ZVCARDNAME"]); v != "" {
			if h, ok := decodeHash(v); ok {
				m.MediaSHA256 = h
			} else {
				s.counts["media hashes (ZVCARDNAME) that are not base64 SHA-256, ignored"]++
			}
		}
		if mime := s.text(row["ZVCARDSTRING"]); strings.Contains(mime, "/") && !strings.ContainsAny(mime, "\r\n") {
			m.MediaMIME = mime
		}
		if n, ok := whatsapp.Int(row["ZFILESIZE"]); ok && n > 0 {
			m.MediaSize = n
		}
		if typ == 8 {
			m.MediaName = title
		} else {
			m.Caption = title
		}
	case typ == 4: // contact card(s): names and vCards
		m.MediaName = s.text(row["ZVCARDNAME"])
		if m.Text == "" {
			m.Text = s.text(row["ZVCARDSTRING"])
		}
	case typ == 5: // location
		lat, ok1 := row["ZLATITUDE"].(float64)
		lon, ok2 := row["ZLONGITUDE"].(float64)
		if ok1 && ok2 && m.Text == "" {
			m.Text = fmt.Sprintf("geo:%.6f,%.6f", lat, lon)
		}
	}
	if local != "" && (mediaTypes[typ] || m.MediaSHA256 != "") {
		if strings.HasPrefix(local, "/") {
			m.MediaPath = local
		} else if s.dir == "." || s.dir == "" {
			m.MediaPath = "Message/" + local
		} else {
			m.MediaPath = s.dir + "/Message/" + local
		}
	}
}

// decodeHash turns a base64 SHA-256 into lower-case hex.
func decodeHash(v string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != 32 {
		return "", false
	}
	return hex.EncodeToString(b), true
}

// groupEvent turns a ZMESSAGETYPE 6 row into an event (spec §6.4 and
// IPED's actor rules).
func (s *session) groupEvent(pk int64, ref string, c *chat, at time.Time, code int, hasCode bool, mem, text string) {
	e := store.Event{RowRef: ref, ChatJID: c.jid, Time: at}
	if hasCode {
		raw := code
		e.ActionRaw = &raw
		e.Action = whatsapp.Decode(GroupEvents, code)
		if _, known := GroupEvents[code]; !known {
			s.unknownEv[code]++
		}
	} else {
		e.Action = whatsapp.Unknown(-1)
	}
	orOwner := func(j string) string {
		if j == "" {
			return s.owner
		}
		return j
	}
	switch code {
	case 2, 7, 50: // added, removed: "actor;target,target", or actor alone, or nothing (the owner)
		switch {
		case strings.Contains(text, ";"):
			actor, targets, _ := strings.Cut(text, ";")
			e.ActorJID = s.jidText(actor)
			for _, t := range strings.Split(targets, ",") {
				if j := s.jidText(t); j != "" {
					e.TargetJIDs = append(e.TargetJIDs, j)
				}
			}
		case text != "":
			e.ActorJID = s.jidText(text)
			e.TargetJIDs = nonEmpty(mem)
		default:
			e.ActorJID = s.owner
			e.TargetJIDs = nonEmpty(mem)
		}
	case 3, 15, 23, 30: // left, joined (link, card, community): the member did it
		e.ActorJID, e.TargetJIDs = mem, nonEmpty(mem)
	case 10, 11: // you are (no longer) an admin
		e.ActorJID, e.TargetJIDs = mem, nonEmpty(s.owner)
	case 39: // a member became admin
		e.TargetJIDs = nonEmpty(mem)
	case 1:
		e.ActorJID, e.NewValue, e.OldValue = orOwner(mem), text, s.oldSubject[pk]
	case 56:
		e.ActorJID = orOwner(mem)
		var v struct {
			Previous string `json:"previous_subject"`
			New      string `json:"new_subject"`
		}
		if json.Unmarshal([]byte(text), &v) == nil {
			e.OldValue, e.NewValue = v.Previous, v.New
		} else {
			e.NewValue = text
		}
	case 12, 4, 5, 17, 18, 19, 20, 21, 22, 26, 42:
		e.ActorJID, e.NewValue = orOwner(mem), text
	default:
		e.ActorJID, e.NewValue = mem, text
	}
	s.b.Events = append(s.b.Events, e)
}

// jidText reads a JID written inside ZTEXT.
func (s *session) jidText(t string) string {
	t = strings.TrimSpace(t)
	if t == "" {
		return ""
	}
	j, err := phone.ParseJID(t)
	if err != nil {
		s.counts["JIDs in group event texts that do not parse, ignored"]++
		return ""
	}
	return j.Bare()
}

func nonEmpty(j string) []string {
	if j == "" {
		return nil
	}
	return []string{j}
}

// readPreviews scans link previews (ZWAMESSAGEDATAITEM) for WhatsApp
// links, attributed to their message.
func (s *session) readPreviews() error {
	t := "ZWAMESSAGEDATAITEM"
	if !s.db.HasColumn(s.ctx, t, "ZMESSAGE") {
		return nil
	}
	q := `SELECT d.Z_PK AS pk, d.ZMESSAGE, ` + s.cols(t, "d", "ZMATCHEDTEXT", "ZCONTENT1", "ZCONTENT2", "ZTITLE", "ZSUMMARY") +
		`, ` + s.cols("ZWAMESSAGE", "m", "ZCHATSESSION", "ZMESSAGEDATE") +
		` FROM ZWAMESSAGEDATAITEM d LEFT JOIN ZWAMESSAGE m ON m.Z_PK = d.ZMESSAGE ORDER BY d.Z_PK`
	_, err := s.scan(q, func(row map[string]any) error {
		pk, _ := whatsapp.Int(row["pk"])
		mpk, _ := whatsapp.Int(row["ZMESSAGE"])
		cpk, _ := whatsapp.Int(row["ZCHATSESSION"])
		chatJID := ""
		if c := s.chats[cpk]; c != nil {
			chatJID = c.jid
		}
		at, _ := coreData(row["ZMESSAGEDATE"])
		var parts []string
		for _, c := range []string{"ZMATCHEDTEXT", "ZCONTENT1", "ZCONTENT2", "ZTITLE", "ZSUMMARY"} {
			if v := s.text(row[c]); v != "" {
				parts = append(parts, v)
			}
		}
		for _, l := range whatsapp.Links(strings.Join(parts, "\n"), chatJID, "ZWAMESSAGE:"+strconv.FormatInt(mpk, 10), at) {
			l.RowRef = "ZWAMESSAGEDATAITEM:" + strconv.FormatInt(pk, 10)
			s.b.Links = append(s.b.Links, l)
		}
		return s.flush(false)
	})
	return err
}
