package firmware

import (
	"fmt"
	"slices"
	"strings"
)

// Profile is what a firmware version does: every version-dependent behaviour of lynxsim asks
// Has with a changelog-item id, and every reproducible defect asks KnownIssue. A Profile is
// immutable after NewProfile, so one may be shared between goroutines.
type Profile struct {
	version     Version
	knownIssues []string // sorted, without duplicates
	// has holds the ids Has answers true for, worked out once, as bits indexed by itemBit: the
	// master asks Has dozens of times a step, and a string map look-up was an eighth of a
	// simulated step's cost. The last word stays zero: it holds noItem.
	has [itemBits/64 + 1]uint64
}

// Item ids are "1.mm-nn" (changelog-items.tsv): itemBit turns one into a bit index, minor·32 +
// number, with room for minors up to 63 and up to 31 items per release. It is noItem for
// anything else, which names no item.
const (
	itemBits = 64 * 32
	noItem   = itemBits
)

// Has inlines into its callers, and itemBit is one call: a Has costs a few nanoseconds.
func itemBit(id string) uint {
	if len(id) != 7 || id[0] != '1' || id[1] != '.' || id[4] != '-' {
		return noItem
	}
	// A byte below '0' wraps to above 9.
	a, b, c, d := id[2]-'0', id[3]-'0', id[5]-'0', id[6]-'0'
	minor, number := uint(a)*10+uint(b), uint(c)*10+uint(d)
	if max(a, b, c, d) > 9 || minor >= 64 || number >= 32 {
		return noItem
	}
	return minor*32 + number
}

// Option configures a Profile in NewProfile.
type Option func(*Profile)

// WithKnownIssues opts in to reproducing the given known issues (items of kind known-issue,
// such as "1.13-07"). Known issues are off by default so that a profile behaves like the
// firmware works as intended. NewProfile checks the ids.
func WithKnownIssues(ids ...string) Option {
	return func(p *Profile) { p.knownIssues = append(p.knownIssues, ids...) }
}

// NewProfile returns the profile of the released version v. It fails when v was never released
// or an id given to WithKnownIssues is not a known-issue item.
//
// It does not check that an opted-in issue affects v: the changelog lists issues under the
// version whose notes mention them, which is not always an affected version (1.28-03 is about
// v1.27), so the caller decides.
func NewProfile(v Version, opts ...Option) (*Profile, error) {
	if err := checkReleased(v); err != nil {
		return nil, err
	}
	p := &Profile{version: v}
	for _, opt := range opts {
		opt(p)
	}
	for _, id := range p.knownIssues {
		it, ok := LookupItem(id)
		switch {
		case !ok:
			return nil, fmt.Errorf("firmware: known issue %q is not a changelog item: choose one of %s", id, knownIssueIDs())
		case it.Kind != KindKnownIssue:
			return nil, fmt.Errorf("firmware: item %s is a %v item, not a known issue: choose one of %s", id, it.Kind, knownIssueIDs())
		}
	}
	slices.Sort(p.knownIssues)
	p.knownIssues = slices.Compact(p.knownIssues)
	for _, it := range items {
		if (it.Kind == KindBehaviour || it.Kind == KindRecord) && v.AtLeast(it.Version) {
			bit := itemBit(it.ID)
			if bit == noItem {
				return nil, fmt.Errorf("firmware: changelog item id %q is not of the form 1.mm-nn", it.ID)
			}
			p.has[bit/64] |= 1 << (bit % 64)
		}
	}
	return p, nil
}

// knownIssueIDs lists the ids WithKnownIssues accepts, for error messages.
func knownIssueIDs() string {
	var ids []string
	for _, it := range items {
		if it.Kind == KindKnownIssue {
			ids = append(ids, it.ID)
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, ", ")
}

// Version is the firmware version the profile emulates.
func (p *Profile) Version() Version { return p.version }

// Has reports whether the firmware includes the change of the behaviour or record item id: true
// when p.Version() is the item's version or newer. It is false for an unknown id rather than an
// error, because callers ask with literal ids in hot paths; a coverage test of the callers
// checks that every id they use exists. It is also false for known-issue items (ask KnownIssue)
// and for "none" items, which change nothing.
func (p *Profile) Has(id string) bool {
	bit := itemBit(id)
	return p.has[bit/64]>>(bit%64)&1 != 0
}

// KnownIssue reports whether the known issue id was opted in with WithKnownIssues.
func (p *Profile) KnownIssue(id string) bool {
	_, found := slices.BinarySearch(p.knownIssues, id)
	return found
}

// KnownIssues returns the opted-in known-issue ids, sorted. The slice is a copy.
func (p *Profile) KnownIssues() []string { return slices.Clone(p.knownIssues) }
