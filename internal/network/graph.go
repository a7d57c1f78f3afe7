package network

import (
	"errors"
	"fmt"
	"sort"
)

// Graph scopes.
const (
	// ScopeDistribution keeps the distribution groups, everyone in them,
	// every distributor and the other side of direct chats that carried
	// known items.
	ScopeDistribution = "distribution"
	// ScopeAll keeps every account and every group.
	ScopeAll = "all"
)

// Node types.
const (
	NodeAccount = "account"
	NodeGroup   = "group"
)

// Edge kinds.
const (
	// EdgeAccountGroup links an account to a group it is a member of or
	// posted in (one edge per pair: membership and posting counts are its
	// attributes).
	EdgeAccountGroup = "account-group"
	// EdgeDirect links the sender of direct messages to their recipient.
	EdgeDirect = "direct"
	// EdgeGroupLink links two groups sharing members, known items or
	// invite links (co-membership).
	EdgeGroupLink = "group-group"
)

// Graph is the network as nodes and edges, for GraphML, GEXF and JSON.
type Graph struct {
	Scope string `json:"scope"`
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Node is an account or a group.
type Node struct {
	ID      string   `json:"id"` // the JID
	Type    string   `json:"type"`
	Label   string   `json:"label"`
	Phone   string   `json:"phone,omitempty"`
	Country string   `json:"country"`
	Kind    string   `json:"kind,omitempty"` // group kind
	Roles   []string `json:"roles"`          // distributor, seeder, spreader, creator, admin, bridge, owner
	Score   int      `json:"score"`          // distributors
	Rank    int      `json:"rank,omitempty"` // distributors
	Items   int      `json:"items"`          // known items sent (accounts) or seen (groups)
	Members int      `json:"members"`        // groups
	Devices []string `json:"devices"`        // devices that saw it
}

// Edge is a directed link; group-group links go from the lesser JID.
type Edge struct {
	Source        string   `json:"source"`
	Target        string   `json:"target"`
	Kind          string   `json:"kind"`
	Member        bool     `json:"member"`         // account-group: listed as a member
	Role          string   `json:"role,omitempty"` // account-group: creator, admin or member
	Messages      int      `json:"messages"`       // messages sent along the edge (each counted once)
	Known         int      `json:"known"`          // of which carrying known items
	Items         int      `json:"items"`          // distinct known items
	SharedMembers int      `json:"shared_members"` // group-group
	SharedItems   int      `json:"shared_items"`   // group-group
	Invites       int      `json:"invites"`        // group-group
	Weight        float64  `json:"weight"`
	Devices       []string `json:"devices,omitempty"` // account-group: devices listing the membership
}

// Graph builds the network graph of a result in the given scope. It needs
// the result as Analyze returned it (not one decoded from JSON).
func (r *Result) Graph(scope string) (*Graph, error) {
	if r.m == nil || r.m.d == nil {
		return nil, errors.New("network graph: the result holds no graph (run the analysis in this process)")
	}
	switch scope {
	case "":
		scope = ScopeDistribution
	case ScopeDistribution, ScopeAll:
	default:
		return nil, fmt.Errorf("graph scope %q: use %s or %s", scope, ScopeDistribution, ScopeAll)
	}
	m, d := r.m, r.m.d
	g := &Graph{Scope: scope, Nodes: []Node{}, Edges: []Edge{}}
	all := scope == ScopeAll

	// Which conversations and accounts are in.
	inConv := make([]bool, len(m.convs))
	inAcct := make([]bool, len(m.accounts))
	for cv, c := range m.convs {
		switch {
		case c.direct:
			inConv[cv] = all || d.convKnown[cv] > 0
		default:
			inConv[cv] = all || d.distGroup[cv]
		}
		if inConv[cv] {
			for _, a := range d.parts.of(int32(cv)) {
				inAcct[a] = true
			}
		}
	}
	for a := range d.distrib {
		inAcct[a] = true
	}
	if all {
		for a := range inAcct {
			inAcct[a] = true
		}
	}

	roles := func(a int32) []string {
		rs := []string{}
		if d.distrib[a] != nil {
			rs = append(rs, "distributor")
		}
		if d.seeders[a] > 0 {
			rs = append(rs, "seeder")
		}
		if dist := d.distrib[a]; dist != nil && dist.Spreader {
			rs = append(rs, "spreader")
		}
		if d.adminOf[a] > 0 {
			rs = append(rs, "admin")
		}
		if d.bridge[a] {
			rs = append(rs, "bridge")
		}
		if len(m.accounts[a].ownerOf) > 0 {
			rs = append(rs, "owner")
		}
		return rs
	}
	for a := range m.accounts {
		if !inAcct[a] {
			continue
		}
		acc := &m.accounts[a]
		n := Node{ID: acc.jid, Type: NodeAccount, Label: accountLabel(acc), Phone: acc.phone, Country: m.country(int32(a)),
			Roles: roles(int32(a)), Devices: []string{}}
		if dist := d.distrib[int32(a)]; dist != nil {
			n.Score, n.Rank, n.Items = dist.Score, dist.Rank, dist.Items
		}
		n.Devices = m.labels(acc.devices)
		g.Nodes = append(g.Nodes, n)
	}
	for cv, c := range m.convs {
		if c.direct || !inConv[cv] {
			continue
		}
		ch := m.chats[c.chat]
		label := ch.subject
		if label == "" {
			label = ch.jid
		}
		n := Node{ID: ch.jid, Type: NodeGroup, Label: label, Kind: c.kind, Country: m.country(ch.creator), Roles: []string{},
			Items: int(d.convItems[cv]), Members: len(d.parts.of(int32(cv))), Devices: []string{}}
		if d.distGroup[cv] {
			n.Roles = append(n.Roles, "distribution")
		}
		n.Devices = m.labels(ch.devices)
		g.Nodes = append(g.Nodes, n)
	}
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		if ids[n.ID] {
			return nil, fmt.Errorf("network graph: two nodes named %s", n.ID)
		}
		ids[n.ID] = true
	}

	// Account-group edges: membership, and posting with counts.
	type key struct{ a, cv int32 }
	posted := map[key]*post{}
	for i := range d.posts {
		p := &d.posts[i]
		if p.acct >= 0 {
			posted[key{p.acct, p.conv}] = p
		}
	}
	for cv, c := range m.convs {
		if c.direct || !inConv[cv] {
			continue
		}
		for _, a := range d.parts.of(int32(cv)) {
			if !inAcct[a] {
				continue
			}
			e := Edge{Source: m.jid(a), Target: m.chats[c.chat].jid, Kind: EdgeAccountGroup}
			if mb := m.membership(int32(cv), a); mb != nil {
				e.Member, e.Role = true, roleName(mb.role)
				e.Devices = m.labels(m.memberDevs[mb.dev0 : mb.dev0+mb.ndev])
			}
			if m.chats[c.chat].creator == a {
				e.Role = roleName(roleCreator)
			}
			if p := posted[key{a, int32(cv)}]; p != nil {
				e.Messages, e.Known, e.Items = int(p.msgs), int(p.known), int(p.items)
			}
			e.Weight = float64(1 + e.Messages)
			g.Edges = append(g.Edges, e)
		}
	}
	// Direct chats: sender → recipient.
	for i := range d.posts {
		p := &d.posts[i]
		c := m.convs[p.conv]
		if !c.direct || !inConv[p.conv] || p.acct < 0 || c.a < 0 || c.b < 0 {
			continue
		}
		to := c.a
		if p.acct == c.a {
			to = c.b
		} else if p.acct != c.b {
			continue
		}
		if !inAcct[p.acct] || !inAcct[to] {
			continue
		}
		g.Edges = append(g.Edges, Edge{Source: m.jid(p.acct), Target: m.jid(to), Kind: EdgeDirect, Messages: int(p.msgs),
			Known: int(p.known), Items: int(p.items), Weight: float64(p.msgs)})
	}
	// Group-group links.
	for _, l := range r.GroupLinks {
		if !ids[l.A] || !ids[l.B] {
			continue
		}
		g.Edges = append(g.Edges, Edge{Source: l.A, Target: l.B, Kind: EdgeGroupLink, SharedMembers: l.SharedMembers,
			SharedItems: l.SharedItems, Invites: l.Invites, Weight: float64(l.SharedMembers + l.SharedItems + l.Invites)})
	}

	sort.Slice(g.Nodes, func(i, j int) bool {
		if g.Nodes[i].Type != g.Nodes[j].Type {
			return g.Nodes[i].Type > g.Nodes[j].Type // groups first
		}
		return g.Nodes[i].ID < g.Nodes[j].ID
	})
	sort.Slice(g.Edges, func(i, j int) bool {
		x, y := g.Edges[i], g.Edges[j]
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		if x.Source != y.Source {
			return x.Source < y.Source
		}
		return x.Target < y.Target
	})
	return g, nil
}

func accountLabel(a *accountInfo) string {
	if a.phone != "" {
		return a.phone
	}
	if len(a.names) > 0 {
		return a.names[0]
	}
	return a.jid
}
