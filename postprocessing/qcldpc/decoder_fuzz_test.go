package qcldpc

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"
)

// FuzzDecode builds a code and a block from arbitrary bytes: base shape,
// lifting size and circulants from the first bytes (the code may be
// invalid), then LLRs (raw float32 bit patterns: NaN, ±Inf, subnormals) and
// syndrome bytes of arbitrary lengths. NewDecoder and Decode must return an
// error or a result, never panic; a block reported ok satisfies the
// syndrome.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{2, 3, 5, 0, 0, 1, 0, 1, 2, 1, 2, 3}, []byte{0, 0, 128, 63, 0, 0, 128, 191}, []byte{1, 0, 1})
	f.Add([]byte{1, 1, 1}, []byte{}, []byte{})
	f.Add([]byte{3, 6, 7, 0, 0, 0, 0, 1, 1, 0, 2, 3, 1, 3, 4, 2, 5, 6}, []byte{0, 0, 192, 127, 0, 0, 128, 127, 0, 0, 128, 255}, []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, codeBytes, llrBytes, synd []byte) {
		if len(codeBytes) < 3 {
			return
		}
		c := &Code{BaseRows: int(codeBytes[0] % 8), BaseCols: int(codeBytes[1] % 12), Z: int(codeBytes[2] % 40)}
		for i := 3; i+2 < len(codeBytes); i += 3 {
			c.Circulants = append(c.Circulants, Circulant{int32(codeBytes[i] % 9), int32(codeBytes[i+1] % 13), int32(codeBytes[i+2] % 41)})
		}
		if len(codeBytes)%2 == 1 {
			SortCirculants(c.Circulants)
		}
		d, err := NewDecoder(c, 8)
		if err != nil {
			if !errors.Is(err, ErrInvalidCode) {
				t.Fatalf("NewDecoder error does not wrap ErrInvalidCode: %v", err)
			}
			return
		}
		// LLRs: the given bit patterns, repeated to length N when the
		// first syndrome byte is even (a well-formed block), as given
		// otherwise.
		n, m := c.N(), c.M()
		raw := make([]float32, len(llrBytes)/4)
		for i := range raw {
			raw[i] = math.Float32frombits(binary.LittleEndian.Uint32(llrBytes[4*i:]))
		}
		llr, syndrome := raw, synd
		if len(synd) == 0 || synd[0]%2 == 0 {
			llr = make([]float32, n)
			for i := range llr {
				if len(raw) > 0 {
					llr[i] = raw[i%len(raw)]
				}
			}
			syndrome = make([]uint8, m)
			for i := range syndrome {
				if len(synd) > 0 {
					syndrome[i] = synd[i%len(synd)] & 1
				}
			}
		}
		out := make([]uint8, n)
		it, ok, err := d.Decode(llr, syndrome, out)
		if err != nil {
			if !errors.Is(err, ErrDecodeInput) || ok {
				t.Fatalf("Decode: ok=%v, error %v", ok, err)
			}
			return
		}
		if it < 1 || it > 8 {
			t.Fatalf("%d iterations, bound 8", it)
		}
		s := make([]uint8, m)
		if err := c.Syndrome(out, s); err != nil {
			t.Fatal(err)
		}
		if ok != slices.Equal(s, syndrome) {
			t.Fatalf("ok = %v, decisions satisfy the syndrome = %v", ok, !ok)
		}
	})
}
