package postprocessing

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// Reconciliation schemes (EC_INITIALIZATION's "reconciliation").
const (
	// SchemeSign is sign reconciliation: one key bit per measured
	// quadrature, bit = 1 when Bob's value is negative (y < 0), else 0.
	SchemeSign = "sign"
	// SchemeMultidimensional is multidimensional reconciliation in
	// dimension 8 (see recon_md.go): Bob's key bits are uniform random bits,
	// one per quadrature, and each EC_BLOCK also carries his rotation and
	// norms (BlockSideInfo). Blocks are multiples of 8 quadratures.
	SchemeMultidimensional = "multidimensional"
	// SchemeSlice is slice reconciliation (recon_slice.go): Bob quantizes
	// each quadrature into Bits slices, sends the least significant ones
	// whole (BlockSideInfo.Disclosed) and one syndrome per other slice,
	// each slice with its own quasi-cyclic code (ReconciliationPlan.Slices).
	// Asked of the planner, it is planned where it reconciles more than
	// multidimensional reconciliation (at SNR above about 0.3).
	SchemeSlice = "slice"
)

// Defaults of PlanReconciliation.
const (
	// DefaultMaxBlockLength is the largest LDPC block length the planner picks.
	DefaultMaxBlockLength = 1 << 16
	// MinBlockLength is the smallest block the planner accepts: below it no
	// LDPC code reconciles at a useful rate.
	MinBlockLength = 1 << 10
	// MaxPlanKeyBits bounds Blocks × N, the key bits of one frame.
	MaxPlanKeyBits = 1 << 26
	// DefaultColumnWeight and DefaultRateFraction are the planner's choices
	// when the capacity C of the scheme's channel (per quadrature) is at
	// least LowCapacity: the code rate is RateFraction × C and the
	// systematic columns have weight ColumnWeight (see
	// docs/postprocessing-ec-pa.md for the measurements behind them).
	// DefaultMDRateFraction replaces DefaultRateFraction for
	// multidimensional reconciliation.
	DefaultColumnWeight   = 6
	DefaultRateFraction   = 0.74
	DefaultMDRateFraction = 0.76
	// Below LowCapacity, low-rate codes need heavier systematic columns and
	// more margin: LowCapacityColumnWeight and LowCapacityRateFraction.
	LowCapacity             = 0.2
	LowCapacityColumnWeight = 10
	LowCapacityRateFraction = 0.62
)

// Errors of the reconciliation stage that callers branch on.
var (
	// ErrInvalidPlan is wrapped by every error about a reconciliation plan or
	// its parameters (including a plan received in EC_INITIALIZATION).
	ErrInvalidPlan = errors.New("invalid reconciliation plan")
	// ErrBlockFailed: belief propagation did not reach the syndrome within
	// the iteration bound; the block is discarded by both sides.
	ErrBlockFailed = errors.New("block decoding failed")
	// ErrInvalidBlock is wrapped by errors about a block index or syndrome
	// that cannot belong to the plan (EC_BLOCK_ERROR).
	ErrInvalidBlock = errors.New("invalid error-correction block")
)

// PlanParams are the inputs of PlanReconciliation.
type PlanParams struct {
	// KeyQuadratures is the number of measured quadratures of the key symbols
	// (2 per symbol heterodyne, 1 homodyne: len(KeyQuadratures(...))).
	KeyQuadratures int
	// SNR is the estimated signal-to-noise ratio of one quadrature
	// (postprocessing.SNR at the estimated parameters).
	SNR float64
	// Noise is Bob's estimate of the noise variance per quadrature in SNU,
	// sent as EC_INITIALIZATION's "noise".
	Noise float64
	// Seed of the generated code.
	Seed int64
	// Scheme: SchemeSign when empty.
	Scheme string
	// Codes: CodesQC (the default for multidimensional reconciliation) or
	// CodesGenerated (the generated IRA codes, the only ones for sign
	// reconciliation).
	Codes string
	// Efficiency is the target β of quasi-cyclic codes
	// (DefaultEfficiencyAt(SNR) when zero).
	Efficiency float64
	// Families restricts the quasi-cyclic code families the planner may
	// choose (qcldpc.ForRateAmong); nil: all of them.
	Families []int
	// Scale is the standard deviation of Bob's key quadratures, the unit
	// of slice reconciliation's quantizer (SampleScale of his own values,
	// so that its intervals are equally likely on his data whatever the
	// estimates); 0: √(Noise·(1 + SNR)), the estimated channel's.
	Scale float64
	// Optional tuning; zero values take the rate rule's choices.
	// MaxBlockLength bounds the quadratures of one block
	// (DefaultQCBlockLength for quasi-cyclic codes, DefaultMaxBlockLength
	// for generated ones).
	MaxBlockLength int
	ColumnWeight   int
	RateFraction   float64
}

// Code families of PlanParams.Codes.
const (
	CodesQC        = "qc"
	CodesGenerated = "generated"
)

// ReconciliationPlan is everything both sides must agree on before the
// blocks flow: it is exactly what EC_INITIALIZATION carries. Block i is tied
// to key quadratures [i·C, (i+1)·C) with C = ChannelBits; the remaining
// quadratures (fewer than a block) are dropped.
type ReconciliationPlan struct {
	Scheme string
	Code   LDPCParams
	// Matrix, when not nil, is an explicit parity-check matrix that replaces
	// the generated Code (EC_INITIALIZATION's "sparse_matrix" or "matrix").
	Matrix *ParityCheck
	// QC, when not nil, is a quasi-cyclic code with rate adaptation
	// (EC_INITIALIZATION's "qc_ldpc") that replaces the generated Code.
	QC *qcldpc.Description
	// Slices, when not nil, is the plan of slice reconciliation
	// (SchemeSlice), with its own codes; Code, Matrix and QC are then unused
	// and Slices.Blocks equals Blocks.
	Slices *SlicePlan
	Blocks int
	Noise  float64
}

