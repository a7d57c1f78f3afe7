// Package audit is Vigil's chain of custody: an append-only log in which
// every record carries the hash of the one before it, and checkpoints of
// the chain's head are signed with an Ed25519 key kept outside the case
// store.
//
// A record's hash is SHA-256 over a canonical binary encoding:
//
//	"vigil-audit-v1" | seq (8 bytes, big-endian) | time | actor | action |
//	object | details | prev_hash
//
// where each text field is its length as an unsigned varint followed by its
// UTF-8 bytes, time is RFC 3339 with nanoseconds in UTC, and prev_hash is the
// previous record's hash as 64 hexadecimal digits (64 zeros for the first
// record). Editing, deleting, inserting or reordering records breaks the
// chain at the first record touched; recomputing the whole chain after an
// edit is caught by the signed checkpoints, whose key the store never holds.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"
)

// Genesis is the previous-hash of the first record.
var Genesis = strings.Repeat("0", 64)

// TimeFormat is how record times are written and hashed.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// Record is one entry of the audit chain.
type Record struct {
	Seq      int64  `json:"seq"`
	Time     string `json:"time"` // TimeFormat, UTC
	Actor    string `json:"actor"`
	Action   string `json:"action"`
	Object   string `json:"object"`
	Details  string `json:"details"` // canonical JSON object
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Entry is what a caller asks to be recorded; the store fills in the
// sequence, time and hashes inside the transaction that makes the change.
type Entry struct {
	Action  string
	Object  string
	Details map[string]any
}

// Sum computes the record's hash from its other fields.
func (r *Record) Sum() string {
	h := sha256.New()
	h.Write([]byte("vigil-audit-v1"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(r.Seq))
	h.Write(n[:])
	for _, s := range []string{r.Time, r.Actor, r.Action, r.Object, r.Details, r.PrevHash} {
		var l [binary.MaxVarintLen64]byte
		h.Write(l[:binary.PutUvarint(l[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal returns the record following prev (nil for the first) for entry e,
// made by actor at time t, with its hash computed.
func Seal(prev *Record, t time.Time, actor string, e Entry) (Record, error) {
	details, err := CanonicalDetails(e.Details)
	if err != nil {
		return Record{}, fmt.Errorf("audit %s %s: %w", e.Action, e.Object, err)
	}
	r := Record{Seq: 1, PrevHash: Genesis, Time: t.UTC().Format(TimeFormat),
		Actor: actor, Action: e.Action, Object: e.Object, Details: details}
	if prev != nil {
		r.Seq = prev.Seq + 1
		r.PrevHash = prev.Hash
	}
	r.Hash = r.Sum()
	return r, nil
}

// CanonicalDetails encodes details as JSON with sorted keys and no
// insignificant white space; nil gives "{}".
func CanonicalDetails(d map[string]any) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d) // maps are written with sorted keys
	if err != nil {
		return "", fmt.Errorf("details: %w", err)
	}
	return string(b), nil
}

type actorKey struct{}

// WithActor returns a context naming who acts: every record written under it
// carries that name.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// Actor returns the actor named in ctx, else the operating-system user
// (as "os:NAME"), else "unknown".
func Actor(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return OSUser()
}

// OSUser names the operating-system account running the process.
func OSUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "os:" + u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return "os:" + n
	}
	return "unknown"
}
