package alice

import (
	"context"
	"fmt"
	"slices"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// keying is the error correction and privacy amplification state of a frame.
type keying struct {
	plan       pp.ReconciliationPlan
	rec        pp.AliceSide // nil once EC_VERIFICATION succeeded
	done       pp.ReconciliationStats
	snr        float64
	reconciled []uint8 // after EC_VERIFICATION_SUCCESS
	finalKey   []uint8 // after PA_SUCCESS
}

// stats is the frame's reconciliation statistics: the reconciler's, or once
// it is released after EC_VERIFICATION_SUCCESS, the ones kept then.
func (k *keying) stats() pp.ReconciliationStats {
	if k.rec != nil {
		return k.rec.Stats()
	}
	return k.done
}

// Error correction, reverse reconciliation with Alice decoding Bob's key
// bits from his syndromes and her own key symbols as side information: his
// sign bits ("reconciliation": "sign"), or his random bits tied to his
// measurements by the rotations and norms each EC_BLOCK carries
// ("multidimensional", dimension 8), or his quantized measurements, whose
// least significant slices each EC_BLOCK discloses and whose other slices
// are each coded with its own code ("slice").
// EC_INITIALIZATION → EC_READY, or EC_DENIED when the plan is invalid or does
// not fit the frame's key symbols; EC_BLOCK → EC_BLOCK_ACK when the block
// decodes, else EC_BLOCK_ERROR (the block is discarded by both sides);
// EC_REMAINING → EC_REMAINING_ERROR (no second algorithm); EC_VERIFICATION →
// EC_VERIFICATION_SUCCESS when the hash of Alice's decoded key equals Bob's,
// else EC_VERIFICATION_FAIL.
func (s *session) registerEC(m *fsm.Mux) {
	m.Handle(messages.ECInitialization, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		c := req.Content.(*messages.ECInitializationContent)
		k, err := newKeying(f, c, s.cfg.Alice.ErrorCorrection)
		if err != nil {
			s.log.Info().Err(err).Msg("error correction denied")
			return answer(messages.ECDenied, &messages.ECDeniedContent{ErrorMessage: err.Error()})
		}
		f.keying = k
		batch := messages.ECBatchSize(k.plan.M(), k.plan.DisclosedBits(), k.plan.ChannelBits(), k.plan.Scheme == pp.SchemeMultidimensional, s.cfg.Limits.MaxContent)
		s.log.Info().Str("frame", f.id.String()).Int("blocks", k.plan.Blocks).Int("n", k.plan.N()).
			Float64("rate", k.plan.Rate()).Float64("snr", k.snr).Int("batch", batch).Msg("error correction ready")
		return answer(messages.ECReady, &messages.ECReadyContent{Encoding: messages.EncodingPacked, Batch: batch})
	})
	m.Handle(messages.ECBlock, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		c := req.Content.(*messages.ECBlockContent)
		if c.Batch != nil {
			return s.decodeBatch(f, c.Batch)
		}
		bits, err := pp.BitsFromNumbers(c.Syndrome)
		if err == nil {
			err = f.keying.rec.DecodeBlockSide(c.Block, bits, pp.BlockSideInfo{Rotation: c.Rotation, Norms: c.Norms, Hash: c.Hash})
		}
		if err != nil {
			s.log.Debug().Err(err).Int("block", c.Block).Msg("block not reconciled")
			return answer(messages.ECBlockError, &messages.ECBlockErrorContent{ErrorMessage: err.Error()})
		}
		return answer(messages.ECBlockAck, nil)
	})
	m.Handle(messages.ECRemaining, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		return answer(messages.ECRemainingError, &messages.ECRemainingErrorContent{
			ErrorMessage: "Alice runs no second correction algorithm: failed blocks are discarded."})
	})
	m.Handle(messages.ECVerification, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		c := req.Content.(*messages.ECVerificationContent)
		key := f.keying.rec.Key()
		st := f.keying.rec.Stats()
		s.log.Info().Str("frame", f.id.String()).Int("decoded", st.Decoded).Int("failed", st.Failed).
			Int("pending", st.Pending).Int("key_bits", st.KeyBits).Float64("fer", st.FER()).
			Float64("efficiency", st.Efficiency(f.keying.snr)).Msg("error correction done")
		if len(key) == 0 {
			return answer(messages.ECVerificationFail, &messages.ECVerificationFailContent{ErrorMessage: "No block was reconciled."})
		}
		if pp.VerificationHash(key) != c.Hash {
			return answer(messages.ECVerificationFail, &messages.ECVerificationFailContent{ErrorMessage: "Keys are not equal."})
		}
		f.keying.reconciled = key
		// The decoders (for slice reconciliation one per slice and core,
		// about a gigabyte with blocks of 2^22 quadratures) are not needed
		// any more: privacy amplification allocates next.
		f.keying.done, f.keying.rec = st, nil
		return answer(messages.ECVerificationSuccess, nil)
	})
}

