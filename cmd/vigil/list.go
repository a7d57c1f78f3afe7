package main

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"vigil/internal/caseio"
	"vigil/internal/intake"
	"vigil/internal/store"
)

func mustHexKey(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

func newDevicesCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List the seized devices of the case",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				ds, err := c.Store.Devices(cmd.Context())
				if err != nil {
					return err
				}
				return printAll(a.stdout, format, []column[store.DeviceSummary]{
					{"device", func(d store.DeviceSummary) string { return d.Label }},
					{"suspect", func(d store.DeviceSummary) string { return d.Suspect }},
					{"country", func(d store.DeviceSummary) string { return d.Country }},
					{"seized", func(d store.DeviceSummary) string { return fmtTime(d.SeizedAt) }},
					{"place", func(d store.DeviceSummary) string { return d.Place }},
					{"sources", func(d store.DeviceSummary) string { return strconv.Itoa(d.Sources) }},
					{"files", func(d store.DeviceSummary) string { return strconv.FormatInt(d.Files, 10) }},
					{"bytes", func(d store.DeviceSummary) string { return strconv.FormatInt(d.Bytes, 10) }},
					{"errors", func(d store.DeviceSummary) string { return strconv.FormatInt(d.Errors, 10) }},
					{"alerts", func(d store.DeviceSummary) string { return strconv.FormatInt(d.Alerts, 10) }},
					{"known", func(d store.DeviceSummary) string { return strconv.FormatInt(d.Known, 10) }},
				}, ds)
			})
		},
	}
	addFormatFlag(cmd, &format)
	cmd.AddCommand(newSourcesCmd(a))
	return cmd
}

func newSourcesCmd(a *app) *cobra.Command {
	var format, device string
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "List acquisition records: what was read, by whom, when, with which container hashes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				ss, err := c.Store.Sources(cmd.Context(), device)
				if err != nil {
					return err
				}
				return printAll(a.stdout, format, []column[store.Source]{
					{"device", func(s store.Source) string { return s.Device }},
					{"kind", func(s store.Source) string { return s.Kind }},
					{"path", func(s store.Source) string { return s.Path }},
					{"status", func(s store.Source) string { return s.Status }},
					{"files", func(s store.Source) string { return strconv.FormatInt(s.Files, 10) }},
					{"errors", func(s store.Source) string { return strconv.FormatInt(s.Errors, 10) }},
					{"sha256", func(s store.Source) string { return s.ContainerSHA256 }},
					{"operator", func(s store.Source) string { return s.Operator }},
					{"started", func(s store.Source) string { return fmtTime(s.Started) }},
					{"verified", func(s store.Source) string { return fmtTime(s.Verified) + " " + s.VerifyStatus }},
				}, ss)
			})
		},
	}
	cmd.Flags().StringVar(&device, "device", "", "only this device")
	addFormatFlag(cmd, &format)
	return cmd
}

func newFilesCmd(a *app) *cobra.Command {
	var format string
	var q store.FileQuery
	cmd := &cobra.Command{
		Use:   "files",
		Short: "List the files found on the devices, with hashes, type, EXIF and PDQ",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[store.FileView]{
					{"device", func(v store.FileView) string { return v.Device }},
					{"path", func(v store.FileView) string { return v.Path }},
					{"size", func(v store.FileView) string { return strconv.FormatInt(v.Size, 10) }},
					{"kind", func(v store.FileView) string { return v.Kind }},
					{"mime", func(v store.FileView) string { return v.MIME }},
					{"md5", func(v store.FileView) string { return v.MD5 }},
					{"sha1", func(v store.FileView) string { return v.SHA1 }},
					{"sha256", func(v store.FileView) string { return v.SHA256 }},
					{"pdq", func(v store.FileView) string { return deref(v.PDQ) }},
					{"match", func(v store.FileView) string { return v.Match }},
					{"error", func(v store.FileView) string { return deref(v.Error) }},
				})
				if err != nil {
					return err
				}
				if err := c.Store.Files(cmd.Context(), q, p.Row); err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Device, "device", "", "only this device")
	f.StringVar(&q.Kind, "kind", "", "only this kind: image, video, audio, document, archive, database, other")
	f.StringVar(&q.SHA256, "sha256", "", "only files with this content")
	f.BoolVar(&q.Errors, "errors", false, "only files that could not be read or analysed")
	f.StringVar(&q.Match, "match", "", "only files whose content matches: alert, known, or none (the review queue: neither)")
	addFormatFlag(cmd, &format)
	return cmd
}

func newVerifyCmd(a *app) *cobra.Command {
	var format, device string
	var workers int
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Re-read the evidence and list every file whose hashes changed or that is missing",
		Long: `Re-read every source (or those of one device) and compare with what was recorded:
container digests for archives and images, every file's SHA-256 for directories.
The outcome is recorded in the case and its audit chain. Exit status 1 if
anything changed or is missing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var bad int
			err := a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				ctx := cmd.Context()
				srcs, err := c.Store.Sources(ctx, device)
				if err != nil {
					return err
				}
				if len(srcs) == 0 {
					return fmt.Errorf("no sources to verify%s", map[bool]string{true: " for device " + device}[device != ""])
				}
				p, err := newPrinter(a.stdout, format, []column[intake.Mismatch]{
					{"device", func(m intake.Mismatch) string { return m.Device }},
					{"source", func(m intake.Mismatch) string { return m.Source }},
					{"path", func(m intake.Mismatch) string { return m.Path }},
					{"status", func(m intake.Mismatch) string { return m.Status }},
					{"was", func(m intake.Mismatch) string { return m.Was }},
					{"now", func(m intake.Mismatch) string { return m.Now }},
					{"error", func(m intake.Mismatch) string { return m.Error }},
				})
				if err != nil {
					return err
				}
				pr := a.newProgress()
				var checked int64
				for _, s := range srcs {
					started := time.Now()
					res, err := intake.Verify(ctx, c.Store, s, workers, func(done, total int64) {
						pr.update("verify "+s.Device, done, total, fmt.Sprintf("%s / %s %s", humanize.Bytes(uint64(done)),
							humanize.Bytes(uint64(total)), rateETA(started, done, total, true)))
					})
					if err != nil {
						pr.done()
						return err
					}
					checked += res.Checked
					for _, m := range res.Mismatches {
						bad++
						if err := p.Row(m); err != nil {
							return err
						}
					}
				}
				pr.done()
				if err := p.Close(); err != nil {
					return err
				}
				if format == "table" {
					fmt.Fprintf(a.stderr, "%d sources, %d files checked, %d changed or missing\n", len(srcs), checked, bad)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if bad > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&device, "device", "", "only this device")
	cmd.Flags().IntVar(&workers, "workers", 0, "files read at once (default: the number of cores)")
	addFormatFlag(cmd, &format)
	return cmd
}
