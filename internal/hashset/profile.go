package hashset

import (
	"fmt"
	"sort"
	"strings"
)

// Profile is a category vocabulary: what each category code means. VICS
// 2.0 files name their profile in the model URL (US, UK, Default,
// CUSTOM, ...). Profiles US and Default use the Project VIC US codes 0-4,
// DHS the legacy DHS codes 0-5 (where 0 means uncategorised and 5
// non-pertinent); any other profile keeps codes raw, with no names, since
// their numeric codes are not published (the UK/CAID codes among them).
type Profile struct {
	name  string
	vocab *vocabulary
}

type vocabulary struct {
	names     map[int]string
	aliases   map[string]int // normalised name -> code
	catPrefix bool           // names start "CAT-N" (Autopsy's DHS tags)
}

// The category codes of the US (and Default) profile.
const (
	CategoryNonPertinent = 0 // US: known, not relevant
	CategoryCAM          = 1 // US: child abuse material
	CategoryExploitive   = 2 // US: child exploitive (non-CAM) / age difficult
	CategoryCGI          = 3 // US: CGI / animation
	CategoryComparison   = 4 // US: comparison images
)

var usVocabulary = newVocabulary(map[int]string{
	0: "Non-Pertinent",
	1: "CAM (Child Abuse Material)",
	2: "Child Exploitive (non-CAM)/Age Difficult",
	3: "CGI/Animation",
	4: "Comparison Images",
}, map[string]int{
	"nonpertinent":                     0,
	"cam":                              1,
	"childabusematerial":               1,
	"childexploitive":                  2,
	"agedifficult":                     2,
	"childexploitivenoncam":            2,
	"cgianimationchildexploitive":      3,
	"cgi":                              3,
	"animation":                        3,
	"comparison":                       4,
	"comparisonimage":                  4,
	"exemplarcomparison":               4,
	"comparisonimagesexemplarinternal": 4,
})

var dhsVocabulary = newVocabulary(map[int]string{
	0: "Uncategorized",
	1: "Child Exploitation (Illegal)",
	2: "Child Exploitation (Non-Illegal/Age Difficult)",
	3: "CGI/Animation (Child Exploitive)",
	4: "Exemplar/Comparison (Internal Use Only)",
	5: "Non-pertinent",
}, map[string]int{
	"uncategorised": 0,
	"illegal":       1,
	"agedifficult":  2,
	"cgianimation":  3,
	"comparison":    4,
	"exemplar":      4,
})

func init() { dhsVocabulary.catPrefix = true }

func newVocabulary(names map[int]string, aliases map[string]int) *vocabulary {
	v := &vocabulary{names: names, aliases: map[string]int{}}
	for code, name := range names {
		v.aliases[normName(name)] = code
	}
	for a, code := range aliases {
		v.aliases[a] = code
	}
	return v
}

// LookupProfile returns the profile of that name (any case). Names
// without a known vocabulary give a raw profile of that name.
func LookupProfile(name string) Profile {
	name = strings.TrimSpace(name)
	switch strings.ToLower(name) {
	case "us", "":
		return Profile{name: "US", vocab: usVocabulary}
	case "default":
		return Profile{name: "Default", vocab: usVocabulary}
	case "dhs":
		return Profile{name: "DHS", vocab: dhsVocabulary}
	}
	return Profile{name: name}
}

// Name is the profile's name as VICS writes it.
func (p Profile) Name() string { return p.name }

// HasVocabulary reports whether the profile names its codes.
func (p Profile) HasVocabulary() bool { return p.vocab != nil }

// CategoryName returns the name of a code; ok is false when the profile
// does not know the code (or has no vocabulary).
func (p Profile) CategoryName(code int) (name string, ok bool) {
	if p.vocab == nil {
		return "", false
	}
	name, ok = p.vocab.names[code]
	return name, ok
}

// CategoryCode returns the code of a category name (any case, spacing and
// punctuation ignored; short forms such as "CAM" accepted, and under DHS
// Autopsy's "CAT-1" prefixes).
func (p Profile) CategoryCode(name string) (int, bool) {
	if p.vocab == nil {
		return 0, false
	}
	n := normName(name)
	if code, ok := p.vocab.aliases[n]; ok {
		return code, true
	}
	// "CAT-1: Child Exploitation (Illegal)" and "CAT-1".
	if p.vocab.catPrefix && strings.HasPrefix(n, "cat") && len(n) >= 4 && n[3] >= '0' && n[3] <= '9' && (len(n) == 4 || n[4] < '0' || n[4] > '9') {
		code := int(n[3] - '0')
		if _, ok := p.vocab.names[code]; ok {
			return code, true
		}
	}
	return 0, false
}

// Codes lists the codes the profile names, in order.
func (p Profile) Codes() []int {
	if p.vocab == nil {
		return nil
	}
	codes := make([]int, 0, len(p.vocab.names))
	for c := range p.vocab.names {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	return codes
}

// CategoryName returns a readable name for a code under the named
// profile: the profile's name for it, or "category N" when the profile
// does not name it.
func CategoryName(profile string, code int) string {
	if name, ok := LookupProfile(profile).CategoryName(code); ok {
		return name
	}
	return fmt.Sprintf("category %d", code)
}

// isUncategorised reports names meaning "no category" in every profile.
func isUncategorised(s string) bool {
	switch normName(s) {
	case "uncategorized", "uncategorised", "notcategorized", "notcategorised", "none":
		return true
	}
	return false
}

// normName lowers a name and drops everything but letters and digits.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
