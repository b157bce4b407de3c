package postprocessing

import (
	"math"
	"math/rand/v2"
	"testing"
)

// signBlocks draws blocks of sign-reconciliation data at the given SNR per
// quadrature: Bob's bits, their syndromes under h, and Alice's LLRs.
func signBlocks(h *ParityCheck, snr float64, blocks int, seed uint64) (bits [][]uint8, syn [][]uint8, llr [][]float64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	ch := Channel{Gain: math.Sqrt(snr), Noise: 1}
	for b := 0; b < blocks; b++ {
		x := make([]float64, h.N())
		y := make([]float64, h.N())
		l := make([]float64, h.N())
		for i := range x {
			x[i] = rng.NormFloat64()
			y[i] = ch.Gain*x[i] + rng.NormFloat64()
			l[i] = ch.SignLLR(x[i])
		}
		bb := SignBits(y)
		s, _ := h.Syndrome(bb)
		bits, syn, llr = append(bits, bb), append(syn, s), append(llr, l)
	}
	return bits, syn, llr
}

// benchDecode decodes the prepared blocks round robin and reports the
// throughput in reconciled (codeword) bits per second, the mean iterations
// and the frame error rate.
func benchDecode(b *testing.B, h *ParityCheck, snr float64) {
	const pool = 8
	_, syn, llr := signBlocks(h, snr, pool, uint64(h.N()))
	dec := NewDecoder(h, DefaultMaxIterations)
	out := make([]uint8, h.N())
	iters, fails := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it, ok, err := dec.Decode(llr[i%pool], syn[i%pool], out)
		if err != nil {
			b.Fatal(err)
		}
		iters += it
		if !ok {
			fails++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(h.N())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mbit/s")
	b.ReportMetric(float64(iters)/float64(b.N), "iter/block")
	b.ReportMetric(float64(fails)/float64(b.N), "FER")
}

// BenchmarkDecode measures belief propagation on one core:
//   - rate0.5: a rate-1/2 IRA code (n = 65536, w = 6) at SNR 9 per quadrature,
//     where the code runs at 74% of the sign-channel capacity, as the planner
//     would pick it;
//   - default-link: the code PlanReconciliation picks for the default link;
//   - syndrome-baseline: one syndrome computation, the cost of a single pass
//     over the edges, measured in the same run as the yardstick.
func BenchmarkDecode(b *testing.B) {
	half, err := GenerateLDPC(LDPCParams{N: 1 << 16, K: 1 << 15, ColumnWeight: 6, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rate0.5", func(b *testing.B) { benchDecode(b, half, 9) })

	snr, _ := SNR(defaultLink)
	plan, err := PlanReconciliation(PlanParams{KeyQuadratures: 1 << 16, SNR: snr, Noise: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	h, err := plan.ParityCheck()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("default-link", func(b *testing.B) { benchDecode(b, h, snr) })

	b.Run("syndrome-baseline", func(b *testing.B) {
		bits, _, _ := signBlocks(half, 9, 1, 1)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := half.Syndrome(bits[0]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(half.N())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mbit/s")
	})
}

// BenchmarkReconciliationDefaultLink runs whole frames of the default link
// (16 blocks of 65536 quadratures, i.e. 524288 heterodyne symbols) through
// both sides, for each scheme, and reports the achieved β, the frame error
// rate and the throughput. Each iteration is a frame: run it with
// -benchtime=Nx.
func BenchmarkReconciliationDefaultLink(b *testing.B) {
	for _, scheme := range []string{SchemeSign, SchemeMultidimensional} {
		b.Run(scheme, func(b *testing.B) { benchFrames(b, scheme) })
	}
}

func benchFrames(b *testing.B, scheme string) {
	snr, _ := SNR(defaultLink)
	ch, _ := ChannelFromParams(defaultLink)
	const blocks = 16
	var failed, tried, keyBits, leaked, quads int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		x, y := simulateLink(rng, defaultLink, blocks*DefaultMaxBlockLength/2)
		plan, err := PlanReconciliation(PlanParams{KeyQuadratures: len(y), SNR: snr, Noise: ch.Noise, Seed: int64(i), Scheme: scheme})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		alice, bob := newReconcilers(b, plan, plan, x, y, ch, randReader{rng})
		playBlocks(b, alice, bob)
		b.StopTimer()
		if VerificationHash(alice.Key()) != VerificationHash(bob.Key()) {
			b.Fatal("keys differ")
		}
		st := alice.Stats()
		failed += st.Failed
		tried += st.Decoded + st.Failed
		keyBits += st.KeyBits
		leaked += st.LeakedBits
		quads += st.Quadratures
		b.StartTimer()
	}
	b.StopTimer()
	st := ReconciliationStats{KeyBits: keyBits, LeakedBits: leaked, Quadratures: quads}
	b.ReportMetric(st.Efficiency(snr), "beta")
	b.ReportMetric(float64(failed)/float64(tried), "FER")
	b.ReportMetric(float64(blocks*DefaultMaxBlockLength)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mbit/s")
	if k, err := SecretKeyRate(KeyRateParams{Detection: defaultLink.Detection, Trusted: true, Va: defaultLink.Va,
		T: defaultLink.T, Xi: defaultLink.Xi, Eta: defaultLink.Eta, Vel: defaultLink.Vel, Beta: max(st.Efficiency(snr), 1e-9)}); err == nil {
		b.ReportMetric(k, "key-bit/symbol")
	}
}

// BenchmarkPrivacyAmplification hashes 10^6 reconciled bits to 250000 secret
// bits through the FFT, and, as the baseline measured in the same run, the
// FFT and the direct O(n·m) product on 16384 → 4096 bits; and 4.1·10^7 bits
// (a slice key) to 330000 by column chunks and through one transform.
func BenchmarkPrivacyAmplification(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	randBits := func(n int) []uint8 {
		out := make([]uint8, n)
		for i := range out {
			out[i] = uint8(rng.IntN(2))
		}
		return out
	}
	run := func(n, m int, f func(diag, x []uint8, m int) ([]uint8, error)) func(b *testing.B) {
		return func(b *testing.B) {
			diag, x := randBits(n+m-1), randBits(n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f(diag, x, m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mbit/s")
		}
	}
	naive := func(diag, x []uint8, m int) ([]uint8, error) { return toeplitzNaive(diag, x, m), nil }
	oneFFT := func(diag, x []uint8, m int) ([]uint8, error) { return toeplitzFFT(diag, x, m, len(x)) }
	b.Run("fft-1e6", run(1_000_000, 250_000, ToeplitzHash))
	b.Run("fft-16384", run(16384, 4096, oneFFT))
	b.Run("naive-16384", run(16384, 4096, naive))
	// A slice key of 25 km with 10^7 symbols: 10 chunks of 2^22 columns,
	// against the same input through one transform.
	b.Run("chunks-4.1e7", run(41_000_000, 330_000, ToeplitzHash))
	b.Run("one-fft-4.1e7", run(41_000_000, 330_000, oneFFT))
}
