// Package ios reads WhatsApp's iOS databases (spec §6): ChatStorage.sqlite
// (chats, groups, members, messages with the SHA-256 of their media, group
// events), ContactsV2.sqlite (address-book names, LIDs) and LID.sqlite
// (LID ↔ phone number).
//
// A file is recognised by its tables, never by its name alone (spec
// §1.1): ZWAMESSAGE and ZWACHATSESSION make a ChatStorage,
// ZWAADDRESSBOOKCONTACT a ContactsV2, ZWAPHONENUMBERLIDPAIR a LID
// database. Columns are looked up, not assumed; raw codes are kept beside
// their names; codes no table knows decode to "unknown(n)". The scratch
// copy is opened read-only (mode=ro, query_only), with its WAL.
//
// Who is who: messages and events name people by the JID the database
// uses, which may be a LID ("…@lid"); the LID ↔ phone mappings the files
// hold are written as accounts (Account.LID), and the case store merges
// the two identities. The device's owner is the ZTOJID of group event
// rows (WhatsApp addresses them to the owner), else the creator recorded
// for a group whose "created" event names no member (the owner created
// it), else store.OwnerJID, which the store resolves to the owner named by
// another source.
package ios

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"sort"
	"strings"

	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/phone"
	"vigil/internal/store"
)

// Extractor reads ChatStorage.sqlite, ContactsV2.sqlite and LID.sqlite.
type Extractor struct {
	// BatchSize is how many messages are written per transaction
	// (default 5000).
	BatchSize int
}

// Name identifies the extractor.
func (x *Extractor) Name() string { return "whatsapp/ios" }

// File names, and the names iTunes/Finder backups give the same files
// (SHA-1 of domain and path, spec §6.1).
var names = map[string]bool{
	"ChatStorage.sqlite": true, "ContactsV2.sqlite": true, "LID.sqlite": true,
	"7c7fba66680ef796b916b067077cc246adacf01d": true, // ChatStorage
	"b8548dc30aa1030df0ce18ef08b882cf7ab5212f": true, // ContactsV2
	"e794f6ffcc3c222535f47684a63d5178da3c4500": true, // LID
	"724bd3b98b18518b455a87c1f3ac3a0d189c4466": true, // WhatsApp Business ChatStorage
}

// tableMarks are table names that, seen in a database's first page, say
// it is one of ours whatever its name.
var tableMarks = [][]byte{[]byte("ZWAMESSAGE"), []byte("ZWAADDRESSBOOKCONTACT"), []byte("ZWAPHONENUMBERLIDPAIR")}

// Claims reports whether the file is a SQLite database named like one of
// WhatsApp's iOS databases (or their backup names), or whose first page
// shows one of their tables; without a head, whether the name is one of
// theirs. Probe then decides by the tables.
func (x *Extractor) Claims(p string, head []byte) bool {
	if head == nil {
		return names[path.Base(p)] // asked by name alone
	}
	if !bytes.HasPrefix(head, []byte(artifact.SQLiteMagic)) {
		return false
	}
	if names[path.Base(p)] {
		return true
	}
	for _, m := range tableMarks {
		if bytes.Contains(head, m) {
			return true
		}
	}
	return false
}

// Kinds of database.
const (
	KindChatStorage = "ios-chatstorage"
	KindContacts    = "ios-contacts"
	KindLID         = "ios-lid"
)

// Detect tells which of WhatsApp's iOS databases db is, by its tables; ""
// when it is none.
func Detect(db *whatsapp.DB) string {
	switch {
	case db.HasTable("ZWAMESSAGE") && db.HasTable("ZWACHATSESSION"):
		return KindChatStorage
	case db.HasTable("ZWAADDRESSBOOKCONTACT"):
		return KindContacts
	case db.HasTable("ZWAPHONENUMBERLIDPAIR"):
		return KindLID
	}
	return ""
}

