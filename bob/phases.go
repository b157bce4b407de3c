package bob

import (
	"errors"
	"fmt"
	"slices"

	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// This file holds the phases of a frame in the order RunFrame calls them.

// identify sends IDENTIFICATION_REQUEST and reads Alice's serial number.
func (f *frame) identify() error {
	code, c, err := f.request(PhaseIdentification, messages.IdentificationRequest,
		&messages.IdentificationRequestContent{SerialNumber: f.d.cfg.SerialNumber, QOSSTVersion: messages.QOSSTVersion})
	if err != nil {
		return busy(err)
	}
	if code == messages.InvalidQOSSTVersion {
		return &PhaseError{Phase: PhaseIdentification, Request: messages.IdentificationRequest, Response: code,
			Message: peerMessage(c), Err: ErrVersion}
	}
	if r, ok := c.(*messages.IdentificationResponseContent); ok {
		f.d.aliceSerial = r.SerialNumber
	}
	f.d.log.Info().Str("alice", logging.Truncate(f.d.aliceSerial)).Str("state", string(f.d.tracker.State())).Msg("identified")
	return nil
}

// initialize opens the frame: INITIALIZATION_REQUEST with Bob's parameters,
// and the negotiation when Alice does not accept them. On
// INITIALIZATION_PROPOSAL Bob adopts Alice's values when his policy accepts
// them; otherwise (or when the proposal carries none) he asks for her
// configuration with INITIALIZATION_REQUEST_CONFIG and adopts it when
// acceptable; then he requests again. INITIALIZATION_DENIED, an unacceptable
// configuration or too many rounds end the frame with ErrInitializationDenied.
func (f *frame) initialize() error {
	f.id = f.d.newFrameID()
	f.sum.Frame = f.id
	params := f.d.cfg.Frame
	fail := func(resp messages.Code, msg string, err error) error {
		return &PhaseError{Phase: PhaseInitialization, Request: messages.InitializationRequest, Response: resp, Message: msg, Err: err}
	}
	for round := 1; ; round++ {
		code, c, err := f.request(PhaseInitialization, messages.InitializationRequest,
			&messages.InitializationRequestContent{FrameUUID: f.id, Parameters: f.d.cfg.announce(params.Map())})
		if err != nil {
			return err
		}
		switch code {
		case messages.InitializationAccepted:
			return f.accepted(params)
		case messages.InitializationDenied:
			return fail(code, peerMessage(c), ErrInitializationDenied)
		}
		// INITIALIZATION_PROPOSAL.
		prop, _ := c.(*messages.InitializationProposalContent)
		var deny string
		if prop != nil {
			deny = prop.DenyMessage
		}
		f.d.log.Info().Int("round", round).Str("deny_message", deny).Msg("Alice proposes other frame parameters")
		if round >= f.d.cfg.MaxNegotiationRounds {
			return fail(code, deny, fmt.Errorf("%w: no agreement after %d rounds", ErrInitializationDenied, round))
		}
		var why error = errors.New("the proposal carries no values")
		if prop != nil && len(prop.Config) > 0 {
			next, err := params.Merge(prop.Config)
			if err == nil {
				err = f.d.cfg.Policy.Acceptable(f.d.cfg.Frame, next)
			}
			if err == nil {
				params = next
				continue
			}
			why = err
		}
		f.d.log.Info().AnErr("proposal", why).Msg("asking for Alice's configuration")
		next, err := f.requestConfig(params)
		if err != nil {
			return err
		}
		params = next
	}
}

// requestConfig asks Alice for her configuration and returns the frame
// parameters it gives, when Bob's policy accepts them.
func (f *frame) requestConfig(params FrameParams) (FrameParams, error) {
	fail := func(resp messages.Code, msg string, err error) (FrameParams, error) {
		return params, &PhaseError{Phase: PhaseInitialization, Request: messages.InitializationRequestConfig, Response: resp, Message: msg, Err: err}
	}
	code, c, err := f.request(PhaseInitialization, messages.InitializationRequestConfig, nil)
	if err != nil {
		var pe *PhaseError
		if errors.As(err, &pe) && errors.Is(err, ErrPeerRefused) {
			// qosst-alice answers UNEXPECTED_COMMAND: it has no configuration to give.
			return fail(pe.Response, pe.Message, fmt.Errorf("%w: Alice gives no configuration: %w", ErrInitializationDenied, err))
		}
		return params, err
	}
	cfg, _ := c.(*messages.InitializationConfigContent)
	if cfg == nil {
		return fail(code, "", fmt.Errorf("%w: empty configuration", ErrInitializationDenied))
	}
	values := frameQuantum(cfg.Config)
	next, err := params.Merge(values)
	if err == nil {
		err = f.d.cfg.Policy.Acceptable(f.d.cfg.Frame, next)
	}
	if err != nil {
		return fail(code, "", fmt.Errorf("%w: Alice's configuration is not acceptable: %w", ErrInitializationDenied, err))
	}
	return next, nil
}

// frameQuantum finds the frame parameters in INITIALIZATION_CONFIG's
// config: {"frame": {"quantum": {...}}}, with "detection" either there or at
// the top; a flat object is read as is.
func frameQuantum(cfg map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		out[k] = v
	}
	if fr, ok := cfg["frame"].(map[string]any); ok {
		if q, ok := fr["quantum"].(map[string]any); ok {
			for k, v := range q {
				out[k] = v
			}
		}
	}
	return out
}

