package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
)

func smallConfig() Config {
	c := DefaultConfig()
	c.NumSymbols = 1000
	c.CalibrationSamples = 1000
	c.NoiseSeed = 3
	return c
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got %v, want %v", what, err, target)
	}
}

func TestEmitterSequencing(t *testing.T) {
	ctx := context.Background()
	c := smallConfig()
	e, _ := newPair(t, c)
	spec := c.Spec(uuid.New())

	wantErr(t, "start before prepare", e.StartEmission(ctx), hardware.ErrNotPrepared)
	if err := e.StopEmission(ctx); err != nil {
		t.Fatalf("stop while idle: %v", err)
	}
	bad := spec
	bad.NumSymbols = 0
	_, err := e.Prepare(ctx, bad)
	wantErr(t, "prepare invalid spec", err, hardware.ErrInvalidSpec)

	if _, err := e.Prepare(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Prepare(ctx, spec); err != nil {
		t.Fatalf("re-prepare before emission: %v", err)
	}
	if err := e.SetPolarisationSignal(ctx, true); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "start with polarisation signal on", e.StartEmission(ctx), hardware.ErrBusy)
	if err := e.SetPolarisationSignal(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := e.StartEmission(ctx); err != nil {
		t.Fatal(err)
	}
	if !e.Emitting() {
		t.Fatal("Emitting() false while emitting")
	}
	wantErr(t, "start twice", e.StartEmission(ctx), hardware.ErrBusy)
	_, err = e.Prepare(ctx, spec)
	wantErr(t, "prepare while emitting", err, hardware.ErrBusy)
	wantErr(t, "polarisation on while emitting", e.SetPolarisationSignal(ctx, true), hardware.ErrBusy)
	if err := e.StopEmission(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Emitting() {
		t.Fatal("Emitting() true after stop")
	}
	wantErr(t, "start after stop: the frame was consumed", e.StartEmission(ctx), hardware.ErrNotPrepared)

	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = e.Prepare(ctx, spec)
	wantErr(t, "prepare after close", err, hardware.ErrClosed)
	_, err = e.MeanPhotonNumber(ctx)
	wantErr(t, "photon number after close", err, hardware.ErrClosed)
}

func TestReceiverSequencing(t *testing.T) {
	ctx := context.Background()
	c := smallConfig()
	_, r := newPair(t, c)
	spec := c.Spec(uuid.New())

	_, err := r.Acquire(ctx)
	wantErr(t, "acquire before arm", err, hardware.ErrNotArmed)
	if err := r.Stop(ctx); err != nil {
		t.Fatalf("stop while idle: %v", err)
	}
	bad := spec
	bad.Detection = 0
	wantErr(t, "arm invalid spec", r.Arm(ctx, bad), hardware.ErrInvalidSpec)

	if err := r.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if !r.Armed() {
		t.Fatal("Armed() false after Arm")
	}
	wantErr(t, "arm twice", r.Arm(ctx, spec), hardware.ErrBusy)
	_, err = r.CalibrateElectronic(ctx)
	wantErr(t, "electronic calibration while armed", err, hardware.ErrBusy)
	_, err = r.CalibrateShot(ctx)
	wantErr(t, "shot calibration while armed", err, hardware.ErrBusy)
	wantErr(t, "polarisation recovery while armed", r.Recover(ctx), hardware.ErrBusy)

	if _, err := r.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Armed() {
		t.Fatal("Armed() true after Acquire")
	}
	_, err = r.Acquire(ctx)
	wantErr(t, "acquire twice", err, hardware.ErrNotArmed)

	if err := r.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = r.Acquire(ctx)
	wantErr(t, "acquire after stop", err, hardware.ErrNotArmed)
	if err := r.Recover(ctx); err != nil {
		t.Fatalf("recover while idle: %v", err)
	}

	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "arm after close", r.Arm(ctx, spec), hardware.ErrClosed)
	_, err = r.CalibrateShot(ctx)
	wantErr(t, "calibrate after close", err, hardware.ErrClosed)
}

func TestContextCancellation(t *testing.T) {
	c := smallConfig()
	e, r := newPair(t, c)
	spec := c.Spec(uuid.New())
	dead, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := e.Prepare(dead, spec)
	wantErr(t, "prepare", err, context.Canceled)
	wantErr(t, "arm", r.Arm(dead, spec), context.Canceled)
	_, err = r.CalibrateElectronic(dead)
	wantErr(t, "calibrate", err, context.Canceled)
	_, err = Symbols(dead, 1, spec)
	wantErr(t, "symbols", err, context.Canceled)

	// A long real-time acquisition (10^6 symbols at 1 Bd) ends with its
	// context, promptly, and leaves the receiver disarmed.
	slow := smallConfig()
	slow.Realtime = true
	_, rs := newPair(t, slow)
	long := spec
	long.SymbolRate = 1
	if err := rs.Arm(context.Background(), long); err != nil {
		t.Fatal(err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	start := time.Now()
	_, err = rs.Acquire(ctx)
	wantErr(t, "acquire past deadline", err, context.DeadlineExceeded)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("acquire returned %v after its deadline", d)
	}
	if rs.Armed() {
		t.Fatal("receiver still armed after a failed acquisition")
	}
}

func TestStopAbandonsAcquisition(t *testing.T) {
	c := smallConfig()
	c.Realtime = true
	_, r := newPair(t, c)
	spec := c.Spec(uuid.New())
	spec.SymbolRate = 1 // 1000 s of acquisition
	ctx := context.Background()
	if err := r.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.Acquire(ctx)
		done <- err
	}()
	for !func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.state == rxAcquiring }() {
		time.Sleep(time.Millisecond)
	}
	_, err := r.Acquire(ctx)
	wantErr(t, "concurrent acquire", err, hardware.ErrBusy)
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		wantErr(t, "stopped acquisition", err, hardware.ErrNotArmed)
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not end the acquisition")
	}
	if err := r.Arm(ctx, spec); err != nil {
		t.Fatalf("re-arm after stop: %v", err)
	}
}

