package battery

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Fault injection on a module's physics. A Fault is a named, reusable injector: Apply puts it on
// a module, Clear takes it off again. Scenario files name them (LookupFault); code calls the
// constructors. Cells and sensors count from 0. Applying a second fault of the same kind to the
// same cell or sensor replaces the first; Clear restores the healthy state, not the previous
// fault.
//
// Faults that are not the module's physics belong elsewhere:
//   - the battery's firmware (battery.go, the slave on canbus/batbus): a silent battery, a
//     babbling battery, a wrong battery type or serial announced, malformed frames;
//   - the plant (plant/): contactor welded or not closing, its feedback contact, pre-charge
//     failure, the pre-charge fuse (changelog 1.34-02, 1.36-06), the interlock.
//
// Two conditions of the changelog are configuration, not faults:
//   - mixed capacities (changelog 1.38-07): build the bank from RS types of different
//     capacities with the same cell count (Type.MixesWith), e.g. RS-24V-100Ah beside
//     RS-24V-200Ah; any other mix is error 4 "not the same type" for the master to find;
//   - an old or a new serial (changelog 1.09-14): give the module a serial below or at
//     FirstSerialRejectedBy107, e.g. SerialNumber(2017, 45, 1) for one v1.07 supports and
//     SerialNumber(2017, 46, 1) (HQ174600001) for one it does not.
type Fault interface {
	// Name is the fault's name as LookupFault knows it.
	Name() string
	// Apply puts the fault on m. It fails, changing nothing, if m has no such cell or sensor or
	// its type lacks what the fault acts on (a leakage fault on a battery without a leakage
	// sensor would pass a scenario that tests nothing).
	Apply(m *Module) error
	// Clear takes the fault off m again.
	Clear(m *Module)
}

// CellDrift scales cell's capacity by capacityFactor (0.9: a cell that has lost 10 %), keeping
// its state of charge: an aged cell has less charge in it, not more room. Under cycling the cell
// then runs ahead of the others, higher at the top and lower at the bottom. Clear restores the
// capacity the cell was built with.
func CellDrift(cell int, capacityFactor float64) Fault {
	return cellDrift{cell, capacityFactor}
}

type cellDrift struct {
	cell   int
	factor float64
}

func (f cellDrift) Name() string   { return "cell-drift" }
func (f cellDrift) String() string { return fmt.Sprintf("cell-drift(%d, %g)", f.cell, f.factor) }

func (f cellDrift) Apply(m *Module) error {
	m.settle()
	if err := m.checkCell(f, f.cell); err != nil {
		return err
	}
	if !(f.factor > 0 && f.factor <= 2) {
		return fmt.Errorf("%v: want a capacity factor above 0 and at most 2", f)
	}
	m.cells[f.cell].resize(m.cells[f.cell].healthyAh * f.factor)
	return nil
}

func (f cellDrift) Clear(m *Module) {
	m.settle()
	if m.checkCell(f, f.cell) == nil {
		m.cells[f.cell].resize(m.cells[f.cell].healthyAh)
	}
}

// resize changes the cell's capacity at the same state of charge.
func (c *cellState) resize(capacityAh float64) {
	c.chargeAh *= capacityAh / c.capacityAh
	c.capacityAh = capacityAh
}

// CellVoltageOffset adds volts to what the cell-voltage measurement of cell reads: a drifting
// measurement channel or a bad sense wire. The cell itself is fine.
func CellVoltageOffset(cell int, volts float64) Fault { return cellVoltageOffset{cell, volts} }

type cellVoltageOffset struct {
	cell  int
	volts float64
}

func (f cellVoltageOffset) Name() string { return "cell-voltage-offset" }
func (f cellVoltageOffset) String() string {
	return fmt.Sprintf("cell-voltage-offset(%d, %g)", f.cell, f.volts)
}

func (f cellVoltageOffset) Apply(m *Module) error {
	if err := m.checkCell(f, f.cell); err != nil {
		return err
	}
	if math.IsNaN(f.volts) || math.Abs(f.volts) > 5 {
		return fmt.Errorf("%v: want an offset within ±5 V", f)
	}
	m.cells[f.cell].voltsOffset = f.volts
	return nil
}

func (f cellVoltageOffset) Clear(m *Module) {
	if m.checkCell(f, f.cell) == nil {
		m.cells[f.cell].voltsOffset = 0
	}
}

// OverVoltage forces cell to the state of charge at which its open-circuit voltage is volts, the
// charge a cell charged alone (a failed balancer, a bad contact on its neighbours) ends up with.
// Above the chemistry's 100 % voltage the cell is over-charged into the abuse range (chemistry.go)
// up to its top. It is a change of state, not a condition: Clear leaves the charge where the
// physics has taken it since.
func OverVoltage(cell int, volts float64) Fault { return forcedVolts{"over-voltage", cell, volts} }

// UnderVoltage forces cell to the state of charge at which its open-circuit voltage is volts, as
// OverVoltage, down into over-discharge below 0 %.
func UnderVoltage(cell int, volts float64) Fault { return forcedVolts{"under-voltage", cell, volts} }