// accepted records the agreed parameters and builds the hardware spec.
func (f *frame) accepted(p FrameParams) error {
	det, err := hardware.ParseDetection(p.Detection)
	if err != nil {
		return &PhaseError{Phase: PhaseInitialization, Err: err}
	}
	f.params = p
	f.sum.Params = p
	f.spec = hardware.FrameSpec{UUID: f.id, NumSymbols: p.NumSymbols, SymbolRate: p.SymbolRate, Detection: det, Va: p.Variance}
	if err := f.spec.Validate(); err != nil {
		return &PhaseError{Phase: PhaseInitialization, Err: err}
	}
	return nil
}

// polarisation runs the optional polarisation recovery: Alice switches her
// recovery signal on, Bob's controller aligns, Alice switches it off.
func (f *frame) polarisation() error {
	if _, _, err := f.request(PhasePolarisation, messages.RequestPolarisationRecovery, nil); err != nil {
		return err
	}
	if err := f.d.pol.Recover(f.ctx); err != nil {
		return &PhaseError{Phase: PhasePolarisation, Err: fmt.Errorf("polarisation controller: %w", err)}
	}
	_, _, err := f.request(PhasePolarisation, messages.EndPolarisationRecovery, nil)
	return err
}

// exchange is the quantum information exchange: QIE_REQUEST, arm, trigger,
// acquire, QIE_ACQUISITION_ENDED.
func (f *frame) exchange() error {
	if _, _, err := f.request(PhaseQIE, messages.QIERequest, &messages.QIERequestContent{FrameUUID: f.id}); err != nil {
		return err
	}
	f.progress(PhaseQIE, 1, 4)
	if err := f.d.rx.Arm(f.ctx, f.spec); err != nil {
		return &PhaseError{Phase: PhaseQIE, Err: fmt.Errorf("receiver: arm: %w", err)}
	}
	f.armed = true
	if _, _, err := f.request(PhaseQIE, messages.QIETrigger, nil); err != nil {
		return err
	}
	f.progress(PhaseQIE, 2, 4)
	raw, err := f.d.rx.Acquire(f.ctx)
	f.armed = false
	if err != nil {
		return &PhaseError{Phase: PhaseQIE, Err: fmt.Errorf("receiver: acquire: %w", err)}
	}
	if len(raw) != f.spec.NumSymbols {
		return &PhaseError{Phase: PhaseQIE, Err: fmt.Errorf("receiver returned %d symbols, want %d", len(raw), f.spec.NumSymbols)}
	}
	f.raw = raw
	f.progress(PhaseQIE, 3, 4)
	_, _, err = f.request(PhaseQIE, messages.QIEAcquisitionEnded, nil)
	if err == nil {
		f.progress(PhaseQIE, 4, 4)
	}
	return err
}

// calibrate takes the electronic and shot-noise records and turns the
// acquisition into shot-noise units.
func (f *frame) calibrate() error {
	el, err := f.d.rx.CalibrateElectronic(f.ctx)
	if err != nil {
		return &PhaseError{Phase: PhaseCalibration, Err: fmt.Errorf("receiver: electronic noise: %w", err)}
	}
	shot, err := f.d.rx.CalibrateShot(f.ctx)
	if err != nil {
		return &PhaseError{Phase: PhaseCalibration, Err: fmt.Errorf("receiver: shot noise: %w", err)}
	}
	cal, err := pp.Calibrate(f.spec.Detection, el, shot)
	if err == nil {
		err = cal.Validate()
	}
	if err != nil {
		return &PhaseError{Phase: PhaseCalibration, Err: err}
	}
	f.cal = cal
	f.sum.ElectronicNoise = cal.Vel()
	return nil
}

