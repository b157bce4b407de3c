package qcldpc

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestDescriptionValidateNamesField(t *testing.T) {
	good := Description{Family: FamilyLow, Z: 100, Rows: 40, Shortened: 10, Punctured: 5, Seed: 1}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		d     Description
		field string
	}{
		{Description{Family: 9, Z: 100, Rows: 40}, "family"},
		{Description{Family: FamilyLow, Z: 100, Rows: 2}, "rows"},
		{Description{Family: FamilyLow, Z: 100, Rows: 1000}, "rows"},
		{Description{Family: FamilyLow, Z: 0, Rows: 40}, "z"},
		{Description{Family: FamilyLow, Z: 1 << 21, Rows: 40}, "z"},
		{Description{Family: FamilyLow, Z: 100, Rows: 40, Shortened: -1}, "shortened"},
		{Description{Family: FamilyLow, Z: 100, Rows: 40, Shortened: 1 << 30}, "shortened"},
		{Description{Family: FamilyLow, Z: 100, Rows: 40, Punctured: -3}, "punctured"},
		{Description{Family: FamilyLow, Z: 100, Rows: 40, Punctured: 11201}, "punctured"}, // 7 core columns × 16 × 100 candidates
		{Description{Family: FamilyAR4JA, Z: 100, Rows: 3, Punctured: 3200}, "punctured"}, // M − punctured columns = (3 − 1)·16·100
		{Description{Family: FamilyAR4JA, Z: 100, Rows: 3, Shortened: 3200}, "shortened"}, // N − M = (5 − 3)·16·100
	}
	for i, b := range bad {
		err := b.d.Validate()
		if err == nil || !errors.Is(err, ErrInvalidDescription) || !strings.Contains(err.Error(), b.field) {
			t.Errorf("case %d %+v: error %v, want one naming %q", i, b.d, err, b.field)
		}
		if _, err := Build(b.d); err == nil {
			t.Errorf("case %d: Build accepted it", i)
		}
	}
}

// TestBuildDeterministic builds each description twice (as both stations
// do) and checks that the codes and positions are identical, and that the
// seed matters.
func TestBuildDeterministic(t *testing.T) {
	for _, d := range []Description{
		{Family: FamilyAR4JA, Z: 97, Rows: 10, Shortened: 31, Punctured: 17, Seed: 5},
		{Family: FamilyLow, Z: 64, Rows: 120, Shortened: 100, Seed: 9},
	} {
		a := buildTwice(t, d)
		d2 := d
		d2.Seed++
		c, err := Build(d2)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(a.Code.Circulants, c.Code.Circulants) {
			t.Fatalf("%+v: seed does not change the shifts", d)
		}
		if err := a.Code.Validate(); err != nil {
			t.Fatal(err)
		}
		if len(a.Shortened) != d.Shortened {
			t.Fatalf("%d shortened positions, want %d", len(a.Shortened), d.Shortened)
		}
		s, _ := d.shape()
		if len(a.Punctured) != d.Punctured+s.structP {
			t.Fatalf("%d punctured positions, want %d", len(a.Punctured), d.Punctured+s.structP)
		}
		seen := map[int32]bool{}
		for _, list := range [][]int32{a.Shortened, a.Punctured} {
			if !slices.IsSorted(list) {
				t.Fatal("positions not sorted")
			}
			for _, p := range list {
				if p < 0 || int(p) >= a.Code.N() || seen[p] {
					t.Fatalf("position %d out of range or repeated", p)
				}
				seen[p] = true
			}
		}
		if a.Code.N() != d.N() || a.Code.M() != d.M() {
			t.Fatalf("code %d×%d, description says %d×%d", a.Code.M(), a.Code.N(), d.M(), d.N())
		}
	}
}

