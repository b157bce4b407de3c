package scpi

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
)

// sampleCode is the int16 the fake digitizer records for sample i of a
// channel: deterministic, spanning the whole int16 range.
func sampleCode(ch, i int) int16 {
	return int16(uint16(uint32(i)*2654435761>>9 + uint32(ch)*977))
}

const (
	fakeYInc = 1.5e-3
	fakeYOrg = -2e-4
)

// bench is a fake optical bench: digitizer, LO laser, AWG, power meter and
// polarisation controller sharing state like a real lab.
type bench struct {
	mu sync.Mutex
	// digitizer
	points     int
	trigger    string
	source     int
	done       bool
	extTrigger bool   // an external trigger arrives after :SINGle
	loAtSingle []bool // LO state at each :SINGle
	dataReply  []byte // overrides :WAVeform:DATA? when set
	// LO laser
	loOn bool
	// AWG
	traces  map[int][]int16
	outputs map[int]bool
	running bool
	rate    string
	maxPts  int
	// power meter
	watts string
	// polarisation controller
	lockAfter int
}

func newBench() *bench {
	return &bench{loOn: true, extTrigger: true, traces: map[int][]int16{}, outputs: map[int]bool{}, maxPts: 1 << 20, watts: "1.28E-5"}
}

func (b *bench) digitizer(f *fake, cmd, arg string, _ []byte) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch cmd {
	case ":ACQuire:POINts":
		n, err := strconv.Atoi(arg)
		if err != nil || n <= 0 {
			f.pushError(`-224,"Illegal parameter value"`)
			return nil, true
		}
		b.points = n
	case ":ACQuire:SRATe", ":WAVeform:FORMat", ":WAVeform:BYTeorder":
	case ":TRIGger:SOURce":
		b.trigger = arg
	case ":SINGle":
		b.loAtSingle = append(b.loAtSingle, b.loOn)
		b.done = b.trigger == "IMMediate" || b.extTrigger
	case ":STOP":
		b.done = false
	case ":ADER?":
		if b.done {
			return line("1"), true
		}
		return line("0"), true
	case ":WAVeform:SOURce":
		ch, err := strconv.Atoi(strings.TrimPrefix(arg, "CHANnel"))
		if err != nil {
			return nil, false
		}
		b.source = ch
	case ":WAVeform:YINCrement?":
		return line("1.5E-3"), true
	case ":WAVeform:YORigin?":
		return line("-2.0E-4"), true
	case ":WAVeform:DATA?":
		if b.dataReply != nil {
			return b.dataReply, true
		}
		raw := make([]byte, 2*b.points)
		for i := 0; i < b.points; i++ {
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(sampleCode(b.source, i)))
		}
		return block(raw), true
	default:
		return nil, false
	}
	return nil, true
}

func (b *bench) laser(f *fake, cmd, arg string, _ []byte) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cmd != ":OUTPut:STATe" || (arg != "ON" && arg != "OFF") {
		return nil, false
	}
	b.loOn = arg == "ON"
	return nil, true
}

func (b *bench) awg(f *fake, cmd, arg string, blk []byte) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch cmd {
	case ":ABORt":
		b.running = false
	case ":FREQuency:RASTer":
		b.rate = arg
	case ":TRACe1:DATA", ":TRACe2:DATA":
		if len(blk)%2 != 0 || len(blk)/2 > b.maxPts {
			f.pushError(`-223,"Too much data"`)
			return nil, true
		}
		v := make([]int16, len(blk)/2)
		for i := range v {
			v[i] = int16(binary.LittleEndian.Uint16(blk[2*i:]))
		}
		b.traces[int(cmd[6]-'0')] = v
	case ":OUTPut1", ":OUTPut2", ":OUTPut3":
		b.outputs[int(cmd[7]-'0')] = arg == "ON"
	case ":INITiate:IMMediate":
		b.running = true
	default:
		return nil, false
	}
	return nil, true
}

func (b *bench) powerMeter(f *fake, cmd, arg string, _ []byte) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cmd != ":MEASure:POWer?" {
		return nil, false
	}
	return line(b.watts), true
}

func (b *bench) polariser(f *fake, cmd, arg string, _ []byte) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch cmd {
	case ":POLarisation:OPTimize":
		b.lockAfter = 3
	case ":POLarisation:LOCKed?":
		if b.lockAfter > 0 {
			b.lockAfter--
			return line("0"), true
		}
		return line("1"), true
	default:
		return nil, false
	}
	return nil, true
}

