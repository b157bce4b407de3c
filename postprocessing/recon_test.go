package postprocessing

import (
	crand "crypto/rand"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"

	"pgregory.net/rapid"
)

// defaultLink is the contract's default simulated short link.
var defaultLink = KeyRateParams{Detection: Heterodyne, Trusted: true, Va: 2, T: 0.9, Xi: 0.01, Eta: 0.8, Vel: 0.05, Beta: 0.95}

// simulateLink draws n symbols of Alice (each quadrature N(0, Va)) and Bob's
// measurements in SNU through the link model of DESIGN.md, and returns both
// as key quadratures.
func simulateLink(rng *rand.Rand, p KeyRateParams, symbols int) (x, y []float64) {
	ch, err := ChannelFromParams(p)
	if err != nil {
		panic(err)
	}
	a := make([]complex128, symbols)
	b := make([]complex128, symbols)
	sd, sn := math.Sqrt(p.Va), math.Sqrt(ch.Noise)
	for i := range a {
		a[i] = complex(sd*rng.NormFloat64(), sd*rng.NormFloat64())
		b[i] = complex(ch.Gain*real(a[i])+sn*rng.NormFloat64(), ch.Gain*imag(a[i])+sn*rng.NormFloat64())
	}
	return KeyQuadratures(a, p.Detection), KeyQuadratures(b, p.Detection)
}

// fataler is what runReconciliation needs of *testing.T, *testing.B and *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
}

// runReconciliation plays both sides of sign reconciliation over every
// block and returns them.
func runReconciliation(t fataler, plan ReconciliationPlan, x, y []float64, ch Channel) (*AliceReconciler, *BobReconciler) {
	t.Helper()
	alicePlan := plan
	alice, bob := newReconcilers(t, plan, alicePlan, x, y, ch, crand.Reader)
	playBlocks(t, alice, bob)
	return alice, bob
}

// newReconcilers builds Bob's side of bobPlan on his quadratures y (his
// multidimensional key bits drawn from src) and Alice's side of alicePlan
// on hers, x.
func newReconcilers(t fataler, bobPlan, alicePlan ReconciliationPlan, x, y []float64, ch Channel, src io.Reader) (*AliceReconciler, *BobReconciler) {
	t.Helper()
	bob, err := NewBobReconcilerFrom(bobPlan, y, src)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := NewAliceReconciler(alicePlan, x, ch)
	if err != nil {
		t.Fatal(err)
	}
	return alice, bob
}

// playBlocks sends every block of Bob's (syndrome and side information) to
// Alice and records her verdict at Bob's. It returns the decoding error of
// each block (nil: decoded, else wrapping ErrBlockFailed); any other error
// is fatal.
func playBlocks(t fataler, alice *AliceReconciler, bob *BobReconciler) []error {
	t.Helper()
	errs := make([]error, bob.Plan().Blocks)
	for i := range errs {
		s, err := bob.Syndrome(i)
		if err != nil {
			t.Fatal(err)
		}
		side, err := bob.SideInfo(i)
		if err != nil {
			t.Fatal(err)
		}
		err = alice.DecodeBlockSide(i, s, side)
		if err != nil && !errors.Is(err, ErrBlockFailed) {
			t.Fatal(err)
		}
		errs[i] = err
		if err := bob.Accept(i, err == nil); err != nil {
			t.Fatal(err)
		}
	}
	return errs
}

func TestReconciliationDefaultLink(t *testing.T) {
	snr, err := SNR(defaultLink)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := ChannelFromParams(defaultLink)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	failed, tried := 0, 0
	for frame := 0; frame < 2; frame++ {
		x, y := simulateLink(rng, defaultLink, 3*DefaultMaxBlockLength/2)
		plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(y), SNR: snr, Noise: ch.Noise, Seed: int64(frame)})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Blocks != 3 || plan.N() != DefaultMaxBlockLength {
			t.Fatalf("plan %d blocks of %d, want 3 of %d", plan.Blocks, plan.N(), DefaultMaxBlockLength)
		}
		alice, bob := runReconciliation(t, plan, x, y, ch)
		ka, kb := alice.Key(), bob.Key()
		if !slices.Equal(ka, kb) {
			t.Fatalf("frame %d: keys differ", frame)
		}
		if VerificationHash(ka) != VerificationHash(kb) {
			t.Fatalf("frame %d: equal keys, different hashes", frame)
		}
		st, sb := alice.Stats(), bob.Stats()
		if st.Decoded != sb.Decoded || st.Failed != sb.Failed || st.KeyBits != sb.KeyBits || st.LeakedBits != sb.LeakedBits {
			t.Fatalf("sides disagree: %+v vs %+v", st, sb)
		}
		if len(ka) != st.KeyBits || st.LeakedBits != st.Decoded*(plan.M()+BlockHashBits) {
			t.Fatalf("stats %+v for a key of %d bits", st, len(ka))
		}
		failed += st.Failed
		tried += st.Decoded + st.Failed
		if st.Decoded > 0 {
			beta := st.Efficiency(snr)
			if beta < 0.4 || beta > SignChannelCapacity(snr)/GaussianCapacity(snr) {
				t.Fatalf("β = %.3f outside [0.4, sign capacity]", beta)
			}
		}
	}
	if fer := float64(failed) / float64(tried); fer > 0.10 {
		t.Fatalf("frame error rate %d/%d > 10%%", failed, tried)
	}
}

