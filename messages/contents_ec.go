package messages

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/google/uuid"
)

// ---- 180-191: error correction ----

// LDPCParams describes a parity-check matrix that both stations generate
// from the same parameters (the construction belongs to the EC code).
type LDPCParams struct {
	N            int   // "n": code length (bits per block), > 0
	K            int   // "k": information bits, 0 < k < n
	ColumnWeight int   // "column_weight": ones per column, 1 <= w <= n-k
	Seed         int64 // "seed": generator seed
}

// SparseMatrix is a parity-check matrix as the column indices of the ones
// of each row.
type SparseMatrix struct {
	N    int     // "n": number of columns, > 0
	Rows [][]int // "rows": per row, column indices in [0, n)
}

// ECInitializationContent is the content of EC_INITIALIZATION. Exactly one
// of LDPC, Matrix (the spec's dense field) and SparseMatrix is given.
type ECInitializationContent struct {
	Noise          float64       // "noise": Bob's noise variance estimate per quadrature, SNU; finite, >= 0
	LDPC           *LDPCParams   // "ldpc"
	Matrix         [][]uint8     // "matrix": dense 0/1 rows, rectangular
	SparseMatrix   *SparseMatrix // "sparse_matrix"
	Reconciliation string        // "reconciliation", optional ("" means "sign")
	Blocks         int           // "blocks", optional (0 = not announced), >= 0
}

func (*ECInitializationContent) Code() Code { return ECInitialization }
func (c *ECInitializationContent) Validate() error {
	if err := checkNonNegative("noise", c.Noise); err != nil {
		return err
	}
	n := 0
	if c.LDPC != nil {
		n++
	}
	if c.Matrix != nil {
		n++
	}
	if c.SparseMatrix != nil {
		n++
	}
	if n != 1 {
		return fieldErr("ldpc", "exactly one of ldpc, matrix and sparse_matrix must be given")
	}
	if c.Blocks < 0 {
		return fieldErr("blocks", "negative")
	}
	if p := c.LDPC; p != nil {
		switch {
		case p.N <= 0:
			return fieldErr("ldpc.n", "not positive")
		case p.K <= 0 || p.K >= p.N:
			return fieldErr("ldpc.k", "not in (0, n)")
		case p.ColumnWeight < 1 || p.ColumnWeight > p.N-p.K:
			return fieldErr("ldpc.column_weight", "not in [1, n-k]")
		}
	}
	if m := c.Matrix; m != nil {
		if len(m) == 0 || len(m[0]) == 0 {
			return fieldErr("matrix", "empty")
		}
		for i, row := range m {
			if len(row) != len(m[0]) {
				return fieldErr("matrix", "row "+strconv.Itoa(i)+": length "+strconv.Itoa(len(row))+", row 0 has "+strconv.Itoa(len(m[0])))
			}
			for j, b := range row {
				if b > 1 {
					return fieldErr("matrix", "row "+strconv.Itoa(i)+" element "+strconv.Itoa(j)+": "+errNotBit.Error())
				}
			}
		}
	}
	if s := c.SparseMatrix; s != nil {
		if s.N <= 0 {
			return fieldErr("sparse_matrix.n", "not positive")
		}
		if len(s.Rows) == 0 {
			return fieldErr("sparse_matrix.rows", "empty")
		}
		for i, row := range s.Rows {
			for j, col := range row {
				if col < 0 || col >= s.N {
					return fieldErr("sparse_matrix.rows", "row "+strconv.Itoa(i)+" element "+strconv.Itoa(j)+": column "+strconv.Itoa(col)+" not in [0, n)")
				}
			}
		}
	}
	return nil
}

