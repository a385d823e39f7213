package events

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateCatalogue(t *testing.T) {
	// Rows of protocol.md §4.3: velib names S4, MG text S2 p.18, GUI text S8 PageBattery.
	tests := []struct {
		state   State
		value   uint8
		name    string
		mgText  string
		guiText string
	}{
		{StateWaitStart, 0, "WAIT_START", "Initializing", "Initializing"},
		{StateWaitShunt, 8, "WAIT_SHUNT", "Initializing", "Initializing"},
		{StateRunning, 9, "RUNNING", "Running", "Running"},
		{StateUnused11, 11, "UNUSED_11", "", ""},
		{StateShutdown, 12, "SHUTDOWN", "Shutting down", "Shutdown"},
		{StateStandby, 14, "STANDBY", "Standby", "Standby"},
		{StatePreCharging, 16, "PRE_CHARGING", "Pre-charging", "Pre-Charging"},
		{StateContactorCheck, 17, "CONTACTOR_CHECK", "", "Contactor check"},
		{StatePending, 18, "PENDING", "", "Pending"},
	}
	states := States()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.value, uint8(tt.state))
			info := states[tt.state]
			assert.Equal(t, tt.state, info.Value)
			assert.Equal(t, tt.name, info.Name)
			assert.Equal(t, tt.mgText, info.MGText)
			assert.Equal(t, tt.guiText, info.GUIText)
		})
	}
}

func TestStatesList(t *testing.T) {
	states := States()
	require.Len(t, states, 19) // 0..18, protocol.md §4.3
	for i, s := range states {
		assert.Equal(t, State(i), s.Value, "row %d", i)
	}
	states[0].Name = "changed"
	assert.Equal(t, "WAIT_START", States()[0].Name, "States returns a copy")
}

func TestStateString(t *testing.T) {
	tests := []struct {
		state State
		want  string
	}{
		{StateWaitStart, "Initializing"},
		{StateCalcBatVoltage, "Initializing"},
		{StateWaitShunt, "Initializing"},
		{StatePreCharging, "Pre-Charging"},
		{StateStandby, "Standby"},
		{StateGoingToRun, "Going to run"},
		{StateUnused11, "state 11"},
		{19, "state 19"},
		{77, "state 77"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.state.String())
	}
}

func TestStateInitializing(t *testing.T) {
	for s := State(0); s < 20; s++ {
		assert.Equal(t, s <= 8, s.Initializing(), "state %d", s) // S2 p.18: "0-8 = Initializing"
	}
}

func TestStateInfoJSON(t *testing.T) {
	b, err := json.Marshal(States()[StatePreCharging])
	require.NoError(t, err)
	assert.JSONEq(t, `{"value":16,"name":"PRE_CHARGING","mg_text":"Pre-charging","gui_text":"Pre-Charging"}`, string(b))
}
