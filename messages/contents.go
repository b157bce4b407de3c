package messages

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/google/uuid"
)

// The typed contents, one per code that carries content. Field comments give
// the JSON key. Message fields (error_message, deny_message, abort_message)
// are optional everywhere and omitted when empty; every other field is
// required unless its comment says otherwise. Encoding writes keys in the
// order of the reference examples.

// ---- shared pieces ----

// readMessage reads an optional message field into *dst.
func readMessage(o *rawObject, field string, dst *string) error {
	s, _, err := readString(o, field)
	*dst = s
	return err
}

func appendMessage(dst []byte, first bool, field, msg string) []byte {
	if msg == "" {
		return dst
	}
	dst = appendKey(dst, first, field)
	return appendPyString(dst, msg)
}

func readCommand(o *rawObject, dst *Code) error {
	v, err := requireInt(o, "code")
	if err != nil {
		return err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return fieldErr("code", errRange.Error())
	}
	*dst = Code(v)
	return nil
}

func checkFrameUUID(field string, u uuid.UUID) error {
	if u == uuid.Nil {
		return fieldErr(field, "nil UUID")
	}
	return nil
}

// ---- 10-17: errors and aborts ----

// UnkownCommandContent is the content of UNKOWN_COMMAND.
type UnkownCommandContent struct {
	Command Code // "code": the code that was not understood
}

func (*UnkownCommandContent) Code() Code        { return UnkownCommand }
func (c *UnkownCommandContent) Validate() error { return nil }
func (c *UnkownCommandContent) decodeFields(o *rawObject) error {
	return readCommand(o, &c.Command)
}
func (c *UnkownCommandContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"code": `...)
	dst = strconv.AppendInt(dst, int64(c.Command), 10)
	return append(dst, '}')
}

// UnexpectedCommandContent is the content of UNEXPECTED_COMMAND.
type UnexpectedCommandContent struct {
	Command      Code   // "code": the code that was not legal here
	ErrorMessage string // "error_message", optional
}

func (*UnexpectedCommandContent) Code() Code        { return UnexpectedCommand }
func (c *UnexpectedCommandContent) Validate() error { return nil }
func (c *UnexpectedCommandContent) decodeFields(o *rawObject) error {
	if err := readCommand(o, &c.Command); err != nil {
		return err
	}
	return readMessage(o, "error_message", &c.ErrorMessage)
}
func (c *UnexpectedCommandContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"code": `...)
	dst = strconv.AppendInt(dst, int64(c.Command), 10)
	dst = appendMessage(dst, false, "error_message", c.ErrorMessage)
	return append(dst, '}')
}

// InvalidContentContent is the content of INVALID_CONTENT.
type InvalidContentContent struct {
	Command      Code   // "code": the code whose content was invalid
	ErrorMessage string // "error_message", optional: which field and why
}

