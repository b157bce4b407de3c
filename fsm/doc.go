// Package fsm owns the protocol engine: one finite-state machine per
// session, built on github.com/looplab/fsm from a table of package qosst
// (qosst.Protocol() unless told otherwise). The machine's events are the
// table's (request, response) pairs; what a state holds is taken and given
// back in the machine's enter and leave callbacks, and the frame's fate
// (begun, dropped, completed) in its after-event callback.
//
// Alice's side is the Engine: Dispatch takes an authenticated request and
// returns the reply to send. The derived answers (UNKOWN_COMMAND,
// UNEXPECTED_COMMAND, INVALID_CONTENT, AUTHENTICATION_INVALID) fall out of the
// table and the typed validation of package messages, never out of a
// handler; a handler only runs for a request legal in the current state with
// valid content, and its answer must be an event the machine can take. A
// handler that breaks what the table guarantees is a programming error (an
// *InvariantError), never an ordinary ABORT. Bob's side is the Tracker: it
// says whether a request is legal in Bob's state and whether Alice's
// response is a row for it.
//
// The package also renders a table as Mermaid and Graphviz diagrams.
package fsm
