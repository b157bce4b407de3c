package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Content is the typed content of one code. Only pointers to the
// <CodeName>Content structs of this package implement it.
type Content interface {
	// Code is the message code this content belongs to.
	Code() Code
	// Validate reports nil, or a *ContentError (wrapping ErrInvalidContent)
	// naming the offending field and the reason.
	Validate() error
	appendJSON(dst []byte) []byte
	decodeFields(o *rawObject) error
}

// ErrInvalidContent is wrapped by every content decoding or validation failure.
var ErrInvalidContent = errors.New("invalid content")

// ContentError says which field of a content is wrong and why. Its Error
// text ("field indices: element 3: not an integer") is what goes into the
// error_message of an INVALID_CONTENT answer.
type ContentError struct {
	Code   Code   // the code whose content failed (0 when unknown)
	Field  string // the JSON field, "" for the content as a whole
	Reason string
}

func (e *ContentError) Error() string {
	if e.Field == "" {
		return "content: " + e.Reason
	}
	return "field " + e.Field + ": " + e.Reason
}

// Unwrap makes every ContentError match ErrInvalidContent.
func (e *ContentError) Unwrap() error { return ErrInvalidContent }

func fieldErr(field, reason string) *ContentError {
	return &ContentError{Field: field, Reason: reason}
}

// contentKind says whether a code carries content.
type contentKind uint8

const (
	kindNone     contentKind = iota // no content; a present JSON object is ignored
	kindOptional                    // content may be absent (every field optional, or QIE_REQUEST)
	kindRequired                    // content must be present
)

type contentSpec struct {
	kind contentKind
	new  func() Content
}

// contentSpecs lists the codes that carry content; every other QOSST code
// carries none.
var contentSpecs = map[Code]contentSpec{
	UnkownCommand:          {kindRequired, func() Content { return new(UnkownCommandContent) }},
	UnexpectedCommand:      {kindRequired, func() Content { return new(UnexpectedCommandContent) }},
	InvalidContent:         {kindRequired, func() Content { return new(InvalidContentContent) }},
	InvalidResponse:        {kindOptional, func() Content { return new(InvalidResponseContent) }},
	Abort:                  {kindOptional, func() Content { return new(AbortContent) }},
	ChangeParameterRequest: {kindRequired, func() Content { return new(ChangeParameterRequestContent) }},
	ParameterChanged:       {kindRequired, func() Content { return new(ParameterChangedContent) }},
	ParameterUnkown:        {kindRequired, func() Content { return new(ParameterUnkownContent) }},
	ParameterInvalidValue:  {kindRequired, func() Content { return new(ParameterInvalidValueContent) }},
	ParameterUnchanged:     {kindRequired, func() Content { return new(ParameterUnchangedContent) }},
	IdentificationRequest:  {kindRequired, func() Content { return new(IdentificationRequestContent) }},
	IdentificationResponse: {kindRequired, func() Content { return new(IdentificationResponseContent) }},
	InvalidQOSSTVersion:    {kindRequired, func() Content { return new(InvalidQOSSTVersionContent) }},
	InitializationRequest:  {kindRequired, func() Content { return new(InitializationRequestContent) }},
	InitializationDenied:   {kindOptional, func() Content { return new(InitializationDeniedContent) }},
	InitializationProposal: {kindOptional, func() Content { return new(InitializationProposalContent) }},
	InitializationConfig:   {kindRequired, func() Content { return new(InitializationConfigContent) }},
	QIERequest:             {kindOptional, func() Content { return new(QIERequestContent) }},
	PESymbolsRequest:       {kindRequired, func() Content { return new(PESymbolsRequestContent) }},
	PESymbolsResponse:      {kindRequired, func() Content { return new(PESymbolsResponseContent) }},
	PESymbolsError:         {kindOptional, func() Content { return new(PESymbolsErrorContent) }},
	PENphotonResponse:      {kindRequired, func() Content { return new(PENphotonResponseContent) }},
	PEFinished:             {kindRequired, func() Content { return new(PEFinishedContent) }},
	PEDenied:               {kindOptional, func() Content { return new(PEDeniedContent) }},
	ECInitialization:       {kindRequired, func() Content { return new(ECInitializationContent) }},
	ECDenied:               {kindOptional, func() Content { return new(ECDeniedContent) }},
	ECBlock:                {kindRequired, func() Content { return new(ECBlockContent) }},
	ECBlockError:           {kindOptional, func() Content { return new(ECBlockErrorContent) }},
	ECRemaining:            {kindOptional, func() Content { return new(ECRemainingContent) }},
	ECRemainingError:       {kindOptional, func() Content { return new(ECRemainingErrorContent) }},
	ECVerification:         {kindRequired, func() Content { return new(ECVerificationContent) }},
	ECVerificationFail:     {kindOptional, func() Content { return new(ECVerificationFailContent) }},
	PARequest:              {kindRequired, func() Content { return new(PARequestContent) }},
	PAError:                {kindOptional, func() Content { return new(PAErrorContent) }},
	FrameEnded:             {kindRequired, func() Content { return new(FrameEndedContent) }},
	FrameEndedAck:          {kindRequired, func() Content { return new(FrameEndedAckContent) }},
}