func (*InvalidContentContent) Code() Code        { return InvalidContent }
func (c *InvalidContentContent) Validate() error { return nil }
func (c *InvalidContentContent) decodeFields(o *rawObject) error {
	if err := readCommand(o, &c.Command); err != nil {
		return err
	}
	return readMessage(o, "error_message", &c.ErrorMessage)
}
func (c *InvalidContentContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"code": `...)
	dst = strconv.AppendInt(dst, int64(c.Command), 10)
	dst = appendMessage(dst, false, "error_message", c.ErrorMessage)
	return append(dst, '}')
}

// messageContent is the shape shared by contents made of one optional message.
type messageContent struct {
	field string
	msg   *string
}

func (m messageContent) decode(o *rawObject) error { return readMessage(o, m.field, m.msg) }
func (m messageContent) append(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendMessage(dst, true, m.field, *m.msg)
	return append(dst, '}')
}

// InvalidResponseContent is the content of INVALID_RESPONSE (optional).
type InvalidResponseContent struct {
	ErrorMessage string // "error_message"
}

func (*InvalidResponseContent) Code() Code        { return InvalidResponse }
func (c *InvalidResponseContent) Validate() error { return nil }
func (c *InvalidResponseContent) decodeFields(o *rawObject) error {
	return messageContent{"error_message", &c.ErrorMessage}.decode(o)
}
func (c *InvalidResponseContent) appendJSON(dst []byte) []byte {
	return messageContent{"error_message", &c.ErrorMessage}.append(dst)
}

// AbortContent is the content of ABORT (optional). FrameUUID is ours (an
// extra field, ignored by the reference peers): Alice sets it when she
// answers a FRAME_ENDED sent in state identified (key recovery) for a frame
// whose key she does not hold and will never write, so that Bob may delete
// his pending key; an ABORT without it says nothing about any key.
type AbortContent struct {
	AbortMessage string    // "abort_message"
	FrameUUID    uuid.UUID // "frame_uuid", optional (uuid.Nil: absent)
}

func (*AbortContent) Code() Code        { return Abort }
func (c *AbortContent) Validate() error { return nil }
func (c *AbortContent) decodeFields(o *rawObject) (err error) {
	if err := readMessage(o, "abort_message", &c.AbortMessage); err != nil {
		return err
	}
	if raw, ok := o.get("frame_uuid"); ok && !isNull(raw) {
		c.FrameUUID, err = requireUUID(o, "frame_uuid")
	}
	return err
}
func (c *AbortContent) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendMessage(dst, true, "abort_message", c.AbortMessage)
	if c.FrameUUID != uuid.Nil {
		dst = appendKey(dst, c.AbortMessage == "", "frame_uuid")
		dst = append(dst, '"')
		dst = appendUUID(dst, c.FrameUUID)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// ---- 50-54: parameter change ----

// ChangeParameterRequestContent is the content of CHANGE_PARAMETER_REQUEST.
// Value is any JSON value, decoded as encoding/json decodes into any
// (float64 for numbers).
type ChangeParameterRequestContent struct {
	Parameter string // "parameter": dotted configuration path, e.g. frame.quantum.roll_off
	Value     any    // "value"
}

func (*ChangeParameterRequestContent) Code() Code { return ChangeParameterRequest }
func (c *ChangeParameterRequestContent) Validate() error {
	if c.Parameter == "" {
		return fieldErr("parameter", "empty")
	}
	return checkJSONValue("value", c.Value)
}
func (c *ChangeParameterRequestContent) decodeFields(o *rawObject) (err error) {
	if c.Parameter, err = requireString(o, "parameter"); err != nil {
		return err
	}
	c.Value, err = requireAny(o, "value")
	return err
}
func (c *ChangeParameterRequestContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"parameter": `...)
	dst = appendPyString(dst, c.Parameter)
	dst = append(dst, `, "value": `...)
	dst = appendAny(dst, c.Value)
	return append(dst, '}')
}

// ParameterChangedContent is the content of PARAMETER_CHANGED.
type ParameterChangedContent struct {
	Parameter string // "parameter"
	OldValue  any    // "old_value"
	NewValue  any    // "new_value"
}

func (*ParameterChangedContent) Code() Code { return ParameterChanged }
func (c *ParameterChangedContent) Validate() error {
	if c.Parameter == "" {
		return fieldErr("parameter", "empty")
	}
	if err := checkJSONValue("old_value", c.OldValue); err != nil {
		return err
	}
	return checkJSONValue("new_value", c.NewValue)
}
func (c *ParameterChangedContent) decodeFields(o *rawObject) (err error) {
	if c.Parameter, err = requireString(o, "parameter"); err != nil {
		return err
	}
	if c.OldValue, err = requireAny(o, "old_value"); err != nil {
		return err
	}
	c.NewValue, err = requireAny(o, "new_value")
	return err
}
func (c *ParameterChangedContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"parameter": `...)
	dst = appendPyString(dst, c.Parameter)
	dst = append(dst, `, "old_value": `...)
	dst = appendAny(dst, c.OldValue)
	dst = append(dst, `, "new_value": `...)
	dst = appendAny(dst, c.NewValue)
	return append(dst, '}')
}

// ParameterUnkownContent is the content of PARAMETER_UNKOWN.
type ParameterUnkownContent struct {
	Parameter string // "parameter"
}

func (*ParameterUnkownContent) Code() Code { return ParameterUnkown }
func (c *ParameterUnkownContent) Validate() error {
	if c.Parameter == "" {
		return fieldErr("parameter", "empty")
	}
	return nil
}
func (c *ParameterUnkownContent) decodeFields(o *rawObject) (err error) {
	c.Parameter, err = requireString(o, "parameter")
	return err
}
func (c *ParameterUnkownContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"parameter": `...)
	dst = appendPyString(dst, c.Parameter)
	return append(dst, '}')
}