// estimate is parameter estimation: Alice discloses her symbols at random
// indices (drawn per sub-frame, sent in as few PE_SYMBOLS_REQUESTs as the
// content limit allows for the request and its answer) and her mean photon
// number;
// Bob estimates T and ξ, plans error correction, computes the key rate with
// the efficiency that plan achieves, and sends PE_FINISHED.
//
// A frame holds 10^7 symbols and more, so no symbol array is copied
// needlessly: Alice's answers are written straight into one array, and
// Bob's key symbols are compacted and normalised in place in his
// measurement array.
func (f *frame) estimate() error {
	n := f.spec.NumSymbols
	lists, err := SampleIndices(f.d.rng, n, f.d.cfg.PERatio, min(f.d.cfg.PERequests, n))
	if err != nil {
		return &PhaseError{Phase: PhasePE, Err: err}
	}
	chunk, err := PEChunkSize(f.d.cfg.MaxContent, n)
	if err != nil {
		return &PhaseError{Phase: PhasePE, Err: err}
	}
	lists = PackRequests(lists, chunk)
	f.disclosed = lists
	total := 0
	for _, idx := range lists {
		total += len(idx)
	}
	xa := make([]complex128, 0, total) // Alice's disclosed symbols, in request order
	rb := make([]complex128, 0, total) // Bob's measurements of the same symbols
	for k, idx := range lists {
		f.progress(PhasePE, k, len(lists))
		_, c, err := f.request(PhasePE, messages.PESymbolsRequest, &messages.PESymbolsRequestContent{Indices: idx})
		if err != nil {
			return err
		}
		r, _ := c.(*messages.PESymbolsResponseContent)
		if r == nil || len(r.SymbolsReal) != len(idx) || len(r.SymbolsImag) != len(idx) {
			got := 0
			if r != nil {
				got = len(r.SymbolsReal)
			}
			return &PhaseError{Phase: PhasePE, Request: messages.PESymbolsRequest, Response: messages.PESymbolsResponse,
				Err: f.invalidResponse(messages.PESymbolsRequest, messages.PESymbolsResponse,
					fmt.Sprintf("%d symbols for %d indices", got, len(idx)))}
		}
		for j, i := range idx {
			xa = append(xa, complex(float64(r.SymbolsReal[j]), float64(r.SymbolsImag[j])))
			rb = append(rb, f.raw[i])
		}
		f.lastContent = nil // the answer's arrays are copied: let them go
		f.sum.PESymbols += len(idx)
		f.progress(PhasePE, k+1, len(lists))
	}
	_, c, err := f.request(PhasePE, messages.PENphotonRequest, nil)
	if err != nil {
		return err
	}
	np, _ := c.(*messages.PENphotonResponseContent)
	if np == nil {
		return &PhaseError{Phase: PhasePE, Err: f.invalidResponse(messages.PENphotonRequest, messages.PENphotonResponse, "no content")}
	}
	nph := np.NPhoton
	f.sum.NPhoton = nph

	res, err := pp.EstimateParameters(pp.PEInput{Detection: f.spec.Detection, Eta: f.d.cfg.Eta,
		NPhoton: nph, Alice: xa, Bob: rb, Calibration: f.cal, Mode: f.d.cfg.PEMode, Epsilon: f.d.cfg.PEEpsilon})
	if err != nil {
		return &PhaseError{Phase: PhasePE, Err: err}
	}
	f.sum.Transmittance, f.sum.ExcessNoise, f.sum.ElectronicNoise = res.T.Value, res.Xi.Value, res.Vel.Value
	f.sum.TransmittanceStdErr, f.sum.ExcessNoiseStdErr = res.T.StdErr, res.Xi.StdErr
	// Bob announces, and both stations compute the key with, the values the
	// key rate uses: the point estimates (asymptotic) or the worst case
	// (finite size), brought back into the physical domain (T ≤ 1, ξ ≥ 0).
	kp, kerr := res.KeyRateParams(1, f.d.cfg.Trusted)
	if kerr != nil {
		kp = pp.KeyRateParams{Detection: res.Detection, Trusted: f.d.cfg.Trusted, Va: res.Va.Value,
			T: max(res.TWorst, 0), Xi: max(res.XiWorst, 0), Eta: res.Eta, Vel: res.Vel.Value, Beta: 1}
	}
	f.kp = kp
	f.d.log.Debug().Float64("T", res.T.Value).Float64("T_err", res.T.StdErr).Float64("xi", res.Xi.Value).
		Float64("xi_err", res.Xi.StdErr).Float64("T_used", kp.T).Float64("xi_used", kp.Xi).Stringer("mode", res.Mode).
		Msg("parameters estimated")

	xa, rb = nil, nil
	keySyms := compactKeySymbols(f.raw, f.disclosed, f.cal)
	f.raw = nil
	f.sum.KeySymbols = len(keySyms)
	rate, plan, perr := f.planKey(keySyms)
	f.plan = plan
	keyRate := rate * f.spec.SymbolRate
	f.sum.KeyRate = keyRate
	if kerr != nil {
		perr = kerr
	}
	if perr != nil {
		f.d.log.Warn().AnErr("reason", perr).Msg("no key expected from this frame")
	}
	if perr == nil {
		perr = noCorrelation(&res)
	}
	announced := &messages.PEFinishedContent{
		NPhoton: nph, Transmittance: kp.T, ExcessNoise: kp.Xi, ElectronicNoise: kp.Vel,
		Eta: kp.Eta, KeyRate: keyRate,
	}
	if finiteAnnouncement(announced, perr != nil) {
		f.sum.KeyRate = 0
		if perr == nil {
			perr = fmt.Errorf("%w: estimates not finite", pp.ErrNoCorrelation)
		}
	}
	code, c, err := f.request(PhasePE, messages.PEFinished, announced)
	if err != nil {
		return err
	}
	if code == messages.PEDenied {
		return &PhaseError{Phase: PhasePE, Request: messages.PEFinished, Response: code, Message: peerMessage(c), Err: ErrPEDenied}
	}
	if perr != nil {
		// Alice approved a frame Bob knows leaves no key.
		return &PhaseError{Phase: PhasePE, Err: fmt.Errorf("%w: %w", ErrNoKey, perr)}
	}
	return nil
}