// HasContent reports whether code carries a typed content.
func HasContent(code Code) bool {
	_, ok := contentSpecs[code]
	return ok
}

// ContentRequired reports whether a frame of this code must carry content.
// Codes whose fields are all optional (messages, QIE_REQUEST's frame_uuid)
// may come with none.
func ContentRequired(code Code) bool {
	return contentSpecs[code].kind == kindRequired
}

// NewContent returns a zero content of the code's type, or nil for codes
// that carry none.
func NewContent(code Code) Content {
	if s, ok := contentSpecs[code]; ok {
		return s.new()
	}
	return nil
}

// DecodeContent decodes and validates the content of a frame of the given
// code. raw empty means the content is absent: the result is (nil, nil) for
// codes without content or with optional content, and an error when the
// code requires content. A code that carries no content ignores any JSON
// object it comes with. Failures wrap ErrInvalidContent and carry a
// *ContentError; a code that is not a QOSST code gives an error wrapping
// ErrUnknownCode.
func DecodeContent(code Code, raw []byte) (Content, error) {
	return decodeContent(code, raw, false)
}

func decodeContent(code Code, raw []byte, forceFallback bool) (Content, error) {
	if !code.Known() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownCode, int(code))
	}
	spec, has := contentSpecs[code]
	if len(raw) == 0 {
		if has && spec.kind == kindRequired {
			return nil, &ContentError{Code: code, Reason: "missing"}
		}
		return nil, nil
	}
	o, err := parseObject(raw, forceFallback)
	if err != nil {
		err.(*ContentError).Code = code
		return nil, err
	}
	if !has {
		return nil, nil
	}
	c := spec.new()
	if err := c.decodeFields(o); err != nil {
		return nil, withCode(err, code)
	}
	if err := c.Validate(); err != nil {
		return nil, withCode(err, code)
	}
	return c, nil
}

func withCode(err error, code Code) error {
	var ce *ContentError
	if errors.As(err, &ce) {
		ce.Code = code
		return ce
	}
	return &ContentError{Code: code, Reason: err.Error()}
}

// EncodeContent validates c and writes it as JSON, in the shape Python's
// json.dumps writes (", " and ": " separators, non-ASCII escaped, floats in
// repr form, fields in the order of the reference examples). A nil content,
// or one whose fields are all empty and optional, encodes to no bytes: the
// frame then carries no content, as a Python peer sends for an empty dict.
func EncodeContent(c Content) ([]byte, error) {
	return AppendContent(nil, c)
}

// AppendContent is EncodeContent appending to dst.
func AppendContent(dst []byte, c Content) ([]byte, error) {
	if c == nil {
		return dst, nil
	}
	if v := reflect.ValueOf(c); v.Kind() == reflect.Pointer && v.IsNil() {
		return dst, nil
	}
	if err := c.Validate(); err != nil {
		return dst, withCode(err, c.Code())
	}
	n := len(dst)
	dst = c.appendJSON(dst)
	if string(dst[n:]) == "{}" {
		dst = dst[:n]
	}
	return dst, nil
}

// ---- field readers (decoding) ----

func typeErr(field, want string) *ContentError {
	return fieldErr(field, "not "+want)
}

// readString reads an optional string field; present reports whether it was there.
func readString(o *rawObject, field string) (string, bool, error) {
	raw, ok := o.get(field)
	if !ok {
		return "", false, nil
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", true, typeErr(field, "a string")
	}
	// The object reader has checked the literal: without escapes and with
	// valid UTF-8 its bytes are the string.
	if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body), true, nil
	}
	return unquote(field, raw)
}

