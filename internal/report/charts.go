package report

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"vigil/internal/network"
)

// The charts are computed here as geometry and drawn by the template as
// inline SVG: bars in black and greys with their numbers written beside
// them, readable in black and white.

// BarChart is a horizontal bar chart with one group of bars per row.
type BarChart struct {
	Width, Height float64
	Series        []Legend
	Rows          []BarRow
	Others        int // rows left out
}

// Legend names a series and its fill.
type Legend struct {
	Name  string
	Class string
	X, Y  float64
}

// BarRow is one labelled group of bars.
type BarRow struct {
	Label  string
	LabelY float64
	Bars   []Bar
}

// Bar is one bar and its value.
type Bar struct {
	X, Y, W, H   float64
	Value        string
	TextX, TextY float64
	Class        string
}

const (
	chartLabelW = 90.0
	chartW      = 900.0
)

// countryChart draws members and distributors per country.
func countryChart(cs []network.Country, maxRows int) *BarChart {
	if len(cs) == 0 {
		return nil
	}
	c := &BarChart{Width: chartW, Series: []Legend{{Name: "accounts seen", Class: "s0"}, {Name: "members of distribution groups", Class: "s1"},
		{Name: "distributors", Class: "s2"}}}
	rows := cs
	if len(rows) > maxRows {
		c.Others = len(rows) - maxRows
		rows = rows[:maxRows]
	}
	most := 1
	for _, r := range rows {
		most = max(most, r.Accounts, r.Members, r.Distributors)
	}
	const barH, gap, top = 9.0, 10.0, 30.0
	for i := range c.Series {
		c.Series[i].X, c.Series[i].Y = chartLabelW+float64(i)*250, 12
	}
	scale := (chartW - chartLabelW - 60) / float64(most)
	y := top
	for _, r := range rows {
		row := BarRow{Label: r.Country, LabelY: y + 1.5*barH + 3}
		for k, v := range []struct {
			n     int
			class string
		}{{r.Accounts, "s0"}, {r.Members, "s1"}, {r.Distributors, "s2"}} {
			w := float64(v.n) * scale
			by := y + float64(k)*barH
			row.Bars = append(row.Bars, Bar{X: chartLabelW, Y: by, W: round1(w), H: barH - 1, Value: strconv.Itoa(v.n),
				TextX: round1(chartLabelW + w + 4), TextY: by + barH - 2, Class: v.class})
		}
		c.Rows = append(c.Rows, row)
		y += 3*barH + gap
	}
	c.Height = y + 5
	return c
}

// TimeChart is the activity timeline: panels of bars over time, one per
// measure, each with its own scale.
type TimeChart struct {
	Width, Height float64
	Panels        []Panel
	XTicks        []Tick
	Bucket        string
}

// Panel is one measure over time.
type Panel struct {
	Title  string
	TitleY float64
	Y0, H  float64
	Bars   []Bar
	YTicks []Tick
	Class  string
}

// Tick is an axis label and its position.
type Tick struct {
	X, Y  float64
	Label string
}

// timelineChart draws messages and known-item messages per bucket.
func timelineChart(tl []network.Bucket, bucket string) *TimeChart {
	if len(tl) == 0 {
		return nil
	}
	// Seconds since the epoch, not durations: a hostile date (year 1 or
	// 9999) must not overflow.
	step := int64(24 * 60 * 60)
	if bucket == "week" {
		step *= 7
	}
	first, last := tl[0].Start.Unix(), tl[len(tl)-1].Start.Unix()+step
	span := float64(last - first)
	const left, right, panelH, top, gap = 60.0, 20.0, 120.0, 10.0, 40.0
	plotW := chartW - left - right
	xOf := func(t int64) float64 { return left + plotW*float64(t-first)/span }
	barW := math.Max(1, plotW*float64(step)/span-1)
	c := &TimeChart{Width: chartW, Bucket: bucket}
	for k, m := range []struct {
		title string
		class string
		v     func(network.Bucket) int64
	}{
		{"messages per " + bucket, "s1", func(b network.Bucket) int64 { return b.Messages }},
		{"messages with known items per " + bucket, "s2", func(b network.Bucket) int64 { return b.KnownMessages }},
	} {
		p := Panel{Title: m.title, Class: m.class, Y0: top + float64(k)*(panelH+gap) + 16, H: panelH}
		p.TitleY = p.Y0 - 5
		var most int64 = 1
		for _, b := range tl {
			most = max(most, m.v(b))
		}
		for _, b := range tl {
			v := m.v(b)
			if v == 0 {
				continue
			}
			h := panelH * float64(v) / float64(most)
			p.Bars = append(p.Bars, Bar{X: round1(xOf(b.Start.Unix())), Y: round1(p.Y0 + panelH - h), W: round1(barW), H: round1(h),
				Value: fmt.Sprintf("%s: %d", b.Start.Format("2006-01-02"), v), Class: m.class})
		}
		for _, f := range []float64{0, 0.5, 1} {
			p.YTicks = append(p.YTicks, Tick{X: left - 6, Y: round1(p.Y0 + panelH - f*panelH + 3), Label: strconv.FormatInt(int64(math.Round(f*float64(most))), 10)})
		}
		c.Panels = append(c.Panels, p)
	}
	base := top + 2*(panelH+gap) + 16 - gap + 14
	// A date under each step when there are few, else about eight along
	// the axis, on step boundaries.
	steps := (last - first) / step
	every := max(1, (steps+7)/8)
	for i := int64(0); i <= steps; i += every {
		t := first + i*step
		c.XTicks = append(c.XTicks, Tick{X: round1(xOf(t)), Y: base, Label: time.Unix(t, 0).UTC().Format("2006-01-02")})
	}
	c.Height = base + 10
	return c
}
