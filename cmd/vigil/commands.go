package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"vigil/internal/artifact"
	whatsapp "vigil/internal/artifact/whatsapp/all"
	"vigil/internal/caseio"
	"vigil/internal/intake"
	"vigil/internal/pdq"
)

// extraCommands are the commands of the analysis stages, registered here
// as each stage lands.
func extraCommands(a *app) []*cobra.Command {
	return []*cobra.Command{newPDQCmd(), newHashsetCmd(a), newMatchCmd(a), newHitsCmd(a),
		newChatsCmd(a), newAccountsCmd(a), newMessagesCmd(a), newEventsCmd(a), newLinksCmd(a)}
}

// extractors are the artifact extractors the intake runs.
func extractors() []artifact.Extractor {
	return whatsapp.Extractors()
}

// imageHasher is the perceptual hash computed for every image.
func imageHasher() intake.ImageHasher {
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
