package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// This file reads content JSON. A content is a JSON object; its fields are
// kept as raw byte spans and converted by the typed contents on demand.
//
// Fast path: scanObject reads a flat object (values that are strings,
// numbers, true/false/null or arrays of those) in one pass, with any JSON
// whitespace. Anything else (nested objects, nested arrays, invalid syntax)
// sends the object to the fall-back, encoding/json into a
// map[string]json.RawMessage, which is also the judge of what is valid JSON.
// Number arrays are then converted element by element with a strict JSON
// number grammar and strconv, never through reflection.

// rawObject is a content object as key → raw value span (the last duplicate
// key wins, as with Python and encoding/json). Keys are the raw bytes between
// the quotes (the fast path only takes keys without escapes).
type rawObject struct {
	fields []rawField
}

type rawField struct {
	key, val []byte
}

func (o *rawObject) get(key string) ([]byte, bool) {
	for i := len(o.fields) - 1; i >= 0; i-- {
		if string(o.fields[i].key) == key {
			return o.fields[i].val, true
		}
	}
	return nil, false
}

// parseObject reads raw as a JSON object. The error is a *ContentError
// naming no field.
func parseObject(raw []byte, forceFallback bool) (*rawObject, error) {
	if !forceFallback {
		if o, ok := scanObject(raw); ok {
			return o, nil
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) || isNull(raw) {
			return nil, &ContentError{Reason: "not a JSON object"}
		}
		return nil, &ContentError{Reason: "not valid JSON: " + err.Error()}
	}
	if m == nil { // "null"
		return nil, &ContentError{Reason: "not a JSON object"}
	}
	o := &rawObject{fields: make([]rawField, 0, len(m))}
	for k, v := range m {
		o.fields = append(o.fields, rawField{[]byte(k), v})
	}
	return o, nil
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanObject is the fast path; ok is false for any shape it does not handle.
func scanObject(b []byte) (*rawObject, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	o := &rawObject{fields: make([]rawField, 0, 6)}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return o, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		end, escaped, ok := scanString(b, i)
		if !ok || escaped || !isASCII(b[i+1:end-1]) {
			// Escaped or non-ASCII keys: let encoding/json unquote them
			// (it also replaces invalid UTF-8 with U+FFFD).
			return nil, false
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		vs := i
		if i >= len(b) {
			return nil, false
		}
		if b[i] == '[' {
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == ']' {
				i++
			} else {
				for {
					if i, ok = scanScalar(b, i); !ok {
						return nil, false
					}
					i = skipSpace(b, i)
					if i >= len(b) {
						return nil, false
					}
					if b[i] == ']' {
						i++
						break
					}
					if b[i] != ',' {
						return nil, false
					}
					i = skipSpace(b, i+1)
				}
			}
		} else if i, ok = scanScalar(b, i); !ok {
			return nil, false
		}
		o.fields = append(o.fields, rawField{key, b[vs:i]})
		i = skipSpace(b, i)
		if i >= len(b) {
			return nil, false
		}
		if b[i] == '}' {
			o.dedupe()
			return o, skipSpace(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return nil, false
		}
		i = skipSpace(b, i+1)
	}
}

// dedupe keeps the last value of each key only, so that every key of the
// object is seen once, as in the map the fall-back builds.
func (o *rawObject) dedupe() {
	dup := false
	if len(o.fields) <= 16 {
		for i := range o.fields {
			for j := i + 1; j < len(o.fields); j++ {
				if string(o.fields[i].key) == string(o.fields[j].key) {
					dup = true
				}
			}
		}
	} else {
		seen := make(map[string]struct{}, len(o.fields))
		for _, f := range o.fields {
			if _, ok := seen[string(f.key)]; ok {
				dup = true
				break
			}
			seen[string(f.key)] = struct{}{}
		}
	}
	if !dup {
		return
	}
	last := make(map[string]int, len(o.fields))
	for i, f := range o.fields {
		last[string(f.key)] = i
	}
	kept := o.fields[:0]
	for i, f := range o.fields {
		if last[string(f.key)] == i {
			kept = append(kept, f)
		}
	}
	o.fields = kept
}

// scanScalar scans a string, number, true, false or null starting at b[i].
func scanScalar(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		end, _, ok := scanString(b, i)
		return end, ok
	case c == '-' || (c >= '0' && c <= '9'):
		n := scanNumber(b[i:])
		return i + n, n > 0
	case c == 't':
		return i + 4, bytes.HasPrefix(b[i:], []byte("true"))
	case c == 'f':
		return i + 5, bytes.HasPrefix(b[i:], []byte("false"))
	case c == 'n':
		return i + 4, bytes.HasPrefix(b[i:], []byte("null"))
	}
	return i, false
}

// scanString scans a JSON string starting at the quote b[i]; end is just
// past the closing quote. It checks escapes and rejects control characters.
func scanString(b []byte, i int) (end int, escaped, ok bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped, true
		case c < 0x20:
			return 0, false, false
		case c == '\\':
			escaped = true
			j++
			if j >= len(b) {
				return 0, false, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return 0, false, false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return 0, false, false
					}
				}
				j += 4
			default:
				return 0, false, false
			}
		}
	}
	return 0, false, false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// scanNumber returns the length of the JSON number at the start of b
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), or 0 if there is none.
func scanNumber(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return 0
		}
	}
	return i
}

