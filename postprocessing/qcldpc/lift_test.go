package qcldpc

import (
	"testing"
)

// randomProtograph draws a small protograph with multiplicities up to maxB
// and no empty row or column.
func randomProtograph(rng *splitMix64, rows, cols, maxB int) *Protograph {
	for {
		p := &Protograph{Rows: rows, Cols: cols, B: make([]uint8, rows*cols)}
		for i := range p.B {
			if rng.below(2) == 0 {
				p.B[i] = uint8(1 + rng.below(uint64(maxB)))
			}
		}
		if p.Validate() == nil {
			return p
		}
	}
}

// TestFourCyclesAgainstBruteForce compares the count from the shifts with
// a count on the expanded matrix, on lifts that have 4-cycles (z tiny) and
// lifts that should have none.
func TestFourCyclesAgainstBruteForce(t *testing.T) {
	rng := &splitMix64{state: 42}
	sawCycles := false
	for trial := 0; trial < 40; trial++ {
		rows := 2 + int(rng.below(3))
		p := randomProtograph(rng, rows, rows+1+int(rng.below(4)), 2)
		z := 1 + int(rng.below(12))
		code, err := Lift(p, 2, z, uint64(trial))
		if err != nil {
			t.Fatal(err)
		}
		if err := code.Validate(); err != nil {
			t.Fatalf("trial %d: lifted code invalid: %v", trial, err)
		}
		got, want := code.FourCycles(), code.fourCyclesBrute()
		if got != want {
			t.Fatalf("trial %d (z = %d): FourCycles = %d, brute force = %d", trial, z, got, want)
		}
		if want > 0 {
			sawCycles = true
		}
	}
	if !sawCycles {
		t.Fatal("no trial had a 4-cycle: the comparison proved nothing")
	}
}

func TestLiftAvoidsFourCycles(t *testing.T) {
	rng := &splitMix64{state: 7}
	for trial := 0; trial < 20; trial++ {
		p := randomProtograph(rng, 3, 6, 2)
		code, err := Lift(p, 2, 61, uint64(trial))
		if err != nil {
			t.Fatal(err)
		}
		if n := code.fourCyclesBrute(); n != 0 {
			t.Fatalf("trial %d: %d 4-cycles at z = 61", trial, n)
		}
		// same protograph and density: the degrees are those of the protograph
		deg := make([]int, p.Cols)
		for _, e := range code.Circulants {
			deg[int(e.Col)/2]++
		}
		for c := 0; c < p.Cols; c++ {
			want := 0
			for r := 0; r < p.Rows; r++ {
				want += p.At(r, c)
			}
			if deg[c] != 2*want {
				t.Fatalf("column %d has %d circulants, want %d", c, deg[c], 2*want)
			}
		}
	}
}
