package scpi

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/qosst/qosst-go/hardware"
)

// Physical constants (exact SI values).
const (
	planck       = 6.62607015e-34 // J·s
	speedOfLight = 299792458.0    // m/s
)

// EmitterConfig configures Alice's emitter: an arbitrary waveform
// generator driving an IQ modulator (channel 1 = q, channel 2 = p, one
// sample per symbol, channel 3 = polarisation pilot) and an optional power
// meter on a monitor tap.
type EmitterConfig struct {
	AWG        string `toml:"awg"`         // host[:port] of the waveform generator
	PowerMeter string `toml:"power_meter"` // host[:port] of the power meter; "" = none (no photon number)
	// FullScale is the quadrature value (SNU) at DAC full scale (code
	// 32767); symbols beyond it are clipped. Default 8·sqrt(Va) of each
	// frame when 0.
	FullScale float64 `toml:"full_scale"`
	// Wavelength of the laser in metres (default 1550 nm).
	Wavelength float64 `toml:"wavelength"`
	// OutputRatio = power at the fiber output / power on the monitor
	// (e.g. 1e-7 for a 1 % tap followed by 50 dB of attenuation). Required
	// with a power meter.
	OutputRatio float64 `toml:"output_ratio"`
	Limits      Limits  `toml:"limits"`
	// Seed, when non-nil, makes the symbols reproducible (tests and
	// replays); nil draws a fresh key from crypto/rand per frame.
	Seed *[32]byte `toml:"-"`
}

// Emitter is Alice's hardware.Emitter on a SCPI waveform generator and
// power meter (command set in docs/hardware.md).
type Emitter struct {
	cfg EmitterConfig
	awg *Conn
	pm  *Conn

	mu       sync.Mutex
	state    int // emIdle, emPrepared, emEmitting, emBusy
	spec     hardware.FrameSpec
	photons  float64 // <n> measured during the last emission
	measured bool
	pilot    bool
	closed   bool
}

const (
	emIdle = iota
	emPrepared
	emEmitting
	emBusy // a call is talking to the instruments
)

var _ hardware.Emitter = (*Emitter)(nil)

// NewEmitter connects to the instruments and checks that they identify.
func NewEmitter(ctx context.Context, cfg EmitterConfig) (*Emitter, error) {
	if cfg.Wavelength == 0 {
		cfg.Wavelength = 1550e-9
	}
	if !(cfg.Wavelength > 0) || !(cfg.FullScale >= 0) || math.IsInf(cfg.FullScale, 0) {
		return nil, fmt.Errorf("scpi: emitter: wavelength %v, full scale %v: %w", cfg.Wavelength, cfg.FullScale, hardware.ErrInvalidSpec)
	}
	if cfg.PowerMeter != "" && !(cfg.OutputRatio > 0 && cfg.OutputRatio <= 1e3) {
		return nil, fmt.Errorf("scpi: emitter: output ratio %v must be > 0 with a power meter: %w", cfg.OutputRatio, hardware.ErrInvalidSpec)
	}
	if cfg.AWG == "" {
		return nil, fmt.Errorf("scpi: no waveform generator address: %w", hardware.ErrNoDevice)
	}
	awg, err := open(ctx, cfg.AWG, cfg.Limits)
	if err != nil {
		return nil, err
	}
	e := &Emitter{cfg: cfg, awg: awg}
	if cfg.PowerMeter != "" {
		if e.pm, err = open(ctx, cfg.PowerMeter, cfg.Limits); err != nil {
			awg.Close()
			return nil, err
		}
	}
	return e, nil
}

// enter moves from one of the allowed states to emBusy and returns the
// state it left.
func (e *Emitter) enter(op string, allowed ...int) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0, fmt.Errorf("scpi: %s: %w", op, hardware.ErrClosed)
	}
	for _, s := range allowed {
		if e.state == s {
			e.state = emBusy
			return s, nil
		}
	}
	switch e.state {
	case emBusy:
		return 0, fmt.Errorf("scpi: %s: emitter busy: %w", op, hardware.ErrBusy)
	case emEmitting:
		return 0, fmt.Errorf("scpi: %s: emitting: %w", op, hardware.ErrBusy)
	}
	return 0, fmt.Errorf("scpi: %s: %w", op, hardware.ErrNotPrepared)
}

