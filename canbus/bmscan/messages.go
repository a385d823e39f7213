package bmscan

import "go.einride.tech/can"

// Frame ids, all standard 11-bit ("ID: 11-bit CAN 2.0A", S2 p.3 §1.3.1, p.6 §1.4.1).
const (
	IDLimits         uint32 = 0x351 // "BMS Limits", S2 p.3 and p.6
	IDStatus         uint32 = 0x355 // "Battery status", S2 p.3 and p.6
	IDBasicInfo      uint32 = 0x356 // "Battery basic info", S2 p.3 and p.6
	IDAlarmsWarnings uint32 = 0x35A // "Alarm and warning information", S2 p.4 and p.7
	IDEvents         uint32 = 0x35B // "Event information", S2 p.5 and p.8
	IDManufacturer   uint32 = 0x35E // "Manufacturer name", S2 p.5 and p.8
	IDSystemInfo     uint32 = 0x35F // "System Information", S2 p.5 and p.8
	IDCellInfo       uint32 = 0x373 // "Battery cell info", General only, S2 p.9
	IDEnergy         uint32 = 0x378 // "Energy charged and discharged", General only, S2 p.9
	IDSerialHigh     uint32 = 0x380 // "Serial number high part", General only, S2 p.9
	IDSerialLow      uint32 = 0x381 // "Serial number low part", General only, S2 p.10
)

