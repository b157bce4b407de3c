package messages

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// Benchmarks. Run (the figures are in docs/messages.md):
//
//	go test -run='^$' -bench=. -benchmem -benchtime=20x ./messages/
//
// The big-array benchmarks use 10^6 elements, the size of a PE request and
// its answer, and compare with encoding/json on the same data in the same run.

// borrowAuth signs with the identity without copying: it measures the
// codec's own allocations.
type borrowAuth struct{}

func (borrowAuth) Name() string                  { return "none" }
func (borrowAuth) Sign(d []byte) ([]byte, error) { return d, nil }
func (borrowAuth) Verify(d, s []byte) error {
	if !bytes.Equal(d, s) {
		return ErrAuthentication
	}
	return nil
}

var smallContent = []byte(`{"serial_number": "QOSST/0002", "qosst_version": "QOSST/0.2"}`)

func BenchmarkFrameEncodeSmall(b *testing.B) {
	h := Header{Code: IdentificationRequest, Challenge: "c4nXgKWEOqQyi1J", NextChallenge: "aekbh22UGmVy16s"}
	var e encoder
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = e.AppendFrame(buf[:0], h, smallContent, borrowAuth{}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkFrameDecodeSmall(b *testing.B) {
	frame, err := AppendFrame(nil, Header{Code: IdentificationRequest, Challenge: "c4nXgKWEOqQyi1J", NextChallenge: "aekbh22UGmVy16s"}, smallContent, borrowAuth{})
	if err != nil {
		b.Fatal(err)
	}
	r := bytes.NewReader(frame)
	d := NewDecoder(r, Limits{})
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(frame)
		f, err := d.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		if dg := f.Digest(); (borrowAuth{}).Verify(dg[:], f.Signed) != nil {
			b.Fatal("digest")
		}
	}
}

func BenchmarkContentSmall(b *testing.B) {
	c := &IdentificationRequestContent{SerialNumber: "QOSST/0002", QOSSTVersion: "QOSST/0.2"}
	type jsonIdent struct {
		SerialNumber string `json:"serial_number"`
		QOSSTVersion string `json:"qosst_version"`
	}
	b.Run("encode/ours", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 128)
		for b.Loop() {
			buf, _ = appendContent(buf[:0], c)
		}
	})
	b.Run("encode/encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(jsonIdent{c.SerialNumber, c.QOSSTVersion})
		}
	})
	b.Run("decode/ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeContent(IdentificationRequest, smallContent); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v jsonIdent
			if err := json.Unmarshal(smallContent, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const bigN = 1_000_000

func bigSymbols() *PESymbolsResponseContent {
	rng := rand.New(rand.NewPCG(1, 2))
	c := &PESymbolsResponseContent{SymbolsReal: make([]float32, bigN), SymbolsImag: make([]float32, bigN)}
	for i := range c.SymbolsReal {
		c.SymbolsReal[i] = float32(rng.NormFloat64())
		c.SymbolsImag[i] = float32(rng.NormFloat64())
	}
	return c
}

func bigIndices() *PESymbolsRequestContent {
	rng := rand.New(rand.NewPCG(3, 4))
	c := &PESymbolsRequestContent{Indices: make([]int, bigN)}
	for i := range c.Indices {
		c.Indices[i] = rng.IntN(10 * bigN)
	}
	return c
}

func bigBits() []uint8 {
	rng := rand.New(rand.NewPCG(5, 6))
	v := make([]uint8, bigN)
	for i := range v {
		v[i] = uint8(rng.IntN(2))
	}
	return v
}

// benchBig runs encode and decode of c with this package and with
// encoding/json over mirror (a plain struct with json tags holding the
// same data; decodeInto returns a fresh value to unmarshal into).
func benchBig(b *testing.B, c Content, mirror any, decodeInto func() any) {
	raw, err := EncodeContent(c)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode/ours", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeContent(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(mirror); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/ours", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeContent(c.Code(), raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if err := json.Unmarshal(raw, decodeInto()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPESymbolsRequest1e6(b *testing.B) {
	c := bigIndices()
	type mirror struct {
		Indices []int `json:"indices"`
	}
	benchBig(b, c, mirror{c.Indices}, func() any { return new(mirror) })
}

func BenchmarkPESymbolsResponse1e6(b *testing.B) {
	c := bigSymbols()
	type mirror struct {
		Real []float32 `json:"symbols_real"`
		Imag []float32 `json:"symbols_imag"`
	}
	benchBig(b, c, mirror{c.SymbolsReal, c.SymbolsImag}, func() any { return new(mirror) })
}

func BenchmarkECBlockSyndrome1e6(b *testing.B) {
	c := NewECBlock(7, bigBits())
	type mirror struct {
		Block    int       `json:"block"`
		Syndrome []float64 `json:"syndrome"`
	}
	benchBig(b, c, mirror{c.Block, c.Syndrome}, func() any { return new(mirror) })
}

func BenchmarkPARequestSeed1e6(b *testing.B) {
	c := &PARequestContent{Seed: bigBits(), SecretKeyLength: 400_000, SubblockLength: 1000, FeedbackPolynomial: []uint8{1, 0, 1, 1}}
	type mirror struct {
		Seed               []int `json:"seed"`
		SecretKeyLength    int   `json:"secret_key_length"`
		SubblockLength     int   `json:"subblock_length"`
		FeedbackPolynomial []int `json:"feedback_polynomial"`
	}
	toInts := func(v []uint8) []int {
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x)
		}
		return out
	}
	benchBig(b, c, mirror{toInts(c.Seed), c.SecretKeyLength, c.SubblockLength, toInts(c.FeedbackPolynomial)}, func() any { return new(mirror) })
}
