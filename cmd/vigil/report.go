package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"vigil/internal/audit"
	"vigil/internal/caseio"
	"vigil/internal/report"
)

// newReportCmd is "vigil report": the case report.
func newReportCmd(a *app) *cobra.Command {
	f := &networkFlags{}
	var out, format string
	var o report.Options
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the case report: one self-contained HTML file to print, or JSON",
		Long: `Write the case report an investigator prints and hands on: the case and its
devices, the acquisition and integrity record of every source, the state of the
audit chain (verified now), hash-set hits by set and category, the distributors
ranked with their evidence trails, known items and their spread, the
distribution groups, countries, an activity timeline and a picture of the
network.

The HTML file holds everything it shows (inline styles and SVG charts): it opens
without network access and embeds no image or media of any kind. --format json
gives the same content as data.

The network analysis and the written report (with the SHA-256 of the file) are
recorded in the audit chain.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "html" && format != "json" {
				return fmt.Errorf("--format %q: use html or json", format)
			}
			if format == "html" && out == "" {
				return fmt.Errorf("give --out FILE.html (the HTML report is a file to open or print)")
			}
			if o.EvidenceLimit < 0 || o.PictureNodes < 0 {
				return fmt.Errorf("--evidence-limit and --picture-nodes must not be negative")
			}
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				ctx := cmd.Context()
				var err error
				if o.Network, err = f.options(a); err != nil {
					return err
				}
				r, err := report.Build(ctx, c, o)
				if o.Network.Progress != nil {
					fmt.Fprint(a.stderr, "\r\033[K")
				}
				if err != nil {
					return err
				}
				if err := recordAnalysis(ctx, c, r.Network, "report"); err != nil {
					return err
				}
				sum, n, err := writeHashed(out, a.stdout, func(w io.Writer) error {
					if format == "json" {
						return report.WriteJSON(w, r)
					}
					return report.WriteHTML(w, r, o)
				})
				if err != nil {
					return err
				}
				if _, err := c.Store.Record(ctx, audit.Entry{Action: "report.write", Object: "report:" + outputName(out),
					Details: map[string]any{"format": format, "path": outputPath(out), "sha256": sum, "bytes": n,
						"network_digest": r.NetworkDigest, "audit_ok": r.Audit.OK, "audit_head_seq": r.Audit.HeadSeq,
						"distributors": len(r.Network.Distributors), "generated": r.Generated.Format("2006-01-02T15:04:05Z")}}); err != nil {
					return err
				}
				if out != "" && !a.quiet {
					fmt.Fprintf(a.stderr, "report: %s written (%d bytes, SHA-256 %s); audit chain %s\n", out, n, sum, auditWord(r.Audit))
				}
				if !r.Audit.OK {
					a.warnf("the audit chain did not verify: the report says so; run vigil audit verify")
				}
				return nil
			})
		},
	}
	f.add(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "the file to write (required for HTML; JSON goes to standard output without it)")
	cmd.Flags().StringVar(&format, "format", "html", "html or json")
	cmd.Flags().IntVar(&o.EvidenceLimit, "evidence-limit", 0, "at most this many evidence messages per distributor in the HTML (0: all; JSON has all)")
	cmd.Flags().IntVar(&o.PictureNodes, "picture-nodes", 250, "at most this many nodes in the network picture")
	cmd.Flags().StringVar(&f.bucket, "by", "day", "step of the activity timeline: day or week")
	return cmd
}

func auditWord(a report.Audit) string {
	if a.OK {
		return "intact"
	}
	return "BROKEN"
}
