package export

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"vigil/internal/store"
)

func parse(t *testing.T, text string, opt Options) (*File, []*Entry, Report) {
	t.Helper()
	f, es, rep, err := ParseBytes(context.Background(), []byte(text), opt)
	if err != nil {
		t.Fatalf("ParseBytes: %v", err)
	}
	return f, es, rep
}

func TestMultiLineAndContinuations(t *testing.T) {
	text := "01/02/2020, 10:00 - Ana: first line\nsecond line\n\nfourth after a blank\n" +
		"01/02/2020, 10:01 - Bo: IMG-20200201-WA0001.jpg (file attached)\na caption\non two lines\n" +
		"not a header 01/02/2020, 10:02 - x: y\n" +
		"01/02/2020, 10:03 - Ana: last"
	f, es, _ := parse(t, text, Options{})
	if f.Grammar != GrammarAndroid || f.Headers != 3 || f.Lines != 9 {
		t.Fatalf("grammar %s, %d headers, %d lines; want android, 3, 9", f.Grammar, f.Headers, f.Lines)
	}
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3", len(es))
	}
	if es[0].Text != "first line\nsecond line\n\nfourth after a blank" {
		t.Errorf("multi-line text = %q", es[0].Text)
	}
	if es[1].Attachment != "IMG-20200201-WA0001.jpg" || es[1].Type != store.TypeImage ||
		es[1].Caption != "a caption\non two lines\nnot a header 01/02/2020, 10:02 - x: y" {
		t.Errorf("attachment entry = %+v", es[1])
	}
	if es[2].Line != 9 || es[2].Text != "last" {
		t.Errorf("last entry = %+v", es[2])
	}
}

func TestCRLFAndBOM(t *testing.T) {
	text := "\ufeff[20.06.19, 15:58:47] Loris: hi\r\nthere\r\n[20.06.19, 15:59:00] John: ok\r\n"
	_, es, _ := parse(t, text, Options{})
	if len(es) != 2 || es[0].Author != "Loris" || es[0].Text != "hi\nthere" || es[1].Text != "ok" {
		t.Fatalf("entries = %+v %+v", es[0], es[1])
	}
}

func TestAuthorVersusSystemLines(t *testing.T) {
	android := strings.Join([]string{
		"10/06/2020, 15:55 - John-John Doe: Lorem ipsum : dolor sit amet.",
		`10/06/2020, 15:56 - Bob changed the subject from "Plans: 2020" to "Plans: 2021"`,
		"10/06/2020, 15:57 - You were added",
		"10/06/2020, 15:58 - John Doe:.",
		"10/06/2020, 15:59 - Ana: You were added",
	}, "\n")
	_, es, _ := parse(t, android, Options{})
	want := []struct {
		author string
		action string // "" for a message
	}{
		{"John-John Doe", ""}, {"", store.ActionSubject}, {"", store.ActionAdded}, {"", Unknown}, {"Ana", ""},
	}
	for i, w := range want {
		e := es[i]
		action := ""
		if e.System != nil {
			action = e.System.Action
		}
		if e.Author != w.author || action != w.action {
			t.Errorf("line %d: author %q action %q, want %q %q", e.Line, e.Author, action, w.author, w.action)
		}
	}
	if s := es[1].System; s.Old != "Plans: 2020" || s.New != "Plans: 2021" || s.Actor.Name != "Bob" {
		t.Errorf("subject change = %+v", s)
	}

	// iOS: system lines carry the chat's name and start with U+200E, or
	// are known phrases after the chat's name.
	ios := strings.Join([]string{
		"[29/11/2018, 10:50:41] Super Group: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.",
		"[29/11/2018, 10:50:42] Super Group: Josh added you",
		"[29/11/2018, 10:50:43] Josh: Yo",
		"[29/11/2018, 10:50:44] Josh: \u200eimage omitted",
		"[29/11/2018, 10:50:45] Ana: Josh added you", // Ana also writes messages: a message
		"[29/11/2018, 10:50:46] Ana: hello",
		"[29/11/2018, 10:50:47] Super Group: \u200eAna changed the group name to “New: name”",
	}, "\n")
	_, es, _ = parse(t, ios, Options{})
	if es[0].System == nil || es[0].System.Action != store.ActionEncryption || es[0].Author != "Super Group" {
		t.Errorf("e2e line = %+v", es[0])
	}
	if s := es[1].System; s == nil || s.Action != store.ActionAdded || s.Actor.Name != "Josh" || !reflect.DeepEqual(s.Targets, []Who{{You: true}}) {
		t.Errorf("added line = %+v", es[1])
	}
	if es[2].System != nil || es[2].Text != "Yo" {
		t.Errorf("message = %+v", es[2])
	}
	if es[3].System != nil || es[3].Type != store.TypeImage || !es[3].Omitted {
		t.Errorf("omitted image = %+v", es[3])
	}
	if es[4].System != nil || es[4].Text != "Josh added you" {
		t.Errorf("a phrase typed by a person who writes messages = %+v", es[4])
	}
	if s := es[6].System; s == nil || s.Action != store.ActionSubject || s.New != "New: name" {
		t.Errorf("subject = %+v", es[6])
	}
}