// parameterRefusal is the shape of PARAMETER_INVALID_VALUE and PARAMETER_UNCHANGED.
type parameterRefusal struct {
	Parameter    string // "parameter"
	OldValue     any    // "old_value"
	ErrorMessage string // "error_message", optional
}

func (c *parameterRefusal) validate() error {
	if c.Parameter == "" {
		return fieldErr("parameter", "empty")
	}
	return checkJSONValue("old_value", c.OldValue)
}
func (c *parameterRefusal) decode(o *rawObject) (err error) {
	if c.Parameter, err = requireString(o, "parameter"); err != nil {
		return err
	}
	if c.OldValue, err = requireAny(o, "old_value"); err != nil {
		return err
	}
	return readMessage(o, "error_message", &c.ErrorMessage)
}
func (c *parameterRefusal) append(dst []byte) []byte {
	dst = append(dst, `{"parameter": `...)
	dst = appendPyString(dst, c.Parameter)
	dst = append(dst, `, "old_value": `...)
	dst = appendAny(dst, c.OldValue)
	dst = appendMessage(dst, false, "error_message", c.ErrorMessage)
	return append(dst, '}')
}

// ParameterInvalidValueContent is the content of PARAMETER_INVALID_VALUE.
type ParameterInvalidValueContent struct {
	Parameter    string // "parameter"
	OldValue     any    // "old_value"
	ErrorMessage string // "error_message", optional
}

func (*ParameterInvalidValueContent) Code() Code { return ParameterInvalidValue }
func (c *ParameterInvalidValueContent) Validate() error {
	return (*parameterRefusal)(c).validate()
}
func (c *ParameterInvalidValueContent) decodeFields(o *rawObject) error {
	return (*parameterRefusal)(c).decode(o)
}
func (c *ParameterInvalidValueContent) appendJSON(dst []byte) []byte {
	return (*parameterRefusal)(c).append(dst)
}

// ParameterUnchangedContent is the content of PARAMETER_UNCHANGED.
type ParameterUnchangedContent struct {
	Parameter    string // "parameter"
	OldValue     any    // "old_value"
	ErrorMessage string // "error_message", optional
}

func (*ParameterUnchangedContent) Code() Code { return ParameterUnchanged }
func (c *ParameterUnchangedContent) Validate() error {
	return (*parameterRefusal)(c).validate()
}
func (c *ParameterUnchangedContent) decodeFields(o *rawObject) error {
	return (*parameterRefusal)(c).decode(o)
}
func (c *ParameterUnchangedContent) appendJSON(dst []byte) []byte {
	return (*parameterRefusal)(c).append(dst)
}

// ---- 100-102: identification ----

// IdentificationRequestContent is the content of IDENTIFICATION_REQUEST.
type IdentificationRequestContent struct {
	SerialNumber string // "serial_number"
	QOSSTVersion string // "qosst_version", e.g. "QOSST/0.2"
}

