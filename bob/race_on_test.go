//go:build race

package bob

// raceEnabled: the race detector slows the decoder tenfold; the heaviest
// property test takes smaller frames under it.
const raceEnabled = true
