package qcldpc

import (
	"slices"
	"testing"
)

// ChannelBits and KeyBits agree with the positions Build returns, and with
// EffectiveRate.
func TestLayoutCountsMatchBuild(t *testing.T) {
	for _, rate := range []float64{0.45, 0.1, 0.02} {
		d, err := ForRate(rate, 1<<15)
		if err != nil {
			t.Fatal(err)
		}
		d.Punctured = 7
		a, err := Build(d)
		if err != nil {
			t.Fatal(err)
		}
		n := a.Code.N()
		if got, want := d.KeyBits(), n-len(a.Shortened); got != want {
			t.Errorf("rate %g: KeyBits %d, want %d", rate, got, want)
		}
		if got, want := d.ChannelBits(), n-len(a.Shortened)-len(a.Punctured); got != want {
			t.Errorf("rate %g: ChannelBits %d, want %d", rate, got, want)
		}
		r, err := d.EffectiveRate()
		if err != nil {
			t.Fatal(err)
		}
		if want := float64(d.KeyBits()-a.Code.M()) / float64(d.ChannelBits()); r != want {
			t.Errorf("rate %g: EffectiveRate %g, counts give %g", rate, r, want)
		}
		for _, p := range a.Punctured {
			if _, found := slices.BinarySearch(a.Shortened, p); found {
				t.Fatalf("bit %d both shortened and punctured", p)
			}
		}
	}
	if (Description{}).ChannelBits() != 0 || (Description{}).KeyBits() != 0 {
		t.Error("an invalid description has bits")
	}
	lo, hi := RateRange()
	if !(lo > 0 && lo < 0.02 && hi >= 0.45 && hi < 1) {
		t.Errorf("rate range [%g, %g]", lo, hi)
	}
}
