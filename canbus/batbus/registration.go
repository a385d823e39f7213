package batbus

import (
	"fmt"
	"strconv"
	"time"

	"go.einride.tech/can"
)

// Registration messages (docs/battery-bus.md §5): Announce, Describe, Firmware, Assign,
// AssignAck, Identity, Release, and the master's Heartbeat.

// PrefixHQ is the serial prefix of MG batteries: changelog 1.09-14 cites serials "HQ1746*****".
var PrefixHQ = [2]byte{'H', 'Q'}

// Nameplate is who a battery is: the payload of Announce, AssignAck and Identity.
//
//	bytes 0–1  serial prefix, two ASCII capitals 'A'–'Z' (e.g. "HQ")
//	bytes 2–5  serial number, un32, 0–999 999 999 (YYWW and 5 digits: 174600001)
//	bytes 6–7  product id, un16, 1–0xFFFE: the battery type; a bank's batteries must agree
type Nameplate struct {
	Prefix  [2]byte
	Serial  uint32
	Product uint16
}

// SerialString returns the serial as prefix and 9 digits, e.g. "HQ174600001".
func (n Nameplate) SerialString() string { return FormatSerial(n.Prefix, n.Serial) }

func (n Nameplate) put(v *raws) {
	v[npPrefix0], v[npPrefix1] = int64(n.Prefix[0]), int64(n.Prefix[1])
	v[npSerial], v[npProduct] = int64(n.Serial), int64(n.Product)
}

func nameplateOf(v *raws) Nameplate {
	return Nameplate{Prefix: [2]byte{byte(v[npPrefix0]), byte(v[npPrefix1])}, Serial: uint32(v[npSerial]), Product: uint16(v[npProduct])}
}

// Announce (0x30) is sent by an unassigned battery every AnnouncePeriod, at AnnounceOffset within
// the period, from its TemporaryAddress; a Describe follows each one.
type Announce struct {
	Address uint8 // the temporary address, 0x80–0xFE
	Nameplate
}

// Frame encodes a.
func (a Announce) Frame() can.Frame {
	var v raws
	a.put(&v)
	return specAnnounce.encode(a.Address, &v)
}

// Message returns MsgAnnounce.
func (Announce) Message() Message { return MsgAnnounce }

// ParseAnnounce decodes an Announce frame.
func ParseAnnounce(f can.Frame) (Announce, error) {
	var v raws
	if err := specAnnounce.decode(f, &v); err != nil {
		return Announce{}, err
	}
	return Announce{Address: uint8(f.ID), Nameplate: nameplateOf(&v)}, nil
}

// AssignAck (0x09) is a battery's answer to the Assign for its serial, sent from the new address.
type AssignAck struct {
	Address uint8 // the assigned address, 1–64
	Nameplate
}

// Frame encodes a.
func (a AssignAck) Frame() can.Frame {
	var v raws
	a.put(&v)
	return specAssignAck.encode(a.Address, &v)
}

// Message returns MsgAssignAck.
func (AssignAck) Message() Message { return MsgAssignAck }

// ParseAssignAck decodes an AssignAck frame.
func ParseAssignAck(f can.Frame) (AssignAck, error) {
	var v raws
	if err := specAssignAck.decode(f, &v); err != nil {
		return AssignAck{}, err
	}
	return AssignAck{Address: uint8(f.ID), Nameplate: nameplateOf(&v)}, nil
}

// Identity (0x20) is sent by every assigned battery every IdentityPeriod, and on
// CmdRequestIdentity: a master that hears two serials on one address has a conflict to resolve
// (docs/battery-bus.md §5.3).
type Identity struct {
	Address uint8 // 1–64
	Nameplate
}

// Frame encodes i.
func (i Identity) Frame() can.Frame {
	var v raws
	i.put(&v)
	return specIdentity.encode(i.Address, &v)
}

// Message returns MsgIdentity.
func (Identity) Message() Message { return MsgIdentity }

// ParseIdentity decodes an Identity frame.
func ParseIdentity(f can.Frame) (Identity, error) {
	var v raws
	if err := specIdentity.decode(f, &v); err != nil {
		return Identity{}, err
	}
	return Identity{Address: uint8(f.ID), Nameplate: nameplateOf(&v)}, nil
}

// Chemistry is the cell chemistry a battery describes.
type Chemistry uint8

// Chemistries.
const (
	ChemistryLFP Chemistry = 1 // LiFePO4
	ChemistryNMC Chemistry = 2 // MG HE batteries (protocol.md §6, limits.md §1.1)
)

func (c Chemistry) String() string {
	switch c {
	case ChemistryLFP:
		return "LFP"
	case ChemistryNMC:
		return "NMC"
	}
	return "chemistry(" + strconv.Itoa(int(c)) + ")"
}

// Features says what a battery has (Describe bytes 5–6, one bit each; bits 11–15 reserved).
type Features uint16

