package postprocessing

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// The slices' capacities against I(X; Q) computed directly as
// H(Q) − H(Q | X) = bits − H(Q | X) by another integration (Simpson's rule
// on a different grid): by the chain rule the information thrown away with
// the disclosed slices plus every coded slice's capacity is I(X; Q),
// whatever the order. With 6 bits Q keeps nearly all of I(X; Y).
func TestSliceCapacitiesChainRule(t *testing.T) {
	for _, snr := range []float64{1, 0.5, 0.16} {
		for _, shape := range [][2]int{{3, 0}, {4, 1}, {6, 2}, {6, 4}} {
			bits, dis := shape[0], shape[1]
			lost, caps := SliceCapacities(snr, bits, dis)
			if len(caps) != bits-dis {
				t.Fatalf("%d capacities for %d coded slices", len(caps), bits-dis)
			}
			sum := lost
			for j, c := range caps {
				if !(c > 0 && c < 1) {
					t.Errorf("SNR %g, shape %v: slice %d capacity %g", snr, shape, j, c)
				}
				sum += c
			}
			direct := float64(bits) - condEntropyQ(snr, bits)
			if math.Abs(sum-direct) > 2e-4 {
				t.Errorf("SNR %g, shape %v: lost + capacities = %.5f, I(X;Q) = %.5f", snr, shape, sum, direct)
			}
			if i := GaussianCapacity(snr); direct > i || (bits == 6 && direct < 0.99*i) {
				t.Errorf("SNR %g, %d bits: I(X;Q) = %.5f against I(X;Y) = %.5f", snr, bits, direct, i)
			}
		}
	}
}

// condEntropyQ is H(Q | X) in bits for Bob's quantizer, by Simpson's rule
// on x ∈ [−10, 10] with 2000 intervals, the interval probabilities from
// math.Erf directly.
func condEntropyQ(snr float64, bits int) float64 {
	const n, span = 2000, 10.0
	l := 1 << bits
	sy := math.Sqrt(1 + snr)
	edge := func(k int) float64 {
		switch k {
		case 0:
			return math.Inf(-1)
		case l:
			return math.Inf(1)
		}
		return sy * math.Sqrt2 * math.Erfinv(2*float64(k)/float64(l)-1)
	}
	h := 0.0
	for i := 0; i <= n; i++ {
		x := -span + 2*span*float64(i)/n
		w := 2.0
		switch {
		case i == 0 || i == n:
			w = 1
		case i%2 == 1:
			w = 4
		}
		hx := 0.0
		for k := 0; k < l; k++ {
			a := 0.5 * (1 + math.Erf((edge(k)-math.Sqrt(snr)*x)/math.Sqrt2))
			b := 0.5 * (1 + math.Erf((edge(k+1)-math.Sqrt(snr)*x)/math.Sqrt2))
			if p := b - a; p > 0 {
				hx -= p * math.Log2(p)
			}
		}
		h += w * hx * math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
	}
	return h * 2 * span / n / 3
}

// Alice's LLRs, computed on simulated data with the slices known before
// each one as she knows them, carry the information SliceCapacities says:
// for exact LLRs L of a uniform bit b, I(b; L) = 1 − E[log2(1 + e^{−(1−2b)L})].
func TestSliceLLRsMatchCapacities(t *testing.T) {
	const n = 1 << 18
	rng := rand.New(rand.NewPCG(21, 22))
	for _, c := range []struct {
		snr       float64
		bits, dis int
	}{{1, 6, 2}, {0.5, 5, 1}, {1, 7, 2}} {
		ch := Channel{Gain: math.Sqrt(c.snr), Noise: 1}
		edges := sliceEdges(c.bits, math.Sqrt(1+c.snr))
		_, caps := SliceCapacities(c.snr, c.bits, c.dis)
		loss := make([]float64, len(caps))
		for i := 0; i < n; i++ {
			x := rng.NormFloat64()
			q := quantize(edges, ch.Gain*x+rng.NormFloat64())
			mask := 1<<c.dis - 1
			for j := range caps {
				l := sliceLLR(edges, c.bits, j, q&mask, mask, x, ch)
				shift := c.bits - 1 - j
				s := l * float64(1-2*((q>>shift)&1))
				loss[j] += math.Log1p(math.Exp(-s)) / math.Ln2
				mask |= 1 << shift
			}
		}
		for j, capacity := range caps {
			got := 1 - loss[j]/n
			t.Logf("SNR %g, slice %d: I(b; L) = %.4f, capacity %.4f", c.snr, j, got, capacity)
			if math.Abs(got-capacity) > 0.005 {
				t.Errorf("SNR %g, slice %d: the LLRs carry %.4f bit, SliceCapacities says %.4f", c.snr, j, got, capacity)
			}
		}
	}
}

// sliceLLR walks only the candidate intervals (the subsets of the unknown
// bits); it must sum the same intervals as a scan of every interval that
// keeps those agreeing with the known bits, for any mask.
func TestSliceLLRCandidates(t *testing.T) {
	scan := scanSliceLLR
	rng := rand.New(rand.NewPCG(5, 6))
	ch := Channel{Gain: 1, Noise: 1}
	for _, bits := range []int{2, 6, 7, 8} {
		edges := sliceEdges(bits, math.Sqrt2)
		for i := 0; i < 4000; i++ {
			j := rng.IntN(bits)
			mask := rng.IntN(1<<bits) &^ (1 << (bits - 1 - j)) // slice j unknown
			known := rng.IntN(1<<bits) & mask
			x := rng.NormFloat64()
			want := scan(edges, bits, j, known, mask, x, ch)
			if math.IsNaN(want) {
				continue // no candidate of either bit within the table's reach
			}
			want = max(min(want, sliceLLRClamp), -sliceLLRClamp)
			if got := sliceLLR(edges, bits, j, known, mask, x, ch); math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
				t.Fatalf("bits %d, slice %d, known %b of mask %b, x %g: LLR %g, the scan of every interval %g", bits, j, known, mask, x, got, want)
			}
		}
	}
}