// TestRowsExtendCode: the code with more rows keeps the circulants of the
// rows it extends (rate compatibility), so both stations can move along the
// family.
func TestRowsExtendCode(t *testing.T) {
	a, err := Build(Description{Family: FamilyLow, Z: 50, Rows: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(Description{Family: FamilyLow, Z: 50, Rows: 60, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Code.Circulants, b.Code.Circulants[:len(a.Code.Circulants)]) {
		t.Fatal("the 60-row code does not extend the 40-row code")
	}
}

func TestForRate(t *testing.T) {
	for _, rate := range []float64{0.475, 0.277, 0.103, 0.053, 0.02, 0.0101} {
		d, err := ForRate(rate, 1<<20)
		if err != nil {
			t.Fatalf("rate %g: %v", rate, err)
		}
		r, err := d.EffectiveRate()
		if err != nil {
			t.Fatal(err)
		}
		if r > rate || r < rate-2e-5 {
			t.Errorf("rate %g: %+v has R_eff = %.6f", rate, d, r)
		}
		if n := d.N(); n > 1<<20 || n < 1<<19 {
			t.Errorf("rate %g: N = %d", rate, n)
		}
	}
	for _, bad := range []float64{0, -1, 1, 0.9, 0.001, math.NaN()} {
		if _, err := ForRate(bad, 1<<20); err == nil {
			t.Errorf("rate %g accepted", bad)
		}
	}
}

// ForRateLength: exactly q channel bits and floor(rate·q) bits left secret
// by the syndrome, at every rate and length (so R_eff is rate within one
// bit), puncturing few of the candidate bits in long blocks; q outside
// the lengths a code has is refused.
func TestForRateLength(t *testing.T) {
	for _, q := range []int{1 << 15, 100_003, 1 << 20, 3_333_333} {
		for _, rate := range []float64{0.43, 0.26, 0.162, 0.125, 0.069, 0.028, 0.012} {
			if longest, err := ForRate(rate, MaxLength); err != nil || longest.ChannelBits() < q {
				continue // no code of this rate is that long
			}
			ref, err := ForRate(rate, q)
			if err != nil {
				t.Fatal(err)
			}
			d, err := ForRateLength(rate, q, nil)
			if err != nil {
				t.Fatalf("rate %g, %d bits: %v", rate, q, err)
			}
			r, err := d.EffectiveRate()
			if err != nil {
				t.Fatal(err)
			}
			s, _ := d.shape()
			if d.ChannelBits() != q || d.KeyBits()-d.M() != int(math.Floor(rate*float64(q))) || r > rate || r < rate-1/float64(q) {
				t.Errorf("rate %g, %d bits: %+v has %d channel bits, %d secret, R_eff %.6f", rate, q, d, d.ChannelBits(), d.KeyBits()-d.M(), r)
			}
			// Beyond the puncturing that raises a family's rate above its
			// fewest rows (ForRate's), at most 2 % of the candidates.
			rs, _ := ref.shape()
			if q >= 1<<20 && float64(d.Punctured)/float64(s.candidates) > float64(ref.Punctured)/float64(rs.candidates)+0.02 {
				t.Errorf("rate %g, %d bits: %d of %d candidate bits punctured (ForRate: %d of %d)", rate, q, d.Punctured, s.candidates, ref.Punctured, rs.candidates)
			}
		}
	}
	for _, q := range []int{0, -1, MaxLength + 1} {
		if _, err := ForRateLength(0.1, q, nil); !errors.Is(err, ErrInvalidDescription) {
			t.Errorf("%d bits: %v", q, err)
		}
	}
	if _, err := ForRateLength(0.001, 1<<20, nil); !errors.Is(err, ErrInvalidDescription) {
		t.Errorf("rate 0.001: %v", err)
	}
}

// TestShippedCodesHaveNoFourCycles lifts descriptions at 2^18–2^22 bits
// (at 2^22 the planner's codes at SNR 1, 0.5, 0.16, 0.08 and 0.03) and
// counts 4-cycles from the shifts.
func TestShippedCodesHaveNoFourCycles(t *testing.T) {
	for _, c := range []struct {
		rate float64
		n    int
	}{{0.475, 1 << 18}, {0.1, 1 << 21}, {0.02, 1 << 20}, {0.0101, 1 << 20},
		{0.43, 1 << 22}, {0.26, 1 << 22}, {0.1, 1 << 22}, {0.0527, 1 << 22}, {0.0208, 1 << 22}} {
		d, err := ForRate(c.rate, c.n)
		if err != nil {
			t.Fatal(err)
		}
		checkNoFourCycles(t, d)
	}
}

// TestThresholdSNRAboveShannon: an ensemble's threshold never beats the
// BIAWGN capacity at its effective rate; shortening lowers the rate and
// the threshold together.
func TestThresholdSNRAboveShannon(t *testing.T) {
	d, err := ForRate(0.103, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	snr, err := ThresholdSNR(d)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := d.EffectiveRate()
	if lim := BIAWGNShannonSNR(r); snr <= lim || snr > 2*lim {
		t.Fatalf("threshold %.5f against the Shannon limit %.5f at rate %.4f", snr, lim, r)
	}
	d2 := d
	d2.Shortened += d.N() / 20
	snr2, err := ThresholdSNR(d2)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := d2.EffectiveRate()
	if snr2 >= snr || r2 >= r {
		t.Fatalf("shortening 5%% more bits: rate %.4f → %.4f, threshold %.5f → %.5f", r, r2, snr, snr2)
	}
	if lim := BIAWGNShannonSNR(r2); snr2 <= lim {
		t.Fatalf("shortened threshold %.5f below the Shannon limit %.5f", snr2, lim)
	}
}

func TestDescriptionJSON(t *testing.T) {
	d := Description{Family: 2, Z: 3000, Rows: 100, Shortened: 12, Punctured: 3, Seed: 77}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"family":2,"z":3000,"rows":100,"shortened":12,"punctured":3,"seed":77}` {
		t.Fatalf("wire form %s", b)
	}
}

// FuzzDescription feeds arbitrary JSON to Validate and Build: never a
// panic, and whatever validates builds a consistent code.
func FuzzDescription(f *testing.F) {
	f.Add([]byte(`{"family":2,"z":64,"rows":40,"shortened":10,"punctured":5,"seed":1}`))
	f.Add([]byte(`{"family":1,"z":7,"rows":3}`))
	f.Add([]byte(`{"family":1,"z":-1,"rows":1e9,"shortened":-5}`))
	f.Add([]byte(`{"family":2,"z":2097152,"rows":298}`))
	f.Add([]byte(`{"family":38,"z":2,"rows":6,"punctured":100,"seed":3}`)) // wide: pre-lift 512
	f.Add([]byte(`{"family":34,"z":1,"rows":290,"shortened":7}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Description
		if json.Unmarshal(data, &d) != nil {
			return
		}
		if err := d.Validate(); err != nil {
			if !errors.Is(err, ErrInvalidDescription) {
				t.Fatalf("error %v does not wrap ErrInvalidDescription", err)
			}
			return
		}
		if d.N() > 1<<16 { // valid large codes build in tests and benchmarks
			return
		}
		a, err := Build(d)
		if err != nil {
			t.Fatalf("%+v validates but does not build: %v", d, err)
		}
		if err := a.Code.Validate(); err != nil {
			t.Fatal(err)
		}
		if a.Code.N() != d.N() || len(a.Shortened) != d.Shortened {
			t.Fatalf("%+v: inconsistent build", d)
		}
	})
}

func BenchmarkBuild2p20(b *testing.B) {
	d, err := ForRate(0.02, 1<<20)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Build(d); err != nil {
				b.Fatal(err)
			}
		}
	})
	// baseline: one syndrome of the same code (one pass over its edges)
	a, _ := Build(d)
	bits := make([]uint8, a.Code.N())
	out := make([]uint8, a.Code.M())
	b.Run("syndrome", func(b *testing.B) {
		for b.Loop() {
			_ = a.Code.Syndrome(bits, out)
		}
	})
}

