package postprocessing

import (
	"fmt"
	"math"
)

// SliceLLRDensity returns the density of Alice's LLR of coded slice j (0:
// the most significant) of slice reconciliation with bits slices of which
// disclosed are sent whole, at SNR snr (y = √snr·x + n with x and n
// standard normal, Bob's edges at √(1 + snr)·Φ⁻¹(k/2^bits), as
// SliceCapacities), when she holds the disclosed slices and slices 0 … j−1:
// the channel a slice's code sees, on a grid of LLRs (i − k)·delta, i from
// 0 to 2k, the end bins holding everything beyond ±k·delta. The LLR of a
// quadrature whose bit is 1 is counted negated, so that density evolution
// can assume the all-zero word (qcldpc.DDEConvergesOn).
//
// It integrates over x (midpoint rule, ±9 standard deviations, 6001
// points) and every interval Bob may have quantized y into, with the LLRs
// Alice's decoder computes (sliceLLR): no sampling. Its capacity,
// Σ p_i·(1 − log2(1 + e^{−l_i})), is the slice's capacity in
// SliceCapacities up to the grid's rounding (TestSliceLLRDensityCapacity).
func SliceLLRDensity(snr float64, bits, disclosed, j int, delta float64, k int) ([]float64, error) {
	switch {
	case !(snr > 0) || math.IsInf(snr, 0):
		return nil, fmt.Errorf("%w: SNR = %g, want a finite SNR > 0", ErrInvalidPlan, snr)
	case bits < MinSliceBits || bits > MaxSliceBits || disclosed < 0 || disclosed >= bits:
		return nil, fmt.Errorf("%w: %d slices with %d disclosed", ErrInvalidPlan, bits, disclosed)
	case j < 0 || j >= bits-disclosed:
		return nil, fmt.Errorf("%w: slice %d of %d coded ones", ErrInvalidPlan, j, bits-disclosed)
	case !(delta > 0) || math.IsInf(delta, 0) || k < 1 || k > 1<<16:
		return nil, fmt.Errorf("%w: LLR grid step %g, %d bins a side", ErrInvalidPlan, delta, k)
	}
	edges := sliceEdges(bits, math.Sqrt(1+snr))
	ch := Channel{Gain: math.Sqrt(snr), Noise: 1}
	// The disclosed slices are the least significant bits of the interval
	// index, slice i its bit bits−1−i.
	mask := (1<<disclosed - 1) | (1<<j-1)<<(bits-j)
	shift := bits - 1 - j
	d := make([]float64, 2*k+1)
	const points, span = 6001, 9.0
	for i := 0; i < points; i++ {
		x := -span + 2*span*(float64(i)+0.5)/points
		w := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) * 2 * span / points
		for q := 0; q < 1<<bits; q++ {
			p := w * intervalProb(edges[q], edges[q+1], ch.Gain*x, 1)
			if p == 0 {
				continue
			}
			l := sliceLLR(edges, bits, j, q, mask, x, ch)
			if (q>>shift)&1 == 1 {
				l = -l
			}
			b := int(math.Round(l / delta))
			d[k+max(-k, min(k, b))] += p
		}
	}
	sum := 0.0
	for _, p := range d {
		sum += p
	}
	for i := range d {
		d[i] /= sum
	}
	return d, nil
}
