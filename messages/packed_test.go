package messages

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

func TestPackedBitsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bits := rapid.SliceOf(rapid.Uint8Range(0, 1)).Draw(t, "bits")
		p := PackBits(bits)
		if len(p) != (len(bits)+7)/8 {
			t.Fatalf("%d bits packed into %d bytes", len(bits), len(p))
		}
		var back Packed
		if err := back.UnmarshalJSON(p.appendJSON(nil)); err != nil {
			t.Fatal(err)
		}
		got, err := back.Bits(len(bits))
		if err != nil {
			t.Fatal(err)
		}
		for i := range bits {
			if got[i] != bits[i] {
				t.Fatalf("bit %d: %d, want %d", i, got[i], bits[i])
			}
		}
	})
}

func TestPackedBitsOrder(t *testing.T) {
	// Most significant bit first: 1,0,1 then padding is 0b1010_0000.
	if p := PackBits([]uint8{1, 0, 1}); len(p) != 1 || p[0] != 0xA0 {
		t.Fatalf("PackBits(1,0,1) = %x, want a0", []byte(p))
	}
	if _, err := (Packed{0xA1}).Bits(3); err == nil {
		t.Fatal("a set padding bit was accepted")
	}
	if _, err := (Packed{0xA0, 0}).Bits(3); err == nil {
		t.Fatal("an extra byte was accepted")
	}
}

func TestPackedFloat32s(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.SliceOf(rapid.Float64Range(-1e30, 1e30)).Draw(t, "v")
		got, err := PackFloat32s(v).Float32s()
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range v {
			// float32 rounds to nearest: relative error at most 2^-24.
			if d := math.Abs(got[i] - x); d > math.Abs(x)*0x1p-24 && d > 0x1p-150 { // or half the least subnormal
				t.Fatalf("value %d: %g read back as %g", i, x, got[i])
			}
		}
	})
	if _, err := (Packed{1, 2, 3}).Float32s(); err == nil {
		t.Fatal("3 bytes read as float32 values")
	}
	if _, err := PackFloat32s([]float64{math.Inf(1)}).Float32s(); err == nil {
		t.Fatal("an infinity was read")
	}
}

func TestPackedJSON(t *testing.T) {
	for _, bad := range []string{`5`, `"`, `"abc"`, `"YQ"`, "\"Y\nQ==\"", `"Y\nQ=="`, `"YR=="`} {
		var p Packed
		if err := p.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s accepted as %x", bad, []byte(p))
		}
	}
	var p Packed
	if err := p.UnmarshalJSON([]byte(`null`)); err != nil || p != nil {
		t.Errorf("null: %v, %x", err, []byte(p))
	}
	if b, _ := (Packed{0xFF, 0}).MarshalJSON(); string(b) != `"/wA="` {
		t.Errorf("MarshalJSON = %s", b)
	}
}

// BenchmarkECBlockEncoding compares the bytes and the encoding time of one
// multidimensional EC block of 2^20 bits at rate 0.4 in the specification's
// form (JSON numbers) and the packed batch form:
//
//	go test -run '^$' -bench ECBlockEncoding -benchmem ./messages/
func BenchmarkECBlockEncoding(b *testing.B) {
	const n, m = 1 << 20, 629146
	bits := make([]uint8, m)
	rot := make([]float64, n)
	norms := make([]float64, n/8)
	x := uint64(1)
	for i := range rot {
		x = x*6364136223846793005 + 1442695040888963407
		rot[i] = float64(int64(x>>11))/float64(1<<52) - 1
		if i < m {
			bits[i] = uint8(x >> 63)
		}
		if i < len(norms) {
			norms[i] = 2 + float64(x>>40)/float64(1<<24)
		}
	}
	numbers := NewECBlock(0, bits)
	numbers.Rotation, numbers.Norms, numbers.Hash = rot, norms, 7
	packed := &ECBlockContent{Batch: []ECBlockItem{{Block: 0, Syndrome: PackBits(bits), SyndromeBits: m,
		Rotation: PackFloat32s(rot), Norms: PackFloat32s(norms), Hash: 7}}}
	for _, c := range []struct {
		name string
		c    *ECBlockContent
	}{{"numbers", numbers}, {"packed", packed}} {
		b.Run(c.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				out, err := EncodeContent(c.c)
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.ReportMetric(float64(size)/1e6, "MB/block")
		})
	}
}
