package messages

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// number is an element type of a number array.
type number interface {
	int | float64 | uint8 | float32
}

// float is a floating-point element type.
type float interface{ float32 | float64 }

// Numbers is a JSON array of numbers: PE indices and symbols, EC syndromes
// and side information, PA seeds. It is the one place where the package does
// not leave JSON to encoding/json, because these arrays carry up to millions
// of elements: UnmarshalJSON reads the array with a strict JSON number grammar
// and strconv (no reflection, no intermediate values, large float arrays on
// several cores), MarshalJSON writes what encoding/json writes for the same
// slice, straight into one buffer sized in advance.
//
// A plain slice ([]float64, []int, []uint8) converts to Numbers without a
// copy and is assignable to it.
//
// Integer elements must be integral: plain integer literals are read exactly;
// 2.0 or 1e3 forms are accepted below 2^53, where float64 is exact. Float
// elements take any JSON number that fits a float64.
type Numbers[T number] []T

// ArrayError says which element of a number array is wrong and why; Index is
// -1 when the value is not an array of numbers at all.
type ArrayError struct {
	Index int
	Err   error
}

func (e *ArrayError) Error() string {
	if e.Index < 0 {
		return "not an array of numbers"
	}
	return "element " + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}

func (e *ArrayError) Unwrap() error { return e.Err }

// UnmarshalJSON reads a JSON array of numbers. null leaves the slice
// unchanged, as encoding/json does. Errors are *ArrayError.
func (n *Numbers[T]) UnmarshalJSON(raw []byte) error {
	if isNull(raw) {
		return nil
	}
	var err *ArrayError
	switch p := any(n).(type) {
	case *Numbers[float64]:
		*p, err = parseFloatArray(raw)
	case *Numbers[int]:
		*p, err = parseIntArray[int](raw, math.MinInt, math.MaxInt)
	case *Numbers[uint8]:
		*p, err = parseIntArray[uint8](raw, 0, math.MaxUint8)
	case *Numbers[float32]:
		*p, err = parseFloat32Array(raw)
	}
	if err != nil {
		return err
	}
	return nil
}

// MarshalJSON writes the array as encoding/json writes the same slice
// (null for a nil slice). NaN and infinities have no JSON form: validate
// first (EncodeContent does).
func (n Numbers[T]) MarshalJSON() ([]byte, error) {
	for i, x := range n {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, &ArrayError{Index: i, Err: errNotFinite}
		}
	}
	return n.appendJSON(nil), nil
}

// sizeHint is about the bytes appendJSON writes, a little over.
func (n Numbers[T]) sizeHint() int {
	switch v := any(n).(type) {
	case Numbers[float64]:
		return estimateFloats(v)*105/100 + 64
	case Numbers[float32]:
		return estimateFloats(v)*105/100 + 64
	case Numbers[int]:
		return estimateInts(v)
	case Numbers[uint8]:
		size := 2
		for _, x := range v {
			size += 2 + min(int(x)/10, 1) + min(int(x)/100, 1)
		}
		return size
	}
	return 0
}

// appendJSON appends the array in the form of MarshalJSON.
func (n Numbers[T]) appendJSON(dst []byte) []byte {
	if n == nil {
		return append(dst, "null"...)
	}
	switch v := any(n).(type) {
	case Numbers[float64]:
		return appendFloats(dst, v)
	case Numbers[float32]:
		return appendFloats(dst, v)
	case Numbers[uint8]:
		dst = growFor(dst, v.sizeHint())
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			if x < 10 {
				dst = append(dst, '0'+x)
			} else {
				dst = strconv.AppendUint(dst, uint64(x), 10)
			}
		}
		return append(dst, ']')
	case Numbers[int]:
		dst = growFor(dst, estimateInts(v))
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendInt(dst, int64(x), 10)
		}
		return append(dst, ']')
	}
	panic("unreachable")
}

// appendFloats writes a float array, on several cores when it is large.
func appendFloats[F float](dst []byte, v []F) []byte {
	if workers := min(runtime.GOMAXPROCS(0), 8); workers >= 2 && len(v) >= parallelFloats {
		return appendFloatsParallel(dst, v, workers, 103)
	}
	dst = growFor(dst, estimateFloats(v))
	dst = append(dst, '[')
	bits := floatBits[F]()
	for i, f := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendFloatBits(dst, float64(f), bits)
	}
	return append(dst, ']')
}

