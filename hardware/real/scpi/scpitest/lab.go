package scpitest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/qosst/qosst-go/hardware"
)

// Physical constants (exact SI values).
const (
	planck       = 6.62607015e-34 // J·s
	speedOfLight = 299792458.0    // m/s
)

// Codes per sqrt(SNU) at the digitizer: a sample of y SNU^½ is recorded as
// round(y·codesPerUnit) (int16, clipped), reported with YINCrement =
// Gain/codesPerUnit and YORigin = 0, so the driver reads Gain·y.
const codesPerUnit = 1024

// LabConfig is the bench: the fiber and detector (the link model of
// hardware/sim, in SNU per quadrature) and the calibrations that tie the
// instruments to it. The emitter and receiver configurations of the
// stations must agree with FullScale, Wavelength, OutputRatio and
// Detection, as a real lab's calibration does.
type LabConfig struct {
	Transmittance   float64            // T, (0, 1]
	ExcessNoise     float64            // ξ, SNU at the channel input
	Efficiency      float64            // η, (0, 1]
	ElectronicNoise float64            // v_el, SNU
	Detection       hardware.Detection // Bob's receiver (heterodyne when 0)
	// FullScale is the quadrature (SNU) that the AWG's code 32767 puts on
	// the fiber: the emitter's full_scale.
	FullScale float64
	// Gain is the digitizer reading (volts) per sqrt(SNU).
	Gain float64
	// Wavelength (m) and OutputRatio (output power / monitor power) of the
	// power meter's calibration: the emitter's wavelength and output_ratio.
	Wavelength, OutputRatio float64
	// NoiseSeed seeds the detector noise; 0 draws fresh randomness.
	NoiseSeed uint64
	// LockPolls is the number of :POLarisation:LOCKed? polls answered 0
	// after :POLarisation:OPTimize before the controller locks (it locks
	// only while Alice's polarisation pilot, AWG output 3, is on).
	LockPolls int
}

// DefaultLabConfig is the project's default short link (heterodyne,
// T = 0.9, ξ = 0.01, η = 0.8, v_el = 0.05) with full scale 12 SNU, a gain
// of 0.037 V per sqrt(SNU), 1550 nm and an output ratio of 1e-7.
func DefaultLabConfig() LabConfig {
	return LabConfig{Transmittance: 0.9, ExcessNoise: 0.01, Efficiency: 0.8, ElectronicNoise: 0.05,
		Detection: hardware.Heterodyne, FullScale: 12, Gain: 0.037, Wavelength: 1550e-9, OutputRatio: 1e-7, LockPolls: 3}
}

// Lab is a fake optical bench on the loopback: Alice's AWG and power
// meter, Bob's digitizer, LO laser and polarisation controller, each an
// Instrument with the command set of docs/hardware.md, sharing the fiber.
//
// The digitizer's external trigger is the AWG's start: an acquisition
// armed with :TRIGger:SOURce EXTernal completes once the AWG runs with its
// IQ outputs on, and records y = sqrt(ηT/2)·x + n (heterodyne; homodyne
// sqrt(ηT)·x on channel 1) from the uploaded traces x = code·FullScale/32767,
// with Var(n) = 1 + v_el + ηTξ/2 (homodyne ηTξ). Free-running acquisitions
// (:TRIGger:SOURce IMMediate, the calibrations) record N(0, 1 + v_el) with
// the LO on and N(0, v_el) with it off. The power meter reads the monitor
// power of the running frame: <n> = mean(|x|²)/4 photons per symbol at the
// output.
type Lab struct {
	AWG, PowerMeter, Digitizer, LocalOscillator, Polariser *Instrument

	cfg LabConfig
	mu  sync.Mutex
	rng *rand.Rand
	// AWG
	traces  [2][]int16
	outputs [4]bool
	running bool
	rate    float64
	// LO
	loOn bool
	// digitizer
	points  int
	trigger string
	armed   bool
	record  [2][]int16
	source  int
	acqs    int
	// polarisation controller
	optimising bool
	pollsLeft  int
}

