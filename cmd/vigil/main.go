// Command vigil is the workstation tool of the Vigil platform: it ingests
// seized evidence read-only, matches it against hash sets, parses messaging
// artifacts, reconstructs distribution networks and keeps a tamper-evident
// chain of custody. Run "vigil demo" to see it work on a synthetic case.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"vigil/internal/caseio"
	"vigil/internal/intake"
)

// exitError carries an exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signalContext()
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case errors.Is(err, intake.ErrInterrupted) || errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "vigil:", err)
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "vigil:", err)
		os.Exit(2)
	}
}

// signalContext is cancelled by the first Ctrl-C (or SIGTERM), which lets
// running work stop cleanly and record where it stopped; a second one ends
// the process at once (the store's transactions keep the case consistent).
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		fmt.Fprintln(os.Stderr, "\nvigil: stopping cleanly (Ctrl-C again to quit at once)")
		cancel()
		<-ch
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func newRootCmd() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "vigil",
		Short:         "Forensic triage of seized evidence: hashes, hash sets, WhatsApp artifacts, distribution networks",
		Version:       caseio.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.setup(cmd)
		},
	}
	root.PersistentFlags().StringVar(&a.caseDir, "case", "", "case directory (default $VIGIL_CASE)")
	root.PersistentFlags().StringVar(&a.actor, "actor", "", "who is acting, for the audit trail (default $VIGIL_ACTOR, else the OS user)")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "no progress output")
	root.PersistentFlags().StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPostRunE = func(cmd *cobra.Command, args []string) error { a.stopProfile(); return nil }
	root.AddCommand(
		newInitCmd(a),
		newIngestCmd(a),
		newDevicesCmd(a),
		newFilesCmd(a),
		newVerifyCmd(a),
		newAuditCmd(a),
	)
	for _, c := range extraCommands(a) {
		root.AddCommand(c)
	}
	return root
}
