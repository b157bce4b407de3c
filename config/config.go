// Package config owns the station configuration shared by Alice and Bob: one
// TOML file (github.com/BurntSushi/toml) that reads the keys of the Python
// reference's config.toml that apply to this implementation (serial_number,
// alice.network, bob.network, frame.quantum, bob.eta,
// bob.parameters_estimation.ratio, authentication) and accepts, without using
// them, the reference's other keys; plus the sections of this implementation
// (simulation, limits, timeouts, keys, logging, alice.negotiation, bob.run),
// where an unknown key is an error. Built-in defaults (Default) run both
// stations on the simulated link with the None authenticator on port 8181;
// Load layers defaults, file, "key=value" overrides and command-line flags,
// then validates, and every failure names the key and the reason.
package config

import (
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"time"
)

// DefaultPort is the QOSST default TCP port.
const DefaultPort = 8181

// Detection schemes of the receiver.
const (
	Heterodyne = "heterodyne"
	Homodyne   = "homodyne"
)

// Authentication schemes understood in [authentication] scheme.
const (
	AuthNone       = "none"
	AuthHMACSHA256 = "hmac-sha256"
	AuthEd25519    = "ed25519"
)

// Parameter-estimation modes understood in bob.parameters_estimation.mode.
const (
	PEAsymptotic = "asymptotic"
	PEFiniteSize = "finite-size"
)

// Reconciliation schemes understood in bob.error_correction.reconciliation
// (the names the error-correction code gives them).
const (
	ReconciliationMultidimensional = "multidimensional"
	ReconciliationSign             = "sign"
	// ReconciliationSlice plans slice reconciliation where it reconciles
	// more than multidimensional reconciliation (SNR above about 0.3),
	// multidimensional elsewhere and with a peer that denies slices.
	ReconciliationSlice = "slice"
)

// Log formats understood in [logging] format.
const (
	LogConsole = "console"
	LogJSON    = "json"
)

// Negotiation modes of Alice for an INITIALIZATION_REQUEST whose frame
// parameters she does not accept.
const (
	NegotiatePropose = "propose" // answer INITIALIZATION_PROPOSAL (Bob may ask for her config)
	NegotiateDeny    = "deny"    // answer INITIALIZATION_DENIED
)

// Config is the whole station configuration. The zero value is not useful:
// start from Default or Load.
type Config struct {
	// Label names the configuration (reference key; informational).
	Label string `toml:"label"`
	// SerialNumber is this station's serial number, sent in identification.
	SerialNumber string `toml:"serial_number"`

	Alice          Alice          `toml:"alice"`
	Bob            Bob            `toml:"bob"`
	Frame          Frame          `toml:"frame"`
	Authentication Authentication `toml:"authentication"`
	Simulation     Simulation     `toml:"simulation"`
	Instruments    Instruments    `toml:"instruments"`
	Limits         Limits         `toml:"limits"`
	Timeouts       Timeouts       `toml:"timeouts"`
	Keys           Keys           `toml:"keys"`
	KME            KME            `toml:"kme"`
	Logging        Logging        `toml:"logging"`
	Monitor        Monitor        `toml:"monitor"`
	// Logs is the reference's [logs] section; its level is used when
	// [logging] level is not given.
	Logs ReferenceLogs `toml:"logs"`

	// Ignored lists the keys of the file that belong to the reference's
	// configuration and are accepted without effect (for a log line).
	Ignored []string `toml:"-"`
	// Deprecated lists the deprecated keys that were read, each with what
	// replaces it (for a warning at start).
	Deprecated []string `toml:"-"`

	// given records the dotted keys set by a file (Decode) or by Set, so
	// that Validate can tell a key the user wrote from a default.
	given map[string]bool
}

// Alice holds Alice's settings.
type Alice struct {
	Network     AliceNetwork `toml:"network"`
	Negotiation Negotiation  `toml:"negotiation"`
	// ErrorCorrection is Alice's [alice.error_correction] (this
	// implementation's section).
	ErrorCorrection AliceErrorCorrection `toml:"error_correction"`
	// MaxSessions bounds the number of identified sessions Alice serves;
	// an identification beyond it is answered ABORT ("server busy").
	MaxSessions int `toml:"max_sessions"`
	// MaxUnidentified bounds the connections that have not identified yet;
	// a new connection beyond it evicts the oldest of them.
	MaxUnidentified int `toml:"max_unidentified"`
	// MaxUnidentifiedPerSource bounds the unidentified connections from one
	// source address; a new one beyond it evicts that source's oldest.
	MaxUnidentifiedPerSource int `toml:"max_unidentified_per_source"`
}