// NewLab starts the five instruments.
func NewLab(cfg LabConfig) (*Lab, error) {
	if cfg.Detection == 0 {
		cfg.Detection = hardware.Heterodyne
	}
	if !cfg.Detection.Valid() || !(cfg.FullScale > 0) || !(cfg.Gain > 0) || !(cfg.Wavelength > 0) || !(cfg.OutputRatio > 0) ||
		!(cfg.Transmittance > 0 && cfg.Transmittance <= 1) || !(cfg.Efficiency > 0 && cfg.Efficiency <= 1) ||
		!(cfg.ExcessNoise >= 0) || !(cfg.ElectronicNoise >= 0) {
		return nil, fmt.Errorf("scpitest: invalid lab configuration %+v", cfg)
	}
	seed := cfg.NoiseSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	l := &Lab{cfg: cfg, rng: rand.New(rand.NewPCG(seed, 0x5eed)), loOn: true, source: 1}
	var err error
	start := func(idn string, h Handler) *Instrument {
		if err != nil {
			return nil
		}
		var in *Instrument
		in, err = NewInstrument(idn, h)
		return in
	}
	l.AWG = start("Fake,AWG 2-ch,SN100,1.0", l.awg)
	l.PowerMeter = start("Fake,Power meter,SN101,1.0", l.powerMeter)
	l.Digitizer = start("Fake,Digitizer,SN102,1.0", l.digitizer)
	l.LocalOscillator = start("Fake,LO laser,SN103,1.0", l.laser)
	l.Polariser = start("Fake,Polarisation controller,SN104,1.0", l.polariser)
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Close stops every instrument.
func (l *Lab) Close() error {
	var errs []error
	for _, in := range []*Instrument{l.AWG, l.PowerMeter, l.Digitizer, l.LocalOscillator, l.Polariser} {
		if in != nil {
			errs = append(errs, in.Close())
		}
	}
	return errors.Join(errs...)
}

// Acquisitions returns the number of triggered digitizer records so far
// (frames and calibrations).
func (l *Lab) Acquisitions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acqs
}

// Emitting reports whether the AWG runs with its IQ outputs on.
func (l *Lab) Emitting() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.emittingLocked()
}

// PilotOn reports whether the polarisation pilot (AWG output 3) is on.
func (l *Lab) PilotOn() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.outputs[3]
}

func (l *Lab) emittingLocked() bool { return l.running && l.outputs[1] && l.outputs[2] }

func (l *Lab) awg(in *Instrument, cmd, arg string, blk []byte) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch cmd {
	case ":ABORt":
		l.running = false
	case ":FREQuency:RASTer":
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(r > 0) || math.IsInf(r, 0) {
			in.PushError(`-224,"Illegal parameter value"`)
			return nil, true
		}
		l.rate = r
	case ":TRACe1:DATA", ":TRACe2:DATA":
		if len(blk)%2 != 0 || len(blk)/2 > hardware.MaxSymbols {
			in.PushError(`-223,"Too much data"`)
			return nil, true
		}
		v := make([]int16, len(blk)/2)
		for i := range v {
			v[i] = int16(binary.LittleEndian.Uint16(blk[2*i:]))
		}
		l.traces[cmd[6]-'1'] = v
	case ":OUTPut1", ":OUTPut2", ":OUTPut3":
		if arg != "ON" && arg != "OFF" {
			return nil, false
		}
		l.outputs[cmd[7]-'0'] = arg == "ON"
	case ":INITiate:IMMediate":
		if len(l.traces[0]) == 0 || len(l.traces[0]) != len(l.traces[1]) {
			in.PushError(`-221,"Settings conflict; no waveform loaded"`)
			return nil, true
		}
		l.running = true
	default:
		return nil, false
	}
	return nil, true
}

func (l *Lab) powerMeter(in *Instrument, cmd, arg string, _ []byte) ([]byte, bool) {
	if cmd != ":MEASure:POWer?" {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	watts := 0.0
	if l.emittingLocked() && l.rate > 0 {
		fs := l.cfg.FullScale / 32767
		var s float64
		for i, q := range l.traces[0] {
			p := l.traces[1][i]
			s += fs * fs * (float64(q)*float64(q) + float64(p)*float64(p))
		}
		n := s / float64(len(l.traces[0])) / 4 // photons per symbol at the output
		watts = n * planck * speedOfLight / l.cfg.Wavelength * l.rate / l.cfg.OutputRatio
	}
	return Line(strconv.FormatFloat(watts, 'E', 9, 64)), true
}

func (l *Lab) laser(in *Instrument, cmd, arg string, _ []byte) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case cmd == ":OUTPut:STATe" && (arg == "ON" || arg == "OFF"):
		l.loOn = arg == "ON"
		return nil, true
	case cmd == ":OUTPut:STATe?":
		if l.loOn {
			return Line("1"), true
		}
		return Line("0"), true
	}
	return nil, false
}

