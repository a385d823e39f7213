package n2k

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.einride.tech/can"
	"go.yaml.in/yaml/v3"
)

// canboatDir holds canboat's PGN definitions and lookups with their decoded samples (S1): the
// repository's testdata/canboat, verbatim copies of the project's shared references (see its
// README.md).
func canboatDir(t *testing.T) string {
	t.Helper()
	return filepath.Join("..", "..", "testdata", "canboat")
}

// canboatPGN is the part of a canboat PGN definition the tests use.
type canboatPGN struct {
	PGN      int             `yaml:"pgn"`
	Type     string          `yaml:"type"`
	Priority int             `yaml:"priority"`
	Samples  []canboatSample `yaml:"samples"`
}

// canboatSample is one decoded sample: a raw line and the field values canboat reads from it.
// A field decoded as "~" (null) is present in Expects with a nil value.
type canboatSample struct {
	Raw     string         `yaml:"raw"`
	Expects map[string]any `yaml:"expects"`
}

func loadYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(canboatDir(t), file))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, v), file)
}

func loadPGN(t *testing.T, file string) canboatPGN {
	t.Helper()
	var p canboatPGN
	loadYAML(t, file, &p)
	require.NotZero(t, p.PGN, file)
	return p
}

// frame turns a canboat raw line, "time,prio,pgn,src,dst,len,b0,b1,…", into the CAN frame it
// was read from.
func (s canboatSample) frame(t *testing.T) can.Frame {
	t.Helper()
	parts := strings.Split(s.Raw, ",")
	require.GreaterOrEqual(t, len(parts), 6, s.Raw)
	num := func(i, base int) uint64 {
		n, err := strconv.ParseUint(strings.TrimSpace(parts[i]), base, 32)
		require.NoError(t, err, s.Raw)
		return n
	}
	f := can.Frame{
		ID: ID{Priority: uint8(num(1, 10)), PGN: PGN(num(2, 10)), Source: uint8(num(3, 10)),
			Destination: uint8(num(4, 10))}.CANID(),
		IsExtended: true,
		Length:     uint8(num(5, 10)),
	}
	require.Len(t, parts, 6+int(f.Length), s.Raw)
	for i := range int(f.Length) {
		f.Data[i] = byte(num(6+i, 16))
	}
	return f
}

// pairLookup is a canboat lookup of kind "pair": code → name.
type pairLookup map[int]string

func loadPairLookup(t *testing.T, name string) pairLookup {
	t.Helper()
	var l struct {
		Kind   string         `yaml:"kind"`
		Values map[int]string `yaml:"values"`
	}
	loadYAML(t, name+".yaml", &l)
	require.Equal(t, "pair", l.Kind, name)
	return l.Values
}

// code returns the one code named name.
func (l pairLookup) code(t *testing.T, name string) int {
	t.Helper()
	code, found := -1, 0
	for c, n := range l {
		if n == name {
			code, found = c, found+1
		}
	}
	require.Equal(t, 1, found, "codes named %q", name)
	return code
}

// tripletLookup is a canboat lookup of kind "triplet", DEVICE_FUNCTION: (class, function) → name.
type tripletLookup map[[2]int]string

func loadTripletLookup(t *testing.T, name string) tripletLookup {
	t.Helper()
	var l struct {
		Kind   string  `yaml:"kind"`
		Values [][]any `yaml:"values"`
	}
	loadYAML(t, name+".yaml", &l)
	require.Equal(t, "triplet", l.Kind, name)
	out := tripletLookup{}
	for _, v := range l.Values {
		require.Len(t, v, 3)
		out[[2]int{v[0].(int), v[1].(int)}] = v[2].(string)
	}
	return out
}