// The signal tables. Where S2 lists fewer than 8 bytes for a frame (0x355 and 0x356 list bytes
// 0–5, 0x35B lists byte 0 only) the data length is assumed to be the number of bytes S2 lists:
// S2 gives no DLC column, and other senders of these frames disagree among themselves (S16:
// diyBMS sends 0x355 with 4 bytes and 0x356 with 6, other implementations pad both to 8), so
// S2's byte rows are the best evidence for the Master LV. Every other frame lists bytes 0–7 and
// has DLC 8. A change of DLC is one Length here plus the DBC, which TestDBCMatchesSpecs holds
// together.
var (
	// S2 p.3 (SMA) and p.6 (General), identical: bytes 0–1 "Battery charge voltage" un16 0,1V;
	// 2–3 "DC Charge current limitation" sn16 0,1A; 4–5 "DC Discharge current limitation"
	// sn16 0,1A; 6–7 "Battery discharge voltage" un16 0,1V; each "Byte n Low, Byte n+1 High".
	specLimits = MessageSpec{ID: IDLimits, Name: "BMS_Limits", Length: 8, Signals: []Signal{
		un16("ChargeVoltage", 0, 0.1, "V"),
		sn16("ChargeCurrent", 16, 0.1, "A"),
		sn16("DischargeCurrent", 32, 0.1, "A"),
		un16("DischargeVoltage", 48, 0.1, "V"),
	}}
	// S2 p.3 and p.6: bytes 0–1 "SOC value" un16 1%; 2–3 "SOH value" un16 1%; 4–5 "SOC high
	// resolution" un16 0,01%. Bytes 6–7 are not listed: DLC 6.
	specStatus = MessageSpec{ID: IDStatus, Name: "Battery_Status", Length: 6, Signals: []Signal{
		un16("SOC", 0, 1, "%"),
		un16("SOH", 16, 1, "%"),
		un16("SOCHighRes", 32, 0.01, "%"),
	}}
	// S2 p.3 and p.6: bytes 0–1 "Battery voltage" un16 0,01V (unsigned in S2; Pylon and others
	// use sn16, protocol.md §5; S2 is followed); 2–3 "Battery current" sn16 0,1A; 4–5
	// "Temperature" sn16 0,1°C. Bytes 6–7 are not listed: DLC 6.
	specBasicInfo = MessageSpec{ID: IDBasicInfo, Name: "Battery_Basic_Info", Length: 6, Signals: []Signal{
		un16("Voltage", 0, 0.01, "V"),
		sn16("Current", 16, 0.1, "A"),
		sn16("Temperature", 32, 0.1, "degC"),
	}}
	// S2 p.4 and p.7: alarms in bytes 0–3, warnings in bytes 4–7, 2-bit fields; see conditionNames.
	specAlarmsWarnings = MessageSpec{ID: IDAlarmsWarnings, Name: "Alarms_Warnings", Length: 8,
		Signals: append(conditionSignals("Alarm", 0), conditionSignals("Warning", 32)...)}
	// S2 p.5 and p.8: byte 0 bits 0–4 the events, "1=active"; bits 5–7 "reserved", kept as one
	// 3-bit field so that a parsed frame re-encodes unchanged. Only byte 0 is listed: DLC 1.
	specEvents = MessageSpec{ID: IDEvents, Name: "Events", Length: 1, Signals: []Signal{
		bits("SOCRecalibrationStart", 0, 1), // "Start of SOC Recalibration (not used)"
		bits("SOCRecalibrationStop", 1, 1),  // "Stop of SOC Recalibration (not used)"
		bits("PowerLimitationStart", 2, 1),  // "Start of Power limitation (not used)"
		bits("PowerLimitationStop", 3, 1),   // "Stop of Power limitation (not used)"
		bits("PreventiveShutdown", 4, 1),    // "Preventive battery shutdown"
		bits("Reserved", 5, 3),              // bits 5, 6, 7 "reserved"
	}}
	// S2 p.5 and p.8: bytes 0–7 "Manufacturer name" Char.
	specManufacturer = MessageSpec{ID: IDManufacturer, Name: "Manufacturer_Name", Length: 8,
		Signals: chars("Name", 0)}
	// S2 p.5 and p.8: bytes 0–1 "Master type ID" un16 (Byte 0 Low, Byte 1 High); bytes 2–3
	// "Software version (note: MSB first)" un16 (Byte 2 High, Byte 3 Low) — the only big-endian
	// field, so its DBC start bit is byte 2's bit 7 = 23; bytes 4–5 "Total battery capacity Ah"
	// un16 1 Ah; bytes 6–7 "Master product ID hardware configuration." un16.
	specSystemInfo = MessageSpec{ID: IDSystemInfo, Name: "System_Information", Length: 8, Signals: []Signal{
		id16("MasterTypeID", 0),
		softwareVersionSignal(),
		un16("Capacity", 32, 1, "Ah"),
		id16("HardwareConfigID", 48),
	}}
	// S2 p.9: bytes 0–1 "Lowest cell voltage" un16 1mV; 2–3 "Highest cell voltage" un16 1mV;
	// 4–5 "Lowest cell temperature" un16 1Kelvin; 6–7 "Highest cell temperature" un16 1Kelvin.
	// The voltages are carried in volts (scale 0.001) like every other voltage of the package.
	specCellInfo = MessageSpec{ID: IDCellInfo, Name: "Battery_Cell_Info", Length: 8, Signals: []Signal{
		un16("MinCellVoltage", 0, 0.001, "V"),
		un16("MaxCellVoltage", 16, 0.001, "V"),
		un16("MinCellTemperature", 32, 1, "K"),
		un16("MaxCellTemperature", 48, 1, "K"),
	}}
	// S2 p.9: bytes 0–3 "Energy charged" un32 0,01KWh; 4–7 "Energy Discharged" un32 0,01KWh
	// (Byte 0 Low … Byte 3 High). protocol.md §5 notes that Safiery (S16) documents 100 Wh for
	// this frame; S2 is the Master LV's own guide and is followed: 0.01 kWh.
	specEnergy = MessageSpec{ID: IDEnergy, Name: "Energy", Length: 8, Signals: []Signal{
		un32("Charged", 0, 0.01, "kWh"),
		un32("Discharged", 32, 0.01, "kWh"),
	}}
	// S2 p.9: bytes 0–7 "BMS serial number, first 8 characters." Char.
	specSerialHigh = MessageSpec{ID: IDSerialHigh, Name: "Serial_High", Length: 8,
		Signals: chars("Serial", 0)}
	// S2 p.10: bytes 0–7 "BMS serial number, last 8 characters." Char.
	specSerialLow = MessageSpec{ID: IDSerialLow, Name: "Serial_Low", Length: 8,
		Signals: chars("Serial", 8)}

	// specs lists every table, ordered by id.
	specs = []*MessageSpec{
		&specLimits, &specStatus, &specBasicInfo, &specAlarmsWarnings, &specEvents,
		&specManufacturer, &specSystemInfo, &specCellInfo, &specEnergy, &specSerialHigh, &specSerialLow,
	}
)

