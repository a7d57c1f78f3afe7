package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"vigil/internal/audit"
	"vigil/internal/caseio"
	"vigil/internal/store"
)

func newAuditCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show and verify the case's tamper-evident audit chain",
	}
	cmd.AddCommand(newAuditShowCmd(a), newAuditVerifyCmd(a))
	return cmd
}

func newAuditShowCmd(a *app) *cobra.Command {
	var format, since, until string
	var q store.AuditQuery
	cmd := &cobra.Command{
		Use:   "show",
		Short: "List audit records, filtered",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if since != "" {
				if q.Since, err = parseTime(since); err != nil {
					return fmt.Errorf("--since: %w", err)
				}
			}
			if until != "" {
				if q.Until, err = parseTime(until); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[audit.Record]{
					{"seq", func(r audit.Record) string { return strconv.FormatInt(r.Seq, 10) }},
					{"time", func(r audit.Record) string { return r.Time }},
					{"actor", func(r audit.Record) string { return r.Actor }},
					{"action", func(r audit.Record) string { return r.Action }},
					{"object", func(r audit.Record) string { return r.Object }},
					{"details", func(r audit.Record) string { return r.Details }},
					{"hash", func(r audit.Record) string { return r.Hash[:16] }},
				})
				if err != nil {
					return err
				}
				if err := c.Store.AuditRecords(cmd.Context(), q, p.Row); err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Actor, "actor-is", "", "only records by this actor")
	f.StringVar(&q.Action, "action", "", "only actions starting with this (ingest, hashset., match, review…)")
	f.StringVar(&q.Object, "object", "", "only objects starting with this (device:X, source:3, content:…)")
	f.StringVar(&since, "since", "", "only records at or after this time")
	f.StringVar(&until, "until", "", "only records before this time")
	f.Int64Var(&q.FromSeq, "from", 0, "only records from this sequence number on")
	f.IntVar(&q.Limit, "limit", 0, "at most this many records")
	addFormatFlag(cmd, &format)
	return cmd
}

func newAuditVerifyCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check every record's hash, the links between them and the signed checkpoints",
		Long: `Recompute the hash of every audit record and check that each links to the one
before; check every signed checkpoint (in the case and in the heads log beside
the key) against the record it names. Any edited, deleted, inserted or reordered
record is reported with the first bad sequence number; exit status 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var rep audit.Report
			err := a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				var err error
				rep, err = c.VerifyAudit(cmd.Context())
				return err
			})
			if err != nil {
				return err
			}
			switch format {
			case "json":
				if err := printJSON(a.stdout, rep); err != nil {
					return err
				}
			default:
				if rep.OK() {
					fmt.Fprintf(a.stdout, "audit chain intact: %d records, head %d (%s…), %d checkpoints, signed up to %d\n",
						rep.Records, rep.HeadSeq, short(rep.Head), rep.Checkpoints, rep.SignedUpTo)
					if rep.SignedUpTo < rep.HeadSeq {
						fmt.Fprintf(a.stdout, "records %d to %d are not yet covered by a signed checkpoint\n", rep.SignedUpTo+1, rep.HeadSeq)
					}
				} else {
					fmt.Fprintf(a.stdout, "AUDIT CHAIN BROKEN: first bad record %d\n", rep.FirstBad)
					for _, f := range rep.Findings {
						fmt.Fprintln(a.stdout, " ", f)
					}
				}
			}
			if !rep.OK() {
				return exitError{1}
			}
			return nil
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}
