package coverage

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/firmware"
)

const root = "../.."

// The coverage gate: every behaviour item of the changelog has a test or scenario that claims it
// and exercises it on both sides of its version, unless docs/fidelity.md says why lynxsim cannot
// model it; and fidelity.md lists nothing that is covered after all, nor anything that is not a
// behaviour item.
func TestCoverageGate(t *testing.T) {
	r, err := Scan(root)
	require.NoError(t, err)
	unmodelled, err := Unmodelled(root)
	require.NoError(t, err)
	for _, it := range firmware.Items() {
		if it.Kind != firmware.KindBehaviour {
			continue
		}
		why, listed := unmodelled[it.ID]
		switch {
		case r.Covered(it.ID) && listed:
			t.Errorf("%s is covered but docs/fidelity.md says it cannot be modelled (%s): take it out", it.ID, why)
		case !r.Covered(it.ID) && !listed:
			var names []string
			for _, ref := range r.Items[it.ID] {
				names = append(names, ref.Name)
			}
			t.Errorf("behaviour item %s (%s) has no test or scenario claiming it on both sides of %v; mentioned by %v",
				it.ID, short(it.Text), it.Version, names)
		}
	}
	for id := range unmodelled {
		it, ok := firmware.LookupItem(id)
		if !assert.True(t, ok, "docs/fidelity.md lists %s, not a changelog item", id) {
			continue
		}
		assert.Equal(t, firmware.KindBehaviour, it.Kind, "docs/fidelity.md lists %s", id)
	}
	// Claims that are not two-sided say less than they promise.
	for id, refs := range r.Items {
		for _, ref := range refs {
			if ref.Claim && !ref.TwoSided {
				t.Errorf("%s:%d %s claims %s but runs on %v only: add a version before it and one from it", ref.File, ref.Line, ref.Name, id, ref.Versions)
			}
		}
	}
}

func short(s string) string {
	if len(s) > 70 {
		return s[:70] + "…"
	}
	return s
}

// The scanner finds claims in names and covers lines, references in comments, and versions.
func TestScanFindsClaims(t *testing.T) {
	r, err := Scan(root)
	require.NoError(t, err)
	refs := r.Items["1.23-03"]
	var claims []string
	for _, ref := range refs {
		if ref.Claim {
			claims = append(claims, ref.Name)
		}
	}
	assert.Contains(t, claims, "TestContactorCheck_1_23_03")
	assert.Contains(t, claims, "startup-sequence")
	for _, ref := range refs {
		if ref.Name == "TestContactorCheck_1_23_03" {
			assert.True(t, ref.TwoSided)
			assert.True(t, slices.Contains(ref.Versions, firmware.MustParse("1.22")))
			assert.Equal(t, filepath.Join("master", "safety_test.go"), ref.File)
		}
	}
	assert.Equal(t, []string{"1.09-09", "1.09-10"}, itemsIn("changelog 1.09-09/10"))
	assert.True(t, twoSided("1.25-05", []firmware.Version{firmware.MustParse("1.24"), firmware.MustParse("1.25")}))
	assert.False(t, twoSided("1.25-05", []firmware.Version{firmware.MustParse("1.25"), firmware.MustParse("1.38")}))
	assert.True(t, twoSided("1.07-01", []firmware.Version{firmware.MustParse("1.07")}), "nothing before the oldest")
	_, err = Scan(t.TempDir())
	assert.ErrorContains(t, err, "not lynxsim's source tree")
}

// In a tree of its own: a test that names an item but runs on one side of it is a one-sided claim,
// one that runs on both is covering, and a scenario covers by its covers line.
func TestOneSidedAndTwoSidedClaims(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("go.mod", "module x\n")
	write("a/a_test.go", `package a

import "testing"

func TestOne_1_25_05(t *testing.T) { run("1.25") }

// Changelog 1.25-11 on both sides.
func TestTwo(t *testing.T) { run("1.24"); run("1.25") }

func run(string) {}
`)
	write("s/x.scen", "name x\ncovers 1.17-01\nfirmware 1.16 1.17\nbank LFP-24V-280Ah 1s1p\nat 0s start\n")
	r, err := Scan(dir)
	require.NoError(t, err)
	require.Len(t, r.Items["1.25-05"], 1)
	one := r.Items["1.25-05"][0]
	assert.True(t, one.Claim)
	assert.False(t, one.TwoSided)
	assert.False(t, r.Covered("1.25-05"))
	assert.True(t, r.Covered("1.25-11"))
	assert.True(t, r.Covered("1.17-01"))
	assert.False(t, r.Covered("1.38-06"))
}