// softwareVersionSignal is the 0x35F software version: un16 sent MSB first in bytes 2–3
// (S2 p.5: "Byte 2 High", "Byte 3 Low", "0x0118 -> V1.24").
func softwareVersionSignal() Signal {
	s := id16("SoftwareVersion", 23)
	s.BigEndian = true
	return s
}

// Message is a decoded frame: any of the types of this package.
type Message interface {
	ID() uint32
	Frame() can.Frame
}

// Parse decodes a frame of any id listed in S2 into its type. It returns ErrUnknown for other
// ids. Unlike the typed parsers it allocates (the interface value).
func Parse(f can.Frame) (Message, error) {
	var (
		m   Message
		err error
	)
	switch f.ID {
	case IDLimits:
		m, err = ParseLimits(f)
	case IDStatus:
		m, err = ParseStatus(f)
	case IDBasicInfo:
		m, err = ParseBasicInfo(f)
	case IDAlarmsWarnings:
		m, err = ParseAlarmsWarnings(f)
	case IDEvents:
		m, err = ParseEvents(f)
	case IDManufacturer:
		m, err = ParseManufacturer(f)
	case IDSystemInfo:
		m, err = ParseSystemInfo(f)
	case IDCellInfo:
		m, err = ParseCellInfo(f)
	case IDEnergy:
		m, err = ParseEnergy(f)
	case IDSerialHigh:
		m, err = ParseSerialHigh(f)
	case IDSerialLow:
		m, err = ParseSerialLow(f)
	default:
		return nil, &FrameError{f.ID, ErrUnknown, "not a frame of the SMA or General BMS protocol"}
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Limits is frame 0x351, "BMS Limits" (S2 p.3, p.6). NaN means not available.
type Limits struct {
	ChargeVoltage    float64 // CVL, V, 0.1 V steps, 0…6553.4
	ChargeCurrent    float64 // CCL, A, 0.1 A steps, −3276.7…3276.7
	DischargeCurrent float64 // DCL, A, 0.1 A steps, −3276.7…3276.7
	DischargeVoltage float64 // DVL, V, 0.1 V steps, 0…6553.4
}

// ID returns 0x351.
func (Limits) ID() uint32 { return IDLimits }

// Frame encodes l as it is: only the field range limits the currents. The master clamps them to
// its current ceiling first; see Clamp and Cycle.AppendFrames.
func (l Limits) Frame() can.Frame {
	v := [...]float64{l.ChargeVoltage, l.ChargeCurrent, l.DischargeCurrent, l.DischargeVoltage}
	return specLimits.Encode(v[:])
}

// Clamp returns l with the charge and discharge current limits lowered to ceilingAmps where they
// exceed it (changelog 1.20-01; see CurrentCeilingAmps). NaN currents stay NaN, and a NaN or +Inf
// ceiling clamps nothing. The voltages are not touched.
func (l Limits) Clamp(ceilingAmps float64) Limits {
	if l.ChargeCurrent > ceilingAmps {
		l.ChargeCurrent = ceilingAmps
	}
	if l.DischargeCurrent > ceilingAmps {
		l.DischargeCurrent = ceilingAmps
	}
	return l
}

// ParseLimits decodes frame 0x351.
func ParseLimits(f can.Frame) (Limits, error) {
	var v [4]float64
	if err := specLimits.Decode(f, v[:]); err != nil {
		return Limits{}, err
	}
	return Limits{v[0], v[1], v[2], v[3]}, nil
}

// Status is frame 0x355, "Battery status" (S2 p.3, p.6). NaN means not available.
type Status struct {
	SOC        float64 // state of charge, %, 1 % steps
	SOH        float64 // state of health, %, 1 % steps
	SOCHighRes float64 // state of charge, %, 0.01 % steps
}

// ID returns 0x355.
func (Status) ID() uint32 { return IDStatus }

// Frame encodes s (DLC 6).
func (s Status) Frame() can.Frame {
	v := [...]float64{s.SOC, s.SOH, s.SOCHighRes}
	return specStatus.Encode(v[:])
}

// ParseStatus decodes frame 0x355.
func ParseStatus(f can.Frame) (Status, error) {
	var v [3]float64
	if err := specStatus.Decode(f, v[:]); err != nil {
		return Status{}, err
	}
	return Status{v[0], v[1], v[2]}, nil
}

// BasicInfo is frame 0x356, "Battery basic info" (S2 p.3, p.6). NaN means not available.
type BasicInfo struct {
	Voltage      float64 // battery voltage, V, 0.01 V steps, 0…655.34 (unsigned per S2)
	Current      float64 // battery current, A, 0.1 A steps; positive while charging (assumed: S2 gives no sign)
	TemperatureC float64 // battery temperature, °C, 0.1 °C steps
}

// ID returns 0x356.
func (BasicInfo) ID() uint32 { return IDBasicInfo }

// Frame encodes b (DLC 6).
func (b BasicInfo) Frame() can.Frame {
	v := [...]float64{b.Voltage, b.Current, b.TemperatureC}
	return specBasicInfo.Encode(v[:])
}

// ParseBasicInfo decodes frame 0x356.
func ParseBasicInfo(f can.Frame) (BasicInfo, error) {
	var v [3]float64
	if err := specBasicInfo.Decode(f, v[:]); err != nil {
		return BasicInfo{}, err
	}
	return BasicInfo{v[0], v[1], v[2]}, nil
}

// Events is frame 0x35B, "Event information" (S2 p.5, p.8): byte 0, "1=active".
type Events struct {
	SOCRecalibrationStart bool // bit 0, "(not used)" by the Master LV
	SOCRecalibrationStop  bool // bit 1, "(not used)"
	PowerLimitationStart  bool // bit 2, "(not used)"
	PowerLimitationStop   bool // bit 3, "(not used)"
	PreventiveShutdown    bool // bit 4, "Preventive battery shutdown"
	// Reserved holds bits 5–7 ("reserved"), bit 5 as its bit 0; the master sends 0. Values above
	// 7 are sent as 7.
	Reserved uint8
}

// ID returns 0x35B.
func (Events) ID() uint32 { return IDEvents }

// Frame encodes e (DLC 1).
func (e Events) Frame() can.Frame {
	v := [...]float64{b2f(e.SOCRecalibrationStart), b2f(e.SOCRecalibrationStop),
		b2f(e.PowerLimitationStart), b2f(e.PowerLimitationStop), b2f(e.PreventiveShutdown),
		float64(e.Reserved)}
	return specEvents.Encode(v[:])
}

// ParseEvents decodes frame 0x35B.
func ParseEvents(f can.Frame) (Events, error) {
	var v [6]float64
	if err := specEvents.Decode(f, v[:]); err != nil {
		return Events{}, err
	}
	return Events{v[0] != 0, v[1] != 0, v[2] != 0, v[3] != 0, v[4] != 0, uint8(v[5])}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// MasterTypeID is the "Master type ID" S2 p.5 gives as its example: "0x3A9B -> 15003". S2 does
// not say whether other Master LV models send other values; SystemInfo carries it as a field.
const MasterTypeID uint16 = 0x3A9B

// SystemInfo is frame 0x35F, "System Information" (S2 p.5, p.8).
type SystemInfo struct {
	MasterType uint16 // "Master type ID", e.g. MasterTypeID
	// The software version goes out MSB first: major in byte 2, minor in byte 3, so v1.24 is
	// 0x01 0x18 (S2 p.5: "0x0118 -> V1.24").
	SoftwareMajor, SoftwareMinor uint8
	CapacityAh                   float64 // "Total battery capacity Ah", 1 Ah steps; NaN not available
	// HardwareConfig is the "Master product ID hardware configuration". S2 gives no values; the
	// caller supplies the one of the emulated model.
	HardwareConfig uint16
}

// ID returns 0x35F.
func (SystemInfo) ID() uint32 { return IDSystemInfo }

// Frame encodes s.
func (s SystemInfo) Frame() can.Frame {
	v := [...]float64{float64(s.MasterType), float64(uint16(s.SoftwareMajor)<<8 | uint16(s.SoftwareMinor)),
		s.CapacityAh, float64(s.HardwareConfig)}
	return specSystemInfo.Encode(v[:])
}

// ParseSystemInfo decodes frame 0x35F.
func ParseSystemInfo(f can.Frame) (SystemInfo, error) {
	var v [4]float64
	if err := specSystemInfo.Decode(f, v[:]); err != nil {
		return SystemInfo{}, err
	}
	sw := uint16(v[1])
	return SystemInfo{uint16(v[0]), uint8(sw >> 8), uint8(sw), v[2], uint16(v[3])}, nil
}

// CellInfo is frame 0x373, "Battery cell info", General BMS protocol only (S2 p.9). NaN means not
// available.
type CellInfo struct {
	MinCellVoltage      float64 // lowest cell voltage, V, 0.001 V (1 mV) steps
	MaxCellVoltage      float64 // highest cell voltage, V, 0.001 V steps
	MinCellTemperatureK float64 // lowest cell temperature, K, 1 K steps
	MaxCellTemperatureK float64 // highest cell temperature, K, 1 K steps
}

// ID returns 0x373.
func (CellInfo) ID() uint32 { return IDCellInfo }

// Frame encodes c.
func (c CellInfo) Frame() can.Frame {
	v := [...]float64{c.MinCellVoltage, c.MaxCellVoltage, c.MinCellTemperatureK, c.MaxCellTemperatureK}
	return specCellInfo.Encode(v[:])
}

// ParseCellInfo decodes frame 0x373.
func ParseCellInfo(f can.Frame) (CellInfo, error) {
	var v [4]float64
	if err := specCellInfo.Decode(f, v[:]); err != nil {
		return CellInfo{}, err
	}
	return CellInfo{v[0], v[1], v[2], v[3]}, nil
}

// Energy is frame 0x378, "Energy charged and discharged", General BMS protocol only (S2 p.9).
// NaN means not available.
type Energy struct {
	ChargedKWh    float64 // kWh, 0.01 kWh steps, 0…42949672.94
	DischargedKWh float64 // kWh, 0.01 kWh steps
}

// ID returns 0x378.
func (Energy) ID() uint32 { return IDEnergy }

// Frame encodes e.
func (e Energy) Frame() can.Frame {
	v := [...]float64{e.ChargedKWh, e.DischargedKWh}
	return specEnergy.Encode(v[:])
}

// ParseEnergy decodes frame 0x378.
func ParseEnergy(f can.Frame) (Energy, error) {
	var v [2]float64
	if err := specEnergy.Decode(f, v[:]); err != nil {
		return Energy{}, err
	}
	return Energy{v[0], v[1]}, nil
}

// encodeText and decodeText run a Text through one of the 8 × uint8 tables.
func encodeText(m *MessageSpec, t Text) can.Frame {
	var v [8]float64
	for i, c := range t {
		v[i] = float64(c)
	}
	return m.Encode(v[:])
}

func decodeText(m *MessageSpec, f can.Frame) (Text, error) {
	var v [8]float64
	if err := m.Decode(f, v[:]); err != nil {
		return Text{}, err
	}
	var t Text
	for i, x := range v {
		t[i] = uint8(x)
	}
	return t, nil
}
