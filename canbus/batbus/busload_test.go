package batbus

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
)

// bankLoad is the share of the bus (0–1) that a running bank of n batteries of the given cells
// and cell temperature sensors, with terminal sensors, takes: every periodic message at its period,
// the detail messages at the DetailPeriod the master sets, and the master's heartbeat. Frame
// lengths are exact (stuff bits counted) for typical content.
func bankLoad(n, cells, sensors int) (load float64, detail time.Duration) {
	per := func(f can.Frame, period time.Duration) float64 {
		return float64(canbus.FrameBits(f)) / period.Seconds()
	}
	detail = DetailPeriod(n * (IndexedFrames(cells) + IndexedFrames(sensors)))
	bits := per(Heartbeat{State: 9, Sequence: 77, DetailSeconds: uint8(detail / time.Second)}.Frame(), HeartbeatPeriod)
	for a := 1; a <= n; a++ {
		addr := uint8(a)
		bits += per(Status{Address: addr, Centivolts: 2641, Deciamps: -153, SOCHundredths: 6012, Sequence: uint8(a)}.Frame(), StatusPeriod)
		bits += per(Extremes{Address: addr, MinMillivolts: 3298, MaxMillivolts: 3305, MinDeciCelsius: 248, MaxDeciCelsius: 253}.Frame(), ExtremesPeriod)
		for first := 0; first < cells; first += PerFrame {
			bits += per(CellVoltages{Address: addr, First: uint8(first), Count: uint8(cells), Millivolts: [3]uint16{3299, 3301, 3302}}.Frame(), detail)
		}
		for first := 0; first < sensors; first += PerFrame {
			bits += per(Temperatures{Address: addr, First: uint8(first), Count: uint8(sensors), DeciCelsius: [3]int16{248, 251, 253}}.Frame(), detail)
		}
		bits += per(Terminals{Address: addr, PositiveDeciCelsius: 262, NegativeDeciCelsius: 259}.Frame(), TerminalsPeriod)
		bits += per(Environment{Address: addr, HumidityPercent: 45, SOHPercent: 97, Fan: FanStateOff, SelfTest: SelfTestPassed}.Frame(), EnvironmentPeriod)
		bits += per(Identity{Address: addr, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: 174_600_000 + uint32(a), Product: 0x4D02}}.Frame(), IdentityPeriod)
	}
	return bits / Bitrate, detail
}

// registrationLoad is the share of the bus n unassigned batteries take: an Announce and a
// Describe each per AnnouncePeriod.
func registrationLoad(n int) float64 {
	bits := 0.0
	for i := range n {
		s := uint32(174_600_000 + i)
		a := TemporaryAddress(PrefixHQ, s, 0)
		bits += float64(canbus.FrameBits(Announce{Address: a, Nameplate: Nameplate{Prefix: PrefixHQ, Serial: s, Product: 0x4D02}}.Frame()) +
			canbus.FrameBits(Describe{Address: a, Chemistry: ChemistryLFP, Cells: 16, CapacityAh: 280, TemperatureSensors: 4}.Frame()))
	}
	return bits / AnnouncePeriod.Seconds() / Bitrate
}

// TestBusLoad holds the figures of docs/battery-bus.md §9: every bank the protocol allows stays
// below 60 % of 250 kbit/s (CAN's usual ceiling for bounded latency is about 70 %), the largest
// at a 2 s detail period; registration stays well below the running load.
func TestBusLoad(t *testing.T) {
	for _, c := range []struct {
		n, cells, sensors int
		detail            time.Duration
	}{
		{2, 8, 4, time.Second},
		{16, 16, 4, time.Second},
		{64, 8, 4, time.Second},
		{64, 16, 4, time.Second},
		{64, 16, 16, 2 * time.Second},
		{64, 32, 32, 2 * time.Second},
	} {
		load, detail := bankLoad(c.n, c.cells, c.sensors)
		t.Logf("%2d batteries × %2d cells, %2d sensors: detail period %v, %4.1f %%", c.n, c.cells, c.sensors, detail, 100*load)
		assert.Equal(t, c.detail, detail)
		assert.Less(t, load, 0.60)
	}
	reg := registrationLoad(MaxBatteries)
	t.Logf("64 unassigned batteries announcing: %4.1f %%", 100*reg)
	assert.Less(t, reg, 0.25)

	assert.Equal(t, time.Second, DetailPeriod(0))
	assert.Equal(t, time.Second, DetailPeriod(DetailFrameBudget))
	assert.Equal(t, 2*time.Second, DetailPeriod(DetailFrameBudget+1))
	assert.Equal(t, MaxDetailSeconds*time.Second, DetailPeriod(1_000_000))
	assert.Equal(t, 11, IndexedFrames(32))
	assert.Equal(t, 3, IndexedFrames(8))
	assert.Zero(t, IndexedFrames(0))
}
