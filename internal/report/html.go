package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"vigil/internal/network"
)

//go:embed report.html.tmpl
var htmlTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05Z")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05Z")
		}
		return fmt.Sprint(t)
	},
	"str": func(p *string) string {
		if p == nil || *p == "" {
			return "—"
		}
		return *p
	},
	"int": func(p *int) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprint(*p)
	},
	"join": func(s []string) string {
		if len(s) == 0 {
			return "—"
		}
		return strings.Join(s, ", ")
	},
	"or": func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	},
	"bytes":  humanBytes,
	"add":    func(a, b int) int { return a + b },
	"f":      func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"limit":  limitEvidence,
	"more":   func(all []network.Evidence, n int) int { return max(0, len(all)-n) },
	"status": func(a Audit) string { return a.status() },
	"bool":   yesNo,
	"addf":   func(a, b float64) float64 { return a + b },
	"subf":   func(a, b float64) float64 { return a - b },
	"mulf":   func(a, b float64) float64 { return a * b },
}).Parse(htmlTemplate))

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func limitEvidence(all []network.Evidence, n int) []network.Evidence {
	if n <= 0 || len(all) <= n {
		return all
	}
	return all[:n]
}

// view is what the template renders.
type view struct {
	*Report
	EvidenceLimit      int
	DistributionGroups []network.Group
	OtherGroups        int
	Countries          *BarChart
	Timeline           *TimeChart
	ScoreFormula       string
	// The longest tables are cut in print (the JSON report has them all).
	Bridges        []network.Bridge
	MoreBridges    int
	GroupLinks     []network.GroupLink
	MoreGroupLinks int
}

// printRows is how many bridges and group links the HTML report lists.
const printRows = 200

func cut[T any](all []T, n int) ([]T, int) {
	if len(all) <= n {
		return all, 0
	}
	return all[:n], len(all) - n
}

// WriteHTML writes the report as one self-contained HTML page.
func WriteHTML(w io.Writer, r *Report, o Options) error {
	v := view{Report: r, EvidenceLimit: o.EvidenceLimit, ScoreFormula: network.ScoreFormula}
	if r.Network != nil {
		for _, g := range r.Network.Groups {
			if g.Distribution {
				v.DistributionGroups = append(v.DistributionGroups, g)
			} else {
				v.OtherGroups++
			}
		}
		v.Bridges, v.MoreBridges = cut(r.Network.Bridges, printRows)
		v.GroupLinks, v.MoreGroupLinks = cut(r.Network.GroupLinks, printRows)
		v.Countries = countryChart(r.Network.Countries, 30)
		v.Timeline = timelineChart(r.Network.Timeline, r.Network.Options.Bucket)
	}
	return tmpl.Execute(w, v)
}

// WriteJSON writes the report as JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
