package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"vigil/internal/phone"
)

// GroundTruth is what a generated operation planted, written beside the
// evidence as groundtruth.json: the distributors, the seeder of each item,
// the groups, the countries, what each device holds, and the hash sets.
// An analysis of the evidence is checked against it with Compare.
type GroundTruth struct {
	Seed   uint64    `json:"seed"`
	Scale  string    `json:"scale"`
	Params Params    `json:"params"`
	Start  time.Time `json:"activity_start"`
	End    time.Time `json:"activity_end"`

	Countries    []CountryTruth `json:"countries"`
	Distributors []AccountTruth `json:"distributors"`
	// Receivers counts the accounts that never send a known item.
	Receivers int            `json:"receivers"`
	Suspects  []SuspectTruth `json:"suspects"`
	Groups    []GroupTruth   `json:"groups"`
	Items     []ItemTruth    `json:"items"`
	// Benign are known pictures in the set as non-pertinent (category 0):
	// they are hits, but sending them makes no one a distributor.
	Benign   []ItemTruth   `json:"benign"`
	Devices  []DeviceTruth `json:"devices"`
	HashSets []SetTruth    `json:"hash_sets"`
	Totals   Totals        `json:"totals"`
}

// CountryTruth counts one country's planted accounts.
type CountryTruth struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Accounts     int    `json:"accounts"`
	Distributors int    `json:"distributors"`
	Suspects     int    `json:"suspects"`
}

// AccountTruth is a planted distributor.
type AccountTruth struct {
	JID     string   `json:"jid"`
	Phone   string   `json:"phone"`
	Country string   `json:"country"`
	Name    string   `json:"name"`
	Suspect bool     `json:"suspect"`
	Items   int      `json:"items"`  // distinct known items sent
	Seeded  int      `json:"seeded"` // items he was the first to send
	Groups  []string `json:"groups"` // groups he sent known items to
}

// SuspectTruth is an arrested person.
type SuspectTruth struct {
	N           int       `json:"n"`
	Name        string    `json:"name"`
	JID         string    `json:"jid"`
	Country     string    `json:"country"`
	Place       string    `json:"place"`
	SeizedAt    time.Time `json:"seized_at"`
	Distributor bool      `json:"distributor"`
	Devices     []string  `json:"devices"`
}

// GroupTruth is a planted group.
type GroupTruth struct {
	JID          string    `json:"jid"`
	Subject      string    `json:"subject"`
	Created      time.Time `json:"created"`
	Creator      string    `json:"creator"`
	Admins       []string  `json:"admins"`
	Members      int       `json:"members"` // accounts ever members
	InviteCode   string    `json:"invite_code"`
	Messages     int       `json:"messages"`
	Distribution bool      `json:"distribution"` // a known item was sent in it
	Observers    []string  `json:"observers"`    // seized phones holding all of its messages
}

// ItemTruth is a known item.
type ItemTruth struct {
	Label    string `json:"label"`
	SHA256   string `json:"sha256"`
	MD5      string `json:"md5"`
	SHA1     string `json:"sha1"`
	PDQ      string `json:"pdq"`
	Quality  int    `json:"pdq_quality"`
	Category int    `json:"category"`
	// Seeder is the JID of its first sender ("" for items found only as
	// files), FirstSeen when and FirstChat where.
	Seeder    string         `json:"seeder,omitempty"`
	FirstSeen *time.Time     `json:"first_seen,omitempty"`
	FirstChat string         `json:"first_chat,omitempty"`
	Chats     int            `json:"chats"` // chats it was sent in
	Messages  int            `json:"messages"`
	Variants  []VariantTruth `json:"variants,omitempty"`
}

// VariantTruth is a near-duplicate of an item.
type VariantTruth struct {
	Kind     string `json:"kind"`
	SHA256   string `json:"sha256"`
	PDQ      string `json:"pdq"`
	Distance int    `json:"distance"`
}

