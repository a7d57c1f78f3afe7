package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/audit"
	"vigil/internal/caseio"
	"vigil/internal/network"
	"vigil/internal/report"
)

// networkFlags are the analysis options every network command takes.
type networkFlags struct {
	window time.Duration
	bucket string
	abuse  []string
}

func (f *networkFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().DurationVar(&f.window, "merge-window", network.DefaultMergeWindow,
		"records of one message (same chat, sender and content) from different sources dated this close are counted once")
	cmd.PersistentFlags().StringArrayVar(&f.abuse, "abuse-categories", nil,
		"PROFILE=CODES: the category codes that mean abuse material in a profile the built-in table does not know (e.g. UK=1,2,3); repeatable")
}

func (f *networkFlags) options(a *app) (network.Options, error) {
	codes, err := network.ParseAbuseCodes(f.abuse)
	if err != nil {
		return network.Options{}, err
	}
	o := network.Options{MergeWindow: f.window, Bucket: f.bucket, AbuseCodes: codes}
	if f.window <= 0 {
		return o, fmt.Errorf("--merge-window %v: must be positive", f.window)
	}
	if !a.quiet && a.terminal() {
		o.Progress = func(stage string) { fmt.Fprintf(a.stderr, "\rnetwork: %-12s", stage) }
	}
	return o, nil
}

// analyze runs the network analysis on the open case and records the run,
// with the digest of its result, in the audit chain.
func (a *app) analyze(ctx context.Context, c *caseio.Case, f *networkFlags, command string) (*network.Result, error) {
	o, err := f.options(a)
	if err != nil {
		return nil, err
	}
	r, err := network.Analyze(ctx, c.Store, o)
	if o.Progress != nil {
		fmt.Fprint(a.stderr, "\r\033[K")
	}
	if err != nil {
		return nil, err
	}
	if err := recordAnalysis(ctx, c, r, command); err != nil {
		return nil, err
	}
	return r, nil
}

func recordAnalysis(ctx context.Context, c *caseio.Case, r *network.Result, command string) error {
	d, err := r.AuditDetails()
	if err != nil {
		return err
	}
	d["command"] = command
	_, err = c.Store.Record(ctx, audit.Entry{Action: "network.analyze", Object: "case:" + c.Info.ID, Details: d})
	return err
}

// newNetworkCmd is "vigil network": the distribution network of the case.
func newNetworkCmd(a *app) *cobra.Command {
	f := &networkFlags{}
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Distribution network: distributors, groups, countries, timeline, graph",
		Long: `Reconstruct the distribution network from every device of the case: accounts and
groups merged across devices, messages seen on several devices counted once,
known items (contents matching an alert hash set, or put in an abuse category by
an analyst), and from them distributors ranked by score with their evidence,
seeders, spreaders, group admins and creators, bridges, countries and a
timeline. Definitions and the score formula: docs/NETWORK.md.

Each run is recorded in the audit chain with the digest of its result: the same
case gives the same digest.`,
	}
	f.add(cmd)
	cmd.AddCommand(newNetworkDistributorsCmd(a, f), newNetworkItemsCmd(a, f), newNetworkGroupsCmd(a, f), newNetworkBridgesCmd(a, f),
		newNetworkCountriesCmd(a, f), newNetworkTimelineCmd(a, f), newNetworkGraphCmd(a, f))
	return cmd
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return fmtTime(*t)
}

