package postprocessing

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestPARequestRoundTrip(t *testing.T) {
	n, m := 5000, 1200
	req, err := NewPARequest(nil, n, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Seed) != n+m-1 || req.SubblockLength != n || req.SecretKeyLength != m || len(req.FeedbackPolynomial) != 0 {
		t.Fatalf("request %d seed bits, subblock %d, length %d, polynomial %v", len(req.Seed), req.SubblockLength, req.SecretKeyLength, req.FeedbackPolynomial)
	}
	ones := 0
	for _, b := range req.Seed {
		ones += b
	}
	if ones < (n+m)/2-300 || ones > (n+m)/2+300 {
		t.Fatalf("%d ones in %d seed bits: not uniform", ones, n+m-1)
	}
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"feedback_polynomial":[]`)) || !bytes.Contains(raw, []byte(`"seed":[`)) {
		t.Fatalf("wire form %.120s…", raw)
	}
	var w PARequestWire
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	p, err := ParsePARequest(w, n)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Wire().Seed, req.Seed) {
		t.Fatal("seed changed in transit")
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

func TestNewPARequestSourceFailure(t *testing.T) {
	if _, err := NewPARequest(iotest.ErrReader(errors.New("no entropy")), 100, 10); err == nil {
		t.Fatal("a failing random source went unnoticed")
	}
	if _, err := NewPARequest(nil, 100, 101); !errors.Is(err, ErrInvalidPA) {
		t.Fatalf("output longer than input: %v", err)
	}
}

func TestParsePARequestRejects(t *testing.T) {
	ok := PARequestWire{Seed: make([]int, 14), SecretKeyLength: 5, SubblockLength: 10, FeedbackPolynomial: []int{}}
	if _, err := ParsePARequest(ok, 10); err != nil {
		t.Fatalf("valid request rejected: %v", err)
	}
	mut := func(f func(*PARequestWire)) PARequestWire {
		w := ok
		w.Seed = slices.Clone(ok.Seed)
		f(&w)
		return w
	}
	for name, w := range map[string]PARequestWire{
		"subblock≠key":  mut(func(w *PARequestWire) { w.SubblockLength = 11 }),
		"long output":   mut(func(w *PARequestWire) { w.SecretKeyLength = 11 }),
		"zero output":   mut(func(w *PARequestWire) { w.SecretKeyLength = 0 }),
		"short seed":    mut(func(w *PARequestWire) { w.Seed = w.Seed[1:] }),
		"non-bit seed":  mut(func(w *PARequestWire) { w.Seed[3] = 2 }),
		"negative seed": mut(func(w *PARequestWire) { w.Seed[0] = -1 }),
		"polynomial":    mut(func(w *PARequestWire) { w.FeedbackPolynomial = []int{1, 1, 1, 0, 0} }),
	} {
		if _, err := ParsePARequest(w, 10); !errors.Is(err, ErrInvalidPA) {
			t.Errorf("%s: err %v, want ErrInvalidPA", name, err)
		}
	}
	huge := PARequestWire{SecretKeyLength: 1, SubblockLength: MaxPAInputBits + 1}
	if _, err := ParsePARequest(huge, MaxPAInputBits+1); !errors.Is(err, ErrInvalidPA) {
		t.Errorf("huge: err %v", err)
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