func (*IdentificationRequestContent) Code() Code        { return IdentificationRequest }
func (c *IdentificationRequestContent) Validate() error { return nil }
func (c *IdentificationRequestContent) decodeFields(o *rawObject) (err error) {
	if c.SerialNumber, err = requireString(o, "serial_number"); err != nil {
		return err
	}
	c.QOSSTVersion, err = requireString(o, "qosst_version")
	return err
}
func (c *IdentificationRequestContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"serial_number": `...)
	dst = appendPyString(dst, c.SerialNumber)
	dst = append(dst, `, "qosst_version": `...)
	dst = appendPyString(dst, c.QOSSTVersion)
	return append(dst, '}')
}

// IdentificationResponseContent is the content of IDENTIFICATION_RESPONSE.
type IdentificationResponseContent struct {
	SerialNumber string // "serial_number"
}

func (*IdentificationResponseContent) Code() Code        { return IdentificationResponse }
func (c *IdentificationResponseContent) Validate() error { return nil }
func (c *IdentificationResponseContent) decodeFields(o *rawObject) (err error) {
	c.SerialNumber, err = requireString(o, "serial_number")
	return err
}
func (c *IdentificationResponseContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"serial_number": `...)
	dst = appendPyString(dst, c.SerialNumber)
	return append(dst, '}')
}

// InvalidQOSSTVersionContent is the content of INVALID_QOSST_VERSION.
type InvalidQOSSTVersionContent struct {
	QOSSTVersion string // "qosst_version": the version the server speaks
}

func (*InvalidQOSSTVersionContent) Code() Code        { return InvalidQOSSTVersion }
func (c *InvalidQOSSTVersionContent) Validate() error { return nil }
func (c *InvalidQOSSTVersionContent) decodeFields(o *rawObject) (err error) {
	c.QOSSTVersion, err = requireString(o, "qosst_version")
	return err
}
func (c *InvalidQOSSTVersionContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"qosst_version": `...)
	dst = appendPyString(dst, c.QOSSTVersion)
	return append(dst, '}')
}

// ---- 120-125: initialization ----

// InitializationRequestContent is the content of INITIALIZATION_REQUEST: the
// frame's UUID and Bob's free frame parameters (every other key of the
// object, e.g. "num_symbols", "symbol_rate", "detection", "variance"),
// decoded as encoding/json decodes into any (float64 for numbers).
type InitializationRequestContent struct {
	FrameUUID  uuid.UUID      // "frame_uuid"
	Parameters map[string]any // the other keys, optional
}

func (*InitializationRequestContent) Code() Code { return InitializationRequest }
func (c *InitializationRequestContent) Validate() error {
	if err := checkFrameUUID("frame_uuid", c.FrameUUID); err != nil {
		return err
	}
	for k, v := range c.Parameters {
		if k == "frame_uuid" {
			return fieldErr(k, "given twice (as a parameter)")
		}
		if err := checkJSONValue(k, v); err != nil {
			return err
		}
	}
	return nil
}
func (c *InitializationRequestContent) decodeFields(o *rawObject) (err error) {
	if c.FrameUUID, err = requireUUID(o, "frame_uuid"); err != nil {
		return err
	}
	for _, f := range o.fields {
		k := string(f.key)
		if k == "frame_uuid" {
			continue
		}
		var v any
		if err := json.Unmarshal(f.val, &v); err != nil {
			return fieldErr(k, "not a JSON value that fits (numbers must be finite float64)")
		}
		if c.Parameters == nil {
			c.Parameters = make(map[string]any, len(o.fields)-1)
		}
		c.Parameters[k] = v
	}
	return nil
}
func (c *InitializationRequestContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"frame_uuid": "`...)
	dst = appendUUID(dst, c.FrameUUID)
	dst = append(dst, '"')
	if len(c.Parameters) > 0 {
		m := appendMap(nil, c.Parameters, map[string]bool{"frame_uuid": true})
		if len(m) > 2 { // "{...}" with at least one key: splice its body in
			dst = append(dst, ", "...)
			dst = append(dst, m[1:len(m)-1]...)
		}
	}
	return append(dst, '}')
}

func appendUUID(dst []byte, u uuid.UUID) []byte {
	var b [36]byte
	// uuid.UUID.String allocates; encode into a stack buffer instead.
	const hx = "0123456789abcdef"
	j := 0
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hx[x>>4], hx[x&0xF]
		j += 2
	}
	return append(dst, b[:]...)
}