func newTestReceiver(t *testing.T, b *bench, d hardware.Detection, withLO bool) (*Receiver, *fake, *fake) {
	t.Helper()
	dig := newFake(t, "Acme,Digitizer D1,SN42,2.1", b.digitizer)
	cfg := ReceiverConfig{Digitizer: dig.addr(), Detection: d, CalibrationSamples: 4096, PollInterval: time.Millisecond}
	var lo *fake
	if withLO {
		lo = newFake(t, "Acme,Laser L1,SN7,1.0", b.laser)
		cfg.LocalOscillator = lo.addr()
	}
	r, err := NewReceiver(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, dig, lo
}

func frameSpec(n int, d hardware.Detection) hardware.FrameSpec {
	return hardware.FrameSpec{UUID: uuid.New(), NumSymbols: n, SymbolRate: 100e6, Detection: d, Va: 2}
}

func checkRecord(t *testing.T, y []complex128, n int, hom bool) {
	t.Helper()
	if len(y) != n {
		t.Fatalf("record of %d samples, want %d", len(y), n)
	}
	for i, v := range y {
		wq := fakeYOrg + fakeYInc*float64(sampleCode(1, i))
		wp := fakeYOrg + fakeYInc*float64(sampleCode(2, i))
		if hom {
			wp = 0
		}
		if math.Abs(real(v)-wq) > 1e-12 || math.Abs(imag(v)-wp) > 1e-12 {
			t.Fatalf("sample %d = %v, want (%v, %v)", i, v, wq, wp)
		}
	}
}

func TestReceiverAcquiresScaledWaveforms(t *testing.T) {
	for _, d := range []hardware.Detection{hardware.Heterodyne, hardware.Homodyne} {
		t.Run(d.String(), func(t *testing.T) {
			b := newBench()
			r, dig, _ := newTestReceiver(t, b, d, false)
			ctx := context.Background()
			spec := frameSpec(5000, d)
			if err := r.Arm(ctx, spec); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{":ACQuire:POINts 5000", ":ACQuire:SRATe 1e+08", ":TRIGger:SOURce EXTernal", ":SINGle"} {
				if !dig.sent(want) {
					t.Errorf("digitizer never received %q; got %q", want, dig.commands())
				}
			}
			y, err := r.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkRecord(t, y, 5000, d == hardware.Homodyne)
			if d == hardware.Homodyne && dig.sent(":WAVeform:SOURce CHANnel2") {
				t.Error("homodyne read channel 2")
			}
		})
	}
}

func TestReceiverSequencing(t *testing.T) {
	b := newBench()
	r, _, _ := newTestReceiver(t, b, hardware.Heterodyne, true)
	ctx := context.Background()
	spec := frameSpec(100, hardware.Heterodyne)
	if _, err := r.Acquire(ctx); !errors.Is(err, hardware.ErrNotArmed) {
		t.Fatalf("acquire before arm: %v", err)
	}
	if err := r.Arm(ctx, frameSpec(100, hardware.Homodyne)); !errors.Is(err, hardware.ErrInvalidSpec) {
		t.Fatalf("arm with the other detection: %v, want ErrInvalidSpec", err)
	}
	if err := r.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := r.Arm(ctx, spec); !errors.Is(err, hardware.ErrBusy) {
		t.Fatalf("arm twice: %v", err)
	}
	if _, err := r.CalibrateShot(ctx); !errors.Is(err, hardware.ErrBusy) {
		t.Fatalf("calibrate while armed: %v", err)
	}
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx); !errors.Is(err, hardware.ErrNotArmed) {
		t.Fatalf("acquire after stop: %v", err)
	}
	if err := r.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx); !errors.Is(err, hardware.ErrNotArmed) {
		t.Fatalf("acquire twice: %v", err)
	}
	r.Close()
	if err := r.Arm(ctx, spec); !errors.Is(err, hardware.ErrClosed) {
		t.Fatalf("arm after close: %v", err)
	}
}

func TestReceiverCalibrations(t *testing.T) {
	b := newBench()
	r, dig, _ := newTestReceiver(t, b, hardware.Heterodyne, true)
	ctx := context.Background()
	el, err := r.CalibrateElectronic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkRecord(t, el, 4096, false)
	sh, err := r.CalibrateShot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkRecord(t, sh, 4096, false)
	b.mu.Lock()
	lo, loNow := append([]bool(nil), b.loAtSingle...), b.loOn
	b.mu.Unlock()
	if len(lo) != 2 || lo[0] || !lo[1] {
		t.Fatalf("LO state at the two acquisitions = %v, want [off on]", lo)
	}
	if !loNow {
		t.Fatal("the LO was left off after the electronic calibration")
	}
	if !dig.sent(":TRIGger:SOURce IMMediate") {
		t.Fatal("calibrations must free-run")
	}

	// Without an LO switch the receiver cannot calibrate.
	r2, _, _ := newTestReceiver(t, newBench(), hardware.Heterodyne, false)
	if _, err := r2.CalibrateElectronic(ctx); !errors.Is(err, hardware.ErrNoDevice) {
		t.Fatalf("calibration without LO: %v, want ErrNoDevice", err)
	}
}

