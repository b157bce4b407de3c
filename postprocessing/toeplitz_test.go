package postprocessing

import (
	"errors"
	"gonum.org/v1/gonum/dsp/fourier"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

func bitsGen(n int) *rapid.Generator[[]uint8] {
	return rapid.SliceOfN(rapid.Uint8Range(0, 1), n, n)
}

// The FFT path equals the direct product, bit for bit, on small inputs
// (where the direct product is cheap) and on inputs of every shape.
func TestToeplitzFFTMatchesNaive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 400).Draw(t, "n")
		m := rapid.IntRange(1, 400).Draw(t, "m")
		diag := bitsGen(n+m-1).Draw(t, "diag")
		x := bitsGen(n).Draw(t, "x")
		w := rapid.IntRange(1, n).Draw(t, "w") // chunk width (n: one chunk)
		want := toeplitzNaive(diag, x, m)
		got, err := toeplitzFFT(diag, x, m, w)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("FFT and direct products differ (n=%d m=%d w=%d)", n, m, w)
		}
	})
}

// Inputs longer than the chunk width are hashed by column chunks, each its
// own window of diagonals: the result is the direct product, whatever the
// width (here small, so that the chunks and a last partial one happen at
// sizes the direct product can check).
func TestToeplitzChunksMatchNaive(t *testing.T) {
	defer func(w int) { toeplitzChunk = w }(toeplitzChunk)
	rapid.Check(t, func(t *rapid.T) {
		toeplitzChunk = rapid.IntRange(1, 300).Draw(t, "chunk")
		m := rapid.IntRange(40, 300).Draw(t, "m")
		n := rapid.IntRange(max(m, toeplitzChunk, naiveCutoff/m)+1, 3000).Draw(t, "n")
		diag := bitsGen(n+m-1).Draw(t, "diag")
		x := bitsGen(n).Draw(t, "x")
		got, err := ToeplitzHash(diag, x, m)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, toeplitzNaive(diag, x, m)) {
			t.Fatalf("chunked and direct products differ (n=%d m=%d chunk=%d)", n, m, toeplitzChunk)
		}
	})
}

// The matrix is the documented one: T[i][j] = diag[i−j+n−1].
func TestToeplitzLayout(t *testing.T) {
	n, m := 5, 3
	for k := 0; k < n+m-1; k++ {
		diag := make([]uint8, n+m-1)
		diag[k] = 1
		for j := 0; j < n; j++ {
			x := make([]uint8, n)
			x[j] = 1
			col, err := ToeplitzHash(diag, x, m)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < m; i++ {
				want := uint8(0)
				if i-j+n-1 == k {
					want = 1
				}
				if col[i] != want {
					t.Fatalf("T[%d][%d] with diag e_%d = %d, want %d", i, j, k, col[i], want)
				}
			}
		}
	}
}

// Toeplitz hashing is linear over GF(2): T(x ⊕ y) = Tx ⊕ Ty, on sizes that
// take the FFT path.
func TestToeplitzIsLinear(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(300, 3000).Draw(t, "n")
		m := rapid.IntRange(naiveCutoff/n+1, n).Draw(t, "m")
		diag := bitsGen(n+m-1).Draw(t, "diag")
		x := bitsGen(n).Draw(t, "x")
		y := bitsGen(n).Draw(t, "y")
		xy := make([]uint8, n)
		for i := range xy {
			xy[i] = x[i] ^ y[i]
		}
		hx, err1 := ToeplitzHash(diag, x, m)
		hy, err2 := ToeplitzHash(diag, y, m)
		hxy, err3 := ToeplitzHash(diag, xy, m)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		for i := range hxy {
			if hxy[i] != hx[i]^hy[i] {
				t.Fatalf("not linear at output bit %d", i)
			}
		}
	})
}

// At the full size the FFT output is still exact: spot-check output bits
// against the direct row products.
func TestToeplitzLargeSpotCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, m := 1_000_000, 150_000
	diag := make([]uint8, n+m-1)
	x := make([]uint8, n)
	for i := range diag {
		diag[i] = uint8(rng.IntN(2))
	}
	for i := range x {
		x[i] = uint8(rng.IntN(2))
	}
	out, err := ToeplitzHash(diag, x, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 77777, m - 2, m - 1} {
		var acc uint8
		for j := 0; j < n; j++ {
			acc ^= diag[i-j+n-1] & x[j]
		}
		if out[i] != acc {
			t.Fatalf("output bit %d = %d, direct product %d", i, out[i], acc)
		}
	}
}

func TestToeplitzRejects(t *testing.T) {
	if _, err := ToeplitzHash(make([]uint8, 4), make([]uint8, 3), 3); !errors.Is(err, ErrInvalidPA) {
		t.Errorf("short diagonal: %v", err)
	}
	if _, err := ToeplitzHash(nil, nil, 1); !errors.Is(err, ErrInvalidPA) {
		t.Errorf("empty input: %v", err)
	}
	if _, err := ToeplitzHash(make([]uint8, 3), make([]uint8, 3), 0); !errors.Is(err, ErrInvalidPA) {
		t.Errorf("zero output: %v", err)
	}
}

func TestSmoothLength(t *testing.T) {
	for _, n := range []int{1, 2, 7, 11, 1000, 1_150_000, 1 << 22} {
		l := smoothLength(n)
		if l < n {
			t.Fatalf("smoothLength(%d) = %d", n, l)
		}
		r := l
		for _, p := range []int{2, 3, 5} {
			for r%p == 0 {
				r /= p
			}
		}
		if r != 1 {
			t.Fatalf("smoothLength(%d) = %d is not 5-smooth", n, l)
		}
		if l > n+n/4+8 {
			t.Fatalf("smoothLength(%d) = %d is wasteful", n, l)
		}
	}
}

// Every length the FFT is given has at most the 15 factors gonum's fftpack
// can hold (a 10^7-symbol frame at 50 km once asked for more, and the
// library panicked), and is the smallest such smooth length.
func TestSmoothLengthWithinFFTFactors(t *testing.T) {
	for _, n := range []int{1, 2, 7, 1000, 16385, 1 << 20, 1_000_003, 9_526_450, 2*MaxPAInputBits - 1} {
		l := smoothLength(n)
		if l < n || fftFactors(l) > maxFFTFactors {
			t.Fatalf("n %d: length %d with %d factors", n, l, fftFactors(l))
		}
		for v := n; v < l; v++ {
			if fftFactors(v) <= maxFFTFactors && smooth(v) {
				t.Fatalf("n %d: %d is smaller than %d and usable", n, v, l)
			}
			if v-n > 5000 {
				break
			}
		}
	}
	// Lengths with more factors than fftpack holds exist just above sizes
	// of real frames: the bound matters.
	over := 0
	for v := 9_000_000; v < 10_000_000 && over == 0; v++ {
		if smooth(v) && fftFactors(v) > maxFFTFactors {
			over = v
		}
	}
	if over == 0 {
		t.Fatal("found no smooth length with too many factors near 10^7")
	}
	if got := fourier.NewFFT(smoothLength(over)).Len(); got != smoothLength(over) {
		t.Fatalf("FFT of length %d", got)
	}
}

func smooth(v int) bool {
	for _, p := range []int{2, 3, 5} {
		for v%p == 0 {
			v /= p
		}
	}
	return v == 1
}