func unquote(field string, raw []byte) (string, bool, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, typeErr(field, "a string")
	}
	return s, true, nil
}

func requireString(o *rawObject, field string) (string, error) {
	s, present, err := readString(o, field)
	if err == nil && !present {
		err = fieldErr(field, "missing")
	}
	return s, err
}

func readFloat(o *rawObject, field string) (float64, bool, error) {
	raw, ok := o.get(field)
	if !ok {
		return 0, false, nil
	}
	f, err := parseFloatToken(raw)
	if err != nil {
		return 0, true, fieldErr(field, err.Error())
	}
	return f, true, nil
}

func requireFloat(o *rawObject, field string) (float64, error) {
	f, present, err := readFloat(o, field)
	if err == nil && !present {
		err = fieldErr(field, "missing")
	}
	return f, err
}

func readInt(o *rawObject, field string) (int64, bool, error) {
	raw, ok := o.get(field)
	if !ok {
		return 0, false, nil
	}
	v, err := parseIntToken(raw)
	if err != nil {
		return 0, true, fieldErr(field, err.Error())
	}
	return v, true, nil
}

func requireInt(o *rawObject, field string) (int64, error) {
	v, present, err := readInt(o, field)
	if err == nil && !present {
		err = fieldErr(field, "missing")
	}
	return v, err
}

func requireUUID(o *rawObject, field string) (uuid.UUID, error) {
	s, err := requireString(o, field)
	if err != nil {
		return uuid.Nil, err
	}
	return parseUUID(field, s)
}

func parseUUID(field, s string) (uuid.UUID, error) {
	// Only the canonical 36-character form; uuid.Parse also accepts
	// urn:uuid: and braced forms, which no peer writes.
	if len(s) != 36 {
		return uuid.Nil, fieldErr(field, "not a UUID")
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fieldErr(field, "not a UUID")
	}
	return u, nil
}

func arrayFieldErr(field string, e *arrayError) *ContentError {
	if e.index < 0 {
		return fieldErr(field, "not an array of numbers")
	}
	return fieldErr(field, "element "+strconv.Itoa(e.index)+": "+e.err.Error())
}

func requireFloats(o *rawObject, field string) ([]float64, error) {
	raw, ok := o.get(field)
	if !ok {
		return nil, fieldErr(field, "missing")
	}
	v, aerr := parseFloatArray(raw)
	if aerr != nil {
		return nil, arrayFieldErr(field, aerr)
	}
	return v, nil
}

func requireInts(o *rawObject, field string) ([]int, error) {
	raw, ok := o.get(field)
	if !ok {
		return nil, fieldErr(field, "missing")
	}
	v, aerr := parseIntArray(raw)
	if aerr != nil {
		return nil, arrayFieldErr(field, aerr)
	}
	return v, nil
}

// requireBits reads an array of 0/1 integers.
func requireBits(o *rawObject, field string) ([]uint8, error) {
	raw, ok := o.get(field)
	if !ok {
		return nil, fieldErr(field, "missing")
	}
	out := make([]uint8, 0, countElements(raw))
	_, aerr := forEachNumber(raw, func(_ int, tok []byte) error {
		v, err := intOf(tok)
		if err != nil {
			return err
		}
		if v != 0 && v != 1 {
			return errNotBit
		}
		out = append(out, uint8(v))
		return nil
	})
	if aerr != nil {
		return nil, arrayFieldErr(field, aerr)
	}
	return out, nil
}

var errNotBit = errors.New("not a bit (0 or 1)")

// readAny decodes a free JSON value with encoding/json conventions
// (float64, string, bool, nil, []any, map[string]any).
func readAny(o *rawObject, field string) (any, bool, error) {
	raw, ok := o.get(field)
	if !ok {
		return nil, false, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, true, fieldErr(field, "not a JSON value that fits (numbers must be finite float64)")
	}
	return v, true, nil
}

func requireAny(o *rawObject, field string) (any, error) {
	v, present, err := readAny(o, field)
	if err == nil && !present {
		err = fieldErr(field, "missing")
	}
	return v, err
}

func readObject(o *rawObject, field string) (map[string]any, bool, error) {
	raw, ok := o.get(field)
	if !ok {
		return nil, false, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, true, typeErr(field, "a JSON object")
	}
	return m, true, nil
}

// ---- validation helpers ----

func checkFinite(field string, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fieldErr(field, "not a finite number")
	}
	return nil
}