// scanSliceLLR is sliceLLR by a scan of every interval, unclamped.
func scanSliceLLR(edges []float64, bits, j, known, mask int, x float64, ch Channel) float64 {
	mu, sigma := ch.Gain*x, math.Sqrt(ch.Noise)
	var p [2]float64
	for q := 0; q < 1<<bits; q++ {
		if q&mask == known {
			p[(q>>(bits-1-j))&1] += phiFast((edges[q+1]-mu)/sigma) - phiFast((edges[q]-mu)/sigma)
		}
	}
	return math.Log(p[0] / p[1])
}

// Alice's LLRs of one quadrature, every coded slice in decoding order, as
// sliceLLR computes them and by the scan of every interval (the baseline):
//
//	go test -run '^$' -bench SliceLLR ./postprocessing/
func BenchmarkSliceLLR(b *testing.B) {
	ch := Channel{Gain: 1, Noise: 1}
	for _, shape := range []struct{ bits, dis int }{{6, 1}, {7, 2}} {
		edges := sliceEdges(shape.bits, math.Sqrt2)
		for _, f := range []struct {
			name string
			llr  func([]float64, int, int, int, int, float64, Channel) float64
		}{{"candidates", sliceLLR}, {"scan", scanSliceLLR}} {
			b.Run(fmt.Sprintf("%d-%d/%s", shape.bits, shape.dis, f.name), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(7, 8))
				s := 0.0
				for i := 0; i < b.N; i++ {
					x := rng.NormFloat64()
					q := quantize(edges, x+rng.NormFloat64())
					mask := 1<<shape.dis - 1
					for j := 0; j < shape.bits-shape.dis; j++ {
						s += f.llr(edges, shape.bits, j, q&mask, mask, x, ch)
						mask |= 1 << (shape.bits - 1 - j)
					}
				}
				sliceLLRSink = s
			})
		}
	}
}

var sliceLLRSink float64

// The default shape goes to 7 slices (2 disclosed) where they keep more of
// I(X; Y) than 6 (1 disclosed), and never past defaultMaxSliceBits.
func TestDefaultSliceShapeSeven(t *testing.T) {
	const q = 2796202
	for _, snr := range []float64{1, 0.5} {
		_, c6 := SliceCapacities(snr, 6, 1)
		_, c7 := SliceCapacities(snr, 7, 2)
		var s6, s7 float64
		for j := range c6 {
			s6, s7 = s6+c6[j], s7+c7[j]
		}
		if s7 <= s6 {
			t.Fatalf("SNR %g: 7/2 keeps %.4f bit, 6/1 %.4f", snr, s7, s6)
		}
		bits, dis, ok := DefaultSliceShape(snr, q)
		if !ok || bits != 7 || dis != 2 {
			t.Errorf("SNR %g: default shape %d/%d (%v), want 7/2", snr, bits, dis, ok)
		}
	}
	for _, snr := range []float64{0.03, 0.16, 3, 10} {
		if bits, _, ok := DefaultSliceShape(snr, q); ok && bits > defaultMaxSliceBits {
			t.Errorf("SNR %g: %d slices", snr, bits)
		}
	}
}

// The quantizer's intervals are equally likely for Bob's Gaussian
// quadratures, so the slices are uniform bits.
func TestSliceQuantizerUniform(t *testing.T) {
	const n, bits = 1 << 18, 4
	rng := rand.New(rand.NewPCG(3, 4))
	edges := sliceEdges(bits, 2)
	count := make([]int, 1<<bits)
	for i := 0; i < n; i++ {
		count[quantize(edges, 2*rng.NormFloat64())]++
	}
	want := float64(n) / (1 << bits)
	for q, c := range count {
		if math.Abs(float64(c)-want) > 5*math.Sqrt(want) {
			t.Errorf("interval %d holds %d of %d quadratures, want about %.0f", q, c, n, want)
		}
	}
	if quantize(edges, math.Inf(1)) != 1<<bits-1 || quantize(edges, math.Inf(-1)) != 0 {
		t.Error("±Inf outside the end intervals")
	}
}

