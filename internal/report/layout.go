package report

import (
	"hash/fnv"
	"math"
	"slices"
	"sort"

	"vigil/internal/network"
)

// PictureOptions tune the network picture.
type PictureOptions struct {
	MaxNodes      int     // default 250
	Width, Height float64 // default 1000 × 700
	Iterations    int     // default 300
}

// Picture is a drawn network: nodes with positions, and the lines between
// them, in a Width × Height frame.
type Picture struct {
	Width        float64 `json:"width"`
	Height       float64 `json:"height"`
	Nodes        []PNode `json:"nodes"`
	Edges        []PEdge `json:"edges"`
	Omitted      int     `json:"omitted"`       // accounts left out of the drawing
	OmittedEdges int     `json:"omitted_edges"` // links to them
}

// PNode is a drawn node.
type PNode struct {
	ID          string   `json:"id"`
	Label       string   `json:"label"` // "" for nodes drawn without a label
	Type        string   `json:"type"`  // account or group
	X           float64  `json:"x"`
	Y           float64  `json:"y"`
	R           float64  `json:"r"` // radius (half the side of a group's square)
	Distributor bool     `json:"distributor"`
	Rank        int      `json:"rank,omitempty"`
	Roles       []string `json:"roles"`
}

// PEdge is a drawn line.
type PEdge struct {
	X1    float64 `json:"x1"`
	Y1    float64 `json:"y1"`
	X2    float64 `json:"x2"`
	Y2    float64 `json:"y2"`
	Kind  string  `json:"kind"`
	Known bool    `json:"known"` // carried known items
}

func (p PictureOptions) withDefaults() PictureOptions {
	if p.MaxNodes <= 0 {
		p.MaxNodes = 250
	}
	if p.Width <= 0 {
		p.Width = 1000
	}
	if p.Height <= 0 {
		p.Height = 700
	}
	if p.Iterations <= 0 {
		p.Iterations = 300
	}
	return p
}

