package export

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"vigil/internal/artifact"
	"vigil/internal/store"
)

// FuzzParse feeds arbitrary bytes to the parser and to the extractor's
// row building: no panic, every entry valid UTF-8 and in line order,
// every header accounted for, every row referring to the chat.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"12/07/2017, 22:35 - Ana: hi\nmore\n13/07/2017, 01:00 - You were added\n",
		"\ufeff[20.06.19, 15:58:47] Loris: \u200e<attached: 00000001-PHOTO-2019-06-20-16-00-15.jpg>\r\n[20.06.19, 15:58:48] G: \u200eLoris added you\r\n",
		"[3/17/23, 9:05:42\u202fAM] Ada: POLL:\nWhen?\nOPTION: Thu (2 votes)\n",
		"01/01/2019, 12:10 a. m. - John: x\n01/20/2019, 12:10 p. m. - +12 345 578 created group \"G: x\"\n",
		"13. 6. 2018. 21:25:15 a: m\n13.06.18 21.25.15: a: m\n",
		"preamble\n31/02/2020, 10:00 - bad: date\n01/02/2020, 10:00 - Ana adicionou Bo e Cy\n",
		"01/02/2020, 10:00 - Ana: \xff\xfe chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv\n",
		"[2018/06/13, 21:25:15] a: IMG-20210428-WA0001.jpg (file attached)\ncaption",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		file, es, rep, err := ParseBytes(ctx, data, Options{MaxText: 4096})
		if err != nil {
			if !errors.Is(err, ErrNoHeaders) && !errors.Is(err, ErrNoDates) {
				t.Fatalf("error %v", err)
			}
			return
		}
		// Each header with a possible date is an entry; lines before the
		// first of them (preamble, or headers with impossible dates) are
		// one more.
		want := file.Headers - rep.BadDates
		if len(es) == want+1 && want > 0 {
			if pre := es[0]; pre.System == nil || pre.System.Action != Unknown || pre.Line != 1 || file.Preamble+rep.BadDates == 0 {
				t.Fatalf("extra entry %+v is not the preamble", pre)
			}
		} else if len(es) != want {
			t.Fatalf("%d entries, want %d (headers %d, bad dates %d, preamble %d)", len(es), want, file.Headers, rep.BadDates, file.Preamble)
		}
		last := 0
		for _, e := range es {
			if e.Line < last || e.Line < 1 || e.Line > file.Lines {
				t.Fatalf("entry line %d after %d (of %d)", e.Line, last, file.Lines)
			}
			last = e.Line
			for _, s := range []string{e.Author, e.Text, e.Caption, e.Attachment, e.MediaName} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 %q", s)
				}
			}
			if e.Time.Location() != time.UTC {
				t.Fatalf("time %v not in UTC", e.Time)
			}
			if e.System == nil && e.Type == "" {
				t.Fatalf("message without a type: %+v", e)
			}
			if e.Attachment != "" && strings.ContainsAny(e.Attachment, "/\\") && strings.Contains(e.Attachment, "..") {
				t.Fatalf("attachment %q escapes the export's folder", e.Attachment)
			}
		}

		// The extractor's identity and row building.
		var p people
		p.init(&Extractor{}, &artifact.Input{Device: store.Device{ID: 1, Label: "d"}}, "Chat", strings.Repeat("0", 64))
		for _, e := range es {
			p.see(e)
		}
		b := p.decide(func(string, ...any) {})
		if len(b.Chats) != 1 || b.Chats[0].JID == "" {
			t.Fatalf("chats %+v", b.Chats)
		}
		jids := map[string]bool{}
		for _, a := range b.Accounts {
			if a.JID == "" || jids[a.JID] {
				t.Fatalf("account JID %q empty or repeated", a.JID)
			}
			jids[a.JID] = true
		}
		members := map[string]bool{}
		for _, m := range b.Members {
			if members[m.AccountJID] || m.AccountJID == "" {
				t.Fatalf("member %q empty or repeated", m.AccountJID)
			}
			members[m.AccountJID] = true
		}
		for _, e := range es {
			p.rows(e, "dir", &b)
		}
		for _, m := range b.Messages {
			if m.ChatJID != b.Chats[0].JID {
				t.Fatalf("message in chat %q", m.ChatJID)
			}
		}
		links := map[string]bool{}
		for _, l := range b.Links {
			k := l.Code + "\x00" + l.RowRef
			if links[k] {
				t.Fatalf("link %s repeated in %s", l.Code, l.RowRef)
			}
			links[k] = true
		}
	})
}
