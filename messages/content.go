package messages

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Content is the typed content of one code: a pointer to one of the
// <CodeName>Content structs of this package.
type Content interface {
	// Code is the message code this content belongs to.
	Code() Code
	// Validate reports nil, or a *ContentError (wrapping ErrInvalidContent)
	// naming the offending field and the reason.
	Validate() error
}

// ErrInvalidContent is wrapped by every content decoding or validation failure.
var ErrInvalidContent = errors.New("invalid content")

// ContentError says which field of a content is wrong and why. Its Error
// text ("field indices: element 3: not an integer") is what goes into the
// error_message of an INVALID_CONTENT answer.
type ContentError struct {
	Code   Code   // the code whose content failed (0 when unknown)
	Field  string // the JSON field ("ldpc.k" inside an object), "" for the content as a whole
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

// contentTypes lists the content of every code that carries one; every
// other QOSST code carries none.
var contentTypes = func() map[Code]reflect.Type {
	m := make(map[Code]reflect.Type)
	for _, c := range []Content{
		(*UnkownCommandContent)(nil), (*UnexpectedCommandContent)(nil), (*InvalidContentContent)(nil),
		(*InvalidResponseContent)(nil), (*AbortContent)(nil),
		(*ChangeParameterRequestContent)(nil), (*ParameterChangedContent)(nil), (*ParameterUnkownContent)(nil),
		(*ParameterInvalidValueContent)(nil), (*ParameterUnchangedContent)(nil),
		(*IdentificationRequestContent)(nil), (*IdentificationResponseContent)(nil), (*InvalidQOSSTVersionContent)(nil),
		(*InitializationRequestContent)(nil), (*InitializationDeniedContent)(nil), (*InitializationProposalContent)(nil),
		(*InitializationConfigContent)(nil), (*QIERequestContent)(nil),
		(*PESymbolsRequestContent)(nil), (*PESymbolsResponseContent)(nil), (*PESymbolsErrorContent)(nil),
		(*PENphotonResponseContent)(nil), (*PEFinishedContent)(nil), (*PEDeniedContent)(nil),
		(*ECInitializationContent)(nil), (*ECReadyContent)(nil), (*ECDeniedContent)(nil), (*ECBlockContent)(nil),
		(*ECBlockAckContent)(nil), (*ECBlockErrorContent)(nil),
		(*ECRemainingContent)(nil), (*ECRemainingErrorContent)(nil), (*ECVerificationContent)(nil), (*ECVerificationFailContent)(nil),
		(*PARequestContent)(nil), (*PAErrorContent)(nil), (*FrameEndedContent)(nil), (*FrameEndedAckContent)(nil),
	} {
		m[c.Code()] = reflect.TypeOf(c).Elem()
	}
	return m
}()

// HasContent reports whether code carries a typed content.
func HasContent(code Code) bool {
	_, ok := contentTypes[code]
	return ok
}

// ContentRequired reports whether a frame of this code must carry content:
// it does when the content has a required field (or says so itself, as
// EC_BLOCK, whose two forms have only optional fields), except QIE_REQUEST,
// which qosst-bob sends without content.
func ContentRequired(code Code) bool {
	t, ok := contentTypes[code]
	if !ok || code == QIERequest {
		return false
	}
	if r, ok := reflect.New(t).Interface().(interface{ contentRequired() bool }); ok {
		return r.contentRequired()
	}
	return slices.ContainsFunc(fieldsOf(t), func(f structField) bool { return !f.optional && !f.rest })
}

// newContent returns a zero content of the code's type, or nil for codes
// that carry none.
func newContent(code Code) Content {
	if t, ok := contentTypes[code]; ok {
		return reflect.New(t).Interface().(Content)
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
	if !code.Known() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownCode, int(code))
	}
	if len(raw) == 0 {
		if ContentRequired(code) {
			return nil, &ContentError{Code: code, Reason: "missing"}
		}
		return nil, nil
	}
	fields, err := splitObject(raw, "")
	if err != nil {
		return nil, withCode(err, code)
	}
	c := newContent(code)
	if c == nil {
		return nil, nil
	}
	if err := decodeFields(fields, reflect.ValueOf(c).Elem(), ""); err != nil {
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

// EncodeContent validates c and writes it as JSON in the form encoding/json
// writes the struct (fields in declaration order, optional fields omitted
// when zero); the free keys of INITIALIZATION_REQUEST and EC_REMAINING
// follow in sorted order. A nil content, or one whose fields are all empty
// and optional, encodes to no bytes: the frame then carries no content, as
// a Python peer sends for an empty dict.
func EncodeContent(c Content) ([]byte, error) {
	return appendContent(nil, c)
}

// appendContent is EncodeContent appending to dst.
func appendContent(dst []byte, c Content) ([]byte, error) {
	if c == nil {
		return dst, nil
	}
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer || v.Type().Elem().Kind() != reflect.Struct {
		return dst, fmt.Errorf("%w: %T is not a pointer to a content struct", ErrInvalidContent, c)
	}
	if v.IsNil() {
		return dst, nil
	}
	if err := c.Validate(); err != nil {
		return dst, withCode(err, c.Code())
	}
	// Size the buffer once for the large arrays of the content.
	hint := 64 + arraysHint(v.Elem())
	n := len(dst)
	out, err := appendObject(growFor(dst, hint), v.Elem())
	if err != nil {
		return dst, withCode(err, c.Code())
	}
	if string(out[n:]) == "{}" {
		return dst, nil // nothing to send: the caller's slice, unchanged
	}
	return out, nil
}

// arraysHint is about the bytes the large arrays of struct v take,
// including those of its slices of structs (EC_BLOCK's batch).
func arraysHint(v reflect.Value) int {
	hint := 0
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		switch {
		case f.array:
			hint += len(f.key) + 4 + fv.Interface().(appender).sizeHint()
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			for i := range fv.Len() {
				hint += 64 + arraysHint(fv.Index(i))
			}
		}
	}
	return hint
}

// ---- the field table of a content struct ----

// structField is one JSON field of a content struct, from its tag:
// `json:"key"` (required) or `json:"key,omitzero"` (optional, omitted when
// zero). A map field tagged `content:"rest"` takes every other key.
type structField struct {
	key      string
	index    int
	optional bool
	rest     bool
	array    bool // a Numbers field
}

var fieldTables sync.Map // reflect.Type → []structField

func fieldsOf(t reflect.Type) []structField {
	if fs, ok := fieldTables.Load(t); ok {
		return fs.([]structField)
	}
	var fs []structField
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Tag.Get("content") == "rest" {
			fs = append(fs, structField{index: i, rest: true})
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fs = append(fs, structField{key: name, index: i, optional: opts == "omitzero", array: sf.Type.Implements(appenderType)})
	}
	fieldTables.Store(t, fs)
	return fs
}

// ---- decoding ----

// span is a JSON value as it appears in the input (encoding/json hands
// Unmarshalers a slice of its input: nothing is copied).
type span []byte

func (s *span) UnmarshalJSON(b []byte) error { *s = b; return nil }

// splitObject lets encoding/json read raw as an object of raw values:
// encoding/json judges what is valid JSON, unquotes the keys and keeps the
// last of duplicate keys.
func splitObject(raw []byte, field string) (map[string]span, error) {
	var m map[string]span
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fieldErr(field, "not valid JSON: "+err.Error())
		}
		return nil, fieldErr(field, "not a JSON object")
	}
	return m, nil
}

