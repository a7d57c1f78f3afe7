package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"vigil/internal/network"
	"vigil/internal/network/networktest"
)

// xmlElem is a generic XML tree.
type xmlElem struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xmlElem  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (e *xmlElem) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e *xmlElem) all(local string) []*xmlElem {
	var out []*xmlElem
	var f func(*xmlElem)
	f = func(x *xmlElem) {
		if x.XMLName.Local == local {
			out = append(out, x)
		}
		for i := range x.Children {
			f(&x.Children[i])
		}
	}
	f(e)
	return out
}

func parseXML(t *testing.T, b []byte) *xmlElem {
	t.Helper()
	var root xmlElem
	if err := xml.Unmarshal(b, &root); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	return &root
}

// checkEndpoints checks that every edge joins two declared nodes.
func checkEndpoints(t *testing.T, root *xmlElem, g *network.Graph) {
	t.Helper()
	ids := map[string]bool{}
	for _, n := range root.all("node") {
		id := n.attr("id")
		if id == "" || ids[id] {
			t.Errorf("node id %q empty or repeated", id)
		}
		ids[id] = true
	}
	edges := root.all("edge")
	if len(ids) != len(g.Nodes) || len(edges) != len(g.Edges) {
		t.Errorf("%d nodes and %d edges written, graph has %d and %d", len(ids), len(edges), len(g.Nodes), len(g.Edges))
	}
	for _, e := range edges {
		if !ids[e.attr("source")] || !ids[e.attr("target")] {
			t.Errorf("edge %s→%s joins undeclared nodes", e.attr("source"), e.attr("target"))
		}
	}
}

// checkGraphML checks GraphML's required structure: <graphml> in its
// namespace, keys declared with for, attr.name and attr.type, one <graph>
// with an edgedefault, data referring to declared keys, edges between
// declared nodes.
func checkGraphML(t *testing.T, b []byte, g *network.Graph) {
	t.Helper()
	root := parseXML(t, b)
	if root.XMLName.Space != "http://graphml.graphdrawing.org/xmlns" || root.XMLName.Local != "graphml" {
		t.Fatalf("root element %v", root.XMLName)
	}
	keys := map[string]string{}
	for _, k := range root.all("key") {
		if k.attr("for") != "node" && k.attr("for") != "edge" || k.attr("attr.name") == "" {
			t.Errorf("key %+v", k.Attrs)
		}
		switch k.attr("attr.type") {
		case "string", "int", "double", "boolean":
		default:
			t.Errorf("key %s: type %q", k.attr("id"), k.attr("attr.type"))
		}
		keys[k.attr("id")] = k.attr("for")
	}
	graphs := root.all("graph")
	if len(graphs) != 1 || graphs[0].attr("edgedefault") != "directed" {
		t.Fatalf("want one directed <graph>")
	}
	for _, d := range root.all("data") {
		if _, ok := keys[d.attr("key")]; !ok {
			t.Errorf("data for undeclared key %q", d.attr("key"))
		}
	}
	checkEndpoints(t, root, g)
}

// checkGEXF checks GEXF 1.3's required structure.
func checkGEXF(t *testing.T, b []byte, g *network.Graph) {
	t.Helper()
	root := parseXML(t, b)
	if root.XMLName.Space != "http://gexf.net/1.3" || root.XMLName.Local != "gexf" || root.attr("version") != "1.3" {
		t.Fatalf("root %v version %q", root.XMLName, root.attr("version"))
	}
	graphs := root.all("graph")
	if len(graphs) != 1 || graphs[0].attr("defaultedgetype") != "directed" {
		t.Fatalf("want one directed <graph>")
	}
	declared := map[string]bool{}
	for _, a := range root.all("attribute") {
		declared[a.attr("id")] = true
		switch a.attr("type") {
		case "string", "integer", "double", "boolean":
		default:
			t.Errorf("attribute %s: type %q", a.attr("id"), a.attr("type"))
		}
	}
	for _, v := range root.all("attvalue") {
		if !declared[v.attr("for")] {
			t.Errorf("value for undeclared attribute %q", v.attr("for"))
		}
	}
	for _, e := range root.all("edge") {
		if e.attr("weight") == "" || e.attr("id") == "" {
			t.Errorf("edge without id or weight")
		}
	}
	checkEndpoints(t, root, g)
}

