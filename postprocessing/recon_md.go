package postprocessing

import (
	"math"
)

// Multidimensional reconciliation in dimension 8 (Leverrier, Alléaume,
// Boutros, Zémor, Grangier, PRA 77, 042325 (2008)), on the octonions.
//
// Quadratures are taken 8 at a time. For each group Bob holds y ∈ R^8 and
// draws 8 uniform key bits b, u_i = (1 − 2b_i)/√8 (a unit vector). He sends
// the unit octonion α = u·ȳ' with y' = y/‖y‖, and ‖y‖. As the octonions are
// an alternative composition algebra, α·y' = (u·ȳ')·y' = u·(ȳ'·y') = u and
// left multiplication by a unit octonion is an isometry of R^8. Alice
// computes w = α·x: from y = a·x + n, w = (‖y‖/a)·u − (α·n)/a, a binary-input
// Gaussian channel with amplitude ‖y‖/(a√8) and noise variance σ²/a², so her
// LLR for b_i is 2·a·‖y‖·w_i/(√8·σ²). Bob's bits are uniform and independent
// of α and ‖y‖ (y' is uniform on the sphere and independent of ‖y‖ for
// Gaussian data), so disclosing them leaks nothing about the key beyond what
// Eve holds on y, which χ_BE bounds.

// mdDim is the dimension of multidimensional reconciliation.
const mdDim = 8

// quatMul multiplies quaternions (w, x, y, z) = w + xi + yj + zk.
func quatMul(p, q [4]float64) [4]float64 {
	return [4]float64{
		p[0]*q[0] - p[1]*q[1] - p[2]*q[2] - p[3]*q[3],
		p[0]*q[1] + p[1]*q[0] + p[2]*q[3] - p[3]*q[2],
		p[0]*q[2] - p[1]*q[3] + p[2]*q[0] + p[3]*q[1],
		p[0]*q[3] + p[1]*q[2] - p[2]*q[1] + p[3]*q[0],
	}
}

func quatConj(p [4]float64) [4]float64 { return [4]float64{p[0], -p[1], -p[2], -p[3]} }

// octMul multiplies octonions by the Cayley–Dickson rule on pairs of
// quaternions: (a, b)·(c, d) = (a·c − d̄·b, d·a + b·c̄).
func octMul(p, q []float64) [8]float64 {
	a := [4]float64{p[0], p[1], p[2], p[3]}
	b := [4]float64{p[4], p[5], p[6], p[7]}
	c := [4]float64{q[0], q[1], q[2], q[3]}
	d := [4]float64{q[4], q[5], q[6], q[7]}
	ac, db := quatMul(a, c), quatMul(quatConj(d), b)
	da, bc := quatMul(d, a), quatMul(b, quatConj(c))
	return [8]float64{
		ac[0] - db[0], ac[1] - db[1], ac[2] - db[2], ac[3] - db[3],
		da[0] + bc[0], da[1] + bc[1], da[2] + bc[2], da[3] + bc[3],
	}
}

func octConj(p []float64) [8]float64 {
	return [8]float64{p[0], -p[1], -p[2], -p[3], -p[4], -p[5], -p[6], -p[7]}
}

func norm8(v []float64) float64 {
	s := 0.0
	for _, x := range v[:mdDim] {
		s += x * x
	}
	return math.Sqrt(s)
}

// mdEncode computes Bob's disclosure for one block: bits are his key bits
// (drawn uniformly), y his quadratures (len a multiple of 8). It fills
// rotation (len(y)) and norms (len(y)/8).
func mdEncode(bits []uint8, y, rotation, norms []float64) {
	inv := 1 / math.Sqrt(mdDim)
	var u, yc [mdDim]float64
	for g := 0; g < len(y)/mdDim; g++ {
		yg := y[g*mdDim : (g+1)*mdDim]
		ny := norm8(yg)
		norms[g] = ny
		if ny == 0 { // measure zero; any unit α will do
			ny = 1
			yg = []float64{1, 0, 0, 0, 0, 0, 0, 0}
		}
		for i := range u {
			u[i] = inv * float64(1-2*int(bits[g*mdDim+i]&1))
			yc[i] = yg[i] / ny
		}
		yb := octConj(yc[:])
		alpha := octMul(u[:], yb[:])
		copy(rotation[g*mdDim:(g+1)*mdDim], alpha[:])
	}
}

