package falcon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// maxSecretCoefficient bounds |f|, |g|, |F|, |G| in a secret key file.
// Falcon-512 keys have |f|, |g| far below it and the spec's encoding keeps
// |F|, |G| under 128; a larger value is not a Falcon key.
const maxSecretCoefficient = 1 << 12

// PrivateKey is a Falcon-512 secret key: the NTRU basis f, g, F, G with
// f·G − g·F = Q, and what signing precomputes from it.
type PrivateKey struct {
	f, g, bigF, bigG [N]int16
	pub              *PublicKey
	b00, b01         []complex128 // FFT of the basis [[g, −f], [G, −F]]
	b10, b11         []complex128
	tree             *node // normalized Falcon tree of the basis' Gram matrix
}

func toInt16(name string, v []int64) ([N]int16, error) {
	var out [N]int16
	if len(v) != N {
		return out, fmt.Errorf("%w: %s has %d coefficients, want %d", ErrKey, name, len(v), N)
	}
	for i, x := range v {
		if x < -maxSecretCoefficient || x > maxSecretCoefficient {
			return out, fmt.Errorf("%w: %s[%d] = %d is out of range", ErrKey, name, i, x)
		}
		out[i] = int16(x)
	}
	return out, nil
}

// NewPrivateKey checks the basis (sizes, ranges, f invertible modulo Q and
// the NTRU equation f·G − g·F = Q over the integers) and precomputes
// signing.
func NewPrivateKey(f, g, F, G []int64) (*PrivateKey, error) {
	sk := &PrivateKey{}
	var err error
	if sk.f, err = toInt16("f", f); err != nil {
		return nil, err
	}
	if sk.g, err = toInt16("g", g); err != nil {
		return nil, err
	}
	if sk.bigF, err = toInt16("F", F); err != nil {
		return nil, err
	}
	if sk.bigG, err = toInt16("G", G); err != nil {
		return nil, err
	}
	// f·G − g·F must be the constant Q. Modulo Q it is 0: checked first
	// with the NTT (cheap, and almost every wrong basis fails it), then
	// exactly over the integers.
	fn, gn, Fn, Gn := reduce(f), reduce(g), reduce(F), reduce(G)
	ntt(&fn)
	ntt(&gn)
	ntt(&Fn)
	ntt(&Gn)
	for i := range fn {
		if mulq(fn[i], Gn[i]) != mulq(gn[i], Fn[i]) {
			return nil, fmt.Errorf("%w: f·G − g·F is not %d (not even modulo %d)", ErrKey, Q, Q)
		}
	}
	fG := negacyclicMul(sk.f[:], sk.bigG[:])
	gF := negacyclicMul(sk.g[:], sk.bigF[:])
	for i := range fG {
		want := int64(0)
		if i == 0 {
			want = Q
		}
		if fG[i]-gF[i] != want {
			return nil, fmt.Errorf("%w: f·G − g·F is not %d (coefficient %d is %d)", ErrKey, Q, i, fG[i]-gF[i])
		}
	}
	h, ok := divq(g, f)
	if !ok {
		return nil, fmt.Errorf("%w: f is not invertible modulo %d", ErrKey, Q)
	}
	hc := make([]int64, N)
	for i, v := range h {
		hc[i] = int64(v)
	}
	if sk.pub, err = NewPublicKey(hc); err != nil {
		return nil, err
	}
	sk.precompute()
	// The integer sampler needs every leaf's deviation within
	// [sigmin, sigmaMax]: true of Falcon keys (their Gram–Schmidt norm is
	// bounded); a longer basis is not a Falcon-512 key.
	bad := 0.0
	sk.tree.leaves(func(s float64) {
		if !(s >= sigmin && s <= sigmaMax) && bad == 0 {
			bad = s
			if math.IsNaN(s) {
				bad = -1
			}
		}
	})
	if bad != 0 {
		return nil, fmt.Errorf("%w: the basis is too long for Falcon-512 (a sampler deviation of %v outside [%v, %v])", ErrKey, bad, sigmin, sigmaMax)
	}
	return sk, nil
}

// negacyclicMul returns a·b in Z[x]/(x^N + 1).
func negacyclicMul(a, b []int16) []int64 {
	out := make([]int64, N)
	for i, x := range a {
		if x == 0 {
			continue
		}
		for j, y := range b {
			p := int64(x) * int64(y)
			if k := i + j; k < N {
				out[k] += p
			} else {
				out[k-N] -= p
			}
		}
	}
	return out
}

// Public returns the public key h = g/f mod Q.
func (sk *PrivateKey) Public() *PublicKey { return sk.pub }

// Basis returns copies of f, g, F, G.
func (sk *PrivateKey) Basis() (f, g, F, G []int64) {
	conv := func(a *[N]int16) []int64 {
		out := make([]int64, N)
		for i, v := range a {
			out[i] = int64(v)
		}
		return out
	}
	return conv(&sk.f), conv(&sk.g), conv(&sk.bigF), conv(&sk.bigG)
}

// decodeJSON reads one JSON value from b into v, refusing trailing data.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("data after the key")
	}
	return nil
}

// ParsePrivateKeyJSON reads qosst's secret key form: the JSON list
// [f, g, F, G] of four lists of N integers.
func ParsePrivateKeyJSON(b []byte) (*PrivateKey, error) {
	var v [][]int64
	if err := decodeJSON(b, &v); err != nil {
		return nil, fmt.Errorf("%w: secret key JSON: %w", ErrKey, err)
	}
	if len(v) != 4 {
		return nil, fmt.Errorf("%w: secret key has %d polynomials, want 4 ([f, g, F, G])", ErrKey, len(v))
	}
	return NewPrivateKey(v[0], v[1], v[2], v[3])
}

// ParsePublicKeyJSON reads qosst's public key form: the JSON list h of N
// integers in [0, Q).
func ParsePublicKeyJSON(b []byte) (*PublicKey, error) {
	var h []int64
	if err := decodeJSON(b, &h); err != nil {
		return nil, fmt.Errorf("%w: public key JSON: %w", ErrKey, err)
	}
	return NewPublicKey(h)
}

// MarshalJSON writes the secret key in qosst's form [f, g, F, G].
func (sk *PrivateKey) MarshalJSON() ([]byte, error) {
	f, g, F, G := sk.Basis()
	return json.Marshal([][]int64{f, g, F, G})
}

// MarshalJSON writes the public key in qosst's form h.
func (pk *PublicKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(pk.Coefficients())
}