func (c *ECInitializationContent) decodeFields(o *rawObject) (err error) {
	if c.Noise, err = requireFloat(o, "noise"); err != nil {
		return err
	}
	if raw, ok := o.get("ldpc"); ok {
		sub, err := subObject("ldpc", raw)
		if err != nil {
			return err
		}
		p := &LDPCParams{}
		for _, f := range []struct {
			name string
			dst  *int
		}{{"n", &p.N}, {"k", &p.K}, {"column_weight", &p.ColumnWeight}} {
			v, err := requireInt(sub, f.name)
			if err != nil {
				return prefixed("ldpc.", err)
			}
			if int64(int(v)) != v {
				return fieldErr("ldpc."+f.name, errRange.Error())
			}
			*f.dst = int(v)
		}
		if p.Seed, err = requireInt(sub, "seed"); err != nil {
			return prefixed("ldpc.", err)
		}
		c.LDPC = p
	}
	if raw, ok := o.get("matrix"); ok {
		var rows []json.RawMessage
		if err := json.Unmarshal(raw, &rows); err != nil || rows == nil {
			return fieldErr("matrix", "not an array of rows")
		}
		c.Matrix = make([][]uint8, len(rows))
		for i, r := range rows {
			sub := &rawObject{fields: []rawField{{[]byte("row"), r}}}
			if c.Matrix[i], err = requireBits(sub, "row"); err != nil {
				return fieldErr("matrix", "row "+strconv.Itoa(i)+": "+err.(*ContentError).Reason)
			}
		}
	}
	if raw, ok := o.get("sparse_matrix"); ok {
		sub, err := subObject("sparse_matrix", raw)
		if err != nil {
			return err
		}
		s := &SparseMatrix{}
		v, err := requireInt(sub, "n")
		if err != nil {
			return prefixed("sparse_matrix.", err)
		}
		if int64(int(v)) != v {
			return fieldErr("sparse_matrix.n", errRange.Error())
		}
		s.N = int(v)
		rraw, ok := sub.get("rows")
		if !ok {
			return fieldErr("sparse_matrix.rows", "missing")
		}
		var rows []json.RawMessage
		if err := json.Unmarshal(rraw, &rows); err != nil || rows == nil {
			return fieldErr("sparse_matrix.rows", "not an array of rows")
		}
		s.Rows = make([][]int, len(rows))
		for i, r := range rows {
			var aerr *arrayError
			if s.Rows[i], aerr = parseIntArray(r); aerr != nil {
				return fieldErr("sparse_matrix.rows", "row "+strconv.Itoa(i)+": "+arrayFieldErr("", aerr).Reason)
			}
		}
		c.SparseMatrix = s
	}
	if c.Reconciliation, _, err = readString(o, "reconciliation"); err != nil {
		return err
	}
	b, _, err := readInt(o, "blocks")
	if err != nil {
		return err
	}
	if int64(int(b)) != b {
		return fieldErr("blocks", errRange.Error())
	}
	c.Blocks = int(b)
	return nil
}

func subObject(field string, raw []byte) (*rawObject, error) {
	sub, err := parseObject(raw, false)
	if err != nil {
		return nil, fieldErr(field, "not a JSON object")
	}
	return sub, nil
}

func prefixed(prefix string, err error) error {
	if ce, ok := err.(*ContentError); ok {
		ce.Field = prefix + ce.Field
		return ce
	}
	return err
}

func (c *ECInitializationContent) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	if c.Matrix != nil {
		dst = appendKey(dst, first, "matrix")
		first = false
		dst = append(dst, '[')
		for i, row := range c.Matrix {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendBits(dst, row)
		}
		dst = append(dst, ']')
	}
	dst = appendKey(dst, first, "noise")
	dst = appendPyFloat(dst, c.Noise)
	if p := c.LDPC; p != nil {
		dst = append(dst, `, "ldpc": {"n": `...)
		dst = strconv.AppendInt(dst, int64(p.N), 10)
		dst = append(dst, `, "k": `...)
		dst = strconv.AppendInt(dst, int64(p.K), 10)
		dst = append(dst, `, "column_weight": `...)
		dst = strconv.AppendInt(dst, int64(p.ColumnWeight), 10)
		dst = append(dst, `, "seed": `...)
		dst = strconv.AppendInt(dst, p.Seed, 10)
		dst = append(dst, '}')
	}
	if s := c.SparseMatrix; s != nil {
		dst = append(dst, `, "sparse_matrix": {"n": `...)
		dst = strconv.AppendInt(dst, int64(s.N), 10)
		dst = append(dst, `, "rows": [`...)
		for i, row := range s.Rows {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendIntArray(dst, row)
		}
		dst = append(dst, "]}"...)
	}
	if c.Reconciliation != "" {
		dst = append(dst, `, "reconciliation": `...)
		dst = appendPyString(dst, c.Reconciliation)
	}
	if c.Blocks != 0 {
		dst = append(dst, `, "blocks": `...)
		dst = strconv.AppendInt(dst, int64(c.Blocks), 10)
	}
	return append(dst, '}')
}

// ECDeniedContent is the content of EC_DENIED.
type ECDeniedContent struct {
	ErrorMessage string // "error_message"
}

