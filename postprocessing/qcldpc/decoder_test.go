package qcldpc

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestDecoderPhiTable checks the tabulated φ against −ln tanh(x/2) computed
// directly, over the range check messages live in.
func TestDecoderPhiTable(t *testing.T) {
	for x := 1e-4; x < 60; x *= 1.01 {
		want := -math.Log(math.Tanh(x / 2))
		got := float64(decPhiOf(float32(x)))
		// One bin spans a relative step of 1/64 in x: |φ'(x)|·x/128 bounds
		// the error, plus float32 rounding.
		tol := x/(128*math.Sinh(x)) + 1e-6*want + 1e-7
		if math.Abs(got-want) > tol || math.Abs(float64(decPhiOf(float32(-x)))-got) != 0 {
			t.Fatalf("φ(%g) = %g, want %g ± %g", x, got, want, tol)
		}
	}
	if got := decPhiOf(0); got != decPhiCap || decPhiCap < 11 || decPhiCap > 12.5 {
		t.Errorf("φ(0) = %g, cap %g: want the cap φ(2^-16) ≈ 11.8", got, decPhiCap)
	}
	if got := decPhiOf(float32(math.Inf(1))); got != 0 {
		t.Errorf("φ(+Inf) = %g, want 0", got)
	}
}

// TestDecoderLayerMatchesExactRule compares the posteriors after one and two
// layered iterations with a float64 layered decoder using the exact tanh
// rule, written from the definition over the explicit edge list. This pins
// the layout (which variable check j of a circulant reads), the sign rule
// with syndrome flips, and the accuracy of the φ table.
func TestDecoderLayerMatchesExactRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		code *Code
	}{
		{"regular36-z37", testMustLift(1, testRegular36(), 37, nil)},
		{"raptor-z13", func() *Code { b, p := testRaptorBase(3, 1, 8); return testMustLift(2, b, 13, p) }()},
	} {
		c := tc.code
		bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
		llr := make([]float32, c.N())
		testBlock(rng, c, 0.5, bits, synd, llr)
		d, err := NewDecoder(c, 10)
		if err != nil {
			t.Fatal(err)
		}
		for iters := 1; iters <= 2; iters++ {
			copy(d.p, llr)
			clear(d.r)
			for range iters {
				d.iterate(synd)
			}
			want := refLayeredPosteriors(c, llr, synd, iters)
			worst := 0.0
			for i, w := range want {
				worst = max(worst, math.Abs(float64(d.p[i])-w)/(1+math.Abs(w)))
			}
			if worst > 0.03 {
				t.Errorf("%s, %d iterations: posteriors differ from the exact rule by up to %.3g (relative)", tc.name, iters, worst)
			}
		}
	}
}

// TestDecoderAgreesWithFlooding decodes the same blocks with the decoder and
// with a straightforward flooding sum-product reference: whenever both
// converge they give the same word, and both converge on most blocks.
func TestDecoderAgreesWithFlooding(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rb, rp := testRaptorBase(3, 1, 10)
	for _, tc := range []struct {
		name string
		code *Code
		snr  float64
	}{
		{"regular36", testMustLift(7, testRegular36(), 64, nil), 2.0},
		{"raptor", testMustLift(8, rb, 32, rp), 0.6},
	} {
		c := tc.code
		d, err := NewDecoder(c, 60)
		if err != nil {
			t.Fatal(err)
		}
		bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
		llr, out := make([]float32, c.N()), make([]uint8, c.N())
		both := 0
		const blocks = 12
		for range blocks {
			testBlock(rng, c, tc.snr, bits, synd, llr)
			_, ok, err := d.Decode(llr, synd, out)
			if err != nil {
				t.Fatal(err)
			}
			ref, _, refOK := refFlooding(c, llr, synd, 120)
			if ok && refOK {
				both++
				if !slices.Equal(out, ref) {
					t.Errorf("%s: both converged to different words", tc.name)
				}
			}
		}
		if both < blocks*3/4 {
			t.Errorf("%s at SNR %g: both decoders converged on %d of %d blocks, want most", tc.name, tc.snr, both, blocks)
		}
	}
}