// AliceNetwork is where Alice listens (reference keys).
type AliceNetwork struct {
	BindAddress string `toml:"bind_address"`
	BindPort    int    `toml:"bind_port"`
}

// Listen returns the HOST:PORT Alice listens on.
func (n AliceNetwork) Listen() string {
	return net.JoinHostPort(n.BindAddress, strconv.Itoa(n.BindPort))
}

// AliceErrorCorrection is what Alice accepts in EC_INITIALIZATION.
type AliceErrorCorrection struct {
	// Families lists the quasi-cyclic code families (qc_ldpc's "family")
	// Alice accepts; a plan naming another is answered EC_DENIED, and Bob
	// plans again without it. Empty: every family this build ships.
	Families []int `toml:"families"`
	// MaxBlockLength bounds, in bits, the quasi-cyclic codes Alice decodes
	// (the memory of each of her decoders grows with it); a longer plan is
	// answered EC_DENIED, and Bob plans again in blocks of at most 2097152
	// quadratures. 0: every length this build lifts (4194304).
	MaxBlockLength int `toml:"max_block_length"`
}

// Negotiation tells Alice how to answer frame parameters she does not accept.
type Negotiation struct {
	// Mode is NegotiatePropose or NegotiateDeny.
	Mode string `toml:"mode"`
	// Required lists frame parameters Bob must send in INITIALIZATION_REQUEST
	// (names as in [frame.quantum] plus "detection"); a missing one is denied.
	Required []string `toml:"required"`
}

// Bob holds Bob's settings.
type Bob struct {
	// Eta is the global efficiency of Bob's receiver as Bob knows it
	// (reference key), in (0, 1].
	Eta                  float64              `toml:"eta"`
	Network              BobNetwork           `toml:"network"`
	ParametersEstimation ParametersEstimation `toml:"parameters_estimation"`
	ErrorCorrection      ErrorCorrection      `toml:"error_correction"`
	Run                  BobRun               `toml:"run"`
}

// ErrorCorrection is Bob's [bob.error_correction] (this implementation's
// section).
type ErrorCorrection struct {
	// Reconciliation is the scheme Bob announces in EC_INITIALIZATION:
	// "multidimensional" (dimension 8) or "sign"; "slice" plans slice
	// reconciliation where it reconciles more than multidimensional
	// reconciliation, which it falls back to elsewhere and when Alice
	// answers EC_DENIED (a peer built before slices). Slice blocks travel
	// packed only, so "slice" needs encoding = "packed".
	Reconciliation string `toml:"reconciliation"`
	// Codes: "qc" (the quasi-cyclic codes with rate adaptation, the default
	// for multidimensional reconciliation) or "generated" (the IRA codes,
	// the only ones for sign reconciliation).
	Codes string `toml:"codes"`
	// Efficiency is the target β of the quasi-cyclic codes: their effective
	// rate is at most β·½·log2(1 + SNR) at the worst-case (finite-size) or
	// estimated (asymptotic) parameters; 0 takes the planner's default.
	Efficiency float64 `toml:"efficiency"`
	// BlockLength bounds the key quadratures of one quasi-cyclic block; 0
	// takes the planner's default (2^21).
	BlockLength int `toml:"block_length"`
	// Families lists the quasi-cyclic code families the planner may choose
	// (empty: all it uses). Bob also drops a family Alice answers EC_DENIED
	// to and plans the frame again, so a peer built before a family still
	// reconciles.
	Families []int `toml:"families"`
	// Encoding of the large arrays of EC_BLOCK and PA_REQUEST: "packed"
	// (base64, several blocks per EC_BLOCK; used only when Alice's EC_READY
	// offers it, else the specification's form) or "numbers" (the
	// specification's JSON number arrays, one block per EC_BLOCK, always).
	Encoding string `toml:"encoding"`
}

// Encodings of bob.error_correction.encoding.
const (
	EncodingPacked  = "packed"
	EncodingNumbers = "numbers"
)

// Code families of bob.error_correction.codes.
const (
	CodesQC        = "qc"
	CodesGenerated = "generated"
)

// BobNetwork is where Bob connects (reference keys).
type BobNetwork struct {
	ServerAddress string `toml:"server_address"`
	ServerPort    int    `toml:"server_port"`
}

// Connect returns the HOST:PORT Bob connects to.
func (n BobNetwork) Connect() string {
	return net.JoinHostPort(n.ServerAddress, strconv.Itoa(n.ServerPort))
}

