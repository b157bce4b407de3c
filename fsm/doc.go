// Package fsm owns the protocol engine: one finite-state machine per
// session, built on github.com/looplab/fsm from the table of package qosst.
//
// Alice's side is the Engine: Dispatch takes an authenticated request and
// returns the reply to send. The derived answers (UNKOWN_COMMAND,
// UNEXPECTED_COMMAND, INVALID_CONTENT, AUTHENTICATION_INVALID) fall out of the
// table and the typed validation of package messages, never out of a
// handler; a handler only runs for a request legal in the current state with
// valid content, and its answer must be a row of the table (ErrOffTable
// otherwise). Bob's side is the Tracker: it says whether a request is legal in
// Bob's state and whether Alice's response is a row for it.
//
// The package also renders the table as Mermaid and Graphviz diagrams.
package fsm
