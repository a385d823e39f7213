package master

import (
	"math"
	"time"

	"github.com/lynxsim/lynxsim/canbus/batbus"
)

// Balancing (limits.md §2.2): the master tells each battery which cells to bleed. LFP balances
// while charging near the top; HE balances after an idle time, shorter from v1.36, and from v1.36
// always when its cells deviate by more than 25 mV ("Decreased idle time before balance and added
// always balance condition when cell voltage deviation becomes higher than 25mV", changelog
// 1.36-01). The start level, the deviation that counts and the idle times are not published:
// named parameters.

// heAlwaysBalanceVolts is the deviation above which HE batteries always balance (1.36-01).
const heAlwaysBalanceVolts = 0.025

// balanceEvery is how often the master reconsiders balancing: cell voltages come every second.
const balanceEvery = 5 * time.Second

func (m *Master) stepBalancing() {
	if m.state != stateRunning || m.now < m.nextBalance {
		return
	}
	m.nextBalance = m.now + balanceEvery
	amps := m.hw.ShuntAmps()
	if math.Abs(amps) < chargingDeadbandAmps {
		if m.idleSince < 0 {
			m.idleSince = m.now
		}
	} else {
		m.idleSince = -1
	}
	for _, b := range m.reg.batteries {
		mask := m.balanceMask(b, amps)
		if mask == b.balanceMask {
			continue
		}
		b.balanceMask = mask
		m.command(b, batbus.Command{Code: batbus.CmdBalance, CellMask: mask})
	}
}

// balanceMask decides which cells of b to bleed: those more than BalanceDeviationVolts above its
// lowest cell, when the chemistry's condition holds.
func (m *Master) balanceMask(b *batteryInfo, amps float64) uint32 {
	n := int(b.announce.Cells)
	if !b.cellsHeardAll || n == 0 || n > 32 || !b.announce.Features.Has(batbus.FeaturePassiveBalancing) {
		return 0
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, mv := range b.cellMillivolt[:n] {
		v := float64(mv) / 1000
		lo, hi = min(lo, v), max(hi, v)
	}
	deviation := hi - lo
	var start bool
	switch b.announce.Chemistry {
	case batbus.ChemistryNMC:
		start = m.idleSince >= 0 && m.now-m.idleSince >= heIdle(m)
		if m.cfg.Firmware.Has("1.36-01") && deviation > heAlwaysBalanceVolts {
			start = true
		}
	default:
		start = amps > chargingDeadbandAmps && hi >= m.cfg.LFPBalanceStartVolts
	}
	if !start || deviation < m.cfg.BalanceDeviationVolts {
		return 0
	}
	var mask uint32
	for i, mv := range b.cellMillivolt[:n] {
		if float64(mv)/1000 > lo+m.cfg.BalanceDeviationVolts {
			mask |= 1 << i
		}
	}
	return mask
}

// balancing reports whether any battery says it balances (flag bit 6).
func (m *Master) balancing() bool {
	return m.anyBattery(func(b *batteryInfo) bool { return b.gotStat && b.status.Flags.Has(batbus.StatusBalancing) })
}
