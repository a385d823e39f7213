package firmware

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProfileHas(t *testing.T) {
	tests := []struct {
		version string
		id      string
		want    bool
	}{
		{"1.24", "1.25-05", false}, // the SOC cap at 99.9 % arrives in v1.25 (changelog 1.25-05)
		{"1.25", "1.25-05", true},
		{"1.38", "1.25-05", true},
		{"1.31", "1.32-05", false}, // errors 37-41 (changelog 1.32-05)
		{"1.32", "1.32-05", true},
		{"1.07", "1.07-01", true},  // a record item counts as well
		{"1.38", "1.13-07", false}, // a known issue is never "had": ask KnownIssue
		{"1.38", "1.31-02", false}, // a "none" item changes nothing
		{"1.38", "9.99-01", false}, // unknown id
		{"1.38", "", false},
		{"1.38", "1.25-5", false},   // not of the form 1.mm-nn
		{"1.38", "1.2x-05", false},  // not digits
		{"1.38", "1.25-05 ", false}, // trailing space
		{"1.38", "1.99-31", false},  // well formed, no such item
		// Malformed ids whose arithmetic lands on a real item's bit: 24·32 + 37 is 1.25-05's,
		// and ':' after '9' would read "1.2:" as minor 30.
		{"1.38", "1.24-37", false},
		{"1.38", "1.2:-05", false},
		{"1.38", "1.2/-05", false}, // a byte below '0'
		{"1.38", "1.25_05", false},
		{"1.38", "0.25-05", false},
		{"1.38", "1.64-00", false},
	}
	for _, tt := range tests {
		t.Run(tt.version+"_"+tt.id, func(t *testing.T) {
			p, err := NewProfile(MustParse(tt.version))
			require.NoError(t, err)
			assert.Equal(t, MustParse(tt.version), p.Version())
			assert.Equal(t, tt.want, p.Has(tt.id))
		})
	}
}

func TestProfileKnownIssues(t *testing.T) {
	p, err := NewProfile(Version{1, 13}, WithKnownIssues("1.13-09", "1.13-07"), WithKnownIssues("1.13-07"))
	require.NoError(t, err)
	assert.True(t, p.KnownIssue("1.13-07"))
	assert.True(t, p.KnownIssue("1.13-09"))
	assert.False(t, p.KnownIssue("1.13-08"), "not opted in")
	assert.False(t, p.KnownIssue("1.99-01"))
	assert.Equal(t, []string{"1.13-07", "1.13-09"}, p.KnownIssues(), "sorted, without duplicates")

	got := p.KnownIssues()
	got[0] = "changed"
	assert.Equal(t, []string{"1.13-07", "1.13-09"}, p.KnownIssues(), "a copy")

	plain, err := NewProfile(Version{1, 13})
	require.NoError(t, err)
	assert.False(t, plain.KnownIssue("1.13-07"), "known issues are off unless opted in")
	assert.Empty(t, plain.KnownIssues())
}

func TestNewProfileRejects(t *testing.T) {
	tests := []struct {
		name    string
		version Version
		opts    []Option
		wantErr string
	}{
		{"unreleased version", Version{1, 39}, nil, "firmware v1.39 was never released: choose v1.07 to v1.38"},
		{"zero version", Version{}, nil, "firmware v0.00 was never released"},
		{"unknown id", Version{1, 13}, []Option{WithKnownIssues("1.13-99")},
			`known issue "1.13-99" is not a changelog item: choose one of 1.09-15, 1.13-07, 1.13-08, 1.13-09, 1.28-03`},
		{"behaviour item", Version{1, 25}, []Option{WithKnownIssues("1.25-05")},
			"item 1.25-05 is a behaviour item, not a known issue: choose one of 1.09-15"},
		{"record item", Version{1, 25}, []Option{WithKnownIssues("1.13-07", "1.25-01")},
			"item 1.25-01 is a record item, not a known issue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewProfile(tt.version, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// Every known issue has the versions it affects; Reproduces needs the opt-in and such a version.
func TestKnownIssueRanges(t *testing.T) {
	for _, it := range Items() {
		if it.Kind != KindKnownIssue {
			continue
		}
		from, to, ok := KnownIssueAffects(it.ID)
		require.True(t, ok, it.ID)
		assert.False(t, to.Before(from), it.ID)
	}
	p, err := NewProfile(MustParse("1.13"), WithKnownIssues("1.13-07"))
	require.NoError(t, err)
	assert.True(t, p.Reproduces("1.13-07"))
	assert.False(t, p.Reproduces("1.13-08"), "not opted in")
	p, err = NewProfile(MustParse("1.15"), WithKnownIssues("1.13-07"))
	require.NoError(t, err)
	assert.False(t, p.Reproduces("1.13-07"), "fixed by 1.15-01")
	p, err = NewProfile(MustParse("1.27"))
	require.NoError(t, err)
	assert.Equal(t, []string{"1.28-03"}, p.AffectingKnownIssues())
}

// TestProfileHasEveryItem checks Has against its definition for every item in every release: an
// item of kind behaviour or record at the profile's version or older.
func TestProfileHasEveryItem(t *testing.T) {
	for _, r := range Releases() {
		p, err := NewProfile(r.Version)
		require.NoError(t, err)
		for _, it := range Items() {
			want := (it.Kind == KindBehaviour || it.Kind == KindRecord) && r.Version.AtLeast(it.Version)
			assert.Equal(t, want, p.Has(it.ID), "v%v has %s", r.Version, it.ID)
		}
	}
}

func BenchmarkProfileHas(b *testing.B) {
	p, err := NewProfile(MustParse("1.38"))
	require.NoError(b, err)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if p.Has("1.25-05") {
			n++
		}
	}
	require.Positive(b, n)
}
