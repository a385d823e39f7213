// Package events owns the catalogue of what the Lynx Ion BMS reports: the error numbers of
// VE_REG_BMS_ERROR (0x2101), the bits of VE_REG_BMS_FLAGS (0x2100) and the states of
// VE_REG_LYNX_ION_BMS_STATE (0x0371), each with the firmware versions in which it exists; and the
// master's event log.
//
// Sources: ../shared/protocol.md §4 (S2 MG Master LV communication guide, S4/S5 velib and veutil)
// and the firmware changelog (S19).
package events
