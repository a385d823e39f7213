package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.einride.tech/can"

	"github.com/lynxsim/lynxsim/battery"
	"github.com/lynxsim/lynxsim/canbus"
	"github.com/lynxsim/lynxsim/driver"
	"github.com/lynxsim/lynxsim/firmware"
	"github.com/lynxsim/lynxsim/master"
	"github.com/lynxsim/lynxsim/plant"
)

// Config describes a whole system.
type Config struct {
	Firmware    *firmware.Profile
	BatteryType battery.Type
	// BatteryTypes, when set, gives each battery its own type (Series × Parallel of them, string
	// by string): mixed capacities (changelog 1.38-07) or a wrong type in the bank.
	BatteryTypes []battery.Type
	// Series × Parallel batteries; strings of Series batteries in parallel.
	Series, Parallel int
	SOCPercent       float64
	// SOCPercents, when set, gives each battery its own starting SOC (Series × Parallel of them).
	SOCPercents []float64
	// CellSpreadPercent spreads each battery's cells by up to ± this much SOC around its SOC.
	CellSpreadPercent float64
	AmbientCelsius    float64
	// FirstSerial numbers the batteries FirstSerial, FirstSerial+1, …
	FirstSerial uint32

	VECan, BatteryBus canbus.Spec
	LoadAmps          float64
	ChargerAmps       float64
	Step              time.Duration
	// Identity and InstanceBase are the master's NMEA 2000 face (see master.Config).
	Identity     master.IdentityKind
	InstanceBase uint8
	// External is the protocol of the master's external port, on the VECan bus (default VE.Can).
	External master.ExternalProtocol
	// Memory is the master's non-volatile memory (nil: none kept).
	Memory master.Memory
	// Role picks the halves that run here (default: all of them).
	Role Role
	// Epoch is the wall-clock time at virtual time 0: the master's error times and the candump
	// timestamps count from it. The default is fixed, so that runs repeat byte for byte.
	Epoch time.Time
	// Master and Plant, when set, change the master's and the plant's configuration after the
	// system's defaults are in: settings, thresholds, capacitance.
	Master func(unit int, c *master.Config) // unit: 0 for the first master
	Plant  func(*plant.Config)

	// Masters is the number of masters (combined mode, changelog 1.18-01): each with its own bank
	// of Series × Parallel batteries on its own battery bus, all on one VE.Can, sharing the loads
	// and chargers (dcBus). 0 means 1.
	Masters int

	// ListenOnly opens every attachment on a real transport (SocketCAN, UDP) listen-only: lynxsim
	// watches a live system and transmits nothing on it.
	ListenOnly bool

	// replay: the battery bus is in memory and a replay (Replay) feeds it.
	replay bool
}

// DefaultConfig is the embedded default system: two LFP 24 V 280 Ah batteries in parallel at
// 60 % on the latest firmware, both buses in memory, a 30 A load.
func DefaultConfig() Config {
	profile, err := firmware.NewProfile(firmware.Latest())
	if err != nil {
		// The latest release always has a profile; anything else is a broken build.
		panic(err)
	}
	t, err := battery.LookupType("LFP-24V-280Ah")
	if err != nil {
		panic(err)
	}
	return Config{
		Firmware:       profile,
		BatteryType:    t,
		Series:         1,
		Parallel:       2,
		SOCPercent:     60,
		AmbientCelsius: 25,
		// HQ174500001: week 45 of 2017, the last that firmware before v1.09 supports (changelog
		// 1.09-14), so that the default bank runs on every version.
		FirstSerial: 174500001,
		VECan:       canbus.Spec{Kind: canbus.KindMem},
		BatteryBus:  canbus.Spec{Kind: canbus.KindMem},
		LoadAmps:    30,
		Step:        driver.DefaultStep,
		Epoch:       time.Date(2024, 9, 9, 12, 0, 0, 0, time.UTC), // v1.38's release day
	}
}

// Default hub names of the two buses when they are in memory; candump logs name them so.
const (
	VECanHub      = "vecan"
	BatteryBusHub = "batbus"
)

