package report

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"vigil/internal/network"
)

// Graph formats.
const (
	FormatGraphML = "graphml"
	FormatGEXF    = "gexf"
	FormatJSON    = "json"
)

// WriteGraph writes the network graph in one of the formats: GraphML
// (yEd, Gephi, networkx.read_graphml), GEXF 1.3 (Gephi,
// networkx.read_gexf) or JSON in networkx's node-link form
// (networkx.node_link_graph; d3). Lists (roles, devices) are written as
// ";"-separated text in GraphML and GEXF, whose readers take scalars only.
func WriteGraph(w io.Writer, g *network.Graph, format string) error {
	switch format {
	case FormatGraphML:
		return writeGraphML(w, g)
	case FormatGEXF:
		return writeGEXF(w, g)
	case FormatJSON:
		return writeGraphJSON(w, g)
	}
	return fmt.Errorf("graph format %q: use graphml, gexf or json", format)
}

// attr is one attribute of nodes or edges, with how to read it.
type attr[T any] struct {
	name string
	typ  string // GraphML type: string, int, double, boolean
	get  func(T) string
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func btoa(b bool) string { return strconv.FormatBool(b) }

var nodeAttrs = []attr[network.Node]{
	{"type", "string", func(n network.Node) string { return n.Type }},
	{"label", "string", func(n network.Node) string { return n.Label }},
	{"phone", "string", func(n network.Node) string { return n.Phone }},
	{"country", "string", func(n network.Node) string { return n.Country }},
	{"kind", "string", func(n network.Node) string { return n.Kind }},
	{"roles", "string", func(n network.Node) string { return strings.Join(n.Roles, ";") }},
	{"distributor", "boolean", func(n network.Node) string { return btoa(hasRole(n, "distributor")) }},
	{"score", "int", func(n network.Node) string { return itoa(n.Score) }},
	{"rank", "int", func(n network.Node) string { return itoa(n.Rank) }},
	{"items", "int", func(n network.Node) string { return itoa(n.Items) }},
	{"members", "int", func(n network.Node) string { return itoa(n.Members) }},
	{"devices", "string", func(n network.Node) string { return strings.Join(n.Devices, ";") }},
}

var edgeAttrs = []attr[network.Edge]{
	{"link", "string", func(e network.Edge) string { return e.Kind }},
	{"member", "boolean", func(e network.Edge) string { return btoa(e.Member) }},
	{"role", "string", func(e network.Edge) string { return e.Role }},
	{"messages", "int", func(e network.Edge) string { return itoa(e.Messages) }},
	{"known", "int", func(e network.Edge) string { return itoa(e.Known) }},
	{"items", "int", func(e network.Edge) string { return itoa(e.Items) }},
	{"shared_members", "int", func(e network.Edge) string { return itoa(e.SharedMembers) }},
	{"shared_items", "int", func(e network.Edge) string { return itoa(e.SharedItems) }},
	{"invites", "int", func(e network.Edge) string { return itoa(e.Invites) }},
	{"weight", "double", func(e network.Edge) string { return ftoa(e.Weight) }},
	{"devices", "string", func(e network.Edge) string { return strings.Join(e.Devices, ";") }},
}

func hasRole(n network.Node, r string) bool {
	for _, x := range n.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// The XML writers stream: a graph of a hundred thousand accounts and
// half a million links is written without building its document in
// memory. Attributes whose value is empty, 0 or false are left out; the
// defaults of numbers and booleans are declared (Gephi fills them in;
// networkx keeps them in G.graph["node_default"] and ["edge_default"]).

// xmlWriter writes escaped XML text to a buffered writer, keeping the
// first error.
type xmlWriter struct {
	w   *bufio.Writer
	err error
}

func (x *xmlWriter) raw(ss ...string) {
	for _, s := range ss {
		if x.err == nil {
			_, x.err = x.w.WriteString(s)
		}
	}
}

// text writes s escaped for XML text or an attribute value (quotes,
// markup, tabs and line ends escaped; characters XML cannot hold
// replaced by U+FFFD).
func (x *xmlWriter) text(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

func (x *xmlWriter) flush() error {
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}

// defaultElem declares a key's default: numbers and booleans only (an
// empty <default> reads as the text "None" in networkx).
func defaultElem(typ string) string {
	if typ == "string" {
		return ""
	}
	return "<default>" + zeroValue(typ) + "</default>"
}

func zeroValue(typ string) string {
	switch typ {
	case "int", "double":
		return "0"
	case "boolean":
		return "false"
	}
	return ""
}

// GraphML (http://graphml.graphdrawing.org/specification.html).

func writeGraphML(w io.Writer, g *network.Graph) error {
	x := &xmlWriter{w: bufio.NewWriterSize(w, 1<<16)}
	x.raw(xml.Header, `<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`,
		` xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">`, "\n")
	for i, a := range nodeAttrs {
		x.raw(` <key id="n`, itoa(i), `" for="node" attr.name="`, a.name, `" attr.type="`, a.typ, `">`, defaultElem(a.typ), "</key>\n")
	}
	for i, a := range edgeAttrs {
		x.raw(` <key id="e`, itoa(i), `" for="edge" attr.name="`, a.name, `" attr.type="`, a.typ, `">`, defaultElem(a.typ), "</key>\n")
	}
	x.raw(` <graph id="vigil-`)
	x.text(g.Scope)
	x.raw(`" edgedefault="directed">`, "\n")
	for _, n := range g.Nodes {
		x.raw(`  <node id="`)
		x.text(n.ID)
		x.raw(`">`)
		for i, a := range nodeAttrs {
			if v := a.get(n); v != zeroValue(a.typ) {
				x.raw(`<data key="n`, itoa(i), `">`)
				x.text(v)
				x.raw(`</data>`)
			}
		}
		x.raw("</node>\n")
	}
	for k, e := range g.Edges {
		x.raw(`  <edge id="e`, itoa(k), `" source="`)
		x.text(e.Source)
		x.raw(`" target="`)
		x.text(e.Target)
		x.raw(`">`)
		for i, a := range edgeAttrs {
			if v := a.get(e); v != zeroValue(a.typ) {
				x.raw(`<data key="e`, itoa(i), `">`)
				x.text(v)
				x.raw(`</data>`)
			}
		}
		x.raw("</edge>\n")
	}
	x.raw(" </graph>\n</graphml>\n")
	return x.flush()
}

// GEXF 1.3 (https://gexf.net/schema.html).

func gexfType(t string) string {
	if t == "int" {
		return "integer"
	}
	return t
}

func writeGEXF(w io.Writer, g *network.Graph) error {
	x := &xmlWriter{w: bufio.NewWriterSize(w, 1<<16)}
	x.raw(xml.Header, `<gexf xmlns="http://gexf.net/1.3" version="1.3">`, "\n",
		` <meta><creator>Vigil</creator><description>Distribution network (`)
	x.text(g.Scope)
	x.raw(`): accounts, groups, membership, posting, co-membership</description></meta>`, "\n",
		` <graph mode="static" defaultedgetype="directed">`, "\n", `  <attributes class="node">`, "\n")
	for i, a := range nodeAttrs {
		if a.name != "label" {
			x.raw(`   <attribute id="n`, itoa(i), `" title="`, a.name, `" type="`, gexfType(a.typ), `">`, defaultElem(a.typ), "</attribute>\n")
		}
	}
	x.raw("  </attributes>\n", `  <attributes class="edge">`, "\n")
	for i, a := range edgeAttrs {
		if a.name != "weight" {
			x.raw(`   <attribute id="e`, itoa(i), `" title="`, a.name, `" type="`, gexfType(a.typ), `">`, defaultElem(a.typ), "</attribute>\n")
		}
	}
	x.raw("  </attributes>\n  <nodes>\n")
	for _, n := range g.Nodes {
		x.raw(`   <node id="`)
		x.text(n.ID)
		x.raw(`" label="`)
		x.text(n.Label)
		x.raw(`">`)
		open := false
		for i, a := range nodeAttrs {
			if v := a.get(n); a.name != "label" && v != zeroValue(a.typ) {
				if !open {
					x.raw("<attvalues>")
					open = true
				}
				x.raw(`<attvalue for="n`, itoa(i), `" value="`)
				x.text(v)
				x.raw(`"/>`)
			}
		}
		if open {
			x.raw("</attvalues>")
		}
		x.raw("</node>\n")
	}
	x.raw("  </nodes>\n  <edges>\n")
	for k, e := range g.Edges {
		x.raw(`   <edge id="`, itoa(k), `" source="`)
		x.text(e.Source)
		x.raw(`" target="`)
		x.text(e.Target)
		x.raw(`" weight="`, ftoa(max(e.Weight, 1e-9)), `">`)
		open := false
		for i, a := range edgeAttrs {
			if v := a.get(e); a.name != "weight" && v != zeroValue(a.typ) {
				if !open {
					x.raw("<attvalues>")
					open = true
				}
				x.raw(`<attvalue for="e`, itoa(i), `" value="`)
				x.text(v)
				x.raw(`"/>`)
			}
		}
		if open {
			x.raw("</attvalues>")
		}
		x.raw("</edge>\n")
	}
	x.raw("  </edges>\n </graph>\n</gexf>\n")
	return x.flush()
}

// JSON in networkx's node-link form.

type nodeLink struct {
	Directed   bool           `json:"directed"`
	Multigraph bool           `json:"multigraph"`
	Graph      map[string]any `json:"graph"`
	Nodes      []network.Node `json:"nodes"`
	Edges      []network.Edge `json:"edges"`
}

func writeGraphJSON(w io.Writer, g *network.Graph) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(nodeLink{Directed: true, Graph: map[string]any{"name": "vigil " + g.Scope, "scope": g.Scope},
		Nodes: g.Nodes, Edges: g.Edges})
}
