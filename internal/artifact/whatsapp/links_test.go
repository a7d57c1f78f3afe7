package whatsapp

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// code22 and friends are made-up codes of the lengths that matter.
const (
	code22 = "AbCdEfGhIjKlMnOpQrStUv"
	code20 = "AbCdEfGhIjKlMnOpQrSt"
	code24 = "AbCdEfGhIjKlMnOpQrStUvWx"
	code19 = "AbCdEfGhIjKlMnOpQrS"
	code25 = "AbCdEfGhIjKlMnOpQrStUvWxY"
)

func TestFindLinks(t *testing.T) {
	type want struct{ kind, code, url string }
	inv := func(c string) want { return want{LinkGroupInvite, c, "https://chat.whatsapp.com/" + c} }
	tests := []struct {
		name string
		text string
		want []want
	}{
		{"plain https", "join https://chat.whatsapp.com/" + code22, []want{inv(code22)}},
		{"http", "http://chat.whatsapp.com/" + code22, []want{inv(code22)}},
		{"no scheme", "chat.whatsapp.com/" + code22, []want{inv(code22)}},
		{"upper-case host and scheme", "HTTPS://Chat.WhatsApp.COM/" + code22, []want{inv(code22)}},
		{"invite form", "https://chat.whatsapp.com/invite/" + code22, []want{inv(code22)}},
		{"20 chars", "chat.whatsapp.com/" + code20, []want{inv(code20)}},
		{"24 chars", "chat.whatsapp.com/" + code24, []want{inv(code24)}},
		{"19 chars is not a code", "chat.whatsapp.com/" + code19, nil},
		{"25 chars is not a code", "chat.whatsapp.com/" + code25, nil},
		{"trailing punctuation", "see (https://chat.whatsapp.com/" + code22 + ").", []want{inv(code22)}},
		{"trailing query", "https://chat.whatsapp.com/" + code22 + "?mode=ac_t&x=1", []want{inv(code22)}},
		{"trailing fragment and quote", "\"chat.whatsapp.com/" + code22 + "#x\"", []want{inv(code22)}},
		{"newline after", "chat.whatsapp.com/" + code22 + "\nnext line", []want{inv(code22)}},
		{"longer host is not whatsapp", "https://notchat.whatsapp.com/" + code22, nil},
		{"host that only starts like whatsapp", "https://chat.whatsapp.com.example/" + code22, nil},
		{"inside a path", "https://example.org/chat.whatsapp.com/" + code22, nil},
		{"in a redirect parameter", "https://example.org/r?u=https://chat.whatsapp.com/" + code22, []want{inv(code22)}},
		{"deep link", "whatsapp://chat?code=" + code22, []want{inv(code22)}},
		{"deep link upper case", "WhatsApp://chat?code=" + code22, []want{inv(code22)}},
		{"two links", "a chat.whatsapp.com/" + code20 + " b https://chat.whatsapp.com/invite/" + code24,
			[]want{inv(code20), inv(code24)}},
		{"channel", "https://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12", []want{{LinkChannel, "0029VaAbCdEfGhIjKlMnOp12", "https://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12"}}},
		{"channel www", "www.WhatsApp.com/channel/0029VaAbCdEfGhIjKlMnOp12.", []want{{LinkChannel, "0029VaAbCdEfGhIjKlMnOp12", "https://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12"}}},
		{"channel too short", "whatsapp.com/channel/abc", nil},
		{"wa.me", "write me: https://wa.me/34600000001!", []want{{LinkClickToChat, "34600000001", "https://wa.me/34600000001"}}},
		{"wa.me plus", "wa.me/+34600000001", []want{{LinkClickToChat, "34600000001", "https://wa.me/34600000001"}}},
		{"wa.me query", "https://wa.me/34600000001?text=hi", []want{{LinkClickToChat, "34600000001", "https://wa.me/34600000001"}}},
		{"wa.me leading zero is not E.164", "wa.me/0600000001", nil},
		{"wa.me digits then letters", "wa.me/34600abc", nil},
		{"wa.me too long", "wa.me/1234567890123456", nil},
		{"foo.wa.me is not wa.me", "foo.wa.me/34600000001", nil},
		{"api send", "https://api.whatsapp.com/send?phone=34600000001&text=x", []want{{LinkClickToChat, "34600000001", "https://wa.me/34600000001"}}},
		{"api send phone later", "https://api.whatsapp.com/send/?text=x&phone=%2B34600000001", []want{{LinkClickToChat, "34600000001", "https://wa.me/34600000001"}}},
		{"contact qr", "https://wa.me/qr/ABCDEFGHIJKL12", []want{{LinkContactQR, "ABCDEFGHIJKL12", "https://wa.me/qr/ABCDEFGHIJKL12"}}},
		{"no link", "the chat was on whatsapp yesterday", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FindLinks(tt.text)
			if len(got) != len(tt.want) {
				t.Fatalf("FindLinks(%q) = %+v, want %d links", tt.text, got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Kind != w.kind || g.Code != w.code || g.URL != w.url {
					t.Errorf("link %d = %s %q %q, want %s %q %q", i, g.Kind, g.Code, g.URL, w.kind, w.code, w.url)
				}
				if !strings.Contains(tt.text[g.Start:g.End], g.Code) {
					t.Errorf("link %d: text[%d:%d] = %q does not hold the code", i, g.Start, g.End, tt.text[g.Start:g.End])
				}
			}
		})
	}
}

