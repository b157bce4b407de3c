package bob

import (
	"fmt"
	"math"
	"slices"

	"github.com/qosst/qosst-go/config"
)

// FrameParams are the frame parameters Bob puts in INITIALIZATION_REQUEST
// (as the free fields "num_symbols", "symbol_rate", "detection" and
// "variance") and that Alice may answer with a proposal of her own.
type FrameParams struct {
	NumSymbols int     // symbols in the frame
	SymbolRate float64 // symbols per second (Bd)
	Detection  string  // "heterodyne" or "homodyne"
	Variance   float64 // Alice's modulation variance Va, SNU
}

// Wire names of the frame parameters, the ones Alice compares.
const (
	keyNumSymbols = config.ParamNumSymbols
	keySymbolRate = config.ParamSymbolRate
	keyDetection  = config.ParamDetection
	keyVariance   = config.ParamVariance
)

// Map returns the parameters as the free fields of INITIALIZATION_REQUEST.
func (p FrameParams) Map() map[string]any {
	return map[string]any{
		keyNumSymbols: p.NumSymbols,
		keySymbolRate: p.SymbolRate,
		keyDetection:  p.Detection,
		keyVariance:   p.Variance,
	}
}

// Merge returns p with the values found in m (Alice's proposal or
// configuration) in place of its own. Keys that m lacks keep p's value;
// other keys of m are ignored. A known key with a value of the wrong type
// is an error naming the key.
func (p FrameParams) Merge(m map[string]any) (FrameParams, error) {
	out := p
	if v, ok := m[keyNumSymbols]; ok {
		f, ok := config.ParamNumber(v)
		if !ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
			return p, fmt.Errorf("%s: not a symbol count: %v", keyNumSymbols, v)
		}
		out.NumSymbols = int(f)
	}
	if v, ok := m[keySymbolRate]; ok {
		f, ok := config.ParamNumber(v)
		if !ok {
			return p, fmt.Errorf("%s: not a number: %v", keySymbolRate, v)
		}
		out.SymbolRate = f
	}
	if v, ok := m[keyDetection]; ok {
		s, ok := v.(string)
		if !ok {
			return p, fmt.Errorf("%s: not a string: %v", keyDetection, v)
		}
		out.Detection = s
	}
	if v, ok := m[keyVariance]; ok {
		f, ok := config.ParamNumber(v)
		if !ok {
			return p, fmt.Errorf("%s: not a number: %v", keyVariance, v)
		}
		out.Variance = f
	}
	return out, nil
}

// Policy is the range of frame parameters Bob accepts from Alice during the
// negotiation. Zero bounds are open.
type Policy struct {
	MinSymbols, MaxSymbols       int
	MinSymbolRate, MaxSymbolRate float64
	Detections                   []string // accepted detections; empty = only Bob's own
	MinVariance, MaxVariance     float64
}

// DefaultPolicy accepts frames of 10^4 to 10^7 symbols at any rate up to
// 10 GBd, Bob's own detection only, and modulation variances in (0, 100].
func DefaultPolicy() Policy {
	return Policy{MinSymbols: 10_000, MaxSymbols: 10_000_000, MaxSymbolRate: 10e9, MaxVariance: 100}
}

// Acceptable reports nil when Bob can run a frame with proposed, his own
// parameters being own, and otherwise an error naming the parameter.
func (pol Policy) Acceptable(own, proposed FrameParams) error {
	if proposed.NumSymbols <= 0 || (pol.MinSymbols > 0 && proposed.NumSymbols < pol.MinSymbols) ||
		(pol.MaxSymbols > 0 && proposed.NumSymbols > pol.MaxSymbols) {
		return fmt.Errorf("%s %d outside [%d, %d]", keyNumSymbols, proposed.NumSymbols, pol.MinSymbols, pol.MaxSymbols)
	}
	if proposed.SymbolRate <= 0 || proposed.SymbolRate < pol.MinSymbolRate ||
		(pol.MaxSymbolRate > 0 && proposed.SymbolRate > pol.MaxSymbolRate) {
		return fmt.Errorf("%s %g outside (%g, %g]", keySymbolRate, proposed.SymbolRate, pol.MinSymbolRate, pol.MaxSymbolRate)
	}
	dets := pol.Detections
	if len(dets) == 0 {
		dets = []string{own.Detection}
	}
	if !slices.Contains(dets, proposed.Detection) {
		return fmt.Errorf("%s %q not among %v", keyDetection, proposed.Detection, dets)
	}
	if proposed.Variance <= 0 || proposed.Variance < pol.MinVariance ||
		(pol.MaxVariance > 0 && proposed.Variance > pol.MaxVariance) {
		return fmt.Errorf("%s %g outside (%g, %g]", keyVariance, proposed.Variance, pol.MinVariance, pol.MaxVariance)
	}
	return nil
}
