package battery

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lynxsim/lynxsim/canbus/batbus"
)

// Every chemistry's curve, abuse range included, must rise strictly (SOC from voltage must be
// unambiguous, and OverVoltage inverts it) and meet the chemistry's limits at 0 and 100 %.
func TestChemistryCurves(t *testing.T) {
	tests := []struct {
		chem               batbus.Chemistry
		at0, at100         float64 // the chemistry's limits at 0 and 100 %
		minVolts, maxVolts float64 // the working range 0–100 % stays within these
		nominal            float64
	}{
		// LFP: 2.5–3.65 V, the cell range of LFP data sheets; the HE's 3.00 and 4.20 V are
		// 21.0 V and 29.4 V over 7 cells (limits.md §1.1).
		{batbus.ChemistryLFP, 2.50, 3.55, 2.5, 3.65, 3.2},
		{batbus.ChemistryNMC, 3.00, 4.20, 3.0, 4.2, 3.6},
	}
	for _, tt := range tests {
		ch := chemistryOf(tt.chem)
		require.NotNil(t, ch, "%v", tt.chem)
		t.Run(ch.name, func(t *testing.T) {
			c := ch.ocv
			for i := 1; i < len(c); i++ {
				require.Greater(t, c[i][0], c[i-1][0], "point %d: SOC must increase", i)
				require.Greater(t, c[i][1], c[i-1][1], "point %d: voltage must increase", i)
			}
			assert.Equal(t, ch.minSOC, c[0][0], "the curve covers the abuse range down to minSOC")
			assert.Equal(t, ch.maxSOC, c[len(c)-1][0], "and up to maxSOC")
			assert.InDelta(t, tt.at0, c.at(0), 1e-12)
			assert.InDelta(t, tt.at100, c.at(100), 1e-12)
			assert.InDelta(t, tt.nominal, ch.nominalVolts, 1e-12)
			prev := c.at(ch.minSOC)
			for soc := ch.minSOC + 0.01; soc <= ch.maxSOC; soc += 0.01 {
				v := c.at(soc)
				if !(v > prev) {
					t.Fatalf("OCV(%.2f %%) = %v does not exceed the value before it, %v", soc, v, prev)
				}
				if soc >= 0 && soc <= 100 && (v < tt.minVolts || v > tt.maxVolts) {
					t.Fatalf("OCV(%.2f %%) = %v is outside %v–%v V", soc, v, tt.minVolts, tt.maxVolts)
				}
				prev = v
			}
			// Beyond the working range the voltage runs away: the over- and under-voltage
			// the master protects against exist in the model.
			assert.Greater(t, c.at(ch.maxSOC), tt.maxVolts+0.2)
			assert.Less(t, c.at(ch.minSOC), tt.minVolts-0.2)
			// inverse undoes at, everywhere.
			for soc := ch.minSOC; soc <= ch.maxSOC; soc += 0.37 {
				require.InDelta(t, soc, c.inverse(c.at(soc)), 1e-9, "inverse at %v %%", soc)
			}
			assert.Equal(t, ch.minSOC, c.inverse(0))
			assert.Equal(t, ch.maxSOC, c.inverse(10))
		})
	}
	// The LFP chemistry's working range is lfpOCV itself, which battery.go's cells use.
	for _, p := range lfpOCV {
		assert.Equal(t, p[1], lfp.ocv.at(p[0]))
	}
	assert.Nil(t, chemistryOf(0))
}

func TestResistanceFactor(t *testing.T) {
	for _, ch := range []*chemistry{lfp, nmc} {
		t.Run(ch.name, func(t *testing.T) {
			assert.InDelta(t, 1, ch.resistanceFactor(25), 1e-15, "CellOhms is the 25 °C value")
			// Colder is strictly more resistive, over the whole range a battery sees.
			prev := ch.resistanceFactor(-40)
			for c := -39.0; c <= 85; c++ {
				f := ch.resistanceFactor(c)
				require.Less(t, f, prev, "at %v °C", c)
				prev = f
			}
			// Outside the fitted range the factor holds its end values.
			assert.Equal(t, ch.resistanceFactor(-40), ch.resistanceFactor(-273))
			assert.Equal(t, ch.resistanceFactor(85), ch.resistanceFactor(1000))
			assert.False(t, math.IsInf(ch.resistanceFactor(math.Inf(-1)), 0))
		})
	}
	// The documented ratios: LFP doubles at 0 °C and is about ×3.8 at −20 °C; NMC ×1.7, ×2.9.
	assert.InDelta(t, 2.0, lfp.resistanceFactor(0), 0.01)
	assert.InDelta(t, 3.8, lfp.resistanceFactor(-20), 0.1)
	assert.InDelta(t, 1.7, nmc.resistanceFactor(0), 0.05)
	assert.InDelta(t, 2.9, nmc.resistanceFactor(-20), 0.1)
}
