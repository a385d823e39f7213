// Package coverage maps the firmware changelog items to the tests and scenarios that cover them,
// by reading lynxsim's source tree: a Go test claims the items its name carries (TestX_1_23_03)
// and those its doc comment names, a scenario those of its covers line; other mentions in a
// test's body or a scenario's comments are references.
// A claim counts when it exercises the item on both sides of its version: the test names, or
// the scenario runs on, a version before the item's and one from it. `lynxsim firmware coverage`
// prints the map, and the coverage gate (this package's test) fails on a behaviour item without a
// two-sided claim, unless docs/fidelity.md says why lynxsim cannot model it.
package coverage

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/scenario"
)

// Reference is one test or scenario that names an item.
type Reference struct {
	Kind     string             `json:"kind"` // "test" or "scenario"
	Name     string             `json:"name"` // TestX, or the scenario file's base name
	File     string             `json:"file"` // relative to the root
	Line     int                `json:"line"`
	Claim    bool               `json:"claim"`     // named in the test's name or the scenario's covers
	TwoSided bool               `json:"two_sided"` // exercises the item before and from its version
	Versions []firmware.Version `json:"versions,omitempty"`
}

// Report is the coverage of every item.
type Report struct {
	Items map[string][]Reference `json:"items"`
}

var (
	// itemInName: "_1_23_03" in a function name.
	itemInName = regexp.MustCompile(`_(\d)_(\d\d)_(\d\d)`)
	// itemInText: "1.23-03", and "1.09-09/10" for two items of one version.
	itemInText = regexp.MustCompile(`\b(\d)\.(\d\d)-(\d\d)(?:/(\d\d))?\b`)
	// versionText: a version literal such as "1.24" or "v1.24".
	versionText = regexp.MustCompile(`^v?(\d)\.(\d\d)$`)
)

// Scan reads the tree at root: every _test.go file and every *.scen file.
func Scan(root string) (*Report, error) {
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return nil, fmt.Errorf("coverage: %s is not lynxsim's source tree (no go.mod): run it in the checkout or give --root", root)
	}
	r := &Report{Items: map[string][]Reference{}}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "golden") && path != root {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case strings.HasSuffix(path, "_test.go"):
			return r.scanTests(path, rel)
		case strings.HasSuffix(path, ".scen"):
			return r.scanScenario(path, rel)
		}
		return nil
	})
	return r, err
}

func (r *Report) add(id string, ref Reference) {
	if _, ok := firmware.LookupItem(id); !ok {
		return
	}
	for _, have := range r.Items[id] {
		if have.Kind == ref.Kind && have.Name == ref.Name && have.File == ref.File {
			return
		}
	}
	r.Items[id] = append(r.Items[id], ref)
}

// scanTests reads the Test functions of one file.
func (r *Report) scanTests(path, rel string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return fmt.Errorf("coverage: %v", err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Recv != nil {
			continue
		}
		start := fn.Pos()
		if fn.Doc != nil {
			start = fn.Doc.Pos()
		}
		text := string(src[fset.Position(start).Offset:fset.Position(fn.End()).Offset])
		versions := versionsIn(fn)
		ref := Reference{Kind: "test", Name: fn.Name.Name, File: rel, Line: fset.Position(fn.Pos()).Line, Versions: versions}
		// The name's items are claims, checked to be two-sided; the doc comment's are claims when
		// the test does run on both sides of them, references otherwise (a doc comment explains
		// as well as claims).
		named := map[string]bool{}
		for _, m := range itemInName.FindAllStringSubmatch(fn.Name.Name, -1) {
			named[m[1]+"."+m[2]+"-"+m[3]] = true
		}
		documented := map[string]bool{}
		if fn.Doc != nil {
			for _, id := range itemsIn(fn.Doc.Text()) {
				documented[id] = true
			}
		}
		for id := range named {
			ref := ref
			ref.Claim, ref.TwoSided = true, twoSided(id, versions)
			r.add(id, ref)
		}
		for _, id := range itemsIn(text) {
			ref := ref
			ref.TwoSided = twoSided(id, versions)
			ref.Claim = named[id] || documented[id] && ref.TwoSided
			r.add(id, ref)
		}
	}
	return nil
}