func (e *Emitter) leave(s int) {
	e.mu.Lock()
	e.state = s
	e.mu.Unlock()
}

// Quantize maps Alice's symbols to int16 DAC codes with full scale fs
// (SNU at code 32767) and returns the codes of each quadrature and the
// symbols actually emitted (the quantised, clipped values).
func Quantize(x []complex128, fs float64) (q, p []int16, emitted []complex128) {
	q, p, emitted = make([]int16, len(x)), make([]int16, len(x)), make([]complex128, len(x))
	code := func(v float64) int16 {
		c := math.Round(v / fs * 32767)
		return int16(max(-32767, min(32767, c)))
	}
	for i, v := range x {
		q[i], p[i] = code(real(v)), code(imag(v))
		emitted[i] = complex(float64(q[i])*fs/32767, float64(p[i])*fs/32767)
	}
	return q, p, emitted
}

// Prepare draws the frame's Gaussian symbols, quantises them, uploads them
// to channels 1 (q) and 2 (p) and returns the symbols as emitted.
func (e *Emitter) Prepare(ctx context.Context, spec hardware.FrameSpec) ([]complex128, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	prev, err := e.enter("prepare", emIdle, emPrepared)
	if err != nil {
		return nil, err
	}
	var key [32]byte
	if e.cfg.Seed != nil {
		key = *e.cfg.Seed
	} else if _, err := crand.Read(key[:]); err != nil {
		e.leave(prev)
		return nil, fmt.Errorf("scpi: prepare: drawing the symbol key: %w", err)
	}
	rng := rand.New(rand.NewChaCha8(key))
	sigma := math.Sqrt(spec.Va)
	x := make([]complex128, spec.NumSymbols)
	for i := range x {
		x[i] = complex(sigma*rng.NormFloat64(), sigma*rng.NormFloat64())
	}
	fs := e.cfg.FullScale
	if fs == 0 {
		fs = 8 * sigma
	}
	q, p, emitted := Quantize(x, fs)
	if err := e.upload(ctx, spec, q, p); err != nil {
		e.leave(emIdle) // whatever was loaded is no longer a known frame
		return nil, err
	}
	e.mu.Lock()
	e.state, e.spec, e.measured = emPrepared, spec, false
	e.mu.Unlock()
	return emitted, nil
}

func int16Bytes(v []int16) []byte {
	b := make([]byte, 2*len(v))
	for i, c := range v {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(c))
	}
	return b
}

func (e *Emitter) upload(ctx context.Context, spec hardware.FrameSpec, q, p []int16) error {
	if err := e.awg.Command(ctx, ":ABORt"); err != nil {
		return err
	}
	if err := e.awg.Command(ctx, ":FREQuency:RASTer "+strconv.FormatFloat(spec.SymbolRate, 'g', -1, 64)); err != nil {
		return err
	}
	for i, codes := range [][]int16{q, p} {
		cmd := ":TRACe" + strconv.Itoa(i+1) + ":DATA"
		if err := e.awg.WriteBlock(ctx, cmd, int16Bytes(codes)); err != nil {
			return err
		}
		if err := e.awg.CheckError(ctx); err != nil {
			return fmt.Errorf("after %s: %w", cmd, err)
		}
	}
	return nil
}

// StartEmission switches the IQ outputs on and starts the waveform.
func (e *Emitter) StartEmission(ctx context.Context) error {
	if _, err := e.enter("start emission", emPrepared); err != nil {
		return err
	}
	e.mu.Lock()
	pilot := e.pilot
	e.mu.Unlock()
	if pilot {
		e.leave(emPrepared)
		return fmt.Errorf("scpi: start emission: polarisation pilot is on: %w", hardware.ErrBusy)
	}
	for _, cmd := range []string{":OUTPut1 ON", ":OUTPut2 ON", ":INITiate:IMMediate"} {
		if err := e.awg.Command(ctx, cmd); err != nil {
			_ = e.awg.Write(context.WithoutCancel(ctx), ":ABORt")
			e.leave(emPrepared)
			return err
		}
	}
	e.leave(emEmitting)
	return nil
}

