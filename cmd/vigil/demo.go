package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"vigil/internal/caseio"
	"vigil/internal/hashset"
	"vigil/internal/network"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// demoMarker marks a directory as one vigil demo wrote, so that a new run
// may replace what it holds.
const demoMarker = ".vigil-demo"

// demoSummaryFile is the demo's outcome as JSON: stage times, peak memory,
// what was found and the comparison with the ground truth.
const demoSummaryFile = "demo.json"

func newDemoCmd(a *app) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--scale small|seed|N] [--seed S]",
		Short: "Generate a synthetic operation and run the whole pipeline on it, then check the result against its ground truth",
		Long: `Generate a synthetic operation (fictitious accounts in ten countries, WhatsApp
groups with admins, invite links and members joining and leaving, distributors
posting known items, which are abstract generated pictures labelled "ITEM nnnn",
and every kind of seized device Vigil reads: Android phones with modern, legacy
and transitional msgstore.db, an iPhone, laptops, a USB disk image, a backup
archive holding zips), with its hash sets and ground truth, then run every
stage on it as the real commands do: init DIR/case, ingest each device, import
the hash sets, match, analyse the network and write DIR/report.html. It ends
with what was found and how it compares with what was planted.

DIR (default ./vigil-demo) must be new, empty, or a directory an earlier demo
wrote (whose content is then replaced). --scale small (default) takes about a
minute; seed builds the seed operation's size (360,000 files, 39 suspects, 96
groups, 103 distributors); a number asks for about that many files. The case
is an ordinary case: every other command opens it with --case DIR/case.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.demo(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "vigil-demo", "directory to write the operation, the case and the report in")
	f.StringVar(&o.scale, "scale", "small", "small, seed, or a number of files")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the generated operation (the same seed gives the same evidence)")
	f.IntVar(&o.workers, "workers", 0, "files read at once during ingest (default: the number of cores)")
	f.StringVar(&o.benchMD, "bench-md", "", "also write the stage times as a markdown fragment to this file (scripts/bench-demo.sh)")
	f.MarkHidden("bench-md")
	return cmd
}

type demoOptions struct {
	dir, scale string
	seed       uint64
	workers    int
	benchMD    string
}

// demoSummary is what demo.json holds.
type demoSummary struct {
	Seed       uint64           `json:"seed"`
	Scale      string           `json:"scale"`
	Dir        string           `json:"dir"`
	Stages     []demoStage      `json:"stages"`
	Seconds    float64          `json:"seconds"`
	CPU        float64          `json:"cpu_seconds"`    // user and system time of the process, 0 where unknown
	Load       [2]string        `json:"load_average"`   // 1-minute load average before and after, where known
	PeakRSS    int64            `json:"peak_rss_bytes"` // of the demo process (VmHWM), 0 where unknown
	Devices    int              `json:"devices"`
	Files      int64            `json:"files"`
	Bytes      int64            `json:"bytes"`
	FileErrors int64            `json:"file_errors"`
	Alerts     map[string]int   `json:"alert_contents_by_category"`
	Known      int              `json:"known_contents"`
	Groups     int              `json:"groups"`
	DistGroups int              `json:"distribution_groups"`
	Messages   int64            `json:"messages"`
	ByCountry  []demoCountry    `json:"distributors_by_country"`
	Comparison synth.Comparison `json:"comparison"`
	Report     string           `json:"report"`
	Case       string           `json:"case"`
}

type demoStage struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	CPU     float64 `json:"cpu_seconds"`
}

type demoCountry struct {
	Country      string `json:"country"`
	Distributors int    `json:"distributors"`
	Planted      int    `json:"planted"`
}

func (a *app) demo(cmd *cobra.Command, o demoOptions) error {
	ctx := cmd.Context()
	params, err := synth.ParseScale(o.scale, o.seed)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	if err := prepareDemoDir(dir, params); err != nil {
		return err
	}
	started, cpu0 := time.Now(), cpuSeconds()
	sum := demoSummary{Seed: o.seed, Scale: params.Scale, Dir: dir, Case: filepath.Join(dir, "case"),
		Report: filepath.Join(dir, "report.html")}
	out := a.stdout
	const stages = 8
	n := 0
	stage := func(name, text string, fn func() error) error {
		n++
		fmt.Fprintf(out, "[%d/%d] %s\n", n, stages, text)
		t, c := time.Now(), cpuSeconds()
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		sum.Stages = append(sum.Stages, demoStage{name, time.Since(t).Seconds(), cpuSeconds() - c})
		return nil
	}
	sum.Load[0] = loadAverage()
	fmt.Fprintf(out, "Vigil demo: a synthetic operation (seed %d, scale %s) in %s\n", o.seed, params.Scale, dir)
	fmt.Fprintln(out, "Everything here is generated: abstract pictures, made-up hash lists, fictitious names, numbers and places.")

	var op *synth.Operation
	err = stage("generate", "generate the operation", func() error {
		pr := a.newProgress()
		pr.update("generate", 0, 1, "accounts, groups, messages, items")
		op, err = synth.GenerateContext(ctx, params)
		pr.done()
		if err != nil {
			return err
		}
		t := op.Truth
		fmt.Fprintf(out, "      %d accounts in %d countries, %d groups, %d distributors, %d suspects arrested at %d places, %d devices, %d known items (%d near-duplicates), %d messages\n",
			t.Totals.Accounts, len(t.Countries), t.Totals.Groups, len(t.Distributors), len(t.Suspects), places(t),
			t.Totals.Devices, t.Totals.Items, t.Totals.Variants, t.Totals.Messages)
		return nil
	})
	if err != nil {
		return err
	}
	truth := op.Truth
	err = stage("write", "write the evidence, hash sets and ground truth to "+filepath.Join(dir, synth.EvidenceDir), func() error {
		pr := a.newProgress()
		t := time.Now()
		err := op.Write(ctx, dir, func(p synth.Progress) {
			pr.update("write evidence", p.Done, p.Total, fmt.Sprintf("%d/%d files, %.0f/s", p.Done, p.Total, float64(p.Done)/time.Since(t).Seconds()))
		})
		pr.done()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "      %d files written in %.1fs\n", truth.Totals.Files, time.Since(t).Seconds())
		return nil
	})
	if err != nil {
		return err
	}
	op = nil // the evidence is on disk: let its memory go

	a.caseDir = sum.Case
	err = stage("init", "create the case "+sum.Case, func() error {
		c, err := caseio.Init(ctx, sum.Case, "Demo operation (synthetic, seed "+strconv.FormatUint(o.seed, 10)+")", caseio.Options{})
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		return err
	}

	err = stage("ingest", fmt.Sprintf("ingest %d devices", len(truth.Devices)), func() error {
		return a.withCase(ctx, false, func(c *caseio.Case) error {
			for _, d := range truth.Devices {
				dev := store.Device{Label: d.Label, Suspect: d.Suspect, Country: d.Country, Place: d.Place, SeizedAt: d.SeizedAt.UTC()}
				// As an investigator would: a phone holding chat exports
				// is ingested with the name its owner has in them
				// (--export-owner) and its clock's zone (--export-tz).
				xo := exportOptions{}
				if len(d.Exports) > 0 {
					xo.owner, xo.tz = d.ExportOwner, "UTC"
				}
				exs, err := extractorsWith(xo)
				if err != nil {
					return err
				}
				if err := a.ingestWith(cmd, c, dev, []string{filepath.Join(dir, d.Source)}, o.workers, exs); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return err
	}

	err = stage("import", fmt.Sprintf("import %d hash sets", len(truth.HashSets)), func() error {
		for _, s := range truth.HashSets {
			args := []string{filepath.Join(dir, s.File), "--format", s.Format, "--name", s.Name, "--status", s.Status, "--no-match",
				"--description", "synthetic set of the Vigil demo: made up from its own generated files"}
			if s.Profile != "" {
				args = append(args, "--profile", s.Profile)
			}
			// The import command itself, so that the demo takes its path.
			imp := newHashsetImportCmd(a)
			imp.SilenceUsage, imp.SilenceErrors = true, true
			imp.SetArgs(args)
			imp.SetOut(a.stdout)
			imp.SetErr(a.stderr)
			if err := imp.ExecuteContext(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	err = stage("match", "match every content and chat media hash against the sets", func() error {
		return a.withCase(ctx, false, func(c *caseio.Case) error { return a.runMatch(ctx, c) })
	})
	if err != nil {
		return err
	}

	// The analysis as vigil network runs it (recorded in the audit chain),
	// then the report as vigil report writes it (which analyses again,
	// as the command does).
	var net *network.Result
	err = stage("network", "analyse the distribution network", func() error {
		return a.withCase(ctx, false, func(c *caseio.Case) error {
			var err error
			net, err = a.analyze(ctx, c, &networkFlags{window: network.DefaultMergeWindow, bucket: "day"}, "demo")
			if err != nil {
				return err
			}
			s := net.Summary
			fmt.Fprintf(out, "      %d accounts, %d groups (%d with known items), %d messages (%d with known items), %d distributors, %d seeders\n",
				s.Accounts, s.Groups, s.DistributionGroups, s.Messages, s.KnownMessages, s.Distributors, s.Seeders)
			return nil
		})
	})
	if err != nil {
		return err
	}

	err = stage("report", "write the report "+sum.Report, func() error {
		rc := newReportCmd(a)
		rc.SilenceUsage, rc.SilenceErrors = true, true
		rc.SetArgs([]string{"--out", sum.Report, "--evidence-limit", "20"})
		rc.SetOut(a.stdout)
		rc.SetErr(a.stderr)
		return rc.ExecuteContext(ctx)
	})
	if err != nil {
		return err
	}

	// What a lead investigator wants to know, and the ground truth.
	err = a.withCase(ctx, true, func(c *caseio.Case) error {
		return demoFindings(ctx, c, net, truth, &sum)
	})
	if err != nil {
		return err
	}
	sum.Seconds, sum.CPU = time.Since(started).Seconds(), cpuSeconds()-cpu0
	sum.PeakRSS = peakRSS()
	sum.Load[1] = loadAverage()
	printDemoSummary(out, truth, &sum)
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, demoSummaryFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if o.benchMD != "" {
		return os.WriteFile(o.benchMD, []byte(demoBenchMarkdown(&sum, truth)), 0o644)
	}
	return nil
}

// demoBenchMarkdown is the benchmark fragment scripts/bench-demo.sh keeps
// (docs/bench/demo.md).
func demoBenchMarkdown(sum *demoSummary, truth *synth.GroundTruth) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "## vigil demo at scale %s\n\n", sum.Scale)
	fmt.Fprintf(&b, "`scripts/bench-demo.sh` (scale %s, seed %d) on %s, %s, %d cores, %s %s; the whole pipeline in one process: generate the operation, write its evidence, init, ingest every device, import the hash sets, match, analyse the network, write the report. Load average (1 min) %s before, %s after: the machine is shared, so CPU time is given beside wall time.\n\n",
		sum.Scale, sum.Seed, time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), cpuModel(), runtime.Version(), orDash(sum.Load[0]), orDash(sum.Load[1]))
	fmt.Fprintf(&b, "| stage | wall (s) | CPU (s) |\n|---|---:|---:|\n")
	for _, s := range sum.Stages {
		fmt.Fprintf(&b, "| %s | %.1f | %.1f |\n", s.Name, s.Seconds, s.CPU)
	}
	fmt.Fprintf(&b, "| **total** | **%.1f** | **%.1f** |\n\n", sum.Seconds, sum.CPU)
	fmt.Fprintf(&b, "Peak memory (VmHWM of the process): **%s**. Targets: under 15 minutes (900 s) and under 2 GB.\n\n", humanize.IBytes(uint64(sum.PeakRSS)))
	fmt.Fprintf(&b, "The operation: %d suspects arrested at %d places, %d devices, %s files (%s) ingested, %d groups, %d distributors planted in %d countries, %d known items (%d near-duplicates), %s messages.\n\n",
		len(truth.Suspects), places(truth), sum.Devices, humanize.Comma(sum.Files), humanize.Bytes(uint64(sum.Bytes)),
		truth.Totals.Groups, len(truth.Distributors), len(truth.Countries), truth.Totals.Items, truth.Totals.Variants, humanize.Comma(int64(truth.Totals.Messages)))
	c := sum.Comparison
	fmt.Fprintf(&b, "Against the ground truth: %d distributors found, %d planted, precision %.2f, recall %.2f; seeders %d of %d right.\n",
		c.Found, c.Planted, c.Precision, c.Recall, c.SeedersCorrect, c.Seeded)
	return b.String()
}

// places counts the distinct places of arrest.
func places(t *synth.GroundTruth) int {
	p := map[string]bool{}
	for _, s := range t.Suspects {
		p[s.Place] = true
	}
	return len(p)
}

// cpuSeconds is the user and system time of the process so far (Linux),
// 0 elsewhere.
func cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): utime and
	// stime are the 12th and 13th, in clock ticks (100 a second).
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// prepareDemoDir makes dir ready: created when missing, refused when it
// holds anything but an earlier demo, whose files are then removed.
func prepareDemoDir(dir string, p synth.Params) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("%s is not empty and was not written by vigil demo: choose another --dir", dir)
		}
		for _, name := range []string{synth.EvidenceDir, "hashsets", "case", synth.GroundTruthFile, "report.html", demoSummaryFile, demoMarker} {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("removing the earlier demo: %w", err)
			}
		}
	}
	marker := fmt.Sprintf("vigil demo, seed %d, scale %s: this directory is replaced by the next vigil demo run on it\n", p.Seed, p.Scale)
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte(marker), 0o644)
}

// demoFindings fills the summary from the case and compares the network
// with the ground truth.
func demoFindings(ctx context.Context, c *caseio.Case, net *network.Result, truth *synth.GroundTruth, sum *demoSummary) error {
	devs, err := c.Store.Devices(ctx)
	if err != nil {
		return err
	}
	sum.Devices = len(devs)
	for _, d := range devs {
		sum.Files += d.Files
		sum.Bytes += d.Bytes
	}
	err = c.Store.Files(ctx, store.FileQuery{Errors: true}, func(store.FileView) error { sum.FileErrors++; return nil })
	if err != nil {
		return err
	}
	// Alert contents by category (a content hit by several sets counts
	// once, in the category a set gave it), and known contents.
	cats := map[string]string{}
	known := map[string]bool{}
	profiles := map[string]hashset.Profile{}
	err = c.Store.Hits(ctx, store.HitQuery{}, func(h store.HitView) error {
		switch h.Status {
		case store.StatusKnown:
			known[h.SHA256] = true
		case store.StatusAlert:
			pr, ok := profiles[h.Profile]
			if !ok {
				pr = hashset.LookupProfile(h.Profile)
				profiles[h.Profile] = pr
			}
			name := "Uncategorised"
			if h.Category != nil {
				name = categoryName(pr, h.Category)
			} else if h.Kind == "pdq" {
				name = "Uncategorised (PDQ list)"
			}
			if prev, ok := cats[h.SHA256]; !ok || strings.HasPrefix(prev, "Uncategorised") {
				cats[h.SHA256] = name
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sum.Alerts = map[string]int{}
	for _, name := range cats {
		sum.Alerts[name]++
	}
	sum.Known = len(known)
	sum.Groups, sum.DistGroups, sum.Messages = net.Summary.Groups, net.Summary.DistributionGroups, net.Summary.Messages
	planted := map[string]int{}
	for _, d := range truth.Distributors {
		planted[d.Country]++
	}
	seen := map[string]bool{}
	for _, ct := range net.Countries {
		if ct.Distributors > 0 || planted[ct.Country] > 0 {
			sum.ByCountry = append(sum.ByCountry, demoCountry{Country: ct.Country, Distributors: ct.Distributors, Planted: planted[ct.Country]})
			seen[ct.Country] = true
		}
	}
	for cc, n := range planted {
		if !seen[cc] {
			sum.ByCountry = append(sum.ByCountry, demoCountry{Country: cc, Planted: n})
		}
	}
	sort.Slice(sum.ByCountry, func(i, j int) bool {
		a, b := sum.ByCountry[i], sum.ByCountry[j]
		if a.Distributors != b.Distributors {
			return a.Distributors > b.Distributors
		}
		return a.Country < b.Country
	})
	found := synth.Found{Seeders: map[string]string{}}
	for _, d := range net.Distributors {
		id := d.JID
		if !strings.HasSuffix(id, "@s.whatsapp.net") && d.Phone != nil {
			id = *d.Phone
		}
		found.Distributors = append(found.Distributors, id)
	}
	for _, it := range net.Items {
		if it.Seeder != nil {
			found.Seeders[it.SHA256] = *it.Seeder
		}
	}
	sum.Comparison = truth.Compare(found)
	return nil
}

func printDemoSummary(w io.Writer, truth *synth.GroundTruth, sum *demoSummary) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "What was found")
	kinds := map[string]int{}
	for _, d := range truth.Devices {
		kinds[d.Kind]++
	}
	var kl []string
	for _, k := range []string{synth.DeviceAndroidModern, synth.DeviceAndroidLegacy, synth.DeviceAndroidTransitional, synth.DeviceIOS,
		synth.DeviceLaptop, synth.DeviceUSB, synth.DeviceBackup} {
		if kinds[k] > 0 {
			kl = append(kl, fmt.Sprintf("%d %s", kinds[k], k))
		}
	}
	fmt.Fprintf(w, "  devices       %d seized from %d suspects: %s\n", sum.Devices, len(truth.Suspects), strings.Join(kl, ", "))
	fmt.Fprintf(w, "  files         %s (%s), %d that could not be read, opened or decoded (vigil files --errors)\n",
		humanize.Comma(sum.Files), humanize.Bytes(uint64(sum.Bytes)), sum.FileErrors)
	var cl []string
	total := 0
	for name, n := range sum.Alerts {
		cl = append(cl, fmt.Sprintf("%s %d", name, n))
		total += n
	}
	sort.Strings(cl)
	fmt.Fprintf(w, "  alert hits    %d contents: %s\n", total, strings.Join(cl, "; "))
	fmt.Fprintf(w, "  known files   %d contents of the NSRL-style set (left out of review)\n", sum.Known)
	fmt.Fprintf(w, "  groups        %d (%d where known items were sent), %s messages\n", sum.Groups, sum.DistGroups, humanize.Comma(sum.Messages))
	var dl []string
	nd := 0
	for _, c := range sum.ByCountry {
		if c.Distributors > 0 {
			s := fmt.Sprintf("%s %d", c.Country, c.Distributors)
			if c.Planted != c.Distributors {
				s += fmt.Sprintf(" (%d planted)", c.Planted)
			}
			dl = append(dl, s)
			nd += c.Distributors
		}
	}
	fmt.Fprintf(w, "  distributors  %d: %s\n", nd, strings.Join(dl, ", "))
	fmt.Fprintf(w, "  report        %s\n  case          %s (any vigil command: --case %s)\n", sum.Report, sum.Case, sum.Case)
	c := sum.Comparison
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Against the ground truth")
	fmt.Fprintf(w, "  distributors  %d found, %d planted, %d correct: precision %.2f, recall %.2f\n", c.Found, c.Planted, c.Correct, c.Precision, c.Recall)
	if len(c.Missed) > 0 {
		fmt.Fprintf(w, "    missed      %s\n", strings.Join(c.Missed, " "))
	}
	if len(c.Extra) > 0 {
		fmt.Fprintf(w, "    unexpected  %s\n", strings.Join(c.Extra, " "))
	}
	fmt.Fprintf(w, "  seeders       %d of %d items correct\n", c.SeedersCorrect, c.Seeded)
	for i, m := range c.WrongSeeders {
		if i == 5 {
			fmt.Fprintf(w, "    … %d more\n", len(c.WrongSeeders)-5)
			break
		}
		got := m.Got
		if got == "" {
			got = "none"
		}
		fmt.Fprintf(w, "    %s: seeded by %s, found %s\n", m.Item, m.Want, got)
	}
	var st []string
	for _, s := range sum.Stages {
		st = append(st, fmt.Sprintf("%s %.1fs", s.Name, s.Seconds))
	}
	fmt.Fprintf(w, "\nTime %.1fs (%s)", sum.Seconds, strings.Join(st, ", "))
	if sum.CPU > 0 {
		fmt.Fprintf(w, ", CPU %.1fs", sum.CPU)
	}
	if sum.PeakRSS > 0 {
		fmt.Fprintf(w, ", peak memory %s", humanize.IBytes(uint64(sum.PeakRSS)))
	}
	fmt.Fprintln(w)
}

// peakRSS is the process's peak resident set size (Linux), 0 elsewhere.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
