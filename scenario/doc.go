// Package scenario owns whole systems: it builds the master, the batteries, the plant and the
// buses between them from one configuration, wires them to the driver in a fixed order, and
// records the buses. Scenario files, expectations and the regression suite build on it (the
// scenario issue); the `lynxsim run` command uses it directly.
package scenario