// decodeFields fills the struct v from the object's fields. Keys match
// exactly (case-sensitive); unknown keys are ignored unless a rest field
// takes them; null reads as absent except for fields of free JSON values.
func decodeFields(m map[string]span, v reflect.Value, prefix string) error {
	fs := fieldsOf(v.Type())
	for _, f := range fs {
		if f.rest {
			continue
		}
		fv := v.Field(f.index)
		s, ok := m[f.key]
		if ok && fv.Kind() != reflect.Interface && isNull(s) {
			ok = false
		}
		if !ok {
			if !f.optional {
				return fieldErr(prefix+f.key, "missing")
			}
			continue
		}
		if err := decodeValue(s, fv, prefix+f.key); err != nil {
			return err
		}
	}
	for _, f := range fs {
		if f.rest {
			return decodeRest(m, fs, v.Field(f.index))
		}
	}
	return nil
}

// decodeRest puts every key that is not a declared field into the rest map.
func decodeRest(m map[string]span, fs []structField, rest reflect.Value) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !slices.ContainsFunc(fs, func(f structField) bool { return !f.rest && f.key == k }) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		var x any
		if err := json.Unmarshal(m[k], &x); err != nil {
			return fieldErr(shortKey(k), errFreeValue)
		}
		out[k] = x
	}
	rest.Set(reflect.ValueOf(out))
	return nil
}

