package config

import (
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/postprocessing/qcldpc"
	"github.com/qosst/qosst-go/transport/auth"
)

// Validate checks every range and choice. The error joins one *FieldError per
// offending key (errors.As finds the first; errors.Is(err, ErrInvalid) holds).
// A valid configuration whose simulation.distance_km was given gets its
// simulation.transmittance from the fiber: 10^(−α·L/10).
func (c *Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, fieldErr(key, format, args...)) }

	port := func(key string, p int) {
		if p < 1 || p > 65535 {
			add(key, "must be a TCP port in 1..65535, got %d", p)
		}
	}
	host := func(key, h string) {
		if strings.TrimSpace(h) == "" {
			add(key, "must not be empty")
		}
	}
	// open01 checks 0 < v <= 1 (or 0 < v < 1 when openHigh).
	unit := func(key string, v float64, openHigh bool) {
		switch {
		case math.IsNaN(v) || v <= 0 || v > 1:
			add(key, "must be in (0, 1], got %v", v)
		case openHigh && v == 1:
			add(key, "must be in (0, 1), got %v", v)
		}
	}
	// families checks a list of code family ids: each one of known, once.
	families := func(key string, ids, known []int) {
		for i, id := range ids {
			switch {
			case !slices.Contains(known, id):
				add(key, "family %d is not one of %v", id, known)
			case slices.Contains(ids[:i], id):
				add(key, "family %d is listed twice", id)
			}
		}
	}
	nonNeg := func(key string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			add(key, "must be a finite number >= 0, got %v", v)
		}
	}
	pos := func(key string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			add(key, "must be a finite number > 0, got %v", v)
		}
	}
	dur := func(key string, d time.Duration) {
		if d <= 0 {
			add(key, "must be a positive duration, got %v", d)
		}
	}

	if len(c.SerialNumber) > 256 {
		add("serial_number", "must be at most 256 bytes")
	}

	host("alice.network.bind_address", c.Alice.Network.BindAddress)
	if p := c.Alice.Network.BindPort; p < 0 || p > 65535 {
		add("alice.network.bind_port", "must be a TCP port in 0..65535 (0: any free port), got %d", p)
	}
	switch c.Alice.Negotiation.Mode {
	case NegotiatePropose, NegotiateDeny:
	default:
		add("alice.negotiation.mode", "must be %q or %q, got %q", NegotiatePropose, NegotiateDeny, c.Alice.Negotiation.Mode)
	}
	for _, r := range c.Alice.Negotiation.Required {
		if !IsFrameParameter(r) {
			add("alice.negotiation.required", "unknown frame parameter %q (known: %s)", r, strings.Join(FrameParameters(), ", "))
		}
	}
	if c.Alice.MaxSessions < 1 {
		add("alice.max_sessions", "must be >= 1, got %d", c.Alice.MaxSessions)
	}
	if c.Alice.MaxUnidentified < 1 {
		add("alice.max_unidentified", "must be >= 1, got %d", c.Alice.MaxUnidentified)
	}
	if c.Alice.MaxUnidentifiedPerSource < 1 {
		add("alice.max_unidentified_per_source", "must be >= 1, got %d", c.Alice.MaxUnidentifiedPerSource)
	}

	unit("bob.eta", c.Bob.Eta, false)
	host("bob.network.server_address", c.Bob.Network.ServerAddress)
	port("bob.network.server_port", c.Bob.Network.ServerPort)
	unit("bob.parameters_estimation.ratio", c.Bob.ParametersEstimation.Ratio, true)
	switch c.Bob.ParametersEstimation.Mode {
	case PEAsymptotic, PEFiniteSize:
	default:
		add("bob.parameters_estimation.mode", "must be %q or %q, got %q", PEAsymptotic, PEFiniteSize, c.Bob.ParametersEstimation.Mode)
	}
	if e := c.Bob.ParametersEstimation.Epsilon; !(e >= 0 && e < 1) {
		add("bob.parameters_estimation.epsilon", "must be in [0, 1), got %v", e)
	}
	switch c.Bob.ErrorCorrection.Reconciliation {
	case ReconciliationMultidimensional, ReconciliationSign, ReconciliationSlice:
	default:
		add("bob.error_correction.reconciliation", "must be %q, %q or %q, got %q",
			ReconciliationMultidimensional, ReconciliationSlice, ReconciliationSign, c.Bob.ErrorCorrection.Reconciliation)
	}
	if c.Bob.ErrorCorrection.Reconciliation == ReconciliationSlice && c.Bob.ErrorCorrection.Encoding == EncodingNumbers {
		add("bob.error_correction.reconciliation", "%q needs bob.error_correction.encoding = %q (slice blocks travel packed), got %q",
			ReconciliationSlice, EncodingPacked, EncodingNumbers)
	}
	ec := c.Bob.ErrorCorrection
	switch ec.Codes {
	case CodesQC, CodesGenerated:
	default:
		add("bob.error_correction.codes", "must be %q or %q, got %q", CodesQC, CodesGenerated, ec.Codes)
	}
	if e := ec.Efficiency; !(e == 0 || (e > 0 && e < 1)) {
		add("bob.error_correction.efficiency", "must be in (0, 1) (0: the planner's default), got %v", e)
	}
	if n := ec.BlockLength; n != 0 && (n < pp.MinQCBlockLength || n > qcldpc.MaxLength) {
		add("bob.error_correction.block_length", "must be in [%d, %d] quadratures (0: the planner's default), got %d", pp.MinQCBlockLength, qcldpc.MaxLength, n)
	}
	if n := c.Alice.ErrorCorrection.MaxBlockLength; n != 0 && (n < pp.MinQCBlockLength || n > qcldpc.MaxLength) {
		add("alice.error_correction.max_block_length", "must be in [%d, %d] bits (0: %d), got %d", pp.MinQCBlockLength, qcldpc.MaxLength, qcldpc.MaxLength, n)
	}
	families("alice.error_correction.families", c.Alice.ErrorCorrection.Families, qcldpc.Families())
	families("bob.error_correction.families", ec.Families, qcldpc.PlannedFamilies())
	switch ec.Encoding {
	case EncodingPacked, EncodingNumbers:
	default:
		add("bob.error_correction.encoding", "must be %q or %q, got %q", EncodingPacked, EncodingNumbers, ec.Encoding)
	}
	if n := c.Bob.Run.Reconnects; n < 0 || n > 1000 {
		add("bob.run.reconnects", "must be in 0..1000 (0: the first lost connection ends the run), got %d", n)
	}
	if d := c.Bob.Run.ReconnectBackoff.Duration; d < 0 || d > time.Hour {
		add("bob.run.reconnect_backoff", "must be in [0, 1h], got %v", d)
	}
	if c.Bob.Run.Frames < 0 {
		add("bob.run.frames", "must be >= 0 (0 runs until stopped), got %d", c.Bob.Run.Frames)
	}
	if c.Bob.Run.SymbolRequests < 1 || c.Bob.Run.SymbolRequests > 1000 {
		add("bob.run.symbol_requests", "must be in 1..1000, got %d", c.Bob.Run.SymbolRequests)
	}

	q := c.Frame.Quantum
	if q.NumSymbols < 1 {
		add("frame.quantum.num_symbols", "must be >= 1, got %d", q.NumSymbols)
	} else if c.Limits.MaxSymbols > 0 && q.NumSymbols > c.Limits.MaxSymbols {
		add("frame.quantum.num_symbols", "must be at most limits.max_symbols = %d, got %d", c.Limits.MaxSymbols, q.NumSymbols)
	}
	pos("frame.quantum.symbol_rate", q.SymbolRate)
	if q.Detection != Heterodyne && q.Detection != Homodyne {
		add("frame.quantum.detection", "must be %q or %q, got %q", Heterodyne, Homodyne, q.Detection)
	}
	if math.IsNaN(q.RollOff) || q.RollOff < 0 || q.RollOff > 1 {
		add("frame.quantum.roll_off", "must be in [0, 1], got %v", q.RollOff)
	}
	pos("frame.quantum.modulation_variance", q.ModulationVariance)
	nonNeg("frame.quantum.frequency_shift", q.FrequencyShift)

	a := c.Authentication
	if key, peer, err := auth.KeyFiles(a.Scheme); err != nil {
		add("authentication.scheme", "must be one of %s, got %q", strings.Join(auth.Schemes(), ", "), a.Scheme)
	} else {
		if key && a.KeyFile == "" {
			add("authentication.key_file", "required by scheme %q", a.Scheme)
		}
		if peer && a.PeerPublicKeyFile == "" {
			add("authentication.peer_public_key_file", "required by scheme %q", a.Scheme)
		}
	}
	if a.AuthenticationClass != "" {
		if !strings.HasSuffix(a.AuthenticationClass, "NoneAuthenticator") {
			add("authentication.authentication_class", "only the reference's NoneAuthenticator maps onto this implementation (use authentication.scheme), got %q", a.AuthenticationClass)
		} else if a.Scheme != AuthNone {
			add("authentication.authentication_class", "%q contradicts authentication.scheme = %q", a.AuthenticationClass, a.Scheme)
		}
	}
	if a.MaxFailures < 1 {
		add("authentication.max_failures", "must be >= 1, got %d", a.MaxFailures)
	}

	s := c.Simulation
	unit("simulation.transmittance", s.Transmittance, false)
	nonNeg("simulation.attenuation_db_per_km", s.AttenuationDBPerKm)
	distance := c.Given("simulation.distance_km")
	if distance {
		nonNeg("simulation.distance_km", s.DistanceKm)
		if c.Given("simulation.transmittance") {
			add("simulation.distance_km", "conflicts with simulation.transmittance: give the fiber length (with simulation.attenuation_db_per_km) or the transmittance, not both")
		}
		if loss := s.DistanceKm * s.AttenuationDBPerKm; loss > maxFiberLossDB {
			add("simulation.distance_km", "%v km at simulation.attenuation_db_per_km = %v is a loss of %v dB, more than %v dB", s.DistanceKm, s.AttenuationDBPerKm, loss, maxFiberLossDB)
		}
	}
	nonNeg("simulation.excess_noise", s.ExcessNoise)
	unit("simulation.eta", s.Eta, false)
	nonNeg("simulation.electronic_noise", s.ElectronicNoise)
	if s.Detection != "" && s.Detection != Heterodyne && s.Detection != Homodyne {
		add("simulation.detection", "must be %q or %q, got %q (deprecated: frame.quantum.detection)", Heterodyne, Homodyne, s.Detection)
	}
	pos("simulation.gain", s.Gain)
	if s.LinkSeed < 0 {
		add("simulation.link_seed", "must be >= 0, got %d", s.LinkSeed)
	}
	if s.NoiseSeed < 0 {
		add("simulation.noise_seed", "must be >= 0, got %d", s.NoiseSeed)
	}
	if s.CalibrationSamples < 1 || s.CalibrationSamples > 1<<24 {
		add("simulation.calibration_samples", "must be in 1..16777216, got %d", s.CalibrationSamples)
	}

	if c.Limits.MaxContent < 1024 {
		add("limits.max_content", "must be at least 1024 bytes, got %d", c.Limits.MaxContent)
	}
	if c.Limits.MaxSymbols < 1 || c.Limits.MaxSymbols > 1<<24 {
		add("limits.max_symbols", "must be in 1..16777216, got %d", c.Limits.MaxSymbols)
	}

	dur("timeouts.idle", c.Timeouts.Idle.Duration)
	dur("timeouts.frame", c.Timeouts.Frame.Duration)
	dur("timeouts.write", c.Timeouts.Write.Duration)
	dur("timeouts.frame_stall", c.Timeouts.FrameStall.Duration)
	dur("timeouts.handshake", c.Timeouts.Handshake.Duration)
	dur("timeouts.emitter_wait", c.Timeouts.EmitterWait.Duration)
	dur("timeouts.response", c.Timeouts.Response.Duration)
	dur("timeouts.connect", c.Timeouts.Connect.Duration)

	if strings.TrimSpace(c.Keys.OutputDir) == "" {
		add("keys.output_dir", "must not be empty")
	}

	if c.Logging.Format != LogConsole && c.Logging.Format != LogJSON {
		add("logging.format", "must be %q or %q, got %q", LogConsole, LogJSON, c.Logging.Format)
	}
	if _, ok := NormalizeLevel(c.Logging.Level); !ok {
		add("logging.level", "must be one of trace, debug, info, warn(ing), error, critical, got %q", c.Logging.Level)
	}
	errs = append(errs, c.Instruments.validate()...)
	if _, err := c.Monitor.Addr(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateKME()...)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if distance {
		c.Simulation.Transmittance = FiberTransmittance(s.DistanceKm, s.AttenuationDBPerKm)
	}
	return nil
}

