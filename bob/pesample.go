package bob

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// ErrSampling reports parameters that do not allow a PE sample.
var ErrSampling = errors.New("bob: invalid parameter-estimation sampling")

// SampleIndices chooses the symbols disclosed for parameter estimation, as
// qosst-bob does: the frame [0, n) is split into requests contiguous
// sub-frames of (nearly) equal size, and from each sub-frame
// round(ratio·size) distinct indices are drawn uniformly at random. It
// returns one ascending list per sub-frame, i.e. per PE_SYMBOLS_REQUEST.
// Selection sampling (Knuth's algorithm S) gives sorted indices in one pass
// without a permutation of the frame.
func SampleIndices(rng *rand.Rand, n int, ratio float64, requests int) ([][]int, error) {
	switch {
	case n <= 0:
		return nil, fmt.Errorf("%w: %d symbols", ErrSampling, n)
	case !(ratio > 0 && ratio < 1):
		return nil, fmt.Errorf("%w: ratio %g not in (0, 1)", ErrSampling, ratio)
	case requests <= 0 || requests > n:
		return nil, fmt.Errorf("%w: %d requests for %d symbols", ErrSampling, requests, n)
	}
	out := make([][]int, 0, requests)
	for r := 0; r < requests; r++ {
		lo, hi := r*n/requests, (r+1)*n/requests
		size := hi - lo
		want := int(math.Round(ratio * float64(size)))
		if want < 1 {
			want = 1
		}
		if want >= size {
			return nil, fmt.Errorf("%w: ratio %g leaves no key symbol in a sub-frame of %d", ErrSampling, ratio, size)
		}
		sel := make([]int, 0, want)
		for i := lo; i < hi && len(sel) < want; i++ {
			// Choose i with probability (still needed)/(still available).
			if rng.IntN(hi-i) < want-len(sel) {
				sel = append(sel, i)
			}
		}
		out = append(out, sel)
	}
	return out, nil
}

// KeyIndices returns the indices of [0, n) that were not disclosed,
// ascending: the key symbols of the frame. Disclosed indices outside [0, n)
// are ignored.
func KeyIndices(n int, disclosed [][]int) []int {
	mask := make([]bool, n)
	count := n
	for _, list := range disclosed {
		for _, i := range list {
			if i >= 0 && i < n && !mask[i] {
				mask[i] = true
				count--
			}
		}
	}
	out := make([]int, 0, count)
	for i, d := range mask {
		if !d {
			out = append(out, i)
		}
	}
	return out
}
