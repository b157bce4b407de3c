package postprocessing

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

func octGen() *rapid.Generator[[]float64] {
	return rapid.SliceOfN(rapid.Float64Range(-10, 10), 8, 8)
}

// The octonions built by Cayley–Dickson are a composition algebra
// (|pq| = |p||q|) and alternative ((u·ȳ)·y = u·|y|²): the two facts
// multidimensional reconciliation rests on.
func TestOctonionAlgebra(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p, q := octGen().Draw(t, "p"), octGen().Draw(t, "q")
		pq := octMul(p, q)
		if got, want := norm8(pq[:]), norm8(p)*norm8(q); math.Abs(got-want) > 1e-9*(1+want) {
			t.Fatalf("|pq| = %g, |p||q| = %g", got, want)
		}
		qc := octConj(q)
		back := octMul(pq2(p, qc[:]), q)
		n2 := norm8(q) * norm8(q)
		for i := range back {
			if math.Abs(back[i]-p[i]*n2) > 1e-8*(1+n2*norm8(p)) {
				t.Fatalf("(p·q̄)·q = %v, want p·|q|² = %v·%g", back, p, n2)
			}
		}
	})
}

func pq2(p, q []float64) []float64 { r := octMul(p, q); return r[:] }

// Without noise (y = a·x) Alice's LLRs point at Bob's bits everywhere, and
// the rotation is a unit octonion per group.
func TestMDNoiselessChannel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 800
	x := make([]float64, n)
	y := make([]float64, n)
	bits := make([]uint8, n)
	ch := Channel{Gain: 0.6, Noise: 1.05}
	for i := range x {
		x[i] = rng.NormFloat64() * math.Sqrt2
		y[i] = ch.Gain * x[i]
		bits[i] = uint8(rng.IntN(2))
	}
	rot := make([]float64, n)
	norms := make([]float64, n/8)
	mdEncode(bits, y, rot, norms)
	for g := 0; g < n/8; g++ {
		if v := norm8(rot[g*8:]); math.Abs(v-1) > 1e-12 {
			t.Fatalf("group %d: |α| = %g", g, v)
		}
	}
	llr := make([]float64, n)
	mdLLR(x, rot, norms, ch, llr)
	for i, l := range llr {
		if (l < 0) != (bits[i] == 1) || math.Abs(l) < 1e-9 {
			t.Fatalf("bit %d = %d but LLR %g", i, bits[i], l)
		}
	}
}

func TestBIAWGNCapacity(t *testing.T) {
	// BPSK at 0 dB: 0.4859 bit (e.g. Richardson & Urbanke, Modern Coding Theory, table 4.1 region).
	if got := BIAWGNCapacity(1); math.Abs(got-0.4859) > 0.001 {
		t.Errorf("C(0 dB) = %g, want ≈ 0.4859", got)
	}
	if got, want := BIAWGNCapacity(1e-3), GaussianCapacity(1e-3); math.Abs(got/want-1) > 0.01 {
		t.Errorf("low SNR: %g, want ≈ %g", got, want)
	}
	prev := 0.0
	for _, s := range []float64{0.01, 0.1, 0.5, 1, 3, 10, 100} {
		c := BIAWGNCapacity(s)
		if c <= prev || c >= GaussianCapacity(s) || c > 1 || c < SignChannelCapacity(s) {
			t.Errorf("SNR %g: capacity %g out of order", s, c)
		}
		prev = c
	}
}

func TestMultidimensionalReconciliationDefaultLink(t *testing.T) {
	snr, _ := SNR(defaultLink)
	ch, _ := ChannelFromParams(defaultLink)
	rng := rand.New(rand.NewPCG(77, 1))
	x, y := simulateLink(rng, defaultLink, 2*DefaultMaxBlockLength/2)
	plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(y), SNR: snr, Noise: ch.Noise, Seed: 3, Scheme: SchemeMultidimensional})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Scheme != SchemeMultidimensional || plan.QC == nil || plan.ChannelBits()%8 != 0 {
		t.Fatalf("plan %+v", plan)
	}
	alice, bob := newReconcilers(t, plan, plan, x, y, ch, randReader{rng})
	for i := 0; i < plan.Blocks; i++ {
		s, _ := bob.Syndrome(i)
		if err := alice.DecodeBlock(i, s); !errors.Is(err, ErrInvalidBlock) {
			t.Fatalf("decoding without side information: %v", err)
		}
	}
	playBlocks(t, alice, bob)
	st := alice.Stats()
	if st.Failed > 0 || !slices.Equal(alice.Key(), bob.Key()) {
		t.Fatalf("stats %+v, keys equal %v", st, slices.Equal(alice.Key(), bob.Key()))
	}
	ones := 0
	for _, b := range bob.Key() {
		ones += int(b)
	}
	if n := len(bob.Key()); math.Abs(float64(ones)-float64(n)/2) > 4*math.Sqrt(float64(n)) {
		t.Fatalf("%d ones in %d key bits: not uniform", ones, n)
	}
	if beta := st.Efficiency(snr); beta < 0.65 {
		t.Fatalf("β = %.3f, multidimensional reconciliation should exceed 0.65 here", beta)
	}
}

type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

func TestMDSideInfoRejects(t *testing.T) {
	ch, _ := ChannelFromParams(defaultLink)
	rng := rand.New(rand.NewPCG(3, 3))
	x, y := simulateLink(rng, defaultLink, 1024)
	plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(x), SNR: 0.68, Noise: ch.Noise, Seed: 1, Scheme: SchemeMultidimensional})
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := NewAliceReconciler(plan, x, ch)
	bob, _ := NewBobReconcilerFrom(plan, y, randReader{rng})
	s, _ := bob.Syndrome(0)
	side, _ := bob.SideInfo(0)
	mut := func(f func(*BlockSideInfo)) BlockSideInfo {
		c := BlockSideInfo{Rotation: slices.Clone(side.Rotation), Norms: slices.Clone(side.Norms)}
		f(&c)
		return c
	}
	for name, bad := range map[string]BlockSideInfo{
		"short rotation": mut(func(c *BlockSideInfo) { c.Rotation = c.Rotation[1:] }),
		"short norms":    mut(func(c *BlockSideInfo) { c.Norms = c.Norms[1:] }),
		"NaN rotation":   mut(func(c *BlockSideInfo) { c.Rotation[5] = math.NaN() }),
		"big rotation":   mut(func(c *BlockSideInfo) { c.Rotation[0] = 3 }),
		"negative norm":  mut(func(c *BlockSideInfo) { c.Norms[0] = -1 }),
		"infinite norm":  mut(func(c *BlockSideInfo) { c.Norms[1] = math.Inf(1) }),
	} {
		if err := alice.DecodeBlockSide(0, s, bad); !errors.Is(err, ErrInvalidBlock) {
			t.Errorf("%s: err %v, want ErrInvalidBlock", name, err)
		}
	}
	if _, err := NewBobReconcilerFrom(plan, y, randReader{rng}); err != nil {
		t.Fatal(err)
	}
	odd := plan
	odd.Code.N, odd.Code.K = 1001, 200
	if err := odd.Validate(); !errors.Is(err, ErrInvalidPlan) {
		t.Errorf("multidimensional block of 1001: %v", err)
	}
}
