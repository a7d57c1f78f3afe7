// Package caseio creates and opens cases. A workstation case is a
// directory holding case.json (identity and the audit public key), case.db
// (the SQLite store, whose audit table is the chain of custody), cache/
// and a scratch/ area for working copies made during intake. The signing
// key of the audit chain lives outside the case (package audit).
package caseio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/store"
	"vigil/internal/store/sqlite"
)

// Version is the tool version recorded in acquisition and audit records.
var Version = "0.1.0-dev"

// Tool names the tool and its version.
func Tool() string { return "vigil " + Version }

// Info is the content of case.json.
type Info struct {
	Format   int    `json:"format"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Created  string `json:"created"`
	AuditKey string `json:"audit_public_key"`
}

// Case is an open case.
type Case struct {
	Dir   string
	Info  Info
	Store store.Store

	sqlite   *sqlite.Store
	keyDir   string
	signer   *audit.Signer
	signErr  error
	openHead int64
}

const infoFile = "case.json"

// Options tune how a case is opened.
type Options struct {
	ReadOnly bool
	KeyDir   string // default audit.DefaultKeyDir()
}

// Init creates a new case in dir (which must not exist or be empty).
func Init(ctx context.Context, dir, name string, o Options) (*Case, error) {
	if isURL(dir) {
		return nil, fmt.Errorf("case %s: database URLs are for the team server (vigil serve); a workstation case is a directory", dir)
	}
	if es, err := os.ReadDir(dir); err == nil && len(es) > 0 {
		return nil, fmt.Errorf("case %s: directory exists and is not empty; choose a new directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("case %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("case %s: %w", dir, err)
	}
	keyDir, err := keyDir(o)
	if err != nil {
		return nil, err
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	if name == "" {
		name = filepath.Base(dir)
	}
	info := Info{Format: 1, ID: hex.EncodeToString(id[:]), Name: name, Created: time.Now().UTC().Format(time.RFC3339)}
	info.AuditKey, err = audit.CreateKey(keyDir, info.ID)
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(info, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, infoFile), append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("case %s: %w", dir, err)
	}
	for _, sub := range []string{"cache", "scratch"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("case %s: %w", dir, err)
		}
	}
	c, err := open(ctx, dir, info, keyDir, false)
	if err != nil {
		return nil, err
	}
	for k, v := range map[string]string{"case_id": info.ID, "name": info.Name, "audit_public_key": info.AuditKey, "created": info.Created} {
		if err := c.Store.SetMeta(ctx, k, v); err != nil {
			c.Close()
			return nil, err
		}
	}
	if _, err := c.Store.Record(ctx, audit.Entry{Action: "case.init", Object: "case:" + info.ID,
		Details: map[string]any{"name": name, "tool": Tool(), "audit_key": audit.KeyID(mustHex(info.AuditKey))}}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func keyDir(o Options) (string, error) {
	if o.KeyDir != "" {
		return o.KeyDir, nil
	}
	return audit.DefaultKeyDir()
}

// Open opens an existing case directory.
func Open(ctx context.Context, dir string, o Options) (*Case, error) {
	if dir == "" {
		return nil, errors.New("no case: give --case DIR or set VIGIL_CASE (vigil init DIR creates one)")
	}
	if isURL(dir) {
		return nil, fmt.Errorf("case %s: PostgreSQL cases are served by the team server, which is not built yet; use a case directory", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, infoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("case %s: no %s here: not a Vigil case (vigil init %s creates one)", dir, infoFile, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", dir, err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("case %s: %s: %w", dir, infoFile, err)
	}
	if info.Format != 1 {
		return nil, fmt.Errorf("case %s: case format %d: this vigil reads format 1; upgrade vigil", dir, info.Format)
	}
	kd, err := keyDir(o)
	if err != nil {
		return nil, err
	}
	return open(ctx, dir, info, kd, o.ReadOnly)
}

func open(ctx context.Context, dir string, info Info, keyDir string, readOnly bool) (*Case, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dir, "case.db"), sqlite.Options{ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	c := &Case{Dir: dir, Info: info, Store: st, sqlite: st, keyDir: keyDir}
	if id, err := st.Meta(ctx, "case_id"); err == nil && id != "" && id != info.ID {
		st.Close()
		return nil, fmt.Errorf("case %s: case.json names case %s but the database belongs to case %s", dir, info.ID, id)
	}
	head, err := st.AuditHead(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	c.openHead = head.Seq
	if !readOnly {
		c.signer, c.signErr = audit.LoadSigner(keyDir, info.ID, info.AuditKey)
	}
	return c, nil
}

// SQLite returns the SQLite store of a workstation case (for analysis code
// that runs its own queries).
func (c *Case) SQLite() *sqlite.Store { return c.sqlite }

// SigningProblem explains why records of this session will not be signed
// (nil when they will).
func (c *Case) SigningProblem() error { return c.signErr }

// ScratchDir returns the case's scratch area for working copies.
func (c *Case) ScratchDir() (string, error) {
	d := filepath.Join(c.Dir, "scratch")
	return d, os.MkdirAll(d, 0o700)
}

// Checkpoint signs the chain's current head, if it moved since the last
// checkpoint, storing the checkpoint in the case and in the heads log
// beside the key.
func (c *Case) Checkpoint(ctx context.Context) error {
	if c.signer == nil {
		return nil
	}
	head, err := c.Store.AuditHead(ctx)
	if err != nil || head.Seq == 0 {
		return err
	}
	cps, err := c.Store.Checkpoints(ctx)
	if err != nil {
		return err
	}
	if n := len(cps); n > 0 && cps[n-1].Seq >= head.Seq {
		return nil
	}
	cp, err := c.signer.Sign(head.Seq, head.Hash, time.Now())
	if err != nil {
		return err
	}
	return c.Store.AddCheckpoint(ctx, cp)
}

// Close signs the chain's head if this session added records, then closes
// the store.
func (c *Case) Close() error {
	ctx := context.Background()
	var errs []error
	if c.signer != nil {
		errs = append(errs, c.Checkpoint(ctx))
	}
	errs = append(errs, c.Store.Close())
	return errors.Join(errs...)
}

// VerifyAudit checks the whole chain and its checkpoints: those stored in
// the case and those logged beside the key, with the case's public key (the
// key file's when present, so a case.json edited to name another key is
// caught).
func (c *Case) VerifyAudit(ctx context.Context) (audit.Report, error) {
	v, err := audit.NewVerifier(c.Info.ID, c.Info.AuditKey)
	if err != nil {
		return audit.Report{}, err
	}
	if c.signer != nil {
		v = c.signer.Verifier()
	}
	stored, err := c.Store.Checkpoints(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	logged, err := audit.Heads(c.keyDir, c.Info.ID)
	if err != nil {
		return audit.Report{}, err
	}
	seen := map[string]bool{}
	var all []audit.Checkpoint
	for _, cp := range append(stored, logged...) {
		k := fmt.Sprintf("%d/%s/%s", cp.Seq, cp.Hash, cp.Signature)
		if !seen[k] {
			seen[k] = true
			all = append(all, cp)
		}
	}
	var rerr error
	records := func(yield func(audit.Record, error) bool) {
		stop := errors.New("stop")
		err := c.Store.AuditRecords(ctx, store.AuditQuery{}, func(r audit.Record) error {
			if !yield(r, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			rerr = err
			yield(audit.Record{}, err)
		}
	}
	rep := audit.Verify(records, all, v, false)
	return rep, rerr
}
