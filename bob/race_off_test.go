//go:build !race

package bob

const raceEnabled = false
