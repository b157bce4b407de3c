//go:build race

package property_test

// raceEnabled: the race detector slows the numerics of a frame tenfold.
const raceEnabled = true
