package battery

import (
	"fmt"
	"math"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/canbus/batbus"
)

// Battery is one simulated battery: its Module (the cells, stepped by the plant through Flow) and
// the small slave firmware it runs on the battery bus (lynxsim's protocol v1, docs/battery-bus.md),
// stepped by the driver. The firmware announces itself until the master assigns it an address,
// then reports Status and Extremes every 500 ms, every cell voltage and temperature sensor at the
// master's detail period, terminals every second, environment and identity every 5 s; it executes
// the master's commands (balancing, fans, shutdown, identify, firmware update) and watches the
// master's heartbeat for its own communication timeout.
type Battery struct {
	mod *Module
	bus canbus.Bus
	rx  []can.Frame

	nameplate batbus.Nameplate
	address   uint8 // batbus.Unassigned until assigned
	attempt   uint8 // temporary-address attempt, moved on by announce collisions

	nextAnnounce, nextStatus, nextExtremes, nextDetail time.Duration
	nextTerminals, nextEnvironment, nextIdentity       time.Duration
	detailPeriod                                       time.Duration
	lastHeartbeat                                      time.Duration
	heardHeartbeat, commTimeout                        bool
	sequence                                           uint8
	fan                                                batbus.FanMode
	identifyUntil                                      time.Duration
	lastCommand                                        struct {
		valid bool
		code  batbus.CommandCode
		tag   uint8
		ack   batbus.CommandAck
	}
	update updateState

	// Firmware faults (Inject): a battery that fell silent, one that floods the bus, one deaf to
	// commands, and one that announces another product than it is.
	silent, babbling, deaf bool
	oldRounding            bool // negative temperatures truncated (before changelog 1.32-07)
	productOverride        uint16
	selfTestFailures       batbus.SelfTestFailures

	counters Counters
	cellBuf  []float64
	tempBuf  []float64
	// nextThermostat is when the thermostat next reads the cells (thermostatPeriod).
	nextThermostat time.Duration
}

// Counters count what the firmware did and refused.
type Counters struct {
	Rejected   uint64 // frames of the protocol that failed their checks
	Commands   uint64 // commands executed
	Updates    uint64 // firmware updates completed
	SendErrors uint64
}

// updateState follows a firmware update (docs/battery-bus.md, the update section): the image is
// received block by block, each block checked by its CRC-16, the whole by the image CRC.
type updateState struct {
	active      bool
	imageSize   uint32
	block       []byte // the block being received
	nextBlock   uint16
	imageCRC    uint16
	lastBlockAt time.Duration
}

// New returns a battery of type t with serial number serial (the 9 digits after the prefix,
// YYWW and 5 digits), every cell at socPercent and ambientCelsius, attached to the battery bus.
func New(t Type, serial uint32, socPercent, ambientCelsius float64, bus canbus.Bus) (*Battery, error) {
	if serial > batbus.MaxSerial {
		return nil, fmt.Errorf("battery serial %d: at most 9 digits (YYWW and a 5-digit unit number)", serial)
	}
	mod, err := NewModule(t, serial, socPercent, ambientCelsius, uint64(serial))
	if err != nil {
		return nil, err
	}
	b := &Battery{mod: mod, bus: bus, address: batbus.Unassigned, detailPeriod: batbus.CellVoltagesPeriod, fan: batbus.FanAuto}
	b.nameplate = batbus.Nameplate{Prefix: prefixOf(t), Serial: serial, Product: t.ProductID}
	b.nextAnnounce = batbus.AnnounceOffset(serial)
	// The battery hears only the master's messages and other batteries' announcements: a
	// controller filter where the transport has one, so that a bank's reports are not handed to
	// every battery (receive checks anyway).
	canbus.SetFilters(bus, batteryFilters...)
	return b, nil
}

// batteryFilters accept the master's messages (codes 0x00–0x07: Assign, Release, Command,
// Heartbeat, UpdateData) and Announce, whatever the address byte.
var batteryFilters = []canbus.Filter{
	{ID: batbus.ID(0, 0), Mask: 0x1FFF_F800},
	{ID: batbus.ID(batbus.MsgAnnounce, 0), Mask: 0x1FFF_FF00},
}

