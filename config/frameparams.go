package config

import "math"

// Wire names of the frame parameters negotiated in INITIALIZATION, as
// listed by FrameParameters: Bob sends them in INITIALIZATION_REQUEST,
// Alice compares them with her own and may propose hers.
const (
	ParamNumSymbols = "num_symbols" // frame.quantum.num_symbols
	ParamSymbolRate = "symbol_rate" // frame.quantum.symbol_rate, Bd
	ParamDetection  = "detection"   // frame.quantum.detection
	ParamVariance   = "variance"    // frame.quantum.modulation_variance, Va in SNU
)

// ParamNumber reads a numeric frame parameter as both stations receive it:
// a JSON number decoded by encoding/json (float64 or json.Number) or a Go
// integer. It reports false for any other value, NaN and ±Inf.
func ParamNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}
