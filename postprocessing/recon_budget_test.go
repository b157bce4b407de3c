package postprocessing

import (
	"errors"
	"math"
	"testing"
)

// checkBudget checks what every budget must satisfy: β and the losses add
// up to 1, a code's loss is its capacity less its rate over I(X;Y), no
// code's rate is above its capacity, and the codes' rates add up to the
// plan's.
func checkBudget(t *testing.T, plan ReconciliationPlan, b Budget) {
	t.Helper()
	info := GaussianCapacity(b.SNR)
	if math.Abs(b.MutualInformation-info) > 1e-15 || math.Abs(b.Beta-plan.Rate()/info) > 1e-12 {
		t.Fatalf("I %v, β %v; want %v, %v", b.MutualInformation, b.Beta, info, plan.Rate()/info)
	}
	sum, rates := b.Beta, 0.0
	for _, l := range b.Losses {
		sum += l.Fraction
		if l.Capacity == 0 {
			if l.Rate != 0 || l.Fraction < -1e-9 {
				t.Errorf("%s: rate %v, fraction %v", l.What, l.Rate, l.Fraction)
			}
			continue
		}
		rates += l.Rate
		if math.Abs(l.Fraction-(l.Capacity-l.Rate)/info) > 1e-12 {
			t.Errorf("%s: fraction %v, want (%v − %v)/%v", l.What, l.Fraction, l.Capacity, l.Rate, info)
		}
		if l.Rate >= l.Capacity {
			t.Errorf("%s: rate %v at or above capacity %v", l.What, l.Rate, l.Capacity)
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("β + losses = %v, want 1: %+v", sum, b)
	}
	if math.Abs(rates-plan.Rate()) > 1e-9 {
		t.Errorf("the codes' rates add up to %v, the plan's rate is %v", rates, plan.Rate())
	}
}

// TestSliceBudget: a slice plan's budget names the quantization, the
// disclosed slices and every coded slice, whose rate is its code's
// effective rate; the capacities are SliceCapacities'.
func TestSliceBudget(t *testing.T) {
	for _, snr := range []float64{0.5, 1, 2} {
		sp, err := PlanSlices(SliceParams{KeyQuadratures: 1 << 20, SNR: snr, Scale: math.Sqrt(1 + snr)})
		if err != nil {
			t.Fatal(err)
		}
		plan := ReconciliationPlan{Scheme: SchemeSlice, Slices: &sp, Blocks: sp.Blocks, Noise: 1}
		b, err := plan.Budget(snr)
		if err != nil {
			t.Fatal(err)
		}
		checkBudget(t, plan, b)
		if b.Scheme != SchemeSlice || len(b.Losses) != 2+sp.Coded() ||
			b.Losses[0].What != "quantization" || b.Losses[1].What != "disclosed slices" || b.Losses[2].What != "slice 0" {
			t.Fatalf("SNR %g: losses %+v", snr, b.Losses)
		}
		lost, caps := SliceCapacities(snr, sp.Bits, sp.Disclosed)
		if math.Abs(b.Losses[1].Fraction-lost/b.MutualInformation) > 1e-12 {
			t.Errorf("SNR %g: disclosed slices %v, want %v", snr, b.Losses[1].Fraction, lost/b.MutualInformation)
		}
		for j, d := range sp.Codes {
			r, err := d.EffectiveRate()
			if err != nil {
				t.Fatal(err)
			}
			l := b.Losses[2+j]
			if math.Abs(l.Rate-r) > 1e-12 || l.Capacity != caps[j] {
				t.Errorf("SNR %g slice %d: rate %v capacity %v, want %v and %v", snr, j, l.Rate, l.Capacity, r, caps[j])
			}
		}
		// Seven slices quantize finely: the quantization loses well under 1 %.
		if q := b.Losses[0].Fraction; !(q > 0 && q < 0.01) {
			t.Errorf("SNR %g: quantization loss %v", snr, q)
		}
	}
}

// TestBinaryBudget: sign and multidimensional plans lose their binary
// channel's gap (SignChannelCapacity, MDCapacity) and the code's.
func TestBinaryBudget(t *testing.T) {
	for _, c := range []struct {
		scheme string
		snr    float64
		q      int
		ch     func(float64) float64
	}{
		{SchemeMultidimensional, 0.16, 1 << 20, MDCapacity},
		{SchemeMultidimensional, 0.5, 1 << 20, MDCapacity},
		{SchemeSign, 1, 20000, SignChannelCapacity},
	} {
		plan, err := PlanReconciliation(PlanParams{KeyQuadratures: c.q, SNR: c.snr, Noise: 1, Scheme: c.scheme})
		if err != nil {
			t.Fatal(err)
		}
		b, err := plan.Budget(c.snr)
		if err != nil {
			t.Fatal(err)
		}
		checkBudget(t, plan, b)
		want := 1 - c.ch(c.snr)/b.MutualInformation
		if len(b.Losses) != 2 || b.Losses[0].What != "binary channel" || math.Abs(b.Losses[0].Fraction-want) > 1e-12 ||
			b.Losses[1].What != "code" || b.Losses[1].Capacity != c.ch(c.snr) {
			t.Errorf("%s at SNR %g: losses %+v, want the binary channel's %v first", c.scheme, c.snr, b.Losses, want)
		}
	}
}

func TestBudgetErrors(t *testing.T) {
	plan, err := PlanReconciliation(PlanParams{KeyQuadratures: 1 << 20, SNR: 0.5, Noise: 1, Scheme: SchemeMultidimensional})
	if err != nil {
		t.Fatal(err)
	}
	for _, snr := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := plan.Budget(snr); !errors.Is(err, ErrInvalidPlan) {
			t.Errorf("SNR %v: %v, want ErrInvalidPlan", snr, err)
		}
	}
	bad := plan
	bad.Blocks = 0
	if _, err := bad.Budget(0.5); !errors.Is(err, ErrInvalidPlan) {
		t.Errorf("a plan of no block: %v, want ErrInvalidPlan", err)
	}
	h := &ParityCheck{}
	matrix := ReconciliationPlan{Scheme: SchemeSign, Matrix: h, Blocks: 1}
	if _, err := matrix.Budget(0.5); !errors.Is(err, ErrNoBudget) {
		t.Errorf("a plan with an explicit matrix: %v, want ErrNoBudget", err)
	}
}