func prefixOf(t Type) [2]byte {
	p := [2]byte{'H', 'Q'}
	if len(t.SerialPrefix) == 2 {
		p = [2]byte{t.SerialPrefix[0], t.SerialPrefix[1]}
	}
	return p
}

// Module returns the battery's cells.
func (b *Battery) Module() *Module { return b.mod }

// Type returns the battery's type.
func (b *Battery) Type() Type { return b.mod.Type() }

// Serial returns the battery's serial number (without its prefix).
func (b *Battery) Serial() uint32 { return b.mod.Serial() }

// SerialString returns the serial as printed on the battery, e.g. "HQ174600001".
func (b *Battery) SerialString() string { return b.nameplate.SerialString() }

// Address returns the battery-bus address the master assigned, or batbus.Unassigned.
func (b *Battery) Address() uint8 { return b.address }

// Counters returns the firmware's counters.
func (b *Battery) Counters() Counters { return b.counters }

// CommTimeout reports whether the battery has missed the master's heartbeat since it was assigned.
func (b *Battery) CommTimeout() bool { return b.commTimeout }

// The electrical face, for the plant: the module's.

// Thevenin is the module's internal source voltage and resistance, in one pass.
func (b *Battery) Thevenin() (volts, ohms float64) { return b.mod.Thevenin() }

// Flow passes amps (positive: charging) through the module for dt.
func (b *Battery) Flow(amps float64, dt time.Duration) { b.mod.Flow(amps, dt) }

// Step runs the firmware at now.
func (b *Battery) Step(now time.Duration) {
	b.rx = b.bus.Receive(b.rx[:0])
	if !b.mod.Awake() {
		// Asleep after CmdShutdown: CAN activity addressed to us wakes the electronics
		// (docs/battery-bus.md, Shutdown), anything else is not even seen.
		for _, f := range b.rx {
			if c, err := batbus.ParseCommand(f); err == nil && c.Code == batbus.CmdWake && (c.To == b.address || c.To == batbus.Broadcast) {
				b.mod.Wake()
			}
		}
		return
	}
	for _, f := range b.rx {
		b.receive(now, f)
	}
	b.watchHeartbeat(now)
	if now >= b.nextThermostat {
		b.nextThermostat = now + thermostatPeriod
		b.thermostat()
	}
	if b.silent {
		return
	}
	if b.address == batbus.Unassigned {
		if now >= b.nextAnnounce {
			b.nextAnnounce = now + batbus.AnnouncePeriod
			temp := batbus.TemporaryAddress(b.nameplate.Prefix, b.nameplate.Serial, b.attempt)
			np := b.nameplate
			if b.productOverride != 0 {
				np.Product = b.productOverride
			}
			b.send(batbus.Announce{Address: temp, Nameplate: np}.Frame())
			b.send(b.describe(temp).Frame())
		}
		return
	}
	b.report(now)
}

func (b *Battery) send(f can.Frame) {
	if err := b.bus.Send(f); err != nil {
		b.counters.SendErrors++
	}
}

