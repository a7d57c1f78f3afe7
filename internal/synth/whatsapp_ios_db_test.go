package synth

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"testing"
	"time"
)

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// The iOS writer's files hold the rows of the scenario in Core Data's
// conventions, checked here by SQL against the scenario, without the
// reader.
func TestWriteWhatsAppIOS(t *testing.T) {
	s := ExampleScenario()
	files, err := WriteWhatsAppIOS(context.Background(), t.TempDir(), s)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+files.ChatStorage+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var msgs, events, members int
	for _, c := range s.Chats {
		msgs += len(c.Messages)
		members += len(c.Members)
		for _, e := range c.Events {
			if _, ok := IOSEventCode(e, s.Owner.JID); ok {
				events++
			}
		}
	}
	if n := queryInt(t, db, `SELECT count(*) FROM ZWACHATSESSION`); n != int64(len(s.Chats)) {
		t.Errorf("%d chat sessions, want %d", n, len(s.Chats))
	}
	if n := queryInt(t, db, `SELECT count(*) FROM ZWAMESSAGE WHERE ZMESSAGETYPE <> 6`); n != int64(msgs) {
		t.Errorf("%d messages, want %d", n, msgs)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM ZWAMESSAGE WHERE ZMESSAGETYPE = 6`); n != int64(events) {
		t.Errorf("%d group events, want %d (the link reset has no iOS code)", n, events)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM ZWAGROUPMEMBER`); n != int64(members) {
		t.Errorf("%d member rows, want %d", n, members)
	}
	// Z_PRIMARYKEY.Z_MAX is the highest Z_PK of each entity.
	if n := queryInt(t, db, `SELECT count(*) FROM Z_PRIMARYKEY p WHERE p.Z_MAX <> (SELECT count(*) FROM ZWAMESSAGE) AND p.Z_NAME = 'WAMessage'`); n != 0 {
		t.Error("Z_MAX of WAMessage is not the number of messages")
	}
	// M02: Camila's image, its caption, and its hash as base64 in
	// ZVCARDNAME; the time in seconds since 2001-01-01.
	var vcard, title, mime string
	var size int64
	var date float64
	var from sql.NullString
	var member sql.NullInt64
	err = db.QueryRow(`SELECT mi.ZVCARDNAME, mi.ZTITLE, mi.ZVCARDSTRING, mi.ZFILESIZE, m.ZMESSAGEDATE, m.ZFROMJID, m.ZGROUPMEMBER
		FROM ZWAMESSAGE m JOIN ZWAMEDIAITEM mi ON mi.Z_PK = m.ZMEDIAITEM WHERE m.ZSTANZAID = 'M02'`).Scan(&vcard, &title, &mime, &size, &date, &from, &member)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(vcard)
	if hex.EncodeToString(raw) != MediaHash("IMG-20230502-WA0001.jpg") || title != "paella" || mime != "image/jpeg" || size != 48213 {
		t.Errorf("M02 media: %s %q %s %d", vcard, title, mime, size)
	}
	// 2023-05-02T09:06:00.080Z is 704711160.08 s after 2001-01-01.
	if got := time.Unix(978307200, 0).Add(time.Duration(date * float64(time.Second))).UTC(); got.Sub(time.Date(2023, 5, 2, 9, 6, 0, 80e6, time.UTC)).Abs() > time.Microsecond {
		t.Errorf("M02 time %v (%f)", got, date)
	}
	if !from.Valid || from.String != "120363000000000001@g.us" || !member.Valid {
		t.Errorf("M02 from %v member %v", from, member)
	}
	var memberJID string
	db.QueryRow(`SELECT ZMEMBERJID FROM ZWAGROUPMEMBER WHERE Z_PK = ?`, member.Int64).Scan(&memberJID)
	if memberJID != "573000000001@s.whatsapp.net" {
		t.Errorf("M02 sender row %q", memberJID)
	}
	// People with a LID are addressed by it in groups.
	if n := queryInt(t, db, `SELECT count(*) FROM ZWAGROUPMEMBER WHERE ZMEMBERJID = '100000000000003@lid'`); n != 1 {
		t.Errorf("Dieter's member rows by LID: %d", n)
	}
	// Group events are addressed to the owner.
	if n := queryInt(t, db, `SELECT count(*) FROM ZWAMESSAGE WHERE ZMESSAGETYPE = 6 AND ZTOJID <> ?`, s.Owner.JID); n != 0 {
		t.Errorf("%d group events not addressed to the owner", n)
	}
	// "Added" names actor and targets in ZTEXT.
	var text string
	db.QueryRow(`SELECT ZTEXT FROM ZWAMESSAGE WHERE ZSTANZAID = 'E06'`).Scan(&text)
	if text != "393200000001@s.whatsapp.net;100000000000004@lid,56960000001@s.whatsapp.net" {
		t.Errorf("E06 text %q", text)
	}

	lid, err := sql.Open("sqlite", "file:"+files.LID+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer lid.Close()
	if n := queryInt(t, lid, `SELECT count(*) FROM ZWAPHONENUMBERLIDPAIR`); n != 2 { // Dieter and João; Luis has no phone
		t.Errorf("%d LID pairs, want 2", n)
	}
	contacts, err := sql.Open("sqlite", "file:"+files.Contacts+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer contacts.Close()
	saved := 0
	for _, p := range s.People {
		if p.Name != "" {
			saved++
		}
	}
	if n := queryInt(t, contacts, `SELECT count(*) FROM ZWAADDRESSBOOKCONTACT WHERE ZWHATSAPPID IS NOT NULL`); n != int64(saved) {
		t.Errorf("%d WhatsApp contacts, want %d", n, saved)
	}
}

func TestWriteChatStorageRefusesWhatItCannotWrite(t *testing.T) {
	s := ExampleScenario()
	s.Chats[0].Messages[0].Type = "hologram"
	if err := WriteChatStorage(context.Background(), t.TempDir()+"/c.sqlite", s); err == nil {
		t.Error("a message type without an iOS code was written")
	}
	s = ExampleScenario()
	s.Chats[0].Members = s.Chats[0].Members[:1] // senders no longer members
	if err := WriteChatStorage(context.Background(), t.TempDir()+"/c.sqlite", s); err == nil {
		t.Error("a group sender without a member row was written")
	}
}
