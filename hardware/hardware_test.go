package hardware

import (
	"errors"
	"math"
	"testing"

	"github.com/google/uuid"
)

func validSpec() FrameSpec {
	return FrameSpec{UUID: uuid.New(), NumSymbols: 1000, SymbolRate: 100e6, Detection: Heterodyne, Va: 2}
}

func TestFrameSpecValidate(t *testing.T) {
	if err := validSpec().Validate(); err != nil {
		t.Fatalf("valid spec rejected: %v", err)
	}
	cases := []struct {
		field string
		mut   func(*FrameSpec)
	}{
		{"uuid", func(s *FrameSpec) { s.UUID = uuid.Nil }},
		{"num_symbols", func(s *FrameSpec) { s.NumSymbols = 0 }},
		{"num_symbols", func(s *FrameSpec) { s.NumSymbols = -5 }},
		{"num_symbols", func(s *FrameSpec) { s.NumSymbols = MaxSymbols + 1 }},
		{"symbol_rate", func(s *FrameSpec) { s.SymbolRate = 0 }},
		{"symbol_rate", func(s *FrameSpec) { s.SymbolRate = math.NaN() }},
		{"symbol_rate", func(s *FrameSpec) { s.SymbolRate = math.Inf(1) }},
		{"detection", func(s *FrameSpec) { s.Detection = 0 }},
		{"detection", func(s *FrameSpec) { s.Detection = 7 }},
		{"va", func(s *FrameSpec) { s.Va = -1 }},
		{"va", func(s *FrameSpec) { s.Va = math.NaN() }},
	}
	for _, c := range cases {
		s := validSpec()
		c.mut(&s)
		err := s.Validate()
		if !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("%s: got %v, want ErrInvalidSpec", c.field, err)
			continue
		}
		var se *SpecError
		if !errors.As(err, &se) || se.Field != c.field {
			t.Errorf("%s: error %v does not name the field", c.field, err)
		}
	}
}

func TestDetectionText(t *testing.T) {
	for _, d := range []Detection{Heterodyne, Homodyne} {
		b, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Detection
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Fatalf("round trip %v: got %v, %v", d, back, err)
		}
	}
	if _, err := ParseDetection("HomoDyne "); err != nil {
		t.Fatalf("case-insensitive parse failed: %v", err)
	}
	if _, err := ParseDetection("intradyne"); err == nil {
		t.Fatal("unknown detection accepted")
	}
	if _, err := Detection(0).MarshalText(); err == nil {
		t.Fatal("invalid detection marshalled")
	}
	if got := (FrameSpec{Va: 2}).MeanPhotonNumber(); got != 1 {
		t.Fatalf("MeanPhotonNumber = %v, want 1", got)
	}
}