func (*ECDeniedContent) Code() Code        { return ECDenied }
func (c *ECDeniedContent) Validate() error { return nil }
func (c *ECDeniedContent) decodeFields(o *rawObject) error {
	return messageContent{"error_message", &c.ErrorMessage}.decode(o)
}
func (c *ECDeniedContent) appendJSON(dst []byte) []byte {
	return messageContent{"error_message", &c.ErrorMessage}.append(dst)
}

// ECBlockContent is the content of EC_BLOCK. The syndrome is carried as
// numbers (the reference example has floats); the EC stage checks that they
// are bits with Bits and answers EC_BLOCK_ERROR otherwise. Integral values
// are written as integers: [0, 1, 1, ...].
//
// Multidimensional reconciliation adds Bob's side information for the
// block: "rotation", the coordinates of one unit octonion per group of 8
// quadratures (N numbers for a block of N bits), and "norms", the norm of
// each group (N/8 non-negative numbers). Both are given or neither; sign
// reconciliation sends neither. Whether N matches the plan is the EC stage's
// check (EC_BLOCK_ERROR).
type ECBlockContent struct {
	Block    int       // "block": block index, >= 0 (absent reads as 0)
	Syndrome []float64 // "syndrome": finite numbers
	Rotation []float64 // "rotation", optional: finite numbers, 8 per norm
	Norms    []float64 // "norms", optional: finite non-negative numbers
}

func (*ECBlockContent) Code() Code { return ECBlock }
func (c *ECBlockContent) Validate() error {
	if c.Block < 0 {
		return fieldErr("block", "negative")
	}
	if err := checkFiniteArray("syndrome", c.Syndrome); err != nil {
		return err
	}
	switch {
	case c.Rotation == nil && c.Norms == nil:
		return nil
	case c.Rotation == nil:
		return fieldErr("rotation", "missing while norms is given")
	case c.Norms == nil:
		return fieldErr("norms", "missing while rotation is given")
	case len(c.Rotation) != 8*len(c.Norms):
		return fieldErr("rotation", strconv.Itoa(len(c.Rotation))+" numbers for "+strconv.Itoa(len(c.Norms))+" norms, want 8 per norm")
	}
	if err := checkFiniteArray("rotation", c.Rotation); err != nil {
		return err
	}
	if err := checkFiniteArray("norms", c.Norms); err != nil {
		return err
	}
	for i, f := range c.Norms {
		if f < 0 {
			return fieldErr("norms", "element "+strconv.Itoa(i)+": negative")
		}
	}
	return nil
}
func (c *ECBlockContent) decodeFields(o *rawObject) (err error) {
	b, _, err := readInt(o, "block")
	if err != nil {
		return err
	}
	if int64(int(b)) != b {
		return fieldErr("block", errRange.Error())
	}
	c.Block = int(b)
	if c.Syndrome, err = requireFloats(o, "syndrome"); err != nil {
		return err
	}
	if c.Rotation, err = readFloats(o, "rotation"); err != nil {
		return err
	}
	c.Norms, err = readFloats(o, "norms")
	return err
}

// readFloats reads an optional number array (nil when absent or null).
func readFloats(o *rawObject, field string) ([]float64, error) {
	if raw, ok := o.get(field); !ok || isNull(raw) {
		return nil, nil
	}
	return requireFloats(o, field)
}

func (c *ECBlockContent) appendJSON(dst []byte) []byte {
	dst = growFor(dst, 32+3*len(c.Syndrome))
	dst = append(dst, `{"block": `...)
	dst = strconv.AppendInt(dst, int64(c.Block), 10)
	dst = append(dst, `, "syndrome": [`...)
	for i, f := range c.Syndrome {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		switch {
		case f == 0 && !math.Signbit(f):
			dst = append(dst, '0')
		case f == 1:
			dst = append(dst, '1')
		case f == math.Trunc(f) && math.Abs(f) < 1<<53:
			dst = strconv.AppendInt(dst, int64(f), 10)
		default:
			dst = appendPyFloat(dst, f)
		}
	}
	dst = append(dst, ']')
	if c.Rotation != nil || c.Norms != nil {
		dst = append(dst, `, "rotation": `...)
		dst = appendFloatArray(dst, c.Rotation)
		dst = append(dst, `, "norms": `...)
		dst = appendFloatArray(dst, c.Norms)
	}
	return append(dst, '}')
}

