package postprocessing

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

func rowsDigest(h *ParityCheck) string {
	d := sha256.New()
	var b [4]byte
	for _, row := range h.Rows() {
		binary.BigEndian.PutUint32(b[:], uint32(len(row)))
		d.Write(b[:])
		for _, c := range row {
			binary.BigEndian.PutUint32(b[:], uint32(c))
			d.Write(b[:])
		}
	}
	return hex.EncodeToString(d.Sum(nil))
}

func TestGenerateLDPCDeterministic(t *testing.T) {
	p := LDPCParams{N: 4096, K: 700, ColumnWeight: 6, Seed: 42}
	h1, err := GenerateLDPC(p)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := GenerateLDPC(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(h1.Rows(), h2.Rows(), slices.Equal[[]int]) {
		t.Fatal("same parameters gave different matrices")
	}
	p.Seed = 43
	h3, err := GenerateLDPC(p)
	if err != nil {
		t.Fatal(err)
	}
	if slices.EqualFunc(h1.Rows(), h3.Rows(), slices.Equal[[]int]) {
		t.Fatal("different seeds gave the same matrix")
	}
}

// The construction is part of the wire contract (EC_INITIALIZATION carries
// only its parameters), so its output is pinned. The digests were computed by
// an independent implementation written from docs/postprocessing-ec-pa.md
// alone (Python), so they also prove that the documentation specifies the
// construction completely. A change here breaks interoperability.
func TestGenerateLDPCPinned(t *testing.T) {
	for _, c := range []struct {
		p    LDPCParams
		want string
	}{
		{LDPCParams{N: 64, K: 16, ColumnWeight: 3, Seed: 1}, "b6244880fbfa25a30dbac0c766fdb1a944eb1c5a12bdca6c7a12502009a2ba7f"},
		{LDPCParams{N: 4096, K: 700, ColumnWeight: 6, Seed: -5}, "d796ea490e988b46ac2e1927720e6ff5a53a284aa14a80ae53ccbe21e979def0"},
		{LDPCParams{N: 2000, K: 1000, ColumnWeight: 3, Seed: 123456789}, "4bdba5d0aa3d4e2fe8f7cc53919242f375305857b29beb852ba280ac84e38591"},
	} {
		h, err := GenerateLDPC(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if got := rowsDigest(h); got != c.want {
			t.Errorf("GenerateLDPC(%+v) digest %s, want %s", c.p, got, c.want)
		}
	}
}

func TestGenerateLDPCStructure(t *testing.T) {
	for _, p := range []LDPCParams{
		{N: 65536, K: 10486, ColumnWeight: 6, Seed: 7},
		{N: 20000, K: 10000, ColumnWeight: 3, Seed: 1},
		{N: 1000, K: 150, ColumnWeight: 8, Seed: -5},
	} {
		h, err := GenerateLDPC(p)
		if err != nil {
			t.Fatal(err)
		}
		m := p.N - p.K
		if h.N() != p.N || h.M() != m || h.K() != p.K {
			t.Fatalf("%+v: dimensions %d×%d", p, h.M(), h.N())
		}
		for c := 0; c < p.N; c++ {
			deg := int(h.colPtr[c+1] - h.colPtr[c])
			want := p.ColumnWeight
			switch {
			case c == p.N-1:
				want = 1
			case c >= p.K:
				want = 2
			}
			if deg != want {
				t.Fatalf("%+v: column %d has weight %d, want %d", p, c, deg, want)
			}
		}
		lo, hi := math.MaxInt, 0
		for r := 0; r < m; r++ {
			d := int(h.rowPtr[r+1] - h.rowPtr[r])
			lo, hi = min(lo, d), max(hi, d)
		}
		if hi-lo > 3 {
			t.Errorf("%+v: row weights span [%d, %d]", p, lo, hi)
		}
		// Codes of the planner's size have none; tiny dense ones a few.
		if c := h.FourCycles(); (p.N >= 20000 && c != 0) || c > p.N/100 {
			t.Errorf("%+v: %d four-cycles", p, c)
		}
	}
}

func TestLDPCParamsValidate(t *testing.T) {
	for _, p := range []LDPCParams{
		{N: 3, K: 1, ColumnWeight: 2},
		{N: MaxCodeLength + 1, K: 10, ColumnWeight: 3},
		{N: 100, K: 0, ColumnWeight: 3},
		{N: 100, K: 100, ColumnWeight: 3},
		{N: 100, K: 50, ColumnWeight: 1},
		{N: 100, K: 50, ColumnWeight: MaxColumnWeight + 1},
		{N: 100, K: 98, ColumnWeight: 3},
		{N: 10000, K: 9900, ColumnWeight: 3}, // 297 ones per row
	} {
		if _, err := GenerateLDPC(p); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("%+v: err %v, want ErrInvalidCode", p, err)
		}
	}
}

func TestNewParityCheckRejects(t *testing.T) {
	cases := []struct {
		n    int
		rows [][]int
	}{
		{10, nil},
		{10, [][]int{{}}},
		{10, [][]int{{0, 10}}},
		{10, [][]int{{-1}}},
		{10, [][]int{{3, 3}}},
		{2, [][]int{{0}, {1}}},
		{MaxCodeLength + 1, [][]int{{0}}},
	}
	for _, c := range cases {
		if _, err := NewParityCheck(c.n, c.rows); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("n=%d rows=%v: err %v, want ErrInvalidCode", c.n, c.rows, err)
		}
	}
	for _, m := range [][][]int{{}, {{0, 1}, {1}}, {{0, 2, 1}}} {
		if _, err := NewParityCheckDense(m); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("dense %v: err %v, want ErrInvalidCode", m, err)
		}
	}
}

