package export

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/store"
)

// Options tune how an export is read.
type Options struct {
	// DateOrder overrides the per-file inference of the date's order
	// ("" infers it; see ParseOrder).
	DateOrder Order
	// Location is the time zone of the exporting phone's wall clock, which
	// is all an export writes; nil reads times as UTC.
	Location *time.Location
	// ChatName is the chat's name as the file name gives it ("WhatsApp
	// Chat with <name>.txt"), "" when unknown. It helps tell iOS system
	// lines, which carry the chat's name, from messages.
	ChatName string
	// MaxText bounds one message's text in bytes (default 64 MiB); longer
	// text is cut and counted in File.Truncated.
	MaxText int
}

// DefaultMaxText is the default bound of one message's text.
const DefaultMaxText = 64 << 20

// Grammars.
const (
	GrammarAndroid = "android" // "12/07/2017, 22:35 - Name: text"
	GrammarIOS     = "ios"     // "[29/11/2018, 10:50:41] Name: text"
	GrammarIOSOld  = "ios-old" // "12.07.2017, 22:35:22: Name: text"
)

// File is what a first pass over an export learns: its grammar, its date
// order and the rule that decided it, the names that write messages.
// Each then reads the entries.
type File struct {
	opt Options

	Grammar    string // the form most headers have
	Order      Order  // the date order used
	OrderBasis string // the rule that decided it ("override" when set)
	Clock12    bool   // a 12-hour clock was seen
	Lines      int    // lines read
	Headers    int    // lines that start a message or system line
	Preamble   int    // lines before the first header (kept as a system entry)
	Replaced   int    // invalid UTF-8 sequences replaced by U+FFFD
	Truncated  int    // lines cut to MaxText

	forms     map[byte]int
	authors   map[string]*authorStat
	lineCount int
}

type authorStat struct {
	messages int // texts that are not system phrases
	phrases  int // texts that read like a system phrase
}

// ErrNoHeaders is wrapped by the error for a file in which no line starts
// like a WhatsApp export line.
var ErrNoHeaders = errors.New("no line starts with a WhatsApp export header")

// ErrNoDates is wrapped by the error for an export none of whose header
// lines has a possible date in the file's date order.
var ErrNoDates = errors.New("no valid date in the export")

// Inspect reads an export once to learn its grammar and date order.
func Inspect(ctx context.Context, r io.Reader, opt Options) (*File, error) {
	if opt.MaxText <= 0 {
		opt.MaxText = DefaultMaxText
	}
	f := &File{opt: opt, forms: map[byte]int{}, authors: map[string]*authorStat{}}
	var vote orderVote
	err := f.lines(ctx, r, func(line string) error {
		h, ok := parseHeader(line)
		if !ok {
			if f.Headers == 0 {
				f.Preamble++
			}
			return nil
		}
		f.Headers++
		f.forms[h.form]++
		vote.add(&h)
		if h.form != formDash {
			body := line[h.body:]
			if name, text, ok := splitAuthor(body); ok {
				a := f.authors[name]
				if a == nil {
					if len(f.authors) > 1<<16 {
						return nil // a hostile file with endless names: stop counting
					}
					a = &authorStat{}
					f.authors[name] = a
				}
				if startsWithMark(text) || matchSystem(text) != nil {
					a.phrases++
				} else {
					a.messages++
				}
			}
		}
		return nil
	})
	f.Lines = f.lineCount
	if err != nil {
		return f, err
	}
	if f.Headers == 0 {
		return f, fmt.Errorf("%w (date, time, then \" - \", \"] \" or \": \"): not a chat export, or a format Vigil does not know", ErrNoHeaders)
	}
	best := 0
	for _, g := range []struct {
		form    byte
		grammar string
	}{{formBracket, GrammarIOS}, {formDash, GrammarAndroid}, {formColon, GrammarIOSOld}} {
		if n := f.forms[g.form]; n > best {
			best, f.Grammar = n, g.grammar
		}
	}
	f.Clock12 = vote.twelve
	if opt.DateOrder != "" {
		f.Order, f.OrderBasis = opt.DateOrder, "override"
	} else {
		f.Order, f.OrderBasis = vote.decide()
	}
	return f, nil
}