// receive handles one frame of the bus.
func (b *Battery) receive(now time.Duration, f can.Frame) {
	msg, addr, ok := batbus.Split(f)
	if !ok {
		return
	}
	var err error
	switch msg {
	case batbus.MsgAssign:
		var a batbus.Assign
		if a, err = batbus.ParseAssign(f); err == nil && a.Prefix == b.nameplate.Prefix && a.Serial == b.nameplate.Serial {
			b.assigned(now, a.Address)
		}
	case batbus.MsgRelease:
		var r batbus.Release
		if r, err = batbus.ParseRelease(f); err == nil && b.address != batbus.Unassigned && (r.To == b.address || r.To == batbus.Broadcast) {
			b.release(now)
		}
	case batbus.MsgHeartbeat:
		var h batbus.Heartbeat
		if h, err = batbus.ParseHeartbeat(f); err == nil {
			b.lastHeartbeat, b.heardHeartbeat = now, true
			if h.DetailSeconds > 0 {
				b.detailPeriod = time.Duration(h.DetailSeconds) * time.Second
			}
		}
	case batbus.MsgCommand:
		var c batbus.Command
		if c, err = batbus.ParseCommand(f); err == nil && b.address != batbus.Unassigned && (c.To == b.address || c.To == batbus.Broadcast) {
			b.command(now, c)
		}
	case batbus.MsgUpdateData:
		var u batbus.UpdateData
		if u, err = batbus.ParseUpdateData(f); err == nil && u.To == b.address && b.update.active {
			b.update.block = append(b.update.block, u.Data[:]...)
			b.update.lastBlockAt = now
		}
	case batbus.MsgAnnounce:
		// Another unassigned battery on our temporary address: the greater serial moves on
		// (docs/battery-bus.md, temporary addresses).
		var a batbus.Announce
		if a, err = batbus.ParseAnnounce(f); err == nil && b.address == batbus.Unassigned &&
			addr == batbus.TemporaryAddress(b.nameplate.Prefix, b.nameplate.Serial, b.attempt) &&
			batbus.CompareSerials(b.nameplate.Prefix, b.nameplate.Serial, a.Prefix, a.Serial) > 0 {
			b.attempt++
		}
	}
	if err != nil {
		b.counters.Rejected++
	}
}

// assigned takes an address: acknowledge it, describe ourselves, start reporting at once.
func (b *Battery) assigned(now time.Duration, address uint8) {
	b.address = address
	b.send(batbus.AssignAck{Address: address, Nameplate: b.nameplate}.Frame())
	b.send(b.describe(address).Frame())
	b.send(b.firmware().Frame())
	b.nextStatus, b.nextExtremes, b.nextDetail = now, now, now
	b.nextTerminals, b.nextEnvironment, b.nextIdentity = now, now, now+batbus.IdentityPeriod
	b.heardHeartbeat, b.commTimeout = false, false
}

// release forgets the address and announces again (a conflict or a restart of the master).
func (b *Battery) release(now time.Duration) {
	b.address = batbus.Unassigned
	b.nextAnnounce = now + batbus.AnnounceOffset(b.nameplate.Serial)
	b.lastCommand.valid = false
	_ = b.mod.SetBalancing(0)
	_ = b.mod.SetActiveBalance(-1, -1)
}

// watchHeartbeat is the battery's own communication check (changelog 1.12-01, 1.17-03): without
// the master's heartbeat for batbus.HeartbeatTimeout, it stops balancing and keeps its fans to its
// own thermostat, and says so in its Status until released.
func (b *Battery) watchHeartbeat(now time.Duration) {
	if b.address == batbus.Unassigned || !b.heardHeartbeat || now-b.lastHeartbeat < batbus.HeartbeatTimeout {
		return
	}
	if !b.commTimeout {
		b.commTimeout = true
		_ = b.mod.SetBalancing(0)
		_ = b.mod.SetActiveBalance(-1, -1)
		b.fan = batbus.FanAuto
	}
}

// Fan thermostat of the battery's own (FanAuto): on above 30 °C, off below 29 °C, the HE default
// of changelog 1.13-02; the master may command the fans otherwise.
const (
	fanOnCelsius  = 30
	fanOffCelsius = 29
	// thermostatPeriod is how often the thermostat reads the cell temperatures: an assumption,
	// the period of the battery's cell temperature reports (batbus.TemperaturesPeriod). A cell
	// warms by hundredths of a kelvin in it; the fans answer a master's command at once.
	thermostatPeriod = batbus.TemperaturesPeriod
)

func (b *Battery) thermostat() {
	if b.mod.Type().FanWattsPerKelvin == 0 {
		return
	}
	switch b.fan {
	case batbus.FanOn:
		b.mod.SetFan(true)
	case batbus.FanOff:
		b.mod.SetFan(false)
	default:
		b.tempBuf = b.mod.CellCelsius(b.tempBuf[:0])
		hottest := math.Inf(-1)
		for _, c := range b.tempBuf {
			hottest = max(hottest, c)
		}
		switch {
		case hottest > fanOnCelsius:
			b.mod.SetFan(true)
		case hottest < fanOffCelsius:
			b.mod.SetFan(false)
		}
	}
}
