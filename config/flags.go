package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// Flags binds command-line flags to configuration keys so that flags
// override the file. Typical use in a binary:
//
//	fl := config.NewFlags(cmd.Flags())
//	fl.Bind("log-format", "logging.format", "log format: console or json")
//	fl.Listen("listen", "alice.network", "HOST:PORT to listen on")
//	... after parsing:
//	cfg, err := fl.Load()
//
// Load applies, in order: Default, the --config file, each --set key=value,
// then every bound flag the user actually gave; then Validate.
type Flags struct {
	fs         *pflag.FlagSet
	configPath string
	sets       []string
	binds      []binding
}

type binding struct {
	flag  string
	apply func(c *Config, value string) error
}

// NewFlags registers --config and --set on fs.
func NewFlags(fs *pflag.FlagSet) *Flags {
	f := &Flags{fs: fs}
	fs.StringVar(&f.configPath, "config", "", "TOML configuration file (built-in defaults when empty)")
	fs.StringArrayVar(&f.sets, "set", nil, "override one configuration key, e.g. --set simulation.transmittance=0.5 (repeatable)")
	return f
}

// Bind registers a flag that overrides one configuration key. The flag's
// default shown in --help is the built-in default of that key. Bind panics
// on a key that does not exist (a programming error).
func (f *Flags) Bind(name, key, usage string) {
	def := Default()
	text, err := def.String(key)
	if err != nil {
		panic(fmt.Sprintf("config: flag --%s bound to %v", name, err))
	}
	kind, _ := def.KindOf(key)
	f.fs.Var(&textValue{text: text, kind: kind}, name, usage)
	f.fs.Lookup(name).DefValue = text
	f.binds = append(f.binds, binding{flag: name, apply: func(c *Config, v string) error {
		if err := c.SetString(key, v); err != nil {
			return fmt.Errorf("flag --%s: %w", name, err)
		}
		return nil
	}})
}

// HostPort registers a HOST:PORT flag that overrides the address and port
// keys of a network section: "alice.network" (bind_address, bind_port) or
// "bob.network" (server_address, server_port).
func (f *Flags) HostPort(name, section, usage string) {
	var hostKey, portKey string
	switch section {
	case "alice.network":
		hostKey, portKey = "alice.network.bind_address", "alice.network.bind_port"
	case "bob.network":
		hostKey, portKey = "bob.network.server_address", "bob.network.server_port"
	default:
		panic("config: HostPort on unknown section " + section)
	}
	def := Default()
	h, _ := def.Get(hostKey)
	p, _ := def.Get(portKey)
	f.fs.String(name, net.JoinHostPort(h.(string), strconv.FormatInt(p.(int64), 10)), usage)
	f.binds = append(f.binds, binding{flag: name, apply: func(c *Config, v string) error {
		host, port, err := splitHostPort(v, section == "alice.network")
		if err != nil {
			return fmt.Errorf("flag --%s: %w", name, &FieldError{Key: section, Reason: err.Error()})
		}
		if host != "" {
			_ = c.Set(hostKey, host)
		}
		_ = c.Set(portKey, int64(port))
		return nil
	}})
}

func splitHostPort(v string, anyPort bool) (string, int, error) {
	if !strings.Contains(v, ":") {
		v = ":" + v // a bare port
	}
	host, ps, err := net.SplitHostPort(v)
	if err != nil {
		return "", 0, fmt.Errorf("want HOST:PORT: %v", err)
	}
	low := 1
	if anyPort {
		low = 0 // listen on any free port
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < low || port > 65535 {
		return "", 0, fmt.Errorf("port must be in %d..65535, got %q", low, ps)
	}
	return host, port, nil
}

// Load builds the configuration: Default, the --config file, --set
// overrides, the bound flags that were given, then Validate.
func (f *Flags) Load() (*Config, error) {
	cfg := Default()
	if f.configPath != "" {
		c, err := loadRaw(f.configPath)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	for _, s := range f.sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("flag --set %q: %w", s, &FieldError{Reason: "want key=value"})
		}
		if err := cfg.SetString(strings.TrimSpace(k), v); err != nil {
			return nil, fmt.Errorf("flag --set: %w", err)
		}
	}
	for _, b := range f.binds {
		if !f.fs.Changed(b.flag) {
			continue
		}
		if err := b.apply(cfg, f.fs.Lookup(b.flag).Value.String()); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		if f.configPath != "" {
			return nil, fmt.Errorf("%s (with flags): %w", f.configPath, err)
		}
		return nil, err
	}
	return cfg, nil
}

// textValue is a flag that keeps its text; the configuration key's kind
// names its type in --help ("int", "float", "duration"...). The text is
// checked when Load applies it, with the key named in the error.
type textValue struct {
	text string
	kind Kind
}

func (v *textValue) String() string     { return v.text }
func (v *textValue) Set(s string) error { v.text = s; return nil }
func (v *textValue) Type() string {
	switch v.kind {
	case KindInt:
		return "int"
	case KindFloat:
		return "float"
	case KindBool:
		return "bool"
	case KindDuration:
		return "duration"
	case KindStrings:
		return "strings"
	case KindInts:
		return "ints"
	}
	return "string"
}
