package postprocessing

import (
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// Slice reconciliation (sliced error correction, Van Assche, Cardinal and
// Cerf 2004; multilevel coding with multistage decoding).
//
// Bob quantizes each key quadrature y into one of 2^Bits intervals of
// equal probability under his Gaussian distribution (edges Scale·Φ⁻¹(k/2^Bits)),
// so the interval index q is uniform and its Bits binary digits are
// independent uniform bits: the slices, slice 0 the most significant (the
// sign of y). The Disclosed least significant slices he sends whole; each
// other slice he encodes with its own quasi-cyclic code and sends its
// syndrome. Alice learns the disclosed slices first, then decodes the coded
// ones from the most significant down, each with LLRs computed from her
// quadrature and every slice she already holds: the candidate intervals
// that agree with them, split by the slice's bit.
//
// The most significant slices carry most of I(X;Y); the least significant
// ones are nearly uniform given X, and disclosing them first costs only
// I(slice; X), which is small when nothing else is known (SliceCapacities).
// With capacity-achieving codes the reconciled fraction tends to
// I(X; Q)/I(X; Y), which fine quantization brings close to 1 at every SNR,
// where multidimensional reconciliation's binary channel stays below
// MDCapacity (0.919 of I(X; Y) at SNR 1).
//
// The key of a decoded block is every coded slice's code word without its
// shortened bits; the syndromes (and the hash) are charged as leaked bits.
// The disclosed slices are not key bits: they are public.

// Limits of a slice plan.
const (
	MinSliceBits = 2
	MaxSliceBits = 8
	// MaxSliceBlockBits bounds the code bits of one block, all its slices'
	// codes together: Alice holds one decoder per slice and core, about
	// 1.5 GB at her peak with 4 codes of 3.7·10^6 bits on 2 cores (25 km,
	// 10^7 symbols). PlanSlices plans shorter blocks to stay within it.
	MaxSliceBlockBits = 1 << 24
)

// SlicePlan is the plan of slice reconciliation of one frame.
type SlicePlan struct {
	// Bits is the number of slices: quantization bits per quadrature.
	Bits int
	// Disclosed is how many least significant slices Bob sends whole.
	Disclosed int
	// Scale is the standard deviation of Bob's quadratures, the unit of
	// the quantizer's edges.
	Scale float64
	// Codes has one code per coded slice, most significant first
	// (Bits − Disclosed of them), each with ChannelBits equal to the
	// block's quadratures.
	Codes []qcldpc.Description
	// Blocks is the number of blocks.
	Blocks int
}

// Coded is the number of slices that are encoded.
func (p SlicePlan) Coded() int { return p.Bits - p.Disclosed }

// Quadratures per block: the channel bits of every slice's code.
func (p SlicePlan) Quadratures() int {
	if len(p.Codes) == 0 {
		return 0
	}
	return p.Codes[0].ChannelBits()
}

// Validate checks the plan's shape: it is what a peer's plan must pass too.
func (p SlicePlan) Validate() error {
	switch {
	case p.Bits < MinSliceBits || p.Bits > MaxSliceBits:
		return fmt.Errorf("%w: slice bits %d outside [%d, %d]", ErrInvalidPlan, p.Bits, MinSliceBits, MaxSliceBits)
	case p.Disclosed < 0 || p.Disclosed >= p.Bits:
		return fmt.Errorf("%w: disclosed slices %d outside [0, %d)", ErrInvalidPlan, p.Disclosed, p.Bits)
	case !(p.Scale > 0) || math.IsInf(p.Scale, 0):
		return fmt.Errorf("%w: slice scale %g, want a finite scale > 0", ErrInvalidPlan, p.Scale)
	case len(p.Codes) != p.Coded():
		return fmt.Errorf("%w: %d slice codes for %d coded slices", ErrInvalidPlan, len(p.Codes), p.Coded())
	case p.Blocks < 1:
		return fmt.Errorf("%w: %d blocks", ErrInvalidPlan, p.Blocks)
	}
	q := -1
	for j, d := range p.Codes {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("%w: slice %d: %w", ErrInvalidPlan, j, err)
		}
		if c := d.ChannelBits(); q < 0 {
			q = c
		} else if c != q {
			return fmt.Errorf("%w: slice %d's code has %d channel bits, slice 0's %d", ErrInvalidPlan, j, c, q)
		}
	}
	if q < 1 {
		return fmt.Errorf("%w: slice codes with %d channel bits", ErrInvalidPlan, q)
	}
	if n := p.codeBits(); n > MaxSliceBlockBits {
		return fmt.Errorf("%w: slice codes of %d bits in all, more than %d", ErrInvalidPlan, n, MaxSliceBlockBits)
	}
	if total := float64(p.Blocks) * float64(q); total > MaxPlanKeyBits {
		return fmt.Errorf("%w: %d blocks of %d quadratures exceed %d", ErrInvalidPlan, p.Blocks, q, MaxPlanKeyBits)
	}
	return nil
}

// BlockKeyBits is the key bits of one decoded block before the syndromes
// are taken off: every coded slice's code word but its shortened bits.
func (p SlicePlan) BlockKeyBits() int {
	k := 0
	for _, d := range p.Codes {
		k += d.N() - d.Shortened
	}
	return k
}

// BlockLeakedBits is the syndrome bits of one block (the hash aside).
func (p SlicePlan) BlockLeakedBits() int {
	m := 0
	for _, d := range p.Codes {
		m += d.M()
	}
	return m
}

// Rate is the reconciled bits per quadrature of a decoded block:
// (key bits − syndrome bits) / quadratures. β is Rate/I(X;Y).
func (p SlicePlan) Rate() float64 {
	q := p.Quadratures()
	if q == 0 {
		return 0
	}
	return float64(p.BlockKeyBits()-p.BlockLeakedBits()) / float64(q)
}

// checkBlock checks a block index against the plan.
func (p SlicePlan) checkBlock(i int) error {
	if i < 0 || i >= p.Blocks {
		return fmt.Errorf("%w: block %d outside [0, %d)", ErrInvalidBlock, i, p.Blocks)
	}
	return nil
}