// Entry is one message or system line of an export.
type Entry struct {
	Line int       // the header's line number, from 1
	Time time.Time // in UTC
	// Author is the sender's name as the export writes it. On system
	// lines it is the chat's name when the export puts one before them
	// (iOS), else "".
	Author string
	// System is set for system lines (no sender).
	System *System
	// Type is a case store message type name (TypeMedia for Android's
	// "<Media omitted>").
	Type    string
	Text    string // message text; a system line's whole text
	Caption string // the lines after an attachment line
	// Attachment is the name of the attached file beside the export ("" for
	// none); Omitted marks media the export left out.
	Attachment string
	MediaName  string // a document's original name, when the export shows it
	Omitted    bool
}

// Report counts what a pass over the entries had to work around.
type Report struct {
	BadDates     int // header lines whose date is impossible in the file's order, read as continuation lines
	FirstBadDate int // line number of the first of them
	CutLines     int // continuation lines left out because the message had reached MaxText
}

// Each reads the export again (r must hold the same bytes Inspect read)
// and calls fn for every entry in file order. Continuation lines are
// joined to their entry with "\n"; lines before the first header become a
// system entry of their own, timed like the first header.
func (f *File) Each(ctx context.Context, r io.Reader, fn func(*Entry) error) (Report, error) {
	var (
		rep      Report
		cur      *header
		curLine  int
		curTime  time.Time
		body     strings.Builder
		preamble strings.Builder
		havePre  bool
		lineNo   int
	)
	loc := f.opt.Location
	if loc == nil {
		loc = time.UTC
	}
	flush := func() error {
		if cur == nil {
			return nil
		}
		e := f.entry(cur, body.String())
		e.Line, e.Time = curLine, curTime.UTC()
		body.Reset()
		cur = nil
		return fn(e)
	}
	appendLine := func(b *strings.Builder, line string) {
		if b.Len()+1+len(line) > f.opt.MaxText {
			rep.CutLines++
			return
		}
		b.WriteByte('\n')
		b.WriteString(line)
	}
	err := f.lines(ctx, r, func(line string) error {
		lineNo++
		h, ok := parseHeader(line)
		var t time.Time
		if ok {
			var err error
			if t, err = h.wallClock(f.Order, loc); err != nil {
				ok = false
				if rep.BadDates == 0 {
					rep.FirstBadDate = lineNo
				}
				rep.BadDates++
			}
		}
		if !ok {
			if cur == nil {
				if havePre {
					appendLine(&preamble, line)
				} else {
					preamble.WriteString(line)
					havePre = true
				}
				return nil
			}
			appendLine(&body, line)
			return nil
		}
		if err := flush(); err != nil {
			return err
		}
		if havePre {
			pre := preamble.String()
			preamble.Reset()
			havePre = false
			if err := fn(&Entry{Line: 1, Time: t.UTC(), System: &System{Action: Unknown}, Text: pre}); err != nil {
				return err
			}
		}
		cur, curLine, curTime = &h, lineNo, t
		body.WriteString(line[h.body:])
		return nil
	})
	if err != nil {
		return rep, err
	}
	if havePre {
		// No header had a possible date: nothing to time the lines by.
		return rep, fmt.Errorf("%w: %d header lines, none with a possible date in order %s (set the date order?)", ErrNoDates, rep.BadDates, f.Order)
	}
	return rep, flush()
}