func TestGraphFormats(t *testing.T) {
	ctx, c, _ := testCase(t)
	r, err := network.Analyze(ctx, c.Store, network.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, scope := range []string{network.ScopeDistribution, network.ScopeAll} {
		g, err := r.Graph(scope)
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{FormatGraphML, FormatGEXF, FormatJSON} {
			var b bytes.Buffer
			if err := WriteGraph(&b, g, format); err != nil {
				t.Fatal(err)
			}
			switch format {
			case FormatGraphML:
				checkGraphML(t, b.Bytes(), g)
				if !strings.Contains(b.String(), "&lt;script&gt;") || strings.Contains(b.String(), "<script>") {
					t.Errorf("hostile subject not escaped")
				}
			case FormatGEXF:
				checkGEXF(t, b.Bytes(), g)
			case FormatJSON:
				var back nodeLink
				if err := json.Unmarshal(b.Bytes(), &back); err != nil {
					t.Fatal(err)
				}
				if !back.Directed || !reflect.DeepEqual(back.Nodes, g.Nodes) || !reflect.DeepEqual(back.Edges, g.Edges) {
					t.Errorf("node-link JSON does not round-trip")
				}
			}
			if scope == network.ScopeAll {
				files[format] = b.Bytes()
			}
		}
		if scope == network.ScopeAll {
			// networkx reads all three (one Python start).
			networkxCheck(t, files, g)
		}
	}
	if err := WriteGraph(io.Discard, &network.Graph{}, "dot"); err == nil {
		t.Errorf("unknown format accepted")
	}
}

// networkxCheck loads files (format → content) with networkx, when
// python3 and networkx are installed, and compares the counts and a few
// attributes with the graph.
func networkxCheck(t *testing.T, files map[string][]byte, g *network.Graph) {
	t.Helper()
	// The python3 on PATH may be one without Debian's packages (pyenv);
	// Debian's python3-networkx lives beside /usr/bin/python3.
	py := ""
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		p, err := exec.LookPath(cand)
		if err != nil {
			continue
		}
		if exec.Command(p, "-c", "import networkx").Run() == nil {
			py = p
			break
		}
		if py == "" {
			py = p
		}
	}
	if py == "" {
		t.Log("python3 not found: networkx check skipped")
		return
	}
	dir := t.TempDir()
	args := []string{"-c", networkxScript, networktest.D3}
	for format, data := range files {
		file := filepath.Join(dir, "graph."+format)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, format, file)
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if strings.Contains(string(out), "No module named 'networkx'") {
		t.Log("networkx not installed: networkx check skipped")
		return
	}
	if err != nil {
		t.Fatalf("networkx cannot read the files: %v\n%s", err, out)
	}
	var got []struct {
		Format       string
		Directed     bool
		Nodes, Edges int
		D3Type       string `json:"d3_type"`
		D3Score      int    `json:"d3_score"`
		Distributors []string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("networkx: %s", out)
	}
	var want []string
	var d3 network.Node
	for _, n := range g.Nodes {
		if slices.Contains(n.Roles, "distributor") {
			want = append(want, n.ID)
		}
		if n.ID == networktest.D3 {
			d3 = n
		}
	}
	slices.Sort(want)
	if len(got) != len(files) {
		t.Fatalf("networkx read %d files of %d", len(got), len(files))
	}
	for _, x := range got {
		if !x.Directed || x.Nodes != len(g.Nodes) || x.Edges != len(g.Edges) || x.D3Type != "account" || x.D3Score != d3.Score ||
			!slices.Equal(x.Distributors, want) {
			t.Errorf("networkx read %s: %+v; want %d nodes, %d edges, D3 score %d, distributors %v", x.Format, x, len(g.Nodes), len(g.Edges), d3.Score, want)
		}
	}
}

const networkxScript = `
import json, sys
import networkx as nx
d3, args, out = sys.argv[1], sys.argv[2:], []
for fmt, path in zip(args[0::2], args[1::2]):
    if fmt == "graphml":
        g = nx.read_graphml(path)
    elif fmt == "gexf":
        g = nx.read_gexf(path)
    else:
        g = nx.node_link_graph(json.load(open(path)), edges="edges")
    n = g.nodes[d3]
    dist = sorted(v for v, a in g.nodes(data=True) if "distributor" in str(a.get("roles", "")))
    out.append({"format": fmt, "directed": g.is_directed(), "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
        "d3_type": n.get("type"), "d3_score": int(n.get("score", -1)), "distributors": dist})
print(json.dumps(out))
`
