// Package network reconstructs a distribution network from a case store:
// it merges what every seized device saw (the same account, the same
// group, the same message observed on several phones) into one graph of
// accounts and chats, finds which messages carried known items (contents
// matching an alert hash set, or put in an abuse category by an analyst),
// and from them the roles of docs/NETWORK.md: distributors ranked by a
// documented score with the evidence behind it, seeders, spreaders, the
// admins and creators of distribution groups, bridges between groups;
// countries from phone numbers; an activity timeline; and the graph itself
// for Gephi or networkx.
//
// The analysis reads the store once, streaming, with integer ids and
// interned strings, and keeps no text of messages; its output is ordered
// deterministically, so the same case always gives the same result and
// the same digest.
package network

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Options tune an analysis.
type Options struct {
	// MergeWindow is how far apart in time two observations of one message
	// (same chat, sender and content) from different sources may be and
	// still be merged, when message keys do not settle it (default 2
	// minutes: exports keep minutes only).
	MergeWindow time.Duration
	// Bucket is the timeline's step: "day" (default) or "week".
	Bucket string
	// AbuseCodes adds, per category profile, the codes that mean abuse
	// material, replacing the row of AbuseCategories for that profile
	// (for regional profiles whose codes the table does not know).
	AbuseCodes map[string][]int
	// Progress, when set, is told each stage as it starts.
	Progress func(stage string)
}

// DefaultMergeWindow is Options.MergeWindow's default.
const DefaultMergeWindow = 2 * time.Minute

// Unknown stands for a country that phone numbers do not tell.
const Unknown = "unknown"

// Result is the outcome of an analysis.
type Result struct {
	Summary      Summary       `json:"summary"`
	Options      RunOptions    `json:"options"`
	Devices      []Device      `json:"devices"`
	Distributors []Distributor `json:"distributors"`
	Items        []Item        `json:"items"`
	Groups       []Group       `json:"groups"`
	Bridges      []Bridge      `json:"bridges"`
	GroupLinks   []GroupLink   `json:"group_links"`
	Countries    []Country     `json:"countries"`
	Timeline     []Bucket      `json:"timeline"`
	HitSets      []SetCategory `json:"hit_sets"`

	m *model // the merged graph, for Graph
}

// RunOptions records how a result was computed.
type RunOptions struct {
	MergeWindowSeconds float64        `json:"merge_window_seconds"`
	Bucket             string         `json:"bucket"`
	AbuseCategories    []ProfileCodes `json:"abuse_categories"`
	ScoreFormula       string         `json:"score_formula"`
}

// Summary counts what the analysis saw and found.
type Summary struct {
	Devices  int `json:"devices"`
	Accounts int `json:"accounts"`
	Chats    int `json:"chats"`
	Groups   int `json:"groups"` // group chats (and broadcast lists, channels, status)
	// Observations are message rows read (one per source that recorded a
	// message); Messages what remains once the same message seen by
	// several sources is counted once.
	Observations  int64 `json:"observations"`
	Messages      int64 `json:"messages"`
	MediaMessages int64 `json:"media_messages"`
	// KnownContents are contents that are known items, whether sent in a
	// chat or only found as files; KnownItems those sent in chats.
	KnownContents int   `json:"known_contents"`
	KnownItems    int   `json:"known_items"`
	KnownMessages int64 `json:"known_messages"`
	// Cleared are contents with alert hits that an analyst's latest
	// decision put in a not-abuse category; Undetermined contents whose
	// latest decision is in a profile the abuse table does not know.
	Cleared            int        `json:"cleared"`
	Undetermined       int        `json:"undetermined"`
	Distributors       int        `json:"distributors"`
	Seeders            int        `json:"seeders"`
	Spreaders          int        `json:"spreaders"`
	Bridges            int        `json:"bridges"`
	DistributionGroups int        `json:"distribution_groups"`
	First              *time.Time `json:"first"` // first and last message time
	Last               *time.Time `json:"last"`
	FirstKnown         *time.Time `json:"first_known"` // first and last known item sent
	LastKnown          *time.Time `json:"last_known"`
}

// Device is a seized device as the analysis saw it.
type Device struct {
	Label        string `json:"label"`
	Suspect      string `json:"suspect,omitempty"`
	Country      string `json:"country,omitempty"`
	Owner        string `json:"owner,omitempty"` // JID of the device's WhatsApp account
	Observations int64  `json:"observations"`    // message rows read from it
	KnownItems   int    `json:"known_items"`     // distinct known items observed on it
}

