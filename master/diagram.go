package master

import "github.com/looplab/fsm"

// StateDiagram returns the master's top-level state machine as a Mermaid state diagram, generated
// from the looplab/fsm definition itself so that the picture cannot drift from the code
// (docs/master-states.md is checked against it by a golden test).
func StateDiagram() string {
	s, err := fsm.VisualizeWithType(newFSM(), fsm.MermaidStateDiagram)
	if err != nil {
		// MermaidStateDiagram is a type the library always knows.
		panic(err)
	}
	return s
}
