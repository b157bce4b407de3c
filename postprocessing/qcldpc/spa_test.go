package qcldpc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A plain floating-point flooding sum-product decoder over the expanded
// graph, with a syndrome target: only to check that a built code decodes
// near its threshold (the layered decoder is elsewhere).
type spa struct {
	n, m   int
	chkVar [][]int32 // variables of each check
}

func newSPA(c *Code) *spa {
	s := &spa{n: c.N(), m: c.M(), chkVar: make([][]int32, c.M())}
	for _, e := range c.Circulants {
		for j := 0; j < c.Z; j++ {
			r := int(e.Row)*c.Z + j
			s.chkVar[r] = append(s.chkVar[r], e.Col*int32(c.Z)+int32((j+int(e.Shift))%c.Z))
		}
	}
	return s
}

func (s *spa) decode(llr []float64, syn []uint8, iters int) ([]uint8, bool) {
	msg := make([][]float64, s.m) // check → variable
	for r := range msg {
		msg[r] = make([]float64, len(s.chkVar[r]))
	}
	post := append([]float64(nil), llr...)
	hard := make([]uint8, s.n)
	t := make([]float64, 64)
	for it := 0; it < iters; it++ {
		next := append([]float64(nil), llr...)
		for r, vs := range s.chkVar {
			t = t[:0]
			for i, v := range vs {
				x := post[v] - msg[r][i]
				t = append(t, math.Tanh(math.Max(-30, math.Min(30, x))/2))
			}
			for i := range vs {
				p := 1.0
				for k, tk := range t {
					if k != i {
						p *= tk
					}
				}
				if syn[r] == 1 {
					p = -p
				}
				p = math.Max(-1+1e-15, math.Min(1-1e-15, p))
				msg[r][i] = 2 * math.Atanh(p)
				next[vs[i]] += msg[r][i]
			}
		}
		post = next
		for v, l := range post {
			hard[v] = 0
			if l < 0 {
				hard[v] = 1
			}
		}
		ok := true
		for r, vs := range s.chkVar {
			var x uint8
			for _, v := range vs {
				x ^= hard[v]
			}
			if x != syn[r] {
				ok = false
				break
			}
		}
		if ok {
			return hard, true
		}
	}
	return hard, false
}

// blockFails draws Bob's bits, sends the syndrome, and has the decoder
// recover them from the BIAWGN channel at snr; it reports the failures.
func blockFails(t *testing.T, a *Adapted, snr float64, blocks int, seed uint64) int {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	dec := newSPA(a.Code)
	sigma := SigmaFromSNR(snr)
	fails := 0
	for b := 0; b < blocks; b++ {
		bits := make([]uint8, a.Code.N())
		for i := range bits {
			bits[i] = uint8(rng.IntN(2))
		}
		syn := make([]uint8, a.Code.M())
		if err := a.Code.Syndrome(bits, syn); err != nil {
			t.Fatal(err)
		}
		llr := make([]float64, len(bits))
		for i, x := range bits {
			y := 1 - 2*float64(x) + sigma*rng.NormFloat64()
			llr[i] = 2 * y / (sigma * sigma)
		}
		for _, p := range a.Punctured {
			llr[p] = 0
		}
		for _, p := range a.Shortened {
			llr[p] = 40 * (1 - 2*float64(bits[p]))
		}
		got, ok := dec.decode(llr, syn, 200)
		if ok {
			for i := range got {
				if got[i] != bits[i] {
					ok = false // a wrong word with the right syndrome
					break
				}
			}
		}
		if !ok {
			fails++
		}
	}
	return fails
}

// TestBuiltCodeDecodesNearThreshold: a rate-0.475 code of 2^16 bits
// (shortened, punctured column) decodes 0.5 dB above its PEXIT threshold
// and fails 0.5 dB below it.
func TestBuiltCodeDecodesNearThreshold(t *testing.T) {
	if testing.Short() {
		t.Skip("sum-product simulation; run without -short")
	}
	t.Parallel()
	d, err := ForRate(0.475, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Build(d)
	if err != nil {
		t.Fatal(err)
	}
	snr, err := ThresholdSNR(d)
	if err != nil {
		t.Fatal(err)
	}
	if f := blockFails(t, a, snr*math.Pow(10, 0.05), 3, 1); f > 1 {
		t.Errorf("%d of 3 blocks failed 0.5 dB above the threshold %.4f", f, snr)
	}
	if f := blockFails(t, a, snr*math.Pow(10, -0.05), 3, 2); f < 2 {
		t.Errorf("only %d of 3 blocks failed 0.5 dB below the threshold %.4f", f, snr)
	}
}
