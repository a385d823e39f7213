package battery

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus/batbus"
)

func TestLookupType(t *testing.T) {
	good := []struct {
		in        string
		name      string
		capacity  float64
		cells     int
		chemistry batbus.Chemistry
	}{
		{"LFP-24V-280Ah", "LFP-24V-280Ah", 280, 8, batbus.ChemistryLFP},
		{"LFP-24V-230Ah", "LFP-24V-230Ah", 230, 8, batbus.ChemistryLFP},
		{"lfp-24v-280ah", "LFP-24V-280Ah", 280, 8, batbus.ChemistryLFP}, // case is ignored
	}
	for _, tt := range good {
		t.Run(tt.in, func(t *testing.T) {
			typ, err := LookupType(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.name, typ.Name)
			assert.Equal(t, tt.capacity, typ.CapacityAh)
			assert.Equal(t, tt.cells, typ.Cells)
			assert.Equal(t, tt.chemistry, typ.Chemistry)
			assert.Positive(t, typ.CellOhms)
		})
	}
	for _, in := range []string{"", "LFP-24V-100Ah", "LFP", "LFP-24V-280Ah ", "nmc"} {
		t.Run("bad "+in, func(t *testing.T) {
			_, err := LookupType(in)
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, `"`+in+`"`, "the error quotes what was asked for")
			for _, typ := range Types() {
				assert.Contains(t, msg, typ.Name, "the error lists every valid name")
			}
		})
	}
}

func TestTypes(t *testing.T) {
	types := Types()
	require.NotEmpty(t, types)
	assert.True(t, sort.SliceIsSorted(types, func(i, j int) bool { return types[i].Name < types[j].Name }))
	models := map[uint8]string{}
	for _, typ := range types {
		// Two types must not announce the same model: the master tells a bank's types apart by it.
		if other, dup := models[typ.Model]; dup {
			t.Errorf("%s and %s both announce model %d", typ.Name, other, typ.Model)
		}
		models[typ.Model] = typ.Name
		assert.LessOrEqual(t, typ.Model, uint8(0x0F), "%s: the model has four bits on the wire", typ.Name)
	}
	// The result is a copy: changing it leaves the catalogue alone.
	types[0].Name = "changed"
	assert.NotEqual(t, "changed", Types()[0].Name)
}

// The LFP curve is what the master's voltage and SOC policies see; a flat or falling piece
// would make SOC ambiguous from voltage and break any search over it.
func TestLFPCurve(t *testing.T) {
	for i := 1; i < len(lfpOCV); i++ {
		require.Greater(t, lfpOCV[i][0], lfpOCV[i-1][0], "point %d: x must increase", i)
		require.Greater(t, lfpOCV[i][1], lfpOCV[i-1][1], "point %d: voltage must increase", i)
	}
	assert.Equal(t, 0.0, lfpOCV[0][0])
	assert.Equal(t, 100.0, lfpOCV[len(lfpOCV)-1][0])

	const step = 0.001 // % SOC: fine enough to land inside every segment many times
	prev := lfpOCV.at(0)
	for i := 1; i <= 100_000; i++ {
		soc := float64(i) * step
		v := lfpOCV.at(soc)
		// Plain comparisons: a hundred thousand testify calls would dominate the test's time.
		if !(v > prev) {
			t.Fatalf("OCV(%.3f %%) = %v does not exceed OCV(%.3f %%) = %v", soc, v, soc-step, prev)
		}
		if v < 2.5 || v > 3.65 {
			t.Fatalf("OCV(%.3f %%) = %v is outside 2.5–3.65 V", soc, v)
		}
		prev = v
	}
	// Outside 0–100 % the curve holds its end values instead of extrapolating.
	assert.Equal(t, lfpOCV.at(0), lfpOCV.at(-5))
	assert.Equal(t, lfpOCV.at(100), lfpOCV.at(105))
	// The table's points are hit exactly.
	for _, p := range lfpOCV {
		assert.InDelta(t, p[1], lfpOCV.at(p[0]), 1e-15, "at %v %%", p[0])
	}
}