func testSlicePlan(t *testing.T, snr float64) (SlicePlan, Channel) {
	t.Helper()
	plan, err := PlanSlices(SliceParams{KeyQuadratures: 3 << 15, SNR: snr, Scale: math.Sqrt(1 + snr), MaxBlockLength: 1 << 15,
		Bits: 5, Disclosed: 1, Efficiency: []float64{0.9, 0.9, 0.9, 0.9}, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	return plan, Channel{Gain: math.Sqrt(snr), Noise: 1}
}

func sliceData(plan SlicePlan, ch Channel, seed uint64) (x, y []float64, rng *rand.Rand) {
	rng = rand.New(rand.NewPCG(seed, 1))
	x, y = gaussianLink(rng, plan.Blocks*plan.Quadratures(), ch)
	return x, y, rng
}

// gaussianLink draws n quadratures of Alice, x ~ N(0, 1), and Bob's
// y = Gain·x + n with n ~ N(0, 1).
func gaussianLink(rng *rand.Rand, n int, ch Channel) (x, y []float64) {
	x, y = make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
		y[i] = ch.Gain*x[i] + rng.NormFloat64()
	}
	return x, y
}

// A round trip below threshold: every block decodes to Bob's words, both
// keys agree, and the statistics charge every syndrome and hash bit.
func TestSliceRoundTrip(t *testing.T) {
	plan, ch := testSlicePlan(t, 1)
	if plan.Blocks != 3 || plan.Coded() != 4 {
		t.Fatalf("plan %+v", plan)
	}
	for j, d := range plan.Codes {
		if d.ChannelBits() != plan.Quadratures() {
			t.Fatalf("slice %d: %d channel bits, block of %d", j, d.ChannelBits(), plan.Quadratures())
		}
	}
	x, y, rng := sliceData(plan, ch, 1)
	bob, err := NewSliceBob(plan, y, randReader{rng})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := NewSliceAlice(plan, x, ch)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < plan.Blocks; i++ {
		dis, _ := bob.Disclosed(i)
		syn, _ := bob.Syndromes(i)
		h, _ := bob.Hash(i)
		if err := alice.DecodeBlock(i, dis, syn, h); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if err := bob.Accept(i, true); err != nil {
			t.Fatal(err)
		}
	}
	ka, kb := alice.Key(), bob.Key()
	if len(ka) != plan.Blocks*plan.BlockKeyBits() || VerificationHash(ka) != VerificationHash(kb) {
		t.Fatalf("keys of %d and %d bits differ or have the wrong length", len(ka), len(kb))
	}
	st := alice.Stats()
	if st.Decoded != 3 || st.LeakedBits != 3*(plan.BlockLeakedBits()+BlockHashBits) || st.Quadratures != 3*plan.Quadratures() {
		t.Errorf("stats %+v", st)
	}
	beta := plan.Rate() / GaussianCapacity(1)
	if got := float64(st.KeyBits-3*plan.BlockLeakedBits()) / float64(st.Quadratures) / GaussianCapacity(1); math.Abs(got-beta) > 1e-12 || beta < 0.75 {
		t.Errorf("β from the stats %.4f, from the plan %.4f", got, beta)
	}
	// The key bits of a block are its slices' bits where Bob's quantizer put them.
	edges := sliceEdges(plan.Bits, plan.Scale)
	q0 := quantize(edges, y[0])
	if bob.words[0][0][firstChannelBit(t, plan, 0)] != uint8(q0>>(plan.Bits-1))&1 {
		t.Error("slice 0's first channel bit is not the most significant bit of the first quadrature's interval")
	}
}

func firstChannelBit(t *testing.T, plan SlicePlan, j int) int {
	t.Helper()
	c, err := qcBlockCode(plan.Codes[j])
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range c.roles {
		if r == roleChannel {
			return k
		}
	}
	t.Fatal("no channel bit")
	return 0
}

// Above threshold a block fails (never a wrong word accepted), and a block
// whose words reach the syndromes but not Bob's hash is refused.
func TestSliceFailures(t *testing.T) {
	plan, ch := testSlicePlan(t, 1)
	x, y, rng := sliceData(plan, ch, 2)
	bob, err := NewSliceBob(plan, y, randReader{rng})
	if err != nil {
		t.Fatal(err)
	}
	// Alice's quadratures from another draw: nothing to decode with.
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	alice, err := NewSliceAlice(plan, x, ch)
	if err != nil {
		t.Fatal(err)
	}
	dis, _ := bob.Disclosed(0)
	syn, _ := bob.Syndromes(0)
	h, _ := bob.Hash(0)
	if err := alice.DecodeBlock(0, dis, syn, h); !errors.Is(err, ErrBlockFailed) {
		t.Fatalf("unrelated quadratures: %v, want ErrBlockFailed", err)
	}
	if err := alice.DecodeBlock(0, dis, syn, h); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("a decided block again: %v", err)
	}
	// The right quadratures and a wrong hash.
	x2, _, _ := sliceData(plan, ch, 2)
	alice, _ = NewSliceAlice(plan, x2, ch)
	if err := alice.DecodeBlock(1, mustDisclosed(t, bob, 1), mustSyndromes(t, bob, 1), 12345); !errors.Is(err, ErrBlockFailed) {
		t.Errorf("wrong hash: %v, want ErrBlockFailed", err)
	}
	if len(alice.Key()) != 0 || alice.Stats().Failed != 1 {
		t.Errorf("a failed block left key bits or no failure: %+v", alice.Stats())
	}
}

