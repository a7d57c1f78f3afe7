package synth

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExampleScenarioIsConsistent(t *testing.T) {
	s := ExampleScenario()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	bad := ExampleScenario()
	bad.Chats[0].Messages[0].Sender = "999@s.whatsapp.net"
	if bad.Check() == nil {
		t.Error("an unknown sender passed Check")
	}
	bad = ExampleScenario()
	bad.Chats[0].Subjects = bad.Chats[0].Subjects[:1]
	if bad.Check() == nil {
		t.Error("a subject history not ending with the subject passed Check")
	}
}

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestWriteWhatsAppAndroid(t *testing.T) {
	s := ExampleScenario()
	var msgs, events, members, past int
	for _, c := range s.Chats {
		msgs += len(c.Messages)
		events += len(c.Events)
		for _, m := range c.Members {
			if m.Past {
				past++
			} else {
				members++
			}
		}
	}
	for _, gen := range []AndroidGeneration{AndroidLegacy, AndroidTransitional, AndroidModern} {
		t.Run(string(gen), func(t *testing.T) {
			dir := t.TempDir()
			files, err := WriteWhatsAppAndroid(context.Background(), dir, s, gen)
			if err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite", files.Msgstore)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			switch gen {
			case AndroidModern:
				if n := count(t, db, `SELECT count(*) FROM message WHERE chat_row_id <> -1`); n != msgs+events {
					t.Errorf("%d message rows, want %d", n, msgs+events)
				}
				if n := count(t, db, `SELECT count(*) FROM message_system`); n != events {
					t.Errorf("%d system rows, want %d", n, events)
				}
				if n := count(t, db, `SELECT count(*) FROM sqlite_master WHERE name = 'messages'`); n != 0 {
					t.Error("modern file has a messages table")
				}
				if n := count(t, db, `SELECT count(*) FROM jid_map`); n != 2 {
					t.Errorf("%d jid_map rows, want 2", n)
				}
				if n := count(t, db, `SELECT count(*) FROM group_past_participant_user`); n != past {
					t.Errorf("%d past participants, want %d", n, past)
				}
				// file_hash is base64 of the SHA-256 (44 characters).
				if n := count(t, db, `SELECT count(*) FROM message_media WHERE length(file_hash) <> 44`); n != 0 {
					t.Errorf("%d file_hash values not 44 characters", n)
				}
			default:
				if n := count(t, db, `SELECT count(*) FROM messages WHERE key_remote_jid <> '-1'`); n != msgs+events {
					t.Errorf("%d messages rows, want %d", n, msgs+events)
				}
				if n := count(t, db, `SELECT count(*) FROM messages WHERE status = 6 AND media_wa_type = '0'`); n != events {
					t.Errorf("%d legacy system rows, want %d", n, events)
				}
				// The media path is inside the serialized MediaData.
				var blob []byte
				db.QueryRow(`SELECT thumb_image FROM messages WHERE key_id = 'M07'`).Scan(&blob)
				if !strings.Contains(string(blob), "Media/WhatsApp Documents/receitas.pdf\x77\x02\x00/\x78") || !strings.HasPrefix(string(blob), "\xac\xed\x00\x05") {
					t.Errorf("MediaData blob %q", blob)
				}
			}
			if gen == AndroidTransitional {
				if n := count(t, db, `SELECT count(*) FROM message`); n != 1 {
					t.Errorf("transitional message table has %d rows, want the sentinel only", n)
				}
				if n := count(t, db, `SELECT count(*) FROM group_participant_user`); n != members {
					t.Errorf("%d group_participant_user rows, want %d", n, members)
				}
			}
			if gen == AndroidLegacy {
				if n := count(t, db, `SELECT count(*) FROM sqlite_master WHERE name = 'jid'`); n != 0 {
					t.Error("legacy file has a jid table")
				}
				if n := count(t, db, `SELECT count(*) FROM group_participants WHERE jid = ''`); n != 2 {
					t.Errorf("%d owner rows in group_participants, want 2", n)
				}
			}
			wa, err := sql.Open("sqlite", files.WADB)
			if err != nil {
				t.Fatal(err)
			}
			defer wa.Close()
			if n := count(t, wa, `SELECT count(*) FROM wa_contacts WHERE jid LIKE '%@s.whatsapp.net' OR jid LIKE '%@lid'`); n != len(s.People) {
				t.Errorf("%d contacts, want %d", n, len(s.People))
			}
			prefs, err := os.ReadFile(files.Prefs)
			if err != nil || !strings.Contains(string(prefs), `<string name="registration_jid">34600000001</string>`) {
				t.Errorf("prefs %s %v", prefs, err)
			}
			if filepath.Base(files.Prefs) != "com.whatsapp_preferences_light.xml" {
				t.Error(files.Prefs)
			}
		})
	}
}

func TestWritersAreDeterministic(t *testing.T) {
	dir := t.TempDir()
	var sums []string
	for i := 0; i < 2; i++ {
		p := filepath.Join(dir, "m"+string(rune('0'+i))+".db")
		if err := WriteMsgstore(context.Background(), p, ExampleScenario(), AndroidModern); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		sums = append(sums, string(b))
	}
	if sums[0] != sums[1] {
		t.Error("two writes of the same scenario differ")
	}
}
