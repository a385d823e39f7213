package plant_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/plant"
)

// TestSolveIntervalAccuracy runs the same unbalanced 2s4p bank of real battery modules through an
// hour of changing charge and load twice: solving every 10 ms step, and holding the solution for
// the default SolveInterval. The shunt current, the bank voltage and every module's cells must
// agree closely, and so must the charge counted at the shunt and the modules' states of charge.
func TestSolveIntervalAccuracy(t *testing.T) {
	typ, err := battery.LookupType("LFP-24V-280Ah")
	require.NoError(t, err)
	build := func(interval time.Duration) (*plant.Plant, []*battery.Module) {
		var cells []plant.Cells
		var mods []*battery.Module
		for i := range 8 {
			m, err := battery.NewModule(typ, uint32(174601000+i), 40+float64(i%4)*3, 25, 1)
			require.NoError(t, err)
			cells, mods = append(cells, m), append(mods, m)
		}
		cfg := plant.DefaultConfig(2)
		cfg.SolveInterval = interval
		p, err := plant.New(cfg, cells)
		require.NoError(t, err)
		p.SetContactor(true)
		p.SetCharger(plant.ProfileFunc(func(at time.Duration) float64 {
			if at%(20*time.Minute) < 8*time.Minute {
				return 150
			}
			return 0
		}))
		p.SetLoad(plant.ProfileFunc(func(at time.Duration) float64 { return float64(at/time.Minute%7) * 20 }))
		return p, mods
	}
	exact, exactMods := build(0)
	held, heldMods := build(plant.DefaultConfig(2).SolveInterval)
	const step = 10 * time.Millisecond
	var exactAh, heldAh, worstAmps, worstVolts float64
	for now := step; now <= time.Hour; now += step {
		exact.Step(now)
		held.Step(now)
		exactAh += exact.ShuntAmps() * step.Hours()
		heldAh += held.ShuntAmps() * step.Hours()
		worstAmps = math.Max(worstAmps, math.Abs(exact.ShuntAmps()-held.ShuntAmps()))
		worstVolts = math.Max(worstVolts, math.Abs(exact.BatteryVolts()-held.BatteryVolts()))
	}
	t.Logf("worst shunt difference %.3g A, bank voltage %.3g V; charge %.6f vs %.6f Ah", worstAmps, worstVolts, exactAh, heldAh)
	// The shunt current is the chargers' and loads' whichever way it is solved: only the bleed
	// and the bus conductance move with the voltage.
	assert.Less(t, worstAmps, 1e-6, "shunt amps")
	assert.Less(t, worstVolts, 1e-3, "bank volts: the RC voltage moves less than a millivolt in 100 ms")
	assert.InDelta(t, exactAh, heldAh, 1e-4, "charge at the shunt")
	var exactCells, heldCells []float64
	for i := range exactMods {
		exactCells = exactMods[i].CellVolts(exactCells)
		heldCells = heldMods[i].CellVolts(heldCells)
		for c := range exactCells {
			assert.InDelta(t, exactCells[c], heldCells[c], 0.5e-3, "module %d cell %d volts", i, c)
		}
		assert.InDelta(t, exactMods[i].SOCPercent(), heldMods[i].SOCPercent(), 0.01, "module %d SOC", i)
	}
}
