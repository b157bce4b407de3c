package postprocessing

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The capacity of multidimensional reconciliation's channel, derived in
// MDCapacity as a fading binary-input Gaussian channel, against the mutual
// information of the LLRs Alice actually computes (mdEncode, mdLLR) on
// simulated Gaussian data: for exact LLRs L of uniform bits b,
// I(b; L) = 1 − E[log2(1 + e^{−(1−2b)·L})]. At SNR 1 the two agree and sit
// clearly below the BIAWGN capacity at the same SNR; at SNR 0.16 all three
// nearly coincide.
func TestMDCapacityMatchesLLRs(t *testing.T) {
	const n = 1 << 20 // quadratures; the Monte Carlo error of the mean is about 10^-3
	rng := rand.New(rand.NewPCG(11, 12))
	for _, snr := range []float64{1, 0.16} {
		ch := Channel{Gain: 1, Noise: 1 / snr} // Va = 1
		x, y := make([]float64, n), make([]float64, n)
		bits := make([]uint8, n)
		for i := range x {
			x[i] = rng.NormFloat64()
			y[i] = ch.Gain*x[i] + math.Sqrt(ch.Noise)*rng.NormFloat64()
			bits[i] = uint8(rng.IntN(2))
		}
		rot, norms, llr := make([]float64, n), make([]float64, n/8), make([]float64, n)
		mdEncode(bits, y, rot, norms)
		mdLLR(x, rot, norms, ch, llr)
		loss := 0.0
		for i, l := range llr {
			s := l * float64(1-2*int(bits[i]))
			if s < -30 {
				loss += -s / math.Ln2
			} else {
				loss += math.Log1p(math.Exp(-s)) / math.Ln2
			}
		}
		got := 1 - loss/n
		want, flat := MDCapacity(snr), BIAWGNCapacity(snr)
		t.Logf("SNR %g: I(b; L) = %.4f, MDCapacity %.4f, BIAWGN %.4f, Gaussian %.4f", snr, got, want, flat, GaussianCapacity(snr))
		if math.Abs(got-want) > 0.004 {
			t.Errorf("SNR %g: the LLRs carry %.4f bit, MDCapacity says %.4f", snr, got, want)
		}
		if snr == 1 && !(flat-got > 0.02) {
			t.Errorf("SNR 1: the LLRs carry %.4f bit, not clearly below BIAWGN's %.4f", got, flat)
		}
	}
	// The ceilings of β quoted in the docs.
	for _, c := range []struct{ snr, beta float64 }{{1, 0.919}, {0.5, 0.956}, {0.16, 0.984}, {0.08, 0.991}, {0.03, 0.996}} {
		if got := MDCapacity(c.snr) / GaussianCapacity(c.snr); math.Abs(got-c.beta) > 0.001 {
			t.Errorf("SNR %g: MDCapacity/I_AB = %.4f, want %.3f", c.snr, got, c.beta)
		}
	}
}
