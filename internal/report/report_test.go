package report

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"vigil/internal/audit"
	"vigil/internal/caseio"
	"vigil/internal/network"
	"vigil/internal/network/networktest"
	"vigil/internal/store"
	"vigil/internal/synth"
)

// Text a suspect could have put in a group subject or a name.
const hostile = `<script>alert(1)</script>"><img src=http://example.invalid/x.png onerror=alert(2)><a href="https://example.invalid/">x</a>`

const hostileGroup = "120363000000000105@g.us"

// testCase is the networktest Operation in a real case directory, plus a
// group whose subject and member names are hostile markup, where the
// PDQ-matched item is posted once more.
func testCase(t *testing.T) (context.Context, *caseio.Case, *networktest.Truth) {
	t.Helper()
	ctx := audit.WithActor(context.Background(), "tester")
	dir := t.TempDir()
	c, err := caseio.Init(ctx, filepath.Join(dir, "case"), "Operation Test", caseio.Options{KeyDir: filepath.Join(dir, "keys")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	truth, err := networktest.Operation(ctx, c.Store)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := c.Store.Device(ctx, "PHONE-1")
	if err != nil {
		t.Fatal(err)
	}
	s := &synth.Scenario{Owner: synth.Person{JID: networktest.O1}, People: []synth.Person{{JID: networktest.D3, PushName: hostile}},
		Chats: []synth.Chat{{JID: hostileGroup, Kind: synth.Group, Subject: hostile, Creator: networktest.D3,
			Members: []synth.Member{{JID: networktest.D3, Role: synth.RoleCreator}, {JID: networktest.O1, Role: synth.RoleMember}},
			Messages: []synth.Message{{ID: "H1", Sender: networktest.D3, Time: time.Date(2023, 3, 15, 9, 0, 0, 0, time.UTC), Type: "image",
				Media: &synth.Media{SHA256: networktest.P, Path: "Media/" + hostile, MIME: "image/jpeg"}}}}}}
	if err := networktest.Load(ctx, c.Store, dev, s, networktest.View{Path: "msgstore-hostile.db", Keys: true}); err != nil {
		t.Fatal(err)
	}
	return ctx, c, truth
}

func render(t *testing.T, r *Report, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// walk calls fn for every element of the tree.
func walk(n *html.Node, fn func(*html.Node)) {
	if n.Type == html.ElementNode {
		fn(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attrOf(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// text is the text content of an element.
func text(n *html.Node) string {
	var b strings.Builder
	var f func(*html.Node)
	f = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(n)
	return b.String()
}

func TestReportHTML(t *testing.T) {
	ctx, c, truth := testCase(t)
	r, err := Build(ctx, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	page := render(t, r, Options{})

	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("report does not parse: %v", err)
	}
	sections := map[string]*html.Node{}
	svgs := 0
	var title string
	walk(doc, func(n *html.Node) {
		switch n.Data {
		case "section":
			if id, ok := attrOf(n, "id"); ok {
				sections[id] = n
			}
		case "svg":
			svgs++
		case "title":
			if title == "" {
				title = text(n)
			}
		case "script", "img", "iframe", "object", "embed", "link", "image", "video", "audio", "a", "foreignobject":
			t.Errorf("report holds a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || a.Key == "action":
				t.Errorf("<%s %s=%q>: the report must fetch and link nothing", n.Data, a.Key, a.Val)
			case strings.HasPrefix(a.Key, "on"):
				t.Errorf("<%s %s=…>: event handler in the report", n.Data, a.Key)
			}
		}
	})
	for _, bad := range []string{"<img", "data:image", "url(", "@import", "<script"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	if title != "Case report: Operation Test" {
		t.Errorf("title %q", title)
	}
	for _, id := range []string{"summary", "devices", "acquisition", "hits", "distributors", "items", "groups", "countries", "timeline", "network", "method"} {
		if sections[id] == nil {
			t.Errorf("section %q missing", id)
		}
	}
	if svgs < 3 {
		t.Errorf("%d SVG charts, want countries, timeline and network", svgs)
	}

	// The numbers, in their sections.
	in := func(id string, want ...string) {
		t.Helper()
		s := sections[id]
		if s == nil {
			return
		}
		txt := strings.Join(strings.Fields(text(s)), " ")
		for _, w := range want {
			if !strings.Contains(txt, w) {
				t.Errorf("section %s lacks %q", id, w)
			}
		}
	}
	in("summary", fmt.Sprintf("%d distributors", len(truth.Distributors)), fmt.Sprintf("%d known items sent in chats", len(truth.Items)))
	in("devices", "PHONE-1", "PHONE-2", "PHONE-3", networktest.D2)
	in("acquisition", "/evidence/phone-1", "tester", "intact", "never verified")
	in("hits", "synthetic-vics", "synthetic-pdq", "synthetic-nsrl", "CAM (Child Abuse Material)", "Non-Pertinent")
	var d2 network.Distributor
	for _, d := range r.Network.Distributors {
		if d.JID == networktest.D2 {
			d2 = d
		}
	}
	// D2's score, from the hand-counted inputs (the hostile group does not
	// involve him).
	cnt := truth.Counts[networktest.D2]
	if want := network.Score(cnt.Items, cnt.Seeded, cnt.Groups, cnt.AdminRoles, cnt.Members); d2.Score != want {
		t.Errorf("D2 score %d, want %d", d2.Score, want)
	}
	in("distributors", networktest.D1, networktest.D2, networktest.D3, networktest.D4, "+393311000002",
		fmt.Sprintf("#%d %s — score %d", d2.Rank, networktest.D2, d2.Score), truth.LinkedFile, networktest.A, "first observation")
	in("items", networktest.A, networktest.B, networktest.P, networktest.X)
	in("groups", "Grupo Uno", networktest.G1, "PHONE-1, PHONE-2", networktest.D3)
	in("countries", "unknown", "IT")
	in("timeline", "2023-03-14")
	in("network", "Squares are distribution groups")
	for _, j := range truth.Innocent {
		for _, d := range r.Network.Distributors {
			if d.JID == j {
				t.Errorf("innocent %s ranked as a distributor", j)
			}
		}
	}
	// The hostile subject is shown as text, never as markup.
	if !strings.Contains(text(sections["groups"]), hostile[:30]) {
		t.Errorf("the hostile group's subject is not shown as text")
	}
	// Every distributor is drawn, as a black disc titled with his JID.
	drawn := map[string]bool{}
	walk(sections["network"], func(n *html.Node) {
		if n.Data == "circle" {
			if cl, _ := attrOf(n, "class"); cl == "n-dist" {
				drawn[text(n)] = true
			}
		}
	})
	for _, j := range truth.Distributors {
		if !drawn[j] {
			t.Errorf("distributor %s not drawn", j)
		}
	}
}

func TestReportJSONSameContent(t *testing.T) {
	ctx, c, _ := testCase(t)
	r, err := Build(ctx, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Case    Case
		Audit   Audit
		Sources []store.Source
		Network struct {
			Summary      network.Summary
			Distributors []network.Distributor
		}
		NetworkDigest string `json:"network_digest"`
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Case.ID != c.Info.ID || !back.Audit.OK || len(back.Sources) != 1 || back.NetworkDigest != r.NetworkDigest {
		t.Errorf("JSON report: case %s, audit %v, %d sources, digest %s", back.Case.ID, back.Audit.OK, len(back.Sources), back.NetworkDigest)
	}
	if len(back.Network.Distributors) != len(r.Network.Distributors) {
		t.Fatalf("%d distributors in JSON, %d in the report", len(back.Network.Distributors), len(r.Network.Distributors))
	}
	for i, d := range back.Network.Distributors {
		if d.JID != r.Network.Distributors[i].JID || d.Score != r.Network.Distributors[i].Score ||
			len(d.Evidence) != len(r.Network.Distributors[i].Evidence) {
			t.Errorf("distributor %d differs between JSON and report", i)
		}
	}
	if bytes.Contains(b.Bytes(), []byte("data:image")) {
		t.Errorf("JSON report embeds an image")
	}
}

func TestEvidenceLimit(t *testing.T) {
	ctx, c, _ := testCase(t)
	r, err := Build(ctx, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	page := render(t, r, Options{EvidenceLimit: 1})
	if !strings.Contains(page, "more message(s) in the JSON report") {
		t.Errorf("a capped evidence trail does not say so")
	}
}

func TestAuditBroken(t *testing.T) {
	ctx, c, _ := testCase(t)
	// Tamper with a record behind the store's back.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.Dir, "case.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `UPDATE audit SET actor = 'someone else' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	r, err := Build(ctx, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Audit.OK || r.Audit.FirstBad != 3 {
		t.Fatalf("tampered chain: ok %v, first bad %d", r.Audit.OK, r.Audit.FirstBad)
	}
	if page := render(t, r, Options{}); !strings.Contains(page, "BROKEN at record 3") {
		t.Errorf("the report does not say the chain is broken")
	}
}
