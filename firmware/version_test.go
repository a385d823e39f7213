package firmware

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Version
	}{
		{"1.38", Version{1, 38}},
		{"v1.38", Version{1, 38}},
		{"V1.38", Version{1, 38}},
		{"v01.38", Version{1, 38}}, // the changelog's header form, S19 line 18
		{"01.38", Version{1, 38}},
		{"  v1.07\t", Version{1, 7}},
		{"1.07", Version{1, 7}},
		{"1.70", Version{1, 70}},
		{"2.00", Version{2, 0}},
		{"255.99", Version{255, 99}},
		{"0.05", Version{0, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		in       string
		wantText string // a part of the hint the message must give
	}{
		{"", "want a version such as 1.38"},
		{"   ", "want a version such as 1.38"},
		{"x", "want a version such as 1.38"},
		{"v", "want a version such as 1.38"},
		{"1", "want a version such as 1.38"},
		{"138", "want a version such as 1.38"},
		{"1.", "want a version such as 1.38"},
		{".38", "want a version such as 1.38"},
		{"1.5x", "want a version such as 1.38"},
		{"1.38.1", "want a version such as 1.38"},
		{"+1.38", "want a version such as 1.38"},
		{"1.-8", "want a version such as 1.38"},
		{"vv1.38", "want a version such as 1.38"},
		{"1,38", "want a version such as 1.38"},
		{"1.38-beta", "want a version such as 1.38"},
		{"1.7", "write 1.07 or 1.70"},
		{"v01.7", "write 01.07 or 01.70"},
		{"1.380", "the minor number has 3 digits"},
		{"256.00", "major number 256 is above 255"},
		{"99999999999999999999.00", "above 255"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `"`+tt.in+`"`, "the message names the input")
			assert.Contains(t, err.Error(), tt.wantText)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestMustParsePanicsOnBadLiteral(t *testing.T) {
	assert.Equal(t, Version{1, 25}, MustParse("1.25"))
	assert.Panics(t, func() { MustParse("1.5x") })
}

func TestString(t *testing.T) {
	assert.Equal(t, "v1.38", Version{1, 38}.String())
	assert.Equal(t, "v1.07", Version{1, 7}.String(), "two-digit minor, as the changelog writes it")
	assert.Equal(t, "v0.00", Version{}.String())
}

func TestIsZero(t *testing.T) {
	assert.True(t, Version{}.IsZero())
	assert.False(t, Version{0, 1}.IsZero())
	assert.False(t, Version{1, 0}.IsZero())
}

func TestCompare(t *testing.T) {
	tests := []struct {
		v, w                Version
		cmp                 int
		before, vAtLeastOfW bool
	}{
		{Version{1, 24}, Version{1, 25}, -1, true, false},
		{Version{1, 25}, Version{1, 25}, 0, false, true},
		{Version{1, 26}, Version{1, 25}, 1, false, true},
		{Version{1, 99}, Version{2, 0}, -1, true, false}, // the major number outranks the minor
		{Version{2, 0}, Version{1, 99}, 1, false, true},
		{Version{}, Version{1, 7}, -1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.v.String()+"_"+tt.w.String(), func(t *testing.T) {
			assert.Equal(t, tt.cmp, tt.v.Compare(tt.w))
			assert.Equal(t, -tt.cmp, tt.w.Compare(tt.v), "antisymmetric")
			assert.Equal(t, tt.before, tt.v.Before(tt.w))
			assert.Equal(t, tt.vAtLeastOfW, tt.v.AtLeast(tt.w))
		})
	}
}

func TestAppVer(t *testing.T) {
	tests := []struct {
		v    Version
		want uint32
	}{
		{Version{1, 38}, 0x013800}, // S2 p.17: "0x123456=v12.34.56"
		{Version{1, 4}, 0x010400},  // S2 p.21: the reply for firmware 1.04, verbatim
		{Version{1, 24}, 0x012400},
		{Version{1, 7}, 0x010700},
		{Version{0, 5}, 0x000005},   // no HH byte: the old form vMM.LL with MM = 0
		{Version{}, 0xFFFFFF},       // protocol.md §3.3, S2 p.17: 0xFFFFFF = none
		{Version{100, 1}, 0xFFFFFF}, // no two-digit form
	}
	for _, tt := range tests {
		t.Run(tt.v.String(), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.v.AppVer())
		})
	}
}

func TestFromAppVer(t *testing.T) {
	tests := []struct {
		name string
		in   uint32
		want Version
	}{
		{"release v1.38", 0x013800, Version{1, 38}},
		{"MG guide example reply, S2 p.21", 0x010400, Version{1, 4}},
		{"Victron release marker", 0x0138FF, Version{1, 38}},
		{"beta revision 3 of v1.39", 0x013903, Version{1, 39}},
		{"S12 Victron form", 0x0106FF, Version{1, 6}},
		{"old form vMM.LL, S3", 0x000107, Version{1, 7}},
		{"old form with MM = 0", 0x000005, Version{0, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromAppVer(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFromAppVerRejects(t *testing.T) {
	tests := []struct {
		in       uint32
		wantText string
	}{
		{0xFFFFFF, "no firmware version"},
		{0x1000000, "does not fit 24 bits"},
		{0xFFFFFFFF, "does not fit 24 bits"},
		{0x000000, "encodes v0.00"},
		{0x011AFF, "not two decimal digits"}, // 0x1A is not
		{0x0001FF, "not two decimal digits"}, // old form vMM.LL with LL = 0xFF
	}
	for _, tt := range tests {
		t.Run(tt.wantText, func(t *testing.T) {
			_, err := FromAppVer(tt.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantText)
			assert.Contains(t, err.Error(), "VE_REG_APP_VER 0x")
		})
	}
}

func TestAppVerRoundTripsEveryRelease(t *testing.T) {
	for _, r := range Releases() {
		got, err := FromAppVer(r.Version.AppVer())
		require.NoError(t, err, r.Version)
		assert.Equal(t, r.Version, got)
	}
}

func TestVersionText(t *testing.T) {
	type doc struct {
		Since Version `json:"since,omitzero"`
		Until Version `json:"until,omitzero"`
	}
	b, err := json.Marshal(doc{Since: Version{1, 32}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"since":"v1.32"}`, string(b), "zero versions are omitted")

	var back doc
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, doc{Since: Version{1, 32}}, back)

	require.NoError(t, json.Unmarshal([]byte(`{"since":"v01.25","until":""}`), &back))
	assert.Equal(t, doc{Since: Version{1, 25}}, back, "UnmarshalText goes through Parse; empty is zero")

	err = json.Unmarshal([]byte(`{"since":"1.7"}`), &back)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write 1.07 or 1.70")

	text, err := Version{}.MarshalText()
	require.NoError(t, err)
	assert.Empty(t, text)
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"1.38", "v01.38", " V1.07 ", "1.7", "1.380", "", "x", "255.99", "256.00", "+1.38"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(v.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %v, but its String %q does not parse: %v", s, v, v.String(), err)
		}
		if again != v {
			t.Fatalf("Parse(%q) = %v, Parse(%q) = %v", s, v, v.String(), again)
		}
	})
}