// mdLLR computes Alice's LLRs for one block from her quadratures x and Bob's
// disclosure (rotation, norms), for the channel y = Gain·x + n.
func mdLLR(x, rotation, norms []float64, ch Channel, llr []float64) {
	scale := 2 * ch.Gain / (math.Sqrt(mdDim) * ch.Noise)
	for g := 0; g < len(x)/mdDim; g++ {
		w := octMul(rotation[g*mdDim:(g+1)*mdDim], x[g*mdDim:(g+1)*mdDim])
		k := scale * norms[g]
		for i, v := range w {
			llr[g*mdDim+i] = k * v
		}
	}
}

// MDCapacity is the capacity in bits per quadrature of the channel that
// multidimensional reconciliation in dimension 8 presents to Alice, at SNR
// snr per quadrature with Gaussian modulation: the most it can reconcile.
//
// Writing Alice's quadratures through the backward channel, x = c·y + m
// with m independent of y (Gaussian modulation), gives α·x = c·‖y‖·u + α·m,
// and α·m is Gaussian with m's variance and independent of u and ‖y‖ (left
// multiplication by the unit octonion α, itself independent of m, is an
// isometry). So each group of 8 is a binary-input Gaussian channel whose
// SNR is snr·X with X = ‖y‖²/E‖y‖² distributed as χ²₈/8: a fading channel
// whose state Alice knows (the norms), of capacity E[C_BI(snr·X)], below
// C_BI(snr) by Jensen's inequality. The loss is small at low SNR, where
// C_BI is nearly linear (0.9964·½·log2(1 + snr) at SNR 0.03), and large at
// high SNR: 0.919·½·log2(1 + snr) at SNR 1 and 0.956 at SNR 0.5, the
// ceilings of β with binary codes under this reconciliation.
// TestMDCapacityMatchesLLRs checks it against the mutual information of
// the LLRs mdLLR computes on simulated data.
func MDCapacity(snr float64) float64 {
	if !(snr > 0) {
		return 0
	}
	return mdFading(snr, 400, BIAWGNCapacity)
}

// mdFading returns E[c(snr·X)] for X distributed as χ²₈/8, by the midpoint
// rule with the given number of points on X ∈ [0, 8] (P(χ²₈ > 64) <
// 10^-10); the density of χ²₈/8 is 8·f(8x) with f(y) = y³·e^{−y/2}/96.
func mdFading(snr float64, points int, c func(float64) float64) float64 {
	const top = 8.0
	step := top / float64(points)
	sum, mass := 0.0, 0.0
	for i := 0; i < points; i++ {
		x := (float64(i) + 0.5) * step
		y := mdDim * x
		w := mdDim * y * y * y * math.Exp(-y/2) / 96 * step
		sum += w * c(snr*x)
		mass += w
	}
	return sum / mass
}

// BIAWGNCapacity returns the capacity in bits of the binary-input Gaussian
// channel y = ±√snr + n, n standard normal: the most multidimensional
// reconciliation can reconcile per quadrature. Integrated numerically
// (midpoint rule over ±12 standard deviations, 4000 points).
func BIAWGNCapacity(snr float64) float64 {
	return binaryInputCapacity(snr, 12, func(a, z float64) float64 {
		// log2(1 + e^{−2a(a+z)}) without overflow
		t := -2 * a * (a + z)
		if t > 30 {
			return t / math.Ln2
		}
		return math.Log1p(math.Exp(t)) / math.Ln2
	})
}
