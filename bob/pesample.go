package bob

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
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

// Wire sizes of PE_SYMBOLS_REQUEST and PE_SYMBOLS_RESPONSE, in bytes of
// JSON content: an index is at most its decimal digits plus ", "; a symbol
// is two floats (real and imaginary parts), each at most 24 characters in
// Python's shortest form ("-2.2250738585072014e-308") plus ", "; each
// content adds its braces, keys and brackets (peContentOverhead bounds them
// with room to spare).
const (
	peFloatBytes      = 24 + 2
	peSymbolBytes     = 2 * peFloatBytes
	peContentOverhead = 64
)

// PEChunkSize returns the largest number of indices one PE_SYMBOLS_REQUEST
// may carry in a frame of n symbols so that both the request and Alice's
// answer stay within maxContent bytes of content (0: the codec's default
// limit, messages.DefaultMaxContent). Too small a limit for even one
// symbol is an error.
func PEChunkSize(maxContent, n int) (int, error) {
	if maxContent <= 0 {
		maxContent = messages.DefaultMaxContent
	}
	index := len(strconv.Itoa(max(n-1, 0))) + 2
	per := max(index, peSymbolBytes)
	chunk := (maxContent - peContentOverhead) / per
	if chunk < 1 {
		return 0, fmt.Errorf("%w: a content limit of %d bytes leaves no room for one PE symbol (%d bytes)", ErrSampling, maxContent, per+peContentOverhead)
	}
	return chunk, nil
}

// PackRequests lays the sub-frames' index lists end to end, in order, and
// cuts the result into as few PE_SYMBOLS_REQUESTs as chunk indices each
// allow: ceil(total/chunk) requests, every one full but the last. The
// sampling stays per sub-frame (SampleIndices); only the number of round
// trips changes. The lists are ascending and their sub-frames follow each
// other, so every request is ascending too.
func PackRequests(lists [][]int, chunk int) [][]int {
	chunk = max(chunk, 1)
	total := 0
	for _, l := range lists {
		total += len(l)
	}
	all := make([]int, 0, total)
	for _, l := range lists {
		all = append(all, l...)
	}
	out := make([][]int, 0, (total+chunk-1)/chunk)
	for len(all) > chunk {
		out = append(out, all[:chunk:chunk])
		all = all[chunk:]
	}
	if len(all) > 0 {
		out = append(out, all)
	}
	return out
}

// compactKeySymbols moves the measurements that were not disclosed to the
// front of raw, converted to shot-noise units, and returns them: the
// frame's key symbols in ascending index order, without a second array of
// the frame's size. raw is overwritten. Disclosed indices outside raw are
// ignored.
func compactKeySymbols(raw []complex128, disclosed [][]int, cal pp.Calibration) []complex128 {
	mask := make([]bool, len(raw))
	for _, list := range disclosed {
		for _, i := range list {
			if i >= 0 && i < len(raw) {
				mask[i] = true
			}
		}
	}
	scale := complex(1/math.Sqrt(cal.ShotNoise()), 0)
	j := 0
	for i, d := range mask {
		if !d {
			raw[j] = raw[i] * scale
			j++
		}
	}
	return raw[:j:j]
}
