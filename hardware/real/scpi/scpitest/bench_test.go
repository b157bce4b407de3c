package scpitest_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/real/scpi"
	"github.com/qosst/qosst-go/hardware/real/scpi/scpitest"
	"github.com/qosst/qosst-go/hardware/sim"
)

const benchSymbols = 1_000_000

// runFrame is one quantum exchange as the stations run it: Prepare, Arm,
// StartEmission, Acquire, MeanPhotonNumber, StopEmission.
func runFrame(b *testing.B, em hardware.Emitter, rx hardware.Receiver) {
	ctx := context.Background()
	spec := hardware.FrameSpec{UUID: uuid.New(), NumSymbols: benchSymbols, SymbolRate: 100e6, Detection: hardware.Heterodyne, Va: 2}
	if _, err := em.Prepare(ctx, spec); err != nil {
		b.Fatal(err)
	}
	if err := rx.Arm(ctx, spec); err != nil {
		b.Fatal(err)
	}
	if err := em.StartEmission(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := rx.Acquire(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := em.MeanPhotonNumber(ctx); err != nil {
		b.Fatal(err)
	}
	if err := em.StopEmission(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFrameSim is the baseline: the same frame on the simulated link.
func BenchmarkFrameSim(b *testing.B) {
	cfg := sim.DefaultConfig()
	cfg.NoiseSeed = 1
	em, err := sim.NewEmitter(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer em.Close()
	rx, err := sim.NewReceiver(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	b.ReportAllocs()
	for b.Loop() {
		runFrame(b, em, rx)
	}
}

// BenchmarkFrameSCPILab is the frame through the SCPI drivers and the fake
// lab over loopback TCP: 2×2 MB of AWG traces up, 2×2 MB of waveforms down,
// the lab's fiber computed in between.
func BenchmarkFrameSCPILab(b *testing.B) {
	lc := scpitest.DefaultLabConfig()
	lc.NoiseSeed = 1
	lab, err := scpitest.NewLab(lc)
	if err != nil {
		b.Fatal(err)
	}
	defer lab.Close()
	ctx := context.Background()
	em, err := scpi.NewEmitter(ctx, scpi.EmitterConfig{AWG: lab.AWG.Addr(), PowerMeter: lab.PowerMeter.Addr(),
		FullScale: lc.FullScale, OutputRatio: lc.OutputRatio})
	if err != nil {
		b.Fatal(err)
	}
	defer em.Close()
	rx, err := scpi.NewReceiver(ctx, scpi.ReceiverConfig{Digitizer: lab.Digitizer.Addr(), LocalOscillator: lab.LocalOscillator.Addr(),
		PollInterval: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	b.ReportAllocs()
	for b.Loop() {
		runFrame(b, em, rx)
	}
}
