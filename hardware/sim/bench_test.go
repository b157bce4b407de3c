package sim

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
)

// benchN is the default frame: 10^6 symbols.
const benchN = 1_000_000

// BenchmarkBaselineNormFloat64 is the floor the simulation is compared
// with: filling 10^6 complex128 with the standard library's ziggurat
// normal sampler on ChaCha8, nothing else.
func BenchmarkBaselineNormFloat64(b *testing.B) {
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	b.ReportAllocs()
	for b.Loop() {
		x := make([]complex128, benchN)
		for i := range x {
			x[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
	}
}

// BenchmarkPrepare: Alice derives a frame of 10^6 symbols.
func BenchmarkPrepare(b *testing.B) {
	c := DefaultConfig()
	e, _ := NewEmitter(c)
	ctx := context.Background()
	spec := c.Spec(uuid.New())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Prepare(ctx, spec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFrame: Alice prepares and emits, Bob arms and acquires 10^6
// symbols (heterodyne), the whole simulated quantum exchange of a frame.
func BenchmarkFrame(b *testing.B) {
	c := DefaultConfig()
	c.NoiseSeed = 9
	e, _ := NewEmitter(c)
	r, _ := NewReceiver(c)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		spec := c.Spec(uuid.New())
		if _, err := e.Prepare(ctx, spec); err != nil {
			b.Fatal(err)
		}
		if err := r.Arm(ctx, spec); err != nil {
			b.Fatal(err)
		}
		if err := e.StartEmission(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Acquire(ctx); err != nil {
			b.Fatal(err)
		}
		if err := e.StopEmission(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCalibration: both calibration records at the default size.
func BenchmarkCalibration(b *testing.B) {
	c := DefaultConfig()
	r, _ := NewReceiver(c)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.CalibrateElectronic(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := r.CalibrateShot(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
