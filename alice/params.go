package alice

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/messages"
)

// Policy says whether a parameter may be changed by CHANGE_PARAMETER_REQUEST.
type Policy int

// Parameter policies.
const (
	// Writable parameters change when the value is valid and different.
	Writable Policy = iota
	// ReadOnly parameters are reported (PARAMETER_UNCHANGED) but never
	// changed from the network.
	ReadOnly
)

// Param is one parameter of Alice's registry: a key of her configuration.
type Param struct {
	Name   string // dotted configuration key, e.g. "frame.quantum.roll_off"
	Policy Policy
	Kind   config.Kind
}

// DefaultParams lists the parameters Alice exposes: the frame parameters and
// the negotiation mode are writable (they apply from the next
// INITIALIZATION); identity, network, authentication, key output and the
// physics of the link are read-only.
func DefaultParams() map[string]Policy {
	return map[string]Policy{
		"frame.quantum.num_symbols":         Writable,
		"frame.quantum.symbol_rate":         Writable,
		"frame.quantum.roll_off":            Writable,
		"frame.quantum.modulation_variance": Writable,
		"frame.quantum.frequency_shift":     Writable,
		"frame.quantum.detection":           ReadOnly,
		"alice.negotiation.mode":            Writable,
		"timeouts.emitter_wait":             Writable,
		"serial_number":                     ReadOnly,
		"alice.network.bind_address":        ReadOnly,
		"alice.network.bind_port":           ReadOnly,
		"alice.max_sessions":                ReadOnly,
		"authentication.scheme":             ReadOnly,
		"keys.output_dir":                   ReadOnly,
		"limits.max_content":                ReadOnly,
		"limits.max_symbols":                ReadOnly,
		"simulation.transmittance":          ReadOnly,
		"simulation.excess_noise":           ReadOnly,
		"simulation.eta":                    ReadOnly,
		"simulation.electronic_noise":       ReadOnly,
		"simulation.detection":              ReadOnly,
		"simulation.link_seed":              ReadOnly,
	}
}

// Change is the outcome of a CHANGE_PARAMETER_REQUEST: one of the four
// answers with the fields of its content.
type Change struct {
	Code      messages.Code // ParameterChanged, ParameterUnkown, ParameterInvalidValue or ParameterUnchanged
	Parameter string
	OldValue  any    // absent (nil) for ParameterUnkown
	NewValue  any    // ParameterChanged only
	Message   string // why the value is invalid or unchanged
}

// Registry is Alice's typed parameter registry over her live configuration.
// It is safe for concurrent use by all sessions; a frame works on a
// Snapshot taken at INITIALIZATION, so a change applies from the next frame.
type Registry struct {
	mu     sync.Mutex
	cfg    *config.Config
	params map[string]Param
}

// ErrParam reports a registry built with a parameter that is not a
// configuration key.
var ErrParam = errors.New("alice: bad parameter")

// NewRegistry returns a registry over a copy of cfg exposing params (nil:
// DefaultParams).
func NewRegistry(cfg *config.Config, params map[string]Policy) (*Registry, error) {
	if params == nil {
		params = DefaultParams()
	}
	r := &Registry{cfg: cfg.Clone(), params: make(map[string]Param, len(params))}
	for name, pol := range params {
		k, err := r.cfg.KindOf(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrParam, name, err)
		}
		r.params[name] = Param{Name: name, Policy: pol, Kind: k}
	}
	return r, nil
}

// Names returns the exposed parameter names, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.params))
	for n := range r.params {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Snapshot returns a copy of the live configuration.
func (r *Registry) Snapshot() *config.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg.Clone()
}

// Get returns the wire value of a parameter.
func (r *Registry) Get(name string) (any, bool) {
	p, ok := r.params[name]
	if !ok {
		return nil, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v, err := r.cfg.Get(p.Name)
	if err != nil {
		return nil, false
	}
	return wireValue(v), true
}

// Change applies a CHANGE_PARAMETER_REQUEST: PARAMETER_UNKOWN for a name
// that is not exposed; PARAMETER_INVALID_VALUE (with the reason) for a value
// of the wrong type or out of range; PARAMETER_UNCHANGED for a read-only
// parameter or the value it already has; otherwise PARAMETER_CHANGED with
// the old and new values.
func (r *Registry) Change(name string, value any) Change {
	p, ok := r.params[name]
	if !ok {
		return Change{Code: messages.ParameterUnkown, Parameter: name}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	oldRaw, err := r.cfg.Get(name)
	if err != nil {
		return Change{Code: messages.ParameterUnkown, Parameter: name}
	}
	old := wireValue(oldRaw)
	next := r.cfg.Clone()
	if err := next.Set(name, value); err != nil {
		return Change{Code: messages.ParameterInvalidValue, Parameter: name, OldValue: old, Message: reason(err)}
	}
	if err := next.Validate(); err != nil {
		return Change{Code: messages.ParameterInvalidValue, Parameter: name, OldValue: old, Message: reason(err)}
	}
	newRaw, _ := next.Get(name)
	nv := wireValue(newRaw)
	if p.Policy == ReadOnly {
		return Change{Code: messages.ParameterUnchanged, Parameter: name, OldValue: old, Message: "parameter is read-only"}
	}
	if fmt.Sprint(nv) == fmt.Sprint(old) {
		return Change{Code: messages.ParameterUnchanged, Parameter: name, OldValue: old, Message: "parameter already has this value"}
	}
	r.cfg = next
	return Change{Code: messages.ParameterChanged, Parameter: name, OldValue: old, NewValue: nv}
}

func reason(err error) string {
	var fe *config.FieldError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return err.Error()
}

// wireValue turns a configuration value into a JSON-friendly one.
func wireValue(v any) any {
	switch x := v.(type) {
	case time.Duration:
		return x.String()
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return v
}