// planKey plans error correction for the key symbols at the estimated
// channel and returns the asymptotic key rate (bits per symbol) with the
// reconciliation efficiency of that plan.
func (f *frame) planKey(keySyms []complex128) (float64, ecPlan, error) {
	det := f.spec.Detection
	kp := f.kp
	ch, err := pp.ChannelFromParams(kp)
	if err != nil {
		return 0, ecPlan{}, err
	}
	snr, err := pp.SNR(kp)
	if err != nil {
		return 0, ecPlan{}, err
	}
	yq := pp.KeyQuadratures(keySyms, det)
	maxBlock := f.d.cfg.BlockLength
	if maxBlock == 0 && f.d.cfg.NumbersOnly {
		// A block in the specification's number arrays takes about 25 bytes
		// a quadrature: 2^21 fit the default limits.max_content, 2^22 not.
		maxBlock = pp.CompatQCBlockLength
	}
	params := pp.PlanParams{KeyQuadratures: len(yq), SNR: snr, Noise: ch.Noise,
		Seed: f.d.newSeed(), Scheme: f.d.cfg.Reconciliation, Codes: f.d.cfg.Codes, Efficiency: f.d.cfg.Efficiency,
		MaxBlockLength: maxBlock, Families: slices.Clone(f.d.cfg.Families)}
	if params.Scheme == pp.SchemeSlice {
		params.Scale = pp.SampleScale(yq, 0)
	}
	return f.planWith(params, yq)
}

// planWith plans error correction with params for Bob's key quadratures yq
// and returns the asymptotic key rate (bits per symbol) at the plan's β.
func (f *frame) planWith(params pp.PlanParams, yq []float64) (float64, ecPlan, error) {
	plan, err := pp.PlanReconciliation(params)
	if err != nil {
		return 0, ecPlan{}, err
	}
	return f.keyRateOf(plan, params, yq)
}