func TestReceiverNoTrigger(t *testing.T) {
	b := newBench()
	b.extTrigger = false // Alice never starts
	r, dig, _ := newTestReceiver(t, b, hardware.Heterodyne, false)
	if err := r.Arm(context.Background(), frameSpec(100, hardware.Heterodyne)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire without trigger: %v, want DeadlineExceeded", err)
	}
	if _, err := r.Acquire(context.Background()); !errors.Is(err, hardware.ErrNotArmed) {
		t.Fatalf("a failed acquisition must disarm: %v", err)
	}
	// The connection stayed in step: the receiver re-arms and, once the
	// trigger comes, acquires.
	b.mu.Lock()
	b.extTrigger = true
	b.mu.Unlock()
	if err := r.Arm(context.Background(), frameSpec(100, hardware.Heterodyne)); err != nil {
		t.Fatalf("re-arm after a failed acquisition: %v", err)
	}
	if !dig.sent(":STOP") {
		t.Fatal("the digitizer was not stopped after the failed acquisition")
	}
	y, err := r.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkRecord(t, y, 100, false)
}

func TestStopEndsAcquisition(t *testing.T) {
	b := newBench()
	b.extTrigger = false
	r, dig, _ := newTestReceiver(t, b, hardware.Heterodyne, false)
	ctx := context.Background()
	if err := r.Arm(ctx, frameSpec(100, hardware.Heterodyne)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := r.Acquire(ctx); done <- err }()
	for !func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.cancel != nil }() {
		time.Sleep(time.Millisecond)
	}
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, hardware.ErrNotArmed) {
			t.Fatalf("stopped acquisition: %v, want ErrNotArmed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not end the acquisition")
	}
	if err := r.Arm(ctx, frameSpec(100, hardware.Heterodyne)); err != nil {
		t.Fatalf("re-arm: %v", err)
	}
	if !dig.sent(":STOP") {
		t.Fatal("the digitizer was not stopped")
	}
}

func TestReceiverRejectsBadWaveforms(t *testing.T) {
	cases := map[string][]byte{
		"short waveform":   block(make([]byte, 2*99)),
		"oversized block":  []byte("#9999999999\n"),
		"indefinite block": []byte("#0abcd\n"),
		"text not a block": line("1,2,3"),
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBench()
			b.dataReply = reply
			r, _, _ := newTestReceiver(t, b, hardware.Heterodyne, false)
			ctx := context.Background()
			if err := r.Arm(ctx, frameSpec(100, hardware.Heterodyne)); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Acquire(ctx); !errors.Is(err, hardware.ErrDevice) {
				t.Fatalf("got %v, want ErrDevice", err)
			}
		})
	}
}