// Distributor is an account that sent at least one known item.
type Distributor struct {
	Rank    int      `json:"rank"`
	JID     string   `json:"jid"`
	Phone   *string  `json:"phone"` // E.164, null when unknown
	Country string   `json:"country"`
	Names   []string `json:"names"`
	Score   int      `json:"score"`
	// Items is the number of distinct known items sent; Seeded of those
	// he was the earliest observed sender of; Spread of those first
	// observed from someone else.
	Items    int  `json:"items"`
	Seeded   int  `json:"seeded"`
	Spread   int  `json:"spread"`
	Spreader bool `json:"spreader"`
	// Groups is the number of group chats he sent known items to; Direct
	// of direct chats; Members the distinct other accounts in them.
	Groups     int `json:"groups"`
	Direct     int `json:"direct"`
	Members    int `json:"members"`
	AdminRoles int `json:"admin_roles"` // distribution groups he created or administers
	Messages   int `json:"messages"`    // messages with known items (each counted once)
	// Devices are the devices his known messages were observed on;
	// OwnerOf the seized devices whose account he is.
	Devices  []string   `json:"devices"`
	OwnerOf  []string   `json:"owner_of"`
	First    *time.Time `json:"first"`
	Last     *time.Time `json:"last"`
	Evidence []Evidence `json:"evidence"`
}

// Evidence is one message behind a distributor's score.
type Evidence struct {
	Chat         string     `json:"chat"` // group JID; for a direct chat, the recipient's JID
	ChatKind     string     `json:"chat_kind"`
	ChatSubject  string     `json:"chat_subject,omitempty"`
	Time         *time.Time `json:"time"` // null when no source dates it
	SHA256       string     `json:"sha256"`
	Set          string     `json:"set"` // alert sets, "; "-separated ("" when known by analyst decision only)
	Category     string     `json:"category"`
	CategoryCode *int       `json:"category_code"`
	Basis        string     `json:"basis"`
	Match        string     `json:"match"`
	// Device is the device of the first observation (earliest, then by
	// label); Devices every device that observed the message.
	Device       string        `json:"device"`
	Devices      []string      `json:"devices"`
	Seed         bool          `json:"seed"` // the item's first observation anywhere
	Observations []Observation `json:"observations"`
}

// Observation is one source's record of a message.
type Observation struct {
	Device string     `json:"device"`
	Time   *time.Time `json:"time"`
	Path   string     `json:"path,omitempty"`   // the media path the source records
	File   string     `json:"file,omitempty"`   // the ingested file it was linked to, "DEVICE:path"
	Source string     `json:"source,omitempty"` // the artifact and row: "path#message:1234"
}

// Item is a known item sent in chats.
type Item struct {
	SHA256       string     `json:"sha256"`
	Sets         []string   `json:"sets"`
	Category     string     `json:"category"`
	CategoryCode *int       `json:"category_code"`
	Profile      string     `json:"profile,omitempty"`
	Basis        string     `json:"basis"`
	Match        string     `json:"match"`
	MIME         string     `json:"mime,omitempty"`
	Seeder       *string    `json:"seeder"` // JID, null when no observation is dated
	FirstSeen    *time.Time `json:"first_seen"`
	FirstChat    string     `json:"first_chat,omitempty"`
	FirstDevice  string     `json:"first_device,omitempty"`
	Senders      int        `json:"senders"`
	Chats        int        `json:"chats"`
	Messages     int        `json:"messages"`
	Devices      []string   `json:"devices"`
	// Spread is the item's first observation in each chat, in time order.
	Spread []Hop `json:"spread"`
}

// Hop is an item's first observation in one chat.
type Hop struct {
	Chat   string     `json:"chat"`
	Time   *time.Time `json:"time"`
	Sender *string    `json:"sender"`
	Device string     `json:"device"`
}

