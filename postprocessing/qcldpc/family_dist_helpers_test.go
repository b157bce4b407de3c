package qcldpc

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// forRateFamily is ForRate restricted to one family, so tests can compare
// families at the same rate.
func forRateFamily(id int, rate float64, n int) (Description, error) {
	fam := families[id]
	f := &fam.raptor
	rows := fam.minRows
	for rows < f.MaxRows() && f.RateAt(rows+1) >= rate {
		rows++
	}
	d := Description{Family: id, Rows: rows, Z: n / (f.Cols(rows) * fam.preLiftAt(rows))}
	s, err := d.shape()
	if err != nil {
		return Description{}, err
	}
	sh := float64(s.n) - (float64(s.m)-rate*float64(s.structP))/(1-rate)
	d.Shortened = max(0, min(s.candidates, int(math.Ceil(sh))))
	return d, d.Validate()
}

// snrForBeta is the SNR per quadrature at which rate is a fraction beta of
// ½·log2(1 + snr).
func snrForBeta(rate, beta float64) float64 {
	return math.Pow(2, 2*rate/beta) - 1
}

// decodeBlocks draws Bob's uniform words, sends their syndromes over the
// BIAWGN channel at snr (BPSK ±√snr, unit noise) with the adapted code's
// shortened and punctured bits, and decodes them with the layered decoder
// (channel LLRs clamped as the reconciliation does). It counts the blocks
// that fail and, among the blocks the decoder reports decoded, those whose
// word is not Bob's (a wrong word with Bob's syndrome).
func decodeBlocks(t testing.TB, a *Adapted, snr float64, blocks int, seed uint64) (fails, wrong int, iters []int) {
	t.Helper()
	c := a.Code
	dec, err := NewDecoder(c, 500)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	bits := make([]uint8, c.N())
	out := make([]uint8, c.N())
	syn := make([]uint8, c.M())
	llr := make([]float32, c.N())
	amp := math.Sqrt(snr)
	for b := 0; b < blocks; b++ {
		for i := range bits {
			bits[i] = uint8(rng.IntN(2))
			y := amp*(1-2*float64(bits[i])) + rng.NormFloat64()
			llr[i] = float32(min(max(2*amp*y, -10), 10))
		}
		for _, p := range a.Punctured {
			llr[p] = 0
		}
		for _, p := range a.Shortened {
			llr[p] = float32(math.Inf(1 - 2*int(bits[p])))
		}
		if err := c.Syndrome(bits, syn); err != nil {
			t.Fatal(err)
		}
		it, ok, err := dec.Decode(llr, syn, out)
		if err != nil {
			t.Fatal(err)
		}
		iters = append(iters, it)
		switch {
		case !ok:
			fails++
		default:
			for i := range out {
				if out[i] != bits[i] {
					wrong++
					fails++
					break
				}
			}
		}
	}
	return fails, wrong, iters
}

// checkNoFourCycles builds d and reports an error if its code has 4-cycles
// (counted from the shifts).
func checkNoFourCycles(t *testing.T, d Description) {
	t.Helper()
	a, err := Build(d)
	if err != nil {
		t.Fatal(err)
	}
	if n := a.Code.FourCycles(); n != 0 {
		t.Errorf("%+v: %d 4-cycles", d, n)
	}
}

// constructionDigest hashes an adapted code's circulants and its shortened
// and punctured positions: the value a frozen family must keep.
func constructionDigest(a *Adapted) uint64 {
	h := fnv.New64a()
	for _, e := range a.Code.Circulants {
		h.Write([]byte{byte(e.Row), byte(e.Row >> 8), byte(e.Col), byte(e.Col >> 8), byte(e.Shift), byte(e.Shift >> 8)})
	}
	for _, list := range [][]int32{a.Shortened, a.Punctured} {
		for _, p := range list {
			h.Write([]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)})
		}
	}
	return h.Sum64()
}

// frozenCode is a description and the construction digest its family must
// keep.
type frozenCode struct {
	d      Description
	frozen uint64
}

// checkFrozen builds each code twice (buildTwice) and checks its digest.
func checkFrozen(t *testing.T, codes []frozenCode) {
	t.Helper()
	for _, c := range codes {
		if got := constructionDigest(buildTwice(t, c.d)); got != c.frozen {
			t.Errorf("family %d: construction digest %#x, frozen %#x: a shipped family changed", c.d.Family, got, c.frozen)
		}
	}
}

// buildTwice builds d twice, as the two stations do, fails the test unless
// the codes and the shortened and punctured positions are identical, and
// returns the first build.
func buildTwice(t *testing.T, d Description) *Adapted {
	t.Helper()
	a, err := Build(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(d)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Code.Circulants, b.Code.Circulants) || !slices.Equal(a.Shortened, b.Shortened) || !slices.Equal(a.Punctured, b.Punctured) {
		t.Fatalf("%+v: two builds differ", d)
	}
	return a
}
