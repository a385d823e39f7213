package master

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// docs/master-states.md shows the state machine the code has: run go test ./master -update after
// changing the FSM, and review the diagram in the diff.
func TestStateDiagramDoc(t *testing.T) {
	doc := "# The master's top-level states\n\n" +
		"Generated from `master.StateDiagram()` (the looplab/fsm definition in `master/fsm.go`) by\n" +
		"`go test ./master -update`; a test fails when this file and the code disagree. State names map\n" +
		"to VE_REG_LYNX_ION_BMS_STATE values as `Master.State` reports them (protocol.md §4.3).\n\n" +
		"```mermaid\n" + StateDiagram() + "```\n"
	path := filepath.Join("..", "docs", "master-states.md")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./master -update to create it")
	assert.Equal(t, string(want), doc)
}