// TestDecoderHighSNR: far above threshold every block decodes to Bob's word
// within a few iterations.
func TestDecoderHighSNR(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	rb, rp := testRaptorBase(4, 1, 16)
	for _, c := range []*Code{testMustLift(11, testRegular36(), 256, nil), testMustLift(12, rb, 128, rp)} {
		d, err := NewDecoder(c, 50)
		if err != nil {
			t.Fatal(err)
		}
		bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
		llr, out := make([]float32, c.N()), make([]uint8, c.N())
		for b := range 10 {
			testBlock(rng, c, 8, bits, synd, llr)
			it, ok, err := d.Decode(llr, synd, out)
			if err != nil || !ok || !slices.Equal(out, bits) || it > 10 {
				t.Fatalf("block %d at SNR 8: ok=%v err=%v after %d iterations, word correct=%v", b, ok, err, it, slices.Equal(out, bits))
			}
		}
	}
}

// TestDecoderFarBelowThreshold: at an SNR whose capacity is a hundredth of
// the rate, no block may be reported decoded.
func TestDecoderFarBelowThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	c := testMustLift(15, testRegular36(), 512, nil)
	d, err := NewDecoder(c, 30)
	if err != nil {
		t.Fatal(err)
	}
	bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
	llr, out := make([]float32, c.N()), make([]uint8, c.N())
	s := make([]uint8, c.M())
	for b := range 6 {
		testBlock(rng, c, 0.005, bits, synd, llr)
		it, ok, err := d.Decode(llr, synd, out)
		if err != nil {
			t.Fatal(err)
		}
		if ok || it != 30 {
			t.Fatalf("block %d at SNR 0.005 on a rate-½ code: ok=%v after %d iterations", b, ok, it)
		}
		if err := c.Syndrome(out, s); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(s, synd) {
			t.Fatalf("block %d: reported failed but its decisions satisfy the syndrome", b)
		}
	}
}

// TestDecoderPunctured: the hub column of the Raptor-like code is never sent
// (LLR 0); decoding recovers it along with the rest.
func TestDecoderPunctured(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	rb, rp := testRaptorBase(4, 2, 40)
	c := testMustLift(18, rb, 200, rp)
	d, err := NewDecoder(c, 100)
	if err != nil {
		t.Fatal(err)
	}
	bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
	llr, out := make([]float32, c.N()), make([]uint8, c.N())
	for b := range 5 {
		testBlock(rng, c, 1.0, bits, synd, llr)
		for j := range c.Z {
			if llr[j] != 0 {
				t.Fatal("test set-up: hub column not punctured")
			}
		}
		_, ok, err := d.Decode(llr, synd, out)
		if err != nil || !ok || !slices.Equal(out, bits) {
			t.Fatalf("block %d: ok=%v err=%v, word correct=%v", b, ok, err, slices.Equal(out, bits))
		}
	}
}

// TestDecoderShortened: at an SNR where the rate-½ code fails, shortening
// two thirds of one base column's worth of bits per… (a third of all bits,
// given as ±Inf) lowers the rate enough to decode, and the shortened bits
// come out as given.
func TestDecoderShortened(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	c := testMustLift(21, testRegular36(), 512, nil)
	d, err := NewDecoder(c, 100)
	if err != nil {
		t.Fatal(err)
	}
	bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
	llr, out := make([]float32, c.N()), make([]uint8, c.N())
	const snr = 0.9 // BIAWGN capacity ≈ 0.42 < ½
	plainOK, shortOK := 0, 0
	for range 6 {
		testBlock(rng, c, snr, bits, synd, llr)
		if _, ok, _ := d.Decode(llr, synd, out); ok {
			plainOK++
		}
		for i := 0; i < c.N(); i += 3 { // shorten every third bit
			llr[i] = float32(math.Inf(1 - 2*int(bits[i])))
		}
		_, ok, err := d.Decode(llr, synd, out)
		if err != nil {
			t.Fatal(err)
		}
		if ok && slices.Equal(out, bits) {
			shortOK++
		}
		for i := 0; i < c.N(); i += 3 {
			if out[i] != bits[i] {
				t.Fatalf("shortened bit %d decided %d, given %d", i, out[i], bits[i])
			}
		}
	}
	if plainOK > 1 || shortOK < 6 {
		t.Errorf("at SNR %g: %d/6 plain blocks decoded (want ≤ 1), %d/6 shortened blocks decoded (want 6)", snr, plainOK, shortOK)
	}
}