// Bits returns the syndrome as bits, or a *ContentError naming the first
// element that is not 0 or 1.
func (c *ECBlockContent) Bits() ([]uint8, error) {
	out := make([]uint8, len(c.Syndrome))
	for i, f := range c.Syndrome {
		switch f {
		case 0:
		case 1:
			out[i] = 1
		default:
			return nil, &ContentError{Code: ECBlock, Field: "syndrome", Reason: "element " + strconv.Itoa(i) + ": " + errNotBit.Error()}
		}
	}
	return out, nil
}

// NewECBlock builds an EC_BLOCK content from syndrome bits (each 0 or 1).
func NewECBlock(block int, bits []uint8) *ECBlockContent {
	s := make([]float64, len(bits))
	for i, b := range bits {
		s[i] = float64(b)
	}
	return &ECBlockContent{Block: block, Syndrome: s}
}

// ECBlockErrorContent is the content of EC_BLOCK_ERROR.
type ECBlockErrorContent struct {
	ErrorMessage string // "error_message"
}

func (*ECBlockErrorContent) Code() Code        { return ECBlockError }
func (c *ECBlockErrorContent) Validate() error { return nil }
func (c *ECBlockErrorContent) decodeFields(o *rawObject) error {
	return messageContent{"error_message", &c.ErrorMessage}.decode(o)
}
func (c *ECBlockErrorContent) appendJSON(dst []byte) []byte {
	return messageContent{"error_message", &c.ErrorMessage}.append(dst)
}

// ECRemainingContent is the content of EC_REMAINING: free fields for a
// second correction algorithm, decoded as encoding/json decodes into any.
type ECRemainingContent struct {
	Fields map[string]any
}

func (*ECRemainingContent) Code() Code { return ECRemaining }
func (c *ECRemainingContent) Validate() error {
	for k, v := range c.Fields {
		if err := checkJSONValue(k, v); err != nil {
			return err
		}
	}
	return nil
}
func (c *ECRemainingContent) decodeFields(o *rawObject) error {
	for _, f := range o.fields {
		k := string(f.key)
		var v any
		if err := json.Unmarshal(f.val, &v); err != nil {
			return fieldErr(k, "not a JSON value that fits (numbers must be finite float64)")
		}
		if c.Fields == nil {
			c.Fields = make(map[string]any, len(o.fields))
		}
		c.Fields[k] = v
	}
	return nil
}
func (c *ECRemainingContent) appendJSON(dst []byte) []byte {
	return appendMap(dst, c.Fields, nil)
}

// ECRemainingErrorContent is the content of EC_REMAINING_ERROR.
type ECRemainingErrorContent struct {
	ErrorMessage string // "error_message"
}

func (*ECRemainingErrorContent) Code() Code        { return ECRemainingError }
func (c *ECRemainingErrorContent) Validate() error { return nil }
func (c *ECRemainingErrorContent) decodeFields(o *rawObject) error {
	return messageContent{"error_message", &c.ErrorMessage}.decode(o)
}
func (c *ECRemainingErrorContent) appendJSON(dst []byte) []byte {
	return messageContent{"error_message", &c.ErrorMessage}.append(dst)
}

// ECVerificationContent is the content of EC_VERIFICATION.
type ECVerificationContent struct {
	Hash int64 // "hash": 63-bit non-negative integer, read exactly (never through float64)
}