func TestLinksDeduplicatesWithinAMessage(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	text := "chat.whatsapp.com/" + code22 + " again https://chat.whatsapp.com/invite/" + code22 + " and wa.me/34600000001"
	got := Links(text, "120363000000000001@g.us", "line:7", at)
	if len(got) != 2 {
		t.Fatalf("Links = %+v, want 2", got)
	}
	if got[0].Code != code22 || got[0].ChatJID != "120363000000000001@g.us" || got[0].MessageRowRef != "line:7" || !got[0].Time.Equal(at) {
		t.Errorf("first link = %+v", got[0])
	}
	if got[1].Kind != LinkClickToChat {
		t.Errorf("second link kind = %s", got[1].Kind)
	}
}

func FuzzFindLinks(f *testing.F) {
	for _, s := range []string{
		"https://chat.whatsapp.com/" + code22,
		"chat.whatsapp.com/invite/" + code24 + "?x",
		"whatsapp://chat?code=" + code20,
		"https://wa.me/34600000001", "wa.me/qr/ABCDEFGHIJKL12",
		"https://api.whatsapp.com/send?phone=34600000001",
		"www.whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
		"xchat.whatsapp.com/" + code22, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, g := range FindLinks(text) {
			if g.Start < 0 || g.End > len(text) || g.Start >= g.End {
				t.Fatalf("bad span %d:%d in %d bytes", g.Start, g.End, len(text))
			}
			if !strings.Contains(text[g.Start:g.End], g.Code) || g.Code == "" {
				t.Fatalf("code %q not inside its span %q", g.Code, text[g.Start:g.End])
			}
			if !strings.HasSuffix(g.URL, "/"+g.Code) || !strings.HasPrefix(g.URL, "https://") {
				t.Fatalf("URL %q not canonical for code %q", g.URL, g.Code)
			}
			for i := 0; i < len(g.Code); i++ {
				if !isAlnum(g.Code[i]) {
					t.Fatalf("code %q has %q", g.Code, g.Code[i])
				}
			}
			if !utf8.ValidString(g.URL) {
				t.Fatalf("URL %q is not UTF-8", g.URL)
			}
			// The canonical URL is itself found as the same link.
			again := FindLinks(g.URL)
			if len(again) != 1 || again[0].Kind != g.Kind || again[0].Code != g.Code {
				t.Fatalf("canonical URL %q re-parses as %+v, want %s %s", g.URL, again, g.Kind, g.Code)
			}
		}
	})
}