// TestDecoderProperties: on random codes (random base matrices and shifts,
// 4-cycles allowed), random noise, shortened, punctured and NaN LLRs, a
// block reported ok always satisfies the syndrome sent, a block reported
// failed does not, shortened bits come out as given, and the iteration
// count respects the bound.
func TestDecoderProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rows := rapid.IntRange(1, 4).Draw(t, "rows")
		cols := rapid.IntRange(rows+1, rows+6).Draw(t, "cols")
		z := rapid.IntRange(1, 24).Draw(t, "z")
		var cs []Circulant
		for r := range rows {
			for c := range cols {
				if rapid.IntRange(0, 9).Draw(t, "edge") < 6 {
					cs = append(cs, Circulant{int32(r), int32(c), int32(rapid.IntRange(0, z-1).Draw(t, "shift"))})
				}
			}
		}
		code := &Code{Z: z, BaseRows: rows, BaseCols: cols, Circulants: cs}
		maxIter := rapid.IntRange(1, 40).Draw(t, "maxIter")
		d, err := NewDecoder(code, maxIter)
		if err != nil {
			t.Fatal(err)
		}
		seed := rapid.Uint64().Draw(t, "seed")
		rng := rand.New(rand.NewPCG(seed, 0))
		snr := math.Exp(rapid.Float64Range(math.Log(0.01), math.Log(20)).Draw(t, "snr"))
		n := code.N()
		bits, synd := make([]uint8, n), make([]uint8, code.M())
		llr, out := make([]float32, n), make([]uint8, n)
		testBlock(rng, code, snr, bits, synd, llr)
		shortened := make([]bool, n)
		for i := range llr {
			switch rng.IntN(10) {
			case 0:
				shortened[i] = true
				llr[i] = float32(math.Inf(1 - 2*int(bits[i])))
			case 1:
				llr[i] = 0
			case 2:
				llr[i] = float32(math.NaN())
			}
		}
		it, ok, err := d.Decode(llr, synd, out)
		if err != nil {
			t.Fatal(err)
		}
		if it < 1 || it > maxIter {
			t.Fatalf("%d iterations, bound %d", it, maxIter)
		}
		s := make([]uint8, code.M())
		if err := code.Syndrome(out, s); err != nil {
			t.Fatal(err)
		}
		if ok != slices.Equal(s, synd) {
			t.Fatalf("ok = %v but decisions satisfy the syndrome = %v", ok, !ok)
		}
		for i, sh := range shortened {
			if sh && out[i] != bits[i] {
				t.Fatalf("shortened bit %d decided %d, given %d", i, out[i], bits[i])
			}
			if out[i] > 1 {
				t.Fatalf("output %d = %d", i, out[i])
			}
		}
	})
}

func TestDecoderRejectsInvalid(t *testing.T) {
	good := testMustLift(22, testRegular36(), 16, nil)
	if _, err := NewDecoder(nil, 10); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("nil code: %v", err)
	}
	if _, err := NewDecoder(good, -1); !errors.Is(err, ErrDecodeInput) {
		t.Errorf("negative iterations: %v", err)
	}
	dup := &Code{Z: 4, BaseRows: 1, BaseCols: 2, Circulants: []Circulant{{0, 0, 1}, {0, 0, 2}, {0, 1, 0}}}
	if _, err := NewDecoder(dup, 10); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("two circulants on one (row, column): %v", err)
	}
	bad := &Code{Z: 4, BaseRows: 1, BaseCols: 2, Circulants: []Circulant{{0, 1, 4}}}
	if _, err := NewDecoder(bad, 10); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("shift out of range: %v", err)
	}
	huge := &Code{Z: 1 << 30, BaseRows: 1, BaseCols: 2, Circulants: []Circulant{{0, 1, 0}}}
	if _, err := NewDecoder(huge, 10); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("huge code: %v", err)
	}

	d, err := NewDecoder(good, 0)
	if err != nil || d.MaxIterations() != DefaultDecoderIterations || d.Code().N() != good.N() || !slices.Equal(d.Code().Circulants, good.Circulants) {
		t.Fatalf("NewDecoder(good, 0) = %v, %v", d, err)
	}
	n, m := good.N(), good.M()
	llr, synd, out := make([]float32, n), make([]uint8, m), make([]uint8, n)
	// Changing the caller's code after construction does not reach the
	// decoder.
	good.BaseCols, good.Circulants = 2, good.Circulants[:1]
	if _, _, err := d.Decode(llr, synd, out); err != nil {
		t.Errorf("after the caller changed its code: %v", err)
	}
	for _, tc := range []struct {
		name string
		llr  []float32
		synd []uint8
		out  []uint8
	}{
		{"short llr", llr[:n-1], synd, out},
		{"long syndrome", llr, append(slices.Clone(synd), 0), out},
		{"short out", llr, synd, out[:1]},
		{"nil", nil, nil, nil},
		{"syndrome value 2", llr, append(slices.Clone(synd[:m-1]), 2), out},
	} {
		if _, ok, err := d.Decode(tc.llr, tc.synd, tc.out); !errors.Is(err, ErrDecodeInput) || ok {
			t.Errorf("%s: ok=%v err=%v, want ErrDecodeInput", tc.name, ok, err)
		}
	}
}

