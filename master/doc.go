// Package master owns the Lynx Ion BMS master node: the firmware that registers the batteries on
// the battery bus, pre-charges and closes the main contactor, counts SOC, sets the DVCC limits
// and flags, and reports to a GX over VE.Can.
//
// The top-level states are a looplab/fsm whose states are numbered as VE_REG_LYNX_ION_BMS_STATE
// (protocol.md §4.3); substates, timers and guards are plain Go beside it, and transitions are
// fired from Step, never from inside FSM callbacks. The master never reads the wall clock and
// never touches a socket: it is stepped with the time, and talks through canbus.Bus attachments
// and the Hardware interface.
//
// PROVISIONAL: this is the first vertical slice (initializing → pre-charging → going to run →
// running, the error state, SOC by coulomb counting, simple limits, the state/SOC/flags/limits
// registers and PGN 127508). The master issue builds the full firmware behaviour on this shape.
package master
