// Package states owns the states of a QOSST session: one file per protocol
// phase declares its state(s), the request codes legal there and a one-line
// doc. The registry (All, Legal, Doc, Phase, HasFrame) is what the
// transition table, the engine, the tests and the diagrams read.
package states

import (
	"slices"

	"github.com/qosst/qosst-go/messages"
)

// State is the state of one QOSST session, as seen by Alice (Bob mirrors it).
type State string

// String returns the state's name.
func (s State) String() string { return string(s) }

// info declares one state.
type info struct {
	state    State
	phase    string
	doc      string
	legal    []messages.Code // request codes legal in this state, besides Always
	hasFrame bool            // a frame is in progress in this state
	always   bool            // the codes of Always are legal here too
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

// legalCodes holds Legal's answer per state, computed once.
var legalCodes = func() map[State][]messages.Code {
	m := make(map[State][]messages.Code, len(registry))
	for s, i := range registry {
		out := append([]messages.Code(nil), i.legal...)
		if i.always {
			out = append(out, always...)
		}
		slices.Sort(out)
		m[s] = slices.Compact(out)
	}
	return m
}()

// Legal returns the request codes legal in s, ascending: the codes of its
// phase plus Always (except in closed, where nothing is legal). It returns
// nil for an undeclared state. The slice is a fresh copy.
func Legal(s State) []messages.Code {
	l, ok := legalCodes[s]
	if !ok {
		return nil
	}
	return slices.Clone(l)
}

// IsLegal reports whether code is a legal request in s.
func IsLegal(s State, code messages.Code) bool {
	_, found := slices.BinarySearch(legalCodes[s], code)
	return found
}

// Doc returns the one-line description of s ("" for an undeclared state).
func Doc(s State) string { return registry[s].doc }

// Phase returns the name of the protocol phase that declares s.
func Phase(s State) string { return registry[s].phase }

// HasFrame reports whether a frame is in progress in s, so that leaving s
// for a state without a frame drops (or completes) it.
func HasFrame(s State) bool { return registry[s].hasFrame }

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