// floatBits is the size of F in bits, for strconv: a float32 is written
// with the shortest digits that read back as the same float32
// (encoding/json's form for float32).
func floatBits[F float]() int {
	if _, single := any(F(0)).(float32); single {
		return 32
	}
	return 64
}

// appendFloat writes f as encoding/json does: shortest round-trip digits,
// exponent form below 1e-6 and from 1e21 on, "e-7" rather than "e-07".
func appendFloat(dst []byte, f float64) []byte { return appendFloatBits(dst, f, 64) }

// appendFloatBits is appendFloat with the shortest digits of a float of
// the given size (32 or 64 bits).
func appendFloatBits(dst []byte, f float64, bits int) []byte {
	// Integral values below 2^53 (syndromes, bits) are their integer digits.
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 && (f != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// parallelFloats is the array length from which floats are formatted on
// several cores.
const parallelFloats = 1 << 16

// appendFloatsParallel writes v as a JSON array, formatting chunks on
// several goroutines straight into one buffer: each chunk gets a region
// sized from a sample of its elements (scaled by percent/100), and the
// regions are then closed up in place. A chunk that outgrows its region
// spills to its own buffer and the result is assembled by copying; the
// bytes are the same either way.
func appendFloatsParallel[F float](dst []byte, v []F, workers, percent int) []byte {
	dst = append(dst, '[')
	base := len(dst)
	bits := floatBits[F]()
	type part struct {
		lo, hi   int
		off, est int
		out      []byte
	}
	parts := make([]part, workers)
	total := 0
	for k := range parts {
		p := &parts[k]
		p.lo, p.hi = k*len(v)/workers, (k+1)*len(v)/workers
		p.off = total
		p.est = (estimateFloats(v[p.lo:p.hi]) + 2) * percent / 100
		total += p.est
	}
	dst = growFor(dst, total+1)
	region := dst[base : base+total]
	var wg sync.WaitGroup
	for k := range parts {
		p := &parts[k]
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := region[p.off : p.off : p.off+p.est]
			for i := p.lo; i < p.hi; i++ {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendFloatBits(b, float64(v[i]), bits)
			}
			p.out = b
		}()
	}
	wg.Wait()
	spilled := false
	for k := range parts {
		if len(parts[k].out) > parts[k].est {
			spilled = true
		}
	}
	if spilled {
		n := base
		for _, p := range parts {
			n += len(p.out)
		}
		res := make([]byte, base, n+1)
		copy(res, dst[:base])
		for _, p := range parts {
			res = append(res, p.out...)
		}
		return append(res, ']')
	}
	// Close up the regions: each part moves left onto the end of the one
	// before it, never over a part not yet moved.
	w := base
	for _, p := range parts {
		w += copy(dst[w:base+total], p.out)
	}
	return append(dst[:w], ']')
}

// estimateFloats predicts the bytes appendJSON writes for v from a sample
// of its elements, a little over so that the buffer is sized once.
func estimateFloats[F float](v []F) int {
	const sample = 256
	if len(v) <= sample {
		return 2 + 25*len(v)
	}
	var tmp [32]byte
	n := 0
	step := len(v) / sample
	for i := 0; i < sample; i++ {
		n += len(appendFloatBits(tmp[:0], float64(v[i*step]), floatBits[F]()))
	}
	return 2 + len(v)*(n+sample)/sample*103/100 + 64
}

// estimateInts is estimateFloats for integers.
func estimateInts(v []int) int {
	const sample = 256
	if len(v) <= sample {
		return 2 + 21*len(v)
	}
	var tmp [24]byte
	n := 0
	step := len(v) / sample
	for i := 0; i < sample; i++ {
		n += len(strconv.AppendInt(tmp[:0], int64(v[i*step]), 10))
	}
	return 2 + len(v)*(n+sample)/sample*103/100 + 64
}

// growFor makes room for about n more bytes once, instead of letting append
// double a large buffer several times.
func growFor(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nd := make([]byte, len(dst), len(dst)+n)
		copy(nd, dst)
		return nd
	}
	return dst
}

// ---- reading ----

