package messages

import (
	"math"
	"strconv"

	"github.com/google/uuid"
)

// The typed contents, one per code that carries content: plain structs whose
// json tags give the wire keys. A field tagged omitzero is optional (absent
// reads as its zero value and a zero value is not written); every other
// field is required. Message fields (error_message, deny_message,
// abort_message) are optional everywhere. Validate checks what the types do
// not.

// ---- 10-17: errors and aborts ----

// UnkownCommandContent is the content of UNKOWN_COMMAND.
type UnkownCommandContent struct {
	Command Code `json:"code"` // the code that was not understood
}

func (*UnkownCommandContent) Code() Code        { return UnkownCommand }
func (c *UnkownCommandContent) Validate() error { return checkCommand(c.Command) }

// UnexpectedCommandContent is the content of UNEXPECTED_COMMAND.
type UnexpectedCommandContent struct {
	Command      Code   `json:"code"` // the code that was not legal here
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*UnexpectedCommandContent) Code() Code        { return UnexpectedCommand }
func (c *UnexpectedCommandContent) Validate() error { return checkCommand(c.Command) }

// InvalidContentContent is the content of INVALID_CONTENT.
type InvalidContentContent struct {
	Command      Code   `json:"code"`                   // the code whose content was invalid
	ErrorMessage string `json:"error_message,omitzero"` // which field and why
}

func (*InvalidContentContent) Code() Code        { return InvalidContent }
func (c *InvalidContentContent) Validate() error { return checkCommand(c.Command) }

// checkCommand keeps a code within the int32 range that the decoder accepts.
func checkCommand(c Code) error {
	if c < math.MinInt32 || c > math.MaxInt32 {
		return fieldErr("code", errRange.Error())
	}
	return nil
}

// InvalidResponseContent is the content of INVALID_RESPONSE (optional).
type InvalidResponseContent struct {
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*InvalidResponseContent) Code() Code      { return InvalidResponse }
func (*InvalidResponseContent) Validate() error { return nil }

// AbortContent is the content of ABORT (optional). FrameUUID is ours (an
// extra field, ignored by the reference peers): Alice sets it when she
// answers a FRAME_ENDED sent in state identified (key recovery) for a frame
// whose key she does not hold and will never write, so that Bob may delete
// his pending key; an ABORT without it says nothing about any key.
type AbortContent struct {
	AbortMessage string    `json:"abort_message,omitzero"`
	FrameUUID    uuid.UUID `json:"frame_uuid,omitzero"` // uuid.Nil: absent
}

func (*AbortContent) Code() Code      { return Abort }
func (*AbortContent) Validate() error { return nil }

// ---- 50-54: parameter change ----

// ChangeParameterRequestContent is the content of CHANGE_PARAMETER_REQUEST.
// Value is any JSON value, decoded as encoding/json decodes into any
// (float64 for numbers).
type ChangeParameterRequestContent struct {
	Parameter string `json:"parameter"` // dotted configuration path, e.g. frame.quantum.roll_off
	Value     any    `json:"value"`
}

func (*ChangeParameterRequestContent) Code() Code { return ChangeParameterRequest }
func (c *ChangeParameterRequestContent) Validate() error {
	if err := checkParameter(c.Parameter); err != nil {
		return err
	}
	return checkJSONValue("value", c.Value)
}

func checkParameter(p string) error {
	if p == "" {
		return fieldErr("parameter", "empty")
	}
	return nil
}

// ParameterChangedContent is the content of PARAMETER_CHANGED.
type ParameterChangedContent struct {
	Parameter string `json:"parameter"`
	OldValue  any    `json:"old_value"`
	NewValue  any    `json:"new_value"`
}

func (*ParameterChangedContent) Code() Code { return ParameterChanged }
func (c *ParameterChangedContent) Validate() error {
	if err := checkParameter(c.Parameter); err != nil {
		return err
	}
	if err := checkJSONValue("old_value", c.OldValue); err != nil {
		return err
	}
	return checkJSONValue("new_value", c.NewValue)
}