// Probe opens the scratch copy and reports whether it is one of the
// databases this extractor reads.
func (x *Extractor) Probe(ctx context.Context, local string) (bool, error) {
	db, err := whatsapp.OpenDB(ctx, local)
	if err != nil {
		return false, err
	}
	defer db.Close()
	return Detect(db) != "", nil
}

// Extract reads the database: detect, then read every table it knows,
// writing in batches.
func (x *Extractor) Extract(ctx context.Context, in *artifact.Input) error {
	db, err := whatsapp.OpenDB(ctx, in.Local)
	if err != nil {
		return fmt.Errorf("whatsapp ios %s: %w", in.Path, err)
	}
	defer db.Close()
	kind := Detect(db)
	if kind == "" {
		return fmt.Errorf("whatsapp ios %s: %w (none of the tables ZWAMESSAGE+ZWACHATSESSION, ZWAADDRESSBOOKCONTACT, ZWAPHONENUMBERLIDPAIR)", in.Path, whatsapp.ErrNotWhatsApp)
	}
	r := newReader(ctx, db, in, x.BatchSize)
	switch kind {
	case KindChatStorage:
		err = r.chatStorage()
	case KindContacts:
		err = r.contacts()
	case KindLID:
		err = r.lidPairs()
		if err == nil {
			err = r.flush(true)
		}
	}
	r.report()
	if err != nil {
		return fmt.Errorf("whatsapp ios %s: %w", in.Path, err)
	}
	return nil
}

// reader holds one extraction's state.
type reader struct {
	ctx  context.Context
	db   *whatsapp.DB
	in   *artifact.Input
	warn func(string, ...any)
	size int
	dir  string // the database's folder in its source

	kind     string
	b        store.ArtifactBatch
	accounts map[string]*store.Account
	accOrder []string
	wrote    bool // the first batch (accounts, chats, members) is out

	// problems counted while reading, reported once at the end
	replaced  int
	counts    map[string]int
	unknownTy map[int]int
	unknownEv map[int]int
}

func newReader(ctx context.Context, db *whatsapp.DB, in *artifact.Input, size int) *reader {
	if size <= 0 {
		size = 5000
	}
	r := &reader{ctx: ctx, db: db, in: in, warn: in.Warn, size: size, dir: path.Dir(in.Path),
		accounts: map[string]*store.Account{}, counts: map[string]int{}, unknownTy: map[int]int{}, unknownEv: map[int]int{}}
	if r.warn == nil {
		r.warn = func(string, ...any) {}
	}
	r.kind = Detect(db)
	r.b.Generation = r.kind
	return r
}

// text reads a text column, counting replaced invalid UTF-8.
func (r *reader) text(v any) string {
	s, bad := whatsapp.Text(v)
	if bad {
		r.replaced++
	}
	return strings.TrimSpace(s)
}

// account returns the account row being gathered for jid.
func (r *reader) account(jid string) *store.Account {
	a := r.accounts[jid]
	if a == nil {
		a = &store.Account{JID: jid}
		r.accounts[jid] = a
		r.accOrder = append(r.accOrder, jid)
	}
	return a
}

// name records a name seen for jid.
func (r *reader) name(jid, name, basis string) {
	if jid == "" || name == "" {
		return
	}
	a := r.account(jid)
	for _, n := range a.Names {
		if n == name {
			return
		}
	}
	a.Names = append(a.Names, name)
	if a.NameBasis == "" {
		a.NameBasis = basis
	} else if !strings.Contains(a.NameBasis, basis) {
		a.NameBasis += ", " + basis
	}
}

// mapLID records that a phone JID and a LID are one person.
func (r *reader) mapLID(phoneJID, lid string) {
	if phoneJID == "" || lid == "" || phoneJID == lid {
		return
	}
	a := r.account(phoneJID)
	if a.LID != "" && a.LID != lid {
		r.counts["accounts with two LIDs"]++
		return
	}
	a.LID = lid
}

