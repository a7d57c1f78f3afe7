package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"text/tabwriter"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"vigil/internal/audit"
	"vigil/internal/caseio"
)

// app holds what every command shares: the case, the actor, the output.
type app struct {
	caseDir string
	actor   string
	quiet   bool
	stdout  io.Writer
	stderr  io.Writer

	cpuProfile  string
	stopProfile func()

	noPDQ bool // ingest without perceptual hashes
}

func (a *app) setup(cmd *cobra.Command) error {
	if a.caseDir == "" {
		a.caseDir = os.Getenv("VIGIL_CASE")
	}
	if a.actor == "" {
		a.actor = os.Getenv("VIGIL_ACTOR")
	}
	if a.actor == "" {
		a.actor = audit.OSUser()
	}
	a.stdout, a.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
	a.stopProfile = func() {}
	if a.cpuProfile != "" {
		f, err := os.Create(a.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		a.stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	cmd.SetContext(audit.WithActor(cmd.Context(), a.actor))
	return nil
}

// open opens the case named by --case.
func (a *app) open(ctx context.Context, readOnly bool) (*caseio.Case, error) {
	c, err := caseio.Open(ctx, a.caseDir, caseio.Options{ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	if !readOnly && c.SigningProblem() != nil {
		a.warnf("audit records of this session will not be signed: %v", c.SigningProblem())
	}
	return c, nil
}

// withCase runs fn on the open case and closes it (signing the audit
// chain's new head), keeping fn's error first.
func (a *app) withCase(ctx context.Context, readOnly bool, fn func(*caseio.Case) error) error {
	c, err := a.open(ctx, readOnly)
	if err != nil {
		return err
	}
	ferr := fn(c)
	if cerr := c.Close(); cerr != nil && ferr == nil {
		return cerr
	}
	return ferr
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "vigil: warning: "+format+"\n", args...)
}

func (a *app) terminal() bool {
	f, ok := a.stderr.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// Listing output: every listing command takes --format table|json|csv.

type column[T any] struct {
	name  string
	value func(T) string
}

type printer[T any] struct {
	format string
	w      io.Writer
	cols   []column[T]
	tw     *tabwriter.Writer
	cw     *csv.Writer
	n      int
}

func addFormatFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "format", "table", "output format: table, json or csv")
}

func newPrinter[T any](w io.Writer, format string, cols []column[T]) (*printer[T], error) {
	p := &printer[T]{format: format, w: w, cols: cols}
	switch format {
	case "table":
		p.tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		p.header()
	case "csv":
		p.cw = csv.NewWriter(w)
		p.header()
	case "json":
		if _, err := io.WriteString(w, "["); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("--format %q: use table, json or csv", format)
	}
	return p, nil
}

func (p *printer[T]) header() {
	names := make([]string, len(p.cols))
	for i, c := range p.cols {
		names[i] = c.name
	}
	if p.tw != nil {
		fmt.Fprintln(p.tw, strings.ToUpper(strings.Join(names, "\t")))
	} else {
		p.cw.Write(names)
	}
}

// Row prints one item; JSON prints the item itself, the others its columns.
func (p *printer[T]) Row(item T) error {
	defer func() { p.n++ }()
	switch p.format {
	case "json":
		b, err := json.MarshalIndent(item, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if p.n == 0 {
			sep = "\n  "
		}
		_, err = io.WriteString(p.w, sep+string(b))
		return err
	case "csv":
		rec := make([]string, len(p.cols))
		for i, c := range p.cols {
			rec[i] = c.value(item)
		}
		return p.cw.Write(rec)
	default:
		vals := make([]string, len(p.cols))
		for i, c := range p.cols {
			vals[i] = cell(c.value(item))
		}
		_, err := fmt.Fprintln(p.tw, strings.Join(vals, "\t"))
		return err
	}
}

// maxCell is the widest a table cell is printed; JSON and CSV keep
// everything.
const maxCell = 96

// cell makes a value fit a table: one line, at most maxCell characters
// (runes). Converting a huge value to runes costs one pass; tables are
// for people, JSON and CSV for everything.
func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	r := []rune(s)
	if len(r) <= maxCell {
		return s
	}
	// Keep both ends: the start names a thing, the end of a path names the file.
	head := maxCell * 2 / 5
	return string(r[:head]) + "…" + string(r[len(r)-(maxCell-head-1):])
}

// Close ends the listing.
func (p *printer[T]) Close() error {
	switch p.format {
	case "json":
		end := "\n]\n"
		if p.n == 0 {
			end = "]\n"
		}
		_, err := io.WriteString(p.w, end)
		return err
	case "csv":
		p.cw.Flush()
		return p.cw.Error()
	default:
		return p.tw.Flush()
	}
}

// printAll prints a slice.
func printAll[T any](w io.Writer, format string, cols []column[T], items []T) error {
	p, err := newPrinter(w, format, cols)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := p.Row(it); err != nil {
			return err
		}
	}
	return p.Close()
}
