package network

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/hashset"
	"vigil/internal/store"
)

// AbuseCategories is, per category profile, the set of category codes that
// mean abuse material: a content an analyst put in one of them is a known
// item, and a hash-set entry in one of them makes its hits count. The
// profile names are hashset.LookupProfile's (US and Default share the
// Project VIC US codes; DHS is the legacy Autopsy scheme):
//
//	profile  abuse codes                              not abuse (clears)
//	US       1 CAM, 2 exploitive/age difficult, 3 CGI  0 non-pertinent, 4 comparison
//	Default  same as US                                same as US
//	DHS      1 illegal, 2 age difficult, 3 CGI         4 exemplar/comparison, 5 non-pertinent
//
// DHS code 0 means "uncategorised": neither. Profiles not in the table (UK
// and other regional profiles, whose numeric codes are not published) have
// no abuse codes unless Options.AbuseCodes names them: their analyst
// decisions are counted as undetermined, and their alert-set hits count
// whatever the code, since the set's alert status is what says "of
// concern".
var AbuseCategories = map[string][]int{
	"US":      {1, 2, 3},
	"Default": {1, 2, 3},
	"DHS":     {1, 2, 3},
}

// NotAbuseCategories is, per profile, the codes that say a content is not
// abuse material: an alert-set entry in one of them does not make a known
// item, and an analyst's latest decision in one of them clears the content
// whatever hash sets say.
var NotAbuseCategories = map[string][]int{
	"US":      {0, 4},
	"Default": {0, 4},
	"DHS":     {4, 5},
}

// Basis of a known item.
const (
	BasisHashSet = "hash set"
	BasisAnalyst = "analyst"
	BasisBoth    = "hash set, analyst"
)

// categories decides what codes mean, per profile.
type categories struct {
	abuse, notAbuse map[string]map[int]bool
}

func newCategories(extra map[string][]int) categories {
	c := categories{abuse: map[string]map[int]bool{}, notAbuse: map[string]map[int]bool{}}
	add := func(dst map[string]map[int]bool, src map[string][]int, replace bool) {
		for p, codes := range src {
			p = hashset.LookupProfile(p).Name()
			if replace || dst[p] == nil {
				dst[p] = map[int]bool{}
			}
			for _, code := range codes {
				dst[p][code] = true
			}
		}
	}
	add(c.abuse, AbuseCategories, false)
	add(c.notAbuse, NotAbuseCategories, false)
	add(c.abuse, extra, true)
	// A code named abuse by the caller is no longer "not abuse".
	for p, codes := range extra {
		p = hashset.LookupProfile(p).Name()
		for _, code := range codes {
			delete(c.notAbuse[p], code)
		}
	}
	return c
}

// verdict is what a category code says.
type verdict int

const (
	verdictUnknown verdict = iota // no category, or a code the table does not know
	verdictAbuse
	verdictNotAbuse
)

func (c categories) judge(profile string, code *int) verdict {
	if code == nil {
		return verdictUnknown
	}
	p := hashset.LookupProfile(profile).Name()
	switch {
	case c.abuse[p][*code]:
		return verdictAbuse
	case c.notAbuse[p][*code]:
		return verdictNotAbuse
	}
	return verdictUnknown
}

// table returns the abuse codes per profile, for the record of a run.
func (c categories) table() []ProfileCodes {
	var out []ProfileCodes
	for p, codes := range c.abuse {
		pc := ProfileCodes{Profile: p}
		for code := range codes {
			pc.Abuse = append(pc.Abuse, code)
		}
		for code := range c.notAbuse[p] {
			pc.NotAbuse = append(pc.NotAbuse, code)
		}
		slices.Sort(pc.Abuse)
		slices.Sort(pc.NotAbuse)
		out = append(out, pc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Profile < out[j].Profile })
	return out
}

// ProfileCodes is one row of the abuse-category table a run used.
type ProfileCodes struct {
	Profile  string `json:"profile"`
	Abuse    []int  `json:"abuse"`
	NotAbuse []int  `json:"not_abuse"`
}

// ParseAbuseCodes reads "PROFILE=1,2,3" (as given on the command line).
func ParseAbuseCodes(specs []string) (map[string][]int, error) {
	out := map[string][]int{}
	for _, s := range specs {
		p, list, ok := strings.Cut(s, "=")
		p = strings.TrimSpace(p)
		if !ok || p == "" {
			return nil, fmt.Errorf("abuse categories %q: write PROFILE=CODE,CODE (e.g. UK=1,2,3)", s)
		}
		for _, f := range strings.Split(list, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("abuse categories %q: %q is not a category code", s, f)
			}
			out[p] = append(out[p], n)
		}
	}
	return out, nil
}

// knownContent is what makes one content a known item (or not).
type knownContent struct {
	sha      string
	sets     []string // alert sets whose hits count
	profile  string
	category *int
	exact    bool // some counting hit is exact (md5, sha1, sha256)
	pdqDist  int  // best PDQ distance among counting hits, -1 when none
	mime     string
	hashset  bool // a counting alert hit
	analyst  bool // latest decision in an abuse category
	cleared  bool // latest decision in a not-abuse category
	decision *store.Decision
}

func (k *knownContent) known() bool { return !k.cleared && (k.hashset || k.analyst) }

func (k *knownContent) basis() string {
	switch {
	case k.hashset && k.analyst:
		return BasisBoth
	case k.analyst:
		return BasisAnalyst
	}
	return BasisHashSet
}

func (k *knownContent) categoryName() string {
	if k.category == nil {
		return "uncategorised"
	}
	return hashset.CategoryName(k.profile, *k.category)
}

func (k *knownContent) match() string {
	switch {
	case k.exact:
		return "exact"
	case k.pdqDist >= 0:
		return fmt.Sprintf("pdq distance %d", k.pdqDist)
	case k.analyst:
		return "analyst decision"
	}
	return ""
}

// addHit folds one hit into the content's record. Hits in sets that are
// not alert sets are ignored here (they are counted in the hit summary).
func (k *knownContent) addHit(c categories, h store.HitView) {
	if h.Status != store.StatusAlert {
		return
	}
	if c.judge(h.Profile, h.Category) == verdictNotAbuse {
		return
	}
	k.hashset = true
	if k.mime == "" {
		k.mime = h.MIME
	}
	if !slices.Contains(k.sets, h.Set) {
		k.sets = append(k.sets, h.Set)
	}
	if h.Kind == store.HitPDQ {
		if k.pdqDist < 0 || h.Distance < k.pdqDist {
			k.pdqDist = h.Distance
		}
	} else {
		k.exact = true
	}
	// The item's category: the lowest abuse code any counting hit gives
	// (an analyst's decision, folded in later, takes precedence).
	if h.Category != nil && (k.category == nil || *h.Category < *k.category) {
		v := *h.Category
		k.category, k.profile = &v, hashset.LookupProfile(h.Profile).Name()
	}
}

// addDecision folds the content's latest analyst decision in.
func (k *knownContent) addDecision(c categories, d store.Decision) (undetermined bool) {
	dd := d
	k.decision = &dd
	switch c.judge(d.Profile, d.Category) {
	case verdictAbuse:
		k.analyst = true
		v := *d.Category
		k.category, k.profile = &v, hashset.LookupProfile(d.Profile).Name()
	case verdictNotAbuse:
		k.cleared = true
	default:
		return d.Category != nil
	}
	return false
}
