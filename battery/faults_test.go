package battery

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each injector has its observable effect on what the module measures, and Clear takes it off.
func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		typ   string
		fault Fault
		// check runs with the fault applied; cleared, after Clear (nil: nothing to check).
		check, cleared func(t *testing.T, m *Module)
	}{
		{
			name: "cell drift diverges under cycling", typ: "LFP-24V-280Ah", fault: CellDrift(3, 0.9),
			check: func(t *testing.T, m *Module) {
				assert.InEpsilon(t, 0.9*m.cells[3].healthyAh, m.cells[3].capacityAh, 1e-12)
				assert.InDelta(t, 60, m.cells[3].socPercent(), 1e-9, "the SOC is kept")
				spreadBefore := spreadOf(m.CellSOCPercent(nil))
				flowFor(m, -100, 90*time.Minute, time.Second) // 150 Ah out
				socs := m.CellSOCPercent(nil)
				// The weak cell loses 150 Ah of 252 against 280: 6 points more.
				assert.InDelta(t, 60-100*150/(0.9*m.cells[3].healthyAh), socs[3], 1e-6)
				assert.Greater(t, spreadOf(socs), spreadBefore+5, "it diverges from the others")
				assert.Equal(t, socs[3], m.SOCPercent(), "and limits the module")
				volts := m.CellVolts(nil)
				assert.Less(t, volts[3], minOf(volts[:3])-0.01, "and reads lowest in the knee")
				flowFor(m, 100, 150*time.Minute, time.Second) // 250 Ah back in
				assert.Equal(t, 3, argmax(m.CellSOCPercent(nil)), "and highest at the top")
			},
			cleared: func(t *testing.T, m *Module) {
				assert.Equal(t, m.cells[3].healthyAh, m.cells[3].capacityAh)
			},
		},
		{
			name: "cell drift lowers an RS battery's SOH", typ: "RS-24V-200Ah", fault: CellDrift(0, 0.8),
			check: func(t *testing.T, m *Module) {
				soh, ok := m.SOHPercent()
				require.True(t, ok)
				assert.InEpsilon(t, 80*m.cells[0].healthyAh/200, soh, 1e-12)
			},
			cleared: func(t *testing.T, m *Module) {
				soh, _ := m.SOHPercent()
				assert.Greater(t, soh, 98.9)
			},
		},
		{
			name: "cell voltage offset is a measurement error", typ: "HE-24V-150Ah", fault: CellVoltageOffset(2, 0.15),
			check: func(t *testing.T, m *Module) {
				healthy := testModule(t, "HE-24V-150Ah", 60, true)
				got, want := m.CellVolts(nil), healthy.CellVolts(nil)
				for i := range got {
					offset := 0.0
					if i == 2 {
						offset = 0.15
					}
					assert.InDelta(t, want[i]+offset, got[i], 1e-12, "cell %d", i)
				}
				assert.Equal(t, healthy.OpenCircuitVolts(), m.OpenCircuitVolts(), "the cell itself is fine")
			},
			cleared: func(t *testing.T, m *Module) {
				assert.InDelta(t, m.ch.ocv.at(60), m.CellVolts(nil)[2], 1e-9)
			},
		},
		{
			name: "over-voltage", typ: "LFP-24V-230Ah", fault: OverVoltage(5, 3.62),
			check: func(t *testing.T, m *Module) {
				volts := m.CellVolts(nil)
				assert.InDelta(t, 3.62, volts[5], 1e-12, "L7's 3.62 V over-voltage, at rest")
				assert.Greater(t, m.CellSOCPercent(nil)[5], 100.0, "over-charged")
				assert.InDelta(t, 60, m.SOCPercent(), 1e-9, "the emptiest cell still sets the SOC")
				m.Flow(50, time.Minute)
				assert.Greater(t, m.CellVolts(nil)[5], 3.65, "charging drives it further")
			},
		},
		{
			name: "under-voltage", typ: "HE-24V-300Ah", fault: UnderVoltage(0, 2.9),
			check: func(t *testing.T, m *Module) {
				assert.InDelta(t, 2.9, m.CellVolts(nil)[0], 1e-12, "below the HE's 3.0 V cut-off")
				assert.Equal(t, 0.0, m.SOCPercent(), "the module is empty")
				assert.Less(t, m.CellSOCPercent(nil)[0], 0.0, "over-discharged")
			},
		},
		{
			name: "hot cell", typ: "LFP-24V-280Ah", fault: HotCell(3, 70), // sensor 1 sits on cell 3
			check: func(t *testing.T, m *Module) {
				require.Equal(t, 3, m.SensorCell(1))
				assert.Equal(t, 70.0, m.CellCelsius(nil)[1], "its sensor reads it")
				assert.Less(t, m.cells[3].r0Ohms, m.cells[3].r0Ohms25, "a hot cell is less resistive")
				flowFor(m, 0, time.Hour, 10*time.Second)
				temps := m.TrueCellCelsius(nil)
				assert.Equal(t, 70.0, temps[3], "held")
				for i, c := range temps {
					if i != 3 {
						assert.Greater(t, c, 25.5, "cell %d warms from its hot neighbour", i)
						assert.Less(t, c, 70.0)
					}
				}
				assert.Greater(t, m.CellCelsius(nil)[0], 25.5, "sensor 0's cell too")
			},
			cleared: func(t *testing.T, m *Module) {
				flowFor(m, 0, time.Hour, 10*time.Second)
				assert.Less(t, m.TrueCellCelsius(nil)[3], 40.0, "released, it cools")
			},
		},
		{
			name: "deviating temperature sensor", typ: "LFP-24V-280Ah", fault: DeviatingTemperatureSensor(2, -15),
			check: func(t *testing.T, m *Module) {
				sensors, cells := m.CellCelsius(nil), m.TrueCellCelsius(nil)
				assert.Equal(t, 25.0-15, sensors[2], "1.38-08: a sensor reads wrong")
				assert.Equal(t, 25.0, cells[m.SensorCell(2)], "while its cell is fine")
				for _, s := range []int{0, 1, 3} {
					assert.Equal(t, 25.0, sensors[s], "sensor %d", s)
				}
			},
			cleared: func(t *testing.T, m *Module) {
				assert.Equal(t, 25.0, m.CellCelsius(nil)[2])
			},
		},
		{
			name: "leakage", typ: "RS-24V-100Ah", fault: Leakage(),
			check: func(t *testing.T, m *Module) {
				leak, ok := m.Leakage()
				assert.True(t, ok)
				assert.True(t, leak)
			},
			cleared: func(t *testing.T, m *Module) {
				leak, ok := m.Leakage()
				assert.True(t, ok)
				assert.False(t, leak)
			},
		},
		{
			name: "humidity", typ: "HE-24V-100Ah", fault: Humidity(85),
			check: func(t *testing.T, m *Module) {
				h, ok := m.Humidity()
				assert.True(t, ok)
				assert.Equal(t, 85.0, h)
			},
			cleared: func(t *testing.T, m *Module) {
				h, _ := m.Humidity()
				assert.Equal(t, defaultHumidityPct, h)
			},
		},
		{
			name: "loose positive terminal", typ: "HE-24V-200Ah", fault: LooseTerminal(true, 3e-3),
			check: func(t *testing.T, m *Module) {
				healthy := testModule(t, "HE-24V-200Ah", 60, true)
				assert.InDelta(t, healthy.ResistanceOhms()+3e-3, m.ResistanceOhms(), 1e-12)
				flowFor(m, -150, 15*time.Minute, time.Second)
				pos, _, ok := m.TerminalCelsius()
				require.True(t, ok)
				// 150 A × 150 A × 3 mΩ = 67 W over 1.5 W/K: about 45 K above the module, into
				// the 64–69 °C derating of changelog 1.19-01.
				assert.Greater(t, pos, 64.0)
				assert.Less(t, pos, 25+45+10.0)
			},
			cleared: func(t *testing.T, m *Module) {
				assert.Zero(t, m.positive.looseOhms)
				var cells float64
				for _, c := range m.cells {
					cells += c.r0Ohms
				}
				assert.InDelta(t, cells+2*terminalOhms, m.ResistanceOhms(), 1e-15, "the contact is sound again")
			},
		},
		{
			name: "loose negative terminal", typ: "RS-24V-300Ah", fault: LooseTerminal(false, 2e-3),
			check: func(t *testing.T, m *Module) {
				flowFor(m, 200, 10*time.Minute, time.Second)
				pos, neg, ok := m.TerminalCelsius()
				require.True(t, ok)
				assert.Greater(t, neg, pos+20)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testModule(t, tt.typ, 60, true)
			require.NoError(t, tt.fault.Apply(m))
			tt.check(t, m)
			tt.fault.Clear(m)
			if tt.cleared != nil {
				tt.cleared(t, m)
			}
			// The fault's name finds it again.
			_, err := LookupFault(tt.fault.Name(), argsOf(tt.fault)...)
			assert.NoError(t, err)
		})
	}
}

