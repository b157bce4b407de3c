package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("invalid configuration")

// FieldError is a configuration error about one key.
type FieldError struct {
	Key    string // dotted TOML key, e.g. "simulation.transmittance"
	Reason string
}

func (e *FieldError) Error() string {
	if e.Key == "" {
		return "configuration: " + e.Reason
	}
	return fmt.Sprintf("configuration key %s: %s", e.Key, e.Reason)
}

// Unwrap makes every FieldError match ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(key, format string, args ...any) *FieldError {
	return &FieldError{Key: key, Reason: fmt.Sprintf(format, args...)}
}

// referenceTop lists the top-level keys of the reference's config.toml. Keys
// below them that this implementation does not read are accepted and
// ignored, except in the strict sections below.
var referenceTop = map[string]bool{
	"label": true, "serial_number": true, "logs": true, "notifications": true,
	"authentication": true, "clock": true, "local_oscillator": true,
	"channel": true, "alice": true, "bob": true, "frame": true,
}

// strictSections lists the sections owned by this implementation: an unknown
// key in them is an error. A station adding its own section appends it here.
var strictSections = []string{
	"simulation", "limits", "timeouts", "keys", "logging", "authentication",
	"alice.negotiation", "alice.error_correction", "bob.error_correction", "bob.run", "instruments",
	"monitor",
}

func isStrict(key string) bool {
	for _, s := range strictSections {
		if key == s || strings.HasPrefix(key, s+".") {
			return true
		}
	}
	return false
}

// Decode reads TOML text over cfg: keys present in data replace the values
// already in cfg. It checks types and unknown keys, not ranges (see Validate).
func Decode(cfg *Config, data string) error {
	md, err := toml.Decode(data, cfg)
	if err != nil {
		return tomlError(err)
	}
	for _, k := range md.Keys() {
		if md.Type(k...) != "Hash" {
			cfg.markGiven(k.String())
		}
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		key := k.String()
		switch {
		case isStrict(key):
			unknown = append(unknown, key)
		case !referenceTop[k[0]]:
			unknown = append(unknown, key)
		default:
			cfg.Ignored = append(cfg.Ignored, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fieldErr(unknown[0], "unknown key")
	}
	if md.IsDefined("logs", "level") && !md.IsDefined("logging", "level") {
		cfg.Logging.Level = cfg.Logs.Level
	}
	if md.IsDefined("simulation", "detection") {
		cfg.deprecatedDetection(!md.IsDefined("frame", "quantum", "detection"))
	}
	return nil
}

// deprecatedDetection reads simulation.detection as frame.quantum.detection
// (when apply: the newer key was not given alongside) and notes it.
func (c *Config) deprecatedDetection(apply bool) {
	note := "simulation.detection: read as frame.quantum.detection; write that key instead"
	if apply {
		c.Frame.Quantum.Detection = c.Simulation.Detection
	} else {
		note = "simulation.detection: ignored, frame.quantum.detection given too; remove it"
	}
	if !slices.Contains(c.Deprecated, note) {
		c.Deprecated = append(c.Deprecated, note)
	}
}

var lastKeyRE = regexp.MustCompile(`^toml: (line \d+) \(last key "([^"]*)"\): (.*)$`)

func tomlError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		reason := pe.Message
		if pe.Position.Line > 0 {
			reason = fmt.Sprintf("%s (line %d)", reason, pe.Position.Line)
		}
		return &FieldError{Key: pe.LastKey, Reason: reason}
	}
	// Type mismatches come as plain errors: `toml: line N (last key "k"): reason`.
	msg := err.Error()
	if m := lastKeyRE.FindStringSubmatch(msg); m != nil {
		return &FieldError{Key: m[2], Reason: strings.TrimSpace(m[3]) + " (" + m[1] + ")"}
	}
	return &FieldError{Reason: msg}
}

// LoadFile returns Default overlaid with the TOML file at path, validated.
// An empty path returns the validated defaults.
func LoadFile(path string) (*Config, error) {
	cfg := Default()
	if path != "" {
		c, err := loadRaw(path)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	if err := cfg.Validate(); err != nil {
		if path != "" {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return cfg, nil
}

// loadRaw returns Default overlaid with the file, checked for types and
// unknown keys but not validated.
func loadRaw(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configuration file: %w", err)
	}
	cfg := Default()
	if err := Decode(cfg, string(data)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}
