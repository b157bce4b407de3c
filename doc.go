// Package qosst owns the QOSST protocol table: transitions.go lists, as data,
// every (state, request) pair of the protocol with the responses Alice may
// give and the state each leads to, plus the rules that hold in every state.
// It is the single source that Alice's engine, Bob's tracker, the
// conformance checker, the tests and the generated diagrams read: the legal
// requests of each state, the states holding a frame and the resolved
// transitions are derived here (Table). The state names and docs live in
// package states; the engine that runs the table lives in package fsm.
//
//go:generate go run ./fsm/internal/gendiagrams -out docs/diagrams -doc docs/protocol.md
package qosst