// InitializationDeniedContent is the content of INITIALIZATION_DENIED.
type InitializationDeniedContent struct {
	DenyMessage string // "deny_message"
}

func (*InitializationDeniedContent) Code() Code        { return InitializationDenied }
func (c *InitializationDeniedContent) Validate() error { return nil }
func (c *InitializationDeniedContent) decodeFields(o *rawObject) error {
	return messageContent{"deny_message", &c.DenyMessage}.decode(o)
}
func (c *InitializationDeniedContent) appendJSON(dst []byte) []byte {
	return messageContent{"deny_message", &c.DenyMessage}.append(dst)
}

// InitializationProposalContent is the content of INITIALIZATION_PROPOSAL:
// why Bob's parameters were refused and, optionally, Alice's own values.
type InitializationProposalContent struct {
	DenyMessage string         // "deny_message"
	Config      map[string]any // "config", optional: Alice's values, same keys as the request's parameters
}

func (*InitializationProposalContent) Code() Code { return InitializationProposal }
func (c *InitializationProposalContent) Validate() error {
	if c.Config != nil {
		return checkJSONValue("config", c.Config)
	}
	return nil
}
func (c *InitializationProposalContent) decodeFields(o *rawObject) (err error) {
	if err := readMessage(o, "deny_message", &c.DenyMessage); err != nil {
		return err
	}
	c.Config, _, err = readObject(o, "config")
	return err
}
func (c *InitializationProposalContent) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendMessage(dst, true, "deny_message", c.DenyMessage)
	if c.Config != nil {
		dst = appendKey(dst, c.DenyMessage == "", "config")
		dst = appendMap(dst, c.Config, nil)
	}
	return append(dst, '}')
}

// InitializationConfigContent is the content of INITIALIZATION_CONFIG:
// Alice's configuration proposal, e.g. {"frame": {"quantum": {...}}}.
type InitializationConfigContent struct {
	Config map[string]any // "config"
}

func (*InitializationConfigContent) Code() Code { return InitializationConfig }
func (c *InitializationConfigContent) Validate() error {
	if c.Config == nil {
		return fieldErr("config", "missing")
	}
	return checkJSONValue("config", c.Config)
}
func (c *InitializationConfigContent) decodeFields(o *rawObject) error {
	m, present, err := readObject(o, "config")
	if err == nil && !present {
		err = fieldErr("config", "missing")
	}
	c.Config = m
	return err
}
func (c *InitializationConfigContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"config": `...)
	dst = appendMap(dst, c.Config, nil)
	return append(dst, '}')
}

// ---- 140-145: quantum information exchange ----

// QIERequestContent is the content of QIE_REQUEST. The content is optional
// (qosst-bob sends none); when present, frame_uuid is required.
type QIERequestContent struct {
	FrameUUID uuid.UUID // "frame_uuid"
}

func (*QIERequestContent) Code() Code { return QIERequest }
func (c *QIERequestContent) Validate() error {
	return checkFrameUUID("frame_uuid", c.FrameUUID)
}
func (c *QIERequestContent) decodeFields(o *rawObject) (err error) {
	c.FrameUUID, err = requireUUID(o, "frame_uuid")
	return err
}
func (c *QIERequestContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"frame_uuid": "`...)
	dst = appendUUID(dst, c.FrameUUID)
	return append(dst, `"}`...)
}

// ---- 160-167: parameter estimation ----

// PESymbolsRequestContent is the content of PE_SYMBOLS_REQUEST. Indices must
// be non-negative; whether they are within the frame is Alice's call
// (PE_SYMBOLS_ERROR).
type PESymbolsRequestContent struct {
	Indices []int // "indices"
}