// Property: at the default link, over random data and codes, decoded blocks
// always match Bob's bits and the overall frame error rate stays ≤ 10%.
// Blocks are short here (8192 bits) to keep the test fast, so the rate
// fraction is lowered to what such blocks sustain.
func TestReconciliationProperty(t *testing.T) {
	snr, _ := SNR(defaultLink)
	ch, _ := ChannelFromParams(defaultLink)
	failed, tried := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "data seed")
		codeSeed := rapid.Int64().Draw(t, "code seed")
		rng := rand.New(rand.NewPCG(seed, 1))
		x, y := simulateLink(rng, defaultLink, 4096)
		plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(y), SNR: snr, Noise: ch.Noise, Seed: codeSeed,
			MaxBlockLength: 8192, RateFraction: 0.6})
		if err != nil {
			t.Fatal(err)
		}
		alice, bob := runReconciliation(t, plan, x, y, ch)
		if !slices.Equal(alice.Key(), bob.Key()) {
			t.Fatal("decoded keys differ")
		}
		st := alice.Stats()
		failed += st.Failed
		tried += st.Decoded + st.Failed
	})
	if tried == 0 || float64(failed)/float64(tried) > 0.10 {
		t.Fatalf("frame error rate %d/%d > 10%%", failed, tried)
	}
}

// codewordThrough returns a nonzero codeword of a generated IRA code: the
// systematic unit vector e_j completed by the accumulator.
func codewordThrough(t *testing.T, h *ParityCheck, k, j int) []uint8 {
	c := make([]uint8, h.N())
	c[j] = 1
	s, err := h.Syndrome(c)
	if err != nil {
		t.Fatal(err)
	}
	// Accumulator columns: (H_a p)_r = p_{r−1} ⊕ p_r, so p_r = s_r ⊕ p_{r−1}.
	var prev uint8
	for r := 0; r < h.M(); r++ {
		prev ^= s[r]
		c[k+r] = prev
	}
	if s2, _ := h.Syndrome(c); slices.Contains(s2, 1) {
		t.Fatal("not a codeword")
	}
	return c
}

// A block that Alice decodes to a word with Bob's syndrome but not Bob's
// bits (an undetected decoding error) is caught by the verification hash.
func TestWrongBlockDetectedByHash(t *testing.T) {
	snr, _ := SNR(defaultLink)
	ch, _ := ChannelFromParams(defaultLink)
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := simulateLink(rng, defaultLink, 8192)
	plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(y), SNR: snr, Noise: ch.Noise, Seed: 9,
		MaxBlockLength: 8192, RateFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := newReconcilers(t, plan, plan, x, y, ch, crand.Reader)
	h, _ := plan.ParityCheck()
	// Bob's block 1 is shifted by a codeword after his syndrome is taken:
	// the syndrome is unchanged, so Alice decodes "successfully" to the
	// word her data supports, which is not Bob's.
	c := codewordThrough(t, h, plan.Code.K, 3)
	for i, err := range playBlocks(t, alice, bob) {
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
	}
	blk, _ := bob.block(1)
	for j := range blk {
		blk[j] ^= c[j]
	}
	if slices.Equal(alice.Key(), bob.Key()) {
		t.Fatal("keys still equal")
	}
	if VerificationHash(alice.Key()) == VerificationHash(bob.Key()) {
		t.Fatal("the verification hash missed a wrong block")
	}
}

func TestVerificationHashSensitivity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bits := rapid.SliceOfN(rapid.Uint8Range(0, 1), 1, 4096).Draw(t, "bits")
		h := VerificationHash(bits)
		if h < 0 {
			t.Fatalf("hash %d is negative", h)
		}
		if VerificationHash(slices.Clone(bits)) != h {
			t.Fatal("hash not deterministic")
		}
		i := rapid.IntRange(0, len(bits)-1).Draw(t, "flip")
		flipped := slices.Clone(bits)
		flipped[i] ^= 1
		if VerificationHash(flipped) == h {
			t.Fatalf("flipping bit %d left the hash unchanged", i)
		}
		if VerificationHash(append(slices.Clone(bits), 0)) == h {
			t.Fatal("appending a zero bit left the hash unchanged")
		}
	})
}

