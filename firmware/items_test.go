package firmware

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmbeddedItemsParse(t *testing.T) {
	parsed, err := parseItems(itemsTSV)
	require.NoError(t, err)
	rows := strings.Count(itemsTSV, "\n") - 1 // every line ends with "\n"; the first is the header
	assert.Len(t, parsed, rows)
	assert.Len(t, Items(), rows)
}

func TestItemCounts(t *testing.T) {
	// Counted in changelog-items.tsv with `cut -f3 | sort | uniq -c`.
	count := map[Kind]int{}
	for _, it := range Items() {
		count[it.Kind]++
	}
	assert.Equal(t, 186, len(Items()))
	assert.Equal(t, map[Kind]int{
		KindBehaviour:  96,
		KindKnownIssue: 5,
		KindRecord:     71,
		KindNone:       14,
	}, count)
}

func TestEveryItemBelongsToARelease(t *testing.T) {
	perVersion := 0
	for _, r := range Releases() {
		n := len(ItemsOf(r.Version))
		assert.NotZero(t, n, "every changelog entry has at least one bullet: %v", r.Version)
		perVersion += n
	}
	assert.Equal(t, len(Items()), perVersion, "no item sits under a version that was never released")
}

func TestItemsFileOrder(t *testing.T) {
	all := Items()
	assert.Equal(t, "1.38-01", all[0].ID, "the file starts with the newest version")
	assert.Equal(t, "1.07-02", all[len(all)-1].ID)
	all[0].ID = "changed"
	assert.Equal(t, "1.38-01", Items()[0].ID, "Items returns a copy")
}

func TestLookupItem(t *testing.T) {
	it, ok := LookupItem("1.25-05")
	require.True(t, ok)
	assert.Equal(t, Version{1, 25}, it.Version)
	assert.Equal(t, KindBehaviour, it.Kind)
	assert.Contains(t, it.Text, "The SOC is limited to 99,9%") // changelog v1.25, line 238

	it, ok = LookupItem("1.28-03")
	require.True(t, ok)
	assert.Equal(t, KindKnownIssue, it.Kind)

	_, ok = LookupItem("1.25-99")
	assert.False(t, ok)
	_, ok = LookupItem("")
	assert.False(t, ok)
}

func TestItemsOf(t *testing.T) {
	ids := func(list []Item) []string {
		var out []string
		for _, it := range list {
			out = append(out, it.ID)
		}
		return out
	}
	assert.Equal(t, []string{"1.37-01"}, ids(ItemsOf(Version{1, 37})))
	assert.Equal(t, []string{"1.07-01", "1.07-02"}, ids(ItemsOf(Version{1, 7})))
	assert.Len(t, ItemsOf(Version{1, 38}), 11) // changelog v1.38 has 11 bullets
	assert.Nil(t, ItemsOf(Version{1, 39}))
}

func TestItemsBetween(t *testing.T) {
	tests := []struct {
		name      string
		from, to  Version
		wantLen   int
		wantFirst string
		wantLast  string
	}{
		{"one version step", Version{1, 36}, Version{1, 37}, 1, "1.37-01", "1.37-01"},
		{"from is excluded, to is included", Version{1, 35}, Version{1, 37}, 10, "1.36-01", "1.37-01"},
		{"oldest to latest has all but v1.07's", Version{1, 7}, Version{1, 38}, 184, "1.08-01", "1.38-11"},
		{"from before the first release", Version{}, Version{1, 7}, 2, "1.07-01", "1.07-02"},
		{"same version", Version{1, 25}, Version{1, 25}, 0, "", ""},
		{"downgrade", Version{1, 38}, Version{1, 7}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ItemsBetween(tt.from, tt.to)
			require.Len(t, got, tt.wantLen)
			if tt.wantLen == 0 {
				return
			}
			assert.Equal(t, tt.wantFirst, got[0].ID)
			assert.Equal(t, tt.wantLast, got[len(got)-1].ID)
			for i := 1; i < len(got); i++ {
				prev, cur := got[i-1], got[i]
				assert.False(t, cur.Version.Before(prev.Version), "version order at %s", cur.ID)
				if cur.Version == prev.Version {
					assert.Less(t, prev.ID, cur.ID, "file order within a version")
				}
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{
		{KindBehaviour, "behaviour"},
		{KindKnownIssue, "known-issue"},
		{KindRecord, "record"},
		{KindNone, "none"},
		{0, "kind 0"},
		{9, "kind 9"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.k.String())
	}
}

func TestParseItemsRejects(t *testing.T) {
	const header = "id\tversion\tkind\ttext\n"
	tests := []struct {
		name    string
		tsv     string
		wantErr string
	}{
		{"no header", "1.38-01\t1.38\trecord\tx\n", "line 1 is"},
		{"three fields", header + "1.38-01\t1.38\trecord\n", "line 2: 3 tab-separated fields, want 4"},
		{"bad version", header + "1.38-01\t1.3x\trecord\tx\n", `line 2: firmware "1.3x"`},
		{"id of another version", header + "1.37-01\t1.38\trecord\tx\n", `id "1.37-01", want 1.38-NN`},
		{"id without a number", header + "1.38-1\t1.38\trecord\tx\n", `id "1.38-1", want 1.38-NN`},
		{"duplicate id", header + "1.38-01\t1.38\trecord\tx\n1.38-01\t1.38\tnone\ty\n", `line 3: id "1.38-01" appears twice`},
		{"unknown kind", header + "1.38-01\t1.38\tbehavior\tx\n", `kind "behavior", want behaviour`},
		{"empty text", header + "1.38-01\t1.38\trecord\t \n", "item 1.38-01 has no text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseItems(tt.tsv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	assert.Panics(t, func() { mustParseItems("garbage") })
}