// The phrase catalog of spec §9.6, in Android and iOS spellings.
func TestPhraseCatalog(t *testing.T) {
	you := Who{You: true}
	n := func(s string) Who { return Who{Name: s} }
	tests := []struct {
		line string
		want System
	}{
		{"Messages to this group are now secured with end-to-end encryption. Tap for more info.", System{Action: store.ActionEncryption}},
		{"Messages you send to this group are now secured with end-to-end encryption. Tap for more info.", System{Action: store.ActionEncryption}},
		{`Ana created group "Plans"`, System{Action: store.ActionCreated, Actor: n("Ana"), New: "Plans"}},
		{`You created group "Plans"`, System{Action: store.ActionCreated, Actor: you, New: "Plans"}},
		{"Ana created group “Plans”", System{Action: store.ActionCreated, Actor: n("Ana"), New: "Plans"}},
		{"Ana created this group", System{Action: store.ActionCreated, Actor: n("Ana")}},
		{"Ana added Bo", System{Action: store.ActionAdded, Actor: n("Ana"), Targets: []Who{n("Bo")}}},
		{"Ana added you", System{Action: store.ActionAdded, Actor: n("Ana"), Targets: []Who{you}}},
		{"You added Bo, Cy and +34 600 000 001", System{Action: store.ActionAdded, Actor: you, Targets: []Who{n("Bo"), n("Cy"), n("+34 600 000 001")}}},
		{"You were added", System{Action: store.ActionAdded, Targets: []Who{you}}},
		{"Bo joined using this group's invite link", System{Action: store.ActionJoinedByLink, Targets: []Who{n("Bo")}}},
		{"Bo joined using this group’s invite link", System{Action: store.ActionJoinedByLink, Targets: []Who{n("Bo")}}},
		{"Bo joined using a group link", System{Action: store.ActionJoinedByLink, Targets: []Who{n("Bo")}}},
		{"You joined using this group's invite link", System{Action: store.ActionJoinedByLink, Targets: []Who{you}}},
		{"Bo left", System{Action: store.ActionLeft, Targets: []Who{n("Bo")}}},
		{"You left", System{Action: store.ActionLeft, Targets: []Who{you}}},
		{"Ana removed Bo", System{Action: store.ActionRemoved, Actor: n("Ana"), Targets: []Who{n("Bo")}}},
		{"Ana removed you", System{Action: store.ActionRemoved, Actor: n("Ana"), Targets: []Who{you}}},
		{"Bo was removed", System{Action: store.ActionRemoved, Targets: []Who{n("Bo")}}},
		{`Ana changed the subject from "A" to "B"`, System{Action: store.ActionSubject, Actor: n("Ana"), Old: "A", New: "B"}},
		{`Ana changed the group name from "A" to "B"`, System{Action: store.ActionSubject, Actor: n("Ana"), Old: "A", New: "B"}},
		{"Ana changed the group name to “B”", System{Action: store.ActionSubject, Actor: n("Ana"), New: "B"}},
		{"Ana changed the group description", System{Action: store.ActionDescription, Actor: n("Ana")}},
		{"Ana changed this group's icon", System{Action: store.ActionIcon, Actor: n("Ana")}},
		{"Ana deleted this group's icon", System{Action: store.ActionIcon, Actor: n("Ana")}},
		{"Ana changed this group's settings to allow only admins to send messages to this group", System{Action: store.ActionSettings, Actor: n("Ana")}},
		{"Ana reset this group's invite link", System{Action: store.ActionLinkReset, Actor: n("Ana")}},
		{"You're now an admin", System{Action: store.ActionAdminPromoted, Targets: []Who{you}}},
		{"You’re no longer an admin", System{Action: store.ActionAdminDemoted, Targets: []Who{you}}},
		{"Ana pinned a message", System{Action: ActionPinned, Actor: n("Ana")}},
		{"Ana changed their phone number to a new number. Tap to message or add the new number.", System{Action: store.ActionNumberChanged, Actor: n("Ana")}},
		{"+34 600 000 001 changed to +34 600 000 002", System{Action: store.ActionNumberChanged, Actor: n("+34 600 000 001"), Targets: []Who{n("+34 600 000 002")}, Old: "+34 600 000 001", New: "+34 600 000 002"}},
		{"Your security code with Bo changed. Tap to learn more.", System{Action: store.ActionSecurityCode, Targets: []Who{n("Bo")}}},
		{"Ana adicionou Bo", System{Action: store.ActionAdded, Actor: n("Ana"), Targets: []Who{n("Bo")}}},
		{"Ana removeu Bo e Cy", System{Action: store.ActionRemoved, Actor: n("Ana"), Targets: []Who{n("Bo"), n("Cy")}}},
		{"Bo saiu", System{Action: store.ActionLeft, Targets: []Who{n("Bo")}}},
		{"Bo entrou usando o link de convite deste grupo", System{Action: store.ActionJoinedByLink, Targets: []Who{n("Bo")}}},
		{"Você entrou usando o link de convite deste grupo", System{Action: store.ActionJoinedByLink, Targets: []Who{you}}},
		{"\u200eAna added Bo", System{Action: store.ActionAdded, Actor: n("Ana"), Targets: []Who{n("Bo")}}},
	}
	for _, tt := range tests {
		got := matchSystem(tt.line)
		if got == nil {
			t.Errorf("matchSystem(%q) = nil", tt.line)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("matchSystem(%q)\n got %+v\nwant %+v", tt.line, *got, tt.want)
		}
	}
	for _, line := range []string{"", "hello", "Messages are great", strings.Repeat("a", 3000) + " left"} {
		if got := matchSystem(line); got != nil {
			t.Errorf("matchSystem(%q) = %+v, want nil", line, got)
		}
	}
}