// ParameterUnkownContent is the content of PARAMETER_UNKOWN.
type ParameterUnkownContent struct {
	Parameter string `json:"parameter"`
}

func (*ParameterUnkownContent) Code() Code        { return ParameterUnkown }
func (c *ParameterUnkownContent) Validate() error { return checkParameter(c.Parameter) }

// ParameterInvalidValueContent is the content of PARAMETER_INVALID_VALUE.
type ParameterInvalidValueContent struct {
	Parameter    string `json:"parameter"`
	OldValue     any    `json:"old_value"`
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*ParameterInvalidValueContent) Code() Code { return ParameterInvalidValue }
func (c *ParameterInvalidValueContent) Validate() error {
	if err := checkParameter(c.Parameter); err != nil {
		return err
	}
	return checkJSONValue("old_value", c.OldValue)
}

// ParameterUnchangedContent is the content of PARAMETER_UNCHANGED.
type ParameterUnchangedContent struct {
	Parameter    string `json:"parameter"`
	OldValue     any    `json:"old_value"`
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*ParameterUnchangedContent) Code() Code { return ParameterUnchanged }
func (c *ParameterUnchangedContent) Validate() error {
	return (*ParameterInvalidValueContent)(c).Validate()
}

// ---- 100-102: identification ----

// IdentificationRequestContent is the content of IDENTIFICATION_REQUEST.
type IdentificationRequestContent struct {
	SerialNumber string `json:"serial_number"`
	QOSSTVersion string `json:"qosst_version"` // e.g. "QOSST/0.2"
}

func (*IdentificationRequestContent) Code() Code { return IdentificationRequest }
func (c *IdentificationRequestContent) Validate() error {
	return checkIdentification(c.SerialNumber, c.QOSSTVersion)
}

// IdentificationResponseContent is the content of IDENTIFICATION_RESPONSE.
type IdentificationResponseContent struct {
	SerialNumber string `json:"serial_number"`
}

func (*IdentificationResponseContent) Code() Code { return IdentificationResponse }
func (c *IdentificationResponseContent) Validate() error {
	return checkIdentification(c.SerialNumber, "")
}

// InvalidQOSSTVersionContent is the content of INVALID_QOSST_VERSION.
type InvalidQOSSTVersionContent struct {
	QOSSTVersion string `json:"qosst_version"` // the version the server speaks
}

func (*InvalidQOSSTVersionContent) Code() Code      { return InvalidQOSSTVersion }
func (*InvalidQOSSTVersionContent) Validate() error { return nil }

// ---- 120-125: initialization ----