func mustDisclosed(t *testing.T, b *SliceBob, i int) [][]uint8 {
	t.Helper()
	d, err := b.Disclosed(i)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustSyndromes(t *testing.T, b *SliceBob, i int) [][]uint8 {
	t.Helper()
	s, err := b.Syndromes(i)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Malformed inputs are ErrInvalidBlock errors and leave the block pending.
func TestSliceDecodeRejects(t *testing.T) {
	plan, ch := testSlicePlan(t, 1)
	x, y, rng := sliceData(plan, ch, 3)
	bob, _ := NewSliceBob(plan, y, randReader{rng})
	alice, _ := NewSliceAlice(plan, x, ch)
	dis, syn := mustDisclosed(t, bob, 0), mustSyndromes(t, bob, 0)
	short := [][]uint8{dis[0][:10]}
	notBit := [][]uint8{append([]uint8{2}, dis[0][1:]...)}
	badSyn := append([][]uint8{append([]uint8{7}, syn[0][1:]...)}, syn[1:]...)
	for name, call := range map[string]func() error{
		"block -1":            func() error { return alice.DecodeBlock(-1, dis, syn, 0) },
		"block past the end":  func() error { return alice.DecodeBlock(plan.Blocks, dis, syn, 0) },
		"no disclosed slice":  func() error { return alice.DecodeBlock(0, nil, syn, 0) },
		"short disclosed":     func() error { return alice.DecodeBlock(0, short, syn, 0) },
		"disclosed not a bit": func() error { return alice.DecodeBlock(0, notBit, syn, 0) },
		"one syndrome short":  func() error { return alice.DecodeBlock(0, dis, syn[1:], 0) },
		"syndrome not a bit":  func() error { return alice.DecodeBlock(0, dis, badSyn, 0) },
		"short syndrome":      func() error { return alice.DecodeBlock(0, dis, [][]uint8{syn[0][1:], syn[1], syn[2], syn[3]}, 0) },
		"hash out of range":   func() error { return alice.DecodeBlock(0, dis, syn, -1) },
	} {
		if err := call(); !errors.Is(err, ErrInvalidBlock) {
			t.Errorf("%s: %v, want ErrInvalidBlock", name, err)
		}
	}
	if err := alice.DecodeBlock(0, dis, syn, 0); err != nil {
		t.Errorf("the block after refused inputs: %v", err)
	}
}

// The planner: the shape it picks where multidimensional reconciliation is
// capped discloses the noisiest slices and codes the rest at rates the
// families serve, every code with the block's channel bits; the same
// parameters give the same plan (both stations plan alike); bad
// parameters name what is wrong.
func TestPlanSlices(t *testing.T) {
	for _, snr := range []float64{1, 0.5} {
		p := SliceParams{KeyQuadratures: 5 << 20, SNR: snr, Scale: 1.3, MaxBlockLength: 1 << 21, Seed: 4}
		a, err := PlanSlices(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := PlanSlices(p)
		if a.Bits != b.Bits || a.Blocks != b.Blocks || len(a.Codes) != len(b.Codes) {
			t.Fatalf("two plans differ: %+v, %+v", a, b)
		}
		for j := range a.Codes {
			if a.Codes[j] != b.Codes[j] {
				t.Fatalf("slice %d: %+v against %+v", j, a.Codes[j], b.Codes[j])
			}
		}
		if a.Disclosed < 1 || a.Coded() < 2 || a.Blocks != 3 || a.Quadratures()*a.Blocks > p.KeyQuadratures || a.Quadratures() < p.KeyQuadratures/3-p.KeyQuadratures/64 {
			t.Errorf("SNR %g: plan %+v", snr, a)
		}
		_, caps := SliceCapacities(snr, a.Bits, a.Disclosed)
		for j, d := range a.Codes {
			r, _ := d.EffectiveRate()
			if r >= caps[j] {
				t.Errorf("SNR %g, slice %d: rate %.4f at or above its capacity %.4f", snr, j, r, caps[j])
			}
		}
		// Above what multidimensional reconciliation plans there.
		if beta, md := a.Rate()/GaussianCapacity(snr), DefaultEfficiencyAt(snr, a.Quadratures()); !(beta > md+0.02) {
			t.Errorf("SNR %g: planned β %.4f, multidimensional %.4f", snr, beta, md)
		}
	}
	for name, p := range map[string]SliceParams{
		"snr":              {KeyQuadratures: 1 << 20, SNR: 0, Scale: 1},
		"scale":            {KeyQuadratures: 1 << 20, SNR: 1, Scale: math.NaN()},
		"quadratures":      {KeyQuadratures: 100, SNR: 1, Scale: 1},
		"slices":           {KeyQuadratures: 1 << 20, SNR: 1, Scale: 1, Bits: 9, Disclosed: 1},
		"disclosed":        {KeyQuadratures: 1 << 20, SNR: 1, Scale: 1, Bits: 4, Disclosed: 4},
		"efficiency":       {KeyQuadratures: 1 << 20, SNR: 1, Scale: 1, Efficiency: []float64{-1}},
		"max block length": {KeyQuadratures: 1 << 20, SNR: 1, Scale: 1, MaxBlockLength: 1 << 23},
	} {
		if _, err := PlanSlices(p); !errors.Is(err, ErrInvalidPlan) {
			t.Errorf("%s: %v, want ErrInvalidPlan", name, err)
		}
	}
	// Blocks of 2^16 are too short for the lowest-rate slice at SNR 1: an
	// error that names the slice and the length, not a plan.
	if _, err := PlanSlices(SliceParams{KeyQuadratures: 1 << 18, SNR: 1, Scale: 1.4, MaxBlockLength: 1 << 16}); !errors.Is(err, ErrInvalidPlan) ||
		!strings.Contains(err.Error(), "slice 3") || !strings.Contains(err.Error(), "65536 channel bits") {
		t.Errorf("blocks of 2^16 at SNR 1: %v", err)
	}
	// Blocks of 2^20 at SNR 1: every slice's code has exactly the block's
	// channel bits and keeps floor(rate·q) bits secret, at its target rate
	// or, where the threshold margin lowered it, within 10 % below.
	q := 1 << 20
	long, err := PlanSlices(SliceParams{KeyQuadratures: q, SNR: 1, Scale: 1.4, MaxBlockLength: q})
	if err != nil {
		t.Fatalf("blocks of 2^20 at SNR 1: %v", err)
	}
	_, caps := SliceCapacities(1, long.Bits, long.Disclosed)
	_, rates := sliceTargets(caps, q, 0, nil, nil)
	for j, d := range long.Codes {
		r, err := d.EffectiveRate()
		if err != nil || d.ChannelBits() != q || d.KeyBits()-d.M() != int(r*float64(q)+0.5) || r > rates[j] || r < 0.9*rates[j] {
			t.Errorf("slice %d: %+v, %d channel bits, rate %.4f against a target of %.4f (%v)", j, d, d.ChannelBits(), r, rates[j], err)
		}
	}
	bad := SlicePlan{Bits: 4, Disclosed: 1, Scale: 1, Blocks: 1}
	if err := bad.Validate(); !errors.Is(err, ErrInvalidPlan) {
		t.Errorf("no codes: %v", err)
	}
}

// phiFast against math.Erfc everywhere on a fine grid and at the ends.
func TestPhiTable(t *testing.T) {
	worst := 0.0
	for z := -14.0; z <= 14; z += 1.0 / 1000 {
		want := 0.5 * math.Erfc(-z/math.Sqrt2)
		worst = max(worst, math.Abs(phiFast(z)-want))
	}
	if worst > 1e-9 {
		t.Errorf("phiFast is %.3g from Φ at worst", worst)
	}
	// From the table's ends on: 0 and 1 exactly (NaN as 0); just inside,
	// Φ(−11.99) ≈ 2·10^-33.
	for _, c := range []struct{ z, want float64 }{{math.Inf(1), 1}, {math.Inf(-1), 0}, {math.NaN(), 0}, {12, 1}, {-12, 0}, {13, 1}, {-13, 0}} {
		if got := phiFast(c.z); got != c.want {
			t.Errorf("phiFast(%g) = %g, want %g", c.z, got, c.want)
		}
	}
	if got := phiFast(-11.99); !(got > 0 && got < 1e-30) {
		t.Errorf("phiFast(-11.99) = %g", got)
	}
}

// phiFast against math.Erfc in the same run:
//
//	go test -run '^$' -bench 'Phi$' ./postprocessing/
func BenchmarkPhi(b *testing.B) {
	zs := make([]float64, 1024)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range zs {
		zs[i] = 3 * rng.NormFloat64()
	}
	var sink float64
	b.Run("table", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink += phiFast(zs[i&1023])
		}
	})
	b.Run("erfc", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink += 0.5 * math.Erfc(-zs[i&1023]/math.Sqrt2)
		}
	})
	_ = sink
}