// sliceEdges returns the 2^bits + 1 edges of the quantizer, ±Inf at the ends.
func sliceEdges(bits int, scale float64) []float64 {
	l := 1 << bits
	e := make([]float64, l+1)
	e[0], e[l] = math.Inf(-1), math.Inf(1)
	for k := 1; k < l; k++ {
		e[k] = scale * -math.Sqrt2 * math.Erfcinv(2*float64(k)/float64(l))
	}
	return e
}

// quantize returns the index of the interval of edges holding y.
func quantize(edges []float64, y float64) int {
	lo, hi := 0, len(edges)-1 // edges[lo] ≤ y < edges[hi]
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if y < edges[mid] {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo
}

// intervalProb is P(a ≤ μ + σZ < b) for Z standard normal, computed from
// the tail nearer to the interval so that small probabilities keep their
// relative precision.
func intervalProb(a, b, mu, sigma float64) float64 {
	za, zb := (a-mu)/sigma, (b-mu)/sigma
	switch {
	case za >= 0:
		return 0.5 * (math.Erfc(za/math.Sqrt2) - math.Erfc(zb/math.Sqrt2))
	case zb <= 0:
		return 0.5 * (math.Erfc(-zb/math.Sqrt2) - math.Erfc(-za/math.Sqrt2))
	}
	return 1 - 0.5*(math.Erfc(zb/math.Sqrt2)+math.Erfc(-za/math.Sqrt2))
}

// The normal distribution function for Alice's LLRs, tabulated: Φ and its
// density every 1/64 on [−phiSpan, phiSpan], cubic Hermite interpolation in
// between (error below 10^-9, TestPhiTable), 0 and 1 beyond. Its absolute
// precision is what the LLRs need: they are clamped at ±sliceLLRClamp, so
// a candidate set of probability below e^-10 of the other's only has to be
// small. It is five times faster than math.Erfc, which bounded the
// throughput of slice reconciliation.
const (
	phiSpan  = 12
	phiSteps = 64 // per unit
)

var normalTable = func() (t [2*phiSpan*phiSteps + 2][2]float64) {
	for k := range t {
		z := float64(k)/phiSteps - phiSpan
		t[k] = [2]float64{0.5 * math.Erfc(-z/math.Sqrt2), math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) / phiSteps}
	}
	return t
}()

// phiFast is Φ(z) from normalTable.
func phiFast(z float64) float64 {
	if !(z > -phiSpan) { // NaN too
		if z > 0 {
			return 1
		}
		return 0
	}
	if z >= phiSpan {
		return 1
	}
	u := (z + phiSpan) * phiSteps
	k := int(u)
	t := u - float64(k)
	a, b := normalTable[k], normalTable[k+1]
	s := 1 - t
	return s*s*((1+2*t)*a[0]+t*a[1]) + t*t*((3-2*t)*b[0]-s*b[1])
}

// sliceLLRClamp bounds slice LLRs, as qcChannelLLRClamp bounds the
// decoder's inputs; it also stands in when both candidate sets have
// probability 0 in float64 (Alice's quadrature tens of standard deviations
// away from every candidate interval: the slices known so far are wrong).
const sliceLLRClamp = qcChannelLLRClamp

// sliceLLR returns ln P(bit 0)/P(bit 1) of slice j (0 = most significant)
// given Alice's quadrature x, the channel y = Gain·x + n, and the other
// known slices of the quadrature: known holds the interval index's known
// bits in place, mask marks them. The candidates are the intervals whose
// known bits agree.
func sliceLLR(edges []float64, bits, j int, known, mask int, x float64, ch Channel) float64 {
	mu, sigma := ch.Gain*x, math.Sqrt(ch.Noise)
	shift := bits - 1 - j
	var p [2]float64
	var far [2]float64 // the least distance from mu to a candidate, per bit
	far[0], far[1] = math.Inf(1), math.Inf(1)
	// The candidates are known with every subset of the free bits: walk
	// the subsets (sub = (sub − 1) & free visits each once, down to 0).
	free := (1<<bits - 1) &^ mask
	for sub := free; ; sub = (sub - 1) & free {
		q := known&mask | sub
		b := (q >> shift) & 1
		p[b] += phiFast((edges[q+1]-mu)/sigma) - phiFast((edges[q]-mu)/sigma)
		d := 0.0
		if mu < edges[q] {
			d = edges[q] - mu
		} else if mu > edges[q+1] {
			d = mu - edges[q+1]
		}
		far[b] = min(far[b], d)
		if sub == 0 {
			break
		}
	}
	switch {
	case p[0] > 0 && p[1] > 0:
		return min(max(math.Log(p[0]/p[1]), -sliceLLRClamp), sliceLLRClamp)
	case p[0] > 0 || (p[1] == 0 && far[0] < far[1]):
		return sliceLLRClamp
	}
	return -sliceLLRClamp
}

// SliceCapacities returns, for slice reconciliation with bits slices of
// which disclosed are sent whole, at SNR snr (y = √snr·x + n with x and n
// standard normal, Bob's edges at √(1 + snr)·Φ⁻¹(k/2^bits)):
// lost, the information on X of the disclosed slices, I(S_disclosed; X),
// which disclosing them throws away; and per coded slice, most significant
// first, its capacity I(S_j; X | the disclosed slices, S_0 … S_{j−1}), the
// most its code can reconcile. lost plus the capacities is I(X; Q) by the
// chain rule. Integrated numerically over x (midpoint rule, ±9 standard
// deviations, 1801 points).
func SliceCapacities(snr float64, bits, disclosed int) (lost float64, capacities []float64) {
	if !(snr > 0) || bits < 1 || bits > MaxSliceBits || disclosed < 0 || disclosed >= bits {
		return 0, nil
	}
	l := 1 << bits
	edges := sliceEdges(bits, math.Sqrt(1+snr))
	ch := Channel{Gain: math.Sqrt(snr), Noise: 1}
	const points, span = 1801, 9.0
	// order of the bits revealed: the disclosed least significant ones,
	// then the coded ones from the most significant.
	var order []int
	for j := 0; j < disclosed; j++ {
		order = append(order, bits-1-j)
	}
	for j := 0; j < bits-disclosed; j++ {
		order = append(order, j)
	}
	pq := make([]float64, l)
	cond := make([]float64, bits+1) // H(first k bits of order | X)
	group := make([]float64, l)
	for i := 0; i < points; i++ {
		x := -span + 2*span*(float64(i)+0.5)/points
		w := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) * 2 * span / points
		for q := range pq {
			pq[q] = intervalProb(edges[q], edges[q+1], ch.Gain*x, 1)
		}
		for k := 1; k <= bits; k++ {
			clear(group[:1<<k])
			for q, p := range pq {
				key := 0
				for _, pos := range order[:k] {
					key = key<<1 | (q>>(bits-1-pos))&1
				}
				group[key] += p
			}
			h := 0.0
			for _, p := range group[:1<<k] {
				if p > 0 {
					h -= p * math.Log2(p)
				}
			}
			cond[k] += w * h
		}
	}
	// Each slice is a uniform bit, independent of the others: its
	// information on X given the earlier ones is 1 − H(S | X, earlier).
	for k := 1; k <= bits; k++ {
		c := 1 - (cond[k] - cond[k-1])
		if k <= disclosed {
			lost += c
		} else {
			capacities = append(capacities, c)
		}
	}
	return lost, capacities
}

