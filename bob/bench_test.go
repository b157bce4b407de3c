package bob

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/station"
)

// BenchmarkFrame measures one whole frame of 10^6 symbols with the station
// defaults on the default simulated short link (heterodyne, T = 0.9,
// ξ = 0.01, η = 0.8, v_el = 0.05, Va = 4, 100 MBd; half of the symbols for
// finite-size parameter estimation at ε = 1e-10, multidimensional
// reconciliation):
//
//   - protocol: our Alice and Bob over loopback TCP, from INITIALIZATION to
//     FRAME_ENDED_ACK with the keys written on both sides; the time of each
//     phase is reported in ms/frame;
//   - computation: the baseline, measured in the same run: the same
//     simulation, estimation, reconciliation and privacy amplification of
//     both stations in one goroutine, without messages, network or key files.
//
// protocol/computation is the cost of the protocol around the physics.
//
//	go test -run='^$' -bench=BenchmarkFrame -benchtime=3x ./bob/
func BenchmarkFrame(b *testing.B) {
	c := config.Default()
	c.SerialNumber = "bench"
	b.Run("protocol", func(b *testing.B) { benchProtocol(b, c) })
	b.Run("computation", func(b *testing.B) { benchComputation(b, c) })
}

func benchProtocol(b *testing.B, c *config.Config) {
	l, d := listen(b, "tcp")
	startAlice(b, c, l)
	drv, _ := newBob(b, c, d)
	ctx := context.Background()
	if _, err := drv.RunFrame(ctx); err != nil && Fatal(err) { // identification and warm-up
		b.Fatal(err)
	}
	phases := map[Phase]time.Duration{}
	completed, keyBits := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := drv.RunFrame(ctx)
		if err != nil && Fatal(err) {
			b.Fatal(err)
		}
		if err == nil {
			completed++
			keyBits += s.KeyBits
		}
		for _, p := range s.Phases {
			phases[p.Phase] += p.Duration
		}
	}
	b.StopTimer()
	if completed == 0 {
		b.Fatal("no frame completed")
	}
	reportPhases(b, phases)
	b.ReportMetric(float64(keyBits)/float64(completed), "key-bits/frame")
	b.ReportMetric(float64(completed)/float64(b.N), "completed/frame")
}

func benchComputation(b *testing.B, c *config.Config) {
	ctx := context.Background()
	sc := station.SimConfig(c)
	rx, err := sim.NewReceiver(sc)
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	cfg := FromStation(c).WithStation(c)
	rng := rand.New(rand.NewPCG(1, 2))
	keyBits := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		spec := hardware.FrameSpec{UUID: uuid.New(), NumSymbols: cfg.Frame.NumSymbols, SymbolRate: cfg.Frame.SymbolRate,
			Detection: hardware.Heterodyne, Va: cfg.Frame.Variance}
		x, err := sim.Symbols(ctx, sc.LinkSeed, spec) // Alice prepares
		check(b, err)
		check(b, rx.Arm(ctx, spec))
		raw, err := rx.Acquire(ctx)
		check(b, err)
		el, err := rx.CalibrateElectronic(ctx)
		check(b, err)
		shot, err := rx.CalibrateShot(ctx)
		check(b, err)
		cal, err := pp.Calibrate(pp.Heterodyne, el, shot)
		check(b, err)
		lists, err := SampleIndices(rng, spec.NumSymbols, cfg.PERatio, cfg.PERequests)
		check(b, err)
		var xa, rb []complex128
		for _, idx := range lists {
			for _, j := range idx {
				xa, rb = append(xa, x[j]), append(rb, raw[j])
			}
		}
		res, err := pp.EstimateParameters(pp.PEInput{Detection: pp.Heterodyne, Eta: cfg.Eta, NPhoton: spec.Va / 2,
			Alice: xa, Bob: rb, Calibration: cal, Mode: cfg.PEMode, Epsilon: cfg.PEEpsilon})
		check(b, err)
		kp, err := res.KeyRateParams(1, cfg.Trusted)
		check(b, err)
		keyIdx := KeyIndices(spec.NumSymbols, lists)
		xk, yk := make([]complex128, len(keyIdx)), make([]complex128, len(keyIdx))
		for j, k := range keyIdx {
			xk[j], yk[j] = x[k], raw[k]
		}
		yk = pp.Normalize(yk, cal)
		ch, err := pp.ChannelFromParams(kp)
		check(b, err)
		snr, err := pp.SNR(kp)
		check(b, err)
		yq, xq := pp.KeyQuadratures(yk, pp.Heterodyne), pp.KeyQuadratures(xk, pp.Heterodyne)
		plan, err := pp.PlanReconciliation(pp.PlanParams{KeyQuadratures: len(yq), SNR: snr, Noise: ch.Noise, Seed: int64(i),
			Scheme: cfg.Reconciliation})
		check(b, err)
		bobRec, err := pp.NewBobReconcilerFrom(plan, yq, rngReader{rng})
		check(b, err)
		aliceRec, err := pp.NewAliceReconciler(plan, xq, ch)
		check(b, err)
		for blk := 0; blk < plan.Blocks; blk++ {
			syn, err := bobRec.Syndrome(blk)
			check(b, err)
			side, err := bobRec.SideInfo(blk)
			check(b, err)
			check(b, bobRec.Accept(blk, aliceRec.DecodeBlockSide(blk, syn, side) == nil))
		}
		bk, ak := bobRec.Key(), aliceRec.Key()
		if pp.VerificationHash(bk) != pp.VerificationHash(ak) {
			b.Fatal("keys differ after EC")
		}
		st := bobRec.Stats()
		length, _, err := pp.FinalKeyLength(pp.FinalKeyParams{ReconciledBits: len(bk), SyndromeBits: st.LeakedBits, Estimate: kp,
			EpsilonPA: cfg.EpsilonPA})
		if err != nil {
			continue // no key in this frame (statistics)
		}
		pa, err := pp.NewPAParams(rngReader{rng}, len(bk), length)
		check(b, err)
		fb, err := pp.PrivacyAmplify(bk, pa)
		check(b, err)
		fa, err := pp.PrivacyAmplify(ak, pa)
		check(b, err)
		keyBits += 8 * len(keystore.PackBits(fb))
		_ = fa
	}
	b.ReportMetric(float64(keyBits)/float64(b.N), "key-bits/frame")
}

func check(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// reportPhases reports the time of each phase per frame, summed over b.N
// frames.
func reportPhases(b *testing.B, phases map[Phase]time.Duration) {
	for _, p := range Phases() {
		if d, ok := phases[p]; ok {
			b.ReportMetric(float64(d.Milliseconds())/float64(b.N), string(p)+"-ms/frame")
		}
	}
}