// entry classifies one header's body (spec §9.4).
func (f *File) entry(h *header, body string) *Entry {
	name, text, split := splitAuthor(body)
	if !split {
		// No "Name: ": a system line without a name (Android, and the
		// iOS lines some exports write).
		return f.system("", body)
	}
	if h.form != formDash {
		// iOS puts the chat's name before system lines; their text starts
		// with U+200E (unless it is a media marker) or is a known phrase.
		if startsWithMark(text) {
			if m := classifyMessage(text); m.typ == store.TypeText {
				return f.system(name, text)
			}
		}
		if s := matchSystem(firstLine(text)); s != nil && f.systemName(name) {
			e := f.system(name, text)
			return e
		}
	}
	m := classifyMessage(text)
	return &Entry{Author: name, Type: m.typ, Text: m.text, Caption: m.caption,
		Attachment: m.attachment, MediaName: m.mediaName, Omitted: m.omitted}
}

// systemName reports whether name, written before a text that reads like
// a system phrase, is the chat's name rather than a person who typed the
// phrase: it is the chat's name, or the name never writes anything else.
func (f *File) systemName(name string) bool {
	if f.opt.ChatName != "" && name == f.opt.ChatName {
		return true
	}
	a := f.authors[name]
	return a == nil || a.messages == 0
}

func (f *File) system(chatName, text string) *Entry {
	text = strings.TrimLeftFunc(text, func(r rune) bool { return r == ' ' || isMark(r) })
	s := matchSystem(firstLine(text))
	if s == nil {
		s = &System{Action: Unknown}
	}
	return &Entry{Author: chatName, System: s, Text: text}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// lines calls fn for each line of r, without its line ending, as valid
// UTF-8 (invalid sequences replaced by U+FFFD and counted), cut to MaxText.
// Lines of any length are read; only MaxText bytes of each are kept.
func (f *File) lines(ctx context.Context, r io.Reader, fn func(string) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		long    []byte // the pieces of a line longer than the buffer
		partial bool
		total   int
	)
	f.lineCount, f.Replaced, f.Truncated = 0, 0, 0
	for {
		chunk, err := br.ReadSlice('\n')
		total += len(chunk)
		if err == bufio.ErrBufferFull {
			long, partial = appendCapped(long, chunk, f.opt.MaxText), true
			continue
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading line %d: %w", f.lineCount+1, err)
		}
		if err == io.EOF && total == 0 {
			return nil
		}
		line := chunk
		if partial {
			long = appendCapped(long, chunk, f.opt.MaxText)
			line = long
		}
		if len(line) > f.opt.MaxText || total > f.opt.MaxText+2 {
			f.Truncated++
			if len(line) > f.opt.MaxText {
				line = line[:f.opt.MaxText]
			}
		}
		f.lineCount++
		if f.lineCount&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s := f.valid(trimEOL(line))
		long, partial, total = long[:0], false, 0
		if cap(long) > 1<<20 {
			long = nil // do not keep a huge buffer for the rest of the file
		}
		if ferr := fn(s); ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return nil
		}
	}
}

func appendCapped(dst, src []byte, max int) []byte {
	if room := max - len(dst); room < len(src) {
		if room <= 0 {
			return dst
		}
		src = src[:room]
	}
	return append(dst, src...)
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// valid returns b as a string, replacing each invalid UTF-8 sequence by
// U+FFFD and counting it.
func (f *File) valid(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			f.Replaced++
			sb.WriteRune(utf8.RuneError)
			b = b[1:]
			continue
		}
		sb.Write(b[:n])
		b = b[n:]
	}
	return sb.String()
}

// ParseBytes reads a whole export held in memory: Inspect, then Each,
// collecting the entries.
func ParseBytes(ctx context.Context, b []byte, opt Options) (*File, []*Entry, Report, error) {
	f, err := Inspect(ctx, bytes.NewReader(b), opt)
	if err != nil {
		return f, nil, Report{}, err
	}
	var out []*Entry
	rep, err := f.Each(ctx, bytes.NewReader(b), func(e *Entry) error {
		out = append(out, e)
		return nil
	})
	return f, out, rep, err
}