func (*PESymbolsRequestContent) Code() Code { return PESymbolsRequest }
func (c *PESymbolsRequestContent) Validate() error {
	for i, x := range c.Indices {
		if x < 0 {
			return fieldErr("indices", "element "+strconv.Itoa(i)+": negative")
		}
	}
	return nil
}
func (c *PESymbolsRequestContent) decodeFields(o *rawObject) (err error) {
	c.Indices, err = requireInts(o, "indices")
	return err
}
func (c *PESymbolsRequestContent) appendJSON(dst []byte) []byte {
	dst = growFor(dst, 16+estimateInts(c.Indices))
	dst = append(dst, `{"indices": `...)
	dst = appendIntArray(dst, c.Indices)
	return append(dst, '}')
}

// estimateFloats predicts the bytes appendFloatArray writes for v from a
// sample of its elements, a little over so that the buffer is sized once.
func estimateFloats(v []float64) int {
	const sample = 256
	if len(v) <= sample {
		return 2 + 26*len(v)
	}
	var tmp [32]byte
	n := 0
	step := len(v) / sample
	for i := 0; i < sample; i++ {
		n += len(appendPyFloat(tmp[:0], v[i*step]))
	}
	return 2 + len(v)*(n+2*sample)/sample*103/100 + 64
}