// InitializationRequestContent is the content of INITIALIZATION_REQUEST: the
// frame's UUID and Bob's free frame parameters (every other key of the
// object, e.g. "num_symbols", "symbol_rate", "detection", "variance"),
// decoded as encoding/json decodes into any (float64 for numbers).
type InitializationRequestContent struct {
	FrameUUID  uuid.UUID      `json:"frame_uuid"`
	Parameters map[string]any `json:"-" content:"rest"` // the other keys, optional
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

// InitializationDeniedContent is the content of INITIALIZATION_DENIED.
type InitializationDeniedContent struct {
	DenyMessage string `json:"deny_message,omitzero"`
}

func (*InitializationDeniedContent) Code() Code      { return InitializationDenied }
func (*InitializationDeniedContent) Validate() error { return nil }

// InitializationProposalContent is the content of INITIALIZATION_PROPOSAL:
// why Bob's parameters were refused and, optionally, Alice's own values.
type InitializationProposalContent struct {
	DenyMessage string         `json:"deny_message,omitzero"`
	Config      map[string]any `json:"config,omitzero"` // Alice's values, same keys as the request's parameters
}

func (*InitializationProposalContent) Code() Code { return InitializationProposal }
func (c *InitializationProposalContent) Validate() error {
	if c.Config != nil {
		return checkJSONValue("config", c.Config)
	}
	return nil
}

// InitializationConfigContent is the content of INITIALIZATION_CONFIG:
// Alice's configuration proposal, e.g. {"frame": {"quantum": {...}}}.
type InitializationConfigContent struct {
	Config map[string]any `json:"config"`
}

func (*InitializationConfigContent) Code() Code { return InitializationConfig }
func (c *InitializationConfigContent) Validate() error {
	if c.Config == nil {
		return fieldErr("config", "missing")
	}
	return checkJSONValue("config", c.Config)
}

// ---- 140-145: quantum information exchange ----

// QIERequestContent is the content of QIE_REQUEST. The content is optional
// (qosst-bob sends none); when present, frame_uuid is required.
type QIERequestContent struct {
	FrameUUID uuid.UUID `json:"frame_uuid"`
}

func (*QIERequestContent) Code() Code        { return QIERequest }
func (c *QIERequestContent) Validate() error { return checkFrameUUID("frame_uuid", c.FrameUUID) }

// ---- 160-167: parameter estimation ----

// PESymbolsRequestContent is the content of PE_SYMBOLS_REQUEST. Indices must
// be non-negative; whether they are within the frame is Alice's call
// (PE_SYMBOLS_ERROR).
type PESymbolsRequestContent struct {
	Indices Numbers[int] `json:"indices"`
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

// PESymbolsResponseContent is the content of PE_SYMBOLS_RESPONSE: Alice's
// symbols at the requested indices, real and imaginary parts apart (SNU).
//
// The values are float32: Alice writes each with the shortest digits of
// its nearest float32 (about 10 characters instead of 19 for a float64),
// and a peer's float64 values are read to the nearest float32. The
// rounding (a relative 6·10^-8) is four orders of magnitude below the
// statistical error of any estimate made from the symbols (10^-3 at 10^6
// disclosed symbols), and it nearly halves the largest exchange of a frame.
type PESymbolsResponseContent struct {
	SymbolsReal Numbers[float32] `json:"symbols_real"`
	SymbolsImag Numbers[float32] `json:"symbols_imag"` // same length
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

// Symbols returns the symbols as complex numbers.
func (c *PESymbolsResponseContent) Symbols() []complex128 {
	n := min(len(c.SymbolsReal), len(c.SymbolsImag))
	out := make([]complex128, n)
	for i := range out {
		out[i] = complex(float64(c.SymbolsReal[i]), float64(c.SymbolsImag[i]))
	}
	return out
}

// NewPESymbolsResponse splits symbols into the two arrays of the content,
// rounded to float32.
func NewPESymbolsResponse(symbols []complex128) *PESymbolsResponseContent {
	c := &PESymbolsResponseContent{
		SymbolsReal: make([]float32, len(symbols)),
		SymbolsImag: make([]float32, len(symbols)),
	}
	for i, s := range symbols {
		c.SymbolsReal[i], c.SymbolsImag[i] = float32(real(s)), float32(imag(s))
	}
	return c
}

// PESymbolsErrorContent is the content of PE_SYMBOLS_ERROR.
type PESymbolsErrorContent struct {
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*PESymbolsErrorContent) Code() Code      { return PESymbolsError }
func (*PESymbolsErrorContent) Validate() error { return nil }

// PENphotonResponseContent is the content of PE_NPHOTON_RESPONSE.
type PENphotonResponseContent struct {
	NPhoton float64 `json:"n_photon"` // mean photon number per symbol, Va = 2<n>; finite, >= 0
}

func (*PENphotonResponseContent) Code() Code { return PENphotonResponse }
func (c *PENphotonResponseContent) Validate() error {
	return checkNonNegative("n_photon", c.NPhoton)
}

// PEFinishedContent is the content of PE_FINISHED: Bob's estimates. All
// fields are required and finite; n_photon, eta and electronic_noise are
// non-negative (transmittance, excess noise and key rate are statistical
// estimates and may fall below zero).
type PEFinishedContent struct {
	NPhoton         float64 `json:"n_photon"`
	Transmittance   float64 `json:"transmittance"`    // channel T, detector excluded
	ExcessNoise     float64 `json:"excess_noise"`     // ξ at the channel input, SNU
	ElectronicNoise float64 `json:"electronic_noise"` // v_el, SNU
	Eta             float64 `json:"eta"`              // detector efficiency
	KeyRate         float64 `json:"key_rate"`         // bit/s
}

func (*PEFinishedContent) Code() Code { return PEFinished }
func (c *PEFinishedContent) Validate() error {
	for _, f := range []struct {
		name     string
		v        float64
		positive bool
	}{
		{"n_photon", c.NPhoton, true}, {"transmittance", c.Transmittance, false},
		{"excess_noise", c.ExcessNoise, false}, {"electronic_noise", c.ElectronicNoise, true},
		{"eta", c.Eta, true}, {"key_rate", c.KeyRate, false},
	} {
		check := checkFinite
		if f.positive {
			check = checkNonNegative
		}
		if err := check(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// PEDeniedContent is the content of PE_DENIED.
type PEDeniedContent struct {
	DenyMessage string `json:"deny_message,omitzero"`
}

func (*PEDeniedContent) Code() Code      { return PEDenied }
func (*PEDeniedContent) Validate() error { return nil }

// ---- 180-191: error correction ----

// LDPCParams describes a parity-check matrix that both stations generate
// from the same parameters (the construction belongs to the EC code).
type LDPCParams struct {
	N            int   `json:"n"`             // code length (bits per block), > 0
	K            int   `json:"k"`             // information bits, 0 < k < n
	ColumnWeight int   `json:"column_weight"` // ones per column, 1 <= w <= n-k
	Seed         int64 `json:"seed"`          // generator seed
}

// SparseMatrix is a parity-check matrix as the column indices of the ones
// of each row.
type SparseMatrix struct {
	N    int     `json:"n"`    // number of columns, > 0
	Rows [][]int `json:"rows"` // per row, column indices in [0, n)
}

// QCLDPCParams names a quasi-cyclic LDPC code with rate adaptation that
// both stations build from these integers (the construction belongs to the
// EC code, which also says which combinations exist): a code family, the
// circulant size, the base rows used, the numbers of shortened and
// punctured bits, and the seed of the shifts and positions.
type QCLDPCParams struct {
	Family    int `json:"family"`
	Z         int `json:"z"`
	Rows      int `json:"rows"`
	Shortened int `json:"shortened"`
	Punctured int `json:"punctured"`
	Seed      int `json:"seed"` // in [0, 2^32)
}

// ECSlices is EC_INITIALIZATION's "slices" (this implementation's
// extension, given with "reconciliation": "slice" and only then): the
// quantization of slice reconciliation, Bits slices per quadrature of which
// the Disclosed least significant are sent whole, over intervals of equal
// probability for quadratures of standard deviation Scale, and the codes of
// the coded slices below the most significant one, whose code is "qc_ldpc"
// (a peer that does not know slices reads a plan with one code and an
// unknown reconciliation, and answers EC_DENIED).
type ECSlices struct {
	Bits      int            `json:"bits"`
	Disclosed int            `json:"disclosed"`
	Scale     float64        `json:"scale"`
	Codes     []QCLDPCParams `json:"codes"`
}

// MaxSliceBits bounds ECSlices.Bits.
const MaxSliceBits = 16

// ReconciliationSlice is EC_INITIALIZATION's "reconciliation" of slice
// reconciliation.
const ReconciliationSlice = "slice"

func (q *QCLDPCParams) validate(name string) error {
	for _, f := range []struct {
		name string
		v    int
	}{{"family", q.Family}, {"z", q.Z}, {"rows", q.Rows}, {"shortened", q.Shortened}, {"punctured", q.Punctured}} {
		if f.v < 0 {
			return fieldErr(name+"."+f.name, "negative")
		}
	}
	if q.Seed < 0 || q.Seed > math.MaxUint32 {
		return fieldErr(name+".seed", "not in [0, 2^32)")
	}
	return nil
}

func (s *ECSlices) validate() error {
	switch {
	case s.Bits < 1 || s.Bits > MaxSliceBits:
		return fieldErr("slices.bits", "not in [1, "+strconv.Itoa(MaxSliceBits)+"]")
	case s.Disclosed < 0 || s.Disclosed >= s.Bits:
		return fieldErr("slices.disclosed", "not in [0, bits)")
	case len(s.Codes) != s.Bits-s.Disclosed-1:
		return fieldErr("slices.codes", strconv.Itoa(len(s.Codes))+" codes, want bits − disclosed − 1 = "+strconv.Itoa(s.Bits-s.Disclosed-1))
	}
	if err := checkPositive("slices.scale", s.Scale); err != nil {
		return err
	}
	for j := range s.Codes {
		if err := s.Codes[j].validate("slices.codes[" + strconv.Itoa(j) + "]"); err != nil {
			return err
		}
	}
	return nil
}

// ECInitializationContent is the content of EC_INITIALIZATION. Exactly one
// of LDPC, QCLDPC, Matrix (the spec's dense field) and SparseMatrix is given;
// Slices with QCLDPC and reconciliation "slice" only.
type ECInitializationContent struct {
	Matrix         []Numbers[uint8] `json:"matrix,omitzero"` // dense 0/1 rows, rectangular
	Noise          float64          `json:"noise"`           // Bob's noise variance estimate per quadrature, SNU; finite, >= 0
	LDPC           *LDPCParams      `json:"ldpc,omitzero"`
	QCLDPC         *QCLDPCParams    `json:"qc_ldpc,omitzero"`
	SparseMatrix   *SparseMatrix    `json:"sparse_matrix,omitzero"`
	Slices         *ECSlices        `json:"slices,omitzero"`
	Reconciliation string           `json:"reconciliation,omitzero"` // "" means "sign"
	Blocks         int              `json:"blocks,omitzero"`         // 0 = not announced, >= 0
}

func (*ECInitializationContent) Code() Code { return ECInitialization }
func (c *ECInitializationContent) Validate() error {
	if err := checkNonNegative("noise", c.Noise); err != nil {
		return err
	}
	n := 0
	for _, given := range []bool{c.LDPC != nil, c.QCLDPC != nil, c.Matrix != nil, c.SparseMatrix != nil} {
		if given {
			n++
		}
	}
	if n != 1 {
		return fieldErr("ldpc", "exactly one of ldpc, qc_ldpc, matrix and sparse_matrix must be given")
	}
	if q := c.QCLDPC; q != nil {
		if err := q.validate("qc_ldpc"); err != nil {
			return err
		}
	}
	switch {
	case (c.Reconciliation == ReconciliationSlice) != (c.Slices != nil):
		return fieldErr("slices", "given exactly with reconciliation \""+ReconciliationSlice+"\"")
	case c.Slices != nil && c.QCLDPC == nil:
		return fieldErr("qc_ldpc", "missing: it is the code of the most significant slice")
	case c.Slices != nil:
		if err := c.Slices.validate(); err != nil {
			return err
		}
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
			if err := checkBits("matrix", row); err != nil {
				return fieldErr("matrix", "row "+strconv.Itoa(i)+": "+err.(*ContentError).Reason)
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

// ECDeniedContent is the content of EC_DENIED.
type ECDeniedContent struct {
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*ECDeniedContent) Code() Code      { return ECDenied }
func (*ECDeniedContent) Validate() error { return nil }

// ECBlockContent is the content of EC_BLOCK, in one of two forms.
//
// One block (the form of the QOSST specification): the syndrome is carried
// as numbers (the reference example has floats); the EC stage checks that
// they are bits and answers EC_BLOCK_ERROR otherwise. Multidimensional
// reconciliation adds Bob's side information for the block: "rotation", the
// coordinates of one unit octonion per group of 8 quadratures (N numbers for
// a block of N bits), and "norms", the norm of each group (N/8 non-negative
// numbers). Both are given or neither (null reads as absent); sign
// reconciliation sends neither. Whether N matches the plan is the EC stage's
// check (EC_BLOCK_ERROR).
//
// A batch ("batch", this implementation's extension, sent only to an Alice
// whose EC_READY announced "encoding": "packed"): up to EC_READY's "batch"
// blocks in one request, each with its arrays packed (ECBlockItem). Alice
// decodes them in parallel and answers EC_BLOCK_ACK listing the blocks that
// failed ("failed"), or EC_BLOCK_ERROR when none decoded.
//
// Exactly one of "syndrome" and "batch" is given.
type ECBlockContent struct {
	Block    int              `json:"block,omitzero"`    // block index, >= 0 (absent reads as 0)
	Syndrome Numbers[float64] `json:"syndrome,omitzero"` // finite numbers
	Rotation Numbers[float64] `json:"rotation,omitzero"` // finite numbers, 8 per norm
	Norms    Numbers[float64] `json:"norms,omitzero"`    // finite non-negative numbers
	Hash     int64            `json:"hash,omitzero"`     // hash of Bob's block, in [1, 2^32] (absent: none)
	Batch    []ECBlockItem    `json:"batch,omitzero"`    // packed blocks, 1 to MaxECBatch
}

// MaxECBatch bounds the blocks of one EC_BLOCK batch.
const MaxECBatch = 64

// ECBlockItem is one block of an EC_BLOCK batch: the fields of the one-block
// form with the arrays packed. "syndrome" holds syndrome_bits bits
// (Packed.Bits); "rotation" and "norms" hold float32 values
// (Packed.Float32s), 8 rotation values per norm, both given or neither.
type ECBlockItem struct {
	Block        int    `json:"block"`
	Syndrome     Packed `json:"syndrome"`
	SyndromeBits int    `json:"syndrome_bits"`
	Rotation     Packed `json:"rotation,omitzero"`
	Norms        Packed `json:"norms,omitzero"`
	Hash         int64  `json:"hash,omitzero"`
	// Disclosed is a slice block's disclosed slices, DisclosedBits bits
	// one after the other, least significant slice first.
	Disclosed     Packed `json:"disclosed,omitzero"`
	DisclosedBits int    `json:"disclosed_bits,omitzero"`
}

func (*ECBlockContent) Code() Code { return ECBlock }

// contentRequired: every field is optional, but one of the two forms must
// be there.
func (*ECBlockContent) contentRequired() bool { return true }

func (c *ECBlockContent) Validate() error {
	if c.Batch != nil {
		return c.validateBatch()
	}
	if c.Syndrome == nil {
		return fieldErr("syndrome", "missing (neither syndrome nor batch is given)")
	}
	if c.Block < 0 {
		return fieldErr("block", "negative")
	}
	if c.Hash < 0 || c.Hash > 1<<32 {
		return fieldErr("hash", "not in [1, 2^32]")
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
	for i, f := range c.Norms {
		if err := checkNonNegative("norms", f); err != nil {
			err.(*ContentError).Reason = "element " + strconv.Itoa(i) + ": " + err.(*ContentError).Reason
			return err
		}
	}
	return nil
}

func (c *ECBlockContent) validateBatch() error {
	if c.Syndrome != nil || c.Rotation != nil || c.Norms != nil || c.Hash != 0 || c.Block != 0 {
		return fieldErr("batch", "given with the one-block fields")
	}
	if len(c.Batch) == 0 || len(c.Batch) > MaxECBatch {
		return fieldErr("batch", strconv.Itoa(len(c.Batch))+" blocks, want 1 to "+strconv.Itoa(MaxECBatch))
	}
	seen := make(map[int]bool, len(c.Batch))
	for i, b := range c.Batch {
		name := "batch[" + strconv.Itoa(i) + "]."
		switch {
		case b.Block < 0:
			return fieldErr(name+"block", "negative")
		case seen[b.Block]:
			return fieldErr(name+"block", strconv.Itoa(b.Block)+" repeated")
		case b.Hash < 0 || b.Hash > 1<<32:
			return fieldErr(name+"hash", "not in [1, 2^32]")
		case b.SyndromeBits <= 0:
			return fieldErr(name+"syndrome_bits", "not positive")
		case b.DisclosedBits < 0:
			return fieldErr(name+"disclosed_bits", "negative")
		case (b.Rotation == nil) != (b.Norms == nil):
			return fieldErr(name+"rotation", "rotation and norms must be given together")
		case len(b.Rotation)%4 != 0 || len(b.Norms)%4 != 0:
			return fieldErr(name+"rotation", "not a whole number of float32 values")
		case len(b.Rotation) != 8*len(b.Norms):
			return fieldErr(name+"rotation", strconv.Itoa(b.Rotation.Float32Len())+" values for "+strconv.Itoa(b.Norms.Float32Len())+" norms, want 8 per norm")
		}
		if err := b.Syndrome.checkBitsLen(b.SyndromeBits); err != nil {
			return fieldErr(name+"syndrome", err.Error())
		}
		if err := b.Disclosed.checkBitsLen(b.DisclosedBits); err != nil {
			return fieldErr(name+"disclosed", err.Error())
		}
		seen[b.Block] = true
		if err := b.Rotation.checkFloat32s(false); err != nil {
			return fieldErr(name+"rotation", err.Error())
		}
		if err := b.Norms.checkFloat32s(true); err != nil {
			return fieldErr(name+"norms", err.Error())
		}
	}
	return nil
}

// ECReadyContent is the content of EC_READY (this implementation's
// extension; the specification's EC_READY carries none, and a peer that does
// not know it ignores it). Encoding "packed" says Alice reads EC_BLOCK
// batches of up to Batch blocks and PA_REQUEST's packed seed; any other
// value (or none) means the specification's forms only.
type ECReadyContent struct {
	Encoding string `json:"encoding,omitzero"`
	Batch    int    `json:"batch,omitzero"`
}

// EncodingPacked is EC_READY's encoding for the packed forms.
const EncodingPacked = "packed"

func (*ECReadyContent) Code() Code { return ECReady }
func (c *ECReadyContent) Validate() error {
	if len(c.Encoding) > 32 {
		return fieldErr("encoding", strconv.Itoa(len(c.Encoding))+" bytes, at most 32")
	}
	if c.Batch < 0 || c.Batch > MaxECBatch {
		return fieldErr("batch", "not in [0, "+strconv.Itoa(MaxECBatch)+"]")
	}
	return nil
}

// ECBlockAckContent is the content of EC_BLOCK_ACK answering a batch: the
// blocks of the batch that failed to decode (discarded by both sides); the
// others decoded. The one-block form's EC_BLOCK_ACK carries none.
type ECBlockAckContent struct {
	Failed Numbers[int] `json:"failed,omitzero"`
}

func (*ECBlockAckContent) Code() Code { return ECBlockAck }
func (c *ECBlockAckContent) Validate() error {
	if len(c.Failed) > MaxECBatch {
		return fieldErr("failed", strconv.Itoa(len(c.Failed))+" blocks, at most "+strconv.Itoa(MaxECBatch))
	}
	for i, x := range c.Failed {
		if x < 0 {
			return fieldErr("failed", "element "+strconv.Itoa(i)+": negative")
		}
	}
	return nil
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
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*ECBlockErrorContent) Code() Code      { return ECBlockError }
func (*ECBlockErrorContent) Validate() error { return nil }

// ECRemainingContent is the content of EC_REMAINING: free fields for a
// second correction algorithm, decoded as encoding/json decodes into any.
type ECRemainingContent struct {
	Fields map[string]any `json:"-" content:"rest"`
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

// ECRemainingErrorContent is the content of EC_REMAINING_ERROR.
type ECRemainingErrorContent struct {
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*ECRemainingErrorContent) Code() Code      { return ECRemainingError }
func (*ECRemainingErrorContent) Validate() error { return nil }

// ECVerificationContent is the content of EC_VERIFICATION.
type ECVerificationContent struct {
	Hash int64 `json:"hash"` // 63-bit non-negative integer, read exactly (never through float64)
}

func (*ECVerificationContent) Code() Code { return ECVerification }
func (c *ECVerificationContent) Validate() error {
	if c.Hash < 0 {
		return fieldErr("hash", "negative")
	}
	return nil
}

// ECVerificationFailContent is the content of EC_VERIFICATION_FAIL.
type ECVerificationFailContent struct {
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*ECVerificationFailContent) Code() Code      { return ECVerificationFail }
func (*ECVerificationFailContent) Validate() error { return nil }

// ---- 200-202: privacy amplification ----

// PARequestContent is the content of PA_REQUEST (Toeplitz hashing; the
// construction belongs to the PA code). The seed is "seed", an array of
// bits (the specification's form), or "seed_packed" with "seed_bits" (the
// packed form, Packed.Bits), sent only to an Alice whose EC_READY announced
// "encoding": "packed". Exactly one of the two is given.
type PARequestContent struct {
	Seed               Numbers[uint8] `json:"seed,omitzero"`       // bits
	SecretKeyLength    int            `json:"secret_key_length"`   // >= 0
	SubblockLength     int            `json:"subblock_length"`     // > 0
	FeedbackPolynomial Numbers[uint8] `json:"feedback_polynomial"` // bits
	SeedPacked         Packed         `json:"seed_packed,omitzero"`
	SeedBits           int            `json:"seed_bits,omitzero"`
}

func (*PARequestContent) Code() Code { return PARequest }
func (c *PARequestContent) Validate() error {
	switch {
	case c.Seed == nil && c.SeedPacked == nil:
		return fieldErr("seed", "missing (neither seed nor seed_packed is given)")
	case c.Seed != nil && (c.SeedPacked != nil || c.SeedBits != 0):
		return fieldErr("seed_packed", "given with seed")
	case c.SeedPacked != nil:
		if c.SeedBits <= 0 {
			return fieldErr("seed_bits", "not positive")
		}
		if _, err := c.SeedPacked.Bits(c.SeedBits); err != nil {
			return fieldErr("seed_packed", err.Error())
		}
	case c.SeedBits != 0:
		return fieldErr("seed_bits", "given without seed_packed")
	}
	if err := checkBits("seed", c.Seed); err != nil {
		return err
	}
	if err := checkBits("feedback_polynomial", c.FeedbackPolynomial); err != nil {
		return err
	}
	if c.SecretKeyLength < 0 {
		return fieldErr("secret_key_length", "negative")
	}
	if c.SubblockLength <= 0 {
		return fieldErr("subblock_length", "not positive")
	}
	return nil
}

// SeedValue returns the seed's bits, whichever form carries them (call it
// on a validated content).
func (c *PARequestContent) SeedValue() []uint8 {
	if c.SeedPacked != nil {
		bits, _ := c.SeedPacked.Bits(c.SeedBits)
		return bits
	}
	return c.Seed
}

// PAErrorContent is the content of PA_ERROR.
type PAErrorContent struct {
	ErrorMessage string `json:"error_message,omitzero"`
}

func (*PAErrorContent) Code() Code      { return PAError }
func (*PAErrorContent) Validate() error { return nil }

// ---- 220-221: end of frame ----

// FrameEndedContent is the content of FRAME_ENDED.
type FrameEndedContent struct {
	FrameUUID uuid.UUID `json:"frame_uuid"`
}

func (*FrameEndedContent) Code() Code        { return FrameEnded }
func (c *FrameEndedContent) Validate() error { return checkFrameUUID("frame_uuid", c.FrameUUID) }

// FrameEndedAckContent is the content of FRAME_ENDED_ACK.
type FrameEndedAckContent struct {
	FrameUUID uuid.UUID `json:"frame_uuid"`
}

func (*FrameEndedAckContent) Code() Code        { return FrameEndedAck }
func (c *FrameEndedAckContent) Validate() error { return checkFrameUUID("frame_uuid", c.FrameUUID) }