func TestEmitterFrame(t *testing.T) {
	b := newBench()
	awg := newFake(t, "Acme,AWG A1,SN3,4.2", b.awg)
	pm := newFake(t, "Acme,Power meter P1,SN9,1.1", b.powerMeter)
	seed := [32]byte{7}
	e, err := NewEmitter(context.Background(), EmitterConfig{AWG: awg.addr(), PowerMeter: pm.addr(), OutputRatio: 1e-7, Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if _, err := e.MeanPhotonNumber(ctx); !errors.Is(err, hardware.ErrNotPrepared) {
		t.Fatalf("photon number before any emission: %v", err)
	}
	if err := e.StartEmission(ctx); !errors.Is(err, hardware.ErrNotPrepared) {
		t.Fatalf("start before prepare: %v", err)
	}
	const n = 20000
	spec := frameSpec(n, hardware.Heterodyne)
	x, err := e.Prepare(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	// What was uploaded is exactly what Prepare returned.
	b.mu.Lock()
	tq, tp, rate := b.traces[1], b.traces[2], b.rate
	b.mu.Unlock()
	if len(tq) != n || len(tp) != n || rate != "1e+08" {
		t.Fatalf("uploaded %d/%d samples at %q", len(tq), len(tp), rate)
	}
	fs := 8 * math.Sqrt(spec.Va)
	var vq float64
	for i, v := range x {
		if real(v) != float64(tq[i])*fs/32767 || imag(v) != float64(tp[i])*fs/32767 {
			t.Fatalf("symbol %d = %v, uploaded codes (%d, %d)", i, v, tq[i], tp[i])
		}
		vq += real(v) * real(v)
	}
	if vq /= n; math.Abs(vq-spec.Va) > 5*spec.Va*math.Sqrt(2.0/n) {
		t.Fatalf("Var(q) = %v, want %v", vq, spec.Va)
	}
	// Same seed, same symbols.
	x2, err := e.Prepare(ctx, spec)
	if err != nil || x2[n-1] != x[n-1] {
		t.Fatalf("seeded prepare not reproducible: %v", err)
	}

	if err := e.SetPolarisationSignal(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := e.StartEmission(ctx); !errors.Is(err, hardware.ErrBusy) {
		t.Fatalf("start with the pilot on: %v", err)
	}
	if err := e.SetPolarisationSignal(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := e.StartEmission(ctx); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	on := b.running && b.outputs[1] && b.outputs[2] && !b.outputs[3]
	b.mu.Unlock()
	if !on {
		t.Fatal("emission did not switch the IQ outputs on")
	}
	if _, err := e.Prepare(ctx, spec); !errors.Is(err, hardware.ErrBusy) {
		t.Fatalf("prepare while emitting: %v", err)
	}
	if err := e.SetPolarisationSignal(ctx, true); !errors.Is(err, hardware.ErrBusy) {
		t.Fatalf("pilot while emitting: %v", err)
	}
	if err := e.StopEmission(ctx); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	off := !b.running && !b.outputs[1] && !b.outputs[2]
	b.mu.Unlock()
	if !off {
		t.Fatal("stop did not switch the outputs off")
	}
	if err := e.StartEmission(ctx); !errors.Is(err, hardware.ErrNotPrepared) {
		t.Fatalf("start after stop (frame consumed): %v", err)
	}
	// 12.8 µW on the monitor × 1e-7 = 1.28 pW at the output; a 1550 nm
	// photon is 1.28157e-19 J, so 9.9878e6 photons/s, 0.099878 per
	// symbol at 100 MBd.
	got, err := e.MeanPhotonNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := 1.28e-5 * 1e-7 / (6.62607015e-34 * 299792458 / 1550e-9) / 100e6
	if math.Abs(got-want) > 1e-12 || math.Abs(got-0.099878) > 1e-5 {
		t.Fatalf("<n> = %v, want %v", got, want)
	}
}

func TestEmitterUploadRefused(t *testing.T) {
	b := newBench()
	b.maxPts = 10 // the AWG's memory is too small
	awg := newFake(t, "Acme,AWG A1,SN3,4.2", b.awg)
	e, err := NewEmitter(context.Background(), EmitterConfig{AWG: awg.addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	_, err = e.Prepare(ctx, frameSpec(100, hardware.Heterodyne))
	var ie *InstrumentError
	if !errors.As(err, &ie) || ie.Code != -223 || !errors.Is(err, hardware.ErrDevice) {
		t.Fatalf("refused upload: %v, want instrument error -223", err)
	}
	if err := e.StartEmission(ctx); !errors.Is(err, hardware.ErrNotPrepared) {
		t.Fatalf("start after a failed prepare: %v", err)
	}
	if _, err := e.MeanPhotonNumber(ctx); !errors.Is(err, hardware.ErrNoDevice) {
		t.Fatalf("photon number without power meter: %v, want ErrNoDevice", err)
	}
}

func TestQuantize(t *testing.T) {
	q, p, em := Quantize([]complex128{complex(0.5, -0.5), complex(100, -100), complex(1e-9, 0)}, 1)
	if q[0] != 16384 || p[0] != -16384 { // round(0.5·32767) = 16384 (half away from zero)
		t.Fatalf("codes %d %d", q[0], p[0])
	}
	if q[1] != 32767 || p[1] != -32767 || real(em[1]) != 1 || imag(em[1]) != -1 {
		t.Fatalf("clipping: %d %d %v", q[1], p[1], em[1])
	}
	if q[2] != 0 || em[2] != 0 {
		t.Fatalf("tiny value: %d %v", q[2], em[2])
	}
}

func TestPolariser(t *testing.T) {
	b := newBench()
	pc := newFake(t, "Acme,Polarisation controller C1,SN5,1.0", b.polariser)
	p, err := NewPolariser(context.Background(), pc.addr(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.interval = time.Millisecond
	if err := p.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range pc.commands() {
		if c == ":POLarisation:LOCKed?" {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("polled the lock %d times, want 4 (3 unlocked, then locked)", n)
	}
}