type forcedVolts struct {
	name  string
	cell  int
	volts float64
}

func (f forcedVolts) Name() string   { return f.name }
func (f forcedVolts) String() string { return fmt.Sprintf("%s(%d, %g)", f.name, f.cell, f.volts) }

func (f forcedVolts) Apply(m *Module) error {
	m.settle()
	if err := m.checkCell(f, f.cell); err != nil {
		return err
	}
	lo, hi := m.ch.ocv[0][1], m.ch.ocv[len(m.ch.ocv)-1][1]
	if !(f.volts >= lo && f.volts <= hi) {
		return fmt.Errorf("%v: an %s cell's open-circuit voltage spans %g–%g V", f, m.ch.name, lo, hi)
	}
	c := &m.cells[f.cell]
	c.chargeAh = c.capacityAh * m.ch.ocv.inverse(f.volts) / 100
	return nil
}

func (f forcedVolts) Clear(*Module) {}

// HotCell holds cell at celsius, as an internal short or a failing contact heating it would: its
// sensor (if one sits on it) reads it, its neighbours warm towards it through the module, and
// its resistance follows its temperature. Clear releases it to cool with the module.
func HotCell(cell int, celsius float64) Fault { return hotCell{cell, celsius} }

type hotCell struct {
	cell    int
	celsius float64
}

func (f hotCell) Name() string   { return "hot-cell" }
func (f hotCell) String() string { return fmt.Sprintf("hot-cell(%d, %g)", f.cell, f.celsius) }

func (f hotCell) Apply(m *Module) error {
	m.settle()
	if err := m.checkCell(f, f.cell); err != nil {
		return err
	}
	if !(f.celsius >= -60 && f.celsius <= 200) {
		return fmt.Errorf("%v: want −60 to 200 °C", f)
	}
	c := &m.cells[f.cell]
	c.pinned, c.pinnedCelsius = true, f.celsius
	c.setCelsius(m.ch, f.celsius)
	return nil
}

func (f hotCell) Clear(m *Module) {
	m.settle()
	if m.checkCell(f, f.cell) == nil {
		m.cells[f.cell].pinned = false
	}
}

// DeviatingTemperatureSensor makes cell temperature sensor read offsetCelsius off while its cell
// is fine: the "likely a sensor defect" of changelog 1.38-08, which the master excludes from its
// monitoring (and goes to fail-safe for more than 2 such sensors in one LFP 24V battery).
func DeviatingTemperatureSensor(sensor int, offsetCelsius float64) Fault {
	return deviatingSensor{sensor, offsetCelsius}
}

type deviatingSensor struct {
	sensor        int
	offsetCelsius float64
}

func (f deviatingSensor) Name() string { return "deviating-temperature-sensor" }
func (f deviatingSensor) String() string {
	return fmt.Sprintf("deviating-temperature-sensor(%d, %g)", f.sensor, f.offsetCelsius)
}

func (f deviatingSensor) Apply(m *Module) error {
	if f.sensor < 0 || f.sensor >= len(m.sensorOffsetCelsius) {
		return fmt.Errorf("%v: %s has cell temperature sensors 0–%d", f, m.typ.Name, len(m.sensorOffsetCelsius)-1)
	}
	if math.IsNaN(f.offsetCelsius) || math.IsInf(f.offsetCelsius, 0) {
		return fmt.Errorf("%v: want a finite offset", f)
	}
	m.sensorOffsetCelsius[f.sensor] = f.offsetCelsius
	return nil
}

func (f deviatingSensor) Clear(m *Module) {
	if f.sensor >= 0 && f.sensor < len(m.sensorOffsetCelsius) {
		m.sensorOffsetCelsius[f.sensor] = 0
	}
}

// Leakage makes the leakage sensor of an RS battery detect a leak (changelog 1.34-03, 1.34-04).
// Clear dries it.
func Leakage() Fault { return leakage{} }

type leakage struct{}

func (leakage) Name() string   { return "leakage" }
func (leakage) String() string { return "leakage()" }

func (f leakage) Apply(m *Module) error {
	if !m.typ.LeakageSensor {
		return fmt.Errorf("%v on %s, which has no leakage sensor: %w", f, m.typ.Name, ErrNotSupported)
	}
	m.leaking = true
	return nil
}

func (leakage) Clear(m *Module) { m.leaking = false }

// Humidity sets the relative humidity, in percent, the module's humidity sensor reads (changelog
// 1.24-05: NMC and RS batteries). Clear returns it to the default 40 %.
func Humidity(pct float64) Fault { return humidity{pct} }

type humidity struct{ pct float64 }

func (humidity) Name() string     { return "humidity" }
func (f humidity) String() string { return fmt.Sprintf("humidity(%g)", f.pct) }

