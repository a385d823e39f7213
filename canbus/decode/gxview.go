package decode

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus/vecan"
	"github.com/lynxsim/lynxsim/events"
	"github.com/lynxsim/lynxsim/firmware"
)

// GXView is what a Victron GX would show of the BMSes it hears on VE.Can, by the Venus OS dbus
// paths of a battery service (protocol.md §4.4, S8, S11, S12): one device per NMEA 2000 source.
// The mapping of flag bits to alarms follows the pair convention of protocol.md §4.2 (S10: an
// alarm bit gives 2, a warning bit 1) and limits.md §2.2 for the low-cell alarm (L9).
type GXView struct {
	devices []*Device
}

// Device is one BMS as the GX sees it.
type Device struct {
	Source    uint8
	Interface string
	paths     map[string]PathValue
	// socFromVREG: once VE_REG_SOC (0.01 %) has been heard, the whole-percent SOC of PGN 127506
	// no longer overwrites it.
	socFromVREG bool
}

// PathValue is one dbus path's value: a number, or a text where the GX shows one; NaN when the
// device said "not available".
type PathValue struct {
	Path  string
	Value float64
	Text  string
	At    time.Time
}

// String renders the value as a GX would list it; a text that does not print on one line (a
// model id from the wire with a newline or a terminal escape) is Go-quoted.
func (p PathValue) String() string {
	switch {
	case p.Text != "" && !printable(p.Text):
		return strconv.Quote(p.Text)
	case p.Text != "":
		return p.Text
	case math.IsNaN(p.Value):
		return "[]"
	}
	return strconv.FormatFloat(p.Value, 'f', -1, 64)
}

// NewGXView returns an empty view.
func NewGXView() *GXView { return &GXView{} }

// Devices returns the devices heard, by source address.
func (g *GXView) Devices() []*Device { return g.devices }

func (g *GXView) device(m *Message) *Device {
	for _, d := range g.devices {
		if d.Source == m.Source && d.Interface == m.Interface {
			return d
		}
	}
	d := &Device{Source: m.Source, Interface: m.Interface, paths: map[string]PathValue{}}
	g.devices = append(g.devices, d)
	slices.SortFunc(g.devices, func(a, b *Device) int {
		if c := strings.Compare(a.Interface, b.Interface); c != 0 {
			return c
		}
		return int(a.Source) - int(b.Source)
	})
	return d
}