func TestFaultInjection(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("laser interlock")
	c := smallConfig()
	c.Faults = []Fault{
		{Op: OpStartEmission, Call: 2},
		{Op: OpMeanPhotonNumber, Err: boom},
		{Op: OpAcquire, Call: 1, Hang: true},
		{Op: OpCalibrateShot, Err: hardware.ErrNoDevice},
	}
	e, r := newPair(t, c)
	spec := c.Spec(uuid.New())

	if !errors.Is(ErrInjected, hardware.ErrDevice) {
		t.Fatal("ErrInjected does not wrap hardware.ErrDevice")
	}
	// Second StartEmission fails; the failed call changes no state.
	for frame := 1; frame <= 3; frame++ {
		if _, err := e.Prepare(ctx, spec); err != nil {
			t.Fatal(err)
		}
		err := e.StartEmission(ctx)
		if frame == 2 {
			wantErr(t, "start, call 2", err, ErrInjected)
			if e.Emitting() {
				t.Fatal("a faulted start left the emitter emitting")
			}
			if err := e.StartEmission(ctx); err != nil {
				t.Fatalf("start after the fault (frame still prepared): %v", err)
			}
		} else if err != nil {
			t.Fatalf("start, frame %d: %v", frame, err)
		}
		if err := e.StopEmission(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.Calls(OpStartEmission); got != 4 {
		t.Fatalf("Calls(start) = %d, want 4", got)
	}
	for i := 0; i < 2; i++ {
		_, err := e.MeanPhotonNumber(ctx)
		wantErr(t, "photon number, every call", err, boom)
	}
	_, err := r.CalibrateShot(ctx)
	wantErr(t, "shot calibration", err, hardware.ErrNoDevice)
	if _, err := r.CalibrateElectronic(ctx); err != nil {
		t.Fatalf("unfaulted calibration: %v", err)
	}

	// The first Acquire hangs until its context ends, and like any failed
	// acquisition leaves the receiver disarmed; the next frame works.
	if err := r.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	hctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = r.Acquire(hctx)
	wantErr(t, "hanging acquire", err, context.DeadlineExceeded)
	if r.Armed() {
		t.Fatal("a failed acquire left the receiver armed")
	}
	_, err = r.Acquire(ctx)
	wantErr(t, "acquire after a failed one", err, hardware.ErrNotArmed)
	if err := r.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Acquire(ctx); err != nil {
		t.Fatalf("second frame: %v", err)
	}
	if got := r.Calls(OpAcquire); got != 2 {
		t.Fatalf("Calls(acquire) = %d, want 2", got)
	}

	// Stop ends a hanging acquisition too.
	c2 := smallConfig()
	c2.Faults = []Fault{{Op: OpAcquire, Hang: true}}
	_, r2 := newPair(t, c2)
	if err := r2.Arm(ctx, spec); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := r2.Acquire(ctx); done <- err }()
	for !func() bool { r2.mu.Lock(); defer r2.mu.Unlock(); return r2.state == rxAcquiring }() {
		time.Sleep(time.Millisecond)
	}
	if err := r2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		wantErr(t, "stopped hanging acquisition", err, hardware.ErrNotArmed)
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not end a hanging acquisition")
	}
}

// The emitter and receiver are safe for concurrent use (run with -race).
func TestConcurrentUse(t *testing.T) {
	c := smallConfig()
	e, r := newPair(t, c)
	ctx := context.Background()
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 20; i++ {
				spec := c.Spec(uuid.New())
				_, _ = e.Prepare(ctx, spec)
				_ = e.StartEmission(ctx)
				_, _ = e.MeanPhotonNumber(ctx)
				_ = e.StopEmission(ctx)
				_ = r.Arm(ctx, spec)
				_, _ = r.Acquire(ctx)
				_, _ = r.CalibrateElectronic(ctx)
				_ = r.Stop(ctx)
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// Calibration records are as long as the last frame armed, and at least
// CalibrationSamples: before any frame, after a short one and after a long
// one.
func TestCalibrationRecordFollowsFrame(t *testing.T) {
	ctx := context.Background()
	c := smallConfig()
	r, err := NewReceiver(c)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lengths := func() (int, int) {
		el, err := r.CalibrateElectronic(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := r.CalibrateShot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(el), len(sh)
	}
	for _, tc := range []struct{ frame, want int }{{0, 1000}, {400, 1000}, {5000, 5000}, {1000, 1000}} {
		if tc.frame > 0 {
			spec := c.Spec(uuid.New())
			spec.NumSymbols = tc.frame
			if err := r.Arm(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Acquire(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if el, sh := lengths(); el != tc.want || sh != tc.want || r.RecordLength() != tc.want {
			t.Fatalf("after a frame of %d: records of %d and %d samples (RecordLength %d), want %d", tc.frame, el, sh, r.RecordLength(), tc.want)
		}
	}
}