// decodeBatch decodes the blocks of a packed EC_BLOCK batch on Alice's
// cores and answers EC_BLOCK_ACK with the blocks that failed, or
// EC_BLOCK_ERROR when none decoded (all are then discarded). A block that
// does not fit the plan counts as failed, as in the one-block form.
func (s *session) decodeBatch(f *frame, batch []messages.ECBlockItem) (fsm.Answer, error) {
	rec := f.keying.rec
	in := make([]pp.BlockInput, len(batch))
	bad := make([]error, len(batch))
	for k, b := range batch {
		in[k].Index, in[k].Side.Hash = b.Block, b.Hash
		// Sizes first: nothing is unpacked (bits take 8 times their packed
		// bytes) for a block that cannot fit the plan.
		err := rec.CheckBlockShape(b.Block, b.SyndromeBits, b.Rotation.Float32Len(), b.Norms.Float32Len(), b.DisclosedBits)
		if err == nil {
			if in[k].Syndrome, err = b.Syndrome.Bits(b.SyndromeBits); err == nil && b.Rotation != nil {
				if in[k].Side.Rotation, err = b.Rotation.Float32s(); err == nil {
					in[k].Side.Norms, err = b.Norms.Float32s()
				}
			}
		}
		if err == nil && b.DisclosedBits > 0 {
			in[k].Side.Disclosed, err = b.Disclosed.Bits(b.DisclosedBits)
		}
		if err != nil {
			bad[k] = err
			in[k].Index = -1 // not decoded: DecodeBlocks refuses it
		}
	}
	errs := rec.DecodeBlocks(in)
	var failed []int
	var last error
	for k, err := range errs {
		if bad[k] != nil {
			err = bad[k]
		}
		if err != nil {
			s.log.Debug().Err(err).Int("block", batch[k].Block).Msg("block not reconciled")
			failed, last = append(failed, batch[k].Block), err
		}
	}
	if len(failed) == len(batch) {
		return answer(messages.ECBlockError, &messages.ECBlockErrorContent{ErrorMessage: last.Error()})
	}
	return answer(messages.ECBlockAck, &messages.ECBlockAckContent{Failed: failed})
}

// newKeying checks Bob's reconciliation plan against the frame and prepares
// Alice's decoder from her key symbols and Bob's estimated channel. A
// quasi-cyclic code of a family not in ec.Families (when not empty), or
// longer than ec.MaxBlockLength bits (when not 0), is refused.
func newKeying(f *frame, c *messages.ECInitializationContent, ec config.AliceErrorCorrection) (*keying, error) {
	plan, err := planFromContent(c)
	if err != nil {
		return nil, err
	}
	for _, d := range plan.QCCodes() {
		if len(ec.Families) > 0 && !slices.Contains(ec.Families, d.Family) {
			return nil, fmt.Errorf("%w: code family %d is not among alice.error_correction.families %v",
				pp.ErrInvalidPlan, d.Family, ec.Families)
		}
		if ec.MaxBlockLength > 0 && d.N() > ec.MaxBlockLength {
			return nil, fmt.Errorf("%w: a code of %d bits is longer than alice.error_correction.max_block_length %d",
				pp.ErrInvalidPlan, d.N(), ec.MaxBlockLength)
		}
	}
	params, err := f.keyRateParams()
	if err != nil {
		return nil, err
	}
	ch, err := pp.ChannelFromParams(params)
	if err != nil {
		return nil, err
	}
	x := pp.KeyQuadratures(f.keySymbols(), params.Detection)
	if plan.Quadratures() > len(x) {
		return nil, fmt.Errorf("the plan covers %d key quadratures; the frame has %d", plan.Quadratures(), len(x))
	}
	rec, err := pp.NewAliceSide(plan, x, ch)
	if err != nil {
		return nil, err
	}
	snr, _ := pp.SNR(params)
	return &keying{plan: plan, rec: rec, snr: snr}, nil
}

