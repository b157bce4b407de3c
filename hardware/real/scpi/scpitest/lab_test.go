package scpitest_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/real/scpi"
	"github.com/qosst/qosst-go/hardware/real/scpi/scpitest"
)

func variance(v []float64) float64 {
	var m, s float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return s / float64(len(v))
}

// The SCPI emitter and receiver on the fake lab see the link of the lab's
// configuration: the calibrations give V_shot = Gain² and v_el, the frame
// gives Cov(x, y) = sqrt(ηT/2)·Va and Var(y − a·x) = 1 + v_el + ηTξ/2 in
// SNU, and the power meter the mean photon number of the frame.
func TestLabFrameThroughDrivers(t *testing.T) {
	for _, d := range []hardware.Detection{hardware.Heterodyne, hardware.Homodyne} {
		t.Run(d.String(), func(t *testing.T) {
			cfg := scpitest.DefaultLabConfig()
			cfg.Detection, cfg.NoiseSeed = d, 3
			lab, err := scpitest.NewLab(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer lab.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			em, err := scpi.NewEmitter(ctx, scpi.EmitterConfig{AWG: lab.AWG.Addr(), PowerMeter: lab.PowerMeter.Addr(),
				FullScale: cfg.FullScale, Wavelength: cfg.Wavelength, OutputRatio: cfg.OutputRatio})
			if err != nil {
				t.Fatal(err)
			}
			defer em.Close()
			const calN = 1 << 16
			rx, err := scpi.NewReceiver(ctx, scpi.ReceiverConfig{Digitizer: lab.Digitizer.Addr(), LocalOscillator: lab.LocalOscillator.Addr(),
				Detection: d, CalibrationSamples: calN, PollInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer rx.Close()

			const n = 100_000
			spec := hardware.FrameSpec{UUID: uuid.New(), NumSymbols: n, SymbolRate: 100e6, Detection: d, Va: 2}
			x, err := em.Prepare(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := rx.Arm(ctx, spec); err != nil {
				t.Fatal(err)
			}
			// Armed on the external trigger: nothing before Alice starts.
			actx, acancel := context.WithTimeout(ctx, 30*time.Millisecond)
			if _, err := rx.Acquire(actx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("acquisition before the emission: %v, want DeadlineExceeded", err)
			}
			acancel()
			if err := rx.Arm(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if err := em.StartEmission(ctx); err != nil {
				t.Fatal(err)
			}
			raw, err := rx.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			nph, err := em.MeanPhotonNumber(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := em.StopEmission(ctx); err != nil {
				t.Fatal(err)
			}
			el, err := rx.CalibrateElectronic(ctx)
			if err != nil {
				t.Fatal(err)
			}
			shot, err := rx.CalibrateShot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			re := func(v []complex128) []float64 {
				out := make([]float64, len(v))
				for i := range v {
					out[i] = real(v[i])
				}
				return out
			}
			vel, vsh := variance(re(el)), variance(re(shot))
			vShot := vsh - vel
			if math.Abs(vShot/(cfg.Gain*cfg.Gain)-1) > 6*math.Sqrt(2.0/calN)*(1+cfg.ElectronicNoise) {
				t.Fatalf("V_shot = %v, want %v", vShot, cfg.Gain*cfg.Gain)
			}
			if got := vel / vShot; math.Abs(got-cfg.ElectronicNoise) > 0.01 {
				t.Fatalf("v_el = %v, want %v", got, cfg.ElectronicNoise)
			}
			ta := math.Sqrt(cfg.Efficiency * cfg.Transmittance / 2)
			tv := 1 + cfg.ElectronicNoise + cfg.Efficiency*cfg.Transmittance*cfg.ExcessNoise/2
			if d == hardware.Homodyne {
				ta = math.Sqrt(cfg.Efficiency * cfg.Transmittance)
				tv = 1 + cfg.ElectronicNoise + cfg.Efficiency*cfg.Transmittance*cfg.ExcessNoise
			}
			var cxy, vx float64
			res := make([]float64, n)
			for i := range x {
				y := real(raw[i]) / math.Sqrt(vShot)
				cxy += real(x[i]) * y
				vx += real(x[i]) * real(x[i])
				res[i] = y - ta*real(x[i])
				if d == hardware.Homodyne && imag(raw[i]) != 0 {
					t.Fatalf("homodyne sample %d has p = %v", i, imag(raw[i]))
				}
			}
			if a := cxy / vx; math.Abs(a-ta) > 0.01 {
				t.Fatalf("signal gain %v, want %v", a, ta)
			}
			if v := variance(res); math.Abs(v-tv) > 0.03 {
				t.Fatalf("noise variance %v, want %v", v, tv)
			}
			var want float64
			for _, v := range x {
				want += real(v)*real(v) + imag(v)*imag(v)
			}
			if want /= 4 * n; math.Abs(nph-want) > 1e-6*want {
				t.Fatalf("<n> = %v, want %v", nph, want)
			}
		})
	}
}

// The polarisation controller locks only on Alice's pilot.
func TestLabPolarisationNeedsPilot(t *testing.T) {
	lab, err := scpitest.NewLab(scpitest.DefaultLabConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	ctx := context.Background()
	em, err := scpi.NewEmitter(ctx, scpi.EmitterConfig{AWG: lab.AWG.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	pc, err := scpi.NewPolariser(ctx, lab.Polariser.Addr(), scpi.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := pc.Recover(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("recovery without the pilot: %v, want DeadlineExceeded", err)
	}
	if err := em.SetPolarisationSignal(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := pc.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if !lab.PilotOn() {
		t.Fatal("pilot off")
	}
}
