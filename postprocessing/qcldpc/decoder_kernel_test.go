package qcldpc

import (
	"math"
	"math/rand/v2"
	"testing"
)

// kernelFloat draws the values a layer meets: ordinary LLRs and messages,
// their extremes (±0, values below and above the φ table's range, the
// clamp, infinities, NaN) so that every table bin and sign path is hit.
func kernelFloat(rng *rand.Rand) float32 {
	switch rng.IntN(12) {
	case 0:
		return float32(math.Copysign(0, rng.NormFloat64()))
	case 1:
		return float32(rng.NormFloat64() * 1e-6)
	case 2:
		return float32(rng.NormFloat64() * 300)
	case 3:
		return decLLRClamp * float32(1-2*rng.IntN(2))
	case 4:
		return float32(math.Inf(1 - 2*rng.IntN(2)))
	case 5:
		return math.Float32frombits(rng.Uint32())
	}
	return float32(rng.NormFloat64() * 4)
}

// TestDecoderKernelsMatchGo runs the layer kernels decInit, decCount,
// decGather and decScatter (vector where the machine has it) against their
// Go loops on
// the same inputs, at every length up to 300 and every alignment of the
// vector part, and requires the same bits in every output.
func TestDecoderKernelsMatchGo(t *testing.T) {
	if decKernelBest == decKernelGo {
		t.Log("no vector kernel on this machine (or built with purego): decGather and decScatter are the Go loops")
	}
	defer func() { decKernel = decKernelBest }()
	for kern := decKernelGo; kern <= decKernelBest; kern++ {
		decKernel = kern
		testKernelMatchesGo(t, kern)
	}
}

func testKernelMatchesGo(t *testing.T, kern int) {
	rng := rand.New(rand.NewPCG(7, 8))
	floats := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = kernelFloat(rng)
		}
		return v
	}
	words := func(n int) []uint32 {
		v := make([]uint32, n)
		for i := range v {
			v[i] = rng.Uint32()
		}
		return v
	}
	same := func(name string, n int, a, b []float32) {
		t.Helper()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("kernel %d, n=%d: %s[%d] = %#x, want %#x (Go)", kern, n, name, i, math.Float32bits(a[i]), math.Float32bits(b[i]))
			}
		}
	}
	sameWords := func(name string, n int, a, b []uint32) {
		t.Helper()
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("kernel %d, n=%d: %s[%d] = %#x, want %#x (Go)", kern, n, name, i, a[i], b[i])
			}
		}
	}
	for n := 0; n <= 300; n++ {
		for rep := 0; rep < 3; rep++ {
			p, r, sum := floats(n), floats(n), floats(n)
			sgn, parity := words(n), words(n)
			p2, r2, sum2 := append([]float32(nil), p...), append([]float32(nil), r...), append([]float32(nil), sum...)
			sgn2, parity2 := append([]uint32(nil), sgn...), append([]uint32(nil), parity...)
			tk, fk := make([]float32, n), make([]float32, n)
			tg, fg := make([]float32, n), make([]float32, n)
			syn := make([]uint8, n)
			for i := range syn {
				syn[i] = uint8(rng.IntN(2))
			}
			decInit(syn, sgn, parity, sum)
			decInitGo(syn, sgn2, parity2, sum2)
			same("sum after init", n, sum, sum2)
			sameWords("sgn after init", n, sgn, sgn2)
			sameWords("parity after init", n, parity, parity2)
			// Random accumulators again, as if earlier edges had been read.
			for i := range sum {
				sum[i], sgn[i], parity[i] = kernelFloat(rng), rng.Uint32(), rng.Uint32()
				sum2[i], sgn2[i], parity2[i] = sum[i], sgn[i], parity[i]
			}
			if got, want := decCount(parity), decCountGo(parity); got != want {
				t.Fatalf("kernel %d, n=%d: decCount = %d, want %d (Go)", kern, n, got, want)
			}
			decGather(p, r, tk, fk, sum, sgn, parity)
			decGatherGo(p2, r2, tg, fg, sum2, sgn2, parity2)
			same("t", n, tk, tg)
			same("f", n, fk, fg)
			same("sum", n, sum, sum2)
			sameWords("sgn", n, sgn, sgn2)
			sameWords("parity", n, parity, parity2)

			decScatter(p, r, tk, fk, sum, sgn)
			decScatterGo(p2, r2, tg, fg, sum2, sgn2)
			same("message", n, r, r2)
			same("posterior", n, p, p2)
		}
	}
}

// TestDecoderKernelsDecodeAlike decodes the same blocks of the Raptor-like
// test code (Z not a multiple of 8, so every run has a tail) with each
// kernel, near its threshold where blocks take many iterations and some
// fail, and requires the same iterations, verdict and decisions.
func TestDecoderKernelsDecodeAlike(t *testing.T) {
	base, punct := testRaptorBase(6, 2, 44)
	c := testMustLift(3, base, 1001, punct)
	defer func() { decKernel = decKernelBest }()
	rng := rand.New(rand.NewPCG(5, 6))
	bits, synd, llr := make([]uint8, c.N()), make([]uint8, c.M()), make([]float32, c.N())
	failed := 0
	for blk := 0; blk < 6; blk++ {
		testBlock(rng, c, 0.19+0.02*float64(blk%3), bits, synd, llr)
		var want []uint8
		var wantIt int
		var wantOK bool
		for kern := decKernelGo; kern <= decKernelBest; kern++ {
			decKernel = kern
			d, err := NewDecoder(c, 60)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]uint8, c.N())
			it, ok, err := d.Decode(llr, synd, out)
			if err != nil {
				t.Fatal(err)
			}
			if kern == decKernelGo {
				want, wantIt, wantOK = out, it, ok
				if !ok {
					failed++
				}
				continue
			}
			if it != wantIt || ok != wantOK || string(out) != string(want) {
				t.Fatalf("block %d, kernel %d: %d iterations, ok %v; the Go loops: %d, %v (decisions equal: %v)",
					blk, kern, it, ok, wantIt, wantOK, string(out) == string(want))
			}
		}
	}
	t.Logf("%d of 6 blocks failed with every kernel", failed)
}