// maxFiberLossDB bounds the simulated fiber's loss (T ≥ 10^-30, far below
// any key).
const maxFiberLossDB = 300

// NormalizeLevel maps a level name (ours or the reference's: warning,
// critical) to a zerolog level name.
func NormalizeLevel(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return "trace", true
	case "debug":
		return "debug", true
	case "info", "":
		return "info", true
	case "warn", "warning":
		return "warn", true
	case "error":
		return "error", true
	case "critical", "fatal":
		return "error", true
	}
	return "", false
}

// FrameParameters lists the frame parameters negotiated in INITIALIZATION,
// with their wire names: num_symbols (frame.quantum.num_symbols),
// symbol_rate (frame.quantum.symbol_rate), detection (frame.quantum.detection)
// and variance (frame.quantum.modulation_variance, Va in SNU).
func FrameParameters() []string {
	return []string{"num_symbols", "symbol_rate", "detection", "variance"}
}

// IsFrameParameter reports whether name is one of FrameParameters.
func IsFrameParameter(name string) bool {
	for _, p := range FrameParameters() {
		if p == name {
			return true
		}
	}
	return false
}

// FrameParameterValues returns the frame parameters of c as Bob sends them in
// INITIALIZATION_REQUEST and Alice sends them in INITIALIZATION_PROPOSAL.
func (c *Config) FrameParameterValues() map[string]any {
	q := c.Frame.Quantum
	return map[string]any{
		"num_symbols": q.NumSymbols,
		"symbol_rate": q.SymbolRate,
		"detection":   c.Frame.Quantum.Detection,
		"variance":    q.ModulationVariance,
	}
}

// QuantumConfig returns the content of INITIALIZATION_CONFIG's "config"
// field: {"frame": {"quantum": {...}}} with Alice's frame parameters.
func (c *Config) QuantumConfig() map[string]any {
	return map[string]any{"frame": map[string]any{"quantum": c.FrameParameterValues()}}
}