// keyRateOf is the asymptotic key rate (bits per symbol) at the β of plan,
// planned with params; an error when it is not positive.
func (f *frame) keyRateOf(plan pp.ReconciliationPlan, params pp.PlanParams, yq []float64) (float64, ecPlan, error) {
	beta := plan.Rate() / pp.GaussianCapacity(params.SNR)
	kp := f.kp
	kp.Beta = min(beta, 1)
	rate, err := pp.SecretKeyRate(kp)
	if err != nil {
		return 0, ecPlan{}, err
	}
	ep := ecPlan{plan: plan, params: params, yq: yq, snr: params.SNR, beta: beta}
	if !(rate > 0) {
		return 0, ep, fmt.Errorf("key rate %g bit/symbol at β = %.3f", rate, beta)
	}
	return rate, ep, nil
}

// withoutDenied plans the frame again after Alice answered EC_DENIED to a
// plan with a quasi-cyclic code (pp.PlanWithout), with a new seed: a code
// longer than 2^21 bits in blocks of at most 2^21 quadratures (a peer built
// before blocks of 2^22 does not decode it, or its operator bounds the
// length), else without that code's family (a peer built before the family
// does not know it, or its operator does not accept it), at a target β
// lowered to keep the denied code's margin to its threshold. ok is false
// when there is nothing to fall back to: the plan named no quasi-cyclic
// code, or no family is left.
func (f *frame) withoutDenied() (ecPlan, bool, error) {
	prev := f.plan
	params := prev.params
	params.Seed = f.d.newSeed()
	plan, params, ok, err := pp.PlanWithout(params, prev.plan)
	if err != nil {
		return prev, false, fmt.Errorf("planning again after the denial of %s: %w", deniedCode(prev.plan), err)
	}
	if !ok {
		return prev, false, nil
	}
	_, next, err := f.keyRateOf(plan, params, prev.yq)
	if err != nil {
		return prev, false, fmt.Errorf("planning again after the denial of %s: %w", deniedCode(prev.plan), err)
	}
	return next, true, nil
}

// deniedCode names the code of a plan Alice denied, for errors.
func deniedCode(p pp.ReconciliationPlan) string {
	switch {
	case p.Slices != nil:
		return fmt.Sprintf("slice reconciliation (%d slices, %d disclosed)", p.Slices.Bits, p.Slices.Disclosed)
	case p.QC != nil:
		return fmt.Sprintf("code family %d, %d bits", p.QC.Family, p.N())
	}
	return fmt.Sprintf("a code of %d bits", p.N())
}