// Paths returns the device's paths in order.
func (d *Device) Paths() []PathValue {
	out := make([]PathValue, 0, len(d.paths))
	for _, p := range d.paths {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b PathValue) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Get returns one path's value.
func (d *Device) Get(path string) (PathValue, bool) {
	p, ok := d.paths[path]
	return p, ok
}

func (d *Device) set(path string, v float64, at time.Time) {
	d.paths[path] = PathValue{Path: path, Value: v, At: at}
}

func (d *Device) setText(path, text string, at time.Time) {
	d.paths[path] = PathValue{Path: path, Value: math.NaN(), Text: text, At: at}
}

const kelvinOffset = 273.15

// Apply updates the view with one decoded message. Messages that a GX would not turn into battery
// paths are ignored.
func (g *GXView) Apply(m *Message) {
	if m.Err != "" || (m.Protocol != ProtoN2K && m.Protocol != ProtoVREG) {
		return
	}
	switch {
	case m.Protocol == ProtoVREG && m.Destination == 0xFF && m.Name != "VREG Request" && m.Name != "VREG Ack":
		g.applyVREG(g.device(m), m)
	case m.PGN == uint32(vecan.PGNBatteryStatus):
		s, ok := vecan.ParseBatteryStatus(frameOf(m))
		if !ok {
			return
		}
		d, at := g.device(m), m.Time
		switch s.Instance % 32 { // S2 p.12: the pack at base, lowest cell values at +1, highest at +2
		case 0:
			d.set("/Dc/0/Voltage", s.Volts, at)
			d.set("/Dc/0/Current", s.Amps, at)
			d.set("/Dc/0/Power", s.Volts*s.Amps, at)
			d.set("/Dc/0/Temperature", s.Kelvin-kelvinOffset, at)
		case 1:
			d.set("/System/MinCellVoltage", s.Volts, at)
			d.set("/System/MinCellTemperature", s.Kelvin-kelvinOffset, at)
		case 2:
			d.set("/System/MaxCellVoltage", s.Volts, at)
			d.set("/System/MaxCellTemperature", s.Kelvin-kelvinOffset, at)
		}
	case m.PGN == uint32(vecan.PGNDCDetailedStatus):
		s, ok := vecan.ParseDCDetailedStatus(m.Data)
		if !ok {
			return
		}
		d := g.device(m)
		if !d.socFromVREG {
			d.set("/Soc", s.SOCPercent, m.Time)
		}
		d.set("/Soh", s.SOHPercent, m.Time)
		ttg := math.NaN()
		if s.TimeRemaining >= 0 {
			ttg = s.TimeRemaining.Seconds() // dbus /TimeToGo is in seconds (protocol.md §4.4, S12)
		}
		d.set("/TimeToGo", ttg, m.Time)
	case m.PGN == uint32(vecan.PGNProductInformation):
		if p, ok := vecan.ParseProductInformation(m.Data); ok {
			d := g.device(m)
			d.set("/ProductId", float64(p.ProductCode), m.Time)
			d.setText("/ProductName", p.ModelID, m.Time)
		}
	}
}

func frameOf(m *Message) can.Frame {
	f := can.Frame{ID: m.CANID, IsExtended: true, Length: uint8(min(len(m.Data), 8))}
	copy(f.Data[:], m.Data)
	return f
}

func (g *GXView) applyVREG(d *Device, m *Message) {
	reg := vecan.Register(m.Register)
	info, ok := vecan.LookupRegister(reg)
	if !ok {
		return
	}
	at, raw := m.Time, m.Raw
	phys := func() float64 {
		v, _ := info.Physical(raw) // NaN when not available
		return v
	}
	pairOf := func() (float64, float64) {
		lo, hi, _ := info.PhysicalPair(raw)
		return lo, hi
	}
	switch reg {
	case vecan.RegSOC:
		d.socFromVREG = true
		d.set("/Soc", phys(), at)
	case vecan.RegTTG:
		d.set("/TimeToGo", phys()*60, at)
	case vecan.RegDCChannel1Voltage:
		d.set("/Dc/0/Voltage", phys(), at)
	case vecan.RegDCChannel1Current:
		d.set("/Dc/0/Current", phys(), at)
	case vecan.RegMinMaxCellVoltage:
		lo, hi := pairOf()
		d.set("/System/MinCellVoltage", lo, at)
		d.set("/System/MaxCellVoltage", hi, at)
	case vecan.RegMinMaxCellTemperature:
		lo, hi := pairOf()
		d.set("/System/MinCellTemperature", lo-kelvinOffset, at)
		d.set("/System/MaxCellTemperature", hi-kelvinOffset, at)
	case vecan.RegChargeVoltageLimit:
		d.set("/Info/MaxChargeVoltage", phys(), at)
	case vecan.RegChargeCurrentLimit:
		d.set("/Info/MaxChargeCurrent", phys(), at)
	case vecan.RegDischargeVoltageLimit:
		d.set("/Info/BatteryLowVoltage", phys(), at)
	case vecan.RegDischargeCurrentLimit:
		d.set("/Info/MaxDischargeCurrent", phys(), at)
	case vecan.RegLynxIonState:
		d.set("/State", float64(raw&0xFF), at)
	case vecan.RegBMSError:
		d.set("/ErrorCode", float64(raw&0xFF), at)
	case vecan.RegBMSFlags:
		applyFlags(d, events.FlagSet(raw), at)
	case vecan.RegBatteryConfiguration:
		d.set("/System/NrOfBatteries", float64(raw&0xFF), at)
		d.set("/System/NrOfCellsPerBattery", float64(raw>>8&0xFF), at)
		d.set("/System/BatteriesParallel", float64(raw>>16&0xFF), at)
		d.set("/System/BatteriesSeries", float64(raw>>24), at)
	case vecan.RegBatteryCapacity:
		d.set("/InstalledCapacity", phys(), at)
	case vecan.RegLynxIonConsumedAh, vecan.RegConsumedAh:
		d.set("/ConsumedAmphours", phys(), at)
	case vecan.RegRelayControl:
		d.set("/Relay/0/State", float64(raw&0xFF), at)
	case vecan.RegLynxIonShutdownsDueToError:
		d.set("/Diagnostics/ShutDownsDueError", float64(raw&0xFFFF), at)
	case vecan.RegBMSLastErrors:
		for i := range 4 {
			d.set("/Diagnostics/LastErrors/"+strconv.Itoa(i+1)+"/Error", float64(raw>>(8*i)&0xFF), at)
		}
	case vecan.RegBMSLastError1Time, vecan.RegBMSLastError2Time, vecan.RegBMSLastError3Time, vecan.RegBMSLastError4Time:
		d.set("/Diagnostics/LastErrors/"+strconv.Itoa(int(reg-vecan.RegBMSLastError1Time)+1)+"/Time", float64(raw), at)
	case vecan.RegAppVersion:
		if v, err := firmware.FromAppVer(raw >> 8); err == nil {
			d.setText("/FirmwareVersion", v.String(), at)
		}
	case vecan.RegProductID:
		d.set("/ProductId", float64(raw>>8&0xFFFF), at)
	}
}

// applyFlags turns VE_REG_BMS_FLAGS into alarm and IO paths: for each path fed by an alarm and a
// warning bit, 2 when the alarm bit is set, 1 when only the warning bit is (protocol.md §4.2,
// S10); the allowed-to-charge and -discharge bits as 0/1; the discharged and almost-discharged
// bits as /Alarms/LowCellVoltage 2 and 1 (limits.md §2.2, L9).
func applyFlags(d *Device, flags events.FlagSet, at time.Time) {
	levels := map[string]float64{}
	for _, fi := range events.Flags() {
		if fi.DbusPath == "" {
			continue
		}
		set := flags.Has(fi.Bit)
		switch {
		case strings.HasPrefix(fi.DbusPath, "/Alarms/"):
			level := 0.0
			if set {
				level = 1
				if strings.HasPrefix(fi.Name, "ALRM_") {
					level = 2
				}
			}
			levels[fi.DbusPath] = max(levels[fi.DbusPath], level)
		default:
			levels[fi.DbusPath] = boolFloat(set)
		}
	}
	low := 0.0
	if flags.Has(events.FlagAlmostDischarged) {
		low = 1
	}
	if flags.Has(events.FlagDischarged) {
		low = 2
	}
	levels["/Alarms/LowCellVoltage"] = low
	for path, v := range levels {
		d.set(path, v, at)
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Combined is the picture a GX builds of several BMSes for DVCC (a combined system, changelog
// 1.18-01): charging allowed only if every BMS allows it, discharging likewise, and each limit
// the lowest of theirs, with the source that set it.
type Combined struct {
	BMSes                       int
	AllowCharge, AllowDischarge bool
	Blocking                    []uint8 // sources that block charge or discharge
	ChargeVolts, ChargeAmps     PathValue
	DischargeAmps               PathValue
	ChargeVoltsFrom             uint8
	ChargeAmpsFrom              uint8
	DischargeAmpsFrom           uint8
}

// Combined returns the GX's picture of the BMSes heard on iface; ok is false with fewer than two.
func (g *GXView) Combined(iface string) (c Combined, ok bool) {
	c.AllowCharge, c.AllowDischarge = true, true
	lowest := func(cur *PathValue, from *uint8, d *Device, path string) {
		if p, ok := d.Get(path); ok && !math.IsNaN(p.Value) && (cur.Path == "" || p.Value < cur.Value) {
			*cur, *from = p, d.Source
		}
	}
	for _, d := range g.devices {
		if d.Interface != iface {
			continue
		}
		if _, isBMS := d.Get("/State"); !isBMS {
			continue
		}
		c.BMSes++
		atc, okc := d.Get("/Io/AllowToCharge")
		atd, okd := d.Get("/Io/AllowToDischarge")
		if !okc || atc.Value != 1 || !okd || atd.Value != 1 {
			c.Blocking = append(c.Blocking, d.Source)
		}
		c.AllowCharge = c.AllowCharge && okc && atc.Value == 1
		c.AllowDischarge = c.AllowDischarge && okd && atd.Value == 1
		lowest(&c.ChargeVolts, &c.ChargeVoltsFrom, d, "/Info/MaxChargeVoltage")
		lowest(&c.ChargeAmps, &c.ChargeAmpsFrom, d, "/Info/MaxChargeCurrent")
		lowest(&c.DischargeAmps, &c.DischargeAmpsFrom, d, "/Info/MaxDischargeCurrent")
	}
	return c, c.BMSes >= 2
}