// ParametersEstimation is the reference's [bob.parameters_estimation].
type ParametersEstimation struct {
	// Ratio is the fraction of the frame's symbols disclosed for parameter
	// estimation, in (0, 1).
	Ratio float64 `toml:"ratio"`
	// Mode is how the estimates enter the key: "asymptotic" (the point
	// estimates, as the reference) or "finite-size" (T at its lower and ξ at
	// its upper confidence bound).
	Mode string `toml:"mode"`
	// Epsilon is the failure probability of each finite-size bound, in
	// [0, 1); 0 takes the parameter-estimation default.
	Epsilon float64 `toml:"epsilon"`
}

// BobRun holds how Bob drives frames (this implementation's section).
type BobRun struct {
	// Frames is the number of frames to run; 0 runs until stopped.
	Frames int `toml:"frames"`
	// SymbolRequests is the number of sub-frames sampled for parameter
	// estimation; their indices travel in as few PE_SYMBOLS_REQUESTs as
	// limits.max_content allows.
	SymbolRequests int `toml:"symbol_requests"`
	// PolarisationRecovery runs the optional polarisation recovery each frame.
	PolarisationRecovery bool `toml:"polarisation_recovery"`
	// Reconnects is how many lost connections in a row Bob rides out: the
	// frame in progress is dropped (on both sides, as the recovery rules
	// say) and the next frame starts on a new connection after a backoff;
	// 0 ends the run at the first lost connection.
	Reconnects int `toml:"reconnects"`
	// ReconnectBackoff is the first wait before reconnecting, doubled at
	// each loss in a row (up to 10 s).
	ReconnectBackoff Duration `toml:"reconnect_backoff"`
}

// Frame is the reference's [frame] section.
type Frame struct {
	Quantum Quantum `toml:"quantum"`
}

// Quantum is the reference's [frame.quantum]: the frame parameters both
// stations must agree on in INITIALIZATION.
type Quantum struct {
	// NumSymbols is the number of quantum symbols per frame.
	NumSymbols int `toml:"num_symbols"`
	// SymbolRate is the symbol rate in baud.
	SymbolRate float64 `toml:"symbol_rate"`
	// RollOff is the roll-off of the root-raised-cosine filter, in [0, 1].
	RollOff float64 `toml:"roll_off"`
	// ModulationVariance is Alice's modulation variance Va = 2<n>, in
	// shot-noise units per quadrature (this implementation's key; the
	// reference's DAC-relative "variance" is accepted and ignored). It is the
	// "variance" frame parameter of INITIALIZATION_REQUEST.
	ModulationVariance float64 `toml:"modulation_variance"`
	// FrequencyShift is the frequency shift of the quantum part, in Hz.
	FrequencyShift float64 `toml:"frequency_shift"`
	// Detection is Bob's measurement scheme, Heterodyne or Homodyne: the
	// "detection" frame parameter of INITIALIZATION_REQUEST (formerly
	// simulation.detection, still read).
	Detection string `toml:"detection"`
}

// Authentication selects the authenticator of the classical channel.
type Authentication struct {
	// Scheme is one of auth.Schemes() (AuthNone, AuthHMACSHA256,
	// AuthEd25519, ...); transport/auth decides how each loads its keys.
	Scheme string `toml:"scheme"`
	// KeyFile holds this station's secret: the shared HMAC key, or the
	// private key of a signature scheme.
	KeyFile string `toml:"key_file"`
	// PeerPublicKeyFile holds the peer's public key (signature schemes).
	PeerPublicKeyFile string `toml:"peer_public_key_file"`
	// MaxFailures is the number of authentication failures in a row after
	// which a session concludes man-in-the-middle and closes.
	MaxFailures int `toml:"max_failures"`
	// AuthenticationClass is the reference's key; only the None
	// authenticator maps onto this implementation.
	AuthenticationClass string `toml:"authentication_class"`
	// AuthenticationParams is the reference's key, accepted and unused.
	AuthenticationParams map[string]any `toml:"authentication_params"`
}

