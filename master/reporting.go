package master

import (
	"math"
	"time"

	"github.com/lynxsim/lynxsim/canbus/n2k"
	"github.com/lynxsim/lynxsim/canbus/vecan"
)

// Broadcast timing on VE.Can (protocol.md §3.2, S2 p.20): periodic registers every 5 s, changed
// registers within at most 1 s; PGN 127508 every 1 500 ms (protocol.md §2.1, S1).
const (
	registerPeriod       = 5 * time.Second
	onChangeMaxDelay     = time.Second
	batteryStatusPeriod  = 1500 * time.Millisecond
	celsiusToKelvin      = 273.15
	batteryInstancesBase = 0 // protocol.md §2.1: base instance, then +1 lowest, +2 highest
)

// published is one register the master broadcasts.
type published struct {
	reg      vecan.Register
	size     uint8
	periodic bool
	onChange bool
	value    func() uint32

	sent     bool
	lastSent time.Duration
	last     uint32
}

type reporter struct {
	m         *Master
	regs      []*published
	nextBatSt time.Duration
}

// Registers of the slice (protocol.md §3.3, S2 p.17-20, types from S3).
func newReporter(m *Master) reporter {
	un32 := func(v, perUnit float64) uint32 {
		if math.IsNaN(v) {
			return math.MaxUint32 // N/A (protocol.md §3.3: 0xFFFFFFFF)
		}
		return uint32(math.Max(0, math.Round(v*perUnit)))
	}
	return reporter{m: m, regs: []*published{
		{reg: vecan.RegSOC, size: 2, periodic: true, onChange: true, value: func() uint32 {
			if !m.socKnown {
				return 0xFFFF
			}
			return uint32(math.Round(m.socPct * 100))
		}},
		{reg: vecan.RegLynxIonState, size: 1, onChange: true, value: func() uint32 { return uint32(m.State()) }},
		{reg: 0x2100, size: 4, onChange: true, value: func() uint32 { return uint32(m.flags) }},                                          // VE_REG_BMS_FLAGS
		{reg: 0x2101, size: 1, onChange: true, value: func() uint32 { return uint32(m.err) }},                                            // VE_REG_BMS_ERROR
		{reg: 0x0390, size: 4, periodic: true, onChange: true, value: func() uint32 { return un32(m.limits.ChargeVolts.Value, 100) }},    // CVL 0.01 V
		{reg: 0x0391, size: 4, periodic: true, onChange: true, value: func() uint32 { return un32(m.limits.ChargeAmps.Value, 10) }},      // CCL 0.1 A
		{reg: 0x0392, size: 4, periodic: true, onChange: true, value: func() uint32 { return un32(m.limits.DischargeVolts.Value, 100) }}, // 0.01 V
		{reg: 0x0393, size: 4, periodic: true, onChange: true, value: func() uint32 { return un32(m.limits.DischargeAmps.Value, 10) }},   // DCL 0.1 A
	}}
}

func (r *reporter) step(now time.Duration) {
	m := r.m
	for _, p := range r.regs {
		v := p.value()
		due := !p.sent ||
			(p.periodic && now-p.lastSent >= registerPeriod) ||
			(p.onChange && v != p.last && now-p.lastSent >= onChangeMaxDelay)
		if !due {
			continue
		}
		m.send(m.veCan, vecan.VREG{Register: p.reg, Value: v, Size: p.size}.Frame(m.cfg.SourceAddress, n2k.Broadcast))
		p.sent, p.lastSent, p.last = true, now, v
	}
	if now >= r.nextBatSt {
		r.nextBatSt = now + batteryStatusPeriod
		r.sendBatteryStatus()
	}
}

// sendBatteryStatus sends the three PGN 127508 instances (protocol.md §2.1, S2 p.11-15).
func (r *reporter) sendBatteryStatus() {
	m := r.m
	e := m.extremes()
	nan := math.NaN()
	lowV, highV, lowK, highK := nan, nan, nan, nan
	if e.ok {
		lowV, highV = e.minCellVolts, e.maxCellVolts
		lowK, highK = e.minCellCelsius+celsiusToKelvin, e.maxCellCelsius+celsiusToKelvin
	}
	src := m.cfg.SourceAddress
	m.send(m.veCan, vecan.BatteryStatus{Instance: batteryInstancesBase, Volts: m.hw.BatteryVolts(), Amps: m.hw.ShuntAmps(), Kelvin: highK}.Frame(src))
	m.send(m.veCan, vecan.BatteryStatus{Instance: batteryInstancesBase + 1, Volts: lowV, Amps: nan, Kelvin: lowK}.Frame(src))
	m.send(m.veCan, vecan.BatteryStatus{Instance: batteryInstancesBase + 2, Volts: highV, Amps: nan, Kelvin: highK}.Frame(src))
}