// flush writes the gathered rows. The first flush carries the accounts
// (sorted by JID, so runs are reproducible), chats and members.
func (r *reader) flush(final bool) error {
	if !r.wrote {
		sort.Strings(r.accOrder)
		for _, j := range r.accOrder {
			a := *r.accounts[j]
			if p, err := phone.ParseJID(a.JID); err == nil && a.Phone == "" {
				if n, ok := p.Number(); ok {
					a.Phone, a.Country = n.E164, n.Region
				}
			}
			r.b.Accounts = append(r.b.Accounts, a)
		}
		r.wrote = true
	} else if !final && len(r.b.Messages)+len(r.b.Events) < r.size {
		return nil
	}
	if len(r.b.Accounts)+len(r.b.Chats)+len(r.b.Members)+len(r.b.Messages)+len(r.b.Events)+len(r.b.Links) == 0 {
		return nil
	}
	err := r.in.Store.WriteArtifact(r.ctx, r.in.Artifact.ID, r.b)
	r.b = store.ArtifactBatch{}
	return err
}

// report turns the counted problems into warnings.
func (r *reader) report() {
	if r.replaced > 0 {
		r.warn("whatsapp ios %s: %d text values with invalid UTF-8, replaced by U+FFFD", r.in.Path, r.replaced)
	}
	keys := make([]string, 0, len(r.counts))
	for k := range r.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.warn("whatsapp ios %s: %d %s", r.in.Path, r.counts[k], k)
	}
	for _, u := range []struct {
		what string
		m    map[int]int
	}{{"ZMESSAGETYPE", r.unknownTy}, {"ZGROUPEVENTTYPE", r.unknownEv}} {
		codes := make([]int, 0, len(u.m))
		for c := range u.m {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		for _, c := range codes {
			r.warn("whatsapp ios %s: %s %d is not in the code table (%d rows, kept as unknown(%d))", r.in.Path, u.what, c, u.m[c], c)
		}
	}
}

// callbackError marks an error of the row callback (a failed write), so
// that it is not mistaken for an unreadable page.
type callbackError struct{ error }

func (e callbackError) Unwrap() error { return e.error }