// Simulation configures the simulated optical link (hardware/sim).
type Simulation struct {
	// Enabled selects the simulated link; false asks for real instruments.
	Enabled bool `toml:"enabled"`
	// Transmittance is the channel transmittance T, in (0, 1]. When
	// DistanceKm is given instead, Validate sets it to the fiber's
	// transmittance 10^(−α·L/10).
	Transmittance float64 `toml:"transmittance"`
	// DistanceKm is the length L of the simulated fiber in km, >= 0. It is
	// used only when given (in the file or as an override); giving both it
	// and transmittance is an error.
	DistanceKm float64 `toml:"distance_km"`
	// AttenuationDBPerKm is the fiber's attenuation α in dB/km, > 0 (0.2
	// for standard single-mode fiber at 1550 nm).
	AttenuationDBPerKm float64 `toml:"attenuation_db_per_km"`
	// ExcessNoise is ξ in SNU, referred to the channel input, >= 0.
	ExcessNoise float64 `toml:"excess_noise"`
	// Eta is the true detector efficiency η of the simulated receiver, in (0, 1].
	Eta float64 `toml:"eta"`
	// ElectronicNoise is v_el in SNU, >= 0.
	ElectronicNoise float64 `toml:"electronic_noise"`
	// Detection is the deprecated place of frame.quantum.detection: a value
	// given here (file or --set) is read as frame.quantum.detection, unless
	// that key is given too, and noted in Deprecated. Empty by default.
	Detection string `toml:"detection"`
	// LinkSeed is the shared link seed from which both processes derive
	// Alice's symbols; Alice and Bob must use the same one.
	LinkSeed int64 `toml:"link_seed"`
	// NoiseSeed seeds Bob's receiver noise; 0 draws fresh randomness.
	NoiseSeed int64 `toml:"noise_seed"`
	// Gain converts sqrt(SNU) to detector units at the receiver, > 0.
	Gain float64 `toml:"gain"`
	// CalibrationSamples is the smallest size of each calibration record
	// of the simulated receiver (a record is as long as the frame it
	// calibrates when that is longer).
	CalibrationSamples int `toml:"calibration_samples"`
	// Realtime makes an acquisition last num_symbols/symbol_rate.
	Realtime bool `toml:"realtime"`
}

// Limits bound what a station accepts from the network.
type Limits struct {
	// MaxContent is the largest content_length accepted, in bytes.
	MaxContent int `toml:"max_content"`
	// MaxSymbols is the largest num_symbols Alice accepts for a frame (at
	// most 2^24, the bound of the hardware layer).
	MaxSymbols int `toml:"max_symbols"`
}

// Timeouts are durations written as Go duration strings ("30s", "5m").
type Timeouts struct {
	// Idle bounds the wait for the peer's next message.
	Idle Duration `toml:"idle"`
	// Frame bounds one whole frame, from INITIALIZATION to FRAME_ENDED_ACK.
	Frame Duration `toml:"frame"`
	// Write bounds one frame write.
	Write Duration `toml:"write"`
	// FrameStall bounds the rest of a received frame once its first byte
	// arrived (a peer that trickles a frame is cut after it).
	FrameStall Duration `toml:"frame_stall"`
	// Handshake bounds the time from Alice's accept to the peer's
	// identification.
	Handshake Duration `toml:"handshake"`
	// EmitterWait bounds how long a QIE_REQUEST waits for the emitter held
	// by another session before Alice answers ABORT.
	EmitterWait Duration `toml:"emitter_wait"`
	// Response bounds Bob's wait for one response.
	Response Duration `toml:"response"`
	// Connect bounds Bob's dial.
	Connect Duration `toml:"connect"`
}

// Keys configures the final-key output.
type Keys struct {
	// OutputDir receives one file per frame, named by the frame UUID.
	OutputDir string `toml:"output_dir"`
	// Store is the key database (package keystore): "sqlite:PATH" or
	// "postgres://…"; empty: sqlite:<output_dir>/keys.db.
	Store string `toml:"store"`
}

// Logging configures the station logger.
type Logging struct {
	// Format is LogConsole (people) or LogJSON (machines).
	Format string `toml:"format"`
	// Level is trace, debug, info, warn, error.
	Level string `toml:"level"`
}

// ReferenceLogs is the reference's [logs] section.
type ReferenceLogs struct {
	Level string `toml:"level"`
}

// FiberTransmittance is the transmittance of L km of fiber with an
// attenuation of α dB/km: T = 10^(−α·L/10).
func FiberTransmittance(km, dbPerKm float64) float64 {
	return math.Pow(10, -dbPerKm*km/10)
}

// Given reports whether key was set by a file or by Set (an override or a
// flag), as opposed to keeping its built-in default.
func (c *Config) Given(key string) bool { return c.given[key] }

func (c *Config) markGiven(key string) {
	if c.given == nil {
		c.given = map[string]bool{}
	}
	c.given[key] = true
}

