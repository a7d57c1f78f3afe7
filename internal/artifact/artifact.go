// Package artifact defines how artifact extractors plug into the intake,
// one interface for every kind of extractor (as osv-scalibr does). The
// intake walks the evidence once; while it hashes a file an extractor
// claims, it tees the bytes into a scratch copy, together with the file's
// SQLite siblings (-wal, -shm, -journal). Once the source is hashed, each
// claimed file is handed to its extractor, which writes what it finds
// through the case store. Extractors never walk and never open evidence.
package artifact

import (
	"context"
	"strings"

	"vigil/internal/store"
)

// Extractor reads one kind of artifact.
type Extractor interface {
	// Name identifies the extractor, e.g. "whatsapp/android".
	Name() string
	// Claims reports whether the file at path (slash-separated, inside its
	// source), whose first bytes are head (up to HeadSize), is one this
	// extractor reads. It must be cheap and must not fail.
	Claims(path string, head []byte) bool
	// Extract reads the claimed file and writes its findings through
	// in.Store, between in.Store.BeginArtifact and FinishArtifact, which
	// the caller makes.
	Extract(ctx context.Context, in *Input) error
}

// Prober is implemented by extractors that claim broadly from the head
// (say, every SQLite database) and decide by looking inside: the intake
// calls Probe on the scratch copy before opening an extraction record, and
// skips the file quietly when it answers false.
type Prober interface {
	Probe(ctx context.Context, local string) (bool, error)
}

// HeadSize is how many leading bytes Claims is shown.
const HeadSize = 4096

// Input is one claimed file, ready to extract.
type Input struct {
	Device   store.Device
	SourceID int64
	Artifact store.Artifact // the open extraction record
	Path     string         // the file's path inside its source
	SHA256   string         // as hashed by the intake
	Local    string         // a read-only scratch copy of the file's bytes
	// Siblings maps the source paths of the file's SQLite companions
	// (path+"-wal", path+"-shm", path+"-journal") that were present to
	// their scratch copies, which sit beside Local under the same base
	// name, so SQLite opening Local applies the WAL.
	Siblings map[string]string
	Store    store.Store
	// Warn records a problem that did not stop the extraction (a row that
	// could not be decoded, an unknown code); warnings are kept on the
	// artifact record.
	Warn func(format string, args ...any)
}

// SiblingSuffixes are the companions of a SQLite database.
var SiblingSuffixes = []string{"-wal", "-shm", "-journal"}

// IsSibling reports whether path names a SQLite companion file, and of
// which main file.
func IsSibling(path string) (main string, ok bool) {
	for _, s := range SiblingSuffixes {
		if strings.HasSuffix(path, s) {
			return strings.TrimSuffix(path, s), true
		}
	}
	return "", false
}

// SQLiteMagic starts every SQLite database file.
const SQLiteMagic = "SQLite format 3\x00"
