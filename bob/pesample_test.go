package bob

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSampleIndicesShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, ratio, k = 100_003, 0.1, 7
	lists, err := SampleIndices(rng, n, ratio, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(lists) != k {
		t.Fatalf("%d requests, want %d", len(lists), k)
	}
	seen := map[int]bool{}
	total := 0
	for r, l := range lists {
		lo, hi := r*n/k, (r+1)*n/k
		if want := int(math.Round(ratio * float64(hi-lo))); len(l) != want {
			t.Errorf("sub-frame %d: %d indices, want %d", r, len(l), want)
		}
		if !slices.IsSorted(l) {
			t.Errorf("sub-frame %d not sorted", r)
		}
		for _, i := range l {
			if i < lo || i >= hi {
				t.Fatalf("index %d outside sub-frame %d [%d,%d)", i, r, lo, hi)
			}
			if seen[i] {
				t.Fatalf("index %d drawn twice", i)
			}
			seen[i] = true
		}
		total += len(l)
	}
	keys := KeyIndices(n, lists)
	if len(keys)+total != n {
		t.Fatalf("key %d + disclosed %d != %d", len(keys), total, n)
	}
	if !slices.IsSorted(keys) {
		t.Fatal("key indices not ascending")
	}
	for _, i := range keys {
		if seen[i] {
			t.Fatalf("disclosed index %d among key indices", i)
		}
	}
}

// Every index of a sub-frame must be equally likely: with many draws, the
// count of each position stays within a few standard deviations.
func TestSampleIndicesUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, ratio, draws = 50, 0.2, 20000
	counts := make([]int, n)
	for d := 0; d < draws; d++ {
		lists, err := SampleIndices(rng, n, ratio, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range lists[0] {
			counts[i]++
		}
	}
	mean := float64(draws) * ratio
	sd := math.Sqrt(float64(draws) * ratio * (1 - ratio))
	for i, c := range counts {
		if math.Abs(float64(c)-mean) > 5*sd {
			t.Errorf("index %d drawn %d times, want %.0f ± %.0f", i, c, mean, 5*sd)
		}
	}
}

func TestSampleIndicesErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		n     int
		ratio float64
		k     int
	}{{0, 0.1, 1}, {100, 0, 1}, {100, 1, 1}, {100, math.NaN(), 1}, {100, 0.1, 0}, {10, 0.1, 11}, {4, 0.9, 2}} {
		if _, err := SampleIndices(rng, c.n, c.ratio, c.k); !errors.Is(err, ErrSampling) {
			t.Errorf("SampleIndices(%d, %g, %d) = %v, want ErrSampling", c.n, c.ratio, c.k, err)
		}
	}
}
