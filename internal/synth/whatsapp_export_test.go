package synth

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exportScenario is a small group with every kind of line, so the
// expected exports below can be written out by hand.
func exportScenario() *Scenario {
	const (
		owner = "34600000001@s.whatsapp.net"
		ana   = "573000000001@s.whatsapp.net"
		bo    = "4915100000001@s.whatsapp.net"
		g     = "120363000000000001@g.us"
	)
	at := func(h, m, s int) time.Time { return time.Date(2023, 5, 2, h, m, s, 0, time.UTC) }
	return &Scenario{
		Owner:  Person{JID: owner, PushName: "Eva"},
		People: []Person{{JID: ana, Name: "Ana Lima"}, {JID: bo}},
		Chats: []Chat{{
			JID: g, Kind: Group, Subject: "Plan B", Created: at(9, 0, 0), Creator: ana,
			Members: []Member{{JID: ana, Role: RoleCreator}, {JID: owner, Role: RoleAdmin}, {JID: bo, Role: RoleMember}},
			Events: []Event{
				{ID: "E1", Time: at(9, 0, 0), Action: "created", Actor: ana, New: "Plan"},
				{ID: "E2", Time: at(9, 1, 0), Action: "added", Actor: ana, Targets: []string{owner, bo}},
				{ID: "E3", Time: at(9, 2, 0), Action: "admin-promoted", Actor: ana, Targets: []string{owner}},
				{ID: "E4", Time: at(9, 3, 0), Action: "subject", Actor: ana, Old: "Plan", New: "Plan B"},
				{ID: "E5", Time: at(13, 30, 0), Action: "left", Actor: bo, Targets: []string{bo}},
			},
			Messages: []Message{
				{ID: "M1", Sender: ana, Time: at(9, 4, 5), Type: "text", Text: "hola\ntodos"},
				{ID: "M2", Sender: bo, Time: at(9, 5, 6), Type: "image", Caption: "foto",
					Media: &Media{SHA256: MediaHash("x"), Path: "Media/WhatsApp Images/IMG-20230502-WA0007.jpg", MIME: "image/jpeg", Size: 10}},
				{ID: "M3", Sender: owner, FromMe: true, Time: at(13, 6, 7), Type: "document", Media: &Media{SHA256: MediaHash("y"), Name: "plan.pdf", Size: 20}},
			},
		}},
	}
}

func TestExportChatAndroid(t *testing.T) {
	e, err := ExportChat(exportScenario(), "120363000000000001@g.us", ExportOptions{WithMedia: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `02/05/2023, 09:00 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.
02/05/2023, 09:00 - Ana Lima created group "Plan"
02/05/2023, 09:01 - Ana Lima added you and +49 1510 0000001
02/05/2023, 09:02 - You're now an admin
02/05/2023, 09:03 - Ana Lima changed the subject from "Plan" to "Plan B"
02/05/2023, 09:04 - Ana Lima: hola
todos
02/05/2023, 09:05 - +49 1510 0000001: IMG-20230502-WA0007.jpg (file attached)
foto
02/05/2023, 13:06 - Eva: plan.pdf (file attached)
02/05/2023, 13:30 - +49 1510 0000001 left
`
	if string(e.Text) != want {
		t.Errorf("export:\n%s\nwant:\n%s", e.Text, want)
	}
	if e.Name != "WhatsApp Chat with Plan B.txt" || len(e.Attachments) != 2 || e.Attachments[0].Name != "IMG-20230502-WA0007.jpg" || e.Attachments[1].Name != "plan.pdf" {
		t.Errorf("name %q, attachments %+v", e.Name, e.Attachments)
	}
}

func TestExportChatIOS(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*3600)
	e, err := ExportChat(exportScenario(), "120363000000000001@g.us", ExportOptions{Grammar: ExportIOS, DateOrder: "mdy", Clock12: true, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	want := "[5/2/23, 11:00:00\u202fAM] Plan B: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.\r\n" +
		"[5/2/23, 11:00:00\u202fAM] Plan B: \u200eAna Lima created group “Plan”\r\n" +
		"[5/2/23, 11:01:00\u202fAM] Plan B: \u200eAna Lima added you and \u202a+49 1510 0000001\u202c\r\n" +
		"[5/2/23, 11:02:00\u202fAM] Plan B: \u200eYou’re now an admin\r\n" +
		"[5/2/23, 11:03:00\u202fAM] Plan B: \u200eAna Lima changed the group name to “Plan B”\r\n" +
		"[5/2/23, 11:04:05\u202fAM] Ana Lima: hola\r\ntodos\r\n" +
		"[5/2/23, 11:05:06\u202fAM] \u202a+49 1510 0000001\u202c: \u200eimage omitted\r\n" +
		"[5/2/23, 3:06:07\u202fPM] Eva: \u200edocument omitted\r\n" +
		"[5/2/23, 3:30:00\u202fPM] Plan B: \u200e\u202a+49 1510 0000001\u202c left\r\n"
	if string(e.Text) != want {
		t.Errorf("export:\n%q\nwant:\n%q", e.Text, want)
	}
	if e.Name != "WhatsApp Chat - Plan B.zip" || e.TextName != "_chat.txt" || len(e.Attachments) != 0 {
		t.Errorf("name %q %q, attachments %d", e.Name, e.TextName, len(e.Attachments))
	}
}

func TestWriteExport(t *testing.T) {
	s := exportScenario()
	dir := t.TempDir()
	e, err := ExportChat(s, s.Chats[0].JID, ExportOptions{Grammar: ExportIOS, WithMedia: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(e.Text), "<attached: 00000001-PHOTO-2023-05-02-09-05-06.jpg>") || !strings.Contains(string(e.Text), "<attached: 00000002-plan.pdf>") {
		t.Errorf("iOS attachment names in\n%s", e.Text)
	}
	p, err := WriteExport(dir, e, false)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "_chat.txt" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != string(e.Text) {
				t.Error("_chat.txt in the zip differs from the export's text")
			}
		}
	}
	if strings.Join(names, ",") != "_chat.txt,00000001-PHOTO-2023-05-02-09-05-06.jpg,00000002-plan.pdf" {
		t.Errorf("zip members %q", names)
	}
	// Android, loose files.
	e, _ = ExportChat(s, s.Chats[0].JID, ExportOptions{WithMedia: true})
	p, err = WriteExport(dir, e, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"WhatsApp Chat with Plan B.txt", "IMG-20230502-WA0007.jpg", "plan.pdf"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if filepath.Base(p) != "WhatsApp Chat with Plan B.txt" {
		t.Errorf("path %s", p)
	}
}

func TestExportChatErrors(t *testing.T) {
	s := exportScenario()
	if _, err := ExportChat(s, "nope@g.us", ExportOptions{}); err == nil {
		t.Error("unknown chat exported")
	}
	if _, err := ExportChat(s, s.Chats[0].JID, ExportOptions{DateOrder: "dym"}); err == nil {
		t.Error("unknown date order accepted")
	}
	s.Chats[0].Messages[0].Type = "hologram"
	if _, err := ExportChat(s, s.Chats[0].JID, ExportOptions{}); err == nil {
		t.Error("a type without an export form was exported")
	}
}