func newNetworkDistributorsCmd(a *app, f *networkFlags) *cobra.Command {
	var format string
	var evidence bool
	cmd := &cobra.Command{
		Use:   "distributors",
		Short: "Accounts that sent known items, ranked by score, with the evidence behind it",
		Long: `List the distributors ranked by score (` + network.ScoreFormula + `).
JSON gives each with his evidence: every message behind the score, with its chat,
time, content hash, hash set, category and the devices that recorded it.
--evidence lists one row per evidence message (table and CSV).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				r, err := a.analyze(cmd.Context(), c, f, "distributors")
				if err != nil {
					return err
				}
				if evidence && format != "json" {
					type row struct {
						d network.Distributor
						e network.Evidence
					}
					var rows []row
					for _, d := range r.Distributors {
						for _, e := range d.Evidence {
							rows = append(rows, row{d, e})
						}
					}
					return printAll(a.stdout, format, []column[row]{
						{"rank", func(x row) string { return strconv.Itoa(x.d.Rank) }},
						{"jid", func(x row) string { return x.d.JID }},
						{"time", func(x row) string { return fmtTimePtr(x.e.Time) }},
						{"chat", func(x row) string { return x.e.Chat }},
						{"subject", func(x row) string { return x.e.ChatSubject }},
						{"sha256", func(x row) string { return x.e.SHA256 }},
						{"set", func(x row) string { return x.e.Set }},
						{"category", func(x row) string { return x.e.Category }},
						{"match", func(x row) string { return x.e.Match }},
						{"device", func(x row) string { return x.e.Device }},
						{"devices", func(x row) string { return strings.Join(x.e.Devices, " ") }},
						{"seed", func(x row) string { return strconv.FormatBool(x.e.Seed) }},
						{"files", func(x row) string {
							var fs []string
							for _, o := range x.e.Observations {
								if o.File != "" {
									fs = append(fs, o.File)
								}
							}
							return strings.Join(fs, " ")
						}},
						{"sources", func(x row) string {
							var ss []string
							for _, o := range x.e.Observations {
								ss = append(ss, o.Device+":"+o.Source)
							}
							return strings.Join(ss, " ")
						}},
					}, rows)
				}
				return printAll(a.stdout, format, []column[network.Distributor]{
					{"rank", func(d network.Distributor) string { return strconv.Itoa(d.Rank) }},
					{"jid", func(d network.Distributor) string { return d.JID }},
					{"phone", func(d network.Distributor) string { return deref(d.Phone) }},
					{"country", func(d network.Distributor) string { return d.Country }},
					{"score", func(d network.Distributor) string { return strconv.Itoa(d.Score) }},
					{"items", func(d network.Distributor) string { return strconv.Itoa(d.Items) }},
					{"seeded", func(d network.Distributor) string { return strconv.Itoa(d.Seeded) }},
					{"spread", func(d network.Distributor) string { return strconv.Itoa(d.Spread) }},
					{"groups", func(d network.Distributor) string { return strconv.Itoa(d.Groups) }},
					{"direct", func(d network.Distributor) string { return strconv.Itoa(d.Direct) }},
					{"members", func(d network.Distributor) string { return strconv.Itoa(d.Members) }},
					{"admin_roles", func(d network.Distributor) string { return strconv.Itoa(d.AdminRoles) }},
					{"messages", func(d network.Distributor) string { return strconv.Itoa(d.Messages) }},
					{"devices", func(d network.Distributor) string { return strings.Join(d.Devices, " ") }},
					{"owner_of", func(d network.Distributor) string { return strings.Join(d.OwnerOf, " ") }},
					{"first", func(d network.Distributor) string { return fmtTimePtr(d.First) }},
					{"last", func(d network.Distributor) string { return fmtTimePtr(d.Last) }},
				}, r.Distributors)
			})
		},
	}
	cmd.Flags().BoolVar(&evidence, "evidence", false, "one row per evidence message (table and CSV)")
	addFormatFlag(cmd, &format)
	return cmd
}

func newNetworkItemsCmd(a *app, f *networkFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "items",
		Short: "Known items sent in chats: seeder, first observation, spread",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				r, err := a.analyze(cmd.Context(), c, f, "items")
				if err != nil {
					return err
				}
				return printAll(a.stdout, format, []column[network.Item]{
					{"sha256", func(i network.Item) string { return i.SHA256 }},
					{"category", func(i network.Item) string { return i.Category }},
					{"basis", func(i network.Item) string { return i.Basis }},
					{"match", func(i network.Item) string { return i.Match }},
					{"sets", func(i network.Item) string { return strings.Join(i.Sets, " ") }},
					{"first_seen", func(i network.Item) string { return fmtTimePtr(i.FirstSeen) }},
					{"seeder", func(i network.Item) string { return deref(i.Seeder) }},
					{"first_chat", func(i network.Item) string { return i.FirstChat }},
					{"first_device", func(i network.Item) string { return i.FirstDevice }},
					{"chats", func(i network.Item) string { return strconv.Itoa(i.Chats) }},
					{"senders", func(i network.Item) string { return strconv.Itoa(i.Senders) }},
					{"messages", func(i network.Item) string { return strconv.Itoa(i.Messages) }},
					{"devices", func(i network.Item) string { return strings.Join(i.Devices, " ") }},
				}, r.Items)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func newNetworkGroupsCmd(a *app, f *networkFlags) *cobra.Command {
	var format string
	var distribution bool
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "Groups: creator, admins, members, known items, distributors, invite links, devices",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				r, err := a.analyze(cmd.Context(), c, f, "groups")
				if err != nil {
					return err
				}
				gs := r.Groups
				if distribution {
					gs = nil
					for _, g := range r.Groups {
						if g.Distribution {
							gs = append(gs, g)
						}
					}
				}
				return printAll(a.stdout, format, []column[network.Group]{
					{"jid", func(g network.Group) string { return g.JID }},
					{"kind", func(g network.Group) string { return g.Kind }},
					{"subject", func(g network.Group) string { return g.Subject }},
					{"distribution", func(g network.Group) string { return strconv.FormatBool(g.Distribution) }},
					{"created", func(g network.Group) string { return fmtTimePtr(g.Created) }},
					{"creator", func(g network.Group) string { return deref(g.Creator) }},
					{"country", func(g network.Group) string { return g.Country }},
					{"admins", func(g network.Group) string { return strings.Join(g.Admins, " ") }},
					{"members", func(g network.Group) string { return strconv.Itoa(g.Members) }},
					{"messages", func(g network.Group) string { return strconv.FormatInt(g.Messages, 10) }},
					{"known_items", func(g network.Group) string { return strconv.Itoa(g.KnownItems) }},
					{"known_messages", func(g network.Group) string { return strconv.Itoa(g.KnownMsgs) }},
					{"distributors", func(g network.Group) string { return strings.Join(g.Distributors, " ") }},
					{"invite_links", func(g network.Group) string { return strings.Join(g.InviteLinks, " ") }},
					{"devices", func(g network.Group) string { return strings.Join(g.Devices, " ") }},
				}, gs)
			})
		},
	}
	cmd.Flags().BoolVar(&distribution, "distribution", false, "only groups in which known items were sent")
	addFormatFlag(cmd, &format)
	return cmd
}

func newNetworkBridgesCmd(a *app, f *networkFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "bridges",
		Short: "Accounts that posted in two or more distribution groups",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				r, err := a.analyze(cmd.Context(), c, f, "bridges")
				if err != nil {
					return err
				}
				return printAll(a.stdout, format, []column[network.Bridge]{
					{"jid", func(b network.Bridge) string { return b.JID }},
					{"phone", func(b network.Bridge) string { return deref(b.Phone) }},
					{"country", func(b network.Bridge) string { return b.Country }},
					{"distributor", func(b network.Bridge) string { return strconv.FormatBool(b.Distributor) }},
					{"groups", func(b network.Bridge) string { return strings.Join(b.Groups, " ") }},
					{"member_of", func(b network.Bridge) string { return strconv.Itoa(b.MemberOf) }},
				}, r.Bridges)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func newNetworkCountriesCmd(a *app, f *networkFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "countries",
		Short: "Accounts, members, distributors and groups by country (from phone numbers; unknown kept)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				r, err := a.analyze(cmd.Context(), c, f, "countries")
				if err != nil {
					return err
				}
				return printAll(a.stdout, format, []column[network.Country]{
					{"country", func(x network.Country) string { return x.Country }},
					{"accounts", func(x network.Country) string { return strconv.Itoa(x.Accounts) }},
					{"members", func(x network.Country) string { return strconv.Itoa(x.Members) }},
					{"distributors", func(x network.Country) string { return strconv.Itoa(x.Distributors) }},
					{"seeders", func(x network.Country) string { return strconv.Itoa(x.Seeders) }},
					{"groups", func(x network.Country) string { return strconv.Itoa(x.Groups) }},
					{"groups_created", func(x network.Country) string { return strconv.Itoa(x.GroupsCreated) }},
					{"items", func(x network.Country) string { return strconv.Itoa(x.Items) }},
				}, r.Countries)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func newNetworkTimelineCmd(a *app, f *networkFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "timeline",
		Short: "Messages, known items and active distributors per day or week",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				r, err := a.analyze(cmd.Context(), c, f, "timeline")
				if err != nil {
					return err
				}
				return printAll(a.stdout, format, []column[network.Bucket]{
					{"start", func(b network.Bucket) string { return fmtTime(b.Start) }},
					{"messages", func(b network.Bucket) string { return strconv.FormatInt(b.Messages, 10) }},
					{"media", func(b network.Bucket) string { return strconv.FormatInt(b.MediaMessages, 10) }},
					{"known_messages", func(b network.Bucket) string { return strconv.FormatInt(b.KnownMessages, 10) }},
					{"known_items", func(b network.Bucket) string { return strconv.Itoa(b.KnownItems) }},
					{"new_items", func(b network.Bucket) string { return strconv.Itoa(b.NewItems) }},
					{"distributors", func(b network.Bucket) string { return strconv.Itoa(b.Distributors) }},
				}, r.Timeline)
			})
		},
	}
	cmd.Flags().StringVar(&f.bucket, "by", "day", "step of the timeline: day or week")
	addFormatFlag(cmd, &format)
	return cmd
}

func newNetworkGraphCmd(a *app, f *networkFlags) *cobra.Command {
	var format, scope, out string
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Export the network graph for Gephi or networkx (GraphML, GEXF, JSON)",
		Long: `Write the graph of accounts and groups: an edge from each account to each group it
is a member of or posted in (membership, role, messages, known messages), from
the sender to the recipient of direct messages, and between groups that share
members, known items or invite links (co-membership). --scope distribution (the
default) keeps distribution groups, their members and distributors; all keeps
every account and group. GraphML and GEXF open in Gephi (File > Open) and in
networkx (read_graphml, read_gexf); JSON is networkx's node-link form
(node_link_graph).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case report.FormatGraphML, report.FormatGEXF, report.FormatJSON:
			default:
				return fmt.Errorf("--format %q: use graphml, gexf or json", format)
			}
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				ctx := cmd.Context()
				r, err := a.analyze(ctx, c, f, "graph")
				if err != nil {
					return err
				}
				g, err := r.Graph(scope)
				if err != nil {
					return err
				}
				sum, n, err := writeHashed(out, a.stdout, func(w io.Writer) error { return report.WriteGraph(w, g, format) })
				if err != nil {
					return err
				}
				_, err = c.Store.Record(ctx, audit.Entry{Action: "network.export", Object: "graph:" + outputName(out),
					Details: map[string]any{"format": format, "scope": g.Scope, "nodes": len(g.Nodes), "edges": len(g.Edges),
						"sha256": sum, "bytes": n, "path": outputPath(out)}})
				if err == nil && out != "" && !a.quiet {
					fmt.Fprintf(a.stderr, "graph: %d nodes, %d edges written to %s (SHA-256 %s)\n", len(g.Nodes), len(g.Edges), out, sum)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", report.FormatGraphML, "graphml, gexf or json")
	cmd.Flags().StringVar(&scope, "scope", network.ScopeDistribution, "distribution or all")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to this file (default: standard output)")
	return cmd
}

func outputName(out string) string {
	if out == "" {
		return "stdout"
	}
	return filepath.Base(out)
}

func outputPath(out string) string {
	if out == "" {
		return ""
	}
	if abs, err := filepath.Abs(out); err == nil {
		return abs
	}
	return out
}

// hashWriter counts and hashes what goes through it.
type hashWriter struct {
	w io.Writer
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

// writeHashed writes what write produces to the file out (through a
// temporary file renamed into place, so a failed write leaves no half
// file) or to stdout when out is "", and returns its SHA-256 and size.
func writeHashed(out string, stdout io.Writer, write func(io.Writer) error) (string, int64, error) {
	hw := &hashWriter{w: stdout, h: sha256.New()}
	if out == "" {
		if err := write(hw); err != nil {
			return "", 0, err
		}
		return hex.EncodeToString(hw.h.Sum(nil)), hw.n, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return "", 0, fmt.Errorf("writing %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	hw.w = tmp
	if err := write(hw); err != nil {
		tmp.Close()
		return "", 0, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", 0, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", 0, fmt.Errorf("writing %s: %w", out, err)
	}
	return hex.EncodeToString(hw.h.Sum(nil)), hw.n, nil
}