// estimateInts is estimateFloats for integers.
func estimateInts(v []int) int {
	const sample = 256
	if len(v) <= sample {
		return 2 + 22*len(v)
	}
	var tmp [24]byte
	n := 0
	step := len(v) / sample
	for i := 0; i < sample; i++ {
		n += len(strconv.AppendInt(tmp[:0], int64(v[i*step]), 10))
	}
	return 2 + len(v)*(n+2*sample)/sample*103/100 + 64
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

// PESymbolsResponseContent is the content of PE_SYMBOLS_RESPONSE: Alice's
// symbols at the requested indices, real and imaginary parts apart (SNU).
type PESymbolsResponseContent struct {
	SymbolsReal []float64 // "symbols_real"
	SymbolsImag []float64 // "symbols_imag", same length
}

func (*PESymbolsResponseContent) Code() Code { return PESymbolsResponse }
func (c *PESymbolsResponseContent) Validate() error {
	if len(c.SymbolsReal) != len(c.SymbolsImag) {
		return fieldErr("symbols_imag", "length "+strconv.Itoa(len(c.SymbolsImag))+
			" differs from symbols_real's "+strconv.Itoa(len(c.SymbolsReal)))
	}
	if err := checkFiniteArray("symbols_real", c.SymbolsReal); err != nil {
		return err
	}
	return checkFiniteArray("symbols_imag", c.SymbolsImag)
}
func (c *PESymbolsResponseContent) decodeFields(o *rawObject) (err error) {
	if c.SymbolsReal, err = requireFloats(o, "symbols_real"); err != nil {
		return err
	}
	c.SymbolsImag, err = requireFloats(o, "symbols_imag")
	return err
}
func (c *PESymbolsResponseContent) appendJSON(dst []byte) []byte {
	dst = growFor(dst, 40+estimateFloats(c.SymbolsReal)+estimateFloats(c.SymbolsImag))
	dst = append(dst, `{"symbols_real": `...)
	dst = appendFloatArray(dst, c.SymbolsReal)
	dst = append(dst, `, "symbols_imag": `...)
	dst = appendFloatArray(dst, c.SymbolsImag)
	return append(dst, '}')
}

// Symbols returns the symbols as complex numbers.
func (c *PESymbolsResponseContent) Symbols() []complex128 {
	n := min(len(c.SymbolsReal), len(c.SymbolsImag))
	out := make([]complex128, n)
	for i := range out {
		out[i] = complex(c.SymbolsReal[i], c.SymbolsImag[i])
	}
	return out
}

// NewPESymbolsResponse splits symbols into the two arrays of the content.
func NewPESymbolsResponse(symbols []complex128) *PESymbolsResponseContent {
	c := &PESymbolsResponseContent{
		SymbolsReal: make([]float64, len(symbols)),
		SymbolsImag: make([]float64, len(symbols)),
	}
	for i, s := range symbols {
		c.SymbolsReal[i], c.SymbolsImag[i] = real(s), imag(s)
	}
	return c
}

// PESymbolsErrorContent is the content of PE_SYMBOLS_ERROR.
type PESymbolsErrorContent struct {
	ErrorMessage string // "error_message"
}

func (*PESymbolsErrorContent) Code() Code        { return PESymbolsError }
func (c *PESymbolsErrorContent) Validate() error { return nil }
func (c *PESymbolsErrorContent) decodeFields(o *rawObject) error {
	return messageContent{"error_message", &c.ErrorMessage}.decode(o)
}
func (c *PESymbolsErrorContent) appendJSON(dst []byte) []byte {
	return messageContent{"error_message", &c.ErrorMessage}.append(dst)
}

// PENphotonResponseContent is the content of PE_NPHOTON_RESPONSE.
type PENphotonResponseContent struct {
	NPhoton float64 // "n_photon": mean photon number per symbol, Va = 2<n>; finite, >= 0
}

func (*PENphotonResponseContent) Code() Code { return PENphotonResponse }
func (c *PENphotonResponseContent) Validate() error {
	return checkNonNegative("n_photon", c.NPhoton)
}
func (c *PENphotonResponseContent) decodeFields(o *rawObject) (err error) {
	c.NPhoton, err = requireFloat(o, "n_photon")
	return err
}
func (c *PENphotonResponseContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"n_photon": `...)
	dst = appendPyFloat(dst, c.NPhoton)
	return append(dst, '}')
}

// PEFinishedContent is the content of PE_FINISHED: Bob's estimates. All
// fields are required and finite; n_photon, eta and electronic_noise are
// non-negative (transmittance, excess noise and key rate are statistical
// estimates and may fall below zero).
type PEFinishedContent struct {
	NPhoton         float64 // "n_photon"
	Transmittance   float64 // "transmittance": channel T, detector excluded
	ExcessNoise     float64 // "excess_noise": ξ at the channel input, SNU
	ElectronicNoise float64 // "electronic_noise": v_el, SNU
	Eta             float64 // "eta": detector efficiency
	KeyRate         float64 // "key_rate": bit/s
}

var peFinishedFields = [...]string{"n_photon", "transmittance", "excess_noise", "electronic_noise", "eta", "key_rate"}

func (c *PEFinishedContent) fields() [6]*float64 {
	return [6]*float64{&c.NPhoton, &c.Transmittance, &c.ExcessNoise, &c.ElectronicNoise, &c.Eta, &c.KeyRate}
}

func (*PEFinishedContent) Code() Code { return PEFinished }
func (c *PEFinishedContent) Validate() error {
	for i, p := range c.fields() {
		if err := checkFinite(peFinishedFields[i], *p); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"n_photon", c.NPhoton}, {"electronic_noise", c.ElectronicNoise}, {"eta", c.Eta}} {
		if f.v < 0 {
			return fieldErr(f.name, "negative")
		}
	}
	return nil
}
func (c *PEFinishedContent) decodeFields(o *rawObject) (err error) {
	for i, p := range c.fields() {
		if *p, err = requireFloat(o, peFinishedFields[i]); err != nil {
			return err
		}
	}
	return nil
}
func (c *PEFinishedContent) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for i, p := range c.fields() {
		dst = appendKey(dst, i == 0, peFinishedFields[i])
		dst = appendPyFloat(dst, *p)
	}
	return append(dst, '}')
}

// PEDeniedContent is the content of PE_DENIED.
type PEDeniedContent struct {
	DenyMessage string // "deny_message"
}

func (*PEDeniedContent) Code() Code        { return PEDenied }
func (c *PEDeniedContent) Validate() error { return nil }
func (c *PEDeniedContent) decodeFields(o *rawObject) error {
	return messageContent{"deny_message", &c.DenyMessage}.decode(o)
}
func (c *PEDeniedContent) appendJSON(dst []byte) []byte {
	return messageContent{"deny_message", &c.DenyMessage}.append(dst)
}