// argsOf is a fault's arguments as a scenario file would give them, read back from its String.
func argsOf(f Fault) []float64 {
	s := fmt.Sprint(f)
	s = s[strings.Index(s, "(")+1 : len(s)-1]
	var out []float64
	for _, a := range strings.Split(s, ", ") {
		if a == "" {
			continue
		}
		var v float64
		_, _ = fmt.Sscan(a, &v)
		out = append(out, v)
	}
	return out
}

// Faults refuse what the module does not have, changing nothing.
func TestFaultsRefuse(t *testing.T) {
	tests := []struct {
		typ   string
		fault Fault
		want  string
	}{
		{"LFP-24V-280Ah", CellDrift(8, 0.9), "cells 0–7"},
		{"LFP-24V-280Ah", CellDrift(-1, 0.9), "cells 0–7"},
		{"LFP-24V-280Ah", CellDrift(1, 0), "capacity factor"},
		{"LFP-24V-280Ah", CellDrift(1, math.NaN()), "capacity factor"},
		{"HE-24V-100Ah", CellVoltageOffset(7, 0.1), "cells 0–6"},
		{"HE-24V-100Ah", CellVoltageOffset(1, 9), "±5 V"},
		{"LFP-24V-280Ah", OverVoltage(1, 5), "2–4.3 V"},
		{"HE-24V-100Ah", UnderVoltage(1, 2), "2.5–4.55 V"},
		{"LFP-24V-280Ah", HotCell(9, 60), "cells 0–7"},
		{"LFP-24V-280Ah", HotCell(1, math.NaN()), "°C"},
		{"LFP-24V-280Ah", DeviatingTemperatureSensor(4, 10), "sensors 0–3"},
		{"LFP-24V-180Ah", DeviatingTemperatureSensor(2, 10), "sensors 0–1"},
		{"LFP-24V-280Ah", DeviatingTemperatureSensor(0, math.Inf(1)), "finite"},
		{"LFP-24V-280Ah", Leakage(), "no leakage sensor"},
		{"HE-24V-100Ah", Leakage(), "no leakage sensor"},
		{"LFP-24V-280Ah", Humidity(80), "no humidity sensor"},
		{"RS-24V-100Ah", Humidity(101), "0 to 100"},
		{"RS-24V-100Ah", LooseTerminal(true, -1), "0 to 1 Ω"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.typ, tt.fault), func(t *testing.T) {
			m := testModule(t, tt.typ, 60, true)
			before := testModule(t, tt.typ, 60, true)
			err := tt.fault.Apply(m)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), tt.fault.Name(), "the error names the fault")
			assert.Equal(t, before, m, "a refused fault changes nothing")
			tt.fault.Clear(m) // clearing what was never applied is harmless
			assert.Equal(t, before, m)
		})
	}
}

