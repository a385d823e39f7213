package master

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// The daily summary and value tracking: what MG's tool and app show of the master's days and
// life (changelog 1.11-04, 1.13-03, 1.15-05, 1.34-07). No VE.Can register carries them (protocol.md
// has none), so they reach people through Master.DailySummary, Master.Tracking and the status of
// lynxsim run, and they are kept in the non-volatile memory.
//
// A day is a UTC calendar day of the driver's epoch plus the virtual time; without an epoch, a day
// is each 24 h from virtual time 0.

// DailySummaryDays is how many days the summary keeps, today included. MG does not publish the
// number: an assumption.
const DailySummaryDays = 7

// DaySummary is one day of the daily summary. Fields a version does not have are NaN.
type DaySummary struct {
	Day            string  `json:"day"` // 2026-11-23, or "day 3" without an epoch
	AverageCelsius float64 `json:"average_celsius"`
	MinCelsius     float64 `json:"min_celsius"`
	MaxCelsius     float64 `json:"max_celsius"`
	ChargedKWh     float64 `json:"charged_kwh"`
	DischargedKWh  float64 `json:"discharged_kwh"`
	// From v1.15 (changelog 1.15-05).
	MaxChargeAmps    float64 `json:"max_charge_amps"`
	MaxDischargeAmps float64 `json:"max_discharge_amps"`
	MinVolts         float64 `json:"min_volts"`
	MaxVolts         float64 `json:"max_volts"`
}

// Tracking is the value tracking: lifetime extremes. The highest and lowest current exist from
// v1.13 (changelog 1.13-03); NaN before.
type Tracking struct {
	MaxAmps float64 `json:"max_amps"`
	MinAmps float64 `json:"min_amps"`
}

// daily accumulates the present day.
type daily struct {
	key  int64 // day number since the Unix epoch (or since virtual 0); -1 before the first sample
	days []DaySummary
	// The average temperature is time-weighted: the integral of the mean cell temperature over
	// the time it was measured. Before v1.11 the firmware did not restart it at midnight
	// ("Fixed average temperature today at daily summary", changelog 1.11-04): an assumption of
	// what was wrong, the changelog says only that it was.
	celsiusSeconds, seconds float64
	// Net energy of the day, for the discharged energy of firmware before v1.34 [I]: "Updated
	// calculation for discharged energy today" (1.34-07); lynxsim's assumption is that it was
	// the net energy out, so that charging during the day reduced it.
	netOutKWh float64
	// restored: days came from the memory; the first sample continues today if its name matches.
	restored bool
}

func newDaySummary(day string) DaySummary {
	nan := math.NaN()
	return DaySummary{Day: day, AverageCelsius: nan, MinCelsius: math.Inf(1), MaxCelsius: math.Inf(-1),
		MaxChargeAmps: nan, MaxDischargeAmps: nan, MinVolts: nan, MaxVolts: nan}
}

// dayKey gives the day number of virtual time now: cheap, for every step.
func (m *Master) dayKey(now time.Duration) int64 {
	if m.cfg.Epoch.IsZero() {
		return int64(now / (24 * time.Hour))
	}
	return m.cfg.Epoch.Add(now).Unix() / 86400
}

// dayName gives the name of the day of virtual time now: its UTC date, or "day N" without an
// epoch. It formats, so it is asked only when a day begins or a stored one is matched.
func (m *Master) dayName(now time.Duration) string {
	if m.cfg.Epoch.IsZero() {
		return "day " + strconv.FormatInt(m.dayKey(now), 10)
	}
	return m.cfg.Epoch.Add(now).UTC().Format(time.DateOnly)
}

// trackDay adds one step (dt hours, energy in and out) to the present day.
func (m *Master) trackDay(now time.Duration, dtHours, volts, amps, inKWh, outKWh float64) {
	d := &m.daily
	key := m.dayKey(now)
	if d.restored {
		d.restored = false
		if d.days[0].Day == m.dayName(now) {
			d.key = key
			if !math.IsNaN(d.days[0].AverageCelsius) {
				// The integral restarts from the stored average as if it had held an hour [I].
				d.celsiusSeconds, d.seconds = d.days[0].AverageCelsius*3600, 3600
			}
		}
	}
	if d.days == nil || key != d.key {
		d.key = key
		d.days = append([]DaySummary{newDaySummary(m.dayName(now))}, d.days...)
		if len(d.days) > DailySummaryDays {
			d.days = d.days[:DailySummaryDays]
		}
		d.netOutKWh = 0
		if m.cfg.Firmware.Has("1.11-04") {
			d.celsiusSeconds, d.seconds = 0, 0
		}
	}
	today := &d.days[0]
	if e := m.ext; e.tempOK {
		c := (e.minCellCelsius + e.maxCellCelsius) / 2
		d.celsiusSeconds += c * dtHours * 3600
		d.seconds += dtHours * 3600
		today.MinCelsius = min(today.MinCelsius, e.minCellCelsius)
		today.MaxCelsius = max(today.MaxCelsius, e.maxCellCelsius)
		if d.seconds > 0 {
			today.AverageCelsius = d.celsiusSeconds / d.seconds
		}
	}
	today.ChargedKWh += inKWh
	d.netOutKWh += outKWh - inKWh
	if m.cfg.Firmware.Has("1.34-07") {
		today.DischargedKWh += outKWh
	} else {
		today.DischargedKWh = max(0, d.netOutKWh)
	}
	if m.cfg.Firmware.Has("1.15-05") {
		today.MaxChargeAmps = nanMax(today.MaxChargeAmps, max(0, amps))
		today.MaxDischargeAmps = nanMax(today.MaxDischargeAmps, max(0, -amps))
		today.MinVolts = nanMin(today.MinVolts, volts)
		today.MaxVolts = nanMax(today.MaxVolts, volts)
	}
	if m.cfg.Firmware.Has("1.13-03") {
		m.history.tracking.MaxAmps = nanMax(m.history.tracking.MaxAmps, amps)
		m.history.tracking.MinAmps = nanMin(m.history.tracking.MinAmps, amps)
	}
}