func (l *Lab) polariser(in *Instrument, cmd, arg string, _ []byte) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch cmd {
	case ":POLarisation:OPTimize":
		l.optimising, l.pollsLeft = true, l.cfg.LockPolls
	case ":POLarisation:LOCKed?":
		if !l.optimising || !l.outputs[3] { // nothing to lock on without the pilot
			return Line("0"), true
		}
		if l.pollsLeft > 0 {
			l.pollsLeft--
			return Line("0"), true
		}
		return Line("1"), true
	default:
		return nil, false
	}
	return nil, true
}

func (l *Lab) digitizer(in *Instrument, cmd, arg string, _ []byte) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch cmd {
	case ":ACQuire:POINts":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > hardware.MaxSymbols {
			in.PushError(`-224,"Illegal parameter value"`)
			return nil, true
		}
		l.points = n
	case ":ACQuire:SRATe", ":WAVeform:FORMat", ":WAVeform:BYTeorder":
	case ":TRIGger:SOURce":
		if arg != "EXTernal" && arg != "IMMediate" {
			in.PushError(`-224,"Illegal parameter value"`)
			return nil, true
		}
		l.trigger = arg
	case ":SINGle":
		l.armed, l.record = true, [2][]int16{}
	case ":STOP":
		l.armed = false
	case ":ADER?":
		if l.armed && (l.trigger == "IMMediate" || l.emittingLocked()) {
			l.acquireLocked()
		}
		if l.record[0] != nil {
			return Line("1"), true
		}
		return Line("0"), true
	case ":WAVeform:SOURce":
		ch, err := strconv.Atoi(strings.TrimPrefix(arg, "CHANnel"))
		if err != nil || ch < 1 || ch > 2 {
			in.PushError(`-224,"Illegal parameter value"`)
			return nil, true
		}
		l.source = ch
	case ":WAVeform:YINCrement?":
		return Line(strconv.FormatFloat(l.cfg.Gain/codesPerUnit, 'E', 12, 64)), true
	case ":WAVeform:YORigin?":
		return Line("0.0E+00"), true
	case ":WAVeform:DATA?":
		rec := l.record[l.source-1]
		raw := make([]byte, 2*len(rec))
		for i, c := range rec {
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(c))
		}
		return Block(raw), true
	default:
		return nil, false
	}
	return nil, true
}

// acquireLocked records l.points samples of both channels through the
// fiber (or the bare detector noise) and disarms.
func (l *Lab) acquireLocked() {
	c := l.cfg
	n := l.points
	hom := c.Detection == hardware.Homodyne
	a, noise := 0.0, math.Sqrt(c.ElectronicNoise) // LO off: electronic noise only, no signal
	if l.loOn {
		a = math.Sqrt(c.Efficiency * c.Transmittance / 2)
		v := 1 + c.ElectronicNoise + c.Efficiency*c.Transmittance*c.ExcessNoise/2
		if hom {
			a = math.Sqrt(c.Efficiency * c.Transmittance)
			v = 1 + c.ElectronicNoise + c.Efficiency*c.Transmittance*c.ExcessNoise
		}
		if !l.emittingLocked() { // no signal on the fiber: vacuum
			a, v = 0, 1+c.ElectronicNoise
		}
		noise = math.Sqrt(v)
	}
	fs := c.FullScale / 32767
	code := func(y float64) int16 {
		return int16(max(-32767, min(32767, math.Round(y*codesPerUnit))))
	}
	var rec [2][]int16
	for ch := range rec {
		rec[ch] = make([]int16, n)
		tr := l.traces[ch]
		for i := range rec[ch] {
			x := 0.0
			if i < len(tr) {
				x = float64(tr[i]) * fs
			}
			if hom && ch == 1 {
				rec[ch][i] = code(math.Sqrt(1+c.ElectronicNoise) * l.rng.NormFloat64()) // p is not measured
				continue
			}
			rec[ch][i] = code(a*x + noise*l.rng.NormFloat64())
		}
	}
	l.record, l.armed = rec, false
	l.acqs++
}