// scan runs q and calls fn with each row's values, by column name. A
// read error after some rows is returned with how many were read, so the
// caller can keep them and say what was lost.
func (r *reader) scan(q string, fn func(row map[string]any) error, args ...any) (n int, err error) {
	rows, err := r.db.QueryContext(r.ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	row := make(map[string]any, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range cols {
			row[c] = vals[i]
		}
		n++
		if err := fn(row); err != nil {
			return n, callbackError{err}
		}
	}
	return n, rows.Err()
}

// readTable reads a Core Data table in Z_PK order. q selects from the
// table under alias, with its Z_PK as "pk", and has no WHERE or ORDER BY;
// fallback, when not "", is the same select without the joins to other
// tables. When a corrupt page stops the reading, the rows after it are
// still read: the rows whose own page is readable but whose joined row is
// not are read again through fallback, the rows the corrupt page holds
// are skipped, and one warning says which Z_PKs were lost. A damaged
// database loses only what is unreadable. The error is returned only when
// nothing could be read.
func (r *reader) readTable(table, alias, q, fallback string, fn func(row map[string]any) error) (int, error) {
	if !r.db.HasColumn(r.ctx, table, "Z_PK") {
		n, err := r.scan(q, fn)
		var cb callbackError
		if errors.As(err, &cb) {
			return n, cb.error
		}
		if err != nil && n > 0 {
			r.warn("whatsapp ios %s: %s: reading stopped after %d rows: %v; later rows are unreadable", r.in.Path, table, n, err)
			err = nil
		}
		return n, err
	}
	order := " ORDER BY " + alias + ".Z_PK"
	q += " WHERE " + alias + ".Z_PK >= ?" + order
	if fallback != "" {
		fallback += " WHERE " + alias + ".Z_PK >= ? AND " + alias + ".Z_PK < ?" + order
	}
	var (
		total, partial int
		lost           []string // Z_PK ranges skipped
		firstErr       error
	)
	defer func() {
		if partial > 0 {
			r.warn("whatsapp ios %s: %s: %d rows read without their joined rows (a corrupt page of another table)", r.in.Path, table, partial)
		}
		if len(lost) > 0 {
			shown := lost
			if len(shown) > 10 {
				shown = append(shown[:10:10], "…")
			}
			r.warn("whatsapp ios %s: %s: rows with Z_PK %s are unreadable (%v), skipped", r.in.Path, table, strings.Join(shown, ", "), firstErr)
		}
	}()
	from := int64(math.MinInt64)
	for {
		var last int64
		got := false
		n, err := r.scan(q, func(row map[string]any) error {
			last, _ = whatsapp.Int(row["pk"])
			got = true
			return fn(row)
		}, from)
		total += n
		if err == nil {
			return total, nil
		}
		var cb callbackError
		if errors.As(err, &cb) {
			return total, cb.error
		}
		if firstErr == nil {
			firstErr = err
		}
		lo := from
		if got {
			lo = last + 1
		} else if from == math.MinInt64 {
			lo = 0
			var mn int64
			if r.db.QueryRowContext(r.ctx, `SELECT min(Z_PK) FROM `+whatsapp.Quote(table)).Scan(&mn) == nil {
				lo = mn
			}
		}
		lo = max(lo, 0)
		next, ok := r.nextReadable(table, lo)
		if ok && !got && next <= from {
			next, ok = r.nextReadable(table, from+1) // this row fails: past it
		}
		if ok && (next < lo || next <= from) {
			ok = false // no progress: a table this damaged is read no further
		}
		end := next
		if !ok {
			end = math.MaxInt64
		}
		if end > lo && fallback != "" {
			var recovered int64 = -1
			m, ferr := r.scan(fallback, func(row map[string]any) error {
				recovered, _ = whatsapp.Int(row["pk"])
				return fn(row)
			}, lo, end)
			total += m
			partial += m
			if errors.As(ferr, &cb) {
				return total, cb.error
			}
			if m > 0 {
				lo = recovered + 1
			}
		}
		if end > lo {
			if ok {
				lost = append(lost, fmt.Sprintf("%d-%d", lo, end-1))
			} else {
				lost = append(lost, fmt.Sprintf("%d and after", lo))
			}
		}
		if !ok {
			if total == 0 {
				lost = nil
				return 0, err
			}
			return total, nil
		}
		from = next
	}
}

// nextReadable finds the first row of table at or after lo whose page can
// be read: probes forward with growing steps, then back by halving, to
// the start of the first readable page.
func (r *reader) nextReadable(table string, lo int64) (int64, bool) {
	t := whatsapp.Quote(table)
	var hi int64
	if err := r.db.QueryRowContext(r.ctx, `SELECT max(Z_PK) FROM `+t).Scan(&hi); err != nil || hi < lo {
		return 0, false
	}
	probe := func(x int64) (int64, bool) {
		var pk int64
		err := r.db.QueryRowContext(r.ctx, `SELECT Z_PK FROM `+t+` WHERE Z_PK >= ? ORDER BY Z_PK LIMIT 1`, x).Scan(&pk)
		return pk, err == nil
	}
	bad, x, step := lo-1, lo, int64(1)
	for {
		if pk, ok := probe(x); ok {
			good := x
			for good-bad > 1 {
				mid := bad + (good-bad)/2
				if p, ok := probe(mid); ok {
					good, pk = mid, p
				} else {
					bad = mid
				}
			}
			return pk, true
		}
		if x >= hi {
			return 0, false
		}
		bad = x
		if step > hi-x {
			x = hi
		} else {
			x += step
			step *= 2
		}
	}
}

// col is the SELECT expression of an optional column: t.c, or NULL.
func (r *reader) col(table, alias, c string) string {
	return r.db.Col(r.ctx, table, alias, c) + " AS " + whatsapp.Quote(c)
}

// cols builds a SELECT list of optional columns of one table.
func (r *reader) cols(table, alias string, cs ...string) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = r.col(table, alias, c)
	}
	return strings.Join(parts, ", ")
}
