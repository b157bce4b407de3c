package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// FuzzReadFrame: any byte stream gives frames or an error wrapping ErrFrame
// or ErrDisconnected; never a panic or an allocation beyond the bytes given
// (the limit keeps claims small). Accepted frames re-encode to their header
// and their contents decode or fail with a content sentinel.
func FuzzReadFrame(f *testing.F) {
	var all []byte
	for _, v := range loadVectors(f) {
		f.Add(v.raw)
		all = append(all, v.raw...)
	}
	f.Add(all)
	_, bob, alice := loadSession(f)
	f.Add(bob)
	f.Add(alice)
	f.Add([]byte{0, 0, 0, 0})
	f.Add(rawFrame(`{"code": 15, "content_length": 99999999, "challenge": "", "next_challenge": ""}`, nil, "{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data), Limits{MaxContent: 1 << 20})
		for {
			fr, err := d.ReadFrame()
			if err != nil {
				if !errors.Is(err, ErrFrame) && !errors.Is(err, ErrDisconnected) {
					t.Fatalf("error wraps no sentinel: %v", err)
				}
				return
			}
			if fr.Header.ContentLength != len(fr.Content) || fr.Header.ContentLength < 0 {
				t.Fatalf("content_length %d, content %d bytes", fr.Header.ContentLength, len(fr.Content))
			}
			if _, err := parseHeader(fr.HeaderJSON); err != nil {
				t.Fatalf("accepted header does not parse: %v", err)
			}
			if fr.Digest() != digestOf(fr.HeaderJSON, fr.Content) {
				t.Fatal("digest over the frame buffer differs from the digest of its parts")
			}
			c, err := DecodeContent(fr.Header.Code, fr.Content)
			if err != nil && !errors.Is(err, ErrInvalidContent) && !errors.Is(err, ErrUnknownCode) {
				t.Fatalf("content error wraps no sentinel: %v", err)
			}
			if err == nil && c != nil {
				if _, err := EncodeContent(c); err != nil {
					t.Fatalf("accepted content does not encode: %v", err)
				}
			}
		}
	})
}

// FuzzDecodeContent: any content of any code decodes to a valid content or
// fails with ErrInvalidContent/ErrUnknownCode; an accepted content
// re-encodes and decodes to itself.
func FuzzDecodeContent(f *testing.F) {
	for _, v := range loadVectors(f) {
		fr, err := NewDecoder(bytes.NewReader(v.raw), Limits{}).ReadFrame()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(int(fr.Header.Code), fr.Content)
	}
	f.Add(int(ECInitialization), []byte(`{"noise": 0.2, "ldpc": {"n": 10, "k": 5, "column_weight": 3, "seed": 1}, "blocks": 2}`))
	f.Add(int(ECInitialization), []byte(`{"noise": 0.2, "qc_ldpc": {"family": 2, "z": 64, "rows": 20, "shortened": 3, "punctured": 0, "seed": 7}, "reconciliation": "multidimensional", "blocks": 2}`))
	f.Add(int(ECInitialization), []byte(`{"noise": 0.2, "sparse_matrix": {"n": 3, "rows": [[0, 2], [1]]}}`))
	f.Add(int(ECInitialization), []byte(`{"noise": 0.2, "qc_ldpc": {"family": 38, "z": 64, "rows": 8, "shortened": 3, "punctured": 0, "seed": 7}, "reconciliation": "slice", "slices": {"bits": 4, "disclosed": 1, "scale": 1.3, "codes": [{"family": 8, "z": 64, "rows": 5, "shortened": 2, "punctured": 0, "seed": 8}, {"family": 1, "z": 64, "rows": 2, "shortened": 2, "punctured": 9, "seed": 9}]}, "blocks": 2}`))
	f.Add(int(ECBlock), []byte(`{"block": 1, "syndrome": [0, 1, 1, 0]}`))
	f.Add(int(ECBlock), []byte(`{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 2, "disclosed": "q6s=", "disclosed_bits": 16, "hash": 5}]}`))
	f.Add(int(ECBlock), []byte(`{"batch": [{"block": 0, "syndrome": "gA==", "syndrome_bits": 2, "rotation": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "norms": "AACAPw==", "hash": 5}, {"block": 1, "syndrome": "/w==", "syndrome_bits": 8}]}`))
	f.Add(int(ECReady), []byte(`{"encoding": "packed", "batch": 9}`))
	f.Add(int(ECBlockAck), []byte(`{"failed": [3, 4]}`))
	f.Add(int(PARequest), []byte(`{"secret_key_length": 4, "subblock_length": 5, "feedback_polynomial": [], "seed_packed": "q80=", "seed_bits": 16}`))
	f.Add(int(PESymbolsRequest), []byte("{\"indices\" :[ 1,\n2 ]}"))
	f.Fuzz(func(t *testing.T, code int, raw []byte) {
		c, err := DecodeContent(Code(code), raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidContent) && !errors.Is(err, ErrUnknownCode) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if c == nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("decoded content is invalid: %v", err)
		}
		b, err := EncodeContent(c)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		c2, err := DecodeContent(Code(code), b)
		if err != nil {
			t.Fatalf("decode of %s: %v", b, err)
		}
		b2, _ := EncodeContent(c2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("not stable:\n%s\n%s", b, b2)
		}
	})
}