// System is a built system, ready to step.
type System struct {
	Network *canbus.Network
	Loop    *driver.Loop
	// Master, Plant and Batteries are the first unit's, the only one but in combined mode.
	Master    *master.Master
	Plant     *plant.Plant
	Batteries []*battery.Battery
	Units     []*Unit
	dc        *dcBus

	cfg        Config
	attached   []canbus.Bus
	transports []Transport
	recordErr  func() error
	follower   *masterFollower
}

// Transport is a bus attachment on a real transport (SocketCAN or UDP), for watching its health.
type Transport struct {
	Name string // the role and the bus, such as "vecan vcan0"
	Bus  canbus.Bus
}

// Err is the transport's failure, nil while it works.
func (t Transport) Err() error {
	if e, ok := t.Bus.(interface{ Err() error }); ok {
		return e.Err()
	}
	return nil
}

// Transports returns the system's attachments on real transports.
func (s *System) Transports() []Transport { return s.transports }

// Firmware returns the emulated firmware version.
func (s *System) Firmware() firmware.Version { return s.cfg.Firmware.Version() }

// RecordErr returns the first error writing the recording, or nil.
func (s *System) RecordErr() error {
	if s.recordErr == nil {
		return nil
	}
	return s.recordErr()
}

// Build attaches every node to its bus and orders them in the loop: hubs deliver, the plant
// moves, the batteries run, the master runs.
func Build(ctx context.Context, cfg Config) (*System, error) {
	switch {
	case cfg.Firmware == nil:
		return nil, errors.New("system: no firmware profile")
	case cfg.Series < 1 || cfg.Parallel < 1:
		return nil, fmt.Errorf("system: %d series × %d parallel: both must be at least 1", cfg.Series, cfg.Parallel)
	case cfg.Series*cfg.Parallel > 64:
		return nil, fmt.Errorf("system: %d batteries: the battery bus addresses at most 64", cfg.Series*cfg.Parallel)
	case cfg.BatteryTypes != nil && len(cfg.BatteryTypes) != cfg.Series*cfg.Parallel:
		return nil, fmt.Errorf("system: %d battery types for %d batteries", len(cfg.BatteryTypes), cfg.Series*cfg.Parallel)
	case cfg.SOCPercents != nil && len(cfg.SOCPercents) != cfg.Series*cfg.Parallel:
		return nil, fmt.Errorf("system: %d SOCs for %d batteries", len(cfg.SOCPercents), cfg.Series*cfg.Parallel)
	case cfg.Role == RoleMasterOnly && cfg.BatteryBus.Kind == canbus.KindMem && !cfg.replay:
		return nil, errors.New("system: a master without batteries needs a battery bus others share (udp:// or a CAN interface)")
	}
	s := &System{Network: &canbus.Network{}, cfg: cfg}
	ok := false
	defer func() {
		if !ok {
			_ = s.Close()
		}
	}()
	open := func(spec canbus.Spec, hub string, bitrate int, opts ...canbus.OpenOption) (canbus.Bus, error) {
		if cfg.ListenOnly && spec.Kind != canbus.KindMem {
			opts = append(opts, canbus.ListenOnly())
		}
		b, err := s.Network.Open(ctx, spec, append([]canbus.OpenOption{canbus.DefaultName(hub), canbus.Bitrate(bitrate)}, opts...)...)
		if err != nil {
			return nil, err
		}
		s.attached = append(s.attached, b)
		if spec.Kind != canbus.KindMem {
			s.transports = append(s.transports, Transport{Name: hub + " " + spec.String(), Bus: b})
		}
		return b, nil
	}
	masters := max(cfg.Masters, 1)
	if masters > 1 && (cfg.Role != RoleWhole || cfg.BatteryBus.Kind != canbus.KindMem) {
		return nil, errors.New("system: several masters run whole, on in-memory battery buses")
	}
	if masters > 1 {
		s.dc = &dcBus{}
	}
	for i := range masters {
		u, err := s.buildUnit(cfg, i, open)
		if err != nil {
			return nil, err
		}
		s.Units = append(s.Units, u)
	}
	first := s.Units[0]
	s.Master, s.Plant, s.Batteries = first.Master, first.Plant, first.Batteries
	if s.dc != nil {
		s.dc.init(s.Units, cfg.LoadAmps, cfg.ChargerAmps)
	}

	s.Loop = driver.New(cfg.Step)
	for _, h := range s.Network.Hubs() {
		s.Loop.Add(driver.StepFunc(func(time.Duration) { h.Deliver() }))
	}
	for _, u := range s.Units {
		s.Loop.Add(u.pre...)
	}
	if s.dc != nil {
		s.Loop.Add(s.dc)
	}
	for _, u := range s.Units {
		s.Loop.Add(u.Plant)
		for _, b := range u.Batteries {
			s.Loop.Add(b)
		}
	}
	for _, u := range s.Units {
		if u.Master != nil {
			s.Loop.Add(u.Master)
		}
	}
	ok = true
	return s, nil
}

