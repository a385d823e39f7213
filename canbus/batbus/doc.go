// Package batbus is lynxsim's battery-bus protocol, version 1: the private CAN bus between the
// master and its 1 to 64 battery modules. MG's own protocol is not public (protocol.md §6 and
// §8 item 6: "The internal battery-bus protocol. [?]"), so lynxsim defines its own, and every
// layout, code, range, period and timeout here is a design decision of lynxsim, not a fact about
// MG hardware. docs/battery-bus.md is the specification, written for someone who implements it
// in real firmware; testdata/battery-bus.dbc (both at the root of the repository) describes every
// message for CAN tools, and a test holds it to this package.
//
// The bus runs at 250 kbit/s (Bitrate) with 29-bit identifiers:
//
//	bits 16–28  Tag, 0x0B1: the protocol
//	bits 8–15   Message: the message code; lower codes win arbitration
//	bits 0–7    address: the sending battery for a battery's message, the destination for the
//	            master's; 1–64 assigned, 0x80–0xFE temporary (TemporaryAddress), 0xFF all
//
// Every frame carries 8 data bytes; multi-byte fields are little-endian, as in VE.Can; bits no
// field covers are reserved and sent as 1; a not-available reading is all ones (unsigned) or the
// largest positive value (signed), as in VE.Can and NMEA 2000.
//
// What the package owns:
//
//   - one Go type per message, holding wire units (mV, 0.1 °C, …) so that every parsed frame
//     re-encodes to the same bytes, with an encoder (Frame) and a parser (ParseStatus, …). The
//     encoders and parsers allocate nothing. A parser checks the frame format, the identifier,
//     the length, the address, the range of every field, the reserved bits and the rules across
//     fields, and names what is wrong in a *FrameError; it never panics, whatever the frame;
//   - the signal table of every message (Specs, SpecOf), which the codecs run on and which the
//     DBC test compares with testdata/battery-bus.dbc; MessageSpec.Decode reads any message in
//     physical units for tools, and Check validates any frame;
//   - the registration helpers: TemporaryAddress, AnnounceOffset, CompareSerials, FormatSerial,
//     and CRC16, which also protects firmware blocks;
//   - the bus budget: DetailPeriod, the period of the detail messages the master announces;
//   - the protocol's periods, timeouts and bounds as constants.
//
// The behaviour around the messages (who sends what when, retries, conflict resolution) belongs
// to the master (master/registration.go) and the battery's firmware (battery/battery.go), which
// follow docs/battery-bus.md.
package batbus
