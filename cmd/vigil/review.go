package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"vigil/internal/caseio"
	"vigil/internal/hashset"
	"vigil/internal/store"
)

func newReviewCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "review",
		Short: "The review queue and analysts' categorisation of contents",
		Long: `Contents that no alert or known hash set identifies wait for a person to decide.
"vigil review queue" lists them by hash and metadata only — never their bytes;
"vigil review decide" records a category (under a profile: US by default) with a
reason, in the audit chain; decisions in abuse categories count for the network
analysis like alert hits.`,
	}
	cmd.AddCommand(newReviewQueueCmd(a), newReviewDecideCmd(a), newReviewHistoryCmd(a))
	return cmd
}

func newReviewQueueCmd(a *app) *cobra.Command {
	var format, device, kind string
	var all bool
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "List media awaiting a decision: no alert or known hit, no analyst decision yet",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withCase(ctx, true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[store.FileView]{
					{"sha256", func(v store.FileView) string { return v.SHA256 }},
					{"device", func(v store.FileView) string { return v.Device }},
					{"path", func(v store.FileView) string { return v.Path }},
					{"kind", func(v store.FileView) string { return v.Kind }},
					{"size", func(v store.FileView) string { return strconv.FormatInt(v.Size, 10) }},
					{"pdq_quality", func(v store.FileView) string {
						if v.PDQQuality == nil {
							return ""
						}
						return strconv.Itoa(*v.PDQQuality)
					}},
				})
				if err != nil {
					return err
				}
				seen := map[string]bool{}
				q := store.FileQuery{Device: device, Kind: kind, Match: "none", Undecided: true}
				err = c.Store.Files(ctx, q, func(v store.FileView) error {
					if v.SHA256 == "" || seen[v.SHA256] {
						return nil
					}
					if !all && v.Kind != store.KindImage && v.Kind != store.KindVideo {
						return nil
					}
					seen[v.SHA256] = true
					return p.Row(v)
				})
				if err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&device, "device", "", "only this device")
	f.StringVar(&kind, "kind", "", "only this kind (default: images and videos)")
	f.BoolVar(&all, "all-kinds", false, "every kind of content, not only images and videos")
	addFormatFlag(cmd, &format)
	return cmd
}

func newReviewDecideCmd(a *app) *cobra.Command {
	var category, profile, reason string
	var none bool
	cmd := &cobra.Command{
		Use:   "decide SHA256... --category N --reason TEXT",
		Short: "Record an analyst's category for contents (audited)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason is required: say why (it is kept in the chain of custody)")
			}
			prof := hashset.LookupProfile(profile)
			var cat *int
			switch {
			case none && category != "":
				return errors.New("give --category or --uncategorised, not both")
			case none:
			case category == "":
				return errors.New("--category N (or --uncategorised) is required")
			default:
				n, err := strconv.Atoi(category)
				if err != nil {
					code, ok := prof.CategoryCode(category)
					if !ok {
						return fmt.Errorf("--category %q: not a number nor a category name of profile %s", category, prof.Name())
					}
					n = code
				}
				if prof.HasVocabulary() {
					if _, ok := prof.CategoryName(n); !ok {
						return fmt.Errorf("--category %d: profile %s has codes %v", n, prof.Name(), prof.Codes())
					}
				}
				cat = &n
			}
			return a.withCase(ctx, false, func(c *caseio.Case) error {
				for _, sha := range args {
					if _, err := c.Store.Content(ctx, sha); err != nil {
						return err
					}
				}
				for _, sha := range args {
					d, err := c.Store.Decide(ctx, store.Decision{SHA256: sha, Category: cat, Profile: prof.Name(), Reason: reason})
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "%s: %s (%s) by %s\n", d.SHA256, categoryName(prof, d.Category), d.Profile, d.Actor)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&category, "category", "", "category code or name under the profile (US: 0 Non-Pertinent, 1 CAM, 2 Child Exploitive/Age Difficult, 3 CGI/Animation, 4 Comparison)")
	f.BoolVar(&none, "uncategorised", false, "record that the content stays uncategorised")
	f.StringVar(&profile, "profile", "US", "category profile")
	f.StringVar(&reason, "reason", "", "why (required)")
	return cmd
}

func newReviewHistoryCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "history SHA256",
		Short: "Every decision recorded on a content, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				ds, err := c.Store.Decisions(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printAll(a.stdout, format, []column[store.Decision]{
					{"time", func(d store.Decision) string { return fmtTime(d.Time) }},
					{"actor", func(d store.Decision) string { return d.Actor }},
					{"profile", func(d store.Decision) string { return d.Profile }},
					{"category", func(d store.Decision) string { return categoryName(hashset.LookupProfile(d.Profile), d.Category) }},
					{"reason", func(d store.Decision) string { return d.Reason }},
				}, ds)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}
