// Package property_test drives the stations with random message sequences
// (pgregory.net/rapid) and checks them against a model of the protocol
// written independently of the table in transitions.go.
//
// The number of random cases follows rapid's flags: run longer with
//
//	go test ./property_test/ -rapid.checks=5000
//
// (default 100 per property; -rapid.steps bounds the steps per case).
package property_test
