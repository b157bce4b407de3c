package alice

import (
	"strings"
	"sync"
	"testing"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/messages"
)

func newRegistry(t *testing.T) *Registry {
	t.Helper()
	r, err := NewRegistry(config.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegistryFourAnswers(t *testing.T) {
	r := newRegistry(t)
	cases := []struct {
		name     string
		param    string
		value    any
		code     messages.Code
		old, new any
		msg      string
	}{
		{"changed float", "frame.quantum.roll_off", 0.3, messages.ParameterChanged, 0.5, 0.3, ""},
		{"changed int from JSON float", "frame.quantum.num_symbols", 200000.0, messages.ParameterChanged, int64(1_000_000), int64(200000), ""},
		{"changed enum", "alice.negotiation.mode", "deny", messages.ParameterChanged, "propose", "deny", ""},
		{"changed duration", "timeouts.emitter_wait", "5s", messages.ParameterChanged, "30s", "5s", ""},
		{"unknown", "qi.frame.roll_olf", 0.3, messages.ParameterUnkown, nil, nil, ""},
		{"not exposed", "logging.level", "debug", messages.ParameterUnkown, nil, nil, ""},
		{"out of range", "frame.quantum.roll_off", 1.5, messages.ParameterInvalidValue, 0.3, nil, "[0, 1]"},
		{"wrong type", "frame.quantum.symbol_rate", "fast", messages.ParameterInvalidValue, 100e6, nil, "number"},
		{"fractional int", "frame.quantum.num_symbols", 10.5, messages.ParameterInvalidValue, int64(200000), nil, "integer"},
		{"bad enum", "alice.negotiation.mode", "haggle", messages.ParameterInvalidValue, "deny", nil, "haggle"},
		{"over the limit", "frame.quantum.num_symbols", 1e9, messages.ParameterInvalidValue, int64(200000), nil, "max_symbols"},
		{"same value", "frame.quantum.roll_off", 0.3, messages.ParameterUnchanged, 0.3, nil, "already"},
		{"read-only", "simulation.transmittance", 0.5, messages.ParameterUnchanged, 0.9, nil, "read-only"},
		{"read-only invalid", "alice.network.bind_port", -1.0, messages.ParameterInvalidValue, int64(8181), nil, "port"},
	}
	for _, tc := range cases {
		got := r.Change(tc.param, tc.value)
		if got.Code != tc.code || got.Parameter != tc.param {
			t.Errorf("%s: %v %q, want %v", tc.name, got.Code, got.Parameter, tc.code)
			continue
		}
		if got.OldValue != tc.old {
			t.Errorf("%s: old %#v, want %#v", tc.name, got.OldValue, tc.old)
		}
		if got.NewValue != tc.new {
			t.Errorf("%s: new %#v, want %#v", tc.name, got.NewValue, tc.new)
		}
		if !strings.Contains(got.Message, tc.msg) {
			t.Errorf("%s: message %q lacks %q", tc.name, got.Message, tc.msg)
		}
	}
	snap := r.Snapshot()
	if snap.Frame.Quantum.RollOff != 0.3 || snap.Frame.Quantum.NumSymbols != 200000 || snap.Simulation.Transmittance != 0.9 {
		t.Fatalf("snapshot does not reflect the changes: %+v", snap.Frame.Quantum)
	}
	snap.Frame.Quantum.RollOff = 0.9
	if v, _ := r.Get("frame.quantum.roll_off"); v != 0.3 {
		t.Fatal("snapshot shares state with the registry")
	}
}

func TestRegistryRejectsUnknownKey(t *testing.T) {
	if _, err := NewRegistry(config.Default(), map[string]Policy{"no.such.key": Writable}); err == nil {
		t.Fatal("registry accepted a parameter that is not a configuration key")
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := newRegistry(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				r.Change("frame.quantum.roll_off", float64(i*50+j)/1000)
				_ = r.Snapshot()
			}
		}(i)
	}
	wg.Wait()
}
