package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"vigil/internal/artifact"
	whatsapp "vigil/internal/artifact/whatsapp/all"
	"vigil/internal/artifact/whatsapp/export"
	"vigil/internal/caseio"
	"vigil/internal/intake"
	"vigil/internal/pdq"
)

// extraCommands are the commands of the analysis stages, registered here
// as each stage lands.
func extraCommands(a *app) []*cobra.Command {
	return []*cobra.Command{newPDQCmd(), newHashsetCmd(a), newMatchCmd(a), newHitsCmd(a),
		newChatsCmd(a), newAccountsCmd(a), newMessagesCmd(a), newEventsCmd(a), newLinksCmd(a), newReviewCmd(a),
		newNetworkCmd(a), newReportCmd(a), newDemoCmd(a)}
}

// exportOptions are the command line's settings for chat exports.
type exportOptions struct {
	dateOrder, tz, owner string
	foreign              bool
}

// extractorsWith returns the artifact extractors the intake runs, with the
// command line's options applied.
func extractorsWith(o exportOptions) ([]artifact.Extractor, error) {
	exs := whatsapp.Extractors()
	for _, x := range exs {
		ex, ok := x.(*export.Extractor)
		if !ok {
			continue
		}
		if o.dateOrder != "" && o.dateOrder != "auto" {
			if _, err := export.ParseOrder(o.dateOrder); err != nil {
				return nil, fmt.Errorf("--export-date-order: %w", err)
			}
			ex.DateOrder = o.dateOrder
		}
		if o.tz != "" {
			loc, err := time.LoadLocation(o.tz)
			if err != nil {
				return nil, fmt.Errorf("--export-tz %q: %w", o.tz, err)
			}
			ex.Location = loc
		}
		ex.OwnerName, ex.ForeignExports = o.owner, o.foreign
	}
	return exs, nil
}

// imageHasher is the perceptual hash computed for every image.
func imageHasher(on bool) intake.ImageHasher {
	if !on {
		return nil
	}
	return func(ctx context.Context, data []byte) (intake.ImageHash, error) {
		r, err := pdq.HashBytes(ctx, data, pdq.Limits{})
		if err != nil {
			return intake.ImageHash{}, err
		}
		var d []string
		for _, h := range r.Dihedral {
			d = append(d, h.String())
		}
		return intake.ImageHash{PDQ: r.Hash.String(), Quality: r.Quality, Dihedral: strings.Join(d, ",")}, nil
	}
}

// afterIngest runs what follows an ingest automatically.
func afterIngest(cmd *cobra.Command, a *app, c *caseio.Case) error {
	return a.runMatch(cmd.Context(), c)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