func (f humidity) Apply(m *Module) error {
	if !m.typ.HumiditySensor {
		return fmt.Errorf("%v on %s, which has no humidity sensor: %w", f, m.typ.Name, ErrNotSupported)
	}
	if !(f.pct >= 0 && f.pct <= 100) {
		return fmt.Errorf("%v: want 0 to 100 %%", f)
	}
	m.humidityPct = f.pct
	return nil
}

func (humidity) Clear(m *Module) { m.humidityPct = defaultHumidityPct }

// LooseTerminal adds extraOhms of contact resistance to the positive (or negative) terminal: a
// loose or corroded lug. The module's resistance rises by it, and the terminal heats with
// I²·R towards the terminal over-temperature of changelog 1.19-01 (derating from 64 °C) and
// error 41. Any type has terminals; whether a sensor sees it is the type's.
func LooseTerminal(positive bool, extraOhms float64) Fault { return looseTerminal{positive, extraOhms} }

type looseTerminal struct {
	positive bool
	ohms     float64
}

func (f looseTerminal) Name() string {
	if f.positive {
		return "loose-positive-terminal"
	}
	return "loose-negative-terminal"
}

func (f looseTerminal) String() string { return fmt.Sprintf("%s(%g)", f.Name(), f.ohms) }

func (f looseTerminal) Apply(m *Module) error {
	m.settle()
	if !(f.ohms >= 0 && f.ohms <= 1) {
		return fmt.Errorf("%v: want 0 to 1 Ω", f)
	}
	*f.terminal(m) = f.ohms
	return nil
}

func (f looseTerminal) Clear(m *Module) {
	m.settle()
	*f.terminal(m) = 0
}

func (f looseTerminal) terminal(m *Module) *float64 {
	if f.positive {
		return &m.positive.looseOhms
	}
	return &m.negative.looseOhms
}

// checkCell says whether m has the cell fault f names.
func (m *Module) checkCell(f Fault, cell int) error {
	if cell < 0 || cell >= len(m.cells) {
		return fmt.Errorf("%v: %s has cells 0–%d", f, m.typ.Name, len(m.cells)-1)
	}
	return nil
}

// faultCatalogue is what LookupFault knows: each fault's arguments and how to build it.
var faultCatalogue = map[string]struct {
	args  []string
	build func(a []float64) Fault
}{
	"cell-drift":                   {[]string{"cell", "capacity-factor"}, func(a []float64) Fault { return CellDrift(int(a[0]), a[1]) }},
	"cell-voltage-offset":          {[]string{"cell", "volts"}, func(a []float64) Fault { return CellVoltageOffset(int(a[0]), a[1]) }},
	"over-voltage":                 {[]string{"cell", "volts"}, func(a []float64) Fault { return OverVoltage(int(a[0]), a[1]) }},
	"under-voltage":                {[]string{"cell", "volts"}, func(a []float64) Fault { return UnderVoltage(int(a[0]), a[1]) }},
	"hot-cell":                     {[]string{"cell", "celsius"}, func(a []float64) Fault { return HotCell(int(a[0]), a[1]) }},
	"deviating-temperature-sensor": {[]string{"sensor", "offset-celsius"}, func(a []float64) Fault { return DeviatingTemperatureSensor(int(a[0]), a[1]) }},
	"leakage":                      {nil, func([]float64) Fault { return Leakage() }},
	"humidity":                     {[]string{"percent"}, func(a []float64) Fault { return Humidity(a[0]) }},
	"loose-positive-terminal":      {[]string{"ohms"}, func(a []float64) Fault { return LooseTerminal(true, a[0]) }},
	"loose-negative-terminal":      {[]string{"ohms"}, func(a []float64) Fault { return LooseTerminal(false, a[0]) }},
}

// FaultNames returns the faults LookupFault knows, each with its arguments, sorted:
// "cell-drift(cell, capacity-factor)", ….
func FaultNames() []string {
	out := make([]string, 0, len(faultCatalogue))
	for name, f := range faultCatalogue {
		out = append(out, name+"("+strings.Join(f.args, ", ")+")")
	}
	sort.Strings(out)
	return out
}

// LookupFault builds the fault called name (ignoring case) from its numeric arguments, as a
// scenario file gives them; a cell or sensor number must be a whole number. Its errors list the
// valid names with their arguments.
func LookupFault(name string, args ...float64) (Fault, error) {
	f, ok := faultCatalogue[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("battery fault %q is unknown: choose one of %s", name, strings.Join(FaultNames(), ", "))
	}
	key := strings.ToLower(name)
	if len(args) != len(f.args) {
		return nil, fmt.Errorf("battery fault %s wants %d arguments (%s), got %d", key, len(f.args), strings.Join(f.args, ", "), len(args))
	}
	if len(f.args) > 0 && (f.args[0] == "cell" || f.args[0] == "sensor") && (args[0] != math.Trunc(args[0]) || math.Abs(args[0]) > 1e6) {
		return nil, fmt.Errorf("battery fault %s: %s %g is not a whole number", key, f.args[0], args[0])
	}
	return f.build(args), nil
}