func (*ECVerificationContent) Code() Code { return ECVerification }
func (c *ECVerificationContent) Validate() error {
	if c.Hash < 0 {
		return fieldErr("hash", "negative")
	}
	return nil
}
func (c *ECVerificationContent) decodeFields(o *rawObject) (err error) {
	c.Hash, err = requireInt(o, "hash")
	return err
}
func (c *ECVerificationContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"hash": `...)
	dst = strconv.AppendInt(dst, c.Hash, 10)
	return append(dst, '}')
}

// ECVerificationFailContent is the content of EC_VERIFICATION_FAIL.
type ECVerificationFailContent struct {
	ErrorMessage string // "error_message"
}

func (*ECVerificationFailContent) Code() Code        { return ECVerificationFail }
func (c *ECVerificationFailContent) Validate() error { return nil }
func (c *ECVerificationFailContent) decodeFields(o *rawObject) error {
	return messageContent{"error_message", &c.ErrorMessage}.decode(o)
}
func (c *ECVerificationFailContent) appendJSON(dst []byte) []byte {
	return messageContent{"error_message", &c.ErrorMessage}.append(dst)
}

// ---- 200-202: privacy amplification ----

// PARequestContent is the content of PA_REQUEST (Toeplitz hashing; the
// construction belongs to the PA code).
type PARequestContent struct {
	Seed               []uint8 // "seed": bits
	SecretKeyLength    int     // "secret_key_length": >= 0
	SubblockLength     int     // "subblock_length": > 0
	FeedbackPolynomial []uint8 // "feedback_polynomial": bits
}

func (*PARequestContent) Code() Code { return PARequest }
func (c *PARequestContent) Validate() error {
	for _, f := range []struct {
		name string
		v    []uint8
	}{{"seed", c.Seed}, {"feedback_polynomial", c.FeedbackPolynomial}} {
		for i, b := range f.v {
			if b > 1 {
				return fieldErr(f.name, "element "+strconv.Itoa(i)+": "+errNotBit.Error())
			}
		}
	}
	if c.SecretKeyLength < 0 {
		return fieldErr("secret_key_length", "negative")
	}
	if c.SubblockLength <= 0 {
		return fieldErr("subblock_length", "not positive")
	}
	return nil
}
func (c *PARequestContent) decodeFields(o *rawObject) (err error) {
	if c.Seed, err = requireBits(o, "seed"); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"secret_key_length", &c.SecretKeyLength}, {"subblock_length", &c.SubblockLength}} {
		v, err := requireInt(o, f.name)
		if err != nil {
			return err
		}
		if int64(int(v)) != v {
			return fieldErr(f.name, errRange.Error())
		}
		*f.dst = int(v)
	}
	c.FeedbackPolynomial, err = requireBits(o, "feedback_polynomial")
	return err
}
func (c *PARequestContent) appendJSON(dst []byte) []byte {
	dst = growFor(dst, 96+3*(len(c.Seed)+len(c.FeedbackPolynomial)))
	dst = append(dst, `{"seed": `...)
	dst = appendBits(dst, c.Seed)
	dst = append(dst, `, "secret_key_length": `...)
	dst = strconv.AppendInt(dst, int64(c.SecretKeyLength), 10)
	dst = append(dst, `, "subblock_length": `...)
	dst = strconv.AppendInt(dst, int64(c.SubblockLength), 10)
	dst = append(dst, `, "feedback_polynomial": `...)
	dst = appendBits(dst, c.FeedbackPolynomial)
	return append(dst, '}')
}

// PAErrorContent is the content of PA_ERROR.
type PAErrorContent struct {
	ErrorMessage string // "error_message"
}

func (*PAErrorContent) Code() Code        { return PAError }
func (c *PAErrorContent) Validate() error { return nil }
func (c *PAErrorContent) decodeFields(o *rawObject) error {
	return messageContent{"error_message", &c.ErrorMessage}.decode(o)
}
func (c *PAErrorContent) appendJSON(dst []byte) []byte {
	return messageContent{"error_message", &c.ErrorMessage}.append(dst)
}

// ---- 220-221: end of frame ----

// FrameEndedContent is the content of FRAME_ENDED.
type FrameEndedContent struct {
	FrameUUID uuid.UUID // "frame_uuid"
}

func (*FrameEndedContent) Code() Code { return FrameEnded }
func (c *FrameEndedContent) Validate() error {
	return checkFrameUUID("frame_uuid", c.FrameUUID)
}
func (c *FrameEndedContent) decodeFields(o *rawObject) (err error) {
	c.FrameUUID, err = requireUUID(o, "frame_uuid")
	return err
}
func (c *FrameEndedContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"frame_uuid": "`...)
	dst = appendUUID(dst, c.FrameUUID)
	return append(dst, `"}`...)
}

// FrameEndedAckContent is the content of FRAME_ENDED_ACK.
type FrameEndedAckContent struct {
	FrameUUID uuid.UUID // "frame_uuid"
}

func (*FrameEndedAckContent) Code() Code { return FrameEndedAck }
func (c *FrameEndedAckContent) Validate() error {
	return checkFrameUUID("frame_uuid", c.FrameUUID)
}
func (c *FrameEndedAckContent) decodeFields(o *rawObject) (err error) {
	c.FrameUUID, err = requireUUID(o, "frame_uuid")
	return err
}
func (c *FrameEndedAckContent) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"frame_uuid": "`...)
	dst = appendUUID(dst, c.FrameUUID)
	return append(dst, `"}`...)
}
