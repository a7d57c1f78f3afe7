package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"vigil/internal/audit"
	"vigil/internal/caseio"
	"vigil/internal/hashset"
	"vigil/internal/match"
	"vigil/internal/store"
)

func newHashsetCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hashset",
		Short: "Import, list, show, remove and export hash sets (VICS, ICSE, NSRL, sum files, PDQ lists…)",
	}
	cmd.AddCommand(newHashsetImportCmd(a), newHashsetListCmd(a), newHashsetShowCmd(a), newHashsetRemoveCmd(a),
		newHashsetExportCmd(a))
	return cmd
}

func formatNames() string {
	var names []string
	for _, f := range hashset.Formats {
		names = append(names, string(f))
	}
	return strings.Join(names, "|")
}

func newHashsetImportCmd(a *app) *cobra.Command {
	var format, name, status, profile, desc string
	var skipBad, noMatch bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a hash set into the case, then match every content against it",
		Long: `Import a hash list. The format is detected from the content unless --format
names it: ` + formatNames() + `.
The set keeps its provenance (file name and SHA-256, format, version, profile,
who imported it and when). Importing the same file again adds nothing. A
malformed record stops the import with the file and line, and nothing of the
file is kept; --skip-bad skips such records instead and counts them.
--status alert marks material of concern (hits are flagged); known marks known
files such as NSRL (their contents are left out of review); reference records
hits without either.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			f, err := hashset.ParseFormat(format)
			if err != nil {
				return err
			}
			if f == "" {
				if f, err = hashset.Detect(args[0]); err != nil {
					return err
				}
			}
			if status == "" {
				status = store.StatusAlert
				if f == hashset.NSRL {
					status = store.StatusKnown
				}
			}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))
			}
			return a.withCase(ctx, false, func(c *caseio.Case) error {
				sum, err := fileSHA256(ctx, args[0])
				if err != nil {
					return err
				}
				var meta hashset.Meta
				pr := a.newProgress()
				started := time.Now()
				var n int64
				set, added, err := c.Store.ImportHashSet(ctx, store.HashSet{Name: name, Status: status, Format: string(f),
					FileName: filepath.Base(args[0]), FileSHA256: sum, Description: desc},
					func(set *store.HashSet, add func(store.HashEntry) error) error {
						var err error
						defer func() {
							set.Format, set.Version, set.Profile, set.Shape = string(meta.Format), meta.Version, meta.Profile, meta.Shape
							set.DropPhotoDNA = meta.RepeatedPhotoDNA
						}()
						meta, err = hashset.Read(ctx, args[0], hashset.Options{Format: f, Profile: profile, SkipBad: skipBad},
							func(e hashset.Entry) error {
								n++
								if n%10000 == 0 {
									pr.update("import "+name, n, 0, fmt.Sprintf("%d records, %.0f/s", n, float64(n)/time.Since(started).Seconds()))
								}
								return add(entryToStore(e))
							})
						return err
					})
				pr.done()
				if err != nil {
					return err
				}
				if !added {
					fmt.Fprintf(a.stdout, "%s was imported already as hash set %q (%d entries, %s): nothing added\n",
						args[0], set.Name, set.Entries, set.Imported.Format(time.RFC3339))
					return nil
				}
				desc := []string{strings.TrimSpace(string(meta.Format) + " " + meta.Version)}
				if meta.Shape != "" {
					desc = append(desc, meta.Shape)
				}
				if meta.Profile != "" {
					desc = append(desc, "profile "+meta.Profile)
				}
				desc = append(desc, "status "+set.Status)
				fmt.Fprintf(a.stdout, "hash set %q: %d entries from %s (%s) in %.1fs\n",
					set.Name, set.Entries, args[0], strings.Join(desc, ", "), time.Since(started).Seconds())
				if meta.Skipped > 0 {
					a.warnf("%d malformed records skipped", meta.Skipped)
				}
				for _, w := range meta.Warnings {
					a.warnf("%s", w)
				}
				if noMatch {
					return nil
				}
				return a.runMatch(ctx, c)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "auto", "file format: auto|"+formatNames())
	fl.StringVar(&name, "name", "", "name of the set (default: the file's name)")
	fl.StringVar(&status, "status", "", "alert, known or reference (default alert; known for NSRL)")
	fl.StringVar(&profile, "profile", "", "category profile (US, DHS, UK, Default…); default: the file's own, else US")
	fl.StringVar(&desc, "description", "", "a note on where the set comes from")
	fl.BoolVar(&skipBad, "skip-bad", false, "skip malformed records instead of refusing the file")
	fl.BoolVar(&noMatch, "no-match", false, "do not match the case against the sets after importing")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func entryToStore(e hashset.Entry) store.HashEntry {
	return store.HashEntry{MD5: e.MD5, SHA1: e.SHA1, SHA256: e.SHA256, PDQ: e.PDQ, PDQQuality: e.PDQQuality,
		PhotoDNA: e.PhotoDNA, Category: e.Category, Series: e.Series, Tags: e.Tags, Comments: e.Comments,
		VictimIdentified: e.VictimIdentified, OffenderIdentified: e.OffenderIdentified, Distributed: e.Distributed,
		Size: e.Size, Ref: e.Ref, Line: e.Line}
}

func fileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), ctx.Err()
}

func newHashsetListCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the imported hash sets with their provenance",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				sets, err := c.Store.HashSets(cmd.Context())
				if err != nil {
					return err
				}
				return printAll(a.stdout, format, setColumns, sets)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

var setColumns = []column[store.HashSet]{
	{"name", func(s store.HashSet) string { return s.Name }},
	{"status", func(s store.HashSet) string { return s.Status }},
	{"format", func(s store.HashSet) string { return strings.TrimSpace(s.Format + " " + s.Version) }},
	{"profile", func(s store.HashSet) string { return s.Profile }},
	{"entries", func(s store.HashSet) string { return strconv.FormatInt(s.Entries, 10) }},
	{"file", func(s store.HashSet) string { return s.FileName }},
	{"sha256", func(s store.HashSet) string { return s.FileSHA256 }},
	{"imported_by", func(s store.HashSet) string { return s.ImportedBy }},
	{"imported", func(s store.HashSet) string { return fmtTime(s.Imported) }},
}

func newHashsetShowCmd(a *app) *cobra.Command {
	var format string
	var entries int
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a hash set: provenance, entries by category and hash kind, hits",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withCase(ctx, true, func(c *caseio.Case) error {
				set, err := c.Store.HashSet(ctx, args[0])
				if err != nil {
					return err
				}
				prof := hashset.LookupProfile(set.Profile)
				type catCount struct {
					Code  *int   `json:"code"`
					Name  string `json:"name"`
					Count int64  `json:"count"`
				}
				cats := map[string]*catCount{}
				kinds := map[string]int64{}
				var sample []store.HashEntry
				err = c.Store.HashEntries(ctx, set.ID, func(e store.HashEntry) error {
					key := "null"
					if e.Category != nil {
						key = strconv.Itoa(*e.Category)
					}
					cc := cats[key]
					if cc == nil {
						cc = &catCount{Code: e.Category, Name: categoryName(prof, e.Category)}
						cats[key] = cc
					}
					cc.Count++
					for k, v := range map[string]string{"md5": e.MD5, "sha1": e.SHA1, "sha256": e.SHA256, "pdq": e.PDQ, "photodna": e.PhotoDNA} {
						if v != "" {
							kinds[k]++
						}
					}
					if len(sample) < entries {
						sample = append(sample, e)
					}
					return nil
				})
				if err != nil {
					return err
				}
				var catList []catCount
				for _, cc := range cats {
					catList = append(catList, *cc)
				}
				sort.Slice(catList, func(i, j int) bool { return deref(catList[i].Code) < deref(catList[j].Code) || catList[j].Code == nil })
				var hits int
				contents := map[string]bool{}
				err = c.Store.Hits(ctx, store.HitQuery{Set: set.Name}, func(h store.HitView) error {
					hits++
					contents[h.SHA256] = true
					return nil
				})
				if err != nil {
					return err
				}
				if format == "json" {
					return printJSON(a.stdout, map[string]any{"set": set, "categories": catList, "hash_kinds": kinds,
						"hits": hits, "contents_hit": len(contents), "entries": sample})
				}
				w := a.stdout
				fmt.Fprintf(w, "hash set %s (id %d), status %s\n", set.Name, set.ID, set.Status)
				fmt.Fprintf(w, "  file      %s\n  sha256    %s\n  format    %s %s, shape %s, profile %s\n", set.FileName,
					set.FileSHA256, set.Format, set.Version, orDash(set.Shape), orDash(set.Profile))
				fmt.Fprintf(w, "  imported  %s by %s\n  entries   %d\n", fmtTime(set.Imported), set.ImportedBy, set.Entries)
				if set.Description != "" {
					fmt.Fprintf(w, "  note      %s\n", set.Description)
				}
				fmt.Fprintf(w, "  hashes   ")
				for _, k := range []string{"md5", "sha1", "sha256", "pdq", "photodna"} {
					if kinds[k] > 0 {
						fmt.Fprintf(w, " %s %d", k, kinds[k])
					}
				}
				fmt.Fprintf(w, "\n  categories:\n")
				for _, cc := range catList {
					code := "none"
					if cc.Code != nil {
						code = strconv.Itoa(*cc.Code)
					}
					fmt.Fprintf(w, "    %-5s %-45s %d\n", code, cc.Name, cc.Count)
				}
				fmt.Fprintf(w, "  hits      %d, on %d contents of the case\n", hits, len(contents))
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&entries, "entries", 0, "also list this many entries (JSON)")
	addFormatFlag(cmd, &format)
	return cmd
}

func categoryName(p hashset.Profile, code *int) string {
	if code == nil {
		return "Uncategorised"
	}
	if n, ok := p.CategoryName(*code); ok {
		return n
	}
	return fmt.Sprintf("category %d", *code)
}

func newHashsetRemoveCmd(a *app) *cobra.Command {
	var noMatch bool
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a hash set, its entries and its hits (recorded in the audit chain)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				set, err := c.Store.HashSet(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := c.Store.RemoveHashSet(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "hash set %q removed (%d entries)\n", set.Name, set.Entries)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&noMatch, "no-match", false, "unused; kept for symmetry with import")
	return cmd
}

func newHashsetExportCmd(a *app) *cobra.Command {
	var format, version, profile, out string
	cmd := &cobra.Command{
		Use:   "export NAME... --out FILE",
		Short: "Export hash sets as a VICS #Media hash set",
		Long: `Write the entries of the named sets (all sets with --all… or name them) as a
VICS JSON hash set, version 2.0 (default) or 1.3, upper-case hex as
distribution files are, categories only where set. Importing the file again
gives the same entries and categories. The export is recorded in the audit chain.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if format != "vics" {
				return fmt.Errorf("--format %q: only vics is exported", format)
			}
			if out == "" {
				return errors.New("--out FILE is required")
			}
			return a.withCase(ctx, false, func(c *caseio.Case) error {
				var sets []store.HashSet
				for _, n := range args {
					s, err := c.Store.HashSet(ctx, n)
					if err != nil {
						return err
					}
					sets = append(sets, s)
				}
				prof := profile
				if prof == "" {
					prof = sets[0].Profile
				}
				if prof == "" {
					prof = "US"
				}
				tmp := out + ".partial"
				f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return err
				}
				h := sha256.New()
				written, skipped, err := hashset.WriteVICS(io.MultiWriter(f, h), version, prof, storeEntries(ctx, c.Store, sets))
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(tmp)
					return err
				}
				if err := os.Rename(tmp, out); err != nil {
					return err
				}
				var names []string
				for _, s := range sets {
					names = append(names, s.Name)
				}
				if _, err := c.Store.Record(ctx, audit.Entry{Action: "export.hashset", Object: "hashset:" + strings.Join(names, ","),
					Details: map[string]any{"file": out, "sha256": hex.EncodeToString(h.Sum(nil)), "format": "vics", "version": version,
						"profile": prof, "entries": written, "skipped": skipped}}); err != nil {
					return err
				}
				st, _ := os.Stat(out)
				fmt.Fprintf(a.stdout, "%d entries written to %s (%s, VICS %s, profile %s)", written, out, humanize.Bytes(uint64(st.Size())), version, prof)
				if skipped > 0 {
					fmt.Fprintf(a.stdout, "; %d entries without an MD5 left out (VICS keys media by MD5)", skipped)
				}
				fmt.Fprintln(a.stdout)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "vics", "export format (vics)")
	fl.StringVar(&version, "version", "2.0", "VICS version: 2.0 or 1.3")
	fl.StringVar(&profile, "profile", "", "category profile written (default: the first set's)")
	fl.StringVar(&out, "out", "", "file to write")
	return cmd
}