// Duration is a time.Duration read from and written to TOML as a Go duration
// string ("30s"); a bare integer is read as seconds.
type Duration struct{ time.Duration }

// UnmarshalTOML implements toml.Unmarshaler.
func (d *Duration) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		p, err := time.ParseDuration(x)
		if err != nil {
			return fmt.Errorf("not a duration (like \"30s\" or \"5m\"): %q", x)
		}
		d.Duration = p
		return nil
	case int64:
		d.Duration = time.Duration(x) * time.Second
		return nil
	case float64:
		d.Duration = time.Duration(x * float64(time.Second))
		return nil
	}
	return fmt.Errorf("not a duration: %T", v)
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the built-in configuration: the default simulated short
// link (heterodyne, T = 0.9, ξ = 0.01, η = 0.8, v_el = 0.05) with frames of
// 10^6 symbols at 100 MBd and Va = 4 (<n> = 2), half of them disclosed for
// finite-size parameter estimation (ε = 1e-10), multidimensional
// reconciliation, the None authenticator, port 8181 on the loopback.
func Default() *Config {
	return &Config{
		Label:        "qosst-go defaults",
		SerialNumber: "",
		Alice: Alice{
			Network:                  AliceNetwork{BindAddress: "127.0.0.1", BindPort: DefaultPort},
			Negotiation:              Negotiation{Mode: NegotiatePropose},
			MaxSessions:              16,
			MaxUnidentified:          64,
			MaxUnidentifiedPerSource: 8,
		},
		Bob: Bob{
			Eta:                  0.8,
			Network:              BobNetwork{ServerAddress: "127.0.0.1", ServerPort: DefaultPort},
			ParametersEstimation: ParametersEstimation{Ratio: 0.5, Mode: PEFiniteSize, Epsilon: 1e-10},
			ErrorCorrection:      ErrorCorrection{Reconciliation: ReconciliationMultidimensional, Codes: CodesQC, Encoding: EncodingPacked},
			Run:                  BobRun{Frames: 1, SymbolRequests: 10, Reconnects: 5, ReconnectBackoff: Duration{500 * time.Millisecond}},
		},
		Frame: Frame{Quantum: Quantum{
			NumSymbols:         1_000_000,
			SymbolRate:         100e6,
			RollOff:            0.5,
			ModulationVariance: 4,
			FrequencyShift:     100e6,
			Detection:          Heterodyne,
		}},
		Authentication: Authentication{Scheme: AuthNone, MaxFailures: 3},
		Simulation: Simulation{
			Enabled:            true,
			Transmittance:      0.9,
			AttenuationDBPerKm: 0.2,
			ExcessNoise:        0.01,
			Eta:                0.8,
			ElectronicNoise:    0.05,
			LinkSeed:           1,
			Gain:               0.037,
			CalibrationSamples: 1 << 18,
		},
		Instruments: DefaultInstruments(),
		Limits:      Limits{MaxContent: 64 << 20, MaxSymbols: 1 << 24},
		Timeouts: Timeouts{
			Idle:        Duration{5 * time.Minute},
			Frame:       Duration{10 * time.Minute},
			Write:       Duration{30 * time.Second},
			FrameStall:  Duration{20 * time.Second},
			Handshake:   Duration{10 * time.Second},
			EmitterWait: Duration{30 * time.Second},
			Response:    Duration{2 * time.Minute},
			Connect:     Duration{10 * time.Second},
		},
		Keys:    Keys{OutputDir: "keys"},
		KME:     DefaultKME(),
		Logging: Logging{Format: LogConsole, Level: "info"},
	}
}

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	d := *c
	d.Alice.Negotiation.Required = append([]string(nil), c.Alice.Negotiation.Required...)
	d.Alice.ErrorCorrection.Families = slices.Clone(c.Alice.ErrorCorrection.Families)
	d.Bob.ErrorCorrection.Families = slices.Clone(c.Bob.ErrorCorrection.Families)
	d.Ignored = append([]string(nil), c.Ignored...)
	d.Deprecated = append([]string(nil), c.Deprecated...)
	if c.given != nil {
		d.given = make(map[string]bool, len(c.given))
		for k, v := range c.given {
			d.given[k] = v
		}
	}
	if c.Authentication.AuthenticationParams != nil {
		d.Authentication.AuthenticationParams = make(map[string]any, len(c.Authentication.AuthenticationParams))
		for k, v := range c.Authentication.AuthenticationParams {
			d.Authentication.AuthenticationParams[k] = v
		}
	}
	return &d
}
