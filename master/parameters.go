package master

import (
	"fmt"
	"time"

	"github.com/lynxsim/lynxsim/canbus/bmscan"
	"github.com/lynxsim/lynxsim/firmware"
)

// Parameter is one version-dependent value of the master, with the changelog item that sets it:
// what `lynxsim firmware show` and `firmware diff` print. Each comes from the same method the
// master itself uses, so the list cannot drift from the behaviour.
type Parameter struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Item  string `json:"item"`
}

// Parameters lists the master's version-dependent parameters on profile p, with cfg's settings
// (DefaultConfig's when cfg.Firmware is nil).
func Parameters(p *firmware.Profile, cfg Config) []Parameter {
	if cfg.Firmware == nil {
		cfg = DefaultConfig(p)
	}
	cfg.Firmware = p
	m := &Master{cfg: cfg, settings: cfg.Settings, strategyAtStart: cfg.Settings.Strategy, volatileStrategy: -1}
	yes := func(item string) string {
		if p.Has(item) {
			return "yes"
		}
		return "no"
	}
	heEconomic, _ := m.heChargeC()
	m.settings.Strategy, m.strategyAtStart = strategyPerformance, strategyPerformance
	hePerformance, _ := m.heChargeC()
	m.settings.Strategy, m.strategyAtStart = cfg.Settings.Strategy, cfg.Settings.Strategy
	return []Parameter{
		{"contactor opening delay", m.openDelay().String(), "1.08-04"},
		{"shutdown time", m.shutdownTime().String(), "1.09-06"},
		{"pre-charge maximum", m.prechargeLimit().String(), "1.11-03"},
		{"NTC pre-charge extension when still rising", extension(m), "1.27-02"},
		{"SOC writable over VE.Can", yes("1.09-07"), "1.09-07"},
		{"SOC held below full while charging allowed", holdText(p), "1.25-05"},
		{"HE charge rating, default / Performance", fmt.Sprintf("%gC / %gC", heEconomic, hePerformance), "1.15-04"},
		{"strategy change without a restart", yes("1.23-06"), "1.23-06"},
		{"temperature derating step", fmt.Sprintf("%g °C", m.deratingStepCelsius()), "1.25-11"},
		{"11-bit frames ignored on VE.Can", yes("1.16-01"), "1.16-01"},
		{"SMA current limit ceiling", fmt.Sprintf("%.1f A", bmscan.CurrentCeilingAmps(p.Has("1.20-01"))), "1.20-01"},
		{"General BMS protocol", yes("1.24-03"), "1.24-03"},
		{"contactor check before pre-charge", yes("1.23-03"), "1.23-03"},
		{"combined systems", yes("1.18-01"), "1.18-01"},
		{"combined start-up wait", waitText(p), "1.21-02"},
		{"start and stop over VE.Can", yes("1.25-09"), "1.25-09"},
		{"error numbers 37-41", yes("1.32-05"), "1.32-05"},
		{"flag bits 30-31", yes("1.32-06"), "1.32-06"},
		{"flag bit 29, alarm high current", yes("1.35-07"), "1.35-07"},
		{"Master LV identity", yes("1.35-02"), "1.35-02"},
		{"HE balancing idle time", heIdle(m).String(), "1.36-01"},
		{"defective temperature sensors excluded", yes("1.38-08"), "1.38-08"},
		{"RS batteries of different capacity", yes("1.38-07"), "1.38-07"},
		{"critical under-voltage start-up grace", yes("1.09-01"), "1.09-01"},
		{"allowed-to-charge/discharge hysteresis and 10 s", yes("1.12-02"), "1.12-02"},
		{"battery firmware rounds negative temperatures", yes("1.32-07"), "1.32-07"},
	}
}

func extension(m *Master) string {
	if !m.cfg.Firmware.Has("1.27-02") {
		return "none"
	}
	return m.cfg.PrechargeExtension.String()
}

func holdText(p *firmware.Profile) string {
	if p.Has("1.25-05") {
		return fmt.Sprintf("%g %%", socHoldPercent)
	}
	return "no"
}

func waitText(p *firmware.Profile) string {
	if p.Has("1.21-02") {
		return combinedStartWait.String()
	}
	return "none"
}

// heIdle is the idle time before HE batteries balance: shorter from v1.36 (changelog 1.36-01).
func heIdle(m *Master) time.Duration {
	if m.cfg.Firmware.Has("1.36-01") {
		return m.cfg.HEIdleBeforeBalanceFast
	}
	return m.cfg.HEIdleBeforeBalance
}