// reconcile is error correction: EC_INITIALIZATION with the plan (its
// "reconciliation" names the scheme), the blocks with their syndromes and,
// for multidimensional reconciliation, Bob's rotations and norms (a block
// Alice cannot decode is discarded by both), and EC_VERIFICATION of the
// reconciled key. The blocks go one per EC_BLOCK in the specification's
// form, or, when Alice's EC_READY offers the packed encoding, in packed
// batches that she decodes on all her cores.
func (f *frame) reconcile() error {
	// Bob generates the code while Alice does the same for EC_INITIALIZATION.
	type built struct {
		rec pp.BobSide
		err error
	}
	var (
		rec pp.BobSide
		c   messages.Content
	)
	for {
		f.sum.Reconciliation = f.plan.plan.Scheme // also for a frame that ends here
		init := ecInitContent(f.plan.plan)
		ready := make(chan built, 1)
		go func(plan pp.ReconciliationPlan, yq []float64) {
			rec, err := pp.NewBobSide(plan, yq, f.d.keyBits)
			ready <- built{rec, err}
		}(f.plan.plan, f.plan.yq)
		var err error
		_, c, err = f.request(PhaseEC, messages.ECInitialization, init)
		b := <-ready
		var pe *PhaseError
		if err != nil && errors.As(err, &pe) && pe.Response == messages.ECDenied {
			denied := f.plan.plan
			next, ok, perr := f.withoutDenied()
			if perr != nil {
				return &PhaseError{Phase: PhaseEC, Request: pe.Request, Response: pe.Response, Message: pe.Message,
					Err: fmt.Errorf("%w; %w", pe.Err, perr)}
			}
			if ok {
				f.sum.ECDenied++
				family, nextFamily := planFamily(denied), planFamily(next.plan)
				msg := "error correction denied: planning without this code family"
				switch {
				case denied.Slices != nil:
					msg = "error correction denied: planning multidimensional reconciliation instead of slices"
				case next.plan.QC != nil && next.plan.QC.Family == family:
					msg = "error correction denied: planning blocks of at most 2^21 quadratures"
				}
				f.d.log.Warn().Str("alice", logging.Truncate(pe.Message)).Int("family", family).Int("n", denied.N()).
					Int("next_family", nextFamily).Int("next_n", next.plan.N()).Float64("beta", next.beta).Msg(msg)
				f.plan = next
				continue
			}
		}
		if err != nil {
			if errors.As(err, &pe) && pe.Response == messages.UnexpectedCommand {
				pe.Err = fmt.Errorf("%w: %w", ErrPeerLacksEC, pe.Err)
			}
			return err
		}
		if b.err != nil {
			return &PhaseError{Phase: PhaseEC, Err: b.err}
		}
		rec = b.rec
		break
	}
	f.sum.CodeFamily = planFamily(f.plan.plan)
	if sp := f.plan.plan.Slices; sp != nil {
		f.sum.Slices = fmt.Sprintf("%d/%d", sp.Bits, sp.Disclosed)
	}
	f.plan.yq = nil
	p := f.plan.plan
	disclosed := p.DisclosedBits() // slice reconciliation only
	batch := 0                     // blocks per EC_BLOCK batch; 0: one block per EC_BLOCK in the specification's form
	if r, _ := c.(*messages.ECReadyContent); r != nil && r.Encoding == messages.EncodingPacked && r.Batch >= 1 && !f.d.cfg.NumbersOnly {
		batch = min(r.Batch, messages.ECBatchSize(p.M(), disclosed, p.ChannelBits(), p.Scheme == pp.SchemeMultidimensional, f.d.cfg.MaxContent))
	}
	if batch == 0 && disclosed > 0 {
		return &PhaseError{Phase: PhaseEC, Request: messages.ECInitialization, Response: messages.ECReady,
			Err: fmt.Errorf("%w: Alice accepted slice reconciliation without offering the packed encoding its blocks need", ErrPeerLacksEC)}
	}
	f.packed = batch > 0
	for i := 0; i < p.Blocks; {
		var err error
		if batch > 0 {
			n := min(batch, p.Blocks-i)
			err = f.sendBatch(rec, i, n)
			i += n
		} else {
			err = f.sendBlock(rec, i)
			i++
		}
		if err != nil {
			return err
		}
		f.progress(PhaseEC, i, p.Blocks)
	}
	st := rec.Stats()
	f.sum.ECBlocks, f.sum.ECBlocksOK, f.sum.ECBlocksFailed = st.Blocks, st.Decoded, st.Failed
	f.sum.Beta = st.Efficiency(f.plan.snr)
	f.sum.ReconciledBits = st.KeyBits
	key := rec.Key()
	if len(key) == 0 {
		return &PhaseError{Phase: PhaseEC, Err: fmt.Errorf("%w: every EC block failed (%d)", ErrNoKey, st.Failed)}
	}
	code, c, err := f.request(PhaseEC, messages.ECVerification, &messages.ECVerificationContent{Hash: pp.VerificationHash(key)})
	if err != nil {
		return err
	}
	if code == messages.ECVerificationFail {
		return &PhaseError{Phase: PhaseEC, Request: messages.ECVerification, Response: code, Message: peerMessage(c), Err: ErrECFailed}
	}
	f.rec = reconciled{key: key, leaked: st.LeakedBits, quadratures: st.Quadratures}
	return nil
}

// sendBlock sends block i in the specification's form (one EC_BLOCK, JSON
// numbers) and records Alice's verdict.
func (f *frame) sendBlock(rec pp.BobSide, i int) error {
	syn, err := rec.Syndrome(i)
	if err != nil {
		return &PhaseError{Phase: PhaseEC, Err: err}
	}
	block := messages.NewECBlock(i, syn)
	side, err := rec.SideInfo(i)
	if err != nil {
		return &PhaseError{Phase: PhaseEC, Err: err}
	}
	block.Rotation, block.Norms, block.Hash = side.Rotation, side.Norms, side.Hash
	code, _, err := f.request(PhaseEC, messages.ECBlock, block)
	if err != nil {
		return err
	}
	if err := rec.Accept(i, code == messages.ECBlockAck); err != nil {
		return &PhaseError{Phase: PhaseEC, Err: err}
	}
	return nil
}