func nanMax(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	return max(a, b)
}

func nanMin(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	return min(a, b)
}

// DailySummary returns the days of the summary, today first. Days with no temperature have NaN
// extremes.
func (m *Master) DailySummary() []DaySummary {
	out := make([]DaySummary, len(m.daily.days))
	for i, d := range m.daily.days {
		if math.IsInf(d.MinCelsius, 0) {
			d.MinCelsius, d.MaxCelsius = math.NaN(), math.NaN()
		}
		out[i] = d
	}
	return out
}

// Tracking returns the value tracking.
func (m *Master) Tracking() Tracking { return m.history.tracking }

// dayJSON is DaySummary as JSON, where a value a version does not have (NaN) is left out: JSON has
// no NaN.
type dayJSON struct {
	Day              string   `json:"day"`
	AverageCelsius   *float64 `json:"average_celsius,omitempty"`
	MinCelsius       *float64 `json:"min_celsius,omitempty"`
	MaxCelsius       *float64 `json:"max_celsius,omitempty"`
	ChargedKWh       float64  `json:"charged_kwh"`
	DischargedKWh    float64  `json:"discharged_kwh"`
	MaxChargeAmps    *float64 `json:"max_charge_amps,omitempty"`
	MaxDischargeAmps *float64 `json:"max_discharge_amps,omitempty"`
	MinVolts         *float64 `json:"min_volts,omitempty"`
	MaxVolts         *float64 `json:"max_volts,omitempty"`
}

func optional(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes d with the values it does not have left out.
func (d DaySummary) MarshalJSON() ([]byte, error) {
	return json.Marshal(dayJSON{Day: d.Day, AverageCelsius: optional(d.AverageCelsius),
		MinCelsius: optional(d.MinCelsius), MaxCelsius: optional(d.MaxCelsius),
		ChargedKWh: d.ChargedKWh, DischargedKWh: d.DischargedKWh,
		MaxChargeAmps: optional(d.MaxChargeAmps), MaxDischargeAmps: optional(d.MaxDischargeAmps),
		MinVolts: optional(d.MinVolts), MaxVolts: optional(d.MaxVolts)})
}

// UnmarshalJSON reads what MarshalJSON writes; values left out are NaN.
func (d *DaySummary) UnmarshalJSON(b []byte) error {
	var j dayJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = DaySummary{Day: j.Day, AverageCelsius: orNaN(j.AverageCelsius),
		MinCelsius: orNaN(j.MinCelsius), MaxCelsius: orNaN(j.MaxCelsius),
		ChargedKWh: j.ChargedKWh, DischargedKWh: j.DischargedKWh,
		MaxChargeAmps: orNaN(j.MaxChargeAmps), MaxDischargeAmps: orNaN(j.MaxDischargeAmps),
		MinVolts: orNaN(j.MinVolts), MaxVolts: orNaN(j.MaxVolts)}
	return nil
}

// MarshalJSON writes t with the values it does not have left out.
func (t Tracking) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		MaxAmps *float64 `json:"max_amps,omitempty"`
		MinAmps *float64 `json:"min_amps,omitempty"`
	}{optional(t.MaxAmps), optional(t.MinAmps)})
}

// UnmarshalJSON reads what MarshalJSON writes; values left out are NaN.
func (t *Tracking) UnmarshalJSON(b []byte) error {
	var j struct {
		MaxAmps *float64 `json:"max_amps"`
		MinAmps *float64 `json:"min_amps"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*t = Tracking{MaxAmps: orNaN(j.MaxAmps), MinAmps: orNaN(j.MinAmps)}
	return nil
}

// restoreDays takes the days the memory kept; today goes on accumulating if it is still today.
func (m *Master) restoreDays(days []DaySummary) {
	if len(days) == 0 {
		return
	}
	for i := range days {
		if math.IsNaN(days[i].MinCelsius) {
			days[i].MinCelsius, days[i].MaxCelsius = math.Inf(1), math.Inf(-1)
		}
	}
	m.daily.days = days[:min(len(days), DailySummaryDays)]
	m.daily.key = -1 // compared by name at the first sample
	m.daily.restored = true
}
