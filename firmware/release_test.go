package firmware

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// changelogCopy is a verbatim copy of ../shared/seeds/001_462c5f636ba8f77a.txt (S19).
const changelogCopy = "testdata/001_462c5f636ba8f77a.txt"

func TestReleasesShape(t *testing.T) {
	rs := Releases()
	require.Len(t, rs, 32, "v1.07 to v1.38: 32 headers in the changelog")
	assert.Equal(t, Version{1, 7}, rs[0].Version)
	assert.Equal(t, Version{1, 38}, rs[len(rs)-1].Version)
	assert.Equal(t, rs[0].Version, Oldest())
	assert.Equal(t, rs[len(rs)-1].Version, Latest())
	for i := 1; i < len(rs); i++ {
		assert.True(t, rs[i-1].Version.Before(rs[i].Version), "versions strictly increase at %v", rs[i].Version)
		assert.False(t, rs[i].Date.Before(rs[i-1].Date), "dates never decrease at %v", rs[i].Version)
	}
	for _, r := range rs {
		assert.Equal(t, time.UTC, r.Date.Location(), r.Version)
		assert.Zero(t, r.Date.Hour()*3600+r.Date.Minute()*60+r.Date.Second()+r.Date.Nanosecond(), "%v at 00:00", r.Version)
	}
}

func TestReleasesIsACopy(t *testing.T) {
	rs := Releases()
	rs[0].Version = Version{9, 99}
	assert.Equal(t, Version{1, 7}, Releases()[0].Version)
}

func TestReleaseDates(t *testing.T) {
	// Spot checks against the changelog headers (S19 seeds/001_462c5f636ba8f77a.txt), day-month-year.
	tests := []struct {
		version string
		date    string // yyyy-mm-dd
	}{
		{"1.38", "2024-09-09"}, // line 18 "v01.38 - 09-09-2024"
		{"1.32", "2023-01-10"}, // line 122 "v01.32 - 10-01-2023"
		{"1.25", "2021-03-16"}, // line 225 "v01.25 - 16-03-2021"
		{"1.19", "2019-08-05"}, // line 338 "v01.19 - 5-08-2019": a one-digit day
		{"1.16", "2019-04-08"}, // line 381 "v01.16 - 8-04-2019": a one-digit day
		{"1.07", "2017-07-20"}, // line 617 "v01.07 - 20-07-2017 " with a trailing space
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			r, ok := LookupRelease(MustParse(tt.version))
			require.True(t, ok)
			assert.Equal(t, tt.date, r.Date.Format(time.DateOnly))
		})
	}
}

// TestReleasesMatchChangelog reads every version header of the changelog and compares the
// whole list, so a mistyped date or a missing version in release.go fails here.
func TestReleasesMatchChangelog(t *testing.T) {
	f, err := os.Open(changelogCopy)
	require.NoError(t, err)
	defer f.Close()

	// "v01.38 - 09-09-2024"; some headers have a one-digit day or trailing spaces.
	header := regexp.MustCompile(`^v(\d+)\.(\d{2}) - (\d{1,2})-(\d{2})-(\d{4})\s*$`)
	var fromDoc []Release
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := header.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n := make([]int, 0, 5)
		for _, s := range m[1:] {
			i, err := strconv.Atoi(s)
			require.NoError(t, err)
			n = append(n, i)
		}
		fromDoc = append(fromDoc, release(uint8(n[0]), uint8(n[1]), n[4], time.Month(n[3]), n[2]))
	}
	require.NoError(t, sc.Err())
	slices.Reverse(fromDoc) // the changelog lists the newest version first
	assert.Equal(t, fromDoc, Releases())
}

func TestLookupRelease(t *testing.T) {
	_, ok := LookupRelease(Version{1, 39})
	assert.False(t, ok)
	_, ok = LookupRelease(Version{1, 6})
	assert.False(t, ok)
	r, ok := LookupRelease(Version{1, 24})
	require.True(t, ok)
	assert.Equal(t, "2020-09-14", r.Date.Format(time.DateOnly)) // line 258 "v01.24 - 14-09-2020"
}

func TestParseReleased(t *testing.T) {
	tests := []struct {
		in      string
		want    Version
		wantErr string
	}{
		{in: "v01.38", want: Version{1, 38}},
		{in: "1.07", want: Version{1, 7}},
		{in: "1.39", wantErr: "firmware v1.39 was never released: choose v1.07 to v1.38 (lynxsim firmware list)"},
		{in: "1.06", wantErr: "firmware v1.06 was never released"},
		{in: "2.00", wantErr: "firmware v2.00 was never released"},
		{in: "1.7", wantErr: `firmware "1.7": the minor number needs two digits`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReleased(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