// Reasons a number is refused, shared by scalars and array elements.
var (
	errNotNumber  = errors.New("not a number")
	errRange      = errors.New("out of range")
	errNotInteger = errors.New("not an integer")
	errInexact    = errors.New("not an exact integer (write it without a fraction or exponent)")
)

// parseFloatToken converts one complete JSON number token.
func parseFloatToken(tok []byte) (float64, error) {
	if len(tok) == 0 || scanNumber(tok) != len(tok) {
		return 0, errNotNumber
	}
	return floatOf(tok)
}

// floatOf converts a token already known to follow the JSON number grammar.
func floatOf(tok []byte) (float64, error) {
	if len(tok) == 1 { // a digit: syndromes and bits
		return float64(tok[0] - '0'), nil
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, errRange
	}
	return f, nil
}

// parseIntToken converts one complete JSON number token that must be an
// integer. Plain integer literals are exact over the whole int64 range;
// fraction or exponent forms (2.0, 1e3) are accepted when integral and below
// 2^53, where float64 is still exact.
func parseIntToken(tok []byte) (int64, error) {
	if len(tok) == 0 || scanNumber(tok) != len(tok) {
		return 0, errNotNumber
	}
	return intOf(tok)
}

// intOf converts a token already known to follow the JSON number grammar.
func intOf(tok []byte) (int64, error) {
	if len(tok) == 1 { // a digit
		return int64(tok[0] - '0'), nil
	}
	plain := true
	var v uint64
	neg := tok[0] == '-'
	digits := tok
	if neg {
		digits = tok[1:]
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			plain = false
			break
		}
	}
	if plain {
		if len(digits) <= 18 {
			for _, c := range digits {
				v = v*10 + uint64(c-'0')
			}
			if neg {
				return -int64(v), nil
			}
			return int64(v), nil
		}
		x, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil {
			return 0, errRange
		}
		return x, nil
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, errRange
	}
	if f != math.Trunc(f) {
		return 0, errNotInteger
	}
	if math.Abs(f) >= 1<<53 {
		return 0, errInexact
	}
	return int64(f), nil
}

// arrayError reports a bad element of a number array.
type arrayError struct {
	index int // -1 when the value is not an array at all
	err   error
}

// forEachNumber walks a JSON array of numbers, handing each element's token
// (already checked against the JSON number grammar) to fn. It accepts any
// JSON whitespace.
func forEachNumber(raw []byte, fn func(i int, tok []byte) error) (int, *arrayError) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return 0, &arrayError{index: -1}
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		if skipSpace(raw, i+1) != len(raw) {
			return 0, &arrayError{index: -1}
		}
		return 0, nil
	}
	n := 0
	for {
		l := scanNumber(raw[i:])
		if l == 0 {
			return n, &arrayError{index: n, err: errNotNumber}
		}
		if err := fn(n, raw[i:i+l]); err != nil {
			return n, &arrayError{index: n, err: err}
		}
		n++
		i = skipSpace(raw, i+l)
		if i >= len(raw) {
			return n, &arrayError{index: -1}
		}
		if raw[i] == ']' {
			if skipSpace(raw, i+1) != len(raw) {
				return n, &arrayError{index: -1}
			}
			return n, nil
		}
		if raw[i] != ',' {
			return n, &arrayError{index: n, err: errNotNumber}
		}
		i = skipSpace(raw, i+1)
	}
}