// FuzzNumberArray: Numbers[float64] accepts exactly the arrays encoding/json
// decodes into []float64, with the same values, and writes exactly what
// encoding/json writes for them; Numbers[int] and Numbers[uint8] accept every
// array encoding/json decodes into []int and []uint8, with the same values.
func FuzzNumberArray(f *testing.F) {
	for _, s := range []string{`[]`, `[1, 2.5, -3e-7]`, "[ 1 ,\n2\t]", `[1e400]`, `[01]`, `[1.]`, `[-]`, `[1,]`, `[0.1234567890123, -1.5, 2e-07, 3.0]`, `[1, "2"]`, `[1 2]`, ` [5] `, `[255, 256, -0]`, `[9223372036854775807]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return // both leave the slice alone
		}
		var got Numbers[float64]
		errOurs := got.UnmarshalJSON(raw)
		var want []float64
		err := json.Unmarshal(raw, &want)
		if (errOurs == nil) != (err == nil) {
			t.Fatalf("%q: ours %v, encoding/json %v", raw, errOurs, err)
		}
		if err != nil {
			return
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%q: ours %v, encoding/json %v", raw, got, want)
		}
		mine, err1 := got.MarshalJSON()
		theirs, err2 := json.Marshal(want)
		if err1 != nil || err2 != nil || !bytes.Equal(mine, theirs) {
			t.Fatalf("%v: ours %s (%v), encoding/json %s (%v)", want, mine, err1, theirs, err2)
		}
		// Numbers[float32] reads the same arrays, each value rounded to the
		// nearest float32 (or refused beyond the float32 range).
		var singles Numbers[float32]
		if err := singles.UnmarshalJSON(raw); err == nil {
			for i, x := range want {
				if singles[i] != float32(x) {
					t.Fatalf("%q: element %d read as float32 %v, want %v", raw, i, singles[i], float32(x))
				}
			}
			back, _ := singles.MarshalJSON()
			var again Numbers[float32]
			if err := again.UnmarshalJSON(back); err != nil || !slices.Equal(again, singles) {
				t.Fatalf("%v written as %s read back as %v (%v)", singles, back, again, err)
			}
		} else if !slices.ContainsFunc(want, func(x float64) bool { return math.IsInf(float64(float32(x)), 0) }) {
			t.Fatalf("%q: refused as float32: %v", raw, err)
		}
		var ints []int
		if json.Unmarshal(raw, &ints) == nil {
			var gotInts Numbers[int]
			if err := gotInts.UnmarshalJSON(raw); err != nil || !slices.Equal(gotInts, ints) {
				t.Fatalf("%q: ours %v (%v), encoding/json %v", raw, gotInts, err, ints)
			}
		}
		var small []int16
		if json.Unmarshal(raw, &small) == nil {
			var bytesOurs Numbers[uint8]
			errB := bytesOurs.UnmarshalJSON(raw)
			inRange := !slices.ContainsFunc(small, func(x int16) bool { return x < 0 || x > 255 })
			if (errB == nil) != inRange {
				t.Fatalf("%q as bytes: %v", raw, errB)
			}
		}
	})
}

// Arrays large enough for the parallel reader give exactly what
// encoding/json gives, and a bad element anywhere is reported at its index
// as the sequential reader reports it.
func TestParallelFloatArray(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 150_000
	forms := []string{"%v", "%e", "%.3f", "%g", "%E", "%.0f"}
	seps := []string{", ", ",", " ,\n", ",\t"}
	var b []byte
	b = append(b, "[ "...)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, seps[rng.IntN(len(seps))]...)
		}
		b = fmt.Appendf(b, forms[rng.IntN(len(forms))], rng.NormFloat64()*math.Pow(10, float64(rng.IntN(40)-20)))
	}
	b = append(b, " ]\n"...)
	if len(b) < parallelArrayBytes {
		t.Fatalf("array of %d bytes does not reach the parallel path", len(b))
	}
	var got Numbers[float64]
	errOurs := got.UnmarshalJSON(b)
	var want []float64
	if err := json.Unmarshal(b, &want); err != nil || errOurs != nil {
		t.Fatalf("encoding/json %v, ours %v", err, errOurs)
	}
	if !slices.Equal(got, want) {
		t.Fatal("parallel reader differs from encoding/json")
	}
	par, ok := parseFloatArrayParallel(b)
	if !ok || !slices.Equal(par, want) {
		t.Fatal("parallel path not taken or wrong")
	}
	for _, bad := range []string{`"x"`, `1e999`, `1.`, `[`, `,`} {
		at := rng.IntN(n)
		elems := bytes.Split(b[2:len(b)-3], []byte(","))
		elems[at] = []byte(bad)
		c := append(append([]byte("["), bytes.Join(elems, []byte(","))...), ']')
		var v Numbers[float64]
		err := v.UnmarshalJSON(c)
		var ae *ArrayError
		if !errors.As(err, &ae) {
			t.Fatalf("%s at %d: %v", bad, at, err)
		}
		if bad != `,` && bad != `[` && ae.Index != at {
			t.Fatalf("%s at %d reported at %d", bad, at, ae.Index)
		}
	}
}

// The parallel float writer gives byte for byte what encoding/json gives,
// whether its regions fit or spill.
func TestParallelFloatWriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	v := make([]float64, 70_000)
	for i := range v {
		switch i % 3 {
		case 0:
			v[i] = rng.NormFloat64()
		case 1:
			v[i] = float64(rng.IntN(10))
		default:
			v[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(600)-300))
		}
	}
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want = append([]byte("prefix"), want...)
	for _, c := range []struct{ workers, percent int }{{2, 103}, {3, 103}, {8, 150}, {2, 50}, {5, 10}} {
		got := appendFloatsParallel([]byte("prefix"), v, c.workers, c.percent)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d workers at %d%%: output differs", c.workers, c.percent)
		}
	}
	if got := Numbers[float64](v).appendJSON([]byte("prefix")); !bytes.Equal(got, want) {
		t.Fatal("appendJSON differs")
	}
}

// FuzzPacked: any JSON value is a base64 string of the strict form or
// refused; what is accepted reads back as bits (for the exact length, with
// zero padding) and float32 values (when finite) that pack to the same bytes.
func FuzzPacked(f *testing.F) {
	for _, s := range []string{`"gA=="`, `"/w=="`, `"AACAPw=="`, `""`, `"YQ"`, `"Y\nQ=="`, `5`, `null`, `"AACAfw=="`} {
		f.Add([]byte(s), 7)
	}
	f.Fuzz(func(t *testing.T, raw []byte, n int) {
		var p Packed
		if err := p.UnmarshalJSON(raw); err != nil {
			return
		}
		if p == nil {
			return // null
		}
		if b, _ := p.MarshalJSON(); !bytes.Equal(b, raw) {
			t.Fatalf("%s accepted, written back as %s", raw, b)
		}
		if bits, err := p.Bits(n); err == nil {
			if len(bits) != n || !bytes.Equal(PackBits(bits), p) {
				t.Fatalf("%d bits of %x repack as %x", n, []byte(p), []byte(PackBits(bits)))
			}
		} else if n >= 0 && len(p) == (n+7)/8 && (n%8 == 0 || p[len(p)-1]&(0xFF>>(n%8)) == 0) {
			t.Fatalf("%d bits of %x refused: %v", n, []byte(p), err)
		}
		if v, err := p.Float32s(); err == nil && !bytes.Equal(PackFloat32s(v), p) {
			t.Fatalf("%x read as %v repacks differently", []byte(p), v)
		}
	})
}
