package events

import "fmt"

// State is a value of VE_REG_LYNX_ION_BMS_STATE (0x0371, un8), the master's top-level state.
type State uint8

// The values are protocol.md §4.3 (S4 VE_VDATA_ION_BMS_STATE_*, S2 p.18, S8 PageBattery).
const (
	StateWaitStart       State = 0
	StateBeforeBoot      State = 1
	StateBeforeBootDelay State = 2
	StateWaitBoot        State = 3
	StateInit            State = 4
	StateMeasBatVoltage  State = 5
	StateCalcBatVoltage  State = 6
	StateWaitBusVoltage  State = 7
	StateWaitShunt       State = 8
	StateRunning         State = 9
	StateError           State = 10
	StateUnused11        State = 11
	StateShutdown        State = 12
	StateSlaveUpdating   State = 13
	StateStandby         State = 14
	StateGoingToRun      State = 15
	StatePreCharging     State = 16
	StateContactorCheck  State = 17
	StatePending         State = 18
)

// StateInfo describes one state value.
type StateInfo struct {
	Value State `json:"value"`
	// Name is velib's name without the VE_VDATA_ION_BMS_STATE_ prefix, e.g. "PRE_CHARGING".
	// velib has no 17 and 18; lynxsim names them from the GUI text.
	Name string `json:"name"`
	// MGText is MG's wording (S2 p.18); "" where S2 says "Not implemented" or is silent.
	MGText string `json:"mg_text"`
	// GUIText is what the Venus OS battery page shows (S8 PageBattery); "" where it shows none.
	GUIText string `json:"gui_text"`
}

// initializing is the text S2 ("0-8 = Initializing") and S8 give for every start-up step.
const initializing = "Initializing"

// stateTable is protocol.md §4.3 row by row, one row per value in order.
var stateTable = []StateInfo{
	{Value: StateWaitStart, Name: "WAIT_START", MGText: initializing, GUIText: initializing},
	{Value: StateBeforeBoot, Name: "BEFORE_BOOT", MGText: initializing, GUIText: initializing},
	{Value: StateBeforeBootDelay, Name: "BEFORE_BOOT_DELAY", MGText: initializing, GUIText: initializing},
	{Value: StateWaitBoot, Name: "WAIT_BOOT", MGText: initializing, GUIText: initializing},
	{Value: StateInit, Name: "INIT", MGText: initializing, GUIText: initializing},
	{Value: StateMeasBatVoltage, Name: "MEAS_BAT_VOLTAGE", MGText: initializing, GUIText: initializing},
	{Value: StateCalcBatVoltage, Name: "CALC_BAT_VOLTAGE", MGText: initializing, GUIText: initializing},
	{Value: StateWaitBusVoltage, Name: "WAIT_BUS_VOLTAGE", MGText: initializing, GUIText: initializing},
	{Value: StateWaitShunt, Name: "WAIT_SHUNT", MGText: initializing, GUIText: initializing},
	{Value: StateRunning, Name: "RUNNING", MGText: "Running", GUIText: "Running"},
	{Value: StateError, Name: "ERROR", MGText: "Error", GUIText: "Error"},
	// S2: not implemented; the GUI treats 11 as Battery_State_Unknown and omits it (S8).
	{Value: StateUnused11, Name: "UNUSED_11"},
	{Value: StateShutdown, Name: "SHUTDOWN", MGText: "Shutting down", GUIText: "Shutdown"},
	{Value: StateSlaveUpdating, Name: "SLAVE_UPDATING", MGText: "Updating battery firmware", GUIText: "Updating"},
	{Value: StateStandby, Name: "STANDBY", MGText: "Standby", GUIText: "Standby"},
	{Value: StateGoingToRun, Name: "GOING_TO_RUN", MGText: "Going to running state", GUIText: "Going to run"},
	{Value: StatePreCharging, Name: "PRE_CHARGING", MGText: "Pre-charging", GUIText: "Pre-Charging"},
	// S2 (firmware 1.24) predates 17 and 18; only the GUI names them.
	{Value: StateContactorCheck, Name: "CONTACTOR_CHECK", GUIText: "Contactor check"},
	{Value: StatePending, Name: "PENDING", GUIText: "Pending"},
}

// States returns every state value in order, 0 to 18. The slice is a copy.
func States() []StateInfo { return append([]StateInfo(nil), stateTable...) }

// String gives the GUI text, e.g. "Pre-Charging", and "Initializing" for 0 to 8. A value the
// GUI shows no text for (11, or one above 18) gives "state 11".
func (s State) String() string {
	if int(s) < len(stateTable) && stateTable[s].GUIText != "" {
		return stateTable[s].GUIText
	}
	return fmt.Sprintf("state %d", uint8(s))
}

// Initializing reports whether s is one of the start-up steps 0 to 8, which S2 and the GUI
// both show as "Initializing".
func (s State) Initializing() bool { return s <= StateWaitShunt }