// StopEmission measures the output power (when a power meter is
// configured) while the frame is still on, then stops the waveform and
// switches the outputs off. The prepared frame is consumed.
func (e *Emitter) StopEmission(ctx context.Context) error {
	prev, err := e.enter("stop emission", emIdle, emPrepared, emEmitting)
	if err != nil {
		return err
	}
	var perr error
	if prev == emEmitting && e.pm != nil {
		var n float64
		if n, perr = e.measure(ctx); perr == nil {
			e.mu.Lock()
			e.photons, e.measured = n, true
			e.mu.Unlock()
		}
	}
	for _, cmd := range []string{":ABORt", ":OUTPut1 OFF", ":OUTPut2 OFF"} {
		if err := e.awg.Command(ctx, cmd); err != nil {
			e.leave(prev)
			return err
		}
	}
	e.leave(emIdle)
	return perr
}

// measure reads the monitor power and converts it to photons per symbol
// at the output: <n> = P·OutputRatio·λ / (h·c·R).
func (e *Emitter) measure(ctx context.Context) (float64, error) {
	w, err := e.pm.QueryFloat(ctx, ":MEASure:POWer?")
	if err != nil {
		return 0, err
	}
	if !(w >= 0) || math.IsInf(w, 0) {
		return 0, fmt.Errorf("scpi: %s: power %v W: %w", e.pm.Addr(), w, malformed(false, "not a power"))
	}
	e.mu.Lock()
	rate := e.spec.SymbolRate
	e.mu.Unlock()
	return w * e.cfg.OutputRatio * e.cfg.Wavelength / (planck * speedOfLight * rate), nil
}

// MeanPhotonNumber returns <n> measured during the last emission (or now,
// while emitting). It wraps hardware.ErrNoDevice without a power meter and
// hardware.ErrNotPrepared before any measured emission.
func (e *Emitter) MeanPhotonNumber(ctx context.Context) (float64, error) {
	if e.pm == nil {
		return 0, fmt.Errorf("scpi: mean photon number: no power meter configured: %w", hardware.ErrNoDevice)
	}
	e.mu.Lock()
	closed, emitting, n, ok := e.closed, e.state == emEmitting, e.photons, e.measured
	e.mu.Unlock()
	switch {
	case closed:
		return 0, fmt.Errorf("scpi: mean photon number: %w", hardware.ErrClosed)
	case emitting:
		return e.measure(ctx)
	case !ok:
		return 0, fmt.Errorf("scpi: mean photon number: no emission measured yet: %w", hardware.ErrNotPrepared)
	}
	return n, nil
}

// SetPolarisationSignal switches the polarisation pilot (channel 3).
func (e *Emitter) SetPolarisationSignal(ctx context.Context, on bool) error {
	prev, err := e.enter("polarisation signal", emIdle, emPrepared)
	if err != nil {
		return err
	}
	defer e.leave(prev)
	cmd := ":OUTPut3 OFF"
	if on {
		cmd = ":OUTPut3 ON"
	}
	if err := e.awg.Command(ctx, cmd); err != nil {
		return err
	}
	e.mu.Lock()
	e.pilot = on
	e.mu.Unlock()
	return nil
}

// Close closes the instrument connections (outputs are left as they are:
// an instrument keeps its state when the controller goes away).
func (e *Emitter) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	err := e.awg.Close()
	if e.pm != nil {
		if perr := e.pm.Close(); err == nil {
			err = perr
		}
	}
	return err
}

// Polariser is Bob's hardware.PolarisationController on a SCPI
// polarisation controller: :POLarisation:OPTimize starts the search and
// :POLarisation:LOCKed? answers 1 once aligned.
type Polariser struct {
	c        *Conn
	interval time.Duration
}

var _ hardware.PolarisationController = (*Polariser)(nil)

// NewPolariser connects to the controller at addr.
func NewPolariser(ctx context.Context, addr string, limits Limits) (*Polariser, error) {
	c, err := open(ctx, addr, limits)
	if err != nil {
		return nil, err
	}
	return &Polariser{c: c, interval: 10 * time.Millisecond}, nil
}

// Recover starts the optimisation and waits until the controller locks.
func (p *Polariser) Recover(ctx context.Context) error {
	if err := p.c.Command(ctx, ":POLarisation:OPTimize"); err != nil {
		return err
	}
	return p.c.PollUntil(ctx, ":POLarisation:LOCKed?", "1", p.interval)
}

// Close closes the connection.
func (p *Polariser) Close() error { return p.c.Close() }
