package bob

import (
	"encoding/json"
	"testing"
)

func TestFrameParamsMerge(t *testing.T) {
	own := FrameParams{NumSymbols: 1_000_000, SymbolRate: 100e6, Detection: "heterodyne", Variance: 2}
	var m map[string]any
	if err := json.Unmarshal([]byte(`{"num_symbols": 200000, "variance": 1.5, "roll_off": 0.5}`), &m); err != nil {
		t.Fatal(err)
	}
	got, err := own.Merge(m)
	if err != nil {
		t.Fatal(err)
	}
	want := FrameParams{NumSymbols: 200000, SymbolRate: 100e6, Detection: "heterodyne", Variance: 1.5}
	if got != want {
		t.Fatalf("Merge = %+v, want %+v", got, want)
	}
	for _, bad := range []string{`{"num_symbols": 1.5}`, `{"num_symbols": "many"}`, `{"symbol_rate": true}`,
		`{"detection": 3}`, `{"variance": [1]}`, `{"num_symbols": -4}`} {
		var m map[string]any
		if err := json.Unmarshal([]byte(bad), &m); err != nil {
			t.Fatal(err)
		}
		if _, err := own.Merge(m); err == nil {
			t.Errorf("Merge(%s) accepted", bad)
		}
	}
}

func TestPolicyAcceptable(t *testing.T) {
	own := FrameParams{NumSymbols: 1_000_000, SymbolRate: 100e6, Detection: "heterodyne", Variance: 2}
	pol := DefaultPolicy()
	if err := pol.Acceptable(own, own); err != nil {
		t.Fatalf("own parameters refused: %v", err)
	}
	for name, p := range map[string]FrameParams{
		"too few symbols": {NumSymbols: 10, SymbolRate: 1e6, Detection: "heterodyne", Variance: 2},
		"zero rate":       {NumSymbols: 1e5, SymbolRate: 0, Detection: "heterodyne", Variance: 2},
		"other detection": {NumSymbols: 1e5, SymbolRate: 1e6, Detection: "homodyne", Variance: 2},
		"zero variance":   {NumSymbols: 1e5, SymbolRate: 1e6, Detection: "heterodyne", Variance: 0},
		"huge variance":   {NumSymbols: 1e5, SymbolRate: 1e6, Detection: "heterodyne", Variance: 1e6},
	} {
		if err := pol.Acceptable(own, p); err == nil {
			t.Errorf("%s: accepted %+v", name, p)
		}
	}
	pol.Detections = []string{"heterodyne", "homodyne"}
	if err := pol.Acceptable(own, FrameParams{NumSymbols: 1e5, SymbolRate: 1e6, Detection: "homodyne", Variance: 2}); err != nil {
		t.Errorf("homodyne refused though allowed: %v", err)
	}
}
