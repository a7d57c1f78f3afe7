package main

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"vigil/internal/artifact"
	"vigil/internal/caseio"
	"vigil/internal/intake"
)

// extraCommands are the commands of the analysis stages, registered here
// as each stage lands.
func extraCommands(a *app) []*cobra.Command {
	return nil
}

// extractors are the artifact extractors the intake runs.
func extractors() []artifact.Extractor {
	return nil
}

// imageHasher is the perceptual hash computed for every image.
func imageHasher() intake.ImageHasher {
	return nil
}

// afterIngest runs what follows an ingest automatically.
func afterIngest(cmd *cobra.Command, a *app, c *caseio.Case) error {
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
