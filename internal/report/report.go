// Package report writes what an investigator prints and hands on: the case
// report, one self-contained HTML file (inline CSS and SVG, nothing
// fetched, no media ever embedded) with the case and its devices, the
// acquisition and integrity record, the state of the audit chain, hash-set
// hits, the distribution network (distributors ranked with their evidence,
// groups, countries, a timeline and a picture of the network); the same
// content as JSON; and the network graph as GraphML, GEXF or JSON for
// Gephi and networkx.
package report

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/caseio"
	"vigil/internal/network"
	"vigil/internal/store"
)

// Options tune a report.
type Options struct {
	// Network tunes the analysis the report runs.
	Network network.Options
	// EvidenceLimit caps the evidence messages printed per distributor in
	// the HTML report (0: all). The JSON report always holds them all.
	EvidenceLimit int
	// PictureNodes caps the nodes drawn in the network picture (default
	// 250): distribution groups, distributors, admins and bridges first,
	// then the members with most links.
	PictureNodes int
	// Now replaces the clock (tests).
	Now func() time.Time
}

// Report is the content of a case report.
type Report struct {
	Title     string    `json:"title"`
	Generated time.Time `json:"generated"`
	Tool      string    `json:"tool"`
	Case      Case      `json:"case"`
	// Devices are the seized devices with what was found on them.
	Devices []Device `json:"devices"`
	// Sources are the acquisition records: what was read, by whom, when,
	// with which container hashes, and the last verification.
	Sources []store.Source `json:"sources"`
	// Audit is the state of the chain of custody when the report was made.
	Audit Audit `json:"audit"`
	// HashSets are the imported sets; Hits their hits by set and category.
	HashSets []store.HashSet       `json:"hash_sets"`
	Hits     []network.SetCategory `json:"hits"`
	// Network is the distribution analysis, NetworkDigest its digest (as
	// recorded in the audit chain).
	Network       *network.Result `json:"network"`
	NetworkDigest string          `json:"network_digest"`
	// Picture is the network drawn: the nodes kept and their positions.
	Picture *Picture `json:"picture"`
}

// Case identifies the case.
type Case struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Created string `json:"created"`
}

// Device is a seized device and what was found on it.
type Device struct {
	store.DeviceSummary
	Owner        string `json:"owner,omitempty"`
	Observations int64  `json:"messages"`    // message rows read from it
	KnownItems   int    `json:"known_items"` // known items observed in its chats
}

// Audit is the outcome of verifying the audit chain.
type Audit struct {
	OK          bool     `json:"ok"`
	Records     int64    `json:"records"`
	HeadSeq     int64    `json:"head_seq"`
	Head        string   `json:"head"`
	Checkpoints int      `json:"checkpoints"`
	SignedUpTo  int64    `json:"signed_up_to"`
	FirstBad    int64    `json:"first_bad"`
	Findings    []string `json:"findings"`
	Error       string   `json:"error,omitempty"` // the chain could not be read
}

// Build gathers the report of an open case: it verifies the audit chain,
// reads the devices, sources and hash sets, runs the network analysis and
// lays out its picture. It records nothing: the caller records the
// analysis and the written file in the audit chain.
func Build(ctx context.Context, c *caseio.Case, o Options) (*Report, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	st := c.Store
	r := &Report{Title: "Case report: " + c.Info.Name, Generated: now().UTC(), Tool: caseio.Tool(),
		Case: Case{ID: c.Info.ID, Name: c.Info.Name, Created: c.Info.Created}}

	rep, err := c.VerifyAudit(ctx)
	r.Audit = Audit{OK: rep.OK() && err == nil, Records: rep.Records, HeadSeq: rep.HeadSeq, Head: rep.Head, Checkpoints: rep.Checkpoints,
		SignedUpTo: rep.SignedUpTo, FirstBad: rep.FirstBad, Findings: []string{}}
	for _, f := range rep.Findings {
		r.Audit.Findings = append(r.Audit.Findings, f.String())
	}
	if err != nil {
		r.Audit.Error = err.Error()
	}

	devs, err := st.Devices(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if r.Sources, err = st.Sources(ctx, ""); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if r.Sources == nil {
		r.Sources = []store.Source{}
	}
	if r.HashSets, err = st.HashSets(ctx); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if r.HashSets == nil {
		r.HashSets = []store.HashSet{}
	}
	if r.Network, err = network.Analyze(ctx, st, o.Network); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if r.NetworkDigest, err = r.Network.Digest(); err != nil {
		return nil, err
	}
	r.Hits = r.Network.HitSets
	seen := map[string]network.Device{}
	for _, d := range r.Network.Devices {
		seen[d.Label] = d
	}
	r.Devices = []Device{}
	for _, d := range devs {
		nd := seen[d.Label]
		r.Devices = append(r.Devices, Device{DeviceSummary: d, Owner: nd.Owner, Observations: nd.Observations, KnownItems: nd.KnownItems})
	}
	g, err := r.Network.Graph(network.ScopeDistribution)
	if err != nil {
		return nil, err
	}
	r.Picture = Draw(g, PictureOptions{MaxNodes: o.PictureNodes})
	return r, nil
}

// auditStatus is a one-line verdict on the chain.
func (a Audit) status() string {
	switch {
	case a.Error != "":
		return "could not be read: " + a.Error
	case !a.OK:
		return fmt.Sprintf("BROKEN at record %d", a.FirstBad)
	}
	return "intact"
}
