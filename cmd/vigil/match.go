package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"vigil/internal/caseio"
	"vigil/internal/hashset"
	"vigil/internal/store"
)

func newMatchCmd(a *app) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "match",
		Short: "Match every content (files and chat-database media hashes) against the hash sets",
		Long: `Match every content of the case against every imported hash set: exactly by
MD5, SHA-1 and SHA-256, and perceptually by PDQ at distance 31 or less (quality
50 or more on both sides) over the eight rotations and mirrors of each image.
Runs by itself after ingest and import. Only contents not yet matched against
the current sets are compared (all of them once the sets change); --all
compares everything again. Hits of the contents compared replace their earlier
ones.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), false, func(c *caseio.Case) error {
				return a.runMatchWith(cmd.Context(), c, all)
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "compare every content again, not only the new ones")
	return cmd
}

func newHitsCmd(a *app) *cobra.Command {
	var format string
	var q store.HitQuery
	cmd := &cobra.Command{
		Use:   "hits",
		Short: "List contents that match hash sets: set, entry, category, kind, distance, devices, paths",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCase(cmd.Context(), true, func(c *caseio.Case) error {
				p, err := newPrinter(a.stdout, format, []column[store.HitView]{
					{"status", func(h store.HitView) string { return h.Status }},
					{"set", func(h store.HitView) string { return h.Set }},
					{"category", func(h store.HitView) string { return h.CategoryName }},
					{"kind", func(h store.HitView) string { return h.Kind }},
					{"distance", func(h store.HitView) string { return strconv.Itoa(h.Distance) }},
					{"sha256", func(h store.HitView) string { return h.SHA256 }},
					{"devices", func(h store.HitView) string { return strings.Join(h.Devices, " ") }},
					{"paths", func(h store.HitView) string { return strings.Join(h.Paths, " ") }},
				})
				if err != nil {
					return err
				}
				profiles := map[string]hashset.Profile{}
				err = c.Store.Hits(cmd.Context(), q, func(h store.HitView) error {
					pr, ok := profiles[h.Profile]
					if !ok {
						pr = hashset.LookupProfile(h.Profile)
						profiles[h.Profile] = pr
					}
					h.CategoryName = categoryName(pr, h.Category)
					return p.Row(h)
				})
				if err != nil {
					return err
				}
				return p.Close()
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Device, "device", "", "only contents found on this device (as a file or in its chats)")
	f.StringVar(&q.Set, "set", "", "only hits in this hash set")
	f.StringVar(&q.Status, "status", "", "only hits in sets of this status: alert, known, reference")
	f.StringVar(&q.Kind, "kind", "", "only hits of this kind: md5, sha1, sha256, pdq")
	f.StringVar(&q.SHA256, "sha256", "", "only this content")
	addFormatFlag(cmd, &format)
	return cmd
}
