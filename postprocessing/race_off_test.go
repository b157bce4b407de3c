//go:build !race

package postprocessing

// testRace is true under the race detector, which slows decoding tenfold or
// more: the longest tests then check smaller cases.
const testRace = false