// sliceCodes holds the built codes of a plan.
type sliceCodes struct {
	codes []*blockCode
	edges []float64
}

func (p SlicePlan) build() (*sliceCodes, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := &sliceCodes{edges: sliceEdges(p.Bits, p.Scale)}
	for j, d := range p.Codes {
		c, err := qcBlockCode(d)
		if err != nil {
			return nil, fmt.Errorf("%w: slice %d: %w", ErrInvalidPlan, j, err)
		}
		s.codes = append(s.codes, c)
	}
	return s, nil
}

// SliceBob is Bob's side of slice reconciliation. It is not safe for
// concurrent use.
type SliceBob struct {
	plan  SlicePlan
	sc    *sliceCodes
	index []uint16    // interval index of each reconciled quadrature
	words [][][]uint8 // [block][coded slice] code word
	state []BlockState
}

// NewSliceBob quantizes Bob's key quadratures (the first Blocks ×
// Quadratures of y) and builds each block's code words; punctured bits are
// drawn from src (a CSPRNG outside tests; nil for crypto/rand).
func NewSliceBob(plan SlicePlan, y []float64, src io.Reader) (*SliceBob, error) {
	sc, err := plan.build()
	if err != nil {
		return nil, err
	}
	if src == nil {
		src = rand.Reader
	}
	q := plan.Quadratures()
	if need := plan.Blocks * q; len(y) < need {
		return nil, fmt.Errorf("%w: %d key quadratures, the plan needs %d", ErrInvalidPlan, len(y), need)
	}
	b := &SliceBob{plan: plan, sc: sc, index: make([]uint16, plan.Blocks*q), state: make([]BlockState, plan.Blocks)}
	for i := range b.index {
		b.index[i] = uint16(quantize(sc.edges, y[i]))
	}
	b.words = make([][][]uint8, plan.Blocks)
	for i := range b.words {
		b.words[i] = make([][]uint8, plan.Coded())
		for j, c := range sc.codes {
			raw := make([]byte, (c.n+7)/8)
			if _, err := io.ReadFull(src, raw); err != nil {
				return nil, fmt.Errorf("slice reconciliation punctured bits: %w", err)
			}
			word := UnpackBits(raw, c.n)
			shift := plan.Bits - 1 - j
			idx := b.index[i*q : (i+1)*q]
			k := 0
			for t := range word {
				switch c.roles[t] {
				case roleShortened:
					word[t] = 0
				case roleChannel:
					word[t] = uint8(idx[k]>>shift) & 1
					k++
				}
			}
			b.words[i][j] = word
		}
	}
	return b, nil
}

// Disclosed returns block i's disclosed slices, least significant first:
// one bit per quadrature each.
func (b *SliceBob) Disclosed(i int) ([][]uint8, error) {
	if err := b.plan.checkBlock(i); err != nil {
		return nil, err
	}
	q := b.plan.Quadratures()
	idx := b.index[i*q : (i+1)*q]
	out := make([][]uint8, b.plan.Disclosed)
	for s := range out {
		out[s] = make([]uint8, q)
		for t, v := range idx {
			out[s][t] = uint8(v>>s) & 1
		}
	}
	return out, nil
}