func TestDenseMatchesSparse(t *testing.T) {
	dense := [][]int{{1, 1, 0, 1, 0}, {0, 1, 1, 0, 1}}
	h, err := NewParityCheckDense(dense)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0, 1, 3}, {1, 2, 4}}
	if !slices.EqualFunc(h.Rows(), want, slices.Equal[[]int]) {
		t.Fatalf("rows %v, want %v", h.Rows(), want)
	}
	s, err := h.Syndrome([]uint8{1, 0, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s, []uint8{0, 0}) {
		t.Fatalf("syndrome %v, want [0 0]", s)
	}
}

func TestSyndromeIsLinear(t *testing.T) {
	h, err := GenerateLDPC(LDPCParams{N: 300, K: 100, ColumnWeight: 4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.SliceOfN(rapid.Uint8Range(0, 1), 300, 300).Draw(t, "a")
		b := rapid.SliceOfN(rapid.Uint8Range(0, 1), 300, 300).Draw(t, "b")
		ab := make([]uint8, 300)
		for i := range ab {
			ab[i] = a[i] ^ b[i]
		}
		sa, _ := h.Syndrome(a)
		sb, _ := h.Syndrome(b)
		sab, _ := h.Syndrome(ab)
		for i := range sab {
			if sab[i] != sa[i]^sb[i] {
				t.Fatalf("syndrome not linear at check %d", i)
			}
		}
	})
}

func TestCheckUpdateMatchesExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		deg := rapid.IntRange(1, 12).Draw(t, "degree")
		flip := rapid.Bool().Draw(t, "syndrome bit")
		in := make([]float32, deg)
		for i := range in {
			in[i] = float32(rapid.Float64Range(-25, 25).Draw(t, "llr"))
		}
		out := make([]float32, deg)
		checkUpdate(in, out, make([]float32, deg), flip)
		bound := float64(phiTable[0])
		for i := range in {
			prod := 1.0
			for j, v := range in {
				if j != i {
					prod *= math.Tanh(float64(v) / 2)
				}
			}
			if flip {
				prod = -prod
			}
			exact := 2 * math.Atanh(prod)
			exact = math.Max(-bound, math.Min(bound, exact)) // check messages are bounded by φ(2^-12)
			if got := float64(out[i]); math.Abs(got-exact) > 0.05+0.03*math.Abs(exact) {
				t.Fatalf("edge %d of %v (flip %v): %g, exact %g", i, in, flip, got, exact)
			}
		}
	})
}