// TestDecoderNoAllocations: after construction, decoding allocates nothing.
func TestDecoderNoAllocations(t *testing.T) {
	rb, rp := testRaptorBase(3, 1, 9)
	c := testMustLift(23, rb, 64, rp)
	d, err := NewDecoder(c, 20)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(24, 25))
	bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
	llr, out := make([]float32, c.N()), make([]uint8, c.N())
	testBlock(rng, c, 0.3, bits, synd, llr)
	if a := testing.AllocsPerRun(5, func() { _, _, _ = d.Decode(llr, synd, out) }); a != 0 {
		t.Errorf("Decode allocates %g times per block", a)
	}
}

// TestDecoderPool: the pool's per-block results equal sequential decoding,
// and a malformed job fails alone.
func TestDecoderPool(t *testing.T) {
	rb, rp := testRaptorBase(3, 1, 9)
	c := testMustLift(26, rb, 64, rp)
	pool, err := NewDecoderPool(c, 40, 3)
	if err != nil || pool.Workers() != 3 {
		t.Fatalf("NewDecoderPool: %v", err)
	}
	seq, err := NewDecoder(c, 40)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(27, 28))
	const blocks = 9
	jobs := make([]DecodeJob, blocks)
	want := make([]DecodeResult, blocks)
	wantOut := make([][]uint8, blocks)
	for i := range jobs {
		bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
		llr := make([]float32, c.N())
		testBlock(rng, c, []float64{0.2, 0.8, 3}[i%3], bits, synd, llr)
		jobs[i] = DecodeJob{LLR: llr, Syndrome: synd, Out: make([]uint8, c.N())}
		wantOut[i] = make([]uint8, c.N())
		it, ok, err := seq.Decode(llr, synd, wantOut[i])
		want[i] = DecodeResult{it, ok, err}
	}
	jobs[4].Syndrome = jobs[4].Syndrome[:1]
	results := make([]DecodeResult, blocks)
	if err := pool.DecodeAll(jobs, results); err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if i == 4 {
			if !errors.Is(r.Err, ErrDecodeInput) || r.OK {
				t.Errorf("malformed job: %+v", r)
			}
			continue
		}
		if r != want[i] || !slices.Equal(jobs[i].Out, wantOut[i]) {
			t.Errorf("job %d: pool %+v, sequential %+v", i, r, want[i])
		}
	}
	if err := pool.DecodeAll(jobs, results[:1]); !errors.Is(err, ErrDecodeInput) {
		t.Errorf("mismatched results: %v", err)
	}
	if _, err := NewDecoderPool(&Code{}, 10, 0); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("invalid code: %v", err)
	}
}

// TestDecoderRegularThreshold checks the decoder against the published
// belief-propagation threshold of the (3,6)-regular ensemble on the BIAWGN
// channel, σ* = 0.8809 (Richardson, Shokrollahi and Urbanke 2001), i.e.
// snr* = 1/σ*² ≈ 1.289: half a decibel below it every block of a 2^15-bit
// lifting fails, half a decibel above it every block decodes.
func TestDecoderRegularThreshold(t *testing.T) {
	const snrStar = 1 / (0.8809 * 0.8809)
	c := testMustLift(40, testRegular36(), (1<<15)/6, nil)
	d, err := NewDecoder(c, 100)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(41, 42))
	bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
	llr, out := make([]float32, c.N()), make([]uint8, c.N())
	for _, tc := range []struct {
		dB   float64
		want bool
	}{{-0.5, false}, {0.5, true}} {
		snr := snrStar * math.Pow(10, tc.dB/10)
		blocks := 3
		if testRace {
			blocks = 1
		}
		for b := range blocks {
			testBlock(rng, c, snr, bits, synd, llr)
			it, ok, err := d.Decode(llr, synd, out)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.want {
				t.Errorf("SNR %.3f (%+.1f dB from the threshold), block %d: ok=%v after %d iterations, want %v", snr, tc.dB, b, ok, it, tc.want)
			}
		}
	}
}