func TestLookupFault(t *testing.T) {
	names := FaultNames()
	require.NotEmpty(t, names)
	for _, entry := range names {
		name := entry[:strings.Index(entry, "(")]
		arity := len(faultCatalogue[name].args)
		args := make([]float64, arity)
		for i := range args {
			args[i] = 1
		}
		f, err := LookupFault(strings.ToUpper(name), args...)
		require.NoError(t, err, entry)
		assert.Equal(t, name, f.Name(), "case is ignored and the name is kept")
		_, err = LookupFault(name, append(args, 1)...)
		require.Error(t, err, "%s with one argument too many", name)
		assert.Contains(t, err.Error(), name)
	}
	f, err := LookupFault("hot-cell", 3, 65)
	require.NoError(t, err)
	assert.Equal(t, HotCell(3, 65), f)

	for _, bad := range []string{"", "hot", "contactor-welded", "silent-battery"} {
		_, err := LookupFault(bad)
		require.Error(t, err)
		assert.Contains(t, err.Error(), fmt.Sprintf("%q", bad))
		for _, n := range names {
			assert.Contains(t, err.Error(), n, "the error lists every fault with its arguments")
		}
	}
	_, err = LookupFault("hot-cell", 2.5, 60)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "whole number")
	_, err = LookupFault("deviating-temperature-sensor", math.NaN(), 1)
	assert.Error(t, err)
}

func spreadOf(v []float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return hi - lo
}

func minOf(v []float64) float64 {
	out := math.Inf(1)
	for _, x := range v {
		out = math.Min(out, x)
	}
	return out
}

func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}
