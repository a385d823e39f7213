package battery

import (
	"math"
	"sort"
	"strings"
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

// The catalogue against its sources: what limits.md and the changelog say of each family.
func TestCatalogue(t *testing.T) {
	products := map[uint16]string{}
	families := map[Family]int{}
	for _, typ := range Types() {
		t.Run(typ.Name, func(t *testing.T) {
			require.NoError(t, typ.Validate())
			if other, dup := products[typ.ProductID]; dup {
				t.Errorf("%s and %s share product id %#04x", typ.Name, other, typ.ProductID)
			}
			products[typ.ProductID] = typ.Name
			families[typ.Family]++
			assert.Equal(t, "HQ", typ.SerialPrefix, "changelog 1.09-14: HQ1746…")
			assert.NotEmpty(t, typ.Product)
			assert.NotZero(t, typ.Firmware)
			// Only the features the changelog gives a family (limits.md §1).
			assert.Equal(t, typ.Family == FamilyRS, typ.SOH, "1.35-01: SOH only for RS")
			assert.Equal(t, typ.Family == FamilyRS, typ.LeakageSensor, "1.34-03: leakage on RS")
			assert.Equal(t, typ.Family == FamilyRS, typ.SelfTest, "1.38-04: RS230 self-tests")
			assert.Equal(t, typ.Chemistry == batbus.ChemistryNMC || typ.Family == FamilyRS, typ.HumiditySensor, "1.24-05: NMC and RS only")
			assert.Equal(t, typ.Family == FamilyHE, typ.FanWattsPerKelvin > 0, "only the HE has fans (L6, 1.13-02)")
			assert.LessOrEqual(t, typ.CellTemperatureSensors, typ.Cells)
			switch typ.Family {
			case FamilyHE: // L6, limits.md §1.1
				assert.Equal(t, batbus.ChemistryNMC, typ.Chemistry)
				assert.Equal(t, 7, typ.Cells)
				assert.InDelta(t, 25.2, typ.NominalVolts(), 1e-9)
				assert.InDelta(t, 29.4, float64(typ.Cells)*nmc.ocv.at(100), 1e-9, "maximum charge voltage")
				assert.InDelta(t, 21.0, float64(typ.Cells)*nmc.ocv.at(0), 1e-9, "discharge cut-off")
				assert.True(t, typ.PositiveTerminalSensor, "1.19-01")
				assert.Equal(t, BalancePassive, typ.Balancing, "L6: passive")
				mass := map[float64]float64{100: 15.7, 150: 22.4, 200: 28.6, 300: 41.5}
				require.Contains(t, mass, typ.CapacityAh)
				assert.Equal(t, mass[typ.CapacityAh], typ.MassKg)
				assert.InDelta(t, 0.12/typ.CapacityAh, typ.CellOhms, 1e-12)
			case FamilyLFP, FamilyLynxIon:
				assert.Equal(t, batbus.ChemistryLFP, typ.Chemistry)
				assert.Equal(t, typ.Cells == 8, typ.NominalVolts() == 25.6)
				assert.Equal(t, typ.Cells == 4, typ.NominalVolts() == 12.8)
				assert.Equal(t, BalancePassive, typ.Balancing, "1.21-05")
			case FamilyRS:
				assert.Equal(t, BalanceActive, typ.Balancing)
				assert.True(t, typ.PositiveTerminalSensor && typ.NegativeTerminalSensor, "1.30-03")
			default:
				t.Errorf("family %v", typ.Family)
			}
		})
	}
	for _, name := range []string{"LFP-24V-230Ah", "LFP-24V-280Ah"} {
		typ, err := LookupType(name)
		require.NoError(t, err)
		// 1.38-08: "more than 2 cell temperatures that deviate" needs at least 3 sensors.
		assert.GreaterOrEqual(t, typ.CellTemperatureSensors, 3, name)
		assert.Equal(t, 8, typ.Cells, name)
	}
	assert.Equal(t, 4, families[FamilyHE], "HE 100/150/200/300")
	assert.GreaterOrEqual(t, families[FamilyRS], 2, "1.38-07 needs RS types of several capacities")
	lfp12, err := LookupType("LFP-12V-200Ah")
	require.NoError(t, err)
	assert.Equal(t, 4, lfp12.Cells)
	lynx, err := LookupType("LFP-24V-180Ah")
	require.NoError(t, err)
	assert.Equal(t, uint16(0x0142), lynx.ProductID, "protocol.md §6: Lynx Ion (MG Electronics)")
}

func TestTypeNames(t *testing.T) {
	names := TypeNames()
	require.Len(t, names, len(Types()))
	assert.True(t, sort.StringsAreSorted(names))
	for i, typ := range Types() {
		assert.Equal(t, typ.Name, names[i])
		got, err := LookupType(names[i])
		require.NoError(t, err)
		assert.Equal(t, typ, got)
	}
	_, err := LookupType("HE-24V-250Ah")
	require.Error(t, err)
	assert.Contains(t, err.Error(), strings.Join(names, ", "), "the error lists every name, in order")
}

func TestMixesWith(t *testing.T) {
	get := func(name string) Type {
		typ, err := LookupType(name)
		require.NoError(t, err)
		return typ
	}
	rs100, rs200, rs300 := get("RS-24V-100Ah"), get("RS-24V-200Ah"), get("RS-24V-300Ah")
	he100, he200 := get("HE-24V-100Ah"), get("HE-24V-200Ah")
	lfp230, lfp280 := get("LFP-24V-230Ah"), get("LFP-24V-280Ah")
	rs12 := rs100
	rs12.Name, rs12.Cells = "RS-12V-100Ah", 4
	tests := []struct {
		a, b Type
		want bool
	}{
		{rs100, rs100, true},
		{rs100, rs200, true}, // 1.38-07: different capacities, same number of cells
		{rs300, rs100, true},
		{rs100, rs12, false}, // but not a different number of cells
		{he100, he100, true},
		{he100, he200, false}, // only RS may mix
		{lfp230, lfp280, false},
		{rs200, lfp280, false}, // same chemistry and cells, other family
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.a.MixesWith(tt.b), "%s with %s", tt.a.Name, tt.b.Name)
		assert.Equal(t, tt.want, tt.b.MixesWith(tt.a), "%s with %s", tt.b.Name, tt.a.Name)
	}
}

