package postprocessing

import "math"

// quadratureVariance returns the sample variance of the quadratures a
// detection measures (both parts for heterodyne, pooled, each about its own
// mean; the real part only for homodyne) and its degrees of freedom.
func quadratureVariance(det Detection, samples []complex128) (variance float64, dof int) {
	n := len(samples)
	if n < 2 {
		return math.NaN(), 0
	}
	var mr, mi float64
	for _, s := range samples {
		mr += real(s)
		mi += imag(s)
	}
	mr /= float64(n)
	mi /= float64(n)
	var ss float64
	if det == Heterodyne {
		for _, s := range samples {
			dr, di := real(s)-mr, imag(s)-mi
			ss += dr*dr + di*di
		}
		dof = 2 * (n - 1)
	} else {
		for _, s := range samples {
			dr := real(s) - mr
			ss += dr * dr
		}
		dof = n - 1
	}
	return ss / float64(dof), dof
}

// regressionSums are the sums behind the zero-intercept regression of Bob's
// quadratures r on Alice's x, over the quadratures the detection measures.
type regressionSums struct {
	n             int // quadrature samples (2 per symbol for heterodyne)
	sxx, sxy, syy float64
}

func regressionSumsOf(det Detection, x, r []complex128) regressionSums {
	var sxx, sxy, syy float64
	r = r[:len(x)]
	if det == Heterodyne {
		for i, a := range x {
			b := r[i]
			ar, ai, br, bi := real(a), imag(a), real(b), imag(b)
			sxx += ar*ar + ai*ai
			sxy += ar*br + ai*bi
			syy += br*br + bi*bi
		}
		return regressionSums{n: 2 * len(x), sxx: sxx, sxy: sxy, syy: syy}
	}
	for i, a := range x {
		ar, br := real(a), real(r[i])
		sxx += ar * ar
		sxy += ar * br
		syy += br * br
	}
	return regressionSums{n: len(x), sxx: sxx, sxy: sxy, syy: syy}
}

// varianceOfVariance is the variance of a Gaussian sample variance v with
// dof degrees of freedom: 2v²/dof.
func varianceOfVariance(v float64, dof int) float64 {
	return 2 * v * v / float64(dof)
}
