package store

import (
	"context"
	"time"
)

// HashSets holds imported hash lists, their entries, and the hits of
// contents against them.
type HashSets interface {
	// ImportHashSet creates set s and fills it with the entries that
	// entries yields, in one transaction: any error (from entries or the
	// store) leaves the store as it was. entries may complete the set's
	// Version, Profile and Shape, known only once its file is read. A set
	// whose file (by SHA-256) was imported before is returned unchanged
	// with added false.
	ImportHashSet(ctx context.Context, s HashSet, entries func(set *HashSet, add func(HashEntry) error) error) (set HashSet, added bool, err error)
	// HashSets lists the imported sets.
	HashSets(ctx context.Context) ([]HashSet, error)
	// HashSet returns the set with the given name (or numeric id).
	HashSet(ctx context.Context, name string) (HashSet, error)
	// RemoveHashSet deletes a set, its entries and its hits (audited).
	RemoveHashSet(ctx context.Context, name string) error
	// HashEntries calls fn for each entry of a set (all sets when setID is 0).
	HashEntries(ctx context.Context, setID int64, fn func(HashEntry) error) error
	// HashEntrySpan is the lowest and highest entry id of a set (entry ids
	// are dense per set: an import writes a set's entries together); both
	// 0 for a set without entries.
	HashEntrySpan(ctx context.Context, setID int64) (lo, hi int64, err error)
	// HashSetsFingerprint changes whenever sets are added or removed: the
	// key of the cached match index.
	HashSetsFingerprint(ctx context.Context) (string, error)

	// ReplaceHits stores the hits of a match run for the contents it
	// covered (contents in scope lose their previous hits), audited with
	// the run's summary.
	ReplaceHits(ctx context.Context, scope MatchScope, hits []Hit, summary map[string]any) error
	// Hits calls fn for each hit matching q.
	Hits(ctx context.Context, q HitQuery, fn func(HitView) error) error
}

// Hash-set statuses.
const (
	StatusAlert     = "alert"     // known material of concern: hits are flagged
	StatusKnown     = "known"     // known files (NSRL): hits are excluded from review
	StatusReference = "reference" // recorded, neither alert nor exclusion
)

// HashSet is an imported list and its provenance.
type HashSet struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	Format      string    `json:"format"`
	Version     string    `json:"version,omitempty"`
	Profile     string    `json:"profile,omitempty"`
	Shape       string    `json:"shape,omitempty"`
	FileName    string    `json:"file_name"`
	FileSHA256  string    `json:"file_sha256"`
	ImportedBy  string    `json:"imported_by"`
	Imported    time.Time `json:"imported"`
	Entries     int64     `json:"entries"`
	Description string    `json:"description,omitempty"`

	// DropPhotoDNA lists PhotoDNA values to blank in the set's entries
	// before the import commits: the constant bogus value some exporters
	// write on every record, found only once the file is read.
	DropPhotoDNA []string `json:"-"`
}

// HashEntry is one record of a hash set.
type HashEntry struct {
	ID                 int64  `json:"id"`
	SetID              int64  `json:"set_id"`
	MD5                string `json:"md5,omitempty"`
	SHA1               string `json:"sha1,omitempty"`
	SHA256             string `json:"sha256,omitempty"`
	PDQ                string `json:"pdq,omitempty"`
	PDQQuality         int    `json:"pdq_quality,omitempty"`
	PhotoDNA           string `json:"photodna,omitempty"`
	Category           *int   `json:"category"`
	Series             string `json:"series,omitempty"`
	Tags               string `json:"tags,omitempty"`
	Comments           string `json:"comments,omitempty"`
	VictimIdentified   *bool  `json:"victim_identified,omitempty"`
	OffenderIdentified *bool  `json:"offender_identified,omitempty"`
	Distributed        *bool  `json:"distributed,omitempty"`
	Size               int64  `json:"size"`
	Ref                string `json:"ref,omitempty"`
	Line               int64  `json:"line,omitempty"`
}

// Hit kinds.
const (
	HitMD5    = "md5"
	HitSHA1   = "sha1"
	HitSHA256 = "sha256"
	HitPDQ    = "pdq"
)

// Hit links a content to a hash entry.
type Hit struct {
	SHA256   string `json:"sha256"`
	EntryID  int64  `json:"entry_id"`
	Kind     string `json:"kind"`
	Distance int    `json:"distance"`
	Variant  string `json:"variant,omitempty"` // PDQ dihedral variant that matched
}

// MatchScope says which contents a match run covered.
type MatchScope struct {
	All     bool     // every content
	SHA256s []string // else these contents
	// Fingerprint, when set, is recorded on the contents covered: the
	// hash sets (HashSetsFingerprint) they were matched against.
	Fingerprint string
}

// HitQuery filters hits; zero fields match everything.
type HitQuery struct {
	Device string
	Set    string
	Status string
	Kind   string
	SHA256 string
}

// HitView is a hit with its content, set, entry and where the content was
// found. Paths is empty for media known only from a chat database.
type HitView struct {
	SHA256       string   `json:"sha256"`
	MD5          string   `json:"md5,omitempty"`
	Kind         string   `json:"kind"`
	Distance     int      `json:"distance"`
	Variant      string   `json:"variant,omitempty"`
	Set          string   `json:"set"`
	Status       string   `json:"status"`
	Profile      string   `json:"profile,omitempty"`
	EntryID      int64    `json:"entry_id"`
	EntryRef     string   `json:"entry_ref,omitempty"`
	Category     *int     `json:"category"`
	CategoryName string   `json:"category_name,omitempty"`
	Series       string   `json:"series,omitempty"`
	MIME         string   `json:"mime,omitempty"`
	Origin       string   `json:"origin"`
	Devices      []string `json:"devices"`
	Paths        []string `json:"paths"`
}
