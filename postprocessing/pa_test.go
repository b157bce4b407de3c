package postprocessing

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNewPAParams(t *testing.T) {
	n, m := 5000, 1200
	p, err := NewPAParams(nil, n, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Diagonals) != n+m-1 || p.InputBits != n || p.OutputBits != m {
		t.Fatalf("parameters: %d seed bits, %d input, %d output", len(p.Diagonals), p.InputBits, p.OutputBits)
	}
	ones := 0
	for _, b := range p.Diagonals {
		ones += int(b)
	}
	if ones < (n+m)/2-300 || ones > (n+m)/2+300 {
		t.Fatalf("%d ones in %d seed bits: not uniform", ones, n+m-1)
	}
	if err := CheckPAParams(p, nil, n); err != nil {
		t.Fatalf("Bob's own parameters refused: %v", err)
	}

	// Both sides hash the same reconciled key to the same secret key.
	rng := rand.New(rand.NewPCG(4, 4))
	key := make([]uint8, n)
	for i := range key {
		key[i] = uint8(rng.IntN(2))
	}
	ka, err := PrivacyAmplify(key, p)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := PrivacyAmplify(slices.Clone(key), p)
	if err != nil || !slices.Equal(ka, kb) || len(ka) != m {
		t.Fatalf("secret keys differ or wrong length %d (%v)", len(ka), err)
	}
	if _, err := PrivacyAmplify(key[1:], p); !errors.Is(err, ErrInvalidPA) {
		t.Fatalf("short key: %v", err)
	}
}

func TestNewPAParamsSourceFailure(t *testing.T) {
	if _, err := NewPAParams(iotest.ErrReader(errors.New("no entropy")), 100, 10); err == nil {
		t.Fatal("a failing random source went unnoticed")
	}
	if _, err := NewPAParams(nil, 100, 101); !errors.Is(err, ErrInvalidPA) {
		t.Fatalf("output longer than input: %v", err)
	}
}

func TestCheckPAParamsRejects(t *testing.T) {
	ok := PAParams{Diagonals: make([]uint8, 14), OutputBits: 5, InputBits: 10}
	if err := CheckPAParams(ok, []uint8{}, 10); err != nil {
		t.Fatalf("valid request rejected: %v", err)
	}
	mut := func(f func(*PAParams)) PAParams {
		p := ok
		p.Diagonals = slices.Clone(ok.Diagonals)
		f(&p)
		return p
	}
	for name, p := range map[string]PAParams{
		"subblock≠key": mut(func(p *PAParams) { p.InputBits = 11 }),
		"long output":  mut(func(p *PAParams) { p.OutputBits = 11 }),
		"zero output":  mut(func(p *PAParams) { p.OutputBits = 0 }),
		"short seed":   mut(func(p *PAParams) { p.Diagonals = p.Diagonals[1:] }),
		"non-bit seed": mut(func(p *PAParams) { p.Diagonals[3] = 2 }),
	} {
		if err := CheckPAParams(p, nil, 10); !errors.Is(err, ErrInvalidPA) {
			t.Errorf("%s: err %v, want ErrInvalidPA", name, err)
		}
	}
	if err := CheckPAParams(ok, []uint8{1, 1, 1, 0, 0}, 10); !errors.Is(err, ErrInvalidPA) {
		t.Errorf("feedback polynomial: err %v, want ErrInvalidPA", err)
	}
	huge := PAParams{OutputBits: 1, InputBits: MaxPAInputBits + 1}
	if err := CheckPAParams(huge, nil, MaxPAInputBits+1); !errors.Is(err, ErrInvalidPA) {
		t.Errorf("huge: err %v", err)
	}
	// The output bound is checked before the seed is looked at.
	wide := PAParams{OutputBits: MaxPAOutputBits + 1, InputBits: MaxPAInputBits}
	if err := CheckPAParams(wide, nil, MaxPAInputBits); !errors.Is(err, ErrInvalidPA) || !strings.Contains(err.Error(), "secret_key_length") {
		t.Errorf("secret key longer than MaxPAOutputBits: err %v", err)
	}
}

func TestFinalKeyLength(t *testing.T) {
	chi, err := HolevoBound(defaultLink)
	if err != nil {
		t.Fatal(err)
	}
	base := FinalKeyParams{ReconciledBits: 1_800_000, SyndromeBits: 1_520_000, Estimate: defaultLink}
	l, terms, err := FinalKeyLength(base)
	if err != nil {
		t.Fatal(err)
	}
	want := math.Floor(1_800_000 - 1_520_000 - 63 - 900_000*chi - 2*math.Log2(1e10))
	if float64(l) != want || terms.Length != l || terms.Symbols != 900_000 || terms.Leak != 1_520_063 {
		t.Fatalf("length %d (terms %+v), want %.0f", l, terms, want)
	}
	// More leakage, less key; a worse channel estimate, less key.
	more := base
	more.SyndromeBits += 1000
	if l2, _, _ := FinalKeyLength(more); l2 != l-1000 {
		t.Fatalf("1000 more leaked bits: %d, want %d", l2, l-1000)
	}
	worse := base
	worse.Estimate.Xi = 0.03
	if l3, _, _ := FinalKeyLength(worse); l3 >= l {
		t.Fatalf("higher excess noise gave %d ≥ %d", l3, l)
	}
	// Homodyne: one quadrature per symbol.
	hom := base
	hom.Estimate.Detection = Homodyne
	if _, terms, _ := FinalKeyLength(hom); terms.Symbols != 1_800_000 {
		t.Fatalf("homodyne symbols %d", terms.Symbols)
	}
	// No key: a clear reason.
	none := base
	none.SyndromeBits = 1_700_000
	l0, _, err := FinalKeyLength(none)
	if l0 != 0 || !errors.Is(err, ErrNoSecretKey) || !strings.Contains(err.Error(), "χ_BE") {
		t.Fatalf("no-key case: %d, %v", l0, err)
	}
	bad := base
	bad.Estimate.T = 2
	if _, _, err := FinalKeyLength(bad); !errors.Is(err, ErrOutOfDomain) {
		t.Fatalf("T = 2: %v", err)
	}
	bad = base
	bad.EpsilonPA = 2
	if _, _, err := FinalKeyLength(bad); !errors.Is(err, ErrInvalidPA) {
		t.Fatalf("ε = 2: %v", err)
	}
}