// TestPuncturingRaisesRate: puncturing key bits raises R_eff and the
// threshold; the punctured positions are the family's punctured columns
// plus the requested bits, none of them shortened.
func TestPuncturingRaisesRate(t *testing.T) {
	d, err := ForRate(0.053, 1<<18)
	if err != nil {
		t.Fatal(err)
	}
	p := d
	p.Punctured = d.N() / 50
	r0, _ := d.EffectiveRate()
	r1, err := p.EffectiveRate()
	if err != nil {
		t.Fatal(err)
	}
	if r1 <= r0 {
		t.Fatalf("puncturing %d bits: R_eff %.5f → %.5f", p.Punctured, r0, r1)
	}
	s0, err := ThresholdSNR(d)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := ThresholdSNR(p)
	if err != nil {
		t.Fatal(err)
	}
	if s1 <= s0 {
		t.Fatalf("puncturing: threshold %.5f → %.5f", s0, s1)
	}
	a, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	in := map[int32]bool{}
	for _, x := range a.Shortened {
		in[x] = true
	}
	for _, x := range a.Punctured {
		if in[x] {
			t.Fatalf("bit %d both shortened and punctured", x)
		}
	}
}

// ForRateAmong picks, among the families listed, the one ForRate's order
// prefers; nil is ForRate; a list that serves nothing is an error.
func TestForRateAmong(t *testing.T) {
	const n = 1 << 18
	all, err := ForRate(0.12, n)
	if err != nil {
		t.Fatal(err)
	}
	same, err := ForRateAmong(0.12, n, nil)
	if err != nil || same != all {
		t.Fatalf("ForRateAmong(nil) = %+v, %v; ForRate = %+v", same, err, all)
	}
	for _, tc := range []struct {
		among []int
		want  int
	}{
		{[]int{FamilyMD3, FamilyMD, FamilyLowRandom}, FamilyMD3},
		{[]int{FamilyLowRandom, FamilyMD}, FamilyMD},
		{[]int{FamilyAR4JA, FamilyLowRandom}, FamilyLowRandom},
		{[]int{FamilyAR4JA}, FamilyAR4JA},
		{[]int{FamilyHigh, FamilyAR4JA}, FamilyAR4JA}, // FamilyHigh is never planned
	} {
		d, err := ForRateAmong(0.12, n, tc.among)
		if err != nil || d.Family != tc.want {
			t.Errorf("among %v: family %d, %v; want %d", tc.among, d.Family, err, tc.want)
		}
		if r, err := d.EffectiveRate(); err == nil && r > 0.12+1e-9 {
			t.Errorf("among %v: rate %g above 0.12", tc.among, r)
		}
	}
	for _, among := range [][]int{{}, {FamilyHigh}, {FamilyMD2}, {99}} {
		if d, err := ForRateAmong(0.12, n, among); !errors.Is(err, ErrInvalidDescription) {
			t.Errorf("among %v: %+v, %v; want ErrInvalidDescription", among, d, err)
		}
	}
	if got := PlannedFamilies(); !slices.Equal(got, forRateOrder) || slices.Contains(got, FamilyHigh) {
		t.Errorf("PlannedFamilies() = %v", got)
	}
	if got := Families(); !slices.IsSorted(got) || len(got) != len(families) {
		t.Errorf("Families() = %v", got)
	}
}

// ConvergesAt agrees with the bisected threshold: it holds just above it
// and fails just below, for codes of several families, shortened and
// punctured, on both channels.
func TestConvergesAtMatchesThreshold(t *testing.T) {
	for _, c := range []struct {
		rate float64
		opt  GAOptions
	}{{0.43, GAOptions{MD8: true}}, {0.117, GAOptions{MD8: true}}, {0.0527, GAOptions{MD8: true}}, {0.3, GAOptions{}}} {
		d, err := ForRate(c.rate, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		thr, err := ThresholdSNRWith(d, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		above, err := ConvergesAt(d, thr*1.002, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		below, err := ConvergesAt(d, thr*0.998, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if !above || below {
			t.Errorf("rate %g (%+v), threshold %.5f: converges 0.2 %% above: %v, below: %v", c.rate, d, thr, above, below)
		}
	}
	if _, err := ConvergesAt(Description{Family: 99}, 1, GAOptions{}); !errors.Is(err, ErrInvalidDescription) {
		t.Errorf("unknown family: %v", err)
	}
}