// DeviceTruth is a seized device and what Vigil should find on it.
type DeviceTruth struct {
	Label      string    `json:"label"`
	Kind       string    `json:"kind"`
	Suspect    string    `json:"suspect"`
	SuspectJID string    `json:"suspect_jid"`
	Country    string    `json:"country"`
	Place      string    `json:"place"`
	SeizedAt   time.Time `json:"seized_at"`
	Source     string    `json:"source"` // relative to the demo directory
	Files      int       `json:"files"`  // files written, archive members included
	// Items are known items present as files (exact hits expected);
	// Variants near-duplicates present as files (PDQ hits expected);
	// ChatOnly known items its chat databases name by hash with no file on
	// the device (hits through the chat media hash); Benign benign known
	// pictures present as files; Known operating-system files (known-set
	// hits); Deleted known items in deleted entries of a disk image.
	Items    []string       `json:"items"`
	Variants []string       `json:"variants"`
	ChatOnly []string       `json:"chat_only"`
	Benign   []string       `json:"benign"`
	Known    []string       `json:"known"`
	Deleted  []string       `json:"deleted"`
	Corrupt  []CorruptTruth `json:"corrupt"`
	// Owner is the WhatsApp account of a phone; Groups the groups its
	// databases hold; Messages the messages they hold.
	Owner    string   `json:"owner,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	Messages int      `json:"messages,omitempty"`
	Exports  []string `json:"exports,omitempty"` // chat exports kept on it
	// ExportOwner is the name the phone's owner has in his own exports
	// (what an investigator gives vigil ingest --export-owner).
	ExportOwner string `json:"export_owner,omitempty"`
}

// CorruptTruth is a file made corrupt on purpose.
type CorruptTruth struct {
	Path string `json:"path"` // as the intake records it (inside the source)
	Why  string `json:"why"`
}

// SetTruth is a hash-set file written for the case.
type SetTruth struct {
	Name    string `json:"name"`
	File    string `json:"file"`   // relative to the demo directory
	Format  string `json:"format"` // a vigil hashset import --format name
	Status  string `json:"status"` // alert or known
	Profile string `json:"profile,omitempty"`
	Entries int    `json:"entries"`
}

// Totals sum the operation up.
type Totals struct {
	Accounts int `json:"accounts"`
	Groups   int `json:"groups"`
	Messages int `json:"messages"` // group and direct messages sent
	Devices  int `json:"devices"`
	Files    int `json:"files"`
	Items    int `json:"items"`
	Variants int `json:"variants"`
}

// ReadGroundTruth reads a groundtruth.json.
func ReadGroundTruth(path string) (*GroundTruth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var g GroundTruth
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("ground truth %s: %w", path, err)
	}
	return &g, nil
}

// Found is what an analysis found, to compare with the ground truth:
// distributors by JID or E.164 number, and the seeder of each item by its
// SHA-256.
type Found struct {
	Distributors []string
	Seeders      map[string]string
}

// Comparison measures an analysis against the ground truth.
type Comparison struct {
	Planted   int      `json:"planted"`    // distributors planted
	Found     int      `json:"found"`      // distributors found
	Correct   int      `json:"correct"`    // found and planted
	Precision float64  `json:"precision"`  // correct / found (1 when none found and none planted)
	Recall    float64  `json:"recall"`     // correct / planted
	Missed    []string `json:"missed"`     // planted, not found
	Extra     []string `json:"unexpected"` // found, not planted

	Seeded         int              `json:"seeded_items"`    // items with a planted seeder
	SeedersCorrect int              `json:"seeders_correct"` // of which the analysis names the seeder
	WrongSeeders   []SeederMismatch `json:"wrong_seeders,omitempty"`

	ByCountry []CountryComparison `json:"by_country"`
}

// SeederMismatch is an item whose seeder the analysis got wrong.
type SeederMismatch struct {
	Item   string `json:"item"`
	SHA256 string `json:"sha256"`
	Want   string `json:"want"`
	Got    string `json:"got"` // "" when the analysis names none
}

// CountryComparison compares distributors of one country.
type CountryComparison struct {
	Country string `json:"country"`
	Planted int    `json:"planted"`
	Found   int    `json:"found"`
	Correct int    `json:"correct"`
}

// normJID turns a JID, an E.164 number or bare digits into a phone JID;
// other identifiers are kept as they are.
func normJID(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "+") {
		if n, err := phone.Parse(s); err == nil {
			return n.Digits() + "@s.whatsapp.net"
		}
	}
	if j, ok := phone.BareJID(s); ok {
		return j
	}
	return s
}

// Compare measures what an analysis found against the ground truth.
func (g *GroundTruth) Compare(f Found) Comparison {
	var c Comparison
	planted := map[string]string{} // jid → country
	for _, d := range g.Distributors {
		planted[normJID(d.JID)] = d.Country
	}
	c.Planted = len(planted)
	found := map[string]bool{}
	for _, d := range f.Distributors {
		found[normJID(d)] = true
	}
	c.Found = len(found)
	countries := map[string]*CountryComparison{}
	cc := func(code string) *CountryComparison {
		if countries[code] == nil {
			countries[code] = &CountryComparison{Country: code}
		}
		return countries[code]
	}
	for j, country := range planted {
		cc(country).Planted++
		if found[j] {
			c.Correct++
			cc(country).Correct++
		} else {
			c.Missed = append(c.Missed, j)
		}
	}
	for j := range found {
		country := planted[j]
		if country == "" {
			c.Extra = append(c.Extra, j)
			country = countryOfJID(j)
		}
		cc(country).Found++
	}
	sort.Strings(c.Missed)
	sort.Strings(c.Extra)
	c.Precision, c.Recall = 1, 1
	if c.Found > 0 {
		c.Precision = float64(c.Correct) / float64(c.Found)
	} else if c.Planted > 0 {
		c.Precision = 0
	}
	if c.Planted > 0 {
		c.Recall = float64(c.Correct) / float64(c.Planted)
	}
	for _, it := range g.Items {
		if it.Seeder == "" {
			continue
		}
		c.Seeded++
		got := f.Seeders[it.SHA256]
		if normJID(got) == normJID(it.Seeder) {
			c.SeedersCorrect++
		} else {
			c.WrongSeeders = append(c.WrongSeeders, SeederMismatch{Item: it.Label, SHA256: it.SHA256, Want: it.Seeder, Got: got})
		}
	}
	for _, x := range countries {
		c.ByCountry = append(c.ByCountry, *x)
	}
	sort.Slice(c.ByCountry, func(i, j int) bool {
		a, b := c.ByCountry[i], c.ByCountry[j]
		if a.Planted != b.Planted {
			return a.Planted > b.Planted
		}
		return a.Country < b.Country
	})
	return c
}

func countryOfJID(j string) string {
	user, _, _ := strings.Cut(j, "@")
	if n, err := phone.FromDigits(user); err == nil && n.Region != "" {
		return n.Region
	}
	return "unknown"
}
