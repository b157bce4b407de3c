package postprocessing

import (
	"errors"
	"math"
	"testing"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
	"pgregory.net/rapid"
)

// Whatever a peer puts in EC_INITIALIZATION, the plan it describes is either
// refused by Validate with ErrInvalidPlan or usable, without panicking, and
// a plan Validate accepts builds its code within the limits.
func TestPlanValidateHostile(t *testing.T) {
	accepted := 0
	rapid.Check(t, func(t *rapid.T) {
		p := ReconciliationPlan{
			Noise:  rapid.SampledFrom([]float64{0, -1, 1.05, math.NaN(), math.Inf(1), 1e300}).Draw(t, "noise"),
			Blocks: rapid.IntRange(-2, 1<<20).Draw(t, "blocks"),
			Scheme: rapid.SampledFrom([]string{"", SchemeSign, SchemeMultidimensional, "slice", "SIGN"}).Draw(t, "scheme"),
		}
		switch rapid.IntRange(0, 4).Draw(t, "form") {
		case 4: // plausible sizes, so that some plans pass
			n := rapid.IntRange(4, 5000).Draw(t, "plausible n")
			p.Code = LDPCParams{N: n, K: rapid.IntRange(1, n-1).Draw(t, "plausible k"),
				ColumnWeight: rapid.IntRange(2, 12).Draw(t, "plausible w"), Seed: rapid.Int64().Draw(t, "seed")}
			p.Blocks = rapid.IntRange(1, 100).Draw(t, "plausible blocks")
			p.Noise, p.Scheme = 1.05, SchemeSign
		case 0:
			p.Code = LDPCParams{
				N:            rapid.IntRange(-5, 1<<21).Draw(t, "n"),
				K:            rapid.IntRange(-5, 1<<21).Draw(t, "k"),
				ColumnWeight: rapid.IntRange(-1, 40).Draw(t, "w"),
				Seed:         rapid.Int64().Draw(t, "seed"),
			}
		case 1:
			n := rapid.IntRange(-2, 64).Draw(t, "sparse n")
			h, err := NewParityCheck(n, rapid.SliceOfN(rapid.SliceOfN(rapid.IntRange(-3, 70), 0, 8), 0, 70).Draw(t, "rows"))
			if err != nil {
				if !errors.Is(err, ErrInvalidCode) {
					t.Fatalf("sparse matrix error %v does not wrap ErrInvalidCode", err)
				}
				return
			}
			p.Matrix = h
		case 2:
			d := qcldpc.Description{
				Family: rapid.IntRange(-1, 3).Draw(t, "family"), Z: rapid.IntRange(-1, 1<<22).Draw(t, "z"),
				Rows: rapid.IntRange(-1, 400).Draw(t, "qc rows"), Shortened: rapid.IntRange(-1, 1<<20).Draw(t, "shortened"),
				Punctured: rapid.IntRange(-1, 1<<20).Draw(t, "punctured"), Seed: rapid.Uint32().Draw(t, "qc seed"),
			}
			p.QC = &d
		case 3:
			d, err := qcldpc.ForRate(rapid.Float64Range(0.011, 0.5).Draw(t, "rate"), rapid.IntRange(1<<10, 1<<14).Draw(t, "length"))
			if err != nil {
				t.Fatalf("ForRate: %v", err)
			}
			d.Shortened += d.ChannelBits() % 8
			p.QC, p.Scheme, p.Noise, p.Blocks = &d, SchemeMultidimensional, 1, rapid.IntRange(1, 10).Draw(t, "qc blocks")
		}
		if err := p.Validate(); err != nil {
			if !errors.Is(err, ErrInvalidPlan) {
				t.Fatalf("error %v does not wrap ErrInvalidPlan", err)
			}
			return
		}
		if p.N() < 2 || p.M() < 1 || p.Blocks < 1 || !(p.Noise > 0) || p.ChannelBits() < 1 || p.Rate() >= 1 {
			t.Fatalf("accepted plan %+v", p)
		}
		accepted++
		if p.N() <= 1<<14 { // bigger codes are valid but slow to build here
			c, err := p.blockCode()
			if err != nil {
				t.Fatalf("accepted plan does not build: %v", err)
			}
			if c.n != p.N() || c.m != p.M() || c.channel != p.ChannelBits() || c.keyBits() != p.BlockKeyBits() {
				t.Fatalf("built code (n %d, m %d, channel %d, key %d) differs from the plan's counts", c.n, c.m, c.channel, c.keyBits())
			}
		}
	})
	if accepted == 0 {
		t.Fatal("no plan was accepted: the generator explores nothing valid")
	}
	t.Logf("%d plans accepted", accepted)
}