func storeEntries(ctx context.Context, st store.Store, sets []store.HashSet) iter.Seq2[hashset.Entry, error] {
	return func(yield func(hashset.Entry, error) bool) {
		stop := errors.New("stop")
		for _, s := range sets {
			err := st.HashEntries(ctx, s.ID, func(e store.HashEntry) error {
				if !yield(hashset.Entry{MD5: e.MD5, SHA1: e.SHA1, SHA256: e.SHA256, PDQ: e.PDQ, PDQQuality: e.PDQQuality,
					PhotoDNA: e.PhotoDNA, Category: e.Category, Series: e.Series, Tags: e.Tags, Comments: e.Comments,
					VictimIdentified: e.VictimIdentified, OffenderIdentified: e.OffenderIdentified, Distributed: e.Distributed,
					Size: e.Size, Ref: e.Ref}, nil) {
					return stop
				}
				return nil
			})
			if err != nil && !errors.Is(err, stop) {
				yield(hashset.Entry{}, err)
				return
			}
			if errors.Is(err, stop) {
				return
			}
		}
	}
}

// matchCache is where the case keeps its built indexes.
func matchCache(c *caseio.Case) string { return filepath.Join(c.Dir, "cache", "match-index.bin") }

// runMatch matches the case's contents against its hash sets and prints a
// one-line summary.
func (a *app) runMatch(ctx context.Context, c *caseio.Case) error {
	return a.runMatchWith(ctx, c, false)
}