// A plan, from Bob's planner or from a peer's EC_INITIALIZATION, is refused
// by Validate when it cannot be used, before anything is built.
func TestPlanValidateRejects(t *testing.T) {
	good := LDPCParams{N: 4096, K: 600, ColumnWeight: 6, Seed: 1}
	huge := LDPCParams{N: MaxCodeLength * 2, K: 600, ColumnWeight: 6}
	qc, err := qcldpc.ForRate(0.1, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	qc.Shortened += qc.ChannelBits() % 8
	badQC := qc
	badQC.Family = 99
	odd := qc
	odd.Shortened++ // 8 ∤ channel bits
	for name, p := range map[string]ReconciliationPlan{
		"huge n":        {Scheme: SchemeSign, Noise: 1, Blocks: 1, Code: huge},
		"zero blocks":   {Scheme: SchemeSign, Noise: 1, Blocks: 0, Code: good},
		"many blocks":   {Scheme: SchemeSign, Noise: 1, Blocks: 1 << 30, Code: good},
		"NaN noise":     {Scheme: SchemeSign, Noise: math.NaN(), Blocks: 1, Code: good},
		"zero noise":    {Scheme: SchemeSign, Noise: 0, Blocks: 1, Code: good},
		"scheme":        {Scheme: "slice", Noise: 1, Blocks: 1, Code: good},
		"no scheme":     {Noise: 1, Blocks: 1, Code: good},
		"qc family":     {Scheme: SchemeMultidimensional, Noise: 1, Blocks: 1, QC: &badQC},
		"qc not 8":      {Scheme: SchemeMultidimensional, Noise: 1, Blocks: 1, QC: &odd},
		"qc sign":       {Scheme: SchemeSign, Noise: 1, Blocks: 1, QC: &qc},
		"qc blocks":     {Scheme: SchemeMultidimensional, Noise: 1, Blocks: 1 << 20, QC: &qc},
		"md generated8": {Scheme: SchemeMultidimensional, Noise: 1, Blocks: 1, Code: LDPCParams{N: 4097, K: 600, ColumnWeight: 6}},
	} {
		if err := p.Validate(); !errors.Is(err, ErrInvalidPlan) {
			t.Errorf("%s: err %v, want ErrInvalidPlan", name, err)
		}
	}
	ok := ReconciliationPlan{Scheme: SchemeMultidimensional, Noise: 1, Blocks: 2, QC: &qc}
	if err := ok.Validate(); err != nil {
		t.Errorf("a planner's quasi-cyclic plan refused: %v", err)
	}
}

func TestDecodeBlockRejects(t *testing.T) {
	ch, _ := ChannelFromParams(defaultLink)
	rng := rand.New(rand.NewPCG(8, 8))
	x, y := simulateLink(rng, defaultLink, 2048)
	plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(x), SNR: 0.68, Noise: ch.Noise, Seed: 1, MaxBlockLength: 2048})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := NewAliceReconciler(plan, x, ch)
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := NewBobReconciler(plan, y)
	s, _ := bob.Syndrome(0)
	bad := slices.Clone(s)
	bad[0] = 2
	for name, call := range map[string]func() error{
		"index -1":     func() error { return alice.DecodeBlock(-1, s) },
		"index blocks": func() error { return alice.DecodeBlock(plan.Blocks, s) },
		"short":        func() error { return alice.DecodeBlock(0, s[1:]) },
		"not bits":     func() error { return alice.DecodeBlock(0, bad) },
	} {
		if err := call(); !errors.Is(err, ErrInvalidBlock) {
			t.Errorf("%s: err %v, want ErrInvalidBlock", name, err)
		}
	}
	if err := alice.DecodeBlock(0, s); err != nil && !errors.Is(err, ErrBlockFailed) {
		t.Fatal(err)
	}
	if err := alice.DecodeBlock(0, s); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("second decode of block 0: err %v, want ErrInvalidBlock", err)
	}
	if _, err := BitsFromNumbers([]float64{0, 1, 0.5}); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("BitsFromNumbers(0.5): err %v", err)
	}
	if b, err := BitsFromNumbers([]float64{0, 1, 1}); err != nil || !slices.Equal(b, []uint8{0, 1, 1}) {
		t.Errorf("BitsFromNumbers: %v, %v", b, err)
	}
	if _, err := NewAliceReconciler(plan, x[:10], ch); !errors.Is(err, ErrInvalidPlan) {
		t.Errorf("too few quadratures: err %v", err)
	}
	if _, err := NewAliceReconciler(plan, x, Channel{Gain: math.NaN(), Noise: 1}); !errors.Is(err, ErrInvalidPlan) {
		t.Errorf("NaN channel: err %v", err)
	}
}

