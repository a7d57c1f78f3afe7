// Package hashset reads and writes the hash-set formats a unit is handed:
// Project VIC VICS JSON (1.x and 2.0, hash sets and case exports), Interpol
// ICSE CSV exports, NIST NSRL RDS v3 SQLite databases, coreutils
// md5sum/sha1sum/sha256sum files, hashdeep files, plain one-hash-a-line
// lists, PDQ lists and generic CSV files whose header names the columns.
//
// Every reader streams: Read calls a function once per entry and holds one
// record at a time, so files of millions of records are read in bounded
// memory. Readers never panic on input; malformed input gives an
// *InputError naming the file and the line (or record) and what is wrong.
//
// Strictness: by default a malformed record stops the read with an error
// (the caller rolls back what it wrote). Options.SkipBad makes the read
// skip such records instead, counting them in Meta.Skipped. Damage to the
// structure of a file (broken JSON, an unreadable SQLite database) always
// stops the read. Fields that are not needed for matching (dates, GUIDs)
// never stop a read: a value that cannot be understood is dropped with a
// warning in Meta.Warnings.
package hashset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Format names a hash-set file format.
type Format string

// The formats Read understands.
const (
	VICS      Format = "vics"      // Project VIC VICS JSON, 1.x and 2.0, #Media and #Cases
	ICSE      Format = "icse"      // Interpol ICSE export, ';'-separated CSV
	MD5Sum    Format = "md5sum"    // coreutils md5sum output
	SHA1Sum   Format = "sha1sum"   // coreutils sha1sum output
	SHA256Sum Format = "sha256sum" // coreutils sha256sum output
	Hashdeep  Format = "hashdeep"  // hashdeep/md5deep "%%%% HASHDEEP-1.0" files
	Plain     Format = "plain"     // one MD5, SHA-1 or SHA-256 a line
	PDQList   Format = "pdq"       // hash[,quality[,id]] lines
	CSV       Format = "csv"       // CSV with a header naming its columns
	NSRL      Format = "nsrl"      // NIST NSRL RDS v3 SQLite (minimal or full)
)

// Formats lists every format, in the order the CLI documents them.
var Formats = []Format{VICS, ICSE, MD5Sum, SHA1Sum, SHA256Sum, Hashdeep, NSRL, PDQList, CSV, Plain}