// The coarse MD capacity of equivalentSNR's table against MDCapacity.
func TestMDCapacityCoarse(t *testing.T) {
	for _, s := range []float64{0.001, 0.01, 0.05, 0.2, 0.5, 1, 3, 10} {
		if a, b := MDCapacity(s), mdCapacityCoarse(s); math.Abs(a-b) > 1e-5 {
			t.Errorf("SNR %g: coarse %.7f, MDCapacity %.7f", s, b, a)
		}
	}
	// equivalentSNR inverts the table.
	for _, s := range []float64{0.02, 0.1, 0.3, 0.8} {
		if got := equivalentSNR(MDCapacity(s)); math.Abs(got/s-1) > 0.01 {
			t.Errorf("equivalentSNR(MDCapacity(%g)) = %g", s, got)
		}
	}
}

// Slices through the interfaces the stations use: Bob's syndromes and
// disclosed slices one after the other, as EC_BLOCK carries them, decoded
// by Alice in one parallel batch. A block given twice, a block whose hash
// is not Bob's and blocks of the wrong shape are refused; the others
// decode, and both sides agree on the key and its statistics.
func TestSliceSidesRoundTrip(t *testing.T) {
	sp, ch := testSlicePlan(t, 1)
	plan := ReconciliationPlan{Scheme: SchemeSlice, Slices: &sp, Blocks: sp.Blocks, Noise: ch.Noise}
	if err := plan.Validate(); err != nil {
		t.Fatal(err)
	}
	if plan.M() != sp.BlockLeakedBits() || plan.ChannelBits() != sp.Quadratures() || plan.Rate() != sp.Rate() || len(plan.QCCodes()) != sp.Coded() {
		t.Fatalf("plan's sizes differ from the slice plan's: M %d, channel bits %d, rate %g", plan.M(), plan.ChannelBits(), plan.Rate())
	}
	x, y, rng := sliceData(sp, ch, 2)
	bob, err := NewBobSide(plan, y, randReader{rng})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := NewAliceSide(plan, x, ch)
	if err != nil {
		t.Fatal(err)
	}
	q := sp.Quadratures()
	if err := alice.CheckBlockShape(0, plan.M(), 0, 0, sp.Disclosed*q-1); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("short disclosed bits: %v", err)
	}
	if err := alice.CheckBlockShape(0, plan.M()+1, 0, 0, sp.Disclosed*q); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("long syndrome: %v", err)
	}
	if err := alice.CheckBlockShape(0, plan.M(), 8, 1, sp.Disclosed*q); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("rotations in a slice block: %v", err)
	}
	var in []BlockInput
	for i := range sp.Blocks {
		syn, err := bob.Syndrome(i)
		if err != nil {
			t.Fatal(err)
		}
		side, err := bob.SideInfo(i)
		if err != nil {
			t.Fatal(err)
		}
		if len(syn) != plan.M() || len(side.Disclosed) != sp.Disclosed*q || side.Rotation != nil {
			t.Fatalf("block %d: %d syndrome bits, %d disclosed bits", i, len(syn), len(side.Disclosed))
		}
		in = append(in, BlockInput{Index: i, Syndrome: syn, Side: side})
	}
	in[1].Side.Hash ^= 1                // not Bob's words: refused once decoded
	in = append(in, in[0])              // given twice
	in[2].Syndrome = in[2].Syndrome[1:] // wrong shape
	errs := alice.DecodeBlocks(in)
	if errs[0] != nil || !errors.Is(errs[1], ErrBlockFailed) || !errors.Is(errs[2], ErrInvalidBlock) || !errors.Is(errs[3], ErrInvalidBlock) {
		t.Fatalf("errors %v", errs)
	}
	for i := range sp.Blocks {
		if err := bob.Accept(i, errs[i] == nil); err != nil {
			t.Fatal(err)
		}
	}
	sa, sb := alice.Stats(), bob.Stats()
	if sa.Decoded != 1 || sb.Decoded != 1 || sa.KeyBits != sb.KeyBits || sa.LeakedBits != sb.LeakedBits || sa.Quadratures != sb.Quadratures {
		t.Fatalf("stats differ: Alice %+v, Bob %+v", sa, sb)
	}
	if sb.KeyBits != sp.BlockKeyBits() || sb.LeakedBits != sp.BlockLeakedBits()+BlockHashBits {
		t.Fatalf("Bob's stats %+v charge other bits than one block's", sb)
	}
	if ka, kb := alice.Key(), bob.Key(); len(ka) != sp.BlockKeyBits() || VerificationHash(ka) != VerificationHash(kb) {
		t.Fatalf("keys of %d and %d bits differ", len(ka), len(kb))
	}
}