// sendBatch sends blocks [first, first+n) packed in one EC_BLOCK batch and
// records Alice's verdicts: EC_BLOCK_ACK lists the blocks that failed,
// EC_BLOCK_ERROR means none decoded. Rotations and norms travel as float32:
// Alice's LLRs move by about 10^-7 of themselves, far below the channel's
// noise.
func (f *frame) sendBatch(rec pp.BobSide, first, n int) error {
	items := make([]messages.ECBlockItem, n)
	for k := range items {
		i := first + k
		syn, err := rec.Syndrome(i)
		if err != nil {
			return &PhaseError{Phase: PhaseEC, Err: err}
		}
		side, err := rec.SideInfo(i)
		if err != nil {
			return &PhaseError{Phase: PhaseEC, Err: err}
		}
		items[k] = messages.ECBlockItem{Block: i, Syndrome: messages.PackBits(syn), SyndromeBits: len(syn), Hash: side.Hash}
		if side.Rotation != nil {
			items[k].Rotation, items[k].Norms = messages.PackFloat32s(side.Rotation), messages.PackFloat32s(side.Norms)
		}
		if side.Disclosed != nil {
			items[k].Disclosed, items[k].DisclosedBits = messages.PackBits(side.Disclosed), len(side.Disclosed)
		}
	}
	code, c, err := f.request(PhaseEC, messages.ECBlock, &messages.ECBlockContent{Batch: items})
	if err != nil {
		return err
	}
	failed := make(map[int]bool, n)
	if code == messages.ECBlockAck {
		if ack, _ := c.(*messages.ECBlockAckContent); ack != nil {
			for _, b := range ack.Failed {
				if b < first || b >= first+n {
					return &PhaseError{Phase: PhaseEC, Request: messages.ECBlock, Response: code,
						Err: f.invalidResponse(messages.ECBlock, code, fmt.Sprintf("failed block %d is not in the batch [%d, %d)", b, first, first+n))}
				}
				failed[b] = true
			}
		}
	}
	for i := first; i < first+n; i++ {
		if err := rec.Accept(i, code == messages.ECBlockAck && !failed[i]); err != nil {
			return &PhaseError{Phase: PhaseEC, Err: err}
		}
	}
	return nil
}

// amplify is privacy amplification: the final length from the measured
// quantities, a fresh Toeplitz seed, PA_REQUEST, and Bob's own hash.
func (f *frame) amplify() error {
	length, terms, err := pp.FinalKeyLength(pp.FinalKeyParams{
		ReconciledBits: len(f.rec.key), SyndromeBits: f.rec.leaked, Quadratures: f.rec.quadratures,
		Estimate: f.kp, EpsilonPA: f.d.cfg.EpsilonPA, // announced in INITIALIZATION_REQUEST
	})
	if err != nil {
		return &PhaseError{Phase: PhasePA, Err: fmt.Errorf("%w: %w", ErrNoKey, err)}
	}
	f.d.log.Debug().Int("reconciled", terms.ReconciledBits).Int("leak", terms.Leak).Float64("eve", terms.Eve).
		Float64("margin", terms.Margin).Int("length", length).Msg("final key length")
	params, err := pp.NewPAParams(rngReader{f.d.rng}, len(f.rec.key), length)
	if err != nil {
		return &PhaseError{Phase: PhasePA, Err: err}
	}
	// Bob hashes his key while Alice hashes hers for PA_REQUEST.
	type hashed struct {
		key []uint8
		err error
	}
	done := make(chan hashed, 1)
	go func() {
		key, err := pp.PrivacyAmplify(f.rec.key, params)
		done <- hashed{key, err}
	}()
	req := &messages.PARequestContent{Seed: params.Diagonals, SecretKeyLength: params.OutputBits,
		SubblockLength: params.InputBits, FeedbackPolynomial: []uint8{}}
	if f.packed {
		req.Seed, req.SeedPacked, req.SeedBits = nil, messages.PackBits(params.Diagonals), len(params.Diagonals)
	}
	f.progress(PhasePA, 0, 1)
	_, _, err = f.request(PhasePA, messages.PARequest, req)
	h := <-done
	if err != nil {
		return err
	}
	if h.err != nil {
		return &PhaseError{Phase: PhasePA, Err: h.err}
	}
	f.finalKey = h.key
	f.progress(PhasePA, 1, 1)
	return nil
}

