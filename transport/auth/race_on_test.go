//go:build race

package auth_test

// raceEnabled: the race detector slows signature checks tenfold; the
// byte-flip tests flip fewer bytes under it.
const raceEnabled = true
