package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"vigil/internal/network"
)

// xmlSafe is what an XML writer can keep of s: characters XML cannot hold
// (and bytes that are not UTF-8) become U+FFFD.
func xmlSafe(s string) string {
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		if r == utf8.RuneError && n == 1 || !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
			r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hostileGraph is a graph whose texts come from the suspect's data.
func hostileGraph(id, label, phone string) *network.Graph {
	return &network.Graph{Scope: "distribution",
		Nodes: []network.Node{
			{ID: id, Type: network.NodeAccount, Label: label, Phone: phone, Country: "unknown", Roles: []string{"distributor"}, Score: 7, Rank: 1},
			{ID: "120363000000000999@g.us", Type: network.NodeGroup, Label: label, Kind: "group", Roles: []string{}, Members: 1},
		},
		Edges: []network.Edge{{Source: id, Target: "120363000000000999@g.us", Kind: network.EdgeAccountGroup, Member: true, Role: label,
			Messages: 1, Known: 1, Items: 1, Weight: 2}},
	}
}

// FuzzWriteGraph writes texts a suspect controls (JIDs of export-only
// accounts carry names, subjects and names are free text) into GraphML,
// GEXF and JSON: each must stay well-formed and give the texts back.
func FuzzWriteGraph(f *testing.F) {
	f.Add("name:PHONE-1:Ana", "Grupo <Uno> & \"dos\"", "+34600000001")
	f.Add("34600000001@s.whatsapp.net", "]]><!-- -->\x00\x01\x1b\r\n\t", "")
	f.Add("a\xff\xfeb", "\uFFFE\U0001F600 ‮", "+1")
	f.Fuzz(func(t *testing.T, id, label, phone string) {
		if id == "120363000000000999@g.us" {
			return
		}
		g := hostileGraph(id, label, phone)
		for _, format := range []string{FormatGraphML, FormatGEXF} {
			var b bytes.Buffer
			if err := WriteGraph(&b, g, format); err != nil {
				t.Fatal(err)
			}
			root := parseXML(t, b.Bytes())
			nodes := root.all("node")
			if len(nodes) != 2 {
				t.Fatalf("%s: %d nodes", format, len(nodes))
			}
			if got, want := nodes[0].attr("id"), xmlSafe(id); got != want {
				t.Fatalf("%s: id %q read back as %q", format, want, got)
			}
			for _, e := range root.all("edge") {
				if e.attr("source") != xmlSafe(id) {
					t.Fatalf("%s: edge source %q", format, e.attr("source"))
				}
			}
			if format == FormatGEXF && nodes[1].attr("label") != xmlSafe(label) {
				t.Fatalf("gexf: label %q read back as %q", xmlSafe(label), nodes[1].attr("label"))
			}
		}
		var b bytes.Buffer
		if err := WriteGraph(&b, g, FormatJSON); err != nil {
			t.Fatal(err)
		}
		var back nodeLink
		if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Nodes) != 2 {
			t.Fatalf("json: %v", err)
		}
		if utf8.ValidString(id) && back.Nodes[0].ID != id {
			t.Fatalf("json: id %q read back as %q", id, back.Nodes[0].ID)
		}
	})
}

// hostileReport is a report whose texts come from the suspect's data.
func hostileReport(subject, name, chat string) *Report {
	when := time.Date(2023, 3, 14, 10, 0, 0, 0, time.UTC)
	code := 1
	r := &Report{Title: "Case report: " + name, Generated: when, Tool: "vigil test", Case: Case{ID: "c", Name: name},
		Audit: Audit{OK: true, Findings: []string{}}, NetworkDigest: "00",
		Network: &network.Result{
			Options: network.RunOptions{Bucket: "day", MergeWindowSeconds: 120},
			Distributors: []network.Distributor{{Rank: 1, JID: chat, Names: []string{name}, Country: name, Score: 10, Items: 1,
				Evidence: []network.Evidence{{Chat: chat, ChatSubject: subject, ChatKind: "group", Time: &when, SHA256: strings.Repeat("a", 64),
					Set: name, Category: subject, CategoryCode: &code, Device: name,
					Observations: []network.Observation{{Device: name, Path: subject, File: name + ":" + subject, Source: chat}}}}}},
			Items: []network.Item{{SHA256: strings.Repeat("a", 64), Category: subject, Sets: []string{name}, Seeder: &chat,
				Spread: []network.Hop{{Chat: chat, Sender: &name, Device: name}}}},
			Groups: []network.Group{{JID: chat, Subject: subject, Distribution: true, Admins: []string{name}, InviteLinks: []string{subject},
				MemberCountries: []network.CountryCount{{Country: name, N: 1}}}},
			Bridges:    []network.Bridge{{JID: name, Groups: []string{subject}}},
			GroupLinks: []network.GroupLink{{A: subject, B: name, SharedMembers: 1}},
			Countries:  []network.Country{{Country: name, Accounts: 1, Distributors: 1}},
			Timeline:   []network.Bucket{{Start: when.Truncate(24 * time.Hour), Messages: 3, KnownMessages: 1}},
			HitSets:    []network.SetCategory{{Set: name, Status: "alert", Category: subject, Contents: 1}},
		},
	}
	r.Picture = Draw(hostileGraph(chat, subject, name), PictureOptions{Iterations: 20})
	return r
}

// FuzzReportHTML renders texts a suspect controls (group subjects, names,
// chat identifiers, paths) into the HTML report: it must parse, hold no
// active or fetching element, and show the texts as text.
func FuzzReportHTML(f *testing.F) {
	f.Add(`<script>alert(1)</script>`, `"><img src=x onerror=alert(2)>`, "120363000000000001@g.us")
	f.Add(`</style><style>body{background:url(http://x.invalid/)}</style>`, `]]></svg><a href="http://x.invalid">`, "name:P:<b>")
	f.Add("\x00\x1b[31m\u202e\uFEFF", "{{.Title}} {{template \"x\"}}", "javascript:alert(1)")
	f.Fuzz(func(t *testing.T, subject, name, chat string) {
		r := hostileReport(subject, name, chat)
		var b bytes.Buffer
		if err := WriteHTML(&b, r, Options{}); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("report does not parse: %v", err)
		}
		var body strings.Builder
		walk(doc, func(n *html.Node) {
			switch n.Data {
			case "script", "img", "iframe", "object", "embed", "link", "image", "video", "audio", "a", "foreignobject", "base", "meta":
				if n.Data != "meta" {
					t.Fatalf("hostile text made a <%s> element", n.Data)
				}
			case "style":
				if n.Parent == nil || n.Parent.Data != "head" {
					t.Fatalf("hostile text made a <style> element")
				}
			}
			for _, a := range n.Attr {
				if a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || strings.HasPrefix(a.Key, "on") {
					t.Fatalf("hostile text made an attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
				}
			}
			if n.Data == "body" {
				body.WriteString(text(n))
			}
		})
		styles := 0
		walk(doc, func(n *html.Node) {
			if n.Data == "style" {
				styles++
			}
		})
		if styles != 1 {
			t.Fatalf("%d <style> elements", styles)
		}
		plain := func(s string) bool {
			if !utf8.ValidString(s) || s == "" {
				return false
			}
			for _, r := range s {
				if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\r' {
					return false
				}
			}
			return true
		}
		if plain(subject) && !strings.Contains(body.String(), strings.TrimSpace(subject)) {
			t.Fatalf("subject %q not shown as text", subject)
		}
	})
}
