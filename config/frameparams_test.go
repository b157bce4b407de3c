package config

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
)

func TestParamNumber(t *testing.T) {
	for _, c := range []struct {
		v    any
		want float64
		ok   bool
	}{
		{2.5, 2.5, true},
		{7, 7, true},
		{int64(1 << 40), 1 << 40, true},
		{json.Number("1e6"), 1e6, true},
		{json.Number("x"), 0, false},
		{math.NaN(), 0, false},
		{math.Inf(1), 0, false},
		{json.Number("1e400"), 0, false},
		{"3", 0, false},
		{nil, 0, false},
		{true, 0, false},
	} {
		got, ok := ParamNumber(c.v)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParamNumber(%#v) = %v, %v; want %v, %v", c.v, got, ok, c.want, c.ok)
		}
	}
}

// The wire names are the ones FrameParameters lists and
// FrameParameterValues fills.
func TestParamNames(t *testing.T) {
	names := []string{ParamNumSymbols, ParamSymbolRate, ParamDetection, ParamVariance}
	if !slices.Equal(names, FrameParameters()) {
		t.Fatalf("names %v, FrameParameters %v", names, FrameParameters())
	}
	vals := Default().FrameParameterValues()
	for _, n := range names {
		if _, ok := vals[n]; !ok {
			t.Errorf("FrameParameterValues lacks %s", n)
		}
	}
}
