//go:build race

package transport

// raceEnabled: the race detector slows signature checks tenfold; the
// byte-flip tests flip fewer bytes under it.
const raceEnabled = true
