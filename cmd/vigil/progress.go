package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows a long operation's state: a live bar on a terminal, a
// plain line every few seconds otherwise, nothing with --quiet.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	quiet   bool
	p       *mpb.Progress
	bar     *mpb.Bar
	label   string
	text    string
	last    time.Time
	every   time.Duration
	started time.Time
}

func (a *app) newProgress() *progress {
	return &progress{w: a.stderr, tty: a.terminal(), quiet: a.quiet, every: 5 * time.Second}
}

// update sets the stage label, done/total units and a status text.
func (pr *progress) update(label string, done, total int64, text string) {
	if pr.quiet {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if label != pr.label {
		pr.finishLocked()
		pr.label = label
		pr.started = time.Now()
		if pr.tty {
			if pr.p == nil {
				pr.p = mpb.New(mpb.WithOutput(pr.w), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
			}
			pr.bar = pr.p.New(max(total, 1), mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding(" ").Rbound("]"),
				mpb.PrependDecorators(decor.Name(label+" ", decor.WCSyncSpaceR)),
				mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
					pr.mu.Lock()
					defer pr.mu.Unlock()
					return pr.text
				})))
		}
	}
	pr.text = text
	if pr.bar != nil {
		pr.bar.SetTotal(max(total, done, 1), false)
		pr.bar.SetCurrent(done)
		return
	}
	if time.Since(pr.last) >= pr.every {
		pr.last = time.Now()
		fmt.Fprintf(pr.w, "%s: %s\n", label, text)
	}
}

func (pr *progress) finishLocked() {
	if pr.bar != nil {
		pr.bar.SetTotal(-1, true)
		pr.bar = nil
	}
}

// done ends the display.
func (pr *progress) done() {
	pr.mu.Lock()
	pr.finishLocked()
	p := pr.p
	pr.p = nil
	pr.mu.Unlock()
	if p != nil {
		p.Wait()
	}
}

// rateETA words a byte rate and the time left.
func rateETA(started time.Time, done, total int64, final bool) string {
	el := time.Since(started).Seconds()
	if el < 0.5 || done == 0 {
		return ""
	}
	rate := float64(done) / el
	s := humanize.Bytes(uint64(rate)) + "/s"
	if final && total > done && rate > 0 {
		s += ", ETA " + (time.Duration(float64(total-done)/rate) * time.Second / time.Second * time.Second).Round(time.Second).String()
	}
	return s
}