// countElements estimates the element count of a flat number array from its
// commas, to size the result once. A number array needs at least two bytes
// per element ("0,"), which bounds the estimate when commas hide in strings
// of a hostile array: the result never exceeds what a valid array of the
// same size would need.
func countElements(raw []byte) int {
	n := bytes.Count(raw, []byte{','}) + 1
	return min(n, (len(raw)+1)/2)
}

func parseFloatArray(raw []byte) ([]float64, *arrayError) {
	if len(raw) >= parallelArrayBytes {
		if out, ok := parseFloatArrayParallel(raw); ok {
			return out, nil
		}
		// Some chunk failed: the sequential pass below names the element.
	}
	out := make([]float64, 0, countElements(raw))
	_, aerr := forEachNumber(raw, func(_ int, tok []byte) error {
		f, err := floatOf(tok)
		if err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	if aerr != nil {
		return nil, aerr
	}
	return out, nil
}

// parallelArrayBytes is the array size from which number arrays are parsed
// on several cores.
const parallelArrayBytes = 1 << 20

// parseFloatArrayParallel parses a well-formed flat number array in chunks
// split at commas, one goroutine per chunk, each writing its own part of
// the result. ok is false when the array is not a flat number array; the
// caller then reparses sequentially to report the exact error.
func parseFloatArrayParallel(raw []byte) ([]float64, bool) {
	lo := skipSpace(raw, 0)
	hi := len(raw)
	for hi > lo && isSpace(raw[hi-1]) {
		hi--
	}
	if hi-lo < 2 || raw[lo] != '[' || raw[hi-1] != ']' {
		return nil, false
	}
	body := raw[lo+1 : hi-1]
	workers := min(runtime.GOMAXPROCS(0), 8)
	if workers < 2 {
		return nil, false
	}
	// Chunk boundaries just after a comma.
	bounds := []int{0}
	for w := 1; w < workers; w++ {
		at := w * len(body) / workers
		if at <= bounds[len(bounds)-1] {
			continue
		}
		j := bytes.IndexByte(body[at:], ',')
		if j < 0 {
			break
		}
		bounds = append(bounds, at+j+1)
	}
	bounds = append(bounds, len(body))
	counts := make([]int, len(bounds)-1)
	total := 0
	for k := range counts {
		counts[k] = bytes.Count(body[bounds[k]:bounds[k+1]], []byte{','})
		if k == len(counts)-1 {
			counts[k]++ // the last element has no comma after it
		}
		total += counts[k]
	}
	if total > (len(body)+1)/2 {
		return nil, false // more commas than a number array can have: strings inside
	}
	out := make([]float64, total)
	var wg sync.WaitGroup
	var failed atomic.Bool
	off := 0
	for k := range counts {
		chunk := body[bounds[k]:bounds[k+1]]
		dst := out[off : off+counts[k]]
		off += counts[k]
		last := k == len(counts)-1
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !parseFloatChunk(chunk, dst, last) {
				failed.Store(true)
			}
		}()
	}
	wg.Wait()
	if failed.Load() {
		return nil, false
	}
	return out, true
}

// parseFloatChunk parses "n, n, ..., n," (or without the final comma when
// last) into exactly len(dst) numbers.
func parseFloatChunk(b []byte, dst []float64, last bool) bool {
	i := skipSpace(b, 0)
	for k := range dst {
		l := scanNumber(b[i:])
		if l == 0 {
			return false
		}
		f, err := floatOf(b[i : i+l])
		if err != nil {
			return false
		}
		dst[k] = f
		i = skipSpace(b, i+l)
		if k == len(dst)-1 && last {
			break
		}
		if i >= len(b) || b[i] != ',' {
			return false
		}
		i = skipSpace(b, i+1)
	}
	return i == len(b)
}

func parseIntArray(raw []byte) ([]int, *arrayError) {
	out := make([]int, 0, countElements(raw))
	_, aerr := forEachNumber(raw, func(_ int, tok []byte) error {
		v, err := intOf(tok)
		if err != nil {
			return err
		}
		if int64(int(v)) != v {
			return errRange
		}
		out = append(out, int(v))
		return nil
	})
	if aerr != nil {
		return nil, aerr
	}
	return out, nil
}
