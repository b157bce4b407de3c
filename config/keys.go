package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a configuration value addressed by key.
type Kind int

// Kinds of leaf values.
const (
	KindInvalid Kind = iota
	KindString
	KindInt
	KindFloat
	KindBool
	KindDuration
	KindStrings
	KindInts
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInt:
		return "integer"
	case KindFloat:
		return "number"
	case KindBool:
		return "boolean"
	case KindDuration:
		return "duration"
	case KindStrings:
		return "list of strings"
	case KindInts:
		return "list of integers"
	}
	return "invalid"
}

var durationType = reflect.TypeOf(Duration{})

// field walks the toml tags of c to the leaf named by a dotted key.
func (c *Config) field(key string) (reflect.Value, Kind, error) {
	v := reflect.ValueOf(c).Elem()
	parts := strings.Split(key, ".")
	for i, p := range parts {
		if v.Kind() != reflect.Struct || v.Type() == durationType {
			return reflect.Value{}, KindInvalid, fieldErr(key, "unknown key")
		}
		found := false
		t := v.Type()
		for j := 0; j < t.NumField(); j++ {
			tag := strings.Split(t.Field(j).Tag.Get("toml"), ",")[0]
			if tag == p && tag != "-" {
				v = v.Field(j)
				found = true
				break
			}
		}
		if !found {
			return reflect.Value{}, KindInvalid, fieldErr(strings.Join(parts[:i+1], "."), "unknown key")
		}
	}
	switch {
	case v.Type() == durationType:
		return v, KindDuration, nil
	case v.Kind() == reflect.String:
		return v, KindString, nil
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		return v, KindInt, nil
	case v.Kind() == reflect.Float64:
		return v, KindFloat, nil
	case v.Kind() == reflect.Bool:
		return v, KindBool, nil
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		return v, KindStrings, nil
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Int:
		return v, KindInts, nil
	}
	return reflect.Value{}, KindInvalid, fieldErr(key, "is a section, not a value")
}

// KindOf returns the kind of the value at key.
func (c *Config) KindOf(key string) (Kind, error) {
	_, k, err := c.field(key)
	return k, err
}

// Get returns the value at a dotted key as a plain Go value: string, int64,
// float64, bool, time.Duration or []string.
func (c *Config) Get(key string) (any, error) {
	v, k, err := c.field(key)
	if err != nil {
		return nil, err
	}
	switch k {
	case KindDuration:
		return v.Interface().(Duration).Duration, nil
	case KindString:
		return v.String(), nil
	case KindInt:
		return v.Int(), nil
	case KindFloat:
		return v.Float(), nil
	case KindBool:
		return v.Bool(), nil
	case KindStrings:
		return append([]string(nil), v.Interface().([]string)...), nil
	case KindInts:
		return append([]int(nil), v.Interface().([]int)...), nil
	}
	return nil, fieldErr(key, "unsupported value")
}

// Set assigns value at a dotted key. It accepts what JSON and TOML decoders
// produce: numbers as int, int64 or float64 (a float is accepted for an
// integer key when it is a whole number), strings (also for durations),
// booleans, and []string or []any of strings for lists. It checks the type,
// not the range: call Validate after.
func (c *Config) Set(key string, value any) error {
	if err := c.set(key, value); err != nil {
		return err
	}
	if key == "simulation.detection" {
		c.deprecatedDetection(true)
	}
	return nil
}

func (c *Config) set(key string, value any) error {
	v, k, err := c.field(key)
	if err != nil {
		return err
	}
	bad := func() error { return fieldErr(key, "must be a %s, got %T", k, value) }
	if err := c.assign(v, k, key, value, bad); err != nil {
		return err
	}
	c.markGiven(key)
	return nil
}

func (c *Config) assign(v reflect.Value, k Kind, key string, value any, bad func() error) error {
	switch k {
	case KindString:
		s, ok := value.(string)
		if !ok {
			return bad()
		}
		v.SetString(s)
	case KindBool:
		b, ok := value.(bool)
		if !ok {
			return bad()
		}
		v.SetBool(b)
	case KindInt:
		switch x := value.(type) {
		case int:
			v.SetInt(int64(x))
		case int64:
			v.SetInt(x)
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return fieldErr(key, "must be an integer, got %v", x)
			}
			v.SetInt(int64(x))
		default:
			return bad()
		}
	case KindFloat:
		switch x := value.(type) {
		case int:
			v.SetFloat(float64(x))
		case int64:
			v.SetFloat(float64(x))
		case float64:
			v.SetFloat(x)
		default:
			return bad()
		}
	case KindDuration:
		var d time.Duration
		switch x := value.(type) {
		case time.Duration:
			d = x
		case string:
			p, err := time.ParseDuration(x)
			if err != nil {
				return fieldErr(key, "not a duration (like \"30s\"): %q", x)
			}
			d = p
		default:
			return bad()
		}
		v.Set(reflect.ValueOf(Duration{d}))
	case KindStrings:
		switch x := value.(type) {
		case []string:
			v.Set(reflect.ValueOf(append([]string(nil), x...)))
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return fieldErr(key, "must be a list of strings, has %T", e)
				}
				out = append(out, s)
			}
			v.Set(reflect.ValueOf(out))
		default:
			return bad()
		}
	case KindInts:
		var in []any
		switch x := value.(type) {
		case []int:
			v.Set(reflect.ValueOf(append([]int(nil), x...)))
			return nil
		case []int64:
			for _, e := range x {
				in = append(in, e)
			}
		case []any:
			in = x
		default:
			return bad()
		}
		out := make([]int, 0, len(in))
		for _, e := range in {
			n, ok := wholeInt(e)
			if !ok {
				return fieldErr(key, "must be a list of integers, has %v", e)
			}
			out = append(out, n)
		}
		v.Set(reflect.ValueOf(out))
	}
	return nil
}

// wholeInt reads an integer as JSON and TOML decoders give it.
func wholeInt(e any) (int, bool) {
	switch x := e.(type) {
	case int:
		return x, true
	case int64:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return int(x), true
		}
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt32 && x <= math.MaxInt32 {
			return int(x), true
		}
	}
	return 0, false
}

// SetString parses text as the value of key (numbers, booleans, durations,
// comma-separated lists) and assigns it, as a command-line override does.
func (c *Config) SetString(key, text string) error {
	_, k, err := c.field(key)
	if err != nil {
		return err
	}
	switch k {
	case KindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 0, 64)
		if err != nil {
			return fieldErr(key, "must be an integer, got %q", text)
		}
		return c.Set(key, n)
	case KindFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return fieldErr(key, "must be a number, got %q", text)
		}
		return c.Set(key, f)
	case KindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return fieldErr(key, "must be true or false, got %q", text)
		}
		return c.Set(key, b)
	case KindStrings:
		var out []string
		for _, s := range strings.Split(text, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return c.Set(key, out)
	case KindInts:
		out := []int{}
		for _, f := range strings.Split(strings.Trim(strings.TrimSpace(text), "[]"), ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			n, err := strconv.Atoi(f)
			if err != nil {
				return fieldErr(key, "must be a comma-separated list of integers, got %q", text)
			}
			out = append(out, n)
		}
		return c.Set(key, out)
	}
	return c.Set(key, text)
}

// String renders the value at key as SetString reads it.
func (c *Config) String(key string) (string, error) {
	v, err := c.Get(key)
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case []string:
		return strings.Join(x, ","), nil
	case []int:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = strconv.Itoa(n)
		}
		return strings.Join(parts, ","), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	}
	return fmt.Sprint(v), nil
}
