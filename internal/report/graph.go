package report

import (
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

// GraphML (http://graphml.graphdrawing.org/specification.html).

type gmlDoc struct {
	XMLName        xml.Name `xml:"graphml"`
	XMLNS          string   `xml:"xmlns,attr"`
	XSI            string   `xml:"xmlns:xsi,attr"`
	SchemaLocation string   `xml:"xsi:schemaLocation,attr"`
	Keys           []gmlKey `xml:"key"`
	Graph          gmlGraph `xml:"graph"`
}

type gmlKey struct {
	ID   string `xml:"id,attr"`
	For  string `xml:"for,attr"`
	Name string `xml:"attr.name,attr"`
	Type string `xml:"attr.type,attr"`
}

type gmlGraph struct {
	ID          string    `xml:"id,attr"`
	EdgeDefault string    `xml:"edgedefault,attr"`
	Nodes       []gmlNode `xml:"node"`
	Edges       []gmlEdge `xml:"edge"`
}

type gmlData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

type gmlNode struct {
	ID   string    `xml:"id,attr"`
	Data []gmlData `xml:"data"`
}

type gmlEdge struct {
	ID     string    `xml:"id,attr"`
	Source string    `xml:"source,attr"`
	Target string    `xml:"target,attr"`
	Data   []gmlData `xml:"data"`
}

func writeGraphML(w io.Writer, g *network.Graph) error {
	doc := gmlDoc{XMLNS: "http://graphml.graphdrawing.org/xmlns", XSI: "http://www.w3.org/2001/XMLSchema-instance",
		SchemaLocation: "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd",
		Graph:          gmlGraph{ID: "vigil-" + g.Scope, EdgeDefault: "directed"}}
	for i, a := range nodeAttrs {
		doc.Keys = append(doc.Keys, gmlKey{ID: "n" + itoa(i), For: "node", Name: a.name, Type: a.typ})
	}
	for i, a := range edgeAttrs {
		doc.Keys = append(doc.Keys, gmlKey{ID: "e" + itoa(i), For: "edge", Name: a.name, Type: a.typ})
	}
	for _, n := range g.Nodes {
		gn := gmlNode{ID: n.ID}
		for i, a := range nodeAttrs {
			gn.Data = append(gn.Data, gmlData{Key: "n" + itoa(i), Value: a.get(n)})
		}
		doc.Graph.Nodes = append(doc.Graph.Nodes, gn)
	}
	for k, e := range g.Edges {
		ge := gmlEdge{ID: "e" + itoa(k), Source: e.Source, Target: e.Target}
		for i, a := range edgeAttrs {
			ge.Data = append(ge.Data, gmlData{Key: "e" + itoa(i), Value: a.get(e)})
		}
		doc.Graph.Edges = append(doc.Graph.Edges, ge)
	}
	return writeXML(w, doc)
}

func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// GEXF 1.3 (https://gexf.net/schema.html).

type gexfDoc struct {
	XMLName xml.Name  `xml:"gexf"`
	XMLNS   string    `xml:"xmlns,attr"`
	Version string    `xml:"version,attr"`
	Meta    gexfMeta  `xml:"meta"`
	Graph   gexfGraph `xml:"graph"`
}

type gexfMeta struct {
	Creator     string `xml:"creator"`
	Description string `xml:"description"`
}

type gexfGraph struct {
	Mode            string           `xml:"mode,attr"`
	DefaultEdgeType string           `xml:"defaultedgetype,attr"`
	Attributes      []gexfAttributes `xml:"attributes"`
	Nodes           []gexfNode       `xml:"nodes>node"`
	Edges           []gexfEdge       `xml:"edges>edge"`
}

type gexfAttributes struct {
	Class string     `xml:"class,attr"`
	Attrs []gexfAttr `xml:"attribute"`
}

type gexfAttr struct {
	ID    string `xml:"id,attr"`
	Title string `xml:"title,attr"`
	Type  string `xml:"type,attr"`
}

type gexfValue struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
}

type gexfNode struct {
	ID     string      `xml:"id,attr"`
	Label  string      `xml:"label,attr"`
	Values []gexfValue `xml:"attvalues>attvalue"`
}

type gexfEdge struct {
	ID     string      `xml:"id,attr"`
	Source string      `xml:"source,attr"`
	Target string      `xml:"target,attr"`
	Weight string      `xml:"weight,attr"`
	Values []gexfValue `xml:"attvalues>attvalue"`
}

func gexfType(t string) string {
	if t == "int" {
		return "integer"
	}
	return t
}

func writeGEXF(w io.Writer, g *network.Graph) error {
	doc := gexfDoc{XMLNS: "http://gexf.net/1.3", Version: "1.3",
		Meta: gexfMeta{Creator: "Vigil",
			Description: "Distribution network (" + g.Scope + "): accounts, groups, membership, posting, co-membership"},
		Graph: gexfGraph{Mode: "static", DefaultEdgeType: "directed"}}
	na := gexfAttributes{Class: "node"}
	for i, a := range nodeAttrs {
		if a.name == "label" {
			continue
		}
		na.Attrs = append(na.Attrs, gexfAttr{ID: "n" + itoa(i), Title: a.name, Type: gexfType(a.typ)})
	}
	ea := gexfAttributes{Class: "edge"}
	for i, a := range edgeAttrs {
		if a.name == "weight" {
			continue
		}
		ea.Attrs = append(ea.Attrs, gexfAttr{ID: "e" + itoa(i), Title: a.name, Type: gexfType(a.typ)})
	}
	doc.Graph.Attributes = []gexfAttributes{na, ea}
	for _, n := range g.Nodes {
		gn := gexfNode{ID: n.ID, Label: n.Label}
		for i, a := range nodeAttrs {
			if a.name != "label" {
				gn.Values = append(gn.Values, gexfValue{For: "n" + itoa(i), Value: a.get(n)})
			}
		}
		doc.Graph.Nodes = append(doc.Graph.Nodes, gn)
	}
	for k, e := range g.Edges {
		ge := gexfEdge{ID: itoa(k), Source: e.Source, Target: e.Target, Weight: ftoa(max(e.Weight, 1e-9))}
		for i, a := range edgeAttrs {
			if a.name != "weight" {
				ge.Values = append(ge.Values, gexfValue{For: "e" + itoa(i), Value: a.get(e)})
			}
		}
		doc.Graph.Edges = append(doc.Graph.Edges, ge)
	}
	return writeXML(w, doc)
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
