package falcon

// Arithmetic in Z_Q[x]/(x^N + 1) through the number-theoretic transform:
// a negacyclic product is a cyclic one after weighting coefficient i by
// psi^i, psi a primitive 2N-th root of unity modulo Q.

var (
	psiPow, psiInvPow [N]uint32 // psi^i, psi^-i
	omegaPow          [N / 2]uint32
	omegaInvPow       [N / 2]uint32
	invN              uint32
	bitrev            [N]uint16
)

func mulq(a, b uint32) uint32 { return a * b % Q }

func powq(a, e uint32) uint32 {
	r := uint32(1)
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = mulq(r, a)
		}
		a = mulq(a, a)
	}
	return r
}

func invq(a uint32) uint32 { return powq(a, Q-2) }

func init() {
	// 11 generates Z_Q^*, so 11^((Q-1)/2N) has order exactly 2N.
	psi := powq(11, (Q-1)/(2*N))
	if powq(psi, N) != Q-1 {
		panic("falcon: no primitive 2N-th root of unity")
	}
	psiInv := invq(psi)
	p, pi := uint32(1), uint32(1)
	for i := 0; i < N; i++ {
		psiPow[i], psiInvPow[i] = p, pi
		p, pi = mulq(p, psi), mulq(pi, psiInv)
	}
	omega, omegaInv := mulq(psi, psi), mulq(psiInv, psiInv)
	w, wi := uint32(1), uint32(1)
	for i := 0; i < N/2; i++ {
		omegaPow[i], omegaInvPow[i] = w, wi
		w, wi = mulq(w, omega), mulq(wi, omegaInv)
	}
	invN = invq(N)
	for i := 0; i < N; i++ {
		r := 0
		for b := 0; b < LogN; b++ {
			r |= (i >> b & 1) << (LogN - 1 - b)
		}
		bitrev[i] = uint16(r)
	}
}

// cyclic transforms a in place (radix-2, bit-reversed input order),
// with the twiddles of tw (powers of a primitive N-th root).
func cyclic(a *[N]uint32, tw *[N / 2]uint32) {
	for i := 0; i < N; i++ {
		if j := int(bitrev[i]); i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= N; size <<= 1 {
		half, step := size/2, N/size
		for start := 0; start < N; start += size {
			for k := 0; k < half; k++ {
				u := a[start+k]
				v := mulq(a[start+k+half], tw[k*step])
				a[start+k] = (u + v) % Q
				a[start+k+half] = (u + Q - v) % Q
			}
		}
	}
}

// ntt maps coefficients in [0, Q) to the evaluation domain.
func ntt(a *[N]uint32) {
	for i := range a {
		a[i] = mulq(a[i], psiPow[i])
	}
	cyclic(a, &omegaPow)
}

// intt is the inverse of ntt.
func intt(a *[N]uint32) {
	cyclic(a, &omegaInvPow)
	for i := range a {
		a[i] = mulq(mulq(a[i], invN), psiInvPow[i])
	}
}

// reduce maps integer coefficients to [0, Q).
func reduce(f []int64) [N]uint32 {
	var out [N]uint32
	for i, v := range f {
		m := v % Q
		if m < 0 {
			m += Q
		}
		out[i] = uint32(m)
	}
	return out
}

// divq returns g/f in Z_Q[x]/(x^N + 1), or false when f is not invertible.
func divq(g, f []int64) ([N]uint32, bool) {
	fn, gn := reduce(f), reduce(g)
	ntt(&fn)
	ntt(&gn)
	for i := range fn {
		if fn[i] == 0 {
			return [N]uint32{}, false
		}
		gn[i] = mulq(gn[i], invq(fn[i]))
	}
	intt(&gn)
	return gn, true
}