// A slice plan must name its scheme, carry no other code and agree with
// the plan on the blocks; a multidimensional plan carries no slices.
func TestSlicePlanValidate(t *testing.T) {
	sp, _ := testSlicePlan(t, 1)
	good := ReconciliationPlan{Scheme: SchemeSlice, Slices: &sp, Blocks: sp.Blocks, Noise: 1}
	qc := sp.Codes[0]
	for name, p := range map[string]ReconciliationPlan{
		"no slices":      {Scheme: SchemeSlice, QC: &qc, Blocks: sp.Blocks, Noise: 1},
		"md with slices": {Scheme: SchemeMultidimensional, Slices: &sp, Blocks: sp.Blocks, Noise: 1},
		"slices and qc":  {Scheme: SchemeSlice, Slices: &sp, QC: &qc, Blocks: sp.Blocks, Noise: 1},
		"other blocks":   {Scheme: SchemeSlice, Slices: &sp, Blocks: sp.Blocks + 1, Noise: 1},
		"no noise":       {Scheme: SchemeSlice, Slices: &sp, Blocks: sp.Blocks},
	} {
		if err := p.Validate(); !errors.Is(err, ErrInvalidPlan) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	// Five codes of 2^22 bits: more than Alice holds decoders for.
	big, err := qcldpc.ForRate(0.3, qcldpc.MaxLength)
	if err != nil {
		t.Fatal(err)
	}
	wide := SlicePlan{Bits: 6, Disclosed: 1, Scale: 1, Blocks: 1, Codes: []qcldpc.Description{big, big, big, big, big}}
	if err := wide.Validate(); !errors.Is(err, ErrInvalidPlan) || !strings.Contains(err.Error(), "in all") {
		t.Errorf("codes of %d bits in all: %v", wide.codeBits(), err)
	}
	if _, err := NewAliceSide(ReconciliationPlan{Scheme: SchemeSlice, Blocks: 1, Noise: 1}, nil, Channel{Gain: 1, Noise: 1}); !errors.Is(err, ErrInvalidPlan) {
		t.Errorf("Alice's side of a slice plan without slices: %v", err)
	}
}

// The planner gives slices where they reconcile more than multidimensional
// reconciliation (SNR 1) and multidimensional reconciliation where they
// do not (SNR 0.1); a denied slice plan falls back to multidimensional
// reconciliation.
func TestPlanReconciliationSlice(t *testing.T) {
	if testing.Short() {
		t.Skip("plans codes of 2^20 bits; run without -short")
	}
	params := func(snr float64) PlanParams {
		return PlanParams{KeyQuadratures: 3 << 20, SNR: snr, Noise: 1.1, Seed: 5, Scheme: SchemeSlice, MaxBlockLength: 1 << 20}
	}
	p := params(1)
	plan, err := PlanReconciliation(p)
	if err != nil {
		t.Fatal(err)
	}
	md := p
	md.Scheme = SchemeMultidimensional
	mdPlan, err := PlanReconciliation(md)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Scheme != SchemeSlice || plan.Slices == nil || plan.Slices.Scale != math.Sqrt(1.1*2) {
		t.Fatalf("SNR 1: scheme %q, slices %+v", plan.Scheme, plan.Slices)
	}
	if !(plan.Rate()*float64(plan.Quadratures()) > mdPlan.Rate()*float64(mdPlan.Quadratures())) {
		t.Fatalf("slices reconcile %g bits per quadrature, multidimensional %g", plan.Rate(), mdPlan.Rate())
	}
	t.Logf("SNR 1: slices %d/%d, β %.3f; multidimensional β %.3f", plan.Slices.Bits, plan.Slices.Disclosed,
		plan.Rate()/GaussianCapacity(1), mdPlan.Rate()/GaussianCapacity(1))
	back, next, ok, err := PlanWithout(p, plan)
	if err != nil || !ok || back.Scheme != SchemeMultidimensional || next.Scheme != SchemeMultidimensional || back.Rate() != mdPlan.Rate() {
		t.Fatalf("after a denial: %q (rate %g), ok %t, %v", back.Scheme, back.Rate(), ok, err)
	}
	low, err := PlanReconciliation(params(0.1))
	if err != nil || low.Scheme != SchemeMultidimensional {
		t.Fatalf("SNR 0.1: %q, %v", low.Scheme, err)
	}
	// Bob's own scale, when given, is the quantizer's.
	p.Scale = SampleScale([]float64{3, -4, 100}, 2)
	if plan, err = PlanReconciliation(p); err != nil || plan.Slices == nil || plan.Slices.Scale != math.Sqrt(12.5) {
		t.Fatalf("scale given: %+v, %v", plan.Slices, err)
	}
	if SampleScale(nil, 0) != 0 || SampleScale([]float64{-2}, 5) != 2 {
		t.Fatal("SampleScale of no value or of all values")
	}
}

// The slices' default targets: every slice at sliceFactor of the
// multidimensional table's β at its equivalent SNR, the least significant
// ones lowered further, continuously and monotonically, between the two
// SNRs where it was measured; the first slice raised by family 38's first
// slice factor where that family codes it below FamilyIrregular's rates,
// and only there.
func TestSliceFactor(t *testing.T) {
	if f := sliceFactorAt(0.001); f != sliceFactor*lowSliceFactor {
		t.Errorf("at SNR 0.001: %g", f)
	}
	if f := sliceFactorAt(0.2); f != sliceFactor {
		t.Errorf("at SNR 0.2: %g", f)
	}
	prev := sliceFactorAt(lowSliceSNR * 0.99)
	for s := lowSliceSNR * 0.99; s <= lowSliceSNR1*1.01; s *= 1.001 {
		f := sliceFactorAt(s)
		if f < prev || f-prev > 1e-3 {
			t.Fatalf("at SNR %g: %g after %g", s, f, prev)
		}
		prev = f
	}
	_, caps := SliceCapacities(0.7, 7, 2)
	q := 1 << 21
	_, rates := sliceTargets(caps, q, 0, nil, nil)
	_, without := sliceTargets(caps, q, 0, nil, beforeSliceFactor())
	factor := familyTargets[qcldpc.FamilyMDHighWide].firstSliceFactor
	for j, c := range caps {
		s := equivalentSNR(c)
		want := sliceFactorAt(s) * DefaultEfficiencyAt(s, q) * GaussianCapacity(s)
		if math.Abs(without[j]-want) > 1e-12 {
			t.Errorf("slice %d without family %d: target %g, want %g", j, qcldpc.FamilyMDHighWide, without[j], want)
		}
		// The first slice (rate 0.2) is family 38's, whose slice factor
		// raises it; the others keep the table's.
		if j == 0 {
			if d, err := qcldpc.ForRate(want, q); err != nil || d.Family != qcldpc.FamilyMDHighWide {
				t.Fatalf("SNR 0.7, slice 0: family %d (%v), want %d", d.Family, err, qcldpc.FamilyMDHighWide)
			}
			want *= factor
		}
		if math.Abs(rates[j]-want) > 1e-12 {
			t.Errorf("slice %d: target %g, want %g", j, rates[j], want)
		}
	}
	if !(factor > 1) {
		t.Errorf("family %d's first slice factor %g", qcldpc.FamilyMDHighWide, factor)
	}
	// At SNR 2 family 38 codes the first two slices (rates 0.38 and 0.2),
	// the first above FamilyIrregular's rates: both keep the table's target.
	_, caps = SliceCapacities(2, 7, 1)
	_, rates = sliceTargets(caps, q, 0, nil, nil)
	for j, c := range caps[:2] {
		s := equivalentSNR(c)
		if d, err := qcldpc.ForRate(rates[j], q); err != nil || d.Family != qcldpc.FamilyMDHighWide {
			t.Fatalf("SNR 2, slice %d: family %d (%v), want %d", j, d.Family, err, qcldpc.FamilyMDHighWide)
		}
		if want := sliceFactorAt(s) * DefaultEfficiencyAt(s, q) * GaussianCapacity(s); math.Abs(rates[j]-want) > 1e-12 {
			t.Errorf("SNR 2, slice %d: target %g, want the table's %g", j, rates[j], want)
		}
	}
}

// beforeSliceFactor is what ForRate plans with, less the family with a
// slice factor (familyTargets).
func beforeSliceFactor() []int {
	return slices.DeleteFunc(qcldpc.PlannedFamilies(), func(id int) bool { return id == qcldpc.FamilyMDHighWide })
}

// The first slice at SNR 0.5 (rate about 0.166) is FamilySixth's, at that
// family's slice target up to the top of its rates; without it,
// family 38's at its first slice factor, as before FamilySixth. The other
// slices keep their targets.
func TestSliceTargetSixth(t *testing.T) {
	own := familyTargets[qcldpc.FamilySixth].slice
	q := 2_796_202
	_, caps := SliceCapacities(0.5, 7, 2)
	s0 := equivalentSNR(caps[0])
	table := DefaultEfficiencyAt(s0, q) * sliceFactorAt(s0)
	_, hi := qcldpc.FamilyRateRange(qcldpc.FamilySixth)
	snrs, rates := sliceTargets(caps, q, 0, nil, nil)
	want := min(own*GaussianCapacity(s0), hi)
	if math.Abs(rates[0]-want) > 1e-12 || !(own > table) {
		t.Fatalf("slice 0 (equivalent SNR %.4f): target %.5f, want %.5f (own β %.4f, table %.4f)", snrs[0], rates[0], want, own, table)
	}
	if d, err := qcldpc.ForRate(rates[0], q); err != nil || d.Family != qcldpc.FamilySixth {
		t.Fatalf("slice 0: family %d (%v), want %d", d.Family, err, qcldpc.FamilySixth)
	}
	without := slices.DeleteFunc(qcldpc.PlannedFamilies(), func(id int) bool { return id == qcldpc.FamilySixth })
	_, old := sliceTargets(caps, q, 0, nil, without)
	if w := table * GaussianCapacity(s0) * familyTargets[qcldpc.FamilyMDHighWide].firstSliceFactor; math.Abs(old[0]-w) > 1e-12 {
		t.Errorf("slice 0 without FamilySixth: target %.5f, want family 38's %.5f", old[0], w)
	}
	for j := 1; j < len(caps); j++ {
		if rates[j] != old[j] {
			t.Errorf("slice %d: target %g with FamilySixth, %g without", j, rates[j], old[j])
		}
	}
	// The planner keeps that target: a family's own slice target is not
	// lowered by the margin rule on the MD channel.
	plan, err := PlanSlices(SliceParams{SNR: 0.5, Bits: 7, Disclosed: 2, Scale: math.Sqrt(1.5), KeyQuadratures: 2 * q, MaxBlockLength: q})
	if err != nil {
		t.Fatal(err)
	}
	d := plan.Codes[0]
	if r, err := d.EffectiveRate(); err != nil || d.Family != qcldpc.FamilySixth || r > rates[0] || r < rates[0]-0.0002 {
		t.Errorf("planned slice 0: %+v at rate %.5f, want family %d at %.5f (%v)", d, r, qcldpc.FamilySixth, rates[0], err)
	}
}

// A slice whose rate FamilyIrregular codes (at SNR 1 the first coded
// slice, rate about 0.265) gets that family's slice target as its default
// target, and that family's code; among families without it, the table's
// target lowered by sliceFactorAt, as every other slice.
func TestSliceTargetIrregular(t *testing.T) {
	own := familyTargets[qcldpc.FamilyIrregular].slice
	q := 3 << 20
	_, caps := SliceCapacities(1, 6, 1)
	s0 := equivalentSNR(caps[0])
	table := DefaultEfficiencyAt(s0, q) * sliceFactorAt(s0)
	snrs, rates := sliceTargets(caps, q, 0, nil, nil)
	if got := rates[0] / GaussianCapacity(snrs[0]); math.Abs(got-own) > 1e-12 || !(own > table) {
		t.Fatalf("slice 0 (equivalent SNR %.4f): target β %.4f, want %.4f (table %.4f)", s0, got, own, table)
	}
	// The second slice (rate about 0.124) is family 37's, at its own
	// slice target.
	if got, want := rates[1]/GaussianCapacity(snrs[1]), familyTargets[qcldpc.FamilyMD3Wide].slice; math.Abs(got-want) > 1e-12 {
		t.Errorf("slice 1: target β %.4f, want family %d's %.4f", got, qcldpc.FamilyMD3Wide, want)
	}
	// Without it, family 38 codes slice 0 at FamilyIrregular's rates,
	// where its first slice factor does not apply: the table's target.
	_, without := sliceTargets(caps, q, 0, nil, beforeIrregular())
	if got := without[0] / GaussianCapacity(s0); math.Abs(got-table) > 1e-12 {
		t.Errorf("slice 0 without FamilyIrregular: target β %.4f, want the table's %.4f", got, table)
	}
	for j := 1; j < len(caps); j++ {
		if rates[j] != without[j] {
			t.Errorf("slice %d: target %g with FamilyIrregular, %g without", j, rates[j], without[j])
		}
	}
	// A configured β or efficiency factors apply as before.
	if _, r := sliceTargets(caps, q, 0.9, nil, nil); math.Abs(r[0]/GaussianCapacity(s0)-0.9) > 1e-12 {
		t.Errorf("configured β 0.9: slice 0 at %.4f", r[0]/GaussianCapacity(s0))
	}
	if _, r := sliceTargets(caps, q, 0, []float64{0.99}, nil); math.Abs(r[0]-0.99*rates[0]) > 1e-12 {
		t.Errorf("factor 0.99: slice 0's rate %g, want %g", r[0], 0.99*rates[0])
	}
	plan, err := PlanSlices(SliceParams{SNR: 1, Bits: 6, Disclosed: 1, Scale: 1.4, KeyQuadratures: 4 * q, MaxBlockLength: q})
	if err != nil {
		t.Fatal(err)
	}
	d := plan.Codes[0]
	r, err := d.EffectiveRate()
	if err != nil || d.Family != qcldpc.FamilyIrregular || r > rates[0] || r < rates[0]-0.001 {
		t.Errorf("planned slice 0: %+v at rate %.4f, want family %d at %.4f (%v)", d, r, qcldpc.FamilyIrregular, rates[0], err)
	}
	// The top of its range bounds the target: a slice whose table target
	// is just below 2/7 is raised to 2/7, not to the family's own target.
	_, hi := qcldpc.FamilyRateRange(qcldpc.FamilyIrregular)
	found := false
	for c := 0.28; c < 0.36; c += 0.0005 {
		_, r0 := sliceTargets([]float64{c}, q, 0, nil, beforeIrregular())
		if r0[0] < 0.99*hi {
			continue
		}
		found = true
		_, r1 := sliceTargets([]float64{c}, q, 0, nil, nil)
		if math.Abs(r1[0]-hi) > 1e-12 || r0[0] > hi {
			t.Errorf("capacity %.4f: target rate %.4f (%.4f without FamilyIrregular), want the family's top %.4f", c, r1[0], r0[0], hi)
		}
		break
	}
	if !found {
		t.Error("no slice capacity up to 0.36 has a table target near 2/7")
	}
}