// Group is a group chat (or broadcast list, channel, status) and what
// happened in it.
type Group struct {
	JID             string         `json:"jid"`
	Kind            string         `json:"kind"`
	Subject         string         `json:"subject"`
	Created         *time.Time     `json:"created"`
	Creator         *string        `json:"creator"`
	Country         string         `json:"country"` // the creator's
	Admins          []string       `json:"admins"`  // creators and admins, on any device
	Members         int            `json:"members"` // distinct accounts listed as members or seen posting
	Senders         int            `json:"senders"`
	Messages        int64          `json:"messages"`
	KnownItems      int            `json:"known_items"`
	KnownMsgs       int            `json:"known_messages"`
	Distribution    bool           `json:"distribution"` // a known item was sent in it
	Distributors    []string       `json:"distributors"`
	Devices         []string       `json:"devices"`
	InviteLinks     []string       `json:"invite_links"` // codes of links inviting to it
	MemberCountries []CountryCount `json:"member_countries"`
	First           *time.Time     `json:"first"` // first and last message
	Last            *time.Time     `json:"last"`
	// Exports are the chat exports (which name a group by subject only)
	// found to be this group by the messages they share with it.
	Exports []string `json:"exports,omitempty"`
}

// CountryCount is a number of accounts from one country.
type CountryCount struct {
	Country string `json:"country"`
	N       int    `json:"n"`
}

// Bridge is an account active in two or more distribution groups.
type Bridge struct {
	JID         string   `json:"jid"`
	Phone       *string  `json:"phone"`
	Country     string   `json:"country"`
	Groups      []string `json:"groups"`    // distribution groups he posted in
	MemberOf    int      `json:"member_of"` // distribution groups he is a member of
	Distributor bool     `json:"distributor"`
}

// GroupLink links two groups of which at least one is a distribution
// group: shared members, shared known items, invite links to one posted
// in the other.
type GroupLink struct {
	A             string `json:"a"`
	B             string `json:"b"`
	SharedMembers int    `json:"shared_members"`
	SharedItems   int    `json:"shared_items"`
	Invites       int    `json:"invites"`
}

// Country counts accounts, distributors and groups of one country.
type Country struct {
	Country       string `json:"country"`
	Accounts      int    `json:"accounts"`
	Members       int    `json:"members"` // accounts in distribution groups
	Distributors  int    `json:"distributors"`
	Seeders       int    `json:"seeders"`
	Groups        int    `json:"groups"` // distribution groups with a member from the country
	GroupsCreated int    `json:"groups_created"`
	Items         int    `json:"items"` // distinct known items its distributors sent
}

// Bucket is one step of the activity timeline.
type Bucket struct {
	Start         time.Time `json:"start"`
	Messages      int64     `json:"messages"`
	MediaMessages int64     `json:"media_messages"`
	KnownMessages int64     `json:"known_messages"`
	KnownItems    int       `json:"known_items"` // distinct known items sent
	NewItems      int       `json:"new_items"`   // known items first observed
	Distributors  int       `json:"distributors"`
}

// SetCategory counts the hits of one hash set in one category.
type SetCategory struct {
	Set          string `json:"set"`
	Status       string `json:"status"`
	Profile      string `json:"profile,omitempty"`
	Category     string `json:"category"`
	CategoryCode *int   `json:"category_code"`
	Contents     int    `json:"contents"` // distinct contents hit
	Exact        int    `json:"exact"`    // of which by an exact hash
	PDQ          int    `json:"pdq"`      // of which only by PDQ
	InChats      int    `json:"in_chats"` // of which sent in chats
}

// ScoreFormula is the distributor score, as docs/NETWORK.md explains it.
const ScoreFormula = "4*items + 6*seeded + 2*groups + 2*admin_roles + floor(log2(1 + members))"

// Digest is the SHA-256 of the result's JSON encoding: the same case and
// options always give the same digest.
func (r *Result) Digest() (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// AuditDetails is what an analysis run records in the audit chain.
func (r *Result) AuditDetails() (map[string]any, error) {
	d, err := r.Digest()
	if err != nil {
		return nil, err
	}
	s := r.Summary
	return map[string]any{
		"digest":              d,
		"observations":        s.Observations,
		"messages":            s.Messages,
		"known_items":         s.KnownItems,
		"known_messages":      s.KnownMessages,
		"distributors":        s.Distributors,
		"seeders":             s.Seeders,
		"distribution_groups": s.DistributionGroups,
		"merge_window_s":      r.Options.MergeWindowSeconds,
		"score_formula":       ScoreFormula,
	}, nil
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func sptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