// Reasons a number is refused, shared by scalar fields and array elements.
var (
	errNotNumber  = errors.New("not a number")
	errNotFinite  = errors.New("not a finite number")
	errRange      = errors.New("out of range")
	errNotInteger = errors.New("not an integer")
	errInexact    = errors.New("not an exact integer (write it without a fraction or exponent)")
)

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
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

// parseFloatToken converts one JSON number (surrounding whitespace allowed).
func parseFloatToken(tok []byte) (float64, error) {
	tok = bytes.TrimSpace(tok)
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

// parseIntToken converts one JSON number that must be an integer
// (surrounding whitespace allowed); see intOf.
func parseIntToken(tok []byte) (int64, error) {
	tok = bytes.TrimSpace(tok)
	if len(tok) == 0 || scanNumber(tok) != len(tok) {
		return 0, errNotNumber
	}
	return intOf(tok)
}

// intOf converts a token already known to follow the JSON number grammar.
// Plain integer literals are exact over the whole int64 range; fraction or
// exponent forms (2.0, 1e3) are accepted when integral and below 2^53,
// where float64 is still exact.
func intOf(tok []byte) (int64, error) {
	if len(tok) == 1 { // a digit
		return int64(tok[0] - '0'), nil
	}
	if !bytes.ContainsAny(tok, ".eE") {
		if digits := bytes.TrimPrefix(tok, []byte("-")); len(digits) <= 18 {
			var v int64
			for _, c := range digits {
				v = v*10 + int64(c-'0')
			}
			if len(digits) < len(tok) {
				return -v, nil
			}
			return v, nil
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

// forEachNumber walks a JSON array of numbers, handing each element's token
// (already checked against the JSON number grammar) to fn. It accepts any
// JSON whitespace.
func forEachNumber(raw []byte, fn func(tok []byte) error) *ArrayError {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return &ArrayError{Index: -1}
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		if skipSpace(raw, i+1) != len(raw) {
			return &ArrayError{Index: -1}
		}
		return nil
	}
	n := 0
	for {
		l := scanNumber(raw[i:])
		if l == 0 {
			return &ArrayError{Index: n, Err: errNotNumber}
		}
		if err := fn(raw[i : i+l]); err != nil {
			return &ArrayError{Index: n, Err: err}
		}
		n++
		i = skipSpace(raw, i+l)
		if i >= len(raw) {
			return &ArrayError{Index: -1}
		}
		if raw[i] == ']' {
			if skipSpace(raw, i+1) != len(raw) {
				return &ArrayError{Index: -1}
			}
			return nil
		}
		if raw[i] != ',' {
			return &ArrayError{Index: n, Err: errNotNumber}
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

func parseIntArray[T int | uint8](raw []byte, lo, hi int64) (Numbers[T], *ArrayError) {
	out := make(Numbers[T], 0, countElements(raw))
	aerr := forEachNumber(raw, func(tok []byte) error {
		v, err := intOf(tok)
		if err != nil {
			return err
		}
		if v < lo || v > hi {
			return errRange
		}
		out = append(out, T(v))
		return nil
	})
	if aerr != nil {
		return nil, aerr
	}
	return out, nil
}

func parseFloatArray(raw []byte) (Numbers[float64], *ArrayError) {
	if len(raw) >= parallelArrayBytes {
		if out, ok := parseFloatArrayParallel(raw); ok {
			return out, nil
		}
		// Some chunk failed: the sequential pass below names the element.
	}
	out := make(Numbers[float64], 0, countElements(raw))
	aerr := forEachNumber(raw, func(tok []byte) error {
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

// parseFloat32Array reads a float array into float32 values: each number is
// read as a float64 and rounded to the nearest float32; one beyond the
// float32 range is refused.
func parseFloat32Array(raw []byte) (Numbers[float32], *ArrayError) {
	wide, aerr := parseFloatArray(raw)
	if aerr != nil {
		return nil, aerr
	}
	out := make(Numbers[float32], len(wide))
	for i, f := range wide {
		out[i] = float32(f)
		if math.IsInf(float64(out[i]), 0) {
			return nil, &ArrayError{Index: i, Err: errRange}
		}
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
func parseFloatArrayParallel(raw []byte) (Numbers[float64], bool) {
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
	out := make(Numbers[float64], total)
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
