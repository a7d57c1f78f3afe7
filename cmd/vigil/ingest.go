package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"vigil/internal/artifact"
	"vigil/internal/audit"
	"vigil/internal/caseio"
	"vigil/internal/intake"
	"vigil/internal/store"
)

func newInitCmd(a *app) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Create a case directory",
		Long: `Create a case: DIR/case.json, DIR/case.db (SQLite) and a new Ed25519 key that signs
the case's audit chain. The key is kept outside the case, in $VIGIL_KEYS or
~/.config/vigil/keys; keep it safe and copy it with the case when it moves.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := caseio.Init(cmd.Context(), args[0], name, caseio.Options{})
			if err != nil {
				return err
			}
			if err := c.Close(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "case %s (%s) created in %s\naudit key %s\n", c.Info.Name, c.Info.ID, args[0], audit.KeyID(mustHexKey(c.Info.AuditKey)))
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "case name (default: the directory's name)")
	return cmd
}

func newIngestCmd(a *app) *cobra.Command {
	var dev store.Device
	var seized string
	var workers int
	var xo exportOptions
	var noPDQ bool
	cmd := &cobra.Command{
		Use:   "ingest --device LABEL [flags] SOURCE...",
		Short: "Ingest evidence sources of one device",
		Long: `Read each SOURCE (a directory, a zip, a tar or tar.gz, or a raw disk image with
FAT, ext2/3/4 or NTFS) read-only, once: MD5, SHA-1 and SHA-256 of every file,
its type by content, EXIF and the PDQ hash of images; archives inside are opened
within a depth and expansion budget; WhatsApp databases and chat exports are
parsed. Interrupted (Ctrl-C, crash, kill), the same command resumes.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dev.Label == "" {
				return errors.New("--device LABEL is required: the seized item these sources come from")
			}
			if seized != "" {
				t, err := parseTime(seized)
				if err != nil {
					return fmt.Errorf("--seized-at %q: %w", seized, err)
				}
				dev.SeizedAt = t
			}
			dev.Country = strings.ToUpper(dev.Country)
			exs, err := extractorsWith(xo)
			if err != nil {
				return err
			}
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				if noPDQ {
					a.noPDQ = true
				}
				return a.ingestWith(cmd, c, dev, args, workers, exs)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&dev.Label, "device", "", "label of the seized device (required)")
	f.StringVar(&dev.Suspect, "suspect", "", "suspect the device was seized from")
	f.StringVar(&dev.Country, "country", "", "ISO 3166 country code where it was seized")
	f.StringVar(&seized, "seized-at", "", "when it was seized (RFC 3339, or YYYY-MM-DD)")
	f.StringVar(&dev.Place, "place", "", "where it was seized")
	f.IntVar(&workers, "workers", 0, fmt.Sprintf("files read at once (default %d here: the cores, or 8 per core when MD5 runs on multi-buffer lanes)", intake.DefaultWorkers()))
	f.BoolVar(&noPDQ, "no-pdq", false, "do not compute perceptual (PDQ) hashes of images: faster triage, but near-duplicates of known images go unmatched")
	f.StringVar(&xo.dateOrder, "export-date-order", "auto", `date order of "Export chat" files: auto (inferred per file), dmy, mdy or ymd`)
	f.StringVar(&xo.tz, "export-tz", "", `time zone of the phone that made "Export chat" files (IANA name, e.g. Europe/Madrid; default UTC, with a warning)`)
	f.StringVar(&xo.owner, "export-owner", "", `the exporter's own name as it appears in "Export chat" files`)
	f.BoolVar(&xo.foreign, "foreign-exports", false, `"Export chat" files on this device were made on other phones: do not take the exporter for the device's owner`)
	return cmd
}

// ingest ingests sources with the default extractors.
func (a *app) ingest(cmd *cobra.Command, c *caseio.Case, dev store.Device, sources []string, workers int) error {
	exs, err := extractorsWith(exportOptions{})
	if err != nil {
		return err
	}
	return a.ingestWith(cmd, c, dev, sources, workers, exs)
}

func (a *app) ingestWith(cmd *cobra.Command, c *caseio.Case, dev store.Device, sources []string, workers int, exs []artifact.Extractor) error {
	ctx := cmd.Context()
	scratch, err := c.ScratchDir()
	if err != nil {
		return err
	}
	pr := a.newProgress()
	var warnings []string
	o := intake.Options{
		Workers: workers, ScratchDir: scratch, Operator: a.actor, Tool: caseio.Tool(),
		Extractors: exs, ImageHasher: imageHasher(!a.noPDQ),
		Progress: func(p intake.Progress) {
			switch p.Stage {
			case "container":
				pr.update("hashing "+shortPath(p.Source), p.DoneBytes, p.FoundBytes,
					fmt.Sprintf("%s / %s %s", humanize.Bytes(uint64(p.DoneBytes)), humanize.Bytes(uint64(p.FoundBytes)), rateETA(p.Started, p.DoneBytes, p.FoundBytes, true)))
			case "files":
				found := fmt.Sprintf("%d", p.Found)
				if !p.WalkDone {
					found += "+"
				}
				text := fmt.Sprintf("%d/%s files, %s/%s %s", p.Done, found, humanize.Bytes(uint64(p.DoneBytes)),
					humanize.Bytes(uint64(p.FoundBytes)), rateETA(p.Started, p.DoneBytes, p.FoundBytes, p.WalkDone))
				if p.Skipped > 0 {
					text += fmt.Sprintf(", %d already recorded", p.Skipped)
				}
				if p.Errors > 0 {
					text += fmt.Sprintf(", %d errors", p.Errors)
				}
				pr.update("ingest "+dev.Label, p.DoneBytes, p.FoundBytes, text)
			case "artifacts":
				pr.update("artifacts "+dev.Label, p.Done, p.Found, fmt.Sprintf("%d/%d files", p.Done, p.Found))
			}
		},
		Warn: func(msg string) { warnings = append(warnings, msg) },
	}
	sum, err := intake.Ingest(ctx, c.Store, intake.Request{Device: dev, Sources: sources}, o)
	pr.done()
	for _, w := range warnings {
		a.warnf("%s", w)
	}
	for _, s := range sum.Sources {
		fmt.Fprintf(a.stdout, "%s %s (%s): %s — %d files recorded (%s), %d already recorded, %d errors, %d artifacts, %.1fs\n",
			dev.Label, s.Source.Path, s.Source.Kind, s.Status, s.Files, humanize.Bytes(uint64(s.Bytes)), s.Skipped, s.Errors,
			s.Artifacts, s.Elapsed)
		if s.Source.ContainerSHA256 != "" {
			fmt.Fprintf(a.stdout, "  container sha256 %s\n", s.Source.ContainerSHA256)
		}
		for _, e := range s.ArtErrors {
			a.warnf("artifact %s", e)
		}
		if s.Errors > 0 {
			fmt.Fprintf(a.stdout, "  files with errors: vigil files --case %s --device %s --errors\n", a.caseDir, dev.Label)
		}
	}
	if err != nil {
		return err
	}
	return afterIngest(cmd, a, c)
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("use RFC 3339 (2017-04-18T06:00:00Z) or YYYY-MM-DD")
}

func shortPath(p string) string {
	if len(p) > 40 {
		return "…" + p[len(p)-39:]
	}
	return p
}