// The feature bits.
const (
	FeaturePassiveBalancing       Features = 1 << iota // bleed resistors: CmdBalance
	FeatureActiveBalancing                             // a cell-to-cell converter: CmdTransfer
	FeatureFan                                         // fans: CmdFan, Environment.Fan
	FeatureHumidity                                    // humidity sensor (changelog 1.24-05)
	FeatureLeakage                                     // leakage sensor (changelog 1.34-03)
	FeaturePositiveTerminalSensor                      // changelog 1.19-01, 1.30-03
	FeatureNegativeTerminalSensor                      // changelog 1.30-03
	FeatureSelfTest                                    // processor self-tests (changelog 1.38-04)
	FeatureSOH                                         // state of health (changelog 1.35-01)
	FeatureCurrentSensor                               // the battery measures its own current
	FeatureDisconnect                                  // an internal contactor or switch
)

const featureCount = 11

var featureNames = [featureCount]string{"PassiveBalancing", "ActiveBalancing", "Fan", "HumiditySensor",
	"LeakageSensor", "PositiveTerminalSensor", "NegativeTerminalSensor", "SelfTest", "SOH",
	"CurrentSensor", "Disconnect"}

// Has reports whether every feature of x is in f.
func (f Features) Has(x Features) bool { return f&x == x }

// Describe (0x21) says what a battery is made of. An unassigned battery sends it right after
// every Announce, from the same temporary address, so that the master can check the bank before
// it assigns any address; an assigned one sends it after its AssignAck and on
// CmdRequestDescribe.
//
//	byte 0     chemistry (1 LFP, 2 NMC)
//	byte 1     cells in series, 1–32
//	bytes 2–3  nominal capacity, un16, 1 Ah, 1–65 535
//	byte 4     cell temperature sensors, 0–32 (what Temperatures will carry)
//	bytes 5–6  Features; bits 11–15 reserved (1)
//	byte 7     protocol version, 1
type Describe struct {
	Address            uint8 // assigned (1–64) or temporary (0x80–0xFE)
	Chemistry          Chemistry
	Cells              uint8
	CapacityAh         uint16
	TemperatureSensors uint8
	Features           Features
}

// Frame encodes d with protocol version ProtocolVersion.
func (d Describe) Frame() can.Frame {
	var v raws
	v[dsChemistry], v[dsCells], v[dsCapacity] = int64(d.Chemistry), int64(d.Cells), int64(d.CapacityAh)
	v[dsSensors], v[dsProtocol] = int64(d.TemperatureSensors), ProtocolVersion
	for i := range featureCount {
		v[dsFeatures+i] = int64(d.Features >> i & 1)
	}
	return specDescribe.encode(d.Address, &v)
}

// Message returns MsgDescribe.
func (Describe) Message() Message { return MsgDescribe }

// ParseDescribe decodes a Describe frame. A protocol version other than ProtocolVersion is an
// impossible value: the battery speaks another protocol.
func ParseDescribe(f can.Frame) (Describe, error) {
	var v raws
	if err := specDescribe.decode(f, &v); err != nil {
		return Describe{}, err
	}
	d := Describe{Address: uint8(f.ID), Chemistry: Chemistry(v[dsChemistry]), Cells: uint8(v[dsCells]),
		CapacityAh: uint16(v[dsCapacity]), TemperatureSensors: uint8(v[dsSensors])}
	for i := range featureCount {
		d.Features |= Features(v[dsFeatures+i]) << i
	}
	return d, nil
}

// Firmware (0x22) says what a battery runs: sent after its AssignAck and on CmdRequestDescribe.
//
//	byte 0  firmware major version, 0–99
//	byte 1  firmware minor version, 0–99 (2.03 is 2, 3)
//	byte 2  processor type, 1–254: the image a firmware update must be built for
//	        (changelog 1.38-02 "different processor types")
type Firmware struct {
	Address      uint8 // 1–64
	Major, Minor uint8
	Processor    uint8
}

// Frame encodes fw.
func (fw Firmware) Frame() can.Frame {
	v := raws{int64(fw.Major), int64(fw.Minor), int64(fw.Processor)}
	return specFirmware.encode(fw.Address, &v)
}

// Message returns MsgFirmware.
func (Firmware) Message() Message { return MsgFirmware }

// Version returns the version as "v2.03".
func (fw Firmware) Version() string { return fmt.Sprintf("v%d.%02d", fw.Major, fw.Minor) }

// ParseFirmware decodes a Firmware frame.
func ParseFirmware(f can.Frame) (Firmware, error) {
	var v raws
	if err := specFirmware.decode(f, &v); err != nil {
		return Firmware{}, err
	}
	return Firmware{Address: uint8(f.ID), Major: uint8(v[0]), Minor: uint8(v[1]), Processor: uint8(v[2])}, nil
}

// Assign (0x01), from the master to all, gives the battery with this serial its address.
//
//	bytes 0–1  serial prefix
//	bytes 2–5  serial number, un32
//	byte 6     address, 1–64
type Assign struct {
	Prefix  [2]byte
	Serial  uint32
	Address uint8
}

