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
// One file per concern: fsm.go (states), registration.go, commands.go (acknowledged commands to
// one battery, retries, #39), update.go (battery firmware update, state 13), precharge.go,
// contactor.go (contactor check, opening sequence, stop, start, shutdown, restart, pending),
// interlock.go, protection.go (the diagnosis table), allowed.go (allowed-to-charge and -discharge
// from the cells), soc.go, limits.go (DVCC), balance.go, fans.go, policies.go (start-up grace,
// automatic shutdown), io.go (relays, button, charge detect), memory.go (NVM), history.go,
// daily.go (daily summary, value tracking), registers.go (VREG get and set, setting
// combinations), vecan.go (the VE.Can face) and bmsout.go (the SMA and General BMS output).
// Every version-dependent behaviour asks the firmware profile by changelog item.
//
// Combined systems (several masters on one VE.Can) are not modelled yet.
package master