// Unit is one master with its batteries and DC side. A system has one, or several in combined mode
// (Config.Masters), on one VE.Can.
type Unit struct {
	Master    *master.Master
	Plant     *plant.Plant
	Batteries []*battery.Battery
	pre       []driver.Stepper // stepped before the plant: what tells it about the far side
}

// unitSerials spaces the battery serials of the units: unit i's batteries start at FirstSerial +
// i × unitSerials.
const unitSerials = 1000

// buildUnit builds unit index: its battery bus is the configured one for the first unit and an
// in-memory bus of its own ("batbus2", …) for the others.
func (s *System) buildUnit(cfg Config, index int, open func(canbus.Spec, string, int, ...canbus.OpenOption) (canbus.Bus, error)) (*Unit, error) {
	batSpec, batHub := cfg.BatteryBus, BatteryBusHub
	if index > 0 {
		batSpec, batHub = canbus.Spec{Kind: canbus.KindMem, Name: fmt.Sprintf("%s%d", BatteryBusHub, index+1)}, fmt.Sprintf("%s%d", BatteryBusHub, index+1)
	}
	n := cfg.Series * cfg.Parallel
	u := &Unit{}
	var modules []plant.Cells
	switch cfg.Role {
	case RoleMasterOnly:
		tap, err := open(batSpec, batHub, batteryBusBitrate, canbus.ListenOnly())
		if err != nil {
			return nil, err
		}
		bank := newRemoteBank(tap, n, cfg.BatteryType.NominalVolts())
		modules = bank.cells()
		u.pre = append(u.pre, bank)
	default:
		for i := range n {
			bus, err := open(batSpec, batHub, batteryBusBitrate)
			if err != nil {
				return nil, err
			}
			typ := cfg.BatteryType
			if cfg.BatteryTypes != nil {
				typ = cfg.BatteryTypes[i]
			}
			soc := cfg.SOCPercent
			if cfg.SOCPercents != nil {
				soc = cfg.SOCPercents[i]
			}
			b, err := battery.New(typ, cfg.FirstSerial+uint32(index*unitSerials+i), soc, cfg.AmbientCelsius, bus)
			if err != nil {
				return nil, err
			}
			// The batteries of a master before v1.32 run the battery firmware it carries, with the
			// rounding of negative temperatures that 1.32-07 fixed.
			b.SetOldTemperatureRounding(!cfg.Firmware.Has("1.32-07"))
			if cfg.CellSpreadPercent != 0 {
				if err := b.Module().SpreadSOC(cfg.CellSpreadPercent); err != nil {
					return nil, err
				}
			}
			u.Batteries = append(u.Batteries, b)
			modules = append(modules, b)
		}
	}
	pcfg := plant.ConfigFor(cfg.Series, cfg.BatteryType.NominalVolts()*float64(cfg.Series))
	pcfg.AmbientCelsius = cfg.AmbientCelsius
	if cfg.Plant != nil {
		cfg.Plant(&pcfg)
	}
	p, err := plant.New(pcfg, modules)
	if err != nil {
		return nil, err
	}
	p.SetLoadAmps(cfg.LoadAmps)
	p.SetChargerAmps(cfg.ChargerAmps)
	u.Plant = p

	if cfg.Role == RoleBatteriesOnly {
		tap, err := open(batSpec, batHub, batteryBusBitrate, canbus.ListenOnly())
		if err != nil {
			return nil, err
		}
		s.follower = &masterFollower{tap: tap, p: p}
		u.pre = append(u.pre, s.follower)
	} else {
		masterBat, err := open(batSpec, batHub, batteryBusBitrate)
		if err != nil {
			return nil, err
		}
		masterVE, err := open(cfg.VECan, VECanHub, canbus.DefaultBitrate)
		if err != nil {
			return nil, err
		}
		mcfg := master.DefaultConfig(cfg.Firmware)
		mcfg.Series = cfg.Series
		mcfg.Epoch = cfg.Epoch
		mcfg.Identity = cfg.Identity
		// Several masters share VE.Can: each its own NAME (serial), device instance and battery
		// instances (steps of 32, S2 p.12); they resolve the address by claim contention.
		mcfg.InstanceBase = cfg.InstanceBase + uint8(32*index)
		mcfg.DeviceInstance = uint8(index)
		if index > 0 {
			mcfg.Serial = fmt.Sprintf("%08d", 17380001+index)
		}
		mcfg.Memory = cfg.Memory
		if index > 0 {
			// Each master its own record in a shared store; the first keeps the one a single
			// master uses, so that a system can grow without losing it.
			mcfg.MemoryRecord = fmt.Sprintf("%s-%d", master.DefaultMemoryRecord, index+1)
		}
		mcfg.External = cfg.External
		if cfg.Master != nil {
			cfg.Master(index, &mcfg)
		}
		var hw master.Hardware = p
		if s.dc != nil {
			hw = sharedBus{Plant: p, dc: s.dc}
		}
		if u.Master, err = master.New(mcfg, hw, masterBat, masterVE); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Role says which halves of a system run in this process.
type Role uint8

// The roles.
const (
	// RoleWhole runs the master, the batteries and the plant (the default).
	RoleWhole Role = iota
	// RoleMasterOnly runs the master and the plant against batteries elsewhere on the battery
	// bus (hardware in the loop): the plant's bank stands for them by their reported voltages.
	RoleMasterOnly
	// RoleBatteriesOnly runs the batteries and the plant against a master elsewhere: the plant's
	// contactor follows the master's battery-bus heartbeat.
	RoleBatteriesOnly
)

// batteryBusBitrate is the private bus's bit rate: MG does not publish it; 250 kbit/s is an
// assumption (the changelog's bit-timing fixes, 1.08-07 and 1.25-07, say only that it matters).
const batteryBusBitrate = 250_000

// Record writes every frame seen on both buses to w, stamped with epoch plus the virtual time of
// the step that saw it. It listens through listen-only attachments of its own, stepped right
// after the hubs deliver, so that it sees exactly what the nodes will see in that step.
func (s *System) Record(ctx context.Context, w *canbus.LogWriter) error {
	epoch := s.cfg.Epoch
	type tap struct {
		bus   canbus.Bus
		iface string
	}
	var taps []tap
	buses := []struct {
		spec canbus.Spec
		hub  string
	}{{s.cfg.BatteryBus, BatteryBusHub}, {s.cfg.VECan, VECanHub}}
	if s.Master == nil {
		buses = buses[:1] // batteries alone: no VE.Can here
	}
	for _, b := range buses {
		bus, err := s.Network.Open(ctx, b.spec, canbus.DefaultName(b.hub), canbus.ListenOnly())
		if err != nil {
			return err
		}
		s.attached = append(s.attached, bus)
		taps = append(taps, tap{bus, interfaceName(b.spec, b.hub)})
	}
	var buf []can.Frame
	var werr error
	rec := driver.StepFunc(func(now time.Duration) {
		at := epoch.Add(now)
		for _, t := range taps {
			buf = t.bus.Receive(buf[:0])
			for _, f := range buf {
				if err := w.Write(canbus.Record{Time: at, Interface: t.iface, Frame: f}); err != nil && werr == nil {
					werr = err
				}
			}
		}
	})
	s.recordErr = func() error { return werr }
	// Right after the hubs: the loop's first len(hubs) steppers deliver.
	s.Loop.Insert(len(s.Network.Hubs()), rec)
	return nil
}

// interfaceName is the name a candump log gives a bus.
func interfaceName(spec canbus.Spec, hub string) string {
	switch spec.Kind {
	case canbus.KindMem:
		if spec.Name != "" {
			return spec.Name
		}
		return hub
	case canbus.KindUDP:
		return "udp"
	}
	return spec.Name
}

// Close detaches every node from its bus.
func (s *System) Close() error {
	var errs []error
	for _, b := range s.attached {
		errs = append(errs, b.Close())
	}
	s.attached = nil
	return errors.Join(errs...)
}
