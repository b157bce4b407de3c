package sim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/hardware"
)

// ctxEvery is how many symbols are generated between two context checks.
const ctxEvery = 1 << 16

// Domain labels of the key derivations; a change of the generator must
// change the label so that mixed versions fail loudly rather than subtly.
const (
	symbolsLabel = "qosst-sim/symbols/v1"
	noiseLabel   = "qosst-sim/noise/v1/"
)

// gauss draws standard normal pairs from ChaCha8 with Box–Muller: the
// stream depends only on the key and this code, never on the Go release.
type gauss struct{ src *rand.ChaCha8 }

func newGauss(key [32]byte) gauss { return gauss{src: rand.NewChaCha8(key)} }

func (g gauss) pair() (float64, float64) {
	u1 := (float64(g.src.Uint64()>>11) + 1) * 0x1p-53 // (0, 1]
	u2 := float64(g.src.Uint64()>>11) * 0x1p-53       // [0, 1)
	r := math.Sqrt(-2 * math.Log(u1))
	s, c := math.Sincos(2 * math.Pi * u2)
	return r * c, r * s
}

func symbolsKey(linkSeed uint64, id uuid.UUID) [32]byte {
	h := sha256.New()
	h.Write([]byte(symbolsLabel))
	h.Write(binary.BigEndian.AppendUint64(nil, linkSeed))
	h.Write(id[:])
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func noiseKey(base uint64, what string, extra []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(noiseLabel + what + "/"))
	h.Write(binary.BigEndian.AppendUint64(nil, base))
	h.Write(extra)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Symbols returns Alice's symbols of a frame: complex128 in SNU, each
// quadrature ~ N(0, spec.Va), derived from the link seed and spec.UUID
// only. Both the simulated emitter and receiver call it (the receiver
// internally), which is how the simulated fiber connects two processes.
func Symbols(ctx context.Context, linkSeed uint64, spec hardware.FrameSpec) ([]complex128, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	x := make([]complex128, spec.NumSymbols)
	g := newGauss(symbolsKey(linkSeed, spec.UUID))
	sigma := math.Sqrt(spec.Va)
	for i := range x {
		if i%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("sim: generating symbols: %w", err)
			}
		}
		q, p := g.pair()
		x[i] = complex(sigma*q, sigma*p)
	}
	return x, nil
}

// measure simulates Bob's detection of a frame: gain·(a·x + n) per
// measured quadrature, with x re-derived from the link seed, n drawn from
// the noise key. Homodyne measures q only and leaves imag 0.
func measure(ctx context.Context, c Config, spec hardware.FrameSpec, noise [32]byte) ([]complex128, error) {
	y := make([]complex128, spec.NumSymbols)
	xs := newGauss(symbolsKey(c.LinkSeed, spec.UUID))
	// Bob's noise only has to be Gaussian, not identical across Go
	// releases: the standard library's (faster) ziggurat sampler.
	ns := rand.New(rand.NewChaCha8(noise))
	a := c.Gain * c.SignalGain(spec.Detection) * math.Sqrt(spec.Va)
	sn := c.Gain * math.Sqrt(c.NoiseVariance(spec.Detection))
	hom := spec.Detection == hardware.Homodyne
	for i := range y {
		if i%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("sim: acquiring: %w", err)
			}
		}
		q, p := xs.pair()
		if hom {
			y[i] = complex(a*q+sn*ns.NormFloat64(), 0)
			continue
		}
		y[i] = complex(a*q+sn*ns.NormFloat64(), a*p+sn*ns.NormFloat64())
	}
	return y, nil
}

// record draws a calibration record: sigma·N(0,1) per measured quadrature.
func record(ctx context.Context, n int, sigma float64, hom bool, key [32]byte) ([]complex128, error) {
	r := make([]complex128, n)
	g := rand.New(rand.NewChaCha8(key))
	for i := range r {
		if i%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("sim: calibrating: %w", err)
			}
		}
		if hom {
			r[i] = complex(sigma*g.NormFloat64(), 0)
			continue
		}
		r[i] = complex(sigma*g.NormFloat64(), sigma*g.NormFloat64())
	}
	return r, nil
}
