package firmware

// The versions each known issue affects. The changelog lists an issue under the release whose
// notes mention it, which is not always an affected version, so the ranges are read from the text
// [I where marked]:
//
//   - 1.09-15: several masters flood VE.Can through SOC VREG answers: v1.09, fixed in v1.10
//     (1.10-01).
//   - 1.13-07: a false "#26 Contactor failure": "Fixed in v1.14", but the source was fixed in v1.15
//     (1.15-01), so v1.13 and v1.14 [I].
//   - 1.13-08: a battery firmware update that fails but can be restarted: v1.13, "Fixed in v1.14".
//   - 1.13-09: the master disappearing from VE.Can after bus errors: up to v1.13, fixed in v1.14
//     (1.14-01).
//   - 1.28-03: v1.27 might not turn off: v1.27 only.
var knownIssueRanges = map[string][2]string{
	"1.09-15": {"1.09", "1.09"},
	"1.13-07": {"1.13", "1.14"},
	"1.13-08": {"1.13", "1.13"},
	"1.13-09": {"1.07", "1.13"},
	"1.28-03": {"1.27", "1.27"},
}

// KnownIssueAffects returns the first and last versions a known issue affects; ok is false for
// an id that is not a known issue.
func KnownIssueAffects(id string) (from, to Version, ok bool) {
	r, ok := knownIssueRanges[id]
	if !ok {
		return Version{}, Version{}, false
	}
	return MustParse(r[0]), MustParse(r[1]), true
}

// Reproduces reports whether the profile reproduces known issue id: opted in, and the version is
// one the issue affects.
func (p *Profile) Reproduces(id string) bool {
	from, to, ok := KnownIssueAffects(id)
	return ok && p.KnownIssue(id) && p.version.AtLeast(from) && !to.Before(p.version)
}

// AffectingKnownIssues returns the known issues that affect the profile's version, opted in or
// not.
func (p *Profile) AffectingKnownIssues() []string {
	var out []string
	for _, it := range items {
		if it.Kind != KindKnownIssue {
			continue
		}
		if from, to, ok := KnownIssueAffects(it.ID); ok && p.version.AtLeast(from) && !to.Before(p.version) {
			out = append(out, it.ID)
		}
	}
	return out
}
