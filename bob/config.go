package bob

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/qosst/qosst-go/config"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// Config is what the driver needs to run frames. The station's binary fills
// it from the configuration file and flags; DefaultConfig is the simulated
// short link of the project.
type Config struct {
	SerialNumber string      // sent in IDENTIFICATION_REQUEST
	Frame        FrameParams // parameters Bob asks for in INITIALIZATION_REQUEST
	Policy       Policy      // what Bob accepts from Alice's proposals
	Eta          float64     // Bob's detector efficiency η (trusted detector)

	PERatio    float64 // fraction of each sub-frame disclosed for parameter estimation
	PERequests int     // number of sub-frames sampled for PE (sent in as few PE_SYMBOLS_REQUESTs as MaxContent allows)
	// MaxContent is the content limit of the session in bytes (0: the
	// codec's default): a PE_SYMBOLS_REQUEST and its answer each fit in it.
	MaxContent int
	// PEMode: asymptotic (point estimates, as the reference) or finite size
	// (T at its lower and ξ at its upper confidence bound).
	PEMode    pp.PEMode
	PEEpsilon float64 // finite size: failure probability of each bound (0: the postprocessing default)

	PolarisationRecovery bool // run polarisation recovery before each QIE

	// MaxAuthFailures is the number of authentication failures in a row
	// (AUTHENTICATION_INVALID from Alice, or Alice's frames failing Bob's
	// checks) after which Bob concludes man-in-the-middle and stops.
	MaxAuthFailures int
	// MaxNegotiationRounds bounds INITIALIZATION_REQUEST attempts in one
	// frame.
	MaxNegotiationRounds int

	// RequestTimeout bounds one request/answer exchange (0: none).
	RequestTimeout time.Duration

	// Reconnects is how many lost connections in a row Run rides out: the
	// frame in progress is dropped and, after a backoff, the next frame
	// starts on a new connection (0: the first lost connection ends the
	// run). ReconnectBackoff is the first wait, doubled at each loss in a
	// row up to maxReconnectBackoff.
	Reconnects       int
	ReconnectBackoff time.Duration

	// Post-processing.
	// Reconciliation is the error-correction scheme as the postprocessing
	// code names it: pp.SchemeMultidimensional (dimension 8, the default),
	// pp.SchemeSlice (slices where they reconcile more, multidimensional
	// elsewhere and after EC_DENIED) or pp.SchemeSign.
	Reconciliation string
	// Codes (pp.CodesQC or pp.CodesGenerated; "" is the planner's choice),
	// Efficiency (the target β of quasi-cyclic codes; 0: the planner's
	// default) and BlockLength (quadratures per block; 0: the default) steer
	// the reconciliation planner.
	Codes       string
	Efficiency  float64
	BlockLength int
	// Families restricts the quasi-cyclic code families the planner may
	// choose (nil: all it uses). Whatever it holds, a family Alice answers
	// EC_DENIED to is dropped for the rest of the frame and the frame
	// planned again.
	Families []int
	// NumbersOnly keeps EC_BLOCK and PA_REQUEST in the specification's form
	// (bob.error_correction.encoding = "numbers") even when Alice offers the
	// packed one.
	NumbersOnly bool
	// Trusted: the key is computed with Bob's detector trusted (its loss η
	// and electronic noise v_el are not given to Eve).
	Trusted bool
	Beta    float64 // reconciliation efficiency assumed for the announced key rate
	// EpsilonPA is the privacy-amplification failure probability used to
	// size the final key.
	EpsilonPA float64
}

// DefaultConfig returns the defaults of the simulated short link: 10^6
// heterodyne symbols at 100 MBd with Va = 4, η = 0.8, half of the symbols in
// 10 PE requests for finite-size estimation (ε = 1e-10), multidimensional
// reconciliation, trusted detector, ε_PA = 1e-10, 3 authentication failures
// in a row before concluding man-in-the-middle.
func DefaultConfig() Config {
	return Config{
		SerialNumber:         "qosst-go-bob",
		Frame:                FrameParams{NumSymbols: 1_000_000, SymbolRate: 100e6, Detection: "heterodyne", Variance: 4},
		Policy:               DefaultPolicy(),
		Eta:                  0.8,
		PERatio:              0.5,
		PERequests:           10,
		PEMode:               pp.FiniteSize,
		PEEpsilon:            pp.DefaultEpsilon,
		MaxAuthFailures:      3,
		MaxNegotiationRounds: 3,
		RequestTimeout:       30 * time.Second,
		Reconnects:           5,
		ReconnectBackoff:     500 * time.Millisecond,
		Reconciliation:       pp.SchemeMultidimensional,
		Trusted:              true,
		Beta:                 0.95,
		EpsilonPA:            1e-10,
	}
}

