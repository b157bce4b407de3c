//go:build !race

package property_test

const raceEnabled = false
