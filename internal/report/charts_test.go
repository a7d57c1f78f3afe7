package report

import (
	"testing"
	"time"

	"vigil/internal/network"
)

func TestTimelineChartExtremeDates(t *testing.T) {
	// Dates a corrupt or hostile source can give: the chart stays a chart.
	tl := []network.Bucket{
		{Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Messages: 1},
		{Start: time.Date(2023, 3, 14, 0, 0, 0, 0, time.UTC), Messages: 500, KnownMessages: 3},
		{Start: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Messages: 2},
	}
	for _, bucket := range []string{"day", "week"} {
		c := timelineChart(tl, bucket)
		if len(c.XTicks) < 2 || len(c.XTicks) > 10 {
			t.Errorf("%s: %d date labels", bucket, len(c.XTicks))
		}
		if c.XTicks[0].Label != "0001-01-01" {
			t.Errorf("%s: first label %q", bucket, c.XTicks[0].Label)
		}
		for _, p := range c.Panels {
			for _, b := range p.Bars {
				if b.X < 60 || b.X > c.Width || b.W < 1 || b.H <= 0 || b.Y < p.Y0 || b.Y+b.H > p.Y0+p.H+0.1 {
					t.Errorf("%s: bar %+v outside its panel", bucket, b)
				}
			}
		}
		if got := len(c.Panels[1].Bars); got != 1 {
			t.Errorf("%s: %d known-item bars, want 1", bucket, got)
		}
	}
	if timelineChart(nil, "day") != nil {
		t.Errorf("a chart of nothing")
	}
}

func TestCountryChart(t *testing.T) {
	cs := []network.Country{{Country: "ES", Accounts: 10, Members: 8, Distributors: 2}, {Country: "unknown", Accounts: 4, Members: 1}}
	c := countryChart(cs, 1)
	if len(c.Rows) != 1 || c.Others != 1 || c.Rows[0].Label != "ES" {
		t.Fatalf("chart %+v", c)
	}
	bars := c.Rows[0].Bars
	if bars[0].Value != "10" || bars[1].Value != "8" || bars[2].Value != "2" || !(bars[0].W > bars[1].W && bars[1].W > bars[2].W) {
		t.Errorf("bars %+v", bars)
	}
}