// shortKey bounds a peer's key quoted in an error (and so in an
// INVALID_CONTENT answer or a log line).
func shortKey(k string) string {
	const max = 64
	if len(k) <= max {
		return k
	}
	return strings.ToValidUTF8(k[:max], "") + "..."
}

const errFreeValue = "not a JSON value that fits (numbers must be finite float64)"

var (
	uuidType        = reflect.TypeFor[uuid.UUID]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

func decodeValue(s span, fv reflect.Value, name string) error {
	t := fv.Type()
	if t == uuidType {
		str, err := decodeString(s, name)
		if err != nil {
			return err
		}
		u, err := parseUUID(name, str)
		fv.Set(reflect.ValueOf(u))
		return err
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := fv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(s); err != nil {
			return fieldErr(name, err.Error())
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, err := parseIntToken(s)
		if err == nil && fv.OverflowInt(x) {
			err = errRange
		}
		if err != nil {
			return fieldErr(name, err.Error())
		}
		fv.SetInt(x)
	case reflect.Float64:
		x, err := parseFloatToken(s)
		if err != nil {
			return fieldErr(name, err.Error())
		}
		fv.SetFloat(x)
	case reflect.String:
		str, err := decodeString(s, name)
		if err != nil {
			return err
		}
		fv.SetString(str)
	case reflect.Struct:
		m, err := splitObject(s, name)
		if err != nil {
			return err
		}
		return decodeFields(m, fv, name+".")
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := decodeValue(s, p.Elem(), name); err != nil {
			return err
		}
		fv.Set(p)
	case reflect.Interface:
		if err := json.Unmarshal(s, fv.Addr().Interface()); err != nil {
			return fieldErr(name, errFreeValue)
		}
	case reflect.Map:
		if err := json.Unmarshal(s, fv.Addr().Interface()); err != nil || fv.IsNil() {
			return fieldErr(name, "not a JSON object")
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return decodeObjects(s, fv, name)
		}
		fallthrough
	default: // arrays of rows
		if err := json.Unmarshal(s, fv.Addr().Interface()); err != nil {
			reason := "not an array of arrays of numbers"
			var ae *ArrayError
			if errors.As(err, &ae) {
				reason += ": " + ae.Error()
			}
			return fieldErr(name, reason)
		}
	}
	return nil
}

// decodeObjects reads an array of objects into a slice of content structs,
// each with the field rules of decodeFields.
func decodeObjects(s span, fv reflect.Value, name string) error {
	var items []span
	if err := json.Unmarshal(s, &items); err != nil || items == nil {
		return fieldErr(name, "not an array of objects")
	}
	out := reflect.MakeSlice(fv.Type(), len(items), len(items))
	for i, it := range items {
		elem := name + "[" + strconv.Itoa(i) + "]"
		m, err := splitObject(it, elem)
		if err != nil {
			return err
		}
		if err := decodeFields(m, out.Index(i), elem+"."); err != nil {
			return err
		}
	}
	fv.Set(out)
	return nil
}

// decodeString reads a JSON string value. The input has been checked by
// encoding/json: a value without escapes and with valid UTF-8 is its bytes.
func decodeString(s span, name string) (string, error) {
	if len(s) < 2 || s[0] != '"' {
		return "", fieldErr(name, "not a string")
	}
	if body := s[1 : len(s)-1]; !slices.Contains(body, '\\') && utf8.Valid(body) {
		return string(body), nil
	}
	var str string
	if err := json.Unmarshal(s, &str); err != nil {
		return "", fieldErr(name, "not a string")
	}
	return str, nil
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

// ---- encoding ----

// appender is implemented by Numbers: it writes itself without going
// through encoding/json's buffer.
type appender interface {
	appendJSON(dst []byte) []byte
	sizeHint() int
}

var appenderType = reflect.TypeFor[appender]()

// appendObject writes the struct v as encoding/json would (compact, fields
// in order, omitzero fields left out when zero), the rest map last with
// sorted keys.
func appendObject(dst []byte, v reflect.Value) ([]byte, error) {
	dst = append(dst, '{')
	start := len(dst)
	fs := fieldsOf(v.Type())
	var err error
	for _, f := range fs {
		fv := v.Field(f.index)
		if f.rest {
			if dst, err = appendRest(dst, start, fs, fv); err != nil {
				return dst, err
			}
			continue
		}
		if f.optional && fv.IsZero() {
			continue
		}
		dst = appendKey(dst, start, f.key)
		if dst, err = appendValue(dst, fv, f.key); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendKey(dst []byte, start int, key string) []byte {
	if len(dst) > start {
		dst = append(dst, ',')
	}
	dst = appendString(dst, key)
	return append(dst, ':')
}

func appendRest(dst []byte, start int, fs []structField, rest reflect.Value) ([]byte, error) {
	m, _ := rest.Interface().(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		if !slices.ContainsFunc(fs, func(f structField) bool { return !f.rest && f.key == k }) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		b, err := json.Marshal(m[k])
		if err != nil {
			return dst, fieldErr(k, "cannot be written as JSON: "+err.Error())
		}
		dst = appendKey(dst, start, k)
		dst = append(dst, b...)
	}
	return dst, nil
}

func appendValue(dst []byte, fv reflect.Value, name string) ([]byte, error) {
	t := fv.Type()
	switch {
	case t == uuidType:
		u := fv.Interface().(uuid.UUID)
		dst = append(dst, '"')
		dst = appendUUID(dst, u)
		return append(dst, '"'), nil
	case t.Implements(appenderType):
		return fv.Interface().(appender).appendJSON(dst), nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(dst, fv.Int(), 10), nil
	case reflect.Float64:
		f := fv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dst, fieldErr(name, errNotFinite.Error())
		}
		return appendFloat(dst, f), nil
	case reflect.String:
		return appendString(dst, fv.String()), nil
	case reflect.Struct:
		return appendObject(dst, fv)
	case reflect.Pointer:
		if fv.IsNil() {
			return append(dst, "null"...), nil
		}
		return appendValue(dst, fv.Elem(), name)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct && !fv.IsNil() {
			dst = append(dst, '[')
			for i := range fv.Len() {
				if i > 0 {
					dst = append(dst, ',')
				}
				var err error
				if dst, err = appendObject(dst, fv.Index(i)); err != nil {
					return dst, err
				}
			}
			return append(dst, ']'), nil
		}
	}
	b, err := json.Marshal(fv.Interface())
	if err != nil {
		return dst, fieldErr(name, "cannot be written as JSON: "+err.Error())
	}
	return append(dst, b...), nil
}

// appendString writes s as encoding/json does; plain ASCII is copied, the
// rest is left to encoding/json.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendUUID writes the canonical form of u (uuid.UUID.String allocates).
func appendUUID(dst []byte, u uuid.UUID) []byte {
	const hx = "0123456789abcdef"
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hx[x>>4], hx[x&0xF])
	}
	return dst
}

// ---- validation helpers ----

func checkFinite(field string, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fieldErr(field, errNotFinite.Error())
	}
	return nil
}

func checkPositive(field string, f float64) error {
	if err := checkFinite(field, f); err != nil {
		return err
	}
	if !(f > 0) {
		return fieldErr(field, "not positive")
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

func checkFiniteArray[F float](field string, v []F) error {
	for i, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fieldErr(field, "element "+strconv.Itoa(i)+": "+errNotFinite.Error())
		}
	}
	return nil
}

var errNotBit = errors.New("not a bit (0 or 1)")

func checkBits(field string, v []uint8) error {
	for i, b := range v {
		if b > 1 {
			return fieldErr(field, "element "+strconv.Itoa(i)+": "+errNotBit.Error())
		}
	}
	return nil
}

func checkFrameUUID(field string, u uuid.UUID) error {
	if u == uuid.Nil {
		return fieldErr(field, "nil UUID")
	}
	return nil
}

// checkJSONValue checks that a free value can be written as JSON: the types
// encoding/json decodes into any are walked (floats must be finite, and the
// error names the path); anything else must marshal with encoding/json.
func checkJSONValue(field string, v any) error {
	switch x := v.(type) {
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return nil
	case float64:
		return checkFinite(field, x)
	case float32:
		return checkFinite(field, float64(x))
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
	if _, err := json.Marshal(v); err != nil {
		return fieldErr(field, fmt.Sprintf("a %T cannot be written as JSON: %v", v, err))
	}
	return nil
}