// DisclosedBits is the bits of disclosed slices one block carries (slice
// reconciliation; 0 for the other schemes).
func (p ReconciliationPlan) DisclosedBits() int {
	if p.Slices == nil {
		return 0
	}
	return p.Slices.Disclosed * p.Slices.Quadratures()
}

// QCCodes returns the plan's quasi-cyclic codes: the one of a plan with a
// quasi-cyclic code, every slice's of a slice plan, else none.
func (p ReconciliationPlan) QCCodes() []qcldpc.Description {
	switch {
	case p.Slices != nil:
		return p.Slices.Codes
	case p.QC != nil && p.Matrix == nil:
		return []qcldpc.Description{*p.QC}
	}
	return nil
}

// N is the block length: the bits of one code word (of a slice plan, the
// longest of its codes' words).
func (p ReconciliationPlan) N() int {
	switch {
	case p.Slices != nil:
		n := 0
		for _, d := range p.Slices.Codes {
			n = max(n, d.N())
		}
		return n
	case p.Matrix != nil:
		return p.Matrix.N()
	case p.QC != nil:
		return p.QC.N()
	}
	return p.Code.N
}

// M is the number of syndrome bits per block (of a slice plan, all its
// slices' syndromes).
func (p ReconciliationPlan) M() int {
	switch {
	case p.Slices != nil:
		return p.Slices.BlockLeakedBits()
	case p.Matrix != nil:
		return p.Matrix.M()
	case p.QC != nil:
		return p.QC.M()
	}
	return p.Code.N - p.Code.K
}

// ChannelBits is the number of key quadratures one block is tied to: every
// bit of the code word but the shortened and punctured ones (of a slice
// plan, every slice's code has that many).
func (p ReconciliationPlan) ChannelBits() int {
	if p.Slices != nil {
		return p.Slices.Quadratures()
	}
	if p.QC != nil && p.Matrix == nil {
		return p.QC.ChannelBits()
	}
	return p.N()
}

// BlockKeyBits is the number of key bits a decoded block yields: every bit
// of the code word but the shortened ones.
func (p ReconciliationPlan) BlockKeyBits() int {
	if p.Slices != nil {
		return p.Slices.BlockKeyBits()
	}
	if p.QC != nil && p.Matrix == nil {
		return p.QC.KeyBits()
	}
	return p.N()
}

// Rate is the effective code rate: the key bits a block keeps once its
// syndrome is disclosed, per quadrature it is tied to. β = Rate/I_AB.
func (p ReconciliationPlan) Rate() float64 {
	return float64(p.BlockKeyBits()-p.M()) / float64(p.ChannelBits())
}

// KeyBits is the number of key bits the plan covers (Blocks × BlockKeyBits).
func (p ReconciliationPlan) KeyBits() int { return p.Blocks * p.BlockKeyBits() }

// Quadratures is the number of key quadratures the plan reconciles (Blocks ×
// ChannelBits); the rest of the frame's key quadratures are dropped.
func (p ReconciliationPlan) Quadratures() int { return p.Blocks * p.ChannelBits() }

// Validate checks the plan against the limits (a plan received from the
// network goes through it before any allocation).
func (p ReconciliationPlan) Validate() error {
	if p.Scheme != SchemeSign && p.Scheme != SchemeMultidimensional && p.Scheme != SchemeSlice {
		return fmt.Errorf("%w: reconciliation %q not supported (want %q, %q or %q)", ErrInvalidPlan, p.Scheme, SchemeSign, SchemeMultidimensional, SchemeSlice)
	}
	if (p.Scheme == SchemeSlice) != (p.Slices != nil) {
		return fmt.Errorf("%w: reconciliation %q with slices given: %t", ErrInvalidPlan, p.Scheme, p.Slices != nil)
	}
	switch {
	case p.Slices != nil:
		if p.Matrix != nil || p.QC != nil {
			return fmt.Errorf("%w: a slice plan carries its codes in its slices", ErrInvalidPlan)
		}
		if p.Slices.Blocks != p.Blocks {
			return fmt.Errorf("%w: %d blocks, the slice plan has %d", ErrInvalidPlan, p.Blocks, p.Slices.Blocks)
		}
		if err := p.Slices.Validate(); err != nil {
			return err
		}
	case p.Matrix != nil:
	case p.QC != nil:
		if err := p.QC.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidPlan, err)
		}
		if p.Scheme != SchemeMultidimensional {
			return fmt.Errorf("%w: quasi-cyclic codes serve multidimensional reconciliation only, not %q", ErrInvalidPlan, p.Scheme)
		}
	default:
		if err := p.Code.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidPlan, err)
		}
	}
	if !(p.Noise > 0) || math.IsInf(p.Noise, 0) {
		return fmt.Errorf("%w: noise = %g, want a finite variance > 0", ErrInvalidPlan, p.Noise)
	}
	if p.Scheme == SchemeMultidimensional && p.ChannelBits()%mdDim != 0 {
		return fmt.Errorf("%w: multidimensional blocks must be multiples of %d quadratures, got %d", ErrInvalidPlan, mdDim, p.ChannelBits())
	}
	if p.Slices == nil && (p.Blocks < 1 || int64(p.Blocks)*int64(p.N()) > MaxPlanKeyBits) {
		return fmt.Errorf("%w: blocks = %d outside [1, %d]", ErrInvalidPlan, p.Blocks, MaxPlanKeyBits/p.N())
	}
	return nil
}