// binaryAWGN draws n uniform bits sent as ±1 over a Gaussian channel of
// noise variance 1/snr and returns the bits and their channel LLRs.
func binaryAWGN(rng *rand.Rand, n int, snr float64) ([]uint8, []float64) {
	bits := make([]uint8, n)
	llr := make([]float64, n)
	for i := range bits {
		bits[i] = uint8(rng.IntN(2))
		y := 1 - 2*float64(bits[i]) + rng.NormFloat64()/math.Sqrt(snr)
		llr[i] = 2 * y * snr
	}
	return bits, llr
}

func TestDecoderCorrectsBinaryAWGN(t *testing.T) {
	// Rate 1/2 at SNR 1.6 (Eb/N0 ≈ 2 dB): well above the code's threshold.
	h, err := GenerateLDPC(LDPCParams{N: 8192, K: 4096, ColumnWeight: 3, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(h, 100)
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 5; trial++ {
		bits, llr := binaryAWGN(rng, h.N(), 1.6)
		hardErrors := 0
		for i := range bits {
			if (llr[i] < 0) != (bits[i] == 1) {
				hardErrors++
			}
		}
		if hardErrors < 100 {
			t.Fatalf("test channel too clean: %d raw errors", hardErrors)
		}
		s, _ := h.Syndrome(bits)
		out := make([]uint8, h.N())
		it, ok, err := dec.Decode(llr, s, out)
		if err != nil || !ok {
			t.Fatalf("trial %d: ok=%v err=%v after %d iterations", trial, ok, err, it)
		}
		if !slices.Equal(out, bits) {
			t.Fatalf("trial %d: decoded to another word with the same syndrome", trial)
		}
	}
}

func TestDecoderGivesUpAtTheBound(t *testing.T) {
	h, err := GenerateLDPC(LDPCParams{N: 2048, K: 1024, ColumnWeight: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(h, 7)
	rng := rand.New(rand.NewPCG(3, 4))
	bits, llr := binaryAWGN(rng, h.N(), 0.2) // far below threshold
	s, _ := h.Syndrome(bits)
	it, ok, err := dec.Decode(llr, s, make([]uint8, h.N()))
	if err != nil || ok || it != 7 {
		t.Fatalf("got it=%d ok=%v err=%v, want 7 iterations and failure", it, ok, err)
	}
}

func TestDecoderHostileInput(t *testing.T) {
	h, err := GenerateLDPC(LDPCParams{N: 512, K: 128, ColumnWeight: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(h, 10)
	if _, _, err := dec.Decode(make([]float64, 511), make([]uint8, h.M()), make([]uint8, 512)); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("short LLRs: err %v", err)
	}
	if _, _, err := dec.Decode(make([]float64, 512), make([]uint8, 3), make([]uint8, 512)); !errors.Is(err, ErrInvalidCode) {
		t.Fatalf("short syndrome: err %v", err)
	}
	llr := make([]float64, 512)
	for i := range llr {
		switch i % 4 {
		case 0:
			llr[i] = math.NaN()
		case 1:
			llr[i] = math.Inf(1)
		case 2:
			llr[i] = math.Inf(-1)
		case 3:
			llr[i] = 1e300
		}
	}
	syn := make([]uint8, h.M())
	for i := range syn {
		syn[i] = uint8(i % 2)
	}
	if _, _, err := dec.Decode(llr, syn, make([]uint8, 512)); err != nil {
		t.Fatalf("non-finite LLRs: %v", err)
	}
}

// A hostile but valid description (every row at MaxRowWeight, the largest
// column weight) must not make generation quadratic: before the 4-cycle
// checks were bounded, this took minutes.
func TestGenerateLDPCDenseIsBounded(t *testing.T) {
	n := 1 << 14
	m := n*MaxColumnWeight/(MaxRowWeight+MaxColumnWeight) + 1
	h, err := GenerateLDPC(LDPCParams{N: n, K: n - m, ColumnWeight: MaxColumnWeight, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if h.M() != m {
		t.Fatalf("M = %d, want %d", h.M(), m)
	}
}
