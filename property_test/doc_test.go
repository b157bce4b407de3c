// Package property_test drives the stations with random message sequences
// (pgregory.net/rapid) and checks them against a model of the protocol
// written independently of the table in transitions.go, and runs Alice and
// Bob over a link that drops, delays and corrupts bytes.
//
// The number of random cases follows rapid's flags. The request-sequence
// property runs -rapid.checks sessions (100 by default); the faulty-link
// property runs one frame per 20 checks (5 frames by default, 2 under the
// race detector). Run longer with
//
//	go test ./property_test/ -rapid.checks=2000
//
// and replay a failure with the -rapid.seed or -rapid.failfile it prints.
package property_test