// runMatchWith matches new contents, or every content when all is set.
func (a *app) runMatchWith(ctx context.Context, c *caseio.Case, all bool) error {
	sets, err := c.Store.HashSets(ctx)
	if err != nil || len(sets) == 0 {
		return err
	}
	pr := a.newProgress()
	sum, err := match.Run(ctx, c.Store, match.RunOptions{All: all, CachePath: matchCache(c), Progress: func(stage string, done, total int64) {
		pr.update("match", done, total, stage)
	}})
	pr.done()
	if err != nil {
		return err
	}
	what := "contents"
	if !sum.Full {
		what = "new contents"
	}
	fmt.Fprintf(a.stdout, "match: %d %s (%d with PDQ) against %d entries (%d PDQ): %d hits", sum.Contents, what, sum.PDQContents,
		sum.Entries, sum.PDQEntries, sum.Hits)
	if sum.Hits > 0 {
		var kinds []string
		for _, k := range []string{"md5", "sha1", "sha256", "pdq"} {
			if sum.ByKind[k] > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, sum.ByKind[k]))
			}
		}
		fmt.Fprintf(a.stdout, " (%s)", strings.Join(kinds, ", "))
	}
	fmt.Fprintf(a.stdout, "; %d of them match alert sets, %d are known files\n", sum.AlertContents, sum.KnownContents)
	return nil
}