// ParityCheck returns the plan's matrix, generating it when needed.
func (p ReconciliationPlan) ParityCheck() (*ParityCheck, error) {
	switch {
	case p.Matrix != nil:
		return p.Matrix, nil
	case p.QC != nil:
		return nil, fmt.Errorf("%w: a quasi-cyclic code is used through its circulants, not as a sparse matrix", ErrInvalidPlan)
	}
	return GenerateLDPC(p.Code)
}

// blockCode builds the code every block is reconciled with.
func (p ReconciliationPlan) blockCode() (*blockCode, error) {
	if p.QC != nil && p.Matrix == nil {
		return qcBlockCode(*p.QC)
	}
	h, err := p.ParityCheck()
	if err != nil {
		return nil, err
	}
	return matrixCode(h), nil
}

// SignChannelCapacity returns I(X; sign Y) in bits for y = √snr·x + n with x
// and n standard normal: the most a code can reconcile per quadrature with
// sign reconciliation. It is 1 − E_x[h2(Φ(√snr·x))], integrated numerically
// (midpoint rule over ±10 standard deviations, 4000 points).
func SignChannelCapacity(snr float64) float64 {
	return binaryInputCapacity(snr, 10, func(a, u float64) float64 { return binaryEntropy(phi(a * u)) })
}

// binaryInputCapacity returns 1 − E_z[loss(√snr, z)] in bits, z standard
// normal, clamped to [0, 1]: 0 when snr is not > 0, 1 when it is infinite.
// The mean is a midpoint rule with 4000 points over ±span.
func binaryInputCapacity(snr, span float64, loss func(a, z float64) float64) float64 {
	if !(snr > 0) {
		return 0
	}
	if math.IsInf(snr, 1) {
		return 1
	}
	const points = 4000
	a := math.Sqrt(snr)
	step := 2 * span / points
	sum := 0.0
	for i := 0; i < points; i++ {
		z := -span + (float64(i)+0.5)*step
		w := math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) * step
		sum += w * loss(a, z)
	}
	return min(1, max(0, 1-sum))
}

// GaussianCapacity is ½·log2(1 + snr), I_AB per quadrature.
func GaussianCapacity(snr float64) float64 { return math.Log1p(snr) / (2 * math.Ln2) }

