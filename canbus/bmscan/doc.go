// Package bmscan owns the wire format of the two 11-bit "CAN-bus BMS" protocols the MG Master LV
// (sold by Victron as the Lynx Ion BMS) can send instead of NMEA 2000: the SMA protocol and the
// General BMS protocol. Both run at 500 kbit/s with standard 11-bit identifiers, and the master
// transmits every frame every 500 ms (S2 p.3 §1.3.1 and p.6 §1.4.1).
//
// Sources. "S2" is the MG Master LV Communication guide v8 (2020-09-07, firmware 1.24), copied in
// ../shared/reference/Master-LV-communication-guide-EN-8000.txt; "S2 p.N" is its page N (pages are
// separated by form feeds in the text copy). The SMA protocol is S2 p.3–5 (§1.3), the General BMS
// protocol S2 p.6–10 (§1.4). The summary with other implementations is ../shared/protocol.md §5.
// Changelog items (../shared/changelog-items.tsv) are cited by id, e.g. 1.20-01.
//
// What the package owns:
//
//   - one physical-unit Go type per frame S2 lists for the Master LV, with a zero-allocation
//     encoder (Frame) and a parser (ParseLimits, ParseStatus, …) that checks the id, the frame
//     format and the data length and never panics: 0x351 Limits, 0x355 Status, 0x356 BasicInfo,
//     0x35A AlarmsWarnings, 0x35B Events, 0x35E Manufacturer, 0x35F SystemInfo, and the
//     General-only 0x373 CellInfo, 0x378 Energy, 0x380 SerialHigh, 0x381 SerialLow;
//   - the signal table of every frame (Specs), which the encoders and decoders run on and which
//     a test keeps identical to the DBC file testdata/mg_master_lv.dbc;
//   - protocol selection as data (Protocol, Protocol.Frames, Supports) and Cycle, the set of
//     frames sent in one 500 ms cycle;
//   - the 0x351 current-limit ceiling of changelog 1.20-01 (CurrentCeilingAmps, Limits.Clamp).
//
// Not available. S2 p.3 and p.6 mark an invalid value as 0xFFFF for un16, 0x8000 for sn16 and
// 0xFFFFFFFF for un32. In the Go types such a value is NaN: encoding NaN sends the invalid value,
// and decoding the invalid value gives NaN. Identifiers and bit fields have no invalid value.
//
// Out of range. Encoders round to the nearest step (halves away from zero) and saturate at the
// largest and smallest value the field can carry, never producing the invalid value by accident:
// 7000 V in a un16 0.1 V field is sent as 0xFFFE (6553.4 V), −5 V as 0.
//
// Decided by the caller, not here: which protocol is configured (General only exists from
// firmware 1.24, changelog 1.24-03, and from then on takes the place the SMA protocol had), the
// current ceiling (1.20-01, decided by the firmware profile), what the General alarm and warning
// summarise (1.34-08: "Updated SMA general warning with all warnings that are not handled"), and
// the system-voltage handling improved in 1.35-05, which the changelog does not describe further.
package bmscan