// versionsIn collects the version literals of a function: its table's versions, the versions it
// builds profiles of.
func versionsIn(fn *ast.FuncDecl) []firmware.Version {
	var out []firmware.Version
	ast.Inspect(fn, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s := strings.Trim(lit.Value, "\"`")
		if m := versionText.FindStringSubmatch(s); m != nil {
			if v, err := firmware.Parse(m[1] + "." + m[2]); err == nil && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		return true
	})
	return out
}

// itemsIn finds the item ids a text mentions.
func itemsIn(text string) []string {
	var out []string
	for _, m := range itemInText.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1]+"."+m[2]+"-"+m[3])
		if m[4] != "" {
			out = append(out, m[1]+"."+m[2]+"-"+m[4])
		}
	}
	return out
}

// twoSided: the versions include one before the item's and one from it. An item of the oldest
// release has no before: one from it is enough. A known issue's sides are the versions it affects
// and one it does not.
func twoSided(id string, versions []firmware.Version) bool {
	it, ok := firmware.LookupItem(id)
	if !ok {
		return false
	}
	if from, to, ok := firmware.KnownIssueAffects(id); ok {
		in, out := false, false
		for _, v := range versions {
			if v.AtLeast(from) && !to.Before(v) {
				in = true
			} else {
				out = true
			}
		}
		return in && out
	}
	before := !it.Version.After(firmware.Oldest())
	from := false
	for _, v := range versions {
		if v.Before(it.Version) {
			before = true
		} else {
			from = true
		}
	}
	return before && from
}

// scanScenario reads one scenario file's covers and versions, and the items its comments mention.
func (r *Report) scanScenario(path, rel string) error {
	s, err := scenario.ParseFile(path)
	if err != nil {
		return err
	}
	declared := s.Versions
	if len(declared) == 0 {
		declared = []firmware.Version{firmware.Latest()}
	}
	// Versions a requires line rules out do not run, so they are no side of anything.
	var versions []firmware.Version
	for _, v := range declared {
		ok := true
		for _, id := range s.Requires {
			if it, _ := firmware.LookupItem(id); it.Version.After(v) {
				ok = false
			}
		}
		if ok {
			versions = append(versions, v)
		}
	}
	ref := Reference{Kind: "scenario", Name: strings.TrimSuffix(filepath.Base(path), ".scen"), File: rel, Line: 1, Versions: versions}
	for _, id := range s.Covers {
		ref := ref
		ref.Claim, ref.TwoSided = true, twoSided(id, versions)
		r.add(id, ref)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, id := range itemsIn(sc.Text()) {
			if !slices.Contains(s.Covers, id) {
				ref := ref
				ref.TwoSided = twoSided(id, versions)
				r.add(id, ref)
			}
		}
	}
	return sc.Err()
}

// Covered reports whether item id has a two-sided claim.
func (r *Report) Covered(id string) bool {
	for _, ref := range r.Items[id] {
		if ref.Claim && ref.TwoSided {
			return true
		}
	}
	return false
}

// Unmodelled reads docs/fidelity.md's list of items lynxsim cannot model: the lines "- `ID`: why"
// of its section "## Items lynxsim cannot model…".
func Unmodelled(root string) (map[string]string, error) {
	f, err := os.Open(filepath.Join(root, "docs", "fidelity.md"))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	line := regexp.MustCompile("^- `(\\d\\.\\d\\d-\\d\\d)`: (.+)$")
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		text := sc.Text()
		if strings.HasPrefix(text, "## ") {
			in = strings.HasPrefix(text, "## Items lynxsim cannot model")
			continue
		}
		if m := line.FindStringSubmatch(text); m != nil && in {
			out[m[1]] = m[2]
		}
	}
	return out, sc.Err()
}
