package battery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/plant"
)

// Charge conservation across the plant and real modules: over a pre-charge, a charge, a rest
// and a discharge, the ampere-hours the master's shunt counts equal the charge the modules
// gained, string by string. This test lives here rather than in plant because only the
// battery package can read its cells' charge; plant does not import battery, so there is no
// cycle.
func TestPlantConservesCharge(t *testing.T) {
	const series, parallel = 2, 3
	typ := lfp280(t)
	// Self-discharge takes charge that never passes the shunt: off for this balance.
	typ.SelfDischargePctPerMonth = 0
	hub := canbus.NewHub("bat")
	var mods []*Battery
	var cells []plant.Cells
	for i := range series * parallel {
		// Each string at its own SOC, so that they circulate current among themselves.
		soc := 45 + 5*float64(i/series)
		b, err := New(typ, uint32(174600500+i), soc, 25, hub.Attach())
		require.NoError(t, err)
		mods = append(mods, b)
		cells = append(cells, b)
	}
	p, err := plant.New(plant.DefaultConfig(series), cells)
	require.NoError(t, err)
	before := make([]float64, len(mods))
	for i, m := range mods {
		before[i] = m.chargeAh()
	}

	// Charge is conserved at any step size; 100 ms keeps the 70-minute cycle quick.
	const dt = 100 * time.Millisecond
	var now time.Duration
	var shuntAh float64
	run := func(d time.Duration) {
		for end := now + d; now < end; {
			now += dt
			p.Step(now)
			shuntAh += p.ShuntAmps() * dt.Hours()
		}
	}
	p.SetPrecharge(true)
	run(3 * time.Second)
	p.SetContactor(true)
	run(time.Second)
	p.SetPrecharge(false)
	require.True(t, p.ContactorClosed())
	p.SetChargerAmps(150)
	run(30 * time.Minute)
	p.SetChargerAmps(0)
	run(10 * time.Minute) // zero bank current: only circulation
	p.SetLoadAmps(200)
	run(30 * time.Minute)
	p.SetLoadAmps(0)
	p.SetContactor(false)
	run(time.Minute)

	var stringsAh float64
	for s := range parallel {
		first := mods[s*series]
		delta := first.chargeAh() - before[s*series]
		for i := s * series; i < (s+1)*series; i++ {
			assert.InDelta(t, delta, mods[i].chargeAh()-before[i], 1e-9, "modules in series pass one charge")
		}
		stringsAh += delta
	}
	assert.InDelta(t, shuntAh, stringsAh, 1e-6, "Ah at the shunt against Ah in the strings")
	t.Logf("shunt %.12f Ah, strings %.12f Ah, difference %.3g Ah", shuntAh, stringsAh, shuntAh-stringsAh)
	// The test means something only if no cell reached a bound (which would drop charge) and
	// the strings really did exchange charge.
	for i, m := range mods {
		for j, c := range m.mod.cells {
			require.True(t, c.chargeAh > 0 && c.chargeAh < c.capacityAh, "module %d cell %d clamped", i, j)
		}
	}
	assert.NotEqual(t, mods[0].chargeAh()-before[0], mods[series].chargeAh()-before[series])
	assert.InDelta(t, 150*0.5-200*0.5, shuntAh, 0.01, "the cycle's net, plus the pre-charge")
}
