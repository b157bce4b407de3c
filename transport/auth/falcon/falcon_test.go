package falcon

import (
	"bytes"
	"crypto/sha3"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The reference vectors: a copy in testdata/ at the module root of the
// project's shared vectors.
var (
	vectorFile = filepath.Join("..", "..", "..", "testdata", "qosst-core-0.10-falcon.json")
	sharedFile = filepath.Join("..", "..", "..", "..", "shared", "vectors", "qosst-core-0.10-falcon.json")
)

type vectors struct {
	Keys struct {
		AliceSecret [][]int64 `json:"alice_secret_key"`
		AlicePublic []int64   `json:"alice_public_key"`
		BobSecret   [][]int64 `json:"bob_secret_key"`
		BobPublic   []int64   `json:"bob_public_key"`
	} `json:"keys"`
	Signatures []struct {
		Digest    string `json:"digest_hex"`
		Signature string `json:"signature_hex"`
		Valid     bool   `json:"valid"`
	} `json:"signatures"`
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	b, err := os.ReadFile(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Signatures) == 0 || len(v.Keys.AliceSecret) != 4 {
		t.Fatal("vector file without signatures or keys")
	}
	return &v
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vectorKeys(t testing.TB) (alice, bob *PrivateKey, alicePub, bobPub *PublicKey) {
	t.Helper()
	v := loadVectors(t)
	var err error
	k := v.Keys
	if alice, err = NewPrivateKey(k.AliceSecret[0], k.AliceSecret[1], k.AliceSecret[2], k.AliceSecret[3]); err != nil {
		t.Fatalf("Alice's secret key: %v", err)
	}
	if bob, err = NewPrivateKey(k.BobSecret[0], k.BobSecret[1], k.BobSecret[2], k.BobSecret[3]); err != nil {
		t.Fatalf("Bob's secret key: %v", err)
	}
	if alicePub, err = NewPublicKey(k.AlicePublic); err != nil {
		t.Fatal(err)
	}
	if bobPub, err = NewPublicKey(k.BobPublic); err != nil {
		t.Fatal(err)
	}
	return alice, bob, alicePub, bobPub
}

// TestVectorCopyMatchesShared: testdata's copy of the Falcon vectors is
// byte-identical to the project's shared vectors when they sit beside the
// repository (as in CI).
func TestVectorCopyMatchesShared(t *testing.T) {
	ours, err := os.ReadFile(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile(sharedFile)
	if errors.Is(err, fs.ErrNotExist) {
		t.Logf("no shared vectors beside the repository; the copy is used as is")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Error("testdata/qosst-core-0.10-falcon.json differs from the shared reference vectors: copy it again")
	}
}

// TestReferenceVerdicts: every signature of the vector file gets the
// reference's verdict, from the production verifier and from the
// test-side one.
func TestReferenceVerdicts(t *testing.T) {
	v := loadVectors(t)
	_, _, pub, _ := vectorKeys(t)
	valid := 0
	for i, s := range v.Signatures {
		d, sig := mustHex(t, s.Digest), mustHex(t, s.Signature)
		err := pub.Verify(d, sig)
		if (err == nil) != s.Valid {
			t.Errorf("signature %d: verify %v, reference says valid=%v", i, err, s.Valid)
		}
		if err != nil && !errors.Is(err, ErrSignature) {
			t.Errorf("signature %d: %v does not wrap ErrSignature", i, err)
		}
		if got := refVerify(v.Keys.AlicePublic, d, sig); got != s.Valid {
			t.Errorf("signature %d: test-side verifier %v, reference says %v", i, got, s.Valid)
		}
		if s.Valid {
			valid++
		}
	}
	if valid == 0 || valid == len(v.Signatures) {
		t.Fatalf("%d valid of %d: the vectors must hold both verdicts", valid, len(v.Signatures))
	}
}

// TestKeysMatchReference: the public key derived from each secret key
// (h = g/f mod Q) is the reference's public key.
func TestKeysMatchReference(t *testing.T) {
	alice, bob, ap, bp := vectorKeys(t)
	if !alice.Public().Equal(ap) || !bob.Public().Equal(bp) {
		t.Fatal("h = g/f differs from the reference public key")
	}
}

// TestNTTAgainstSchoolbook: the NTT product modulo Q is the schoolbook
// negacyclic product.
func TestNTTAgainstSchoolbook(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 5; trial++ {
		var a, b [N]uint32
		for i := range a {
			a[i], b[i] = r.Uint32N(Q), r.Uint32N(Q)
		}
		want := make([]int64, N)
		for i := range a {
			for j := range b {
				p := int64(a[i]) * int64(b[j])
				if i+j < N {
					want[i+j] += p
				} else {
					want[i+j-N] -= p
				}
			}
		}
		an, bn := a, b
		ntt(&an)
		ntt(&bn)
		for i := range an {
			an[i] = mulq(an[i], bn[i])
		}
		intt(&an)
		for i := range an {
			w := want[i] % Q
			if w < 0 {
				w += Q
			}
			if int64(an[i]) != w {
				t.Fatalf("trial %d coefficient %d: %d, want %d", trial, i, an[i], w)
			}
		}
	}
}

// TestFFT: ifft(fft(a)) = a; the FFT product is the negacyclic product;
// fft evaluates a at the roots of x^N + 1.
func TestFFT(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a, b := make([]float64, N), make([]float64, N)
	ai, bi := make([]int16, N), make([]int16, N)
	for i := range a {
		ai[i], bi[i] = int16(r.IntN(201)-100), int16(r.IntN(201)-100)
		a[i], b[i] = float64(ai[i]), float64(bi[i])
	}
	back := ifft(fft(a))
	for i := range a {
		if math.Abs(back[i]-a[i]) > 1e-9 {
			t.Fatalf("round trip coefficient %d: %v, want %v", i, back[i], a[i])
		}
	}
	prod := ifft(mulFFT(fft(a), fft(b)))
	want := negacyclicMul(ai, bi)
	for i := range prod {
		if math.Abs(prod[i]-float64(want[i])) > 1e-6 {
			t.Fatalf("product coefficient %d: %v, want %d", i, prod[i], want[i])
		}
	}
	fa := fft(a)
	for k, w := range roots[LogN] {
		var v complex128
		p := complex(1, 0)
		for _, c := range a {
			v += complex(c, 0) * p
			p *= w
		}
		if d := v - fa[k]; real(d)*real(d)+imag(d)*imag(d) > 1e-12*(1+real(v)*real(v)+imag(v)*imag(v)) {
			t.Fatalf("fft value %d: %v, evaluation %v", k, fa[k], v)
		}
		if k < N/2 {
			w0, w1 := roots[LogN][2*k], roots[LogN][2*k+1]
			d, e := w0*w0-roots[LogN-1][k], w1+w0
			if math.Hypot(real(d), imag(d)) > 1e-12 || math.Hypot(real(e), imag(e)) > 1e-12 {
				t.Fatalf("root order at %d", k)
			}
		}
	}
}

// TestSamplerKAT: the integer sampler, fed the reference's recorded random
// octets, returns the reference's samples (the samplerz known answers of
// the Falcon Python reference).
func TestSamplerKAT(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "samplerz-kat512.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests []struct {
			Mu, Sigma, Sigmin float64
			Octets            string
			Z                 int
		} `json:"tests"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tests) < 100 {
		t.Fatalf("%d vectors", len(doc.Tests))
	}
	for i, tc := range doc.Tests {
		if math.Abs(tc.Sigmin-sigmin) > 1e-15 {
			t.Fatalf("vector %d: sigmin %v, Falcon-512's is %v", i, tc.Sigmin, sigmin)
		}
		src := mustHex(t, tc.Octets)
		used := 0
		s := &sampler{sigmin: tc.Sigmin, fill: func(p []byte) {
			if used+len(p) > len(src) {
				t.Fatalf("vector %d: the sampler reads past the recorded octets", i)
			}
			copy(p, src[used:])
			used += len(p)
		}}
		if z := s.sampleZ(tc.Mu, tc.Sigma); z != tc.Z || used != len(src) {
			t.Errorf("vector %d: z = %d using %d octets, want %d using %d", i, z, used, tc.Z, len(src))
		}
	}
}

// TestSamplerMoments: with crypto-strength randomness the sampler's mean
// and variance match the discrete Gaussian's, computed independently by
// summing its density.
func TestSamplerMoments(t *testing.T) {
	s, err := newSampler(bytes.NewReader(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ mu, sd float64 }{{0.3, 1.3}, {-7.75, 1.7}, {100.5, 1.8}} {
		var wm, wv, wz float64
		for z := math.Floor(c.mu) - 40; z <= math.Floor(c.mu)+40; z++ {
			p := math.Exp(-(z - c.mu) * (z - c.mu) / (2 * c.sd * c.sd))
			wz += p
			wm += p * z
		}
		wm /= wz
		for z := math.Floor(c.mu) - 40; z <= math.Floor(c.mu)+40; z++ {
			p := math.Exp(-(z - c.mu) * (z - c.mu) / (2 * c.sd * c.sd))
			wv += p * (z - wm) * (z - wm)
		}
		wv /= wz
		const n = 200000
		var m, v float64
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(s.sampleZ(c.mu, c.sd))
			m += xs[i]
		}
		m /= n
		for _, x := range xs {
			v += (x - m) * (x - m)
		}
		v /= n - 1
		// Standard errors: sqrt(var/n) ≈ 0.004 for the mean, about
		// var·sqrt(2/n) ≈ 0.01 for the variance; allow 5 of them.
		if math.Abs(m-wm) > 5*math.Sqrt(wv/n) || math.Abs(v-wv) > 5*wv*math.Sqrt(2.0/n) {
			t.Errorf("mu %v sd %v: mean %.4f var %.4f, want %.4f and %.4f", c.mu, c.sd, m, v, wm, wv)
		}
	}
}

// TestTreeLeaves: every leaf of the vector keys' trees gives the integer
// sampler a standard deviation in [sigmin, sigmaMax], as the
// specification requires of a valid key.
func TestTreeLeaves(t *testing.T) {
	alice, bob, _, _ := vectorKeys(t)
	for _, sk := range []*PrivateKey{alice, bob} {
		n := 0
		sk.tree.leaves(func(s float64) {
			n++
			if s < sigmin || s > sigmaMax {
				t.Errorf("leaf sigma %v outside [%v, %v]", s, sigmin, sigmaMax)
			}
		})
		if n != N {
			t.Fatalf("%d leaves, want %d", n, N)
		}
	}
}

// TestSignVerify: signatures made with the vector keys verify under the
// production verifier and under the test-side verifier, are 666 bytes with
// the 0x39 header and zero padding, and any flipped byte is refused.
func TestSignVerify(t *testing.T) {
	v := loadVectors(t)
	alice, bob, ap, bp := vectorKeys(t)
	for k, c := range []struct {
		sk  *PrivateKey
		pub *PublicKey
		raw []int64
	}{{alice, ap, v.Keys.AlicePublic}, {bob, bp, v.Keys.BobPublic}} {
		for m := 0; m < 8; m++ {
			msg := sha3.Sum256([]byte{byte(k), byte(m)})
			sig, err := c.sk.Sign(nil, msg[:])
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != SignatureSize || sig[0] != 0x39 {
				t.Fatalf("signature of %d bytes, header %#x", len(sig), sig[0])
			}
			if err := c.pub.Verify(msg[:], sig); err != nil {
				t.Fatalf("key %d message %d: %v", k, m, err)
			}
			if !refVerify(c.raw, msg[:], sig) {
				t.Fatalf("key %d message %d: the test-side verifier refuses our signature", k, m)
			}
			other := []*PublicKey{bp, ap}[k]
			if err := other.Verify(msg[:], sig); !errors.Is(err, ErrSignature) {
				t.Fatalf("verified under the other key: %v", err)
			}
			if m == 0 {
				for i := range sig {
					for _, mask := range []byte{0x01, 0x80} {
						bad := bytes.Clone(sig)
						bad[i] ^= mask
						if err := c.pub.Verify(msg[:], bad); !errors.Is(err, ErrSignature) {
							t.Fatalf("byte %d ^%#x accepted: %v", i, mask, err)
						}
					}
				}
				for i := range msg {
					bad := msg
					bad[i] ^= 1
					if err := c.pub.Verify(bad[:], sig); !errors.Is(err, ErrSignature) {
						t.Fatalf("message byte %d flipped accepted: %v", i, err)
					}
				}
			}
		}
	}
}

// TestSignatureNorms: our signatures are distributed as Falcon's: each of
// the 2N coordinates of (s0, s1) has variance sigma², so the mean squared
// norm is 2N·sigma² (about 28.1 million, under the bound 34 034 726); a
// sampler too narrow or too wide would show here. The relative standard
// deviation of one norm is about sqrt(1/N) = 4.4 %, of a mean of 32 about
// 0.8 %; the test allows 4 %.
func TestSignatureNorms(t *testing.T) {
	v := loadVectors(t)
	alice, _, _, _ := vectorKeys(t)
	const n = 32
	var sum float64
	for m := 0; m < n; m++ {
		msg := []byte{byte(m)}
		sig, err := alice.Sign(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		norm, ok := refNorm(v.Keys.AlicePublic, msg, sig)
		if !ok {
			t.Fatal("signature does not decode")
		}
		sum += float64(norm)
	}
	want := 2 * N * sigma * sigma
	if mean := sum / n; math.Abs(mean/want-1) > 0.04 {
		t.Fatalf("mean squared norm %.0f, want %.0f", mean, want)
	}
}

// TestCompressRoundTrip: compress and decompress are inverse on random
// vectors of the signature's size, and decompress refuses -0, trailing
// bits and truncation.
func TestCompressRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 200; trial++ {
		var s [N]int16
		for i := range s {
			s[i] = int16(math.Round(r.NormFloat64() * 165))
		}
		if trial == 0 {
			s[0], s[1] = maxCoefficient, -maxCoefficient
		}
		enc, ok := compress(&s, compressedSize)
		if !ok {
			continue
		}
		if got := refDecompress(enc); got == nil || *got != s {
			t.Fatalf("trial %d: the test-side decoder disagrees", trial)
		}
		dec, err := decompress(enc)
		if err != nil || *dec != s {
			t.Fatalf("trial %d: %v", trial, err)
		}
	}
	var zero [N]int16
	enc, _ := compress(&zero, compressedSize)
	bad := bytes.Clone(enc)
	bad[0] = 0x80 // first coefficient -0
	if _, err := decompress(bad); err == nil || !strings.Contains(err.Error(), "-0") {
		t.Errorf("-0: %v", err)
	}
	bad = bytes.Clone(enc)
	bad[len(bad)-1] = 1
	if _, err := decompress(bad); err == nil {
		t.Error("non-zero padding accepted")
	}
	if _, err := decompress(enc[:100]); err == nil {
		t.Error("truncated encoding accepted")
	}
	var big [N]int16
	big[0] = maxCoefficient + 1
	if _, ok := compress(&big, compressedSize); ok {
		t.Error("coefficient above 2047 compressed")
	}
}

// TestKeyJSON: the vector keys parse from qosst's JSON forms and write
// back identically; malformed keys are refused with ErrKey.
func TestKeyJSON(t *testing.T) {
	v := loadVectors(t)
	skJSON, _ := json.Marshal(v.Keys.AliceSecret)
	pkJSON, _ := json.Marshal(v.Keys.AlicePublic)
	sk, err := ParsePrivateKeyJSON(skJSON)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ParsePublicKeyJSON(pkJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !sk.Public().Equal(pk) {
		t.Fatal("parsed keys do not match")
	}
	if b, _ := sk.MarshalJSON(); !bytes.Equal(b, skJSON) {
		t.Error("secret key does not write back identically")
	}
	if b, _ := pk.MarshalJSON(); !bytes.Equal(b, pkJSON) {
		t.Error("public key does not write back identically")
	}
	// (−F, −G, f, g) satisfies the NTRU equation too, but its first vector
	// is long: refused, since the sampler could not sign with it.
	neg := func(a []int64) []int64 {
		out := make([]int64, len(a))
		for i, v := range a {
			out[i] = -v
		}
		return out
	}
	k := v.Keys.AliceSecret
	if _, err := NewPrivateKey(neg(k[2]), neg(k[3]), k[0], k[1]); !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "too long") {
		t.Errorf("long basis: %v", err)
	}
	swapped, _ := json.Marshal([][]int64{v.Keys.AliceSecret[0], v.Keys.AliceSecret[1], v.Keys.AliceSecret[3], v.Keys.AliceSecret[2]})
	short := bytes.Replace(pkJSON, []byte("["), []byte("[1, "), 1)
	for name, b := range map[string][]byte{
		"F and G swapped":  swapped,
		"three polys":      mustJSON(v.Keys.AliceSecret[:3]),
		"public as secret": pkJSON,
		"float":            []byte(`[[1.5]]`),
		"trailing":         append(bytes.Clone(skJSON), []byte(" []")...),
		"empty":            nil,
	} {
		if _, err := ParsePrivateKeyJSON(b); !errors.Is(err, ErrKey) {
			t.Errorf("secret %s: %v", name, err)
		}
	}
	atQ := append([]int64(nil), v.Keys.AlicePublic...)
	atQ[7] = Q
	for name, b := range map[string][]byte{"513 coefficients": short, "coefficient Q": mustJSON(atQ), "secret as public": skJSON} {
		if _, err := ParsePublicKeyJSON(b); !errors.Is(err, ErrKey) {
			t.Errorf("public %s: %v", name, err)
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// FuzzParseKeyJSON: both key parsers return a key or an ErrKey error for
// any input, never panic; a parsed key writes back to JSON that parses to
// the same key.
func FuzzParseKeyJSON(f *testing.F) {
	b, err := os.ReadFile(vectorFile)
	if err != nil {
		f.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	f.Add(mustJSON(v.Keys.AliceSecret))
	f.Add(mustJSON(v.Keys.AlicePublic))
	f.Add([]byte(`[[],[],[],[]]`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if sk, err := ParsePrivateKeyJSON(b); err == nil {
			out, _ := sk.MarshalJSON()
			again, err := ParsePrivateKeyJSON(out)
			if err != nil || !again.Public().Equal(sk.Public()) {
				t.Fatalf("secret key round trip: %v", err)
			}
		} else if !errors.Is(err, ErrKey) {
			t.Fatalf("secret key error without ErrKey: %v", err)
		}
		if pk, err := ParsePublicKeyJSON(b); err == nil {
			out, _ := pk.MarshalJSON()
			again, err := ParsePublicKeyJSON(out)
			if err != nil || !again.Equal(pk) {
				t.Fatalf("public key round trip: %v", err)
			}
		} else if !errors.Is(err, ErrKey) {
			t.Fatalf("public key error without ErrKey: %v", err)
		}
	})
}

// FuzzVerify: the signature decoder and verifier return nil or an
// ErrSignature error for any bytes, never panic; what verifies also
// verifies under the test-side verifier; a decoded s1 re-encodes to the
// same bytes.
func FuzzVerify(f *testing.F) {
	b, err := os.ReadFile(vectorFile)
	if err != nil {
		f.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	pub, err := NewPublicKey(v.Keys.AlicePublic)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range v.Signatures {
		d, _ := hex.DecodeString(s.Digest)
		sig, _ := hex.DecodeString(s.Signature)
		f.Add(d, sig)
	}
	f.Add([]byte{}, []byte{0x39})
	f.Fuzz(func(t *testing.T, msg, sig []byte) {
		err := pub.Verify(msg, sig)
		if err != nil && !errors.Is(err, ErrSignature) {
			t.Fatalf("error without ErrSignature: %v", err)
		}
		if err == nil && !refVerify(v.Keys.AlicePublic, msg, sig) {
			t.Fatal("accepted a signature the test-side verifier refuses")
		}
		if len(sig) > 1+SaltSize {
			if s1, err := decompress(sig[1+SaltSize:]); err == nil {
				enc, ok := compress(s1, len(sig)-1-SaltSize)
				if !ok || !bytes.Equal(enc, sig[1+SaltSize:]) {
					t.Fatal("a decoded s1 does not re-encode to its bytes")
				}
			}
		}
	})
}