// Frame encodes a, sent to Broadcast.
func (a Assign) Frame() can.Frame {
	v := raws{int64(a.Prefix[0]), int64(a.Prefix[1]), int64(a.Serial), int64(a.Address)}
	return specAssign.encode(Broadcast, &v)
}

// Message returns MsgAssign.
func (Assign) Message() Message { return MsgAssign }

// ParseAssign decodes an Assign frame.
func ParseAssign(f can.Frame) (Assign, error) {
	var v raws
	if err := specAssign.decode(f, &v); err != nil {
		return Assign{}, err
	}
	return Assign{Prefix: [2]byte{byte(v[0]), byte(v[1])}, Serial: uint32(v[2]), Address: uint8(v[3])}, nil
}

// ReleaseReason says why the master releases addresses.
type ReleaseReason uint8

// Release reasons.
const (
	// ReleaseRestart: the master (re)starts registration and wants every battery to announce,
	// whatever address it kept (sent to all at start-up, changelog 1.38-05).
	ReleaseRestart ReleaseReason = 0
	// ReleaseConflict: two batteries answer on one address (docs/battery-bus.md §5.3).
	ReleaseConflict ReleaseReason = 1
	// ReleaseOther: any other reason, e.g. the user changed the bank.
	ReleaseOther ReleaseReason = 2
)

func (r ReleaseReason) String() string {
	switch r {
	case ReleaseRestart:
		return "restart"
	case ReleaseConflict:
		return "conflict"
	case ReleaseOther:
		return "other"
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Release (0x02), from the master to one address or all: every battery holding that address (or
// any address) forgets it and announces again.
//
//	byte 0  reason: 0 restart, 1 conflict, 2 other
type Release struct {
	To     uint8 // 1–64 or Broadcast
	Reason ReleaseReason
}

// Frame encodes r.
func (r Release) Frame() can.Frame {
	v := raws{int64(r.Reason)}
	return specRelease.encode(r.To, &v)
}

// Message returns MsgRelease.
func (Release) Message() Message { return MsgRelease }

// ParseRelease decodes a Release frame.
func ParseRelease(f can.Frame) (Release, error) {
	var v raws
	if err := specRelease.decode(f, &v); err != nil {
		return Release{}, err
	}
	return Release{To: uint8(f.ID), Reason: ReleaseReason(v[0])}, nil
}

// Heartbeat (0x04), from the master to all every HeartbeatPeriod. A battery's communication
// timeout (HeartbeatTimeout) runs from the last one it heard.
//
//	byte 0  master state, 0–18: VE_REG_LYNX_ION_BMS_STATE (protocol.md §4.3, events.State)
//	byte 1  sequence, un8, +1 per heartbeat, wrapping
//	byte 2  detail period, 1–10 s: how often every battery sends its CellVoltages and
//	        Temperatures, DetailPeriod of the bank (1 s until a battery hears a heartbeat)
type Heartbeat struct {
	State         uint8
	Sequence      uint8
	DetailSeconds uint8
}

// Frame encodes h, sent to Broadcast.
func (h Heartbeat) Frame() can.Frame {
	v := raws{int64(h.State), int64(h.Sequence), int64(h.DetailSeconds)}
	return specHeartbeat.encode(Broadcast, &v)
}

// Message returns MsgHeartbeat.
func (Heartbeat) Message() Message { return MsgHeartbeat }

// ParseHeartbeat decodes a Heartbeat frame.
func ParseHeartbeat(f can.Frame) (Heartbeat, error) {
	var v raws
	if err := specHeartbeat.decode(f, &v); err != nil {
		return Heartbeat{}, err
	}
	return Heartbeat{State: uint8(v[0]), Sequence: uint8(v[1]), DetailSeconds: uint8(v[2])}, nil
}

// Bus budget (design decision, docs/battery-bus.md §9).
const (
	// MaxDetailSeconds is the longest detail period a Heartbeat may set.
	MaxDetailSeconds = 10
	// DetailFrameBudget is how many CellVoltages and Temperatures frames per second the bank may
	// send: about 100 kbit/s, which keeps a full bank of 64 batteries below 60 % of the bus
	// with everything else it sends.
	DetailFrameBudget = 750
)

// IndexedFrames is how many CellVoltages (or Temperatures) frames carry count cells (sensors).
func IndexedFrames(count int) int { return (count + PerFrame - 1) / PerFrame }

// DetailPeriod is the detail period the master announces in Heartbeat for a bank whose
// batteries together send detailFrames CellVoltages and Temperatures frames per round (the sum of
// IndexedFrames of each battery's cells and sensors): the shortest whole number of seconds that
// keeps them within DetailFrameBudget per second, at least CellVoltagesPeriod (1 s) and at most
// MaxDetailSeconds. 64 batteries of 16 cells and 4 sensors (512 frames) get 1 s; of 32 cells and
// 32 sensors (1 408 frames), 2 s.
func DetailPeriod(detailFrames int) time.Duration {
	s := max(1, (detailFrames+DetailFrameBudget-1)/DetailFrameBudget)
	return time.Duration(min(s, MaxDetailSeconds)) * time.Second
}