func TestValidate(t *testing.T) {
	good, err := LookupType("LFP-24V-280Ah")
	require.NoError(t, err)
	active, err := LookupType("RS-24V-200Ah")
	require.NoError(t, err)
	tests := []struct {
		name   string
		base   Type
		change func(*Type)
		want   string
	}{
		{"unknown chemistry", good, func(t *Type) { t.Chemistry = 9 }, "chemistry"},
		{"no cells", good, func(t *Type) { t.Cells = 0 }, "0 cells"},
		{"too many cells", good, func(t *Type) { t.Cells = 33; t.CellTemperatureSensors = 4 }, "33 cells"},
		{"no capacity", good, func(t *Type) { t.CapacityAh = 0 }, "CapacityAh"},
		{"NaN resistance", good, func(t *Type) { t.CellOhms = math.NaN() }, "CellOhms"},
		{"no RC time", good, func(t *Type) { t.RCSeconds = 0 }, "RCSeconds"},
		{"no mass", good, func(t *Type) { t.MassKg = -1 }, "MassKg"},
		{"no cooling", good, func(t *Type) { t.CoolingWattsPerKelvin = math.Inf(1) }, "CoolingWattsPerKelvin"},
		{"negative fans", good, func(t *Type) { t.FanWattsPerKelvin = -1 }, "FanWattsPerKelvin"},
		{"negative self-discharge", good, func(t *Type) { t.SelfDischargePctPerMonth = -1 }, "SelfDischarge"},
		{"more sensors than cells", good, func(t *Type) { t.CellTemperatureSensors = 9 }, "9 cell temperature sensors"},
		{"no sensor", good, func(t *Type) { t.CellTemperatureSensors = 0 }, "0 cell temperature sensors"},
		{"passive without resistor", good, func(t *Type) { t.BleedOhms = 0 }, "BleedOhms"},
		{"no balancing", good, func(t *Type) { t.Balancing = 0 }, "balancing"},
		{"active without current", active, func(t *Type) { t.TransferAmps = 0 }, "TransferAmps"},
		{"active above 100 %", active, func(t *Type) { t.TransferEfficiency = 1.1 }, "TransferEfficiency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := tt.base
			tt.change(&typ)
			err := typ.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), typ.Name, "the error names the type")
			_, err = NewModule(typ, 1, 50, 25, 1)
			assert.Error(t, err, "no module from an invalid type")
		})
	}
	// Every problem is named, not only the first.
	bad := good
	bad.Cells, bad.MassKg = 0, 0
	err = bad.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "0 cells")
	assert.Contains(t, err.Error(), "MassKg")
}

func TestSerial(t *testing.T) {
	s, err := SerialNumber(2017, 46, 1)
	require.NoError(t, err)
	assert.Equal(t, uint32(174600001), s)
	assert.Equal(t, "HQ174600001", FormatSerial("HQ", s))
	assert.Equal(t, "HQ000000007", FormatSerial("HQ", 7), "zero-padded to YYWW and 5 digits")
	// 1.09-14: v1.07 does not support HQ1746***** or higher.
	assert.Equal(t, FirstSerialRejectedBy107, s-1)
	old, err := SerialNumber(2017, 45, 99999)
	require.NoError(t, err)
	assert.Less(t, old, FirstSerialRejectedBy107)
	top, err := SerialNumber(2099, 53, 99999)
	require.NoError(t, err)
	assert.Equal(t, uint32(995_399_999), top, "the largest serial fits the bus's 32 bits")

	for _, in := range []string{"HQ174600001", "HQ000000000", "X999999999"} {
		prefix, n, err := ParseSerial(in)
		require.NoError(t, err, in)
		assert.Equal(t, in, FormatSerial(prefix, n), "round trip")
	}
	for _, in := range []string{"", "HQ", "HQ1746", "HQ17460000011", "hq174600001", "HQ1746-0001", "H Q174600001"} {
		_, _, err := ParseSerial(in)
		assert.Error(t, err, "%q", in)
	}
	for _, bad := range [][3]int{{1999, 1, 0}, {2100, 1, 0}, {2017, 0, 0}, {2017, 54, 0}, {2017, 46, -1}, {2017, 46, 100000}} {
		_, err := SerialNumber(bad[0], bad[1], bad[2])
		assert.Error(t, err, "%v", bad)
	}
}