func TestMediaMarkers(t *testing.T) {
	tests := []struct {
		text       string
		typ        string
		attachment string
		mediaName  string
		omitted    bool
		caption    string
	}{
		{"IMG-20210428-WA0001.jpg (file attached)\nnice", store.TypeImage, "IMG-20210428-WA0001.jpg", "", false, "nice"},
		{"VID-20210428-WA0002.mp4 (file attached)", store.TypeVideo, "VID-20210428-WA0002.mp4", "", false, ""},
		{"PTT-20210428-WA0003.opus (file attached)", store.TypeVoice, "PTT-20210428-WA0003.opus", "", false, ""},
		{"AUD-20210428-WA0004.mp3 (file attached)", store.TypeAudio, "AUD-20210428-WA0004.mp3", "", false, ""},
		{"STK-20210428-WA0005.webp (file attached)", store.TypeSticker, "STK-20210428-WA0005.webp", "", false, ""},
		{"DOC-20210428-WA0006.pdf (file attached)", store.TypeDocument, "DOC-20210428-WA0006.pdf", "", false, ""},
		{"Plan (final).pdf (file attached)", store.TypeDocument, "Plan (final).pdf", "Plan (final).pdf", false, ""},
		{"Ana.vcf (file attached)", store.TypeContact, "Ana.vcf", "", false, ""},
		{"4f2680f1db95a8454775cc2eefc95bfc.jpg (Datei angehängt)", store.TypeDocument, "4f2680f1db95a8454775cc2eefc95bfc.jpg", "4f2680f1db95a8454775cc2eefc95bfc.jpg", false, ""},
		{"<Media omitted>", TypeMedia, "", "", true, ""},
		{"\u200e<attached: 00000042-PHOTO-2020-06-07-15-13-20.jpg>", store.TypeImage, "00000042-PHOTO-2020-06-07-15-13-20.jpg", "", false, ""},
		{"<attached: 00000043-VIDEO-2020-06-07-15-13-21.mp4>", store.TypeVideo, "00000043-VIDEO-2020-06-07-15-13-21.mp4", "", false, ""},
		{"<attached: 00000044-AUDIO-2020-06-07-15-13-22.opus>", store.TypeVoice, "00000044-AUDIO-2020-06-07-15-13-22.opus", "", false, ""},
		{"<attached: 00000045-STICKER-2020-06-07-15-13-23.webp>", store.TypeSticker, "00000045-STICKER-2020-06-07-15-13-23.webp", "", false, ""},
		{"<attached: 00000046-GIF-2020-06-07-15-13-24.mp4>", store.TypeGIF, "00000046-GIF-2020-06-07-15-13-24.mp4", "", false, ""},
		{"<attached: 00000004-Report 2020.pdf>", store.TypeDocument, "00000004-Report 2020.pdf", "Report 2020.pdf", false, ""},
		{"2015-08-04-PHOTO-00004762.jpg <\u200eattached>", store.TypeImage, "2015-08-04-PHOTO-00004762.jpg", "", false, ""},
		{"\u200eimage omitted", store.TypeImage, "", "", true, ""},
		{"\u200evideo omitted", store.TypeVideo, "", "", true, ""},
		{"\u200esticker omitted", store.TypeSticker, "", "", true, ""},
		{"\u200eGIF omitted", store.TypeGIF, "", "", true, ""},
		{"\u200eContact card omitted", store.TypeContact, "", "", true, ""},
		{"imagen omitida", store.TypeImage, "", "", true, ""},
		{"\u200eReport.pdf • \u200e3 pages \u200edocument omitted", store.TypeDocument, "", "Report.pdf", true, ""},
		{"This message was deleted", store.TypeDeleted, "", "", false, ""},
		{"\u200eYou deleted this message.", store.TypeDeleted, "", "", false, ""},
		// Markers count only as the whole body.
		{"the image omitted half the story", store.TypeText, "", "", false, ""},
		{"<Media omitted>\nand more", store.TypeText, "", "", false, ""},
		{"see <attached: x.jpg> here", store.TypeText, "", "", false, ""},
		{"<attached: ../../etc/passwd>", store.TypeText, "", "", false, ""}, // not a file name beside the export
	}
	for _, tt := range tests {
		m := classifyMessage(tt.text)
		if m.typ != tt.typ || m.attachment != tt.attachment || m.mediaName != tt.mediaName || m.omitted != tt.omitted || m.caption != tt.caption {
			t.Errorf("classifyMessage(%q) = %+v\nwant type %s attachment %q name %q omitted %v caption %q", tt.text, m, tt.typ, tt.attachment, tt.mediaName, tt.omitted, tt.caption)
		}
	}
	m := classifyMessage("POLL:\nWhen?\nOPTION: Thu (2 votes)")
	if m.typ != store.TypePoll || m.text != "When?\nOPTION: Thu (2 votes)" {
		t.Errorf("poll = %+v", m)
	}
}