func TestSignChannelCapacity(t *testing.T) {
	// Low-SNR limit: I(X; sign Y) ≈ snr/(π ln 2), the 2/π of the Gaussian capacity.
	if got, want := SignChannelCapacity(1e-3), 1e-3/(math.Pi*math.Ln2); math.Abs(got/want-1) > 0.01 {
		t.Errorf("low SNR: %g, want ≈ %g", got, want)
	}
	// Monte Carlo at the default link's SNR.
	snr, _ := SNR(defaultLink)
	rng := rand.New(rand.NewPCG(9, 9))
	ch := Channel{Gain: math.Sqrt(snr), Noise: 1}
	const n = 200000
	sum := 0.0
	for i := 0; i < n; i++ {
		x := rng.NormFloat64()
		yNeg := ch.Gain*x+rng.NormFloat64() < 0
		l := ch.SignLLR(x) // ln P(b=0|x)/P(b=1|x)
		if yNeg {
			l = -l
		}
		sum += math.Log2(1 + math.Exp(-l)) // −log2 P(b|x)
	}
	mc := 1 - sum/n
	if got := SignChannelCapacity(snr); math.Abs(got-mc) > 0.005 {
		t.Errorf("SNR %.4f: %g, Monte Carlo %g", snr, got, mc)
	}
	prev := 0.0
	for _, s := range []float64{0.01, 0.1, 0.5, 1, 3, 10, 100} {
		c := SignChannelCapacity(s)
		if c <= prev || c >= GaussianCapacity(s) || c > 1 {
			t.Errorf("SNR %g: capacity %g not in (%g, min(1, %g))", s, c, prev, GaussianCapacity(s))
		}
		prev = c
	}
}

func TestPlanReconciliationRejects(t *testing.T) {
	for name, p := range map[string]PlanParams{
		"few":      {KeyQuadratures: 100, SNR: 1, Noise: 1},
		"snr":      {KeyQuadratures: 1 << 16, SNR: math.NaN(), Noise: 1},
		"noise":    {KeyQuadratures: 1 << 16, SNR: 1, Noise: -1},
		"fraction": {KeyQuadratures: 1 << 16, SNR: 1, Noise: 1, RateFraction: 1.5},
		"maxN":     {KeyQuadratures: 1 << 16, SNR: 1, Noise: 1, MaxBlockLength: 10},
	} {
		if _, err := PlanReconciliation(p); !errors.Is(err, ErrInvalidPlan) {
			t.Errorf("%s: err %v, want ErrInvalidPlan", name, err)
		}
	}
}

// Below LowCapacity the rate rule switches to heavier columns and more
// margin; with the default ones these links fail every block.
func TestReconciliationLowSNR(t *testing.T) {
	for _, c := range []struct {
		scheme string
		t      float64 // transmittance: 15 km and 25 km of 0.2 dB/km fiber
	}{{SchemeSign, 0.5}, {SchemeMultidimensional, 0.316}} {
		link := defaultLink
		link.T = c.t
		snr, _ := SNR(link)
		ch, _ := ChannelFromParams(link)
		rng := rand.New(rand.NewPCG(31, uint64(len(c.scheme))))
		x, y := simulateLink(rng, link, DefaultMaxBlockLength)
		plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(y), SNR: snr, Noise: ch.Noise, Seed: 5, Scheme: c.scheme, Codes: CodesGenerated})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Code.ColumnWeight != LowCapacityColumnWeight {
			t.Fatalf("%s at T=%g: column weight %d, want %d", c.scheme, c.t, plan.Code.ColumnWeight, LowCapacityColumnWeight)
		}
		alice, bob := newReconcilers(t, plan, plan, x, y, ch, randReader{rng})
		for i, err := range playBlocks(t, alice, bob) {
			if err != nil {
				t.Fatalf("%s at T=%g, block %d: %v", c.scheme, c.t, i, err)
			}
		}
		if !slices.Equal(alice.Key(), bob.Key()) {
			t.Fatalf("%s: keys differ", c.scheme)
		}
		t.Logf("%s at T=%g: SNR %.3f, rate %.4f, β %.3f", c.scheme, c.t, snr, plan.Rate(), alice.Stats().Efficiency(snr))
	}
}
