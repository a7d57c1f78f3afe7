package report

import (
	"fmt"
	"reflect"
	"testing"

	"vigil/internal/network"
)

func bigGraph() *network.Graph {
	g := &network.Graph{}
	for i := range 5 {
		g.Nodes = append(g.Nodes, network.Node{ID: fmt.Sprintf("12036300000000000%d@g.us", i), Type: network.NodeGroup, Label: fmt.Sprintf("G%d", i),
			Roles: []string{"distribution"}, Members: 80})
	}
	for i := range 400 {
		n := network.Node{ID: fmt.Sprintf("3460000%04d@s.whatsapp.net", i), Type: network.NodeAccount, Label: fmt.Sprintf("+3460000%04d", i), Roles: []string{}}
		if i%50 == 0 {
			n.Roles, n.Score, n.Rank = []string{"distributor"}, 20-i/50, 1+i/50
		}
		g.Nodes = append(g.Nodes, n)
		g.Edges = append(g.Edges, network.Edge{Source: n.ID, Target: g.Nodes[i%5].ID, Kind: network.EdgeAccountGroup, Known: i % 50 / 49})
	}
	return g
}

func TestDraw(t *testing.T) {
	g := bigGraph()
	p := Draw(g, PictureOptions{MaxNodes: 100})
	if len(p.Nodes) != 100 || p.Omitted != 405-100 {
		t.Fatalf("%d nodes drawn, %d omitted", len(p.Nodes), p.Omitted)
	}
	groups, dists := 0, 0
	at := map[[2]float64]string{}
	for _, n := range p.Nodes {
		if n.Type == network.NodeGroup {
			groups++
		}
		if n.Distributor {
			dists++
			if n.Label == "" || n.Rank == 0 {
				t.Errorf("distributor %s drawn without label or rank", n.ID)
			}
		}
		if n.X < 0 || n.X > p.Width || n.Y < 0 || n.Y > p.Height {
			t.Errorf("%s at (%v, %v), outside the %vx%v frame", n.ID, n.X, n.Y, p.Width, p.Height)
		}
		if other, ok := at[[2]float64{n.X, n.Y}]; ok {
			t.Errorf("%s and %s drawn at the same place", n.ID, other)
		}
		at[[2]float64{n.X, n.Y}] = n.ID
	}
	if groups != 5 || dists != 8 {
		t.Errorf("%d groups and %d distributors drawn, want all 5 and 8", groups, dists)
	}
	if q := Draw(bigGraph(), PictureOptions{MaxNodes: 100}); !reflect.DeepEqual(p, q) {
		t.Errorf("two layouts of the same graph differ")
	}
	if e := Draw(&network.Graph{}, PictureOptions{}); len(e.Nodes) != 0 {
		t.Errorf("empty graph drew nodes")
	}
}