// Syndromes returns block i's syndromes, one per coded slice, most
// significant first.
func (b *SliceBob) Syndromes(i int) ([][]uint8, error) {
	if err := b.plan.checkBlock(i); err != nil {
		return nil, err
	}
	out := make([][]uint8, b.plan.Coded())
	for j, c := range b.sc.codes {
		out[j] = make([]uint8, c.m)
		if err := c.syndrome(b.words[i][j], out[j]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Hash is the hash of block i's key bits (its coded slices' words).
func (b *SliceBob) Hash(i int) (int64, error) {
	if err := b.plan.checkBlock(i); err != nil {
		return 0, err
	}
	return BlockHash(i, concatWords(b.words[i])), nil
}

// Syndrome returns block i's syndromes one after the other, most
// significant coded slice first: EC_BLOCK's "syndrome" of a slice block.
func (b *SliceBob) Syndrome(i int) ([]uint8, error) {
	syn, err := b.Syndromes(i)
	if err != nil {
		return nil, err
	}
	return concatWords(syn), nil
}

// SideInfo returns block i's hash and its disclosed slices one after the
// other, least significant first: what EC_BLOCK carries besides the
// syndrome.
func (b *SliceBob) SideInfo(i int) (BlockSideInfo, error) {
	d, err := b.Disclosed(i)
	if err != nil {
		return BlockSideInfo{}, err
	}
	h, err := b.Hash(i)
	if err != nil {
		return BlockSideInfo{}, err
	}
	return BlockSideInfo{Hash: h, Disclosed: concatWords(d)}, nil
}

// Accept records whether Alice decoded block i.
func (b *SliceBob) Accept(i int, decoded bool) error {
	if err := b.plan.checkBlock(i); err != nil {
		return err
	}
	if b.state[i] != BlockPending {
		return fmt.Errorf("%w: block %d already decided", ErrInvalidBlock, i)
	}
	b.state[i] = BlockFailed
	if decoded {
		b.state[i] = BlockDecoded
	}
	return nil
}

// Key returns the key bits of the decoded blocks in block order.
func (b *SliceBob) Key() []uint8 { return sliceKey(b.sc, b.words, b.state) }

// Stats summarises the blocks.
func (b *SliceBob) Stats() ReconciliationStats { return sliceStats(b.plan, b.state, 0) }

func concatWords(words [][]uint8) []uint8 {
	var out []uint8
	for _, w := range words {
		out = append(out, w...)
	}
	return out
}

func sliceKey(sc *sliceCodes, words [][][]uint8, state []BlockState) []uint8 {
	var out []uint8
	for i, st := range state {
		if st != BlockDecoded {
			continue
		}
		for j, c := range sc.codes {
			for t, v := range words[i][j] {
				if c.roles[t] != roleShortened {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// sliceStats charges every decoded block its syndromes and the block hash
// (a slice block is sent with one; DecodeBlock with hash 0 skips the check
// but the bits are charged all the same, the conservative side).
func sliceStats(p SlicePlan, state []BlockState, iters int) ReconciliationStats {
	s := ReconciliationStats{Blocks: p.Blocks, Iterations: iters}
	for _, st := range state {
		switch st {
		case BlockDecoded:
			s.Decoded++
		case BlockFailed:
			s.Failed++
		default:
			s.Pending++
		}
	}
	s.KeyBits = s.Decoded * p.BlockKeyBits()
	s.LeakedBits = s.Decoded * (p.BlockLeakedBits() + BlockHashBits)
	s.Quadratures = s.Decoded * p.Quadratures()
	return s
}

// SliceAlice is Alice's side of slice reconciliation. It is not safe for
// concurrent use; DecodeBlocks decodes the blocks of one call in parallel
// itself.
type SliceAlice struct {
	plan    SlicePlan
	sc      *sliceCodes
	x       []float64
	ch      Channel
	words   [][][]uint8
	state   []BlockState
	iters   int
	workers []*sliceWorker // workers[0] from the start, the others on first use
}

// sliceWorker is one decoder per coded slice with the buffers of a block.
type sliceWorker struct {
	decs  []blockDecoder
	llr   []float64
	known []uint16 // the slices known so far of each quadrature
}

// NewSliceAlice takes Alice's key quadratures (the first Blocks ×
// Quadratures of x) and the channel y = Gain·x + n.
func NewSliceAlice(plan SlicePlan, x []float64, ch Channel) (*SliceAlice, error) {
	sc, err := plan.build()
	if err != nil {
		return nil, err
	}
	if err := ch.validate(); err != nil {
		return nil, err
	}
	q := plan.Quadratures()
	if need := plan.Blocks * q; len(x) < need {
		return nil, fmt.Errorf("%w: %d key quadratures, the plan needs %d", ErrInvalidPlan, len(x), need)
	}
	a := &SliceAlice{plan: plan, sc: sc, x: x[:plan.Blocks*q], ch: ch,
		words: make([][][]uint8, plan.Blocks), state: make([]BlockState, plan.Blocks)}
	w, err := a.newWorker()
	if err != nil {
		return nil, err
	}
	a.workers = []*sliceWorker{w}
	return a, nil
}

func (a *SliceAlice) newWorker() (*sliceWorker, error) {
	w := &sliceWorker{known: make([]uint16, a.plan.Quadratures())}
	n := 0
	for _, c := range a.sc.codes {
		dec, err := c.newDecoder(0)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
		}
		w.decs = append(w.decs, dec)
		n = max(n, c.n)
	}
	w.llr = make([]float64, n)
	return w, nil
}

// DecodeBlock decodes block i from its disclosed slices (least significant
// first) and its syndromes (most significant coded slice first), slice
// after slice; hash, when not 0, is Bob's BlockHash of the block's words.
// A slice that does not decode fails the block (ErrBlockFailed).
func (a *SliceAlice) DecodeBlock(i int, disclosed, syndromes [][]uint8, hash int64) error {
	if err := a.check(i, disclosed, syndromes, hash); err != nil {
		return err
	}
	it, err := a.decode(a.workers[0], i, disclosed, syndromes, hash)
	a.iters += it
	return err
}

// CheckBlockShape checks the sizes of a block before its arrays are read:
// the index within the plan, the syndrome bits (every coded slice's, one
// after the other) and the disclosed bits (Disclosed × Quadratures); a
// slice block has no rotation or norms. An error wraps ErrInvalidBlock.
func (a *SliceAlice) CheckBlockShape(i, syndromeBits, rotation, norms, disclosedBits int) error {
	p := a.plan
	if err := p.checkBlock(i); err != nil {
		return err
	}
	switch {
	case syndromeBits != p.BlockLeakedBits():
		return fmt.Errorf("%w: syndromes of %d bits, want %d (%d slices)", ErrInvalidBlock, syndromeBits, p.BlockLeakedBits(), p.Coded())
	case disclosedBits != p.Disclosed*p.Quadratures():
		return fmt.Errorf("%w: %d disclosed bits, want %d (%d slices of %d quadratures)", ErrInvalidBlock, disclosedBits, p.Disclosed*p.Quadratures(), p.Disclosed, p.Quadratures())
	case rotation != 0 || norms != 0:
		return fmt.Errorf("%w: a slice block carries no rotation or norms", ErrInvalidBlock)
	}
	return nil
}

// split cuts a block's syndromes and disclosed bits, one after the other
// as EC_BLOCK carries them, into slices.
func (a *SliceAlice) split(i int, syndrome []uint8, side BlockSideInfo) (disclosed, syndromes [][]uint8, err error) {
	if err := a.CheckBlockShape(i, len(syndrome), len(side.Rotation), len(side.Norms), len(side.Disclosed)); err != nil {
		return nil, nil, err
	}
	q := a.plan.Quadratures()
	for s := range a.plan.Disclosed {
		disclosed = append(disclosed, side.Disclosed[s*q:(s+1)*q])
	}
	for _, c := range a.sc.codes {
		syndromes, syndrome = append(syndromes, syndrome[:c.m]), syndrome[c.m:]
	}
	return disclosed, syndromes, nil
}

// DecodeBlockSide decodes block i from its syndromes one after the other
// (most significant coded slice first) and side's hash and disclosed
// slices: the form EC_BLOCK carries.
func (a *SliceAlice) DecodeBlockSide(i int, syndrome []uint8, side BlockSideInfo) error {
	disclosed, syndromes, err := a.split(i, syndrome, side)
	if err != nil {
		return err
	}
	return a.DecodeBlock(i, disclosed, syndromes, side.Hash)
}

// DecodeBlocks decodes several blocks (an EC_BLOCK batch) at once, on as
// many workers as there are blocks, at most GOMAXPROCS (each made on first
// use and kept), and returns one error per block as DecodeBlockSide would.
// A block index given twice in one call is an ErrInvalidBlock for the
// second.
func (a *SliceAlice) DecodeBlocks(in []BlockInput) []error {
	type split struct{ disclosed, syndromes [][]uint8 }
	parts := make([]split, len(in))
	errs, iters := decodeBatch(in, &a.workers, a.newWorker, func(k int) error {
		b := in[k]
		d, s, err := a.split(b.Index, b.Syndrome, b.Side)
		if err == nil {
			err = a.check(b.Index, d, s, b.Side.Hash)
		}
		parts[k] = split{d, s}
		return err
	}, func(w *sliceWorker, k int) (int, error) {
		return a.decode(w, in[k].Index, parts[k].disclosed, parts[k].syndromes, in[k].Side.Hash)
	})
	a.iters += iters
	return errs
}

// check is what DecodeBlock checks before decoding.
func (a *SliceAlice) check(i int, disclosed, syndromes [][]uint8, hash int64) error {
	p := a.plan
	q := p.Quadratures()
	if err := p.checkBlock(i); err != nil {
		return err
	}
	switch {
	case a.state[i] != BlockPending:
		return fmt.Errorf("%w: block %d already decided", ErrInvalidBlock, i)
	case len(disclosed) != p.Disclosed:
		return fmt.Errorf("%w: %d disclosed slices, want %d", ErrInvalidBlock, len(disclosed), p.Disclosed)
	case len(syndromes) != p.Coded():
		return fmt.Errorf("%w: %d syndromes, want %d", ErrInvalidBlock, len(syndromes), p.Coded())
	}
	if err := checkBlockHash(hash); err != nil {
		return err
	}
	for s, bits := range disclosed {
		if len(bits) != q {
			return fmt.Errorf("%w: disclosed slice %d has %d bits, want %d", ErrInvalidBlock, s, len(bits), q)
		}
		for t, v := range bits {
			if v > 1 {
				return fmt.Errorf("%w: disclosed slice %d, bit %d = %d is not a bit", ErrInvalidBlock, s, t, v)
			}
		}
	}
	for j, c := range a.sc.codes {
		if len(syndromes[j]) != c.m {
			return fmt.Errorf("%w: slice %d's syndrome has %d bits, want %d", ErrInvalidBlock, j, len(syndromes[j]), c.m)
		}
		for t, v := range syndromes[j] {
			if v > 1 {
				return fmt.Errorf("%w: slice %d's syndrome bit %d = %d is not a bit", ErrInvalidBlock, j, t, v)
			}
		}
	}
	return nil
}

// decode decodes a checked block with worker w and records its state. Calls
// for distinct blocks may run concurrently on distinct workers.
func (a *SliceAlice) decode(w *sliceWorker, i int, disclosed, syndromes [][]uint8, hash int64) (iters int, err error) {
	p := a.plan
	q := p.Quadratures()
	clear(w.known)
	mask := 0
	for s, bits := range disclosed {
		for t, v := range bits {
			w.known[t] |= uint16(v) << s
		}
		mask |= 1 << s
	}
	x := a.x[i*q : (i+1)*q]
	words := make([][]uint8, p.Coded())
	for j, c := range a.sc.codes {
		llr := w.llr[:c.n]
		k := 0
		for t, role := range c.roles {
			switch role {
			case roleChannel:
				llr[t] = sliceLLR(a.sc.edges, p.Bits, j, int(w.known[k]), mask, x[k], a.ch)
				k++
			case roleShortened:
				llr[t] = math.Inf(1)
			default:
				llr[t] = 0
			}
		}
		words[j] = make([]uint8, c.n)
		it, ok, err := w.decs[j].Decode(llr, syndromes[j], words[j])
		iters += it
		if err != nil {
			return iters, fmt.Errorf("%w: slice %d: %w", ErrInvalidBlock, j, err)
		}
		if !ok {
			a.state[i] = BlockFailed
			return iters, fmt.Errorf("%w: block %d, slice %d after %d iterations", ErrBlockFailed, i, j, it)
		}
		shift := p.Bits - 1 - j
		k = 0
		for t, role := range c.roles {
			if role == roleChannel {
				w.known[k] |= uint16(words[j][t]) << shift
				k++
			}
		}
		mask |= 1 << shift
	}
	if hash != 0 && BlockHash(i, concatWords(words)) != hash {
		if testHookSliceWrongWords != nil {
			testHookSliceWrongWords(i, words)
		}
		a.state[i] = BlockFailed
		return iters, fmt.Errorf("%w: block %d reached every syndrome with other words than Bob's (block hash differs)", ErrBlockFailed, i)
	}
	a.words[i] = words
	a.state[i] = BlockDecoded
	return iters, nil
}

// testHookSliceWrongWords, when set (by a benchmark), sees the words of a
// block that met every syndrome but not Bob's hash.
var testHookSliceWrongWords func(block int, words [][]uint8)

// Key returns the key bits of the decoded blocks in block order.
func (a *SliceAlice) Key() []uint8 { return sliceKey(a.sc, a.words, a.state) }

// Stats summarises the blocks.
func (a *SliceAlice) Stats() ReconciliationStats { return sliceStats(a.plan, a.state, a.iters) }

// SliceParams are the inputs of PlanSlices.
type SliceParams struct {
	// KeyQuadratures is the number of key quadratures to reconcile.
	KeyQuadratures int
	// SNR per quadrature, Gain²·Va/Noise.
	SNR float64
	// Scale is the standard deviation of Bob's quadratures.
	Scale float64
	// Bits and Disclosed choose the quantization; both 0: the pair with
	// the most expected reconciled bits (DefaultSliceShape).
	Bits, Disclosed int
	// Efficiency, when not nil, is the target β of each coded slice's code
	// relative to the code the multidimensional planner would pick at the
	// slice's equivalent SNR (1 = the same code); nil: the planner's
	// default target at that SNR, kept ThresholdMargin below the code's
	// threshold.
	Efficiency []float64
	// Beta, when not 0, replaces the planner's default target β at each
	// slice's equivalent SNR (Efficiency still multiplies it), and the
	// threshold margin is not checked.
	Beta float64
	// MaxBlockLength bounds the quadratures of a block (0: DefaultQCBlockLength).
	MaxBlockLength int
	// Seed seeds the codes (slice j's code gets Seed + j).
	Seed int64
	// Families restricts the code families (qcldpc.ForRateAmong); nil:
	// all of them.
	Families []int
}

var (
	mdCapOnce  sync.Once
	mdCapTable []float64 // mdCapacityCoarse at mdCapSNR(i)
)

const (
	mdCapPoints = 81
	mdCapLo     = 1e-3 // SNR of the first point; 10^(1/20) apart, up to 10
)

func mdCapSNR(i int) float64 { return mdCapLo * math.Pow(10, float64(i)/20) }

// mdCapacityCoarse is MDCapacity on coarser grids (160 points of the
// fading, 400 of the noise), within 10^-5 of it from SNR 10^-3 to 10
// (TestMDCapacityCoarse) with a twenty-fifth of the evaluations: equivalentSNR's table
// takes 81 of them.
func mdCapacityCoarse(snr float64) float64 {
	return mdFading(snr, 160, func(s float64) float64 {
		// BIAWGN capacity, midpoint rule on the noise over ±10 with 400 points.
		const zPoints, span = 400, 10.0
		a := math.Sqrt(s)
		loss := 0.0
		for k := 0; k < zPoints; k++ {
			z := -span + 2*span*(float64(k)+0.5)/zPoints
			t := -2 * a * (a + z)
			l := t / math.Ln2
			if t <= 30 {
				l = math.Log1p(math.Exp(t)) / math.Ln2
			}
			loss += math.Exp(-z*z/2) * l
		}
		return 1 - loss*2*span/zPoints/math.Sqrt(2*math.Pi)
	})
}

// equivalentSNR returns the SNR at which multidimensional reconciliation's
// channel has capacity c (MDCapacity), interpolated in log SNR in a table
// from SNR 10^-3 to 10: the SNR whose planned code serves a slice of
// capacity c.
func equivalentSNR(c float64) float64 {
	mdCapOnce.Do(func() {
		mdCapTable = make([]float64, mdCapPoints)
		for i := range mdCapTable {
			mdCapTable[i] = mdCapacityCoarse(mdCapSNR(i))
		}
	})
	t := mdCapTable
	if c <= t[0] {
		return mdCapSNR(0) * c / t[0]
	}
	for i := 1; i < len(t); i++ {
		if c <= t[i] {
			f := (c - t[i-1]) / (t[i] - t[i-1])
			return math.Exp(math.Log(mdCapSNR(i-1)) + f*(math.Log(mdCapSNR(i))-math.Log(mdCapSNR(i-1))))
		}
	}
	return mdCapSNR(len(t) - 1)
}

// The least significant coded slices have a harder channel than the
// multidimensional one of the same capacity: at SNR 0.5 (6 slices, 1
// disclosed, blocks of 2 796 202 quadratures) slice 4, capacity 0.0049 at the
// equivalent SNR 0.0068, failed 9 of 45 blocks at the default target there
// (0.95, which multidimensional reconciliation meets at that SNR: 1/24 at
// 2^21, 0/24 at 2^22), 2 of 45 at 0.96 of it (one a wrong word) and none at 0.93, while
// slice 4 at SNR 1 (capacity 0.0094, equivalent SNR 0.0131) met the
// default target in 45 blocks. So a slice's default target is multiplied
// by lowSliceFactor at equivalent SNRs up to lowSliceSNR, by 1 from
// lowSliceSNR1, and by the log-linear interpolation between.
const (
	lowSliceFactor = 0.93
	lowSliceSNR    = 0.0068
	lowSliceSNR1   = 0.0131
)

// sliceFactor multiplies every coded slice's default target: a block
// fails when any of its five codes does, so each needs a lower FER than a
// multidimensional block at its table's point (FER ≤ 10 %). At the default
// targets without it (blocks of 2 796 202 quadratures, 105 each): SNR 0.5, β
// 0.934, FER 10/105; SNR 1, β 0.930, FER 11/105 (of the failures the
// benchmark printed, slices 1 and 2 at SNR 0.5, one a wrong word, and
// slices 2 to 4 at SNR 1, two wrong words).
const sliceFactor = 0.995

// sliceFactorAt is the factor on the default target of a slice whose
// equivalent SNR is s: sliceFactor, times the low slices' factor.
func sliceFactorAt(s float64) float64 {
	switch {
	case s <= lowSliceSNR:
		return sliceFactor * lowSliceFactor
	case s >= lowSliceSNR1:
		return sliceFactor
	}
	t := math.Log(s/lowSliceSNR) / math.Log(lowSliceSNR1/lowSliceSNR)
	return sliceFactor * (lowSliceFactor + t*(1-lowSliceFactor))
}

// sliceTargets returns each coded slice's equivalent SNR and target rate
// (efficiency times the default β there, or beta when not 0, times the
// Gaussian capacity there), for blocks of q quadratures. The default β
// of every slice is lowered (sliceFactorAt), except for a slice whose rate
// (at that default) a family of familyTargets codes, when fams allows it
// (nil: every family): there the default is that family's slice target,
// or for the first slice its first slice factor times the default.
func sliceTargets(caps []float64, q int, beta float64, eff []float64, fams []int) (snrs, rates []float64) {
	for j, c := range caps {
		s := equivalentSNR(c)
		e := DefaultEfficiencyAt(s, q) * sliceFactorAt(s)
		if beta != 0 {
			e = beta
		} else if d, err := qcldpc.ForRateAmong(e*GaussianCapacity(s), q, fams); err == nil {
			kind := targetSlice
			if j == 0 {
				kind = targetFirstSlice
			}
			e = familyTarget(d.Family, s, e, kind)
		}
		if j < len(eff) {
			e *= eff[j]
		}
		snrs = append(snrs, s)
		rates = append(rates, e*GaussianCapacity(s))
	}
	return snrs, rates
}

// DefaultSliceShape returns the quantization (bits, disclosed slices) with
// the most expected reconciled bits per quadrature at snr for blocks of q
// quadratures: each coded slice at the rate the planner's default β gives
// at its equivalent SNR, every coded slice at a rate the code families
// serve, with at most defaultMaxSliceBits slices. ok is false when no
// shape has a codeable slice.
func DefaultSliceShape(snr float64, q int) (bits, disclosed int, ok bool) {
	return defaultSliceShape(snr, q, nil)
}

// defaultMaxSliceBits bounds the slices of the default shape. Past 7 the
// quantizer gains little and each more disclosed slice is one more bit per
// quadrature on the wire: at SNR 1, I(X; Q) less the disclosed slices'
// information is 0.9914 of I(X; Y) with 6 slices (1 disclosed), 0.9930 with
// 7 (2 disclosed) and 0.9938 with 8 (3 disclosed) (SliceCapacities); at
// the default targets 7/2 plans β 0.0017 above 6/1 at SNR 1 and 0.0016 at
// 0.5 (blocks of 2 796 202 quadratures).
const defaultMaxSliceBits = 7

// defaultSliceShape is DefaultSliceShape with the code families restricted
// to fams (nil: every family).
func defaultSliceShape(snr float64, q int, fams []int) (bits, disclosed int, ok bool) {
	lo, _ := qcldpc.RateRangeAt(q)
	best := 0.0
	for m := 3; m <= defaultMaxSliceBits; m++ {
		for d := 0; d < m; d++ {
			_, caps := SliceCapacities(snr, m, d)
			_, rates := sliceTargets(caps, q, 0, nil, fams)
			sum, fine := 0.0, true
			for _, r := range rates {
				if r < lo {
					fine = false
				}
				sum += r
			}
			if fine && sum > best {
				best, bits, disclosed, ok = sum, m, d, true
			}
		}
	}
	return bits, disclosed, ok
}

// sliceCode returns the code for rate with exactly q channel bits. ok is
// false when even MaxLength bits give fewer.
//
// From qcldpc.WideMinLength channel bits it is qcldpc.ForRateLength's: the
// target rate exactly, a few bits punctured. Before it, the shortest
// long-enough ForRate code shortened its excess, which costs (1 − rate)
// key bits per excess bit: at SNR 0.5 in blocks of 2^20 quadratures it
// cost the lowest slice (rate 0.012, 3 216 excess bits) a fifth of its
// key, and the plan 0.015 of β. Shorter blocks keep that rule: there the
// punctured bits made decoders meet Bob's syndromes with other words (a
// slice test with blocks under 2^15 quadratures at 0.8 of the default
// targets failed 16 of 60 runs with ForRateLength's codes, none of 60
// with these).
func sliceCode(rate float64, q int, among []int) (qcldpc.Description, bool, error) {
	at := func(n int) (qcldpc.Description, error) { return qcldpc.ForRateAmong(rate, n, among) }
	d, err := at(qcldpc.MaxLength)
	if err != nil {
		return d, false, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	if d.ChannelBits() < q {
		return d, false, nil
	}
	if q >= qcldpc.WideMinLength {
		if d, err = qcldpc.ForRateLength(rate, q, among); err != nil {
			return d, false, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
		}
		return d, true, nil
	}
	lo, hi := q, qcldpc.MaxLength // ChannelBits(hi) ≥ q
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if m, err := at(mid); err == nil && m.ChannelBits() >= q {
			hi = mid
		} else {
			lo = mid
		}
	}
	if d, err = at(hi); err != nil {
		return d, false, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	excess := d.ChannelBits() - q
	d.Shortened += excess
	if err := d.Validate(); err != nil {
		// Short blocks: the length moves in steps of a few thousand bits,
		// and shortening the excess leaves a low-rate code no key.
		return d, false, fmt.Errorf("%w: no code of rate %.4f has %d channel bits (the nearest has %d more, and shortening them leaves it invalid: %w); slice reconciliation needs longer blocks",
			ErrInvalidPlan, rate, q, excess, err)
	}
	return d, true, nil
}

// PlanSlices plans slice reconciliation: blocks of at most MaxBlockLength
// quadratures (fewer, equal ones covering KeyQuadratures), one code per
// coded slice at its target rate, each kept ThresholdMargin below its
// threshold on the multidimensional channel at the slice's equivalent SNR
// when no efficiency is given.
func PlanSlices(p SliceParams) (SlicePlan, error) {
	maxQ := p.MaxBlockLength
	if maxQ == 0 {
		maxQ = DefaultQCBlockLength
	}
	switch {
	case maxQ < MinQCBlockLength || maxQ > qcldpc.MaxLength:
		return SlicePlan{}, fmt.Errorf("%w: max block length %d outside [%d, %d]", ErrInvalidPlan, maxQ, MinQCBlockLength, qcldpc.MaxLength)
	case !(p.SNR > 0) || math.IsInf(p.SNR, 0):
		return SlicePlan{}, fmt.Errorf("%w: SNR = %g, want a finite SNR > 0", ErrInvalidPlan, p.SNR)
	case !(p.Scale > 0) || math.IsInf(p.Scale, 0):
		return SlicePlan{}, fmt.Errorf("%w: scale = %g, want a finite scale > 0", ErrInvalidPlan, p.Scale)
	case p.KeyQuadratures < MinQCBlockLength:
		return SlicePlan{}, fmt.Errorf("%w: %d key quadratures, fewer than one block of %d", ErrInvalidPlan, p.KeyQuadratures, MinQCBlockLength)
	}
	if !(p.Beta >= 0 && p.Beta < 1) {
		return SlicePlan{}, fmt.Errorf("%w: target β %g outside [0, 1)", ErrInvalidPlan, p.Beta)
	}
	for j, e := range p.Efficiency {
		if !(e > 0 && e <= 1.5) {
			return SlicePlan{}, fmt.Errorf("%w: efficiency of slice %d = %g outside (0, 1.5]", ErrInvalidPlan, j, e)
		}
	}
	blocks := (p.KeyQuadratures + maxQ - 1) / maxQ
	bits, disclosed := p.Bits, p.Disclosed
	if bits == 0 && disclosed == 0 {
		var ok bool
		if bits, disclosed, ok = defaultSliceShape(p.SNR, p.KeyQuadratures/blocks, p.Families); !ok {
			return SlicePlan{}, fmt.Errorf("%w: no slice can be coded at SNR %g", ErrInvalidPlan, p.SNR)
		}
	}
	if bits < MinSliceBits || bits > MaxSliceBits || disclosed < 0 || disclosed >= bits {
		return SlicePlan{}, fmt.Errorf("%w: %d slices with %d disclosed", ErrInvalidPlan, bits, disclosed)
	}
	_, caps := SliceCapacities(p.SNR, bits, disclosed)
	for ; ; blocks++ {
		q := p.KeyQuadratures / blocks
		if q < MinQCBlockLength {
			return SlicePlan{}, fmt.Errorf("%w: the slice codes need blocks shorter than %d quadratures", ErrInvalidPlan, MinQCBlockLength)
		}
		lo, hi := qcldpc.RateRangeAt(q)
		snrs, rates := sliceTargets(caps, q, p.Beta, p.Efficiency, p.Families)
		plan := SlicePlan{Bits: bits, Disclosed: disclosed, Scale: p.Scale, Blocks: blocks}
		fits := true
		for j, r := range rates {
			if r < lo {
				return SlicePlan{}, fmt.Errorf("%w: slice %d's rate %.4f is below the lowest the code families serve (%g)", ErrInvalidPlan, j, r, lo)
			}
			r = min(r, hi)
			var d qcldpc.Description
			for step := 0; step <= thresholdSteps; step++ {
				target := r * (1 - float64(step)*thresholdStep/DefaultEfficiencyAt(snrs[j], q))
				var ok bool
				var err error
				if d, ok, err = sliceCode(target, q, p.Families); err != nil {
					return SlicePlan{}, fmt.Errorf("slice %d: %w", j, err)
				} else if !ok {
					fits = false
					break
				}
				if p.Efficiency != nil || p.Beta != 0 {
					break
				}
				// A family's own slice target was measured on slices: the
				// margin to its threshold on the MD channel, which PEXIT
				// judges at the equivalent SNR, says less (FamilySixth's
				// code at SNR 0.5: stepped from 0.964 to 0.961 of the
				// slice's capacity by this rule, where discretized DE on
				// the slice's channel puts its threshold at 0.971).
				if familyTargets[d.Family].slice > 0 {
					break
				}
				// β of the code at the equivalent SNR, kept below its threshold.
				if keep, err := keepsThresholdMargin(d, snrs[j], target/GaussianCapacity(snrs[j])); err != nil || keep {
					if err != nil {
						return SlicePlan{}, err
					}
					break
				}
			}
			if !fits {
				break
			}
			d.Seed = uint32(p.Seed) + uint32(j)
			plan.Codes = append(plan.Codes, d)
		}
		if !fits || plan.codeBits() > MaxSliceBlockBits {
			continue // shorter blocks
		}
		if err := plan.Validate(); err != nil {
			return SlicePlan{}, err
		}
		return plan, nil
	}
}

// codeBits is the bits of every slice's code word of one block.
func (p SlicePlan) codeBits() int {
	n := 0
	for _, d := range p.Codes {
		n += d.N()
	}
	return n
}

// SampleScale is √(mean y²) of the first n values of y (all when n ≤ 0 or
// beyond): the standard deviation of zero-mean quadratures, the scale Bob
// gives slice reconciliation's quantizer.
func SampleScale(y []float64, n int) float64 {
	if n <= 0 || n > len(y) {
		n = len(y)
	}
	if n == 0 {
		return 0
	}
	s := 0.0
	for _, v := range y[:n] {
		s += v * v
	}
	return math.Sqrt(s / float64(n))
}

// planSliceReconciliation is PlanReconciliation for SchemeSlice: the slice
// plan (PlanSlices at p's SNR and block bound, Bob's quadratures of
// standard deviation p.Scale or else √(Noise·(1 + SNR)), p's families, p's Efficiency as
// every slice code's target β at its equivalent SNR, its codes checked by
// GuardSlicePlan) when it reconciles more bits than the multidimensional
// plan of the same parameters, else that plan (also when the guard finds
// no good code for a slice).
func planSliceReconciliation(p PlanParams) (ReconciliationPlan, error) {
	md := p
	md.Scheme = SchemeMultidimensional
	mdPlan, mdErr := PlanReconciliation(md)
	if p.Codes == CodesGenerated || p.KeyQuadratures < MinQCBlockLength || !(p.Noise > 0) {
		return mdPlan, mdErr
	}
	scale := p.Scale
	if scale == 0 {
		scale = math.Sqrt(p.Noise * (1 + p.SNR))
	}
	sp, err := PlanSlices(SliceParams{KeyQuadratures: p.KeyQuadratures, SNR: p.SNR, Scale: scale,
		MaxBlockLength: p.MaxBlockLength, Seed: p.Seed, Families: p.Families, Beta: p.Efficiency})
	if err != nil {
		return mdPlan, mdErr
	}
	bits := func(rate float64, quadratures int) float64 { return rate * float64(quadratures) }
	if mdErr == nil && bits(sp.Rate(), sp.Blocks*sp.Quadratures()) <= bits(mdPlan.Rate(), mdPlan.Quadratures()) {
		return mdPlan, nil
	}
	// The guard simulates the channel the scale and the noise give (x of
	// unit variance): with Bob's own scale, the SNR of his data.
	if sp, _, err = GuardSlicePlan(sp, Channel{Gain: math.Sqrt(max(scale*scale-p.Noise, 0)), Noise: p.Noise}, uint64(p.Seed)); err != nil {
		return mdPlan, mdErr
	}
	plan := ReconciliationPlan{Scheme: SchemeSlice, Slices: &sp, Blocks: sp.Blocks, Noise: p.Noise}
	return plan, plan.Validate()
}
