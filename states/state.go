// Package states owns the names of the states of a QOSST session: one file
// per protocol phase declares its state(s) with a one-line doc. What is legal
// in a state, and whether it holds a frame, follows from the rows of the
// transition table (package qosst), never from here.
package states

import "slices"

// State is the state of one QOSST session, as seen by Alice (Bob mirrors it).
type State string

// String returns the state's name.
func (s State) String() string { return string(s) }

// info declares one state.
type info struct {
	state State
	phase string
	doc   string
}

// phases lists the protocol phases in protocol order; each comes from the
// file of this package named after it.
var phases = [][]info{
	identificationPhase,
	initializationPhase,
	polarisationPhase,
	qiePhase,
	parametersEstimationPhase,
	errorCorrectionPhase,
	privacyAmplificationPhase,
	sessionEndPhase,
}

var registry = func() map[State]info {
	m := make(map[State]info)
	for _, p := range phases {
		for _, i := range p {
			if _, dup := m[i.state]; dup {
				panic("states: state declared twice: " + string(i.state))
			}
			m[i.state] = i
		}
	}
	return m
}()

// All returns every state in protocol order, connected first. The slice is
// a fresh copy.
func All() []State {
	var out []State
	for _, p := range phases {
		for _, i := range p {
			out = append(out, i.state)
		}
	}
	return out
}

// Valid reports whether s is a declared state.
func Valid(s State) bool {
	_, ok := registry[s]
	return ok
}

// Doc returns the one-line description of s ("" for an undeclared state).
func Doc(s State) string { return registry[s].doc }

// Phase returns the name of the protocol phase that declares s.
func Phase(s State) string { return registry[s].phase }

// Phases returns the protocol phase names in protocol order.
func Phases() []string {
	var out []string
	for _, p := range phases {
		if len(p) > 0 && !slices.Contains(out, p[0].phase) {
			out = append(out, p[0].phase)
		}
	}
	return out
}

// InPhase returns the states declared by the named phase, in order.
func InPhase(phase string) []State {
	var out []State
	for _, s := range All() {
		if Phase(s) == phase {
			out = append(out, s)
		}
	}
	return out
}
