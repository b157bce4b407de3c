package falcon

import (
	"bytes"
	"crypto/sha256"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestNTRUSolveSmall: for random f, g of small degrees, what ntruSolve
// returns satisfies f·G − g·F = Q exactly, and is reduced (no larger than
// the coefficients Babai's round-off leaves, a few times |f|, |g|).
func TestNTRUSolveSmall(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	solved := 0
	for _, n := range []int{2, 4, 8, 16, 32, 64} {
		for trial := 0; trial < 6; trial++ {
			f, g := make([]int64, n), make([]int64, n)
			for i := range f {
				f[i], g[i] = int64(r.IntN(21)-10), int64(r.IntN(21)-10)
			}
			F, G, err := ntruSolve(toBig(f), toBig(g))
			if err != nil {
				continue // gcd of the norms not 1: no solution exists
			}
			solved++
			fG, gF := bigMul(toBig(f), G), bigMul(toBig(g), F)
			for i := range fG {
				d := new(big.Int).Sub(fG[i], gF[i])
				want := int64(0)
				if i == 0 {
					want = Q
				}
				if d.Cmp(big.NewInt(want)) != 0 {
					t.Fatalf("n=%d: coefficient %d of f·G − g·F is %v", n, i, d)
				}
			}
			for _, v := range append(F, G...) {
				if v.BitLen() > 40 {
					t.Fatalf("n=%d: unreduced coefficient of %d bits", n, v.BitLen())
				}
			}
		}
	}
	if solved < 10 {
		t.Fatalf("only %d systems solved", solved)
	}
}

// TestGenerateKey: a generated key satisfies the NTRU equation (checked
// by NewPrivateKey), has small F and G, gives every leaf of its tree a
// standard deviation the integer sampler accepts, and signs: its
// signatures verify under its public key (production and test-side
// verifiers) and not under another.
func TestGenerateKey(t *testing.T) {
	seed := bytes.Repeat([]byte{42}, 64)
	sk, err := GenerateKey(bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	sk.tree.leaves(func(s float64) {
		if s < sigmin || s > sigmaMax {
			t.Fatalf("leaf sigma %v outside [%v, %v]", s, sigmin, sigmaMax)
		}
	})
	f, g, F, G := sk.Basis()
	for _, p := range [][]int64{f, g, F, G} {
		for _, v := range p {
			if v < -maxBasisCoefficient || v > maxBasisCoefficient {
				t.Fatalf("coefficient %d", v)
			}
		}
	}
	// Deterministic from the seed (not rechecked under the race detector,
	// which makes key generation twenty times slower).
	if !raceEnabled {
		again, err := GenerateKey(bytes.NewReader(seed))
		if err != nil || !again.Public().Equal(sk.Public()) {
			t.Fatalf("same seed, another key: %v", err)
		}
	}
	_, _, vp, _ := vectorKeys(t)
	d := sha256.Sum256([]byte("frame"))
	sig, err := sk.Sign(nil, d[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := sk.Public().Verify(d[:], sig); err != nil {
		t.Fatal(err)
	}
	if !refVerify(sk.Public().Coefficients(), d[:], sig) {
		t.Fatal("test-side verifier refuses")
	}
	if err := vp.Verify(d[:], sig); err == nil {
		t.Fatal("verified under another key")
	}
	if gs := gsNormSquared(f, g); gs > 1.17*1.17*Q {
		t.Fatalf("Gram-Schmidt norm² %v", gs)
	}
}
