// Package android reads WhatsApp's Android artifacts (research spec §3–§5):
// msgstore.db in its three schema generations (legacy, transitional,
// modern, with LIDs), wa.db (contact names, group creators and
// descriptions) and the shared preferences file that names the phone's
// owner. Databases are read from the intake's scratch copy, opened
// read-only with their -wal applied; every column is looked up before it
// is used; raw codes are kept beside their decoded names.
package android

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync/atomic"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/store"
)

// DefaultBatchSize is how many rows (messages, events, links) are written
// per transaction. Each commit rewrites every index page its rows touched
// (in WAL frames), and messages spread over many chats touch most pages of
// the message indexes: a million messages in 10,000 chats spend a third
// of their storing time committing in batches of 10,000, an eighth in
// batches of 50,000. An interrupted extraction restarts from the start of
// the file whatever the batch size (BeginArtifact), so larger batches
// cost only memory (some 20 MB).
const DefaultBatchSize = 50000

// underWhatsApp reports whether a path lies in one of WhatsApp's folders.
func underWhatsApp(p string) bool {
	l := strings.ToLower(p)
	return strings.Contains(l, "com.whatsapp") || strings.Contains(l, "/whatsapp/") || strings.HasPrefix(l, "whatsapp/")
}

func isSQLite(head []byte) bool {
	return len(head) >= len(artifact.SQLiteMagic) && string(head[:len(artifact.SQLiteMagic)]) == artifact.SQLiteMagic
}

// emitter gathers findings into batches and writes each through the store.
type emitter struct {
	ctx   context.Context
	write func(store.ArtifactBatch) error
	size  int
	b     store.ArtifactBatch
	rows  int
}

func newEmitter(ctx context.Context, size int, write func(store.ArtifactBatch) error) *emitter {
	if size <= 0 {
		size = DefaultBatchSize
	}
	return &emitter{ctx: ctx, write: write, size: size}
}

func (e *emitter) account(a store.Account) { e.b.Accounts = append(e.b.Accounts, a) }
func (e *emitter) chat(c store.Chat)       { e.b.Chats = append(e.b.Chats, c) }
func (e *emitter) member(m store.Member)   { e.b.Members = append(e.b.Members, m) }

func (e *emitter) message(m store.Message) error {
	e.b.Messages = append(e.b.Messages, m)
	return e.row()
}

func (e *emitter) event(ev store.Event) error {
	e.b.Events = append(e.b.Events, ev)
	return e.row()
}

func (e *emitter) link(l store.Link) error {
	e.b.Links = append(e.b.Links, l)
	return e.row()
}

func (e *emitter) row() error {
	e.rows++
	if e.rows < e.size {
		return nil
	}
	return e.flush()
}

func (e *emitter) flush() error {
	if err := e.ctx.Err(); err != nil {
		return err
	}
	b := e.b
	if len(b.Accounts)+len(b.Chats)+len(b.Members)+len(b.Messages)+len(b.Events)+len(b.Links) == 0 && b.Generation == "" {
		return nil
	}
	e.b, e.rows = store.ArtifactBatch{}, 0
	if err := e.write(b); err != nil {
		return &writeError{err}
	}
	return nil
}

// writeError is a failure to store findings: it stops the reading, where
// a failure to read a part of the evidence only skips that part.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// problems counts what a reader had to work around, for warnings that
// summarise instead of flooding the artifact record.
type problems struct {
	warn   func(format string, args ...any)
	counts map[string]int
	first  map[string]string
}

func newProblems(warn func(string, ...any)) *problems {
	if warn == nil {
		warn = func(string, ...any) {}
	}
	return &problems{warn: warn, counts: map[string]int{}, first: map[string]string{}}
}

// note counts a problem of a kind; the first example is kept.
func (p *problems) note(kind, format string, args ...any) {
	p.counts[kind]++
	if p.counts[kind] == 1 {
		p.first[kind] = fmt.Sprintf(format, args...)
	}
}

// report turns the counts into warnings.
func (p *problems) report() {
	kinds := make([]string, 0, len(p.counts))
	for k := range p.counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		if p.counts[k] == 1 {
			p.warn("%s: %s", k, p.first[k])
		} else {
			p.warn("%s: %d times (first: %s)", k, p.counts[k], p.first[k])
		}
	}
}

// text decodes a text column, counting invalid UTF-8.
func (p *problems) text(v any, where string) string {
	s, bad := whatsapp.Text(v)
	if bad {
		p.note("invalid UTF-8 replaced with U+FFFD", "%s", where)
	}
	return s
}

func baseName(p string) string { return strings.ToLower(path.Base(p)) }

// asyncWrite runs write in its own goroutine, one batch at a time, so that
// reading the next batch overlaps storing this one. send hands a batch
// over (and reports an earlier failure to store); wait ends the writing
// and returns its first error.
func asyncWrite(ctx context.Context, write func(store.ArtifactBatch) error) (send func(store.ArtifactBatch) error, wait func() error) {
	ch := make(chan store.ArtifactBatch)
	done := make(chan error, 1)
	var failed atomic.Pointer[error]
	go func() {
		var err error
		for b := range ch {
			if err != nil {
				continue // drain: the reader stops at its next send
			}
			if err = write(b); err != nil {
				failed.Store(&err)
			}
		}
		done <- err
	}()
	send = func(b store.ArtifactBatch) error {
		if e := failed.Load(); e != nil {
			return *e
		}
		select {
		case ch <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	wait = func() error {
		close(ch)
		return <-done
	}
	return send, wait
}