// keyRateParams are the frame's physics as Bob estimated them (PE_FINISHED:
// point estimates or finite-size worst case, as Bob announced) with the
// modulation variance Va = 2<n> of the mean photon number Alice's emitter
// measured for this frame (the value Bob echoed in PE_FINISHED, checked
// there, and the one his estimates and key length use), the frame's
// detection and the detector trust Bob announced. The nominal
// frame.quantum.modulation_variance is not used: on instruments the emitted
// variance departs from it, and both stations must compute from the same
// measured quantity.
func (f *frame) keyRateParams() (pp.KeyRateParams, error) {
	p := pp.KeyRateParams{
		Detection: f.spec.Detection,
		Trusted:   f.sec.trusted,
		Va:        2 * f.nPhoton,
		T:         f.pe.Transmittance,
		Xi:        f.pe.ExcessNoise,
		Eta:       f.pe.Eta,
		Vel:       f.pe.ElectronicNoise,
		Beta:      1, // not used by the channel model nor the Holevo bound
	}
	if err := p.Validate(); err != nil {
		return pp.KeyRateParams{}, err
	}
	return p, nil
}

// qcDescription is the code EC_INITIALIZATION's qc_ldpc names.
func qcDescription(q messages.QCLDPCParams) qcldpc.Description {
	return qcldpc.Description{Family: q.Family, Z: q.Z, Rows: q.Rows, Shortened: q.Shortened, Punctured: q.Punctured, Seed: uint32(q.Seed)}
}

// planFromContent is the reconciliation plan EC_INITIALIZATION describes
// ("reconciliation" defaults to sign; messages has checked that exactly one
// code is given). Errors wrap postprocessing.ErrInvalidPlan (EC_DENIED).
func planFromContent(c *messages.ECInitializationContent) (pp.ReconciliationPlan, error) {
	plan := pp.ReconciliationPlan{Scheme: c.Reconciliation, Blocks: c.Blocks, Noise: c.Noise}
	if plan.Scheme == "" {
		plan.Scheme = pp.SchemeSign
	}
	switch {
	case c.LDPC != nil:
		plan.Code = pp.LDPCParams{N: c.LDPC.N, K: c.LDPC.K, ColumnWeight: c.LDPC.ColumnWeight, Seed: c.LDPC.Seed}
	case c.Slices != nil:
		s := c.Slices
		sp := pp.SlicePlan{Bits: s.Bits, Disclosed: s.Disclosed, Scale: s.Scale, Blocks: c.Blocks,
			Codes: []qcldpc.Description{qcDescription(*c.QCLDPC)}}
		for _, q := range s.Codes {
			sp.Codes = append(sp.Codes, qcDescription(q))
		}
		plan.Slices = &sp
	case c.QCLDPC != nil:
		d := qcDescription(*c.QCLDPC)
		plan.QC = &d
	case c.SparseMatrix != nil:
		h, err := pp.NewParityCheck(c.SparseMatrix.N, c.SparseMatrix.Rows)
		if err != nil {
			return pp.ReconciliationPlan{}, fmt.Errorf("%w: sparse_matrix: %w", pp.ErrInvalidPlan, err)
		}
		plan.Matrix = h
	case c.Matrix != nil:
		rows := make([][]int, len(c.Matrix))
		for i, row := range c.Matrix {
			rows[i] = make([]int, len(row))
			for j, b := range row {
				rows[i][j] = int(b)
			}
		}
		h, err := pp.NewParityCheckDense(rows)
		if err != nil {
			return pp.ReconciliationPlan{}, fmt.Errorf("%w: matrix: %w", pp.ErrInvalidPlan, err)
		}
		plan.Matrix = h
	}
	return plan, plan.Validate()
}
