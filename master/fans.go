package master

import (
	"math"
	"time"

	"github.com/lynxsim/lynxsim/canbus/batbus"
)

// HE fan control (limits.md §3): from v1.13 the master switches the HE batteries' fans by the
// strategy: "Default mode: fan is enabled above 30°C and disabled below 29°C. Performance mode:
// fan is enabled above 35°C and disabled below 34°C" (changelog 1.13-02). From v1.11 the fans run
// a start-up test and are "disabled after startup test when temperature below 31 °C" (1.11-05).
// Before v1.13 the batteries' own thermostats decide.

// fanTestTime is how long the start-up fan test runs: not published, an assumption.
const fanTestTime = 10 * time.Second

func (m *Master) fanThresholds() (on, off float64) {
	if m.strategy() == strategyPerformance {
		return 35, 34
	}
	return 30, 29
}

func (m *Master) stepFans() {
	if m.state != stateRunning || !m.anyBattery(func(b *batteryInfo) bool { return b.announce.Features.Has(batbus.FeatureFan) }) {
		return
	}
	var want batbus.FanMode
	switch {
	case m.cfg.Firmware.Has("1.11-05") && m.now-m.stateSince < fanTestTime:
		want = batbus.FanOn // the start-up test
	case m.cfg.Firmware.Has("1.13-02"):
		on, off := m.fanThresholds()
		hottest := math.Inf(-1)
		if m.ext.tempOK {
			hottest = m.ext.maxCellCelsius
		}
		switch {
		case hottest > on:
			want = batbus.FanOn
		case hottest < off:
			want = batbus.FanOff
		default:
			want = m.fanMode // between the two: keep
		}
	case m.cfg.Firmware.Has("1.11-05"):
		// After the test: off below 31 °C, else the batteries' own thermostat.
		want = batbus.FanAuto
		if m.ext.tempOK && m.ext.maxCellCelsius < 31 {
			want = batbus.FanOff
		}
	default:
		want = batbus.FanAuto
	}
	if want == m.fanMode && m.fanSent {
		return
	}
	m.fanMode, m.fanSent = want, true
	m.commandTag++
	m.send(m.batBus, batbus.Command{To: batbus.Broadcast, Tag: m.commandTag, Code: batbus.CmdFan, Fan: want}.Frame())
}