// ParseFormat reads a format name as a user types it. "" and "auto" give
// "", which Read takes as "detect the format".
func ParseFormat(s string) (Format, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "auto" {
		return "", nil
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown hash-set format %q: use auto or one of %s", s, strings.Join(names, ", "))
}

// Entry is one record of a hash set. Hashes are lower-case hexadecimal,
// "" when the record does not carry them.
type Entry struct {
	MD5, SHA1, SHA256 string

	// PDQ is the 64-digit PDQ hash, PDQQuality its quality (0 to 100), or
	// -1 when the source does not say.
	PDQ        string
	PDQQuality int

	// PhotoDNA is kept as the source carries it (hex input is converted to
	// base64) and is never used for matching.
	PhotoDNA string

	// Category is the raw category code; nil means not categorised, which
	// is not the same as code 0. Its meaning depends on the profile
	// (Meta.Profile, see Profile).
	Category *int

	Series, Tags, Comments string

	VictimIdentified, OffenderIdentified, Distributed *bool

	Size    int64     // bytes; -1 when unknown
	Updated time.Time // when the source last changed the record; zero when unknown
	Name    string    // file name the source lists for the hash, if any
	Ref     string    // the record's own id in the source (MediaID, Image ID, ...)
	Line    int64     // line (text formats) or record number (VICS, NSRL), from 1

	// Extra holds other fields a source carries that have no place above,
	// kept for provenance (ICSE ZZ40, Lace, Baseline, ...; VICS MimeType).
	Extra []Field
}

// Field is a named value a source carries beyond the Entry fields.
type Field struct{ Name, Value string }

// HasHash reports whether the entry carries a hash usable for matching
// (MD5, SHA-1, SHA-256 or PDQ).
func (e *Entry) HasHash() bool {
	return e.MD5 != "" || e.SHA1 != "" || e.SHA256 != "" || e.PDQ != ""
}

// Meta describes what Read found.
type Meta struct {
	Format Format

	// Version is the VICS data-model version ("1.3", "2.0"), the hashdeep
	// file version ("1.0") or the NSRL RDS version ("2024.12.1").
	Version string
	// Profile is the category profile the categories were read under: the
	// one Options.Profile names, else the one the file names, else "US"
	// for formats that carry categories, else "".
	Profile string
	// Shape is the VICS document shape: "Media" (a hash set) or "Cases"
	// (a case export); for NSRL, "minimal" or "full".
	Shape string
	// Model is the VICS model URL as written (odata.metadata or
	// @odata.context), the hashdeep column declaration, or the NSRL build
	// set and description.
	Model string

	Records int64 // entries delivered
	Skipped int64 // malformed records skipped (Options.SkipBad only)

	// Warnings lists things worth telling the analyst (the first few
	// skipped records, fields that could not be understood); at most
	// maxWarnings, with a final line counting the rest.
	Warnings []string

	// RepeatedPhotoDNA lists PhotoDNA values found on many different MD5s,
	// the mark of the constant bogus value some exporters write. Read
	// drops them from entries once detected; the first few entries that
	// carried one may still have it, and a caller that stores PhotoDNA
	// should clear these values.
	RepeatedPhotoDNA []string

	// Cases lists the case wrappers of a VICS #Cases export (at most
	// maxCases).
	Cases []Case
}

// Case is the wrapper of a VICS case export.
type Case struct {
	ID           string // CaseID, lower case, braces removed
	Number       string
	Organization string
	Application  string // SourceApplicationName and version
	SeizureDate  time.Time
	Media        int64 // Media records read (TotalMediaFiles is not trusted)
}

// Options tune Read.
type Options struct {
	// Format is the format of the file; "" detects it (see Detect).
	Format Format
	// Profile overrides the category profile the file names (see
	// LookupProfile); "" keeps the file's, or "US".
	Profile string
	// SkipBad skips malformed records instead of stopping, counting them
	// in Meta.Skipped.
	SkipBad bool
}

// InputError is a malformed record or file.
type InputError struct {
	File   string
	Unit   string // "line", "record" or "" (the whole file)
	Number int64  // line or record number, from 1
	Offset int64  // byte offset, -1 when not known
	Err    error
}

func (e *InputError) Error() string {
	switch {
	case e.Unit == "":
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	case e.Offset >= 0:
		return fmt.Sprintf("%s %s %d (byte %d): %v", e.File, e.Unit, e.Number, e.Offset, e.Err)
	default:
		return fmt.Sprintf("%s %s %d: %v", e.File, e.Unit, e.Number, e.Err)
	}
}

func (e *InputError) Unwrap() error { return e.Err }

// ErrUnknownFormat is wrapped by Detect when it cannot tell the format.
var ErrUnknownFormat = errors.New("unknown hash-set format")

// Read reads the hash set at path and calls fn once per entry, in file
// order. An error from fn stops the read and is returned as is. The
// format is detected when opt.Format is "".
func Read(ctx context.Context, path string, opt Options, fn func(Entry) error) (Meta, error) {
	f := opt.Format
	if f == "" {
		var err error
		if f, err = Detect(path); err != nil {
			return Meta{}, err
		}
	}
	r := newRun(ctx, path, f, opt, fn)
	if f == NSRL {
		err := readNSRL(ctx, path, r)
		return r.finish(), err
	}
	file, err := os.Open(path)
	if err != nil {
		return Meta{}, fmt.Errorf("hash set %s: %w", path, err)
	}
	defer file.Close()
	err = r.readText(file)
	return r.finish(), err
}

// finish completes Meta: the count of warnings not listed.
func (r *run) finish() Meta {
	if r.warned >= maxWarnings {
		r.meta.Warnings[maxWarnings-1] = fmt.Sprintf("%d more warnings not shown", r.warned-maxWarnings+1)
	}
	return r.meta
}

const (
	maxWarnings    = 20
	maxCases       = 1000
	maxRepeatedPDN = 16
	ctxCheckEvery  = 1024
)

// run is the state shared by every reader: where entries go, counters,
// the strictness policy and the warnings.
type run struct {
	ctx      context.Context
	file     string
	opt      Options
	fn       func(Entry) error
	meta     Meta
	prof     Profile
	warned   int64
	photoDNA photoDNAFilter
}

func newRun(ctx context.Context, path string, f Format, opt Options, fn func(Entry) error) *run {
	r := &run{ctx: ctx, file: path, opt: opt, fn: fn}
	r.meta.Format = f
	r.setProfile("")
	return r
}

// setProfile selects the category profile: the option wins over what the
// file names, and "US" is the default.
func (r *run) setProfile(fromFile string) {
	name := r.opt.Profile
	if name == "" {
		name = fromFile
	}
	if name == "" {
		name = "US"
	}
	r.prof = LookupProfile(name)
	switch r.meta.Format {
	case VICS, CSV:
		r.meta.Profile = r.prof.Name()
	}
}

// readText dispatches the text formats.
func (r *run) readText(f io.Reader) error {
	in, err := decodeText(f)
	if err != nil {
		return r.fileErr(err)
	}
	switch r.meta.Format {
	case VICS:
		return r.readVICS(in)
	case ICSE:
		return r.readICSE(in)
	case CSV:
		return r.readCSV(in)
	case MD5Sum, SHA1Sum, SHA256Sum:
		return r.readSums(in)
	case Hashdeep:
		return r.readHashdeep(in)
	case Plain:
		return r.readPlain(in)
	case PDQList:
		return r.readPDQList(in)
	}
	return fmt.Errorf("hash set %s: format %q cannot be read", r.file, r.meta.Format)
}

// emit hands one entry to the caller after the checks every format shares.
func (r *run) emit(unit string, e *Entry) error {
	if !e.HasHash() && e.PhotoDNA == "" {
		return r.bad(unit, e.Line, -1, errors.New("no hash (MD5, SHA-1, SHA-256, PDQ or PhotoDNA)"))
	}
	validText(e)
	if e.PhotoDNA != "" {
		if r.photoDNA.repeated(e, &r.meta) {
			e.PhotoDNA = ""
			if !e.HasHash() {
				return r.bad(unit, e.Line, -1, errors.New("only hash is a PhotoDNA value repeated on many different MD5s (bogus)"))
			}
		}
	}
	r.meta.Records++
	if r.meta.Records%ctxCheckEvery == 0 {
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	return r.fn(*e)
}

// bad handles a malformed record: an *InputError, or with SkipBad a
// warning and nil.
func (r *run) bad(unit string, n, off int64, err error) error {
	ie := &InputError{File: r.file, Unit: unit, Number: n, Offset: off, Err: err}
	if !r.opt.SkipBad {
		return ie
	}
	r.meta.Skipped++
	r.warn("skipped: %v", ie)
	return nil
}

// fileErr wraps an error about the whole file.
func (r *run) fileErr(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return &InputError{File: r.file, Offset: -1, Err: err}
}

// lineErr is a fatal error at a line or record.
func (r *run) lineErr(unit string, n, off int64, err error) error {
	return &InputError{File: r.file, Unit: unit, Number: n, Offset: off, Err: err}
}

func (r *run) warn(format string, args ...any) {
	r.warned++
	switch {
	case r.warned < maxWarnings:
		r.meta.Warnings = append(r.meta.Warnings, fmt.Sprintf(format, args...))
	case r.warned == maxWarnings:
		r.meta.Warnings = append(r.meta.Warnings, "") // see finish
	}
}

// validText replaces invalid UTF-8 in the free-text fields (sources are
// not always UTF-8; NSRL v2 files are known not to be).
func validText(e *Entry) {
	for _, p := range []*string{&e.Series, &e.Tags, &e.Comments, &e.Name, &e.Ref, &e.PhotoDNA} {
		if !utf8.ValidString(*p) {
			*p = strings.ToValidUTF8(*p, "\uFFFD")
		}
	}
	for i := range e.Extra {
		if !utf8.ValidString(e.Extra[i].Value) {
			e.Extra[i].Value = strings.ToValidUTF8(e.Extra[i].Value, "\uFFFD")
		}
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