// end closes the frame: the key is written durably as pending, FRAME_ENDED
// is sent, and FRAME_ENDED_ACK for this very frame makes the key final.
// Without that answer the key stays pending (see ResolvePending), unless
// Alice's ABORT names the frame: she holds no key, and Bob's is deleted.
func (f *frame) end() error {
	// The key file holds whole bytes: the bits past the last whole byte are
	// dropped by both stations.
	packed := keystore.PackBits(f.finalKey)
	if len(packed) == 0 {
		return &PhaseError{Phase: PhaseFrameEnd, Err: fmt.Errorf("%w: %d secret bits make no whole byte", ErrNoKey, len(f.finalKey))}
	}
	if f.d.refill != nil {
		// The authenticator's pool takes its pads from the key first.
		var err error
		if packed, err = f.d.refill.Refill(f.id, packed); err != nil {
			return &PhaseError{Phase: PhaseFrameEnd, Err: fmt.Errorf("refilling the authentication pool: %w", err)}
		}
	}
	if _, err := f.d.pending.Write(f.id, packed); err != nil {
		return &PhaseError{Phase: PhaseFrameEnd, Err: fmt.Errorf("writing the key: %w", err)}
	}
	f.pendingKey, f.endSent = true, true
	code, c, err := f.request(PhaseFrameEnd, messages.FrameEnded, &messages.FrameEndedContent{FrameUUID: f.id})
	if err != nil {
		if refusedFor(f.lastContent, f.id) {
			if rerr := f.d.removePending(f.id); rerr != nil {
				return errors.Join(err, rerr)
			}
		}
		return err
	}
	if code != messages.FrameEndedAck || !ackFor(c, f.id) {
		got := "none"
		if ack, _ := c.(*messages.FrameEndedAckContent); ack != nil {
			got = ack.FrameUUID.String()
		}
		return &PhaseError{Phase: PhaseFrameEnd, Request: messages.FrameEnded, Response: code,
			Err: f.invalidResponse(messages.FrameEnded, code, "frame_uuid "+got+", not "+f.id.String())}
	}
	path, err := f.d.promote(f.ctx, f.id, f.sum.estimates())
	if err != nil {
		// Alice holds the key; Bob's stays pending and is made final by
		// ResolvePending.
		return &PhaseError{Phase: PhaseFrameEnd, Err: err}
	}
	f.keyPath = path
	f.sum.KeyBits = 8 * len(packed)
	f.sum.KeyFile = path
	return nil
}

// planFamily is the family of a plan's quasi-cyclic code (of a slice plan,
// its most significant slice's); 0 for other codes.
func planFamily(p pp.ReconciliationPlan) int {
	if codes := p.QCCodes(); len(codes) > 0 {
		return codes[0].Family
	}
	return 0
}

// qcParams is a quasi-cyclic code as EC_INITIALIZATION names it.
func qcParams(q qcldpc.Description) messages.QCLDPCParams {
	return messages.QCLDPCParams{Family: q.Family, Z: q.Z, Rows: q.Rows, Shortened: q.Shortened, Punctured: q.Punctured, Seed: int(q.Seed)}
}

// ecInitContent is EC_INITIALIZATION for one of Bob's plans: a generated or
// a quasi-cyclic code, or slice reconciliation's codes, the most
// significant slice's as "qc_ldpc" (Bob never sends an explicit matrix).
func ecInitContent(p pp.ReconciliationPlan) *messages.ECInitializationContent {
	c := &messages.ECInitializationContent{Noise: p.Noise, Reconciliation: p.Scheme, Blocks: p.Blocks}
	if s := p.Slices; s != nil {
		first := qcParams(s.Codes[0])
		c.QCLDPC = &first
		c.Slices = &messages.ECSlices{Bits: s.Bits, Disclosed: s.Disclosed, Scale: s.Scale, Codes: []messages.QCLDPCParams{}}
		for _, d := range s.Codes[1:] {
			c.Slices.Codes = append(c.Slices.Codes, qcParams(d))
		}
	} else if q := p.QC; q != nil {
		qp := qcParams(*q)
		c.QCLDPC = &qp
	} else {
		c.LDPC = &messages.LDPCParams{N: p.Code.N, K: p.Code.K, ColumnWeight: p.Code.ColumnWeight, Seed: p.Code.Seed}
	}
	return c
}