func TestPreambleIsKept(t *testing.T) {
	text := "some words before\nthe first header\n01/02/2020, 10:00 - Ana: hi"
	f, es, _ := parse(t, text, Options{})
	if f.Preamble != 2 || len(es) != 2 {
		t.Fatalf("preamble %d, %d entries; want 2, 2", f.Preamble, len(es))
	}
	if es[0].System == nil || es[0].System.Action != Unknown || es[0].Text != "some words before\nthe first header" || es[0].Time != es[1].Time {
		t.Errorf("preamble entry = %+v", es[0])
	}
}

func TestBadDatesBecomeContinuations(t *testing.T) {
	text := "25/01/2020, 10:00 - Ana: hi\n31/02/2020, 10:01 - Bo: impossible date\n26/01/2020, 10:02 - Ana: bye"
	_, es, rep := parse(t, text, Options{})
	if rep.BadDates != 1 || rep.FirstBadDate != 2 {
		t.Errorf("report = %+v", rep)
	}
	if len(es) != 2 || es[0].Text != "hi\n31/02/2020, 10:01 - Bo: impossible date" {
		t.Errorf("entries = %+v", es)
	}
}

func TestDateOrderOverride(t *testing.T) {
	text := "01/02/2020, 10:00 - Ana: hi\n03/02/2020, 10:00 - Ana: hi"
	f, es, _ := parse(t, text, Options{DateOrder: "mdy"})
	if f.Order != "mdy" || f.OrderBasis != "override" {
		t.Errorf("order %s (%s)", f.Order, f.OrderBasis)
	}
	if want := time.Date(2020, 1, 2, 10, 0, 0, 0, time.UTC); !es[0].Time.Equal(want) {
		t.Errorf("time %v, want %v", es[0].Time, want)
	}
	f, es, _ = parse(t, text, Options{})
	if f.Order != "dmy" || !es[0].Time.Equal(time.Date(2020, 2, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("inferred %s, time %v", f.Order, es[0].Time)
	}
}

func TestInvalidUTF8IsReplacedAndCounted(t *testing.T) {
	text := "01/02/2020, 10:00 - An\xffa: h\xc3i\n\xfe\xfe\n01/02/2020, 10:01 - Bo: ok"
	f, es, _ := parse(t, text, Options{})
	if f.Replaced != 4 {
		t.Errorf("replaced %d, want 4", f.Replaced)
	}
	if es[0].Author != "An\ufffda" || es[0].Text != "h\ufffdi\n\ufffd\ufffd" {
		t.Errorf("entry = %q %q", es[0].Author, es[0].Text)
	}
}

func TestUnknownLocale(t *testing.T) {
	// A Korean-style export puts the meridiem before the time: no header
	// of the grammar, so a clear error rather than an empty result.
	text := "2019. 1. 1. 오후 1:55, 민수 : 안녕\n2019. 1. 1. 오후 1:56, 지영 : 네"
	_, err := Inspect(context.Background(), strings.NewReader(text), Options{})
	if !errors.Is(err, ErrNoHeaders) {
		t.Fatalf("Inspect = %v, want ErrNoHeaders", err)
	}
	// Unknown system phrases in a known grammar are kept whole.
	_, es, _ := parse(t, "01/02/2020, 10:00 - Ana hat Bo hinzugefügt\n01/02/2020, 10:01 - Bo: hallo", Options{})
	if es[0].System == nil || es[0].System.Action != Unknown || es[0].Text != "Ana hat Bo hinzugefügt" {
		t.Errorf("unknown system line = %+v", es[0])
	}
}

// A 10 MB message on a single line is read whole, with the reader's
// buffer, not a scanner's line limit.
func TestLongSingleLine(t *testing.T) {
	long := strings.Repeat("x", 10<<20)
	text := "01/02/2020, 10:00 - Ana: " + long + "\n01/02/2020, 10:01 - Bo: short\n"
	f, es, _ := parse(t, text, Options{})
	if len(es) != 2 || len(es[0].Text) != len(long) || es[1].Text != "short" || f.Truncated != 0 {
		t.Fatalf("%d entries, first text %d bytes, truncated %d", len(es), len(es[0].Text), f.Truncated)
	}
	// With a smaller bound the line is cut and counted.
	f, es, _ = parse(t, text, Options{MaxText: 1 << 20})
	if f.Truncated != 1 || len(es[0].Text) > 1<<20 || es[1].Text != "short" {
		t.Errorf("bounded: truncated %d, first text %d bytes, second %q", f.Truncated, len(es[0].Text), es[1].Text)
	}
}

func TestEachStopsOnCallbackError(t *testing.T) {
	text := []byte("01/02/2020, 10:00 - Ana: a\n01/02/2020, 10:01 - Ana: b\n")
	f, err := Inspect(context.Background(), bytes.NewReader(text), Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	_, err = f.Each(context.Background(), bytes.NewReader(text), func(*Entry) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Each = %v after %d entries", err, n)
	}
}

func TestNoPossibleDate(t *testing.T) {
	_, _, _, err := ParseBytes(context.Background(), []byte("31/02/2020, 10:00 - Ana: hi\n30/02/2020, 10:00 - Ana: hi\n"), Options{DateOrder: "dmy"})
	if !errors.Is(err, ErrNoDates) {
		t.Errorf("ParseBytes = %v, want ErrNoDates", err)
	}
}
