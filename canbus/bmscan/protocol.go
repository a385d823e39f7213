package bmscan

import (
	"fmt"
	"slices"

	"go.einride.tech/can"
)

// Protocol is the 11-bit protocol the Master LV is configured to send. S2 p.2 §1 lists three
// protocols, "NMEA2000 protocol (Victron Energy); SMA protocol; General BMS protocol", of which
// only one can be selected; NMEA 2000 is not this package's. The zero value is no protocol.
type Protocol uint8

// The protocols. General exists from firmware 1.24 (changelog 1.24-03: "Added 'General BMS'
// CAN-bus protocol. Note, existing SMA protocol location has been replaced by the General BMS
// protocol"); the caller decides from its firmware profile whether it may be selected.
const (
	SMA     Protocol = iota + 1 // S2 p.3 §1.3: 48 V systems only
	General                     // S2 p.6 §1.4: "the SMA protocol with added messages" (S2 p.2)
)

func (p Protocol) String() string {
	switch p {
	case SMA:
		return "SMA"
	case General:
		return "General BMS"
	}
	return fmt.Sprintf("Protocol(%d)", uint8(p))
}

// protocolFrames lists, per protocol, the ids it sends in S2's order (which is also id order).
var protocolFrames = [...][]uint32{
	// S2 p.3–5 (§1.3.2): the SMA message definitions.
	SMA: {IDLimits, IDStatus, IDBasicInfo, IDAlarmsWarnings, IDEvents, IDManufacturer, IDSystemInfo},
	// S2 p.6–10 (§1.4.2): the same, plus 0x373, 0x378, 0x380 and 0x381.
	General: {IDLimits, IDStatus, IDBasicInfo, IDAlarmsWarnings, IDEvents, IDManufacturer, IDSystemInfo,
		IDCellInfo, IDEnergy, IDSerialHigh, IDSerialLow},
}

func (p Protocol) frames() []uint32 {
	if int(p) >= len(protocolFrames) {
		return nil
	}
	return protocolFrames[p]
}

// Frames returns the ids p sends every Interval, in S2's order; nil for an unknown protocol. The
// slice is a copy.
func (p Protocol) Frames() []uint32 { return slices.Clone(p.frames()) }

// Supports reports whether protocol p can serve a system of the given nominal voltage: SMA only
// 48 V ("The SMA protocol will only support 48V systems based on the specifications of the Sunny
// Island 6.0H", S2 p.3 §1.3), General 24 and 48 V ("will support 24 and 48V systems", S2 p.6
// §1.4). Changelog 1.35-05 ("Improved General and SMA CAN-bus protocol, maximum supported system
// voltage handling") says no more than that and is not modelled.
func Supports(p Protocol, systemNominalVolts int) error {
	switch p {
	case SMA:
		if systemNominalVolts != 48 {
			return fmt.Errorf("bmscan: the SMA protocol supports only 48 V systems, not %d V", systemNominalVolts)
		}
	case General:
		if systemNominalVolts != 24 && systemNominalVolts != 48 {
			return fmt.Errorf("bmscan: the General BMS protocol supports 24 and 48 V systems, not %d V", systemNominalVolts)
		}
	default:
		return fmt.Errorf("bmscan: unknown protocol %d", uint8(p))
	}
	return nil
}

// The ceilings of the 0x351 charge and discharge current limits, changelog 1.20-01: "Fixed SMA
// maximum allowed charge and discharge current limit. Maximum was limited to 120.0A and had to be
// 1200.0A. Note, maximum currents are always limited by the system configuration."
const (
	CurrentCeilingUnfixed = 120.0  // A, firmware before v1.20
	CurrentCeilingFixed   = 1200.0 // A, from v1.20
)

// CurrentCeilingAmps returns the ceiling of the 0x351 current limits: 120.0 A while the bug of
// changelog 1.20-01 is present, 1200.0 A once it is fixed. fixed is decided by the caller's
// firmware profile, as profile.Has("1.20-01"). The General protocol only exists from v1.24
// (1.24-03), so it always has the fixed ceiling.
func CurrentCeilingAmps(fixed bool) float64 {
	if fixed {
		return CurrentCeilingFixed
	}
	return CurrentCeilingUnfixed
}

// Cycle holds the content of every frame the master sends in one Interval.
type Cycle struct {
	Limits         Limits         // 0x351
	Status         Status         // 0x355
	BasicInfo      BasicInfo      // 0x356
	AlarmsWarnings AlarmsWarnings // 0x35A
	Events         Events         // 0x35B
	Manufacturer   Manufacturer   // 0x35E
	SystemInfo     SystemInfo     // 0x35F
	CellInfo       CellInfo       // 0x373, General only
	Energy         Energy         // 0x378, General only
	SerialHigh     SerialHigh     // 0x380, General only
	SerialLow      SerialLow      // 0x381, General only
}

// AppendFrames appends to dst the frames protocol p sends in one cycle, in the order of
// p.Frames(), with the 0x351 current limits clamped to ceilingAmps (see CurrentCeilingAmps and
// Limits.Clamp). It does not allocate when dst has room for 11 frames.
func (c *Cycle) AppendFrames(dst []can.Frame, p Protocol, ceilingAmps float64) []can.Frame {
	for _, id := range p.frames() {
		var f can.Frame
		switch id {
		case IDLimits:
			f = c.Limits.Clamp(ceilingAmps).Frame()
		case IDStatus:
			f = c.Status.Frame()
		case IDBasicInfo:
			f = c.BasicInfo.Frame()
		case IDAlarmsWarnings:
			f = c.AlarmsWarnings.Frame()
		case IDEvents:
			f = c.Events.Frame()
		case IDManufacturer:
			f = c.Manufacturer.Frame()
		case IDSystemInfo:
			f = c.SystemInfo.Frame()
		case IDCellInfo:
			f = c.CellInfo.Frame()
		case IDEnergy:
			f = c.Energy.Frame()
		case IDSerialHigh:
			f = c.SerialHigh.Frame()
		case IDSerialLow:
			f = c.SerialLow.Frame()
		}
		dst = append(dst, f)
	}
	return dst
}
