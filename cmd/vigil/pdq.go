package main

import (
	"bufio"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"vigil/internal/pdq"
)

// newPDQCmd is `vigil pdq FILE...`: the PDQ hash of image files, one line
// per file, in the format of the reference's pdq-photo-hasher.
func newPDQCmd() *cobra.Command {
	var (
		dihedral bool
		workers  int
		lim      pdq.Limits
	)
	cmd := &cobra.Command{
		Use:   "pdq [--dihedral] FILE...",
		Short: "Print the PDQ perceptual hash of image files",
		Long: `Print the PDQ perceptual hash of each image file (JPEG, PNG, GIF, BMP, TIFF,
WebP), one line per file, as Meta's reference pdq-photo-hasher does:

  hash,quality,path

with the path exactly as given. With --dihedral, the eight dihedral hashes
(as pdq-photo-hasher --pdqdih-across):

  orig,rot90,rot180,rot270,flipx,flipy,flipplus1,flipminus1,quality,path

Hashes of quality under 50 are unreliable. A file that cannot be hashed is
reported on standard error, and the command then exits with status 1.`,
		Args:         cobra.MinimumNArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			failed := 0
			err := pdq.HashFiles(ctx, args, lim, workers, func(path string, r pdq.Result, err error) error {
				if err != nil {
					failed++
					out.Flush()
					fmt.Fprintf(cmd.ErrOrStderr(), "vigil pdq: %v\n", err)
					return nil
				}
				if dihedral {
					_, err = fmt.Fprintf(out, "%s,%d,%s\n", r.Dihedral, r.Quality, path)
				} else {
					_, err = fmt.Fprintf(out, "%s,%d,%s\n", r.Hash, r.Quality, path)
				}
				return err
			})
			if err != nil {
				return err
			}
			if err := out.Flush(); err != nil {
				return err
			}
			if failed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "vigil pdq: %d of %d files could not be hashed\n", failed, len(args))
				return exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dihedral, "dihedral", false, "print the 8 dihedral hashes (orig,rot90,rot180,rot270,flipx,flipy,flipplus1,flipminus1)")
	f.IntVarP(&workers, "jobs", "j", 0, "files hashed in parallel (default: the number of CPUs)")
	f.Int64Var(&lim.MaxPixels, "max-pixels", pdq.DefaultLimits.MaxPixels, "refuse images of more pixels than this")
	f.Int64Var(&lim.MaxBytes, "max-bytes", pdq.DefaultLimits.MaxBytes, "refuse image files larger than this")
	return cmd
}