func phi(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

func binaryEntropy(p float64) float64 {
	if p <= 0 || p >= 1 {
		return 0
	}
	return -(p*math.Log2(p) + (1-p)*math.Log2(1-p))
}

// PlanReconciliation picks the code for a frame: the block length N (at most
// MaxBlockLength, all blocks equal, as many blocks as needed to cover the key
// quadratures; a multiple of 8 for multidimensional reconciliation), the rate
// K/N = f × C(SNR), where C is SignChannelCapacity for sign reconciliation
// and BIAWGNCapacity for multidimensional reconciliation, and the generated
// IRA code of that rate. f and the column weight follow the rate rule (the
// Default* and LowCapacity* constants) unless PlanParams sets them.
func PlanReconciliation(p PlanParams) (ReconciliationPlan, error) {
	scheme := p.Scheme
	if scheme == "" {
		scheme = SchemeSign
	}
	capacity := SignChannelCapacity
	defaultFraction := DefaultRateFraction
	switch scheme {
	case SchemeSign, SchemeSlice:
	case SchemeMultidimensional:
		capacity, defaultFraction = BIAWGNCapacity, DefaultMDRateFraction
	default:
		return ReconciliationPlan{}, fmt.Errorf("%w: reconciliation %q not supported", ErrInvalidPlan, scheme)
	}
	switch p.Codes {
	case "", CodesQC, CodesGenerated:
	default:
		return ReconciliationPlan{}, fmt.Errorf("%w: codes %q, want %q or %q", ErrInvalidPlan, p.Codes, CodesQC, CodesGenerated)
	}
	if scheme == SchemeMultidimensional && p.Codes != CodesGenerated && p.KeyQuadratures >= MinQCBlockLength {
		return planQCReconciliation(p)
	}
	if scheme == SchemeSlice {
		return planSliceReconciliation(p)
	}
	maxN := p.MaxBlockLength
	if maxN == 0 {
		maxN = DefaultMaxBlockLength
	}
	c := capacity(p.SNR)
	w, f := DefaultColumnWeight, defaultFraction
	if c < LowCapacity {
		w, f = LowCapacityColumnWeight, LowCapacityRateFraction
	}
	if p.ColumnWeight != 0 {
		w = p.ColumnWeight
	}
	if p.RateFraction != 0 {
		f = p.RateFraction
	}
	switch {
	case maxN < MinBlockLength || maxN > MaxCodeLength:
		return ReconciliationPlan{}, fmt.Errorf("%w: max block length %d outside [%d, %d]", ErrInvalidPlan, maxN, MinBlockLength, MaxCodeLength)
	case !(f > 0 && f < 1):
		return ReconciliationPlan{}, fmt.Errorf("%w: rate fraction %g outside (0, 1)", ErrInvalidPlan, f)
	case !(p.SNR > 0) || math.IsInf(p.SNR, 0):
		return ReconciliationPlan{}, fmt.Errorf("%w: SNR = %g, want a finite SNR > 0", ErrInvalidPlan, p.SNR)
	case p.KeyQuadratures < MinBlockLength:
		return ReconciliationPlan{}, fmt.Errorf("%w: %d key quadratures, fewer than one block of %d", ErrInvalidPlan, p.KeyQuadratures, MinBlockLength)
	}
	blocks := (p.KeyQuadratures + maxN - 1) / maxN
	n := p.KeyQuadratures / blocks
	if scheme == SchemeMultidimensional {
		n -= n % mdDim
	}
	k := int(math.Floor(f * c * float64(n)))
	if k < 1 {
		return ReconciliationPlan{}, fmt.Errorf("%w: SNR %g too low for a block of %d bits", ErrInvalidPlan, p.SNR, n)
	}
	plan := ReconciliationPlan{
		Scheme: scheme,
		Code:   LDPCParams{N: n, K: k, ColumnWeight: w, Seed: p.Seed},
		Blocks: blocks,
		Noise:  p.Noise,
	}
	if err := plan.Validate(); err != nil {
		return ReconciliationPlan{}, err
	}
	return plan, nil
}

// KeyQuadratures lays out key symbols as the quadrature sequence that
// reconciliation works on: heterodyne q0, p0, q1, p1, … (real, imaginary);
// homodyne q0, q1, … (real parts only). Both sides use it, Alice on her
// symbols and Bob on his measurements in SNU.
func KeyQuadratures(symbols []complex128, d Detection) []float64 {
	if d == Homodyne {
		out := make([]float64, len(symbols))
		for i, s := range symbols {
			out[i] = real(s)
		}
		return out
	}
	out := make([]float64, 2*len(symbols))
	for i, s := range symbols {
		out[2*i], out[2*i+1] = real(s), imag(s)
	}
	return out
}

// Channel is the linear model of one quadrature that Alice uses to compute
// the likelihoods of Bob's bits: y = Gain·x + n, Var(n) = Noise.
type Channel struct {
	Gain  float64
	Noise float64
}

// ChannelFromParams derives the channel from estimated parameters:
// heterodyne Gain = √(ηT/2), Noise = 1 + v_el + ηTξ/2; homodyne Gain = √(ηT),
// Noise = 1 + v_el + ηTξ (the data model, whatever the trust assumption).
func ChannelFromParams(p KeyRateParams) (Channel, error) {
	if err := p.Validate(); err != nil {
		return Channel{}, err
	}
	k := 1.0
	if p.Detection == Heterodyne {
		k = 2
	}
	return Channel{Gain: math.Sqrt(p.Eta * p.T / k), Noise: 1 + p.Vel + p.Eta*p.T*p.Xi/k}, nil
}

func (c Channel) validate() error {
	if !(c.Gain > 0) || math.IsInf(c.Gain, 0) || !(c.Noise > 0) || math.IsInf(c.Noise, 0) {
		return fmt.Errorf("%w: channel gain %g, noise %g: want finite values > 0", ErrInvalidPlan, c.Gain, c.Noise)
	}
	return nil
}

// SignLLR is Alice's log-likelihood ratio ln P(b=0|x)/P(b=1|x) of Bob's sign
// bit b = [y < 0] given her value x: ln Φ(z)/Φ(−z) with z = Gain·x/√Noise.
func (c Channel) SignLLR(x float64) float64 {
	z := c.Gain * x / math.Sqrt(c.Noise)
	if z > 37 {
		return llrClamp
	}
	if z < -37 {
		return -llrClamp
	}
	return math.Log(phi(z)) - math.Log(phi(-z))
}

// SignBits returns Bob's key bits for his quadratures: 1 where y < 0.
func SignBits(y []float64) []uint8 {
	out := make([]uint8, len(y))
	for i, v := range y {
		if v < 0 {
			out[i] = 1
		}
	}
	return out
}

// BlockState is the fate of one block.
type BlockState uint8

// Block states.
const (
	BlockPending BlockState = iota
	BlockDecoded
	BlockFailed
)

// ReconciliationStats summarise a side's blocks.
type ReconciliationStats struct {
	Blocks, Decoded, Failed, Pending int
	// KeyBits is the number of key bits in the decoded blocks.
	KeyBits int
	// LeakedBits is the number of syndrome bits of the decoded blocks (the
	// syndromes of discarded blocks concern discarded bits only).
	LeakedBits int
	// Quadratures is the number of key quadratures behind the decoded
	// blocks (equal to KeyBits unless the code shortens or punctures bits).
	Quadratures int
	// Iterations is the total of BP iterations (Alice only).
	Iterations int
}

// FER is the frame (block) error rate among the blocks that were tried.
func (s ReconciliationStats) FER() float64 {
	tried := s.Decoded + s.Failed
	if tried == 0 {
		return 0
	}
	return float64(s.Failed) / float64(tried)
}

// Efficiency is β = (H(K) − leak)/(quadratures · I_AB): the key bits of the
// decoded blocks (uniform bits, H(K) = 1 per bit) less the syndrome bits,
// per quadrature they came from, over I_AB = ½·log2(1 + snr) per
// quadrature. Without shortening or puncturing it is rate/I_AB.
func (s ReconciliationStats) Efficiency(snr float64) float64 {
	if s.Quadratures == 0 || !(snr > 0) {
		return 0
	}
	return float64(s.KeyBits-s.LeakedBits) / float64(s.Quadratures) / GaussianCapacity(snr)
}

// bitRole says how one bit of a code word relates to the channel.
type bitRole uint8

const (
	// roleChannel: the bit is tied to one of Bob's quadratures.
	roleChannel bitRole = iota
	// roleShortened: the bit is 0 on both sides (Alice's LLR is certain).
	roleShortened
	// rolePunctured: the bit is uniform, drawn by Bob, and Alice has no
	// information on it (LLR 0); it stays in the key, its share of the
	// syndrome is charged like every other syndrome bit.
	rolePunctured
)

// blockDecoder decodes one block: LLRs ln P(0)/P(1), the syndrome, the hard
// decisions out; ok reports that they satisfy the syndrome.
type blockDecoder interface {
	Decode(llr []float64, syndrome []uint8, out []uint8) (iterations int, ok bool, err error)
}

// blockCode is the code every block of a plan is reconciled with, with the
// place of each code bit: roles is nil when every bit is on the channel.
type blockCode struct {
	n, m       int
	roles      []bitRole
	channel    int // bits per block tied to quadratures
	shortened  int // bits per block fixed to 0
	syndrome   func(bits, out []uint8) error
	newDecoder func(maxIterations int) (blockDecoder, error)
}

// keyBits is the number of key bits a decoded block yields (every bit but
// the shortened ones).
func (c *blockCode) keyBits() int { return c.n - c.shortened }

// matrixCode is a parity-check matrix with every bit on the channel.
func matrixCode(h *ParityCheck) *blockCode {
	return &blockCode{
		n: h.N(), m: h.M(), channel: h.N(),
		syndrome: func(bits, out []uint8) error {
			s, err := h.Syndrome(bits)
			if err != nil {
				return err
			}
			copy(out, s)
			return nil
		},
		newDecoder: func(maxIterations int) (blockDecoder, error) { return NewDecoder(h, maxIterations), nil },
	}
}

type reconciler struct {
	plan   ReconciliationPlan
	code   *blockCode
	bits   []uint8 // Bob's code words, or Alice's decisions once decoded: Blocks × n
	states []BlockState
	hashed []bool // the block's EC_BLOCK carried its hash
	iters  int
}

func newReconciler(plan ReconciliationPlan, quadratures int) (*reconciler, error) {
	if err := plan.Validate(); err != nil {
		return nil, err
	}
	code, err := plan.blockCode()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	if need := plan.Blocks * code.channel; quadratures < need {
		return nil, fmt.Errorf("%w: %d key quadratures, the plan needs %d", ErrInvalidPlan, quadratures, need)
	}
	return &reconciler{plan: plan, code: code, states: make([]BlockState, plan.Blocks), hashed: make([]bool, plan.Blocks)}, nil
}

func (r *reconciler) checkIndex(i int) error {
	if i < 0 || i >= r.plan.Blocks {
		return fmt.Errorf("%w: block %d outside [0, %d)", ErrInvalidBlock, i, r.plan.Blocks)
	}
	return nil
}

// block returns the code word of block i.
func (r *reconciler) block(i int) ([]uint8, error) {
	if err := r.checkIndex(i); err != nil {
		return nil, err
	}
	n := r.code.n
	return r.bits[i*n : (i+1)*n], nil
}

// quadratures returns the part of q (one value per key quadrature) that
// block i is tied to.
func (r *reconciler) quadratures(q []float64, i int) []float64 {
	c := r.code.channel
	return q[i*c : (i+1)*c]
}

// Key returns the key bits of the decoded blocks, in block order: each
// block's code word without its shortened bits.
func (r *reconciler) Key() []uint8 {
	n := r.code.n
	out := make([]uint8, 0, r.plan.Blocks*r.code.keyBits())
	for i, s := range r.states {
		if s != BlockDecoded {
			continue
		}
		word := r.bits[i*n : (i+1)*n]
		if r.code.roles == nil {
			out = append(out, word...)
			continue
		}
		for j, b := range word {
			if r.code.roles[j] != roleShortened {
				out = append(out, b)
			}
		}
	}
	return out
}

// Stats summarises the blocks.
func (r *reconciler) Stats() ReconciliationStats {
	s := ReconciliationStats{Blocks: r.plan.Blocks, Iterations: r.iters}
	for i, st := range r.states {
		switch st {
		case BlockDecoded:
			s.Decoded++
			if r.hashed[i] {
				s.LeakedBits += BlockHashBits
			}
		case BlockFailed:
			s.Failed++
		default:
			s.Pending++
		}
	}
	s.KeyBits = s.Decoded * r.code.keyBits()
	s.LeakedBits += s.Decoded * r.code.m
	s.Quadratures = s.Decoded * r.code.channel
	return s
}

// Plan returns the plan.
func (r *reconciler) Plan() ReconciliationPlan { return r.plan }

// BobReconciler is Bob's side of reverse reconciliation: his key bits come
// from his measurements (sign) or are drawn by him and tied to his
// measurements by the disclosed rotations (multidimensional), and he
// discloses their syndromes. It is not safe for concurrent use.
type BobReconciler struct {
	reconciler
	y []float64
}

// BlockSideInfo is what EC_BLOCK carries besides the syndrome: the block's
// hash, and for multidimensional reconciliation, per group of 8
// quadratures, the 8 coordinates of the unit octonion α (Rotation, one per
// quadrature of the block) and ‖y‖ (Norms, one per group). Sign
// reconciliation has no rotations (both nil).
type BlockSideInfo struct {
	Rotation []float64
	Norms    []float64
	// Hash is BlockHash of Bob's code word (0: none, as from a peer that
	// sends none): Alice refuses a decoded word that does not match it.
	Hash int64
	// Disclosed is, for slice reconciliation, the block's disclosed
	// slices one after the other, least significant first (one bit per
	// quadrature each); nil for the other schemes.
	Disclosed []uint8
}

// BobSide is Bob's side of any plan: a BobReconciler, or a SliceBob for
// slice reconciliation (NewBobSide).
type BobSide interface {
	// Syndrome is EC_BLOCK's "syndrome" of block i (of a slice block,
	// every coded slice's one after the other).
	Syndrome(i int) ([]uint8, error)
	// SideInfo is what EC_BLOCK carries besides it.
	SideInfo(i int) (BlockSideInfo, error)
	// Accept records Alice's verdict on block i.
	Accept(i int, decoded bool) error
	// Key is the key bits of the decoded blocks, in block order.
	Key() []uint8
	Stats() ReconciliationStats
}

// AliceSide is Alice's side of any plan: an AliceReconciler, or a
// SliceAlice for slice reconciliation (NewAliceSide).
type AliceSide interface {
	// CheckBlockShape checks the sizes of a block's arrays before they
	// are read.
	CheckBlockShape(i, syndromeBits, rotation, norms, disclosedBits int) error
	DecodeBlockSide(i int, syndrome []uint8, side BlockSideInfo) error
	DecodeBlocks(in []BlockInput) []error
	Key() []uint8
	Stats() ReconciliationStats
}

// NewBobSide is Bob's side of plan for his key quadratures y, with src the
// source of his random bits (a CSPRNG outside tests).
func NewBobSide(plan ReconciliationPlan, y []float64, src io.Reader) (BobSide, error) {
	if plan.Slices != nil || plan.Scheme == SchemeSlice {
		if err := plan.Validate(); err != nil {
			return nil, err
		}
		return NewSliceBob(*plan.Slices, y, src)
	}
	return NewBobReconcilerFrom(plan, y, src)
}

// NewAliceSide is Alice's side of plan for her key quadratures x and the
// estimated channel.
func NewAliceSide(plan ReconciliationPlan, x []float64, ch Channel) (AliceSide, error) {
	if plan.Slices != nil || plan.Scheme == SchemeSlice {
		if err := plan.Validate(); err != nil {
			return nil, err
		}
		return NewSliceAlice(*plan.Slices, x, ch)
	}
	return NewAliceReconciler(plan, x, ch)
}

// NewBobReconciler takes Bob's key quadratures in SNU (KeyQuadratures of his
// key symbols); the first Blocks × (channel bits per block) of them are
// reconciled. For multidimensional reconciliation his key bits, and for
// every scheme his punctured bits, are drawn from crypto/rand.
func NewBobReconciler(plan ReconciliationPlan, y []float64) (*BobReconciler, error) {
	return NewBobReconcilerFrom(plan, y, rand.Reader)
}

// NewBobReconcilerFrom is NewBobReconciler with the source of the random key
// bits given (it must be a CSPRNG outside tests).
func NewBobReconcilerFrom(plan ReconciliationPlan, y []float64, src io.Reader) (*BobReconciler, error) {
	r, err := newReconciler(plan, len(y))
	if err != nil {
		return nil, err
	}
	c := r.code
	y = y[:plan.Blocks*c.channel]
	total := plan.Blocks * c.n
	raw := make([]byte, (total+7)/8)
	if _, err := io.ReadFull(src, raw); err != nil {
		return nil, fmt.Errorf("reconciliation key bits: %w", err)
	}
	r.bits = UnpackBits(raw, total)
	for i := 0; i < plan.Blocks; i++ {
		word := r.bits[i*c.n : (i+1)*c.n]
		yb := y[i*c.channel : (i+1)*c.channel]
		q := 0
		for j := range word {
			role := roleChannel
			if c.roles != nil {
				role = c.roles[j]
			}
			switch role {
			case roleShortened:
				word[j] = 0
			case roleChannel:
				if plan.Scheme != SchemeMultidimensional { // sign bit; MD keeps the drawn bit
					word[j] = 0
					if yb[q] < 0 {
						word[j] = 1
					}
				}
				q++
			}
		}
	}
	return &BobReconciler{reconciler: *r, y: y}, nil
}

// channelBits gathers the channel bits of a code word into dst.
func (c *blockCode) channelBits(word, dst []uint8) []uint8 {
	if c.roles == nil {
		return append(dst[:0], word...)
	}
	dst = dst[:0]
	for j, b := range word {
		if c.roles[j] == roleChannel {
			dst = append(dst, b)
		}
	}
	return dst
}

// SideInfo returns what EC_BLOCK must carry for block i besides the
// syndrome: the block's hash (whose bits count as leaked once the block is
// decoded) and, for multidimensional reconciliation, the rotations and
// norms.
func (b *BobReconciler) SideInfo(i int) (BlockSideInfo, error) {
	word, err := b.block(i)
	if err != nil {
		return BlockSideInfo{}, err
	}
	b.hashed[i] = true
	side := BlockSideInfo{Hash: BlockHash(i, word)}
	if b.plan.Scheme != SchemeMultidimensional {
		return side, nil
	}
	q := b.code.channel
	side.Rotation, side.Norms = make([]float64, q), make([]float64, q/mdDim)
	bits := b.code.channelBits(word, make([]uint8, 0, q))
	mdEncode(bits, b.quadratures(b.y, i), side.Rotation, side.Norms)
	return side, nil
}

// Syndrome returns the syndrome of block i (EC_BLOCK's "syndrome").
func (b *BobReconciler) Syndrome(i int) ([]uint8, error) {
	word, err := b.block(i)
	if err != nil {
		return nil, err
	}
	s := make([]uint8, b.code.m)
	if err := b.code.syndrome(word, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Accept records Alice's verdict on block i: decoded (EC_BLOCK_ACK) or
// failed (EC_BLOCK_ERROR, the block is discarded).
func (b *BobReconciler) Accept(i int, decoded bool) error {
	if err := b.checkIndex(i); err != nil {
		return err
	}
	if decoded {
		b.states[i] = BlockDecoded
	} else {
		b.states[i] = BlockFailed
	}
	return nil
}

// AliceReconciler is Alice's side: she decodes Bob's bits from his syndromes
// with her symbols as side information. It is not safe for concurrent use;
// DecodeBlocks decodes the blocks of one call in parallel itself.
type AliceReconciler struct {
	reconciler
	x       []float64
	ch      Channel
	workers []*aliceWorker // workers[0] from the start, the others on first use
}

// aliceWorker is one decoder with its buffers.
type aliceWorker struct {
	dec blockDecoder
	llr []float64 // one block's LLRs, code order
	chl []float64 // one block's channel LLRs, quadrature order
}

// NewAliceReconciler takes Alice's key quadratures in SNU (KeyQuadratures of
// her key symbols) and the estimated channel.
func NewAliceReconciler(plan ReconciliationPlan, x []float64, ch Channel) (*AliceReconciler, error) {
	if err := ch.validate(); err != nil {
		return nil, err
	}
	r, err := newReconciler(plan, len(x))
	if err != nil {
		return nil, err
	}
	a := &AliceReconciler{reconciler: *r, x: x[:plan.Blocks*r.code.channel], ch: ch}
	w, err := a.newWorker()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	a.workers = []*aliceWorker{w}
	a.bits = make([]uint8, plan.Blocks*a.code.n)
	return a, nil
}

func (a *AliceReconciler) newWorker() (*aliceWorker, error) {
	dec, err := a.code.newDecoder(0) // each code's own bound
	if err != nil {
		return nil, err
	}
	return &aliceWorker{dec: dec, llr: make([]float64, a.code.n), chl: make([]float64, a.code.channel)}, nil
}

// DecodeBlock decodes block i from Bob's syndrome. It returns nil when the
// decoded bits satisfy the syndrome (EC_BLOCK_ACK), an error wrapping
// ErrBlockFailed when they do not after the iteration bound (EC_BLOCK_ERROR;
// the block is discarded), and one wrapping ErrInvalidBlock for an index or
// syndrome that does not fit the plan or a block already decided.
func (a *AliceReconciler) DecodeBlock(i int, syndrome []uint8) error {
	return a.DecodeBlockSide(i, syndrome, BlockSideInfo{})
}

// DecodeBlockSide is DecodeBlock with Bob's side information, which
// multidimensional reconciliation requires (Rotation of one finite number
// per channel bit, Norms of one finite non-negative number per 8) and sign
// reconciliation ignores.
func (a *AliceReconciler) DecodeBlockSide(i int, syndrome []uint8, side BlockSideInfo) error {
	if err := a.checkBlock(i, syndrome, side); err != nil {
		return err
	}
	it, err := a.decode(a.workers[0], i, syndrome, side)
	a.iters += it
	return err
}

// BlockInput is one block for DecodeBlocks: its index, Bob's syndrome and
// his side information.
type BlockInput struct {
	Index    int
	Syndrome []uint8
	Side     BlockSideInfo
}

// DecodeBlocks decodes several blocks (an EC_BLOCK batch) at once, on as
// many decoders as there are blocks, at most GOMAXPROCS (each made on first
// use and kept). It returns one error per block, as DecodeBlockSide would.
// A block index given twice in one call is an ErrInvalidBlock for the second.
func (a *AliceReconciler) DecodeBlocks(in []BlockInput) []error {
	errs, iters := decodeBatch(in, &a.workers, a.newWorker, func(k int) error {
		return a.checkBlock(in[k].Index, in[k].Syndrome, in[k].Side)
	}, func(w *aliceWorker, k int) (int, error) {
		return a.decode(w, in[k].Index, in[k].Syndrome, in[k].Side)
	})
	a.iters += iters
	return errs
}

// decodeBatch is DecodeBlocks for either side's workers: it refuses a
// block index given twice, checks the others (check), and decodes the
// checked ones in parallel (inParallel) on workers, which newWorker grows on
// first use. It returns one error per block and the iterations of all.
func decodeBatch[W any](in []BlockInput, workers *[]W, newWorker func() (W, error), check func(k int) error, decode func(w W, k int) (int, error)) ([]error, int) {
	errs := make([]error, len(in))
	var todo []int
	seen := make(map[int]bool, len(in))
	for k, b := range in {
		if seen[b.Index] {
			errs[k] = fmt.Errorf("%w: block %d given twice", ErrInvalidBlock, b.Index)
			continue
		}
		seen[b.Index] = true
		if errs[k] = check(k); errs[k] == nil {
			todo = append(todo, k)
		}
	}
	iters := make([]int, len(in))
	inParallel(todo, func() int { return len(*workers) }, func() error {
		w, err := newWorker()
		if err == nil {
			*workers = append(*workers, w)
		}
		return err
	}, func(w, k int) {
		iters[k], errs[k] = decode((*workers)[w], k)
	})
	total := 0
	for _, it := range iters {
		total += it
	}
	return errs, total
}

// inParallel calls do(w, k) for every k of todo on min(len(todo),
// GOMAXPROCS) goroutines, each with its own worker w in [0, have()): grow
// makes one more worker, and when it fails the calls run on the workers
// there are (at least one, which the caller made first).
func inParallel(todo []int, have func() int, grow func() error, do func(w, k int)) {
	workers := min(len(todo), runtime.GOMAXPROCS(0))
	for have() < workers {
		if grow() != nil {
			workers = have()
			break
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := range next {
				do(w, k)
			}
		}(w)
	}
	for _, k := range todo {
		next <- k
	}
	close(next)
	wg.Wait()
}

// CheckBlockShape checks the sizes of a block before its arrays are read:
// the index within the plan, the syndrome's bit count and, for
// multidimensional reconciliation, the numbers of rotation and norm values
// (sign reconciliation ignores them); disclosed bits belong to slice
// blocks only. An error wraps ErrInvalidBlock. A packed EC_BLOCK batch is
// checked with it before anything is unpacked.
func (a *AliceReconciler) CheckBlockShape(i, syndromeBits, rotation, norms, disclosedBits int) error {
	if err := a.checkIndex(i); err != nil {
		return err
	}
	if disclosedBits != 0 {
		return fmt.Errorf("%w: %d disclosed bits in a block of %s reconciliation", ErrInvalidBlock, disclosedBits, a.plan.Scheme)
	}
	if syndromeBits != a.code.m {
		return fmt.Errorf("%w: syndrome of %d bits, want %d", ErrInvalidBlock, syndromeBits, a.code.m)
	}
	if n := a.code.channel; a.plan.Scheme == SchemeMultidimensional && (rotation != n || norms != n/mdDim) {
		return fmt.Errorf("%w: side information of %d rotation and %d norm values, want %d and %d",
			ErrInvalidBlock, rotation, norms, n, n/mdDim)
	}
	return nil
}

// checkBlock is what DecodeBlockSide checks before decoding.
func (a *AliceReconciler) checkBlock(i int, syndrome []uint8, side BlockSideInfo) error {
	if err := a.CheckBlockShape(i, len(syndrome), len(side.Rotation), len(side.Norms), len(side.Disclosed)); err != nil {
		return err
	}
	if a.states[i] != BlockPending {
		return fmt.Errorf("%w: block %d already decided", ErrInvalidBlock, i)
	}
	for j, s := range syndrome {
		if s > 1 {
			return fmt.Errorf("%w: syndrome bit %d = %d is not a bit", ErrInvalidBlock, j, s)
		}
	}
	if a.plan.Scheme == SchemeMultidimensional {
		return checkSideInfo(side)
	}
	return checkBlockHash(side.Hash)
}

// decode decodes a checked block with worker w and records its state. Calls
// for distinct blocks may run concurrently on distinct workers.
func (a *AliceReconciler) decode(w *aliceWorker, i int, syndrome []uint8, side BlockSideInfo) (int, error) {
	out, _ := a.block(i)
	x := a.quadratures(a.x, i)
	if a.plan.Scheme == SchemeMultidimensional {
		mdLLR(x, side.Rotation, side.Norms, a.ch, w.chl)
	} else {
		for j, v := range x {
			w.chl[j] = a.ch.SignLLR(v)
		}
	}
	if a.code.roles == nil {
		copy(w.llr, w.chl)
	} else {
		q := 0
		for j, role := range a.code.roles {
			switch role {
			case roleChannel:
				w.llr[j] = w.chl[q]
				q++
			case roleShortened:
				w.llr[j] = math.Inf(1) // the decoder clamps it above anything its checks can send
			default:
				w.llr[j] = 0
			}
		}
	}
	it, ok, err := w.dec.Decode(w.llr, syndrome, out)
	if err != nil {
		return it, fmt.Errorf("%w: %w", ErrInvalidBlock, err)
	}
	if !ok {
		a.states[i] = BlockFailed
		return it, fmt.Errorf("%w: block %d after %d iterations", ErrBlockFailed, i, it)
	}
	if side.Hash != 0 {
		a.hashed[i] = true
		if BlockHash(i, out) != side.Hash {
			a.states[i] = BlockFailed
			return it, fmt.Errorf("%w: block %d reached the syndrome after %d iterations with another word than Bob's (block hash differs)", ErrBlockFailed, i, it)
		}
	}
	a.states[i] = BlockDecoded
	return it, nil
}

// BitsFromNumbers converts a JSON bit array (numbers, as EC_BLOCK's
// "syndrome" arrives) into bits, rejecting anything but 0 and 1.
func BitsFromNumbers(v []float64) ([]uint8, error) {
	out := make([]uint8, len(v))
	for i, x := range v {
		switch x {
		case 0:
		case 1:
			out[i] = 1
		default:
			return nil, fmt.Errorf("%w: entry %d = %g is not a bit", ErrInvalidBlock, i, x)
		}
	}
	return out, nil
}

// checkSideInfo checks the values of side information whose sizes
// CheckBlockShape has checked.
func checkSideInfo(side BlockSideInfo) error {
	if err := checkBlockHash(side.Hash); err != nil {
		return err
	}
	for j, v := range side.Rotation {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1+1e-6 {
			return fmt.Errorf("%w: rotation entry %d = %g is not a coordinate of a unit octonion", ErrInvalidBlock, j, v)
		}
	}
	for j, v := range side.Norms {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("%w: norm %d = %g", ErrInvalidBlock, j, v)
		}
	}
	return nil
}

func checkBlockHash(h int64) error {
	if h < 0 || h > 1<<BlockHashBits {
		return fmt.Errorf("%w: block hash %d outside [0, 2^%d]", ErrInvalidBlock, h, BlockHashBits)
	}
	return nil
}
