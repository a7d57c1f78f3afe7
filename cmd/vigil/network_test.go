package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"vigil/internal/audit"
	"vigil/internal/caseio"
	"vigil/internal/network"
	"vigil/internal/network/networktest"
	"vigil/internal/store"
)

// networkCase makes a case holding the networktest Operation.
func networkCase(t *testing.T) (string, *networktest.Truth) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("VIGIL_KEYS", filepath.Join(dir, "keys"))
	t.Setenv("VIGIL_ACTOR", "tester")
	ctx := audit.WithActor(context.Background(), "tester")
	c, err := caseio.Init(ctx, filepath.Join(dir, "case"), "Network Test", caseio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	truth, err := networktest.Operation(ctx, c.Store)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "case"), truth
}

// vigilIn runs the network and report commands in this process.
func vigilIn(t *testing.T, caseDir string, args ...string) (string, error) {
	t.Helper()
	a := &app{caseDir: caseDir}
	root := &cobra.Command{Use: "vigil", SilenceUsage: true, SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.setup(cmd) }}
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "")
	root.AddCommand(newNetworkCmd(a), newReportCmd(a))
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		t.Logf("vigil %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), err
}

func mustRun(t *testing.T, caseDir string, args ...string) string {
	t.Helper()
	out, err := vigilIn(t, caseDir, args...)
	if err != nil {
		t.Fatalf("vigil %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// auditRecords returns the details of the audit records of an action.
func auditRecords(t *testing.T, caseDir, action string) []map[string]any {
	t.Helper()
	ctx := context.Background()
	c, err := caseio.Open(ctx, caseDir, caseio.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []map[string]any
	if err := c.Store.AuditRecords(ctx, store.AuditQuery{Action: action}, func(r audit.Record) error {
		var d map[string]any
		if err := json.Unmarshal([]byte(r.Details), &d); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := c.VerifyAudit(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("audit chain: %v %v", err, rep.Findings)
	}
	return out
}

func TestNetworkDistributorsCommand(t *testing.T) {
	caseDir, truth := networkCase(t)

	var ds []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, caseDir, "network", "distributors", "--format", "json")), &ds); err != nil {
		t.Fatal(err)
	}
	var jids []string
	for _, d := range ds {
		for _, k := range []string{"jid", "phone", "country", "score", "items", "seeded", "groups", "devices", "evidence"} {
			if _, ok := d[k]; !ok {
				t.Errorf("distributor JSON lacks %q", k)
			}
		}
		jids = append(jids, d["jid"].(string))
		ph, _ := d["phone"].(string)
		if !strings.HasPrefix(ph, "+") {
			t.Errorf("%s: phone %q is not E.164", d["jid"], ph)
		}
		evs, _ := d["evidence"].([]any)
		if len(evs) == 0 {
			t.Errorf("%s: no evidence", d["jid"])
		}
		for _, e := range evs {
			em := e.(map[string]any)
			for _, k := range []string{"chat", "time", "sha256", "set", "category", "device"} {
				if _, ok := em[k]; !ok {
					t.Errorf("evidence lacks %q", k)
				}
			}
			if !slices.Contains(truth.Items, em["sha256"].(string)) {
				t.Errorf("evidence names %v, not a known item", em["sha256"])
			}
		}
	}
	slices.Sort(jids)
	want := slices.Clone(truth.Distributors)
	slices.Sort(want)
	if !slices.Equal(jids, want) {
		t.Errorf("distributors %v, want %v", jids, want)
	}

	// CSV: a header and one row per distributor; --evidence: one row per
	// message behind the scores.
	rows, err := csv.NewReader(strings.NewReader(mustRun(t, caseDir, "network", "distributors", "--format", "csv"))).ReadAll()
	if err != nil || len(rows) != 1+len(truth.Distributors) || rows[0][1] != "jid" {
		t.Fatalf("CSV: %v %v", rows, err)
	}
	rows, err = csv.NewReader(strings.NewReader(mustRun(t, caseDir, "network", "distributors", "--evidence", "--format", "csv"))).ReadAll()
	msgs := 0
	for _, c := range truth.Counts {
		msgs += c.Messages
	}
	if err != nil || len(rows) != 1+msgs {
		t.Fatalf("evidence CSV: %d rows (%v), want %d", len(rows), err, 1+msgs)
	}
	if table := mustRun(t, caseDir, "network", "distributors"); !strings.Contains(table, "RANK") || !strings.Contains(table, networktest.D2) {
		t.Errorf("table:\n%s", table)
	}

	// Every run is in the audit chain, with the digest of its result,
	// which an analysis made here independently reproduces.
	recs := auditRecords(t, caseDir, "network.analyze")
	if len(recs) != 4 {
		t.Fatalf("%d network.analyze records, want 4", len(recs))
	}
	ctx := context.Background()
	c, err := caseio.Open(ctx, caseDir, caseio.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := network.Analyze(ctx, c.Store, network.Options{})
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := r.Digest()
	for _, rec := range recs {
		if rec["digest"] != digest {
			t.Errorf("recorded digest %v, analysis gives %s", rec["digest"], digest)
		}
	}
}

func TestNetworkOtherCommands(t *testing.T) {
	caseDir, truth := networkCase(t)

	var groups []network.Group
	if err := json.Unmarshal([]byte(mustRun(t, caseDir, "network", "groups", "--format", "json")), &groups); err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if want, ok := truth.GroupDevices[g.JID]; ok && !slices.Equal(g.Devices, want) {
			t.Errorf("group %s on %v, want %v", g.JID, g.Devices, want)
		}
	}
	if len(groups) != len(truth.GroupDevices) {
		t.Errorf("%d groups, want %d", len(groups), len(truth.GroupDevices))
	}
	dist := mustRun(t, caseDir, "network", "groups", "--distribution", "--format", "csv")
	if strings.Contains(dist, networktest.G4) || !strings.Contains(dist, networktest.G1) {
		t.Errorf("--distribution:\n%s", dist)
	}

	rows, err := csv.NewReader(strings.NewReader(mustRun(t, caseDir, "network", "countries", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if r[0] == network.Unknown {
			found = true
		}
	}
	if !found {
		t.Errorf("countries without the unknown row: %v", rows)
	}

	var tl []network.Bucket
	if err := json.Unmarshal([]byte(mustRun(t, caseDir, "network", "timeline", "--by", "week", "--format", "json")), &tl); err != nil {
		t.Fatal(err)
	}
	if len(tl) != 1 || tl[0].Messages != truth.Messages || tl[0].Start.Weekday() != 1 {
		t.Errorf("weekly timeline %+v", tl)
	}
	if _, err := vigilIn(t, caseDir, "network", "timeline", "--by", "month"); err == nil {
		t.Errorf("--by month accepted")
	}
	if _, err := vigilIn(t, caseDir, "network", "distributors", "--abuse-categories", "UK"); err == nil {
		t.Errorf("a malformed --abuse-categories accepted")
	}

	items := mustRun(t, caseDir, "network", "items", "--format", "csv")
	for sha, seeder := range truth.Seeders {
		if !strings.Contains(items, sha+",") || !strings.Contains(items, seeder) {
			t.Errorf("items lack %s seeded by %s", sha[:8], seeder)
		}
	}

	// The graph, to a file, recorded with its SHA-256.
	out := filepath.Join(t.TempDir(), "net.graphml")
	mustRun(t, caseDir, "network", "graph", "--format", "graphml", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Graph   struct {
			Nodes []struct {
				ID string `xml:"id,attr"`
			} `xml:"node"`
		} `xml:"graph"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil || doc.XMLName.Local != "graphml" || len(doc.Graph.Nodes) == 0 {
		t.Fatalf("graphml: %v, %d nodes", err, len(doc.Graph.Nodes))
	}
	sum := sha256.Sum256(b)
	recs := auditRecords(t, caseDir, "network.export")
	if len(recs) != 1 || recs[0]["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("export record %v, file SHA-256 %x", recs, sum)
	}
	if _, err := vigilIn(t, caseDir, "network", "graph", "--format", "dot"); err == nil {
		t.Errorf("--format dot accepted")
	}
	var nl struct {
		Nodes []network.Node `json:"nodes"`
		Edges []network.Edge `json:"edges"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, caseDir, "network", "graph", "--format", "json", "--scope", "all")), &nl); err != nil {
		t.Fatal(err)
	}
	if len(nl.Nodes) <= len(doc.Graph.Nodes) {
		t.Errorf("scope all: %d nodes, distribution scope %d", len(nl.Nodes), len(doc.Graph.Nodes))
	}
}

func TestReportCommand(t *testing.T) {
	caseDir, truth := networkCase(t)
	out := filepath.Join(t.TempDir(), "report.html")
	mustRun(t, caseDir, "report", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range append([]string{"Case report: Network Test", "Evidence trails", truth.LinkedFile}, truth.Distributors...) {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"<img", "data:image", "src=", "href=", "<script"} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	sum := sha256.Sum256(b)
	recs := auditRecords(t, caseDir, "report.write")
	if len(recs) != 1 || recs[0]["sha256"] != hex.EncodeToString(sum[:]) || recs[0]["format"] != "html" || recs[0]["audit_ok"] != true {
		t.Errorf("report record %v, file SHA-256 %x", recs, sum)
	}
	if len(auditRecords(t, caseDir, "network.analyze")) != 1 {
		t.Errorf("the report's analysis is not recorded")
	}

	var js struct {
		Network struct {
			Distributors []network.Distributor `json:"distributors"`
		} `json:"network"`
		NetworkDigest string `json:"network_digest"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, caseDir, "report", "--format", "json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Network.Distributors) != len(truth.Distributors) || js.NetworkDigest != recs[0]["network_digest"] {
		t.Errorf("JSON report: %d distributors, digest %s (HTML's %v)", len(js.Network.Distributors), js.NetworkDigest, recs[0]["network_digest"])
	}
	if _, err := vigilIn(t, caseDir, "report"); err == nil {
		t.Errorf("an HTML report without --out accepted")
	}
}