// WithStation returns c with the post-processing keys of a station
// configuration: bob.error_correction.reconciliation, codes, efficiency and
// block_length, families and encoding (an empty or zero value keeps c's).
// FromStation applies it; it serves to lay a station file's keys
// over another driver configuration.
func (c Config) WithStation(sc *config.Config) Config {
	ec := sc.Bob.ErrorCorrection
	if ec.Reconciliation != "" {
		c.Reconciliation = ec.Reconciliation
	}
	if ec.Codes != "" {
		c.Codes = ec.Codes
	}
	if ec.Efficiency != 0 {
		c.Efficiency = ec.Efficiency
	}
	if ec.BlockLength != 0 {
		c.BlockLength = ec.BlockLength
	}
	if len(ec.Families) > 0 {
		c.Families = slices.Clone(ec.Families)
	}
	if ec.Encoding != "" {
		c.NumbersOnly = ec.Encoding == config.EncodingNumbers
	}
	return c
}

// Security parameters Bob announces in INITIALIZATION_REQUEST's free frame
// parameters, so that Alice sizes the final key exactly as he does: the
// estimates he sends in PE_FINISHED are taken in this mode, and both
// stations use this ε_PA and detector trust in the key length formula.
const (
	ParamPEMode    = "pe_mode"          // "asymptotic" or "finite-size"
	ParamPEEpsilon = "pe_epsilon"       // finite-size: failure probability of each bound
	ParamEpsilonPA = "epsilon_pa"       // privacy amplification failure probability
	ParamTrusted   = "trusted_detector" // Bob's detector trusted (true) or given to Eve
)

// announce adds the security parameters to the frame parameters m.
func (c Config) announce(m map[string]any) map[string]any {
	m[ParamPEMode] = c.PEMode.String()
	if c.PEMode == pp.FiniteSize {
		eps := c.PEEpsilon
		if eps == 0 {
			eps = pp.DefaultEpsilon
		}
		m[ParamPEEpsilon] = eps
	}
	m[ParamEpsilonPA] = c.EpsilonPA
	m[ParamTrusted] = c.Trusted
	return m
}

// ErrConfig reports an invalid driver configuration.
var ErrConfig = errors.New("bob: invalid configuration")

// Validate checks the configuration; the error names the field.
func (c Config) Validate() error {
	bad := func(field string, v any) error {
		return fmt.Errorf("%w: %s = %v", ErrConfig, field, v)
	}
	switch {
	case c.SerialNumber == "":
		return bad("serial_number", `""`)
	case c.Frame.NumSymbols <= 0:
		return bad("num_symbols", c.Frame.NumSymbols)
	case !(c.Frame.SymbolRate > 0):
		return bad("symbol_rate", c.Frame.SymbolRate)
	case c.Frame.Detection != "heterodyne" && c.Frame.Detection != "homodyne":
		return bad("detection", c.Frame.Detection)
	case !(c.Frame.Variance > 0):
		return bad("variance", c.Frame.Variance)
	case !(c.Eta > 0 && c.Eta <= 1):
		return bad("eta", c.Eta)
	case !(c.PERatio > 0 && c.PERatio < 1):
		return bad("parameters_estimation.ratio", c.PERatio)
	case c.PERequests <= 0:
		return bad("parameters_estimation.requests", c.PERequests)
	case c.MaxContent < 0:
		return bad("max_content", c.MaxContent)
	case c.PEMode != pp.Asymptotic && c.PEMode != pp.FiniteSize:
		return bad("parameters_estimation.mode", c.PEMode)
	case !(c.PEEpsilon >= 0 && c.PEEpsilon < 1):
		return bad("parameters_estimation.epsilon", c.PEEpsilon)
	case c.MaxAuthFailures <= 0:
		return bad("max_auth_failures", c.MaxAuthFailures)
	case c.MaxNegotiationRounds <= 0:
		return bad("max_negotiation_rounds", c.MaxNegotiationRounds)
	case c.Reconnects < 0:
		return bad("reconnects", c.Reconnects)
	case c.ReconnectBackoff < 0:
		return bad("reconnect_backoff", c.ReconnectBackoff)
	case c.RequestTimeout < 0:
		return bad("request_timeout", c.RequestTimeout)
	case c.Reconciliation != pp.SchemeMultidimensional && c.Reconciliation != pp.SchemeSign && c.Reconciliation != pp.SchemeSlice,
		c.Reconciliation == pp.SchemeSlice && c.NumbersOnly:
		return bad("error_correction.reconciliation", c.Reconciliation)
	case c.Codes != "" && c.Codes != pp.CodesQC && c.Codes != pp.CodesGenerated:
		return bad("error_correction.codes", c.Codes)
	case !(c.Efficiency >= 0 && c.Efficiency < 1):
		return bad("error_correction.efficiency", c.Efficiency)
	case c.BlockLength < 0:
		return bad("error_correction.block_length", c.BlockLength)
	case slices.ContainsFunc(c.Families, func(id int) bool { return !slices.Contains(qcldpc.PlannedFamilies(), id) }):
		return bad("error_correction.families", c.Families)
	case !(c.Beta > 0 && c.Beta <= 1):
		return bad("beta", c.Beta)
	case !(c.EpsilonPA > 0 && c.EpsilonPA < 1):
		return bad("epsilon_pa", c.EpsilonPA)
	}
	return nil
}