// hash01 is a deterministic number in [0, 1) from a string.
func hash01(s string, salt byte) float64 {
	h := fnv.New64a()
	h.Write([]byte{salt})
	h.Write([]byte(s))
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// Draw selects the nodes worth drawing and lays them out with a
// deterministic force-directed layout (Fruchterman and Reingold, 1991):
// groups start on a circle, accounts beside their first group, at offsets
// derived from their JIDs; so the same graph always gives the same
// picture.
func Draw(g *network.Graph, o PictureOptions) *Picture {
	o = o.withDefaults()
	pic := &Picture{Width: o.Width, Height: o.Height, Nodes: []PNode{}, Edges: []PEdge{}}
	if g == nil || len(g.Nodes) == 0 {
		return pic
	}
	degree := map[string]int{}
	for _, e := range g.Edges {
		degree[e.Source]++
		degree[e.Target]++
	}
	priority := func(n network.Node) int {
		switch {
		case n.Type == network.NodeGroup:
			return 0
		case slices.Contains(n.Roles, "distributor"):
			return 1
		case slices.Contains(n.Roles, "admin") || slices.Contains(n.Roles, "bridge") || slices.Contains(n.Roles, "seeder"):
			return 2
		}
		return 3
	}
	order := make([]int, len(g.Nodes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := g.Nodes[order[a]], g.Nodes[order[b]]
		if px, py := priority(x), priority(y); px != py {
			return px < py
		}
		if x.Items != y.Items {
			return x.Items > y.Items
		}
		if x.Score != y.Score {
			return x.Score > y.Score
		}
		if degree[x.ID] != degree[y.ID] {
			return degree[x.ID] > degree[y.ID]
		}
		return x.ID < y.ID
	})
	if len(order) > o.MaxNodes {
		for _, i := range order[o.MaxNodes:] {
			if g.Nodes[i].Type == network.NodeAccount {
				pic.Omitted++
			}
		}
		order = order[:o.MaxNodes]
	}
	slices.Sort(order) // back to the graph's order: groups, then accounts by JID
	idx := map[string]int{}
	for _, i := range order {
		n := g.Nodes[i]
		pn := PNode{ID: n.ID, Type: n.Type, Distributor: slices.Contains(n.Roles, "distributor"), Rank: n.Rank, Roles: n.Roles}
		switch {
		case n.Type == network.NodeGroup:
			pn.R = math.Min(22, 6+1.5*math.Sqrt(float64(n.Members)))
			pn.Label = shorten(n.Label, 22)
		case pn.Distributor:
			pn.R = math.Min(16, 5+math.Sqrt(float64(n.Score)))
			pn.Label = shorten(n.Label, 18)
		default:
			pn.R = 3
		}
		idx[n.ID] = len(pic.Nodes)
		pic.Nodes = append(pic.Nodes, pn)
	}
	type link struct {
		a, b  int
		kind  string
		known bool
	}
	var links []link
	for _, e := range g.Edges {
		a, ok1 := idx[e.Source]
		b, ok2 := idx[e.Target]
		if !ok1 || !ok2 {
			pic.OmittedEdges++
			continue
		}
		links = append(links, link{a, b, e.Kind, e.Known > 0 || e.SharedItems > 0})
	}

	// Initial positions.
	n := len(pic.Nodes)
	x, y := make([]float64, n), make([]float64, n)
	cx, cy := o.Width/2, o.Height/2
	var groups []int
	for i, pn := range pic.Nodes {
		if pn.Type == network.NodeGroup {
			groups = append(groups, i)
		}
	}
	for k, i := range groups {
		a := 2 * math.Pi * float64(k) / float64(max(1, len(groups)))
		x[i], y[i] = cx+0.3*o.Width*math.Cos(a), cy+0.3*o.Height*math.Sin(a)
	}
	anchor := make([]int, n)
	for i := range anchor {
		anchor[i] = -1
	}
	for _, l := range links {
		for _, p := range [][2]int{{l.a, l.b}, {l.b, l.a}} {
			if pic.Nodes[p[0]].Type == network.NodeAccount && pic.Nodes[p[1]].Type == network.NodeGroup && anchor[p[0]] < 0 {
				anchor[p[0]] = p[1]
			}
		}
	}
	for i, pn := range pic.Nodes {
		if pn.Type == network.NodeGroup {
			continue
		}
		a, r := 2*math.Pi*hash01(pn.ID, 1), 20+60*hash01(pn.ID, 2)
		if g := anchor[i]; g >= 0 {
			x[i], y[i] = x[g]+r*math.Cos(a), y[g]+r*math.Sin(a)
		} else {
			x[i], y[i] = o.Width*(0.1+0.8*hash01(pn.ID, 3)), o.Height*(0.1+0.8*hash01(pn.ID, 4))
		}
	}

	// Fruchterman-Reingold, with a little gravity to keep components in
	// the frame.
	k := 0.8 * math.Sqrt(o.Width*o.Height/float64(max(1, n)))
	dx, dy := make([]float64, n), make([]float64, n)
	temp := o.Width / 10
	for it := 0; it < o.Iterations; it++ {
		clear(dx)
		clear(dy)
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				ddx, ddy := x[i]-x[j], y[i]-y[j]
				d2 := ddx*ddx + ddy*ddy
				if d2 < 0.01 {
					// Coincident: push apart along a fixed direction.
					ddx, ddy, d2 = 0.1*float64(1+i%7), 0.1*float64(1+j%5), 0.01
				}
				f := k * k / d2 // (k²/d) / d, applied to the unnormalised vector
				dx[i] += ddx * f
				dy[i] += ddy * f
				dx[j] -= ddx * f
				dy[j] -= ddy * f
			}
		}
		for _, l := range links {
			ddx, ddy := x[l.a]-x[l.b], y[l.a]-y[l.b]
			d := math.Sqrt(ddx*ddx + ddy*ddy)
			if d < 0.01 {
				continue
			}
			f := d / k // (d²/k) / d
			dx[l.a] -= ddx * f
			dy[l.a] -= ddy * f
			dx[l.b] += ddx * f
			dy[l.b] += ddy * f
		}
		for i := 0; i < n; i++ {
			dx[i] += (cx - x[i]) * 0.02 * k / 10
			dy[i] += (cy - y[i]) * 0.02 * k / 10
			d := math.Sqrt(dx[i]*dx[i] + dy[i]*dy[i])
			if d > 0 {
				s := math.Min(d, temp) / d
				x[i] += dx[i] * s
				y[i] += dy[i] * s
			}
		}
		temp = math.Max(0.5, temp*0.985)
	}

	// Fit the layout to the frame, leaving room for labels.
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := 0; i < n; i++ {
		minX, maxX = math.Min(minX, x[i]), math.Max(maxX, x[i])
		minY, maxY = math.Min(minY, y[i]), math.Max(maxY, y[i])
	}
	const margin = 40
	sx, sy := (o.Width-2*margin)/math.Max(1, maxX-minX), (o.Height-2*margin)/math.Max(1, maxY-minY)
	s := math.Min(sx, sy)
	offX := margin + (o.Width-2*margin-s*(maxX-minX))/2
	offY := margin + (o.Height-2*margin-s*(maxY-minY))/2
	for i := range pic.Nodes {
		pic.Nodes[i].X = round1(offX + s*(x[i]-minX))
		pic.Nodes[i].Y = round1(offY + s*(y[i]-minY))
	}
	for _, l := range links {
		a, b := pic.Nodes[l.a], pic.Nodes[l.b]
		pic.Edges = append(pic.Edges, PEdge{X1: a.X, Y1: a.Y, X2: b.X, Y2: b.Y, Kind: l.kind, Known: l.known})
	}
	// Plain links first, so that links carrying known items are drawn on top.
	sort.SliceStable(pic.Edges, func(i, j int) bool { return !pic.Edges[i].Known && pic.Edges[j].Known })
	return pic
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
