// Package store is the case store: one Go interface over the tables of
// DESIGN §4, implemented on SQLite (the workstation default, package
// store/sqlite) and, for a team, on PostgreSQL. Every write that changes a
// case appends its audit record in the same transaction.
package store

import (
	"context"
	"errors"
	"time"

	"vigil/internal/audit"
)

// ErrNotFound is returned when a named object does not exist.
var ErrNotFound = errors.New("not found")

// Store is a case store. Implementations are safe for concurrent use.
type Store interface {
	Evidence
	HashSets
	Artifacts
	Reviews
	Analysis
	Auditing

	// Meta returns a case-wide setting ("" when unset).
	Meta(ctx context.Context, key string) (string, error)
	// SetMeta changes a case-wide setting (audited).
	SetMeta(ctx context.Context, key, value string) error
	// SchemaVersion is the last migration applied.
	SchemaVersion(ctx context.Context) (int, error)
	Close() error
}

// Auditing is the store's side of the chain of custody.
type Auditing interface {
	// Record appends an audit record on its own, for actions that change
	// nothing else in the store (verify, export, reveal, report).
	Record(ctx context.Context, e audit.Entry) (audit.Record, error)
	// AuditRecords calls fn for each record matching q, in sequence order.
	AuditRecords(ctx context.Context, q AuditQuery, fn func(audit.Record) error) error
	// AuditHead returns the last record (Seq 0 when the chain is empty).
	AuditHead(ctx context.Context) (audit.Record, error)
	// AddCheckpoint stores a signed checkpoint.
	AddCheckpoint(ctx context.Context, c audit.Checkpoint) error
	// Checkpoints returns the stored checkpoints in sequence order.
	Checkpoints(ctx context.Context) ([]audit.Checkpoint, error)
}

// AuditQuery filters audit records; zero fields match everything.
type AuditQuery struct {
	Actor, Action, Object string // Action and Object match as prefixes
	Since, Until          time.Time
	FromSeq               int64
	Limit                 int
}

// Reviews holds analysts' decisions on contents.
type Reviews interface {
	// Decide records an analyst's category for a content (audited).
	Decide(ctx context.Context, d Decision) (Decision, error)
	// Decisions returns the decision history of a content, oldest first.
	Decisions(ctx context.Context, sha256 string) ([]Decision, error)
}

// Decision is an analyst's category for a content.
type Decision struct {
	ID       int64     `json:"id"`
	SHA256   string    `json:"sha256"`
	Category *int      `json:"category"` // nil: decided "uncategorised"
	Profile  string    `json:"profile"`
	Actor    string    `json:"actor"`
	Time     time.Time `json:"time"`
	Reason   string    `json:"reason"`
}
