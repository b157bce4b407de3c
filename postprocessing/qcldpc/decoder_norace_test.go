//go:build !race

package qcldpc

// testRace is true under the race detector, which slows the decoder's inner
// loops tenfold or more: the longest tests then decode fewer blocks.
const testRace = false