func checkNonNegative(field string, f float64) error {
	if err := checkFinite(field, f); err != nil {
		return err
	}
	if f < 0 {
		return fieldErr(field, "negative")
	}
	return nil
}

func checkFiniteArray(field string, v []float64) error {
	for i, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fieldErr(field, "element "+strconv.Itoa(i)+": not a finite number")
		}
	}
	return nil
}

// checkJSONValue checks that a free value can be written as JSON: the types
// encoding/json decodes into any, Go integers and json.Number (written
// directly), and anything else encoding/json can marshal; floats must be
// finite.
func checkJSONValue(field string, v any) error {
	switch x := v.(type) {
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return nil
	case float64:
		return checkFinite(field, x)
	case float32:
		return checkFinite(field, float64(x))
	case json.Number:
		if _, err := parseFloatToken([]byte(x)); err != nil {
			return fieldErr(field, "json.Number "+err.Error())
		}
		return nil
	case []any:
		for i, e := range x {
			if err := checkJSONValue(field+"["+strconv.Itoa(i)+"]", e); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for k, e := range x {
			if err := checkJSONValue(field+"."+k, e); err != nil {
				return err
			}
		}
		return nil
	}
	// Other types (typed slices and maps, structs with json tags) are
	// written through encoding/json.
	if _, err := json.Marshal(v); err != nil {
		return fieldErr(field, fmt.Sprintf("a %T cannot be written as JSON: %v", v, err))
	}
	return nil
}

// ---- writers (encoding, Python style) ----

func appendKey(dst []byte, first bool, key string) []byte {
	if !first {
		dst = append(dst, ", "...)
	}
	dst = appendPyString(dst, key)
	return append(dst, ": "...)
}

func appendFloatArray(dst []byte, v []float64) []byte {
	if workers := min(runtime.GOMAXPROCS(0), 8); workers >= 2 && len(v) >= parallelFloats {
		return appendFloatsParallel(dst, v, workers, 103)
	}
	dst = append(dst, '[')
	for i, f := range v {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = appendPyFloat(dst, f)
	}
	return append(dst, ']')
}

// parallelFloats is the array length from which floats are formatted on
// several cores.
const parallelFloats = 1 << 16

// appendFloatsParallel writes v like appendFloatArray, formatting chunks on
// several goroutines straight into one buffer: each chunk gets a region
// sized from a sample of its elements (scaled by percent/100), and the
// regions are then closed up in place. A chunk that outgrows its region
// spills to its own buffer and the result is assembled by copying; the
// bytes are the same either way.
func appendFloatsParallel(dst []byte, v []float64, workers, percent int) []byte {
	dst = append(dst, '[')
	base := len(dst)
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
					b = append(b, ", "...)
				}
				b = appendPyFloat(b, v[i])
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

func appendIntArray(dst []byte, v []int) []byte {
	dst = append(dst, '[')
	for i, x := range v {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = strconv.AppendInt(dst, int64(x), 10)
	}
	return append(dst, ']')
}

func appendBits(dst []byte, v []uint8) []byte {
	dst = append(dst, '[')
	for i, x := range v {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, '0'+x)
	}
	return append(dst, ']')
}

// appendAny writes a free value (see checkJSONValue); map keys are sorted
// so the bytes are deterministic.
func appendAny(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		if x {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case string:
		return appendPyString(dst, x)
	case float64:
		return appendPyFloat(dst, x)
	case float32:
		return appendPyFloat(dst, float64(x))
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int8:
		return strconv.AppendInt(dst, int64(x), 10)
	case int16:
		return strconv.AppendInt(dst, int64(x), 10)
	case int32:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(dst, x, 10)
	case json.Number:
		return append(dst, x...)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendAny(dst, e)
		}
		return append(dst, ']')
	case map[string]any:
		return appendMap(dst, x, nil)
	}
	// Any other type: through encoding/json and back to the generic form,
	// so the bytes keep the Python shape. checkJSONValue has vetted it.
	var x any
	b, err := json.Marshal(v)
	if err != nil || json.Unmarshal(b, &x) != nil {
		return append(dst, "null"...)
	}
	return appendAny(dst, x)
}

// appendMap writes m as an object with sorted keys, skipping the keys in skip.
func appendMap(dst []byte, m map[string]any, skip map[string]bool) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !skip[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		dst = appendKey(dst, i == 0, k)
		dst = appendAny(dst, m[k])
	}
	return append(dst, '}')
}
