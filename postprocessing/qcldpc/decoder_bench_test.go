package qcldpc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Benchmarks of the decoder. Run:
//
//	go test -run '^$' -bench 'Decode' -benchmem ./postprocessing/qcldpc/
//
// (about 5 minutes on the shared machine; BenchmarkCheckRule, the check-rule
// comparison, is separate.)
//
// BenchmarkDecodeSpeed reports decoded input bits per second on one core at
// rates ≈ 0.1 and ≈ 0.02 (2^18- and 2^20-bit codes), next to two baselines
// measured in the same run on the same code: one pass over the edges with
// the syndrome (Code.Syndrome) and one float32 streaming pass over the
// messages and posteriors (what an iteration must at least move).
//
// BenchmarkDecodeFER is the FER/β harness: for each code and SNR it decodes
// B blocks on all cores and reports the FER, the mean iterations and
// β = R_eff/(½·log2(1+snr)). Knobs (environment):
//
//	QCLDPC_FER_SNR=1.0,0.5,0.16   SNRs to run (default: each code's own list)
//	QCLDPC_FER_BLOCKS=100         blocks per point (default 20)
//	QCLDPC_FER_CODES=r0.1         only codes whose name contains this
//	QCLDPC_FER_ITERS=200          iteration bound of the decoder (default 200)
//
// BenchmarkDecodeDesigned runs the same harness on the project's codes: at
// each SNR, the code ForRate(β·½·log2(1+snr), N) describes, built by Build
// with its shortened and punctured bits. Knobs: QCLDPC_FER_SNR (default
// 1.0,0.5,0.16,0.08,0.03), QCLDPC_FER_BETA (target β, default 0.95),
// QCLDPC_FER_N (block length, default 2^18), QCLDPC_FER_BLOCKS,
// QCLDPC_FER_ITERS.

// benchCode is a code with the SNRs it is benchmarked at.
type benchCode struct {
	name  string
	build func() *Code
	snrs  []float64 // FER points (default list)
	speed float64   // SNR of the speed benchmark (decodes every block)

	// adapt, when set, names the bits shortened (known to both sides: LLR
	// ±Inf) and punctured (LLR 0) at an SNR, beyond the code's punctured
	// columns; the sets must be disjoint from each other and from them.
	adapt func(c *Code, snr float64) (shortened, punctured []int)

	// design, when set instead of build, describes one of the project's
	// codes: Build makes it, with its shortened and punctured bits.
	design func() (Description, error)
}

var (
	benchCodeCache   = map[string]*Adapted{}
	benchCodeCacheMu sync.Mutex
)

// built returns the code with the bits it shortens and punctures beyond its
// punctured columns (none for the test codes).
func (bc benchCode) built(b *testing.B) (c *Code, shortened, punctured []int) {
	benchCodeCacheMu.Lock()
	defer benchCodeCacheMu.Unlock()
	a, ok := benchCodeCache[bc.name]
	if !ok {
		if bc.design != nil {
			d, err := bc.design()
			if err == nil {
				a, err = Build(d)
			}
			if err != nil {
				b.Fatalf("%s: %v", bc.name, err)
			}
		} else {
			a = &Adapted{Code: bc.build()}
		}
		benchCodeCache[bc.name] = a
	}
	shortened, punctured = benchAdapted(a)
	return a.Code, shortened, punctured
}

// benchDesign is the project's code for effective rate `rate` at about n
// bits.
func benchDesign(rate float64, n int) func() (Description, error) {
	return func() (Description, error) { return ForRate(rate, n) }
}

// benchRaptor lifts the Raptor-like test base to about 2^log2n bits.
func benchRaptor(k, core, ext, log2n int) func() *Code {
	return func() *Code {
		b, p := testRaptorBase(k, core, ext)
		z := (1 << log2n) / len(b[0])
		return testMustLift(uint64(log2n*1000+ext), b, z, p)
	}
}

// benchSpeedCodes: the test codes at rate (1+k−core)/(k+ext) = 5/50 = 0.1
// and 3/150 = 0.02, and the project's codes (ForRate) at rates 0.1 and 0.02
// (from 2^18 bits the wide families; narrow-…: family 37's twin, family 7,
// at the same length) at the SNR where the rate is β = 0.85 of the capacity,
// 2^(2·rate/0.85) − 1.
var benchSpeedCodes = []benchCode{
	{name: "r0.1-2^18", build: benchRaptor(6, 2, 44, 18), speed: 0.22},
	{name: "r0.1-2^20", build: benchRaptor(6, 2, 44, 20), speed: 0.22},
	{name: "r0.02-2^18", build: benchRaptor(4, 2, 146, 18), speed: 0.045},
	{name: "r0.02-2^20", build: benchRaptor(4, 2, 146, 20), speed: 0.045},
	{name: "designed-r0.1-2^18", design: benchDesign(0.1, 1<<18), speed: math.Exp2(2*0.1/0.85) - 1},
	{name: "designed-r0.1-2^20", design: benchDesign(0.1, 1<<20), speed: math.Exp2(2*0.1/0.85) - 1},
	{name: "designed-r0.02-2^18", design: benchDesign(0.02, 1<<18), speed: math.Exp2(2*0.02/0.85) - 1},
	{name: "designed-r0.02-2^20", design: benchDesign(0.02, 1<<20), speed: math.Exp2(2*0.02/0.85) - 1},
	{name: "designed-r0.1-2^22", design: benchDesign(0.1, 1<<22), speed: math.Exp2(2*0.1/0.85) - 1},
	{name: "narrow-r0.1-2^22", design: func() (Description, error) { return ForRateAmong(0.1, 1<<22, []int{FamilyMD3}) }, speed: math.Exp2(2*0.1/0.85) - 1},
}

// benchFERCodes are the codes of the FER/β harness.
var benchFERCodes = []benchCode{
	{name: "r0.5-regular36-2^18", build: func() *Code {
		return testMustLift(1, testRegular36(), (1<<18)/6, nil)
	}, snrs: []float64{1.2, 1.3, 1.5}},
	{name: "r0.25-regular36-shortened-2^18", build: func() *Code {
		return testMustLift(1, testRegular36(), (1<<18)/6, nil)
	}, snrs: []float64{0.7, 0.8}, adapt: func(c *Code, _ float64) (shortened, punctured []int) {
		for i := 0; i < c.N(); i += 3 { // a third of the bits: rate (½ − ⅓)/(⅔) = ¼
			shortened = append(shortened, i)
		}
		return shortened, nil
	}},
	{name: "r0.1-raptor-2^18", build: benchRaptor(6, 2, 44, 18), snrs: []float64{0.2, 0.25, 0.3}},
	{name: "r0.02-raptor-2^18", build: benchRaptor(4, 2, 146, 18), snrs: []float64{0.04, 0.05, 0.07}},
}

type benchBlock struct {
	bits, synd []uint8
	llr        []float32
}

func benchBlocks(c *Code, snr float64, n int, seed uint64) []benchBlock {
	return benchBlocksAdapted(c, nil, nil, snr, n, seed)
}

// benchBlocksAdapted draws n blocks; shortened bits get LLR ±Inf, the
// punctured ones LLR 0.
func benchBlocksAdapted(c *Code, shortened, punctured []int, snr float64, n int, seed uint64) []benchBlock {
	rng := rand.New(rand.NewPCG(seed, 99))
	bl := make([]benchBlock, n)
	for i := range bl {
		bl[i] = benchBlock{make([]uint8, c.N()), make([]uint8, c.M()), make([]float32, c.N())}
		testBlock(rng, c, snr, bl[i].bits, bl[i].synd, bl[i].llr)
		for _, k := range shortened {
			bl[i].llr[k] = float32(math.Inf(1 - 2*int(bl[i].bits[k])))
		}
		for _, k := range punctured {
			bl[i].llr[k] = 0
		}
	}
	return bl
}

// benchClock measures a benchmark loop in wall time (b.Elapsed) and in the
// CPU time of its OS thread, which does not grow when other processes share
// the cores.
type benchClock struct {
	cpu0 time.Duration
	ok   bool
}

func benchStart(b *testing.B) *benchClock {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	b.ReportAllocs()
	cpu, ok := threadCPUTime()
	clk := &benchClock{cpu0: cpu, ok: ok}
	b.ResetTimer()
	return clk
}

// stop returns the wall and CPU seconds of the loop (CPU = wall when the
// thread's CPU time is not available).
func (c *benchClock) stop(b *testing.B) (wall, cpu float64) {
	b.StopTimer()
	cpuEnd, ok := threadCPUTime()
	wall = b.Elapsed().Seconds()
	if !c.ok || !ok {
		return wall, wall
	}
	return wall, (cpuEnd - c.cpu0).Seconds()
}

func BenchmarkDecodeSpeed(b *testing.B) {
	for _, bc := range benchSpeedCodes {
		c, shortened, punctured := bc.built(b)
		edges := float64(c.Edges())
		for _, kern := range benchKernels() {
			b.Run(bc.name+"/"+kern.name, func(b *testing.B) {
				decKernel = kern.id
				defer func() { decKernel = decKernelBest }()
				benchDecodeSpeed(b, c, shortened, punctured, bc.speed, edges)
			})
		}
		b.Run(bc.name+"/baseline-syndrome", func(b *testing.B) {
			bits := make([]uint8, c.N())
			s := make([]uint8, c.M())
			clk := benchStart(b)
			for i := 0; i < b.N; i++ {
				bits[i%len(bits)] ^= 1
				if err := c.Syndrome(bits, s); err != nil {
					b.Fatal(err)
				}
			}
			_, cpu := clk.stop(b)
			b.ReportMetric(cpu*1e9/float64(b.N)/edges, "cpu-ns/edge")
		})
		b.Run(bc.name+"/baseline-stream", func(b *testing.B) {
			// What one layered iteration must move at least: read every
			// posterior through its circulant, read and write every message.
			p := make([]float32, c.N())
			r := make([]float32, c.Edges())
			for i := range p {
				p[i] = float32(i % 7)
			}
			z := c.Z
			clk := benchStart(b)
			for i := 0; i < b.N; i++ {
				for k, e := range c.Circulants {
					msg := r[k*z : (k+1)*z]
					col := p[int(e.Col)*z : int(e.Col+1)*z]
					s := int(e.Shift)
					for j, v := range col[s:] {
						msg[j] = v - msg[j]
					}
					for j, v := range col[:s] {
						msg[z-s+j] = v - msg[z-s+j]
					}
				}
			}
			_, cpu := clk.stop(b)
			b.ReportMetric(cpu*1e9/float64(b.N)/edges, "cpu-ns/edge")
		})
	}
}

// benchEnvInt reads a positive integer knob.
func benchEnvInt(b *testing.B, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q, want a positive integer", key, v)
	}
	return n
}

// benchEnvFloats parses a comma-separated list of numbers.
func benchEnvFloats(b *testing.B, key string) []float64 {
	v := os.Getenv(key)
	if v == "" {
		return nil
	}
	var out []float64
	for _, f := range strings.Split(v, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(x > 0) {
			b.Fatalf("%s: %q is not a positive number", key, f)
		}
		out = append(out, x)
	}
	return out
}

// benchKernels are the layer kernels BenchmarkDecodeSpeed compares in one
// run: "decode" is the one the decoder uses on this machine, "decode-go"
// the Go loops (the baseline of the vector kernel's speed-up) where that
// is another.
func benchKernels() []benchKernel {
	ks := []benchKernel{{"decode", decKernelBest}}
	for k := decKernelBest - 1; k >= decKernelGo; k-- {
		ks = append(ks, benchKernel{"decode-" + decKernelNames[k], k})
	}
	return ks
}

type benchKernel struct {
	name string
	id   int
}

// benchDecodeSpeed decodes adapted blocks of c at SNR snr with the current
// kernel and reports throughput and CPU time per edge and iteration.
func benchDecodeSpeed(b *testing.B, c *Code, shortened, punctured []int, snr, edges float64) {
	blocks := benchBlocksAdapted(c, shortened, punctured, snr, 2, 1)
	d, err := NewDecoder(c, 200)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]uint8, c.N())
	iters, failed := 0, 0
	clk := benchStart(b)
	for i := 0; i < b.N; i++ {
		bl := blocks[i%len(blocks)]
		it, ok, err := d.Decode(bl.llr, bl.synd, out)
		if err != nil {
			b.Fatal(err)
		}
		iters += it
		if !ok {
			failed++
		}
	}
	wall, cpu := clk.stop(b)
	if failed > 0 {
		b.Fatalf("%d of %d blocks failed at SNR %g: pick an SNR where the code decodes", failed, b.N, snr)
	}
	bits := float64(c.N()) * float64(b.N)
	b.ReportMetric(bits/wall/1e6, "Mbit/s")
	b.ReportMetric(bits/cpu/1e6, "Mbit/s-cpu")
	b.ReportMetric(float64(iters)/float64(b.N), "iters")
	b.ReportMetric(cpu*1e9/float64(iters)/edges, "cpu-ns/edge/iter")
	b.ReportMetric(float64(c.N()-c.M()-len(shortened))/float64(c.N()-len(shortened)-len(punctured)-len(c.Punctured)*c.Z), "rate")
	b.ReportMetric(edges/float64(c.N()), "edges/bit")

}

func BenchmarkDecodeFER(b *testing.B) {
	blocks := benchEnvInt(b, "QCLDPC_FER_BLOCKS", 20)
	iters := benchEnvInt(b, "QCLDPC_FER_ITERS", 200)
	snrOverride := benchEnvFloats(b, "QCLDPC_FER_SNR")
	only := os.Getenv("QCLDPC_FER_CODES")
	for _, bc := range benchFERCodes {
		if only != "" && !strings.Contains(bc.name, only) {
			continue
		}
		snrs := bc.snrs
		if snrOverride != nil {
			snrs = snrOverride
		}
		for _, snr := range snrs {
			b.Run(fmt.Sprintf("%s/snr=%g", bc.name, snr), func(b *testing.B) {
				c, shortened, punctured := bc.built(b)
				if bc.adapt != nil {
					shortened, punctured = bc.adapt(c, snr)
				}
				benchFER(b, c, shortened, punctured, snr, blocks, iters)
			})
		}
	}
}

func BenchmarkDecodeDesigned(b *testing.B) {
	blocks := benchEnvInt(b, "QCLDPC_FER_BLOCKS", 20)
	iters := benchEnvInt(b, "QCLDPC_FER_ITERS", 200)
	n := benchEnvInt(b, "QCLDPC_FER_N", 1<<18)
	snrs := benchEnvFloats(b, "QCLDPC_FER_SNR")
	if snrs == nil {
		snrs = []float64{1.0, 0.5, 0.16, 0.08, 0.03}
	}
	beta := 0.95
	if v := benchEnvFloats(b, "QCLDPC_FER_BETA"); v != nil {
		beta = v[0]
	}
	for _, snr := range snrs {
		d, err := ForRate(beta*GaussianCapacity(snr), n)
		if err != nil {
			b.Logf("SNR %g: %v", snr, err)
			continue
		}
		name := fmt.Sprintf("family%d-rows%d-z%d-short%d/snr=%g", d.Family, d.Rows, d.Z, d.Shortened, snr)
		b.Run(name, func(b *testing.B) {
			a, err := Build(d)
			if err != nil {
				b.Fatal(err)
			}
			shortened, punctured := benchAdapted(a)
			want, err := d.EffectiveRate()
			if err != nil {
				b.Fatal(err)
			}
			benchFER(b, a.Code, shortened, punctured, snr, blocks, iters)
			sent := a.Code.N() - len(shortened) - len(punctured) - len(a.Code.Punctured)*a.Code.Z
			if got := float64(a.Code.N()-a.Code.M()-len(shortened)) / float64(sent); math.Abs(got-want) > 1e-12 {
				b.Fatalf("harness rate %g, Description.EffectiveRate %g", got, want)
			}
			if th, err := ThresholdSNR(d); err == nil {
				b.ReportMetric(want/GaussianCapacity(th), "beta-at-threshold")
			}
		})
	}
}

// benchAdapted splits a built code's rate adaptation into the harness's
// lists: the shortened bits, and the punctured bits outside the code's
// punctured columns.
func benchAdapted(a *Adapted) (shortened, punctured []int) {
	structural := map[int32]bool{}
	for _, c := range a.Code.Punctured {
		structural[c] = true
	}
	z := int32(a.Code.Z)
	for _, i := range a.Shortened {
		shortened = append(shortened, int(i))
	}
	for _, i := range a.Punctured {
		if !structural[i/z] {
			punctured = append(punctured, int(i))
		}
	}
	return shortened, punctured
}

// benchFER decodes `blocks` fresh blocks per b.N iteration on all cores and
// reports the frame error rate, mean iterations, β of the decoded blocks
// (R_eff/(½·log2(1+snr)) with R_eff = (N − M − S)/(N − S − P) for S
// shortened and P punctured bits), and the throughput of all cores
// together, in channel bits (N − S − P) per second.
func benchFER(b *testing.B, c *Code, shortened, punctured []int, snr float64, blocks, maxIter int) {
	sent := c.N() - len(shortened) - len(punctured) - len(c.Punctured)*c.Z
	rate := float64(c.N()-c.M()-len(shortened)) / float64(sent)
	pool, err := NewDecoderPool(c, maxIter, 0)
	if err != nil {
		b.Fatal(err)
	}
	jobs := make([]DecodeJob, blocks)
	bits := make([][]uint8, blocks)
	results := make([]DecodeResult, blocks)
	for i := range jobs {
		bits[i] = make([]uint8, c.N())
		jobs[i] = DecodeJob{LLR: make([]float32, c.N()), Syndrome: make([]uint8, c.M()), Out: make([]uint8, c.N())}
	}
	rng := rand.New(rand.NewPCG(uint64(snr*1e6), 7))
	var failed, wrong, wrongWeight, wrongChannel, lessLikely, total, iters int
	var decodeSec, cpuSec float64
	cpuOK := true
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range jobs {
			testBlock(rng, c, snr, bits[j], jobs[j].Syndrome, jobs[j].LLR)
			for _, i := range shortened {
				jobs[j].LLR[i] = float32(math.Inf(1 - 2*int(bits[j][i])))
			}
			for _, i := range punctured {
				jobs[j].LLR[i] = 0
			}
		}
		b.StartTimer()
		start := b.Elapsed()
		cpu0, ok0 := processCPUTime()
		if err := pool.DecodeAll(jobs, results); err != nil {
			b.Fatal(err)
		}
		cpu1, ok1 := processCPUTime()
		decodeSec += (b.Elapsed() - start).Seconds()
		cpuOK = cpuOK && ok0 && ok1
		cpuSec += (cpu1 - cpu0).Seconds()
		for j, r := range results {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			total++
			iters += r.Iterations
			if !r.OK {
				failed++
				continue
			}
			// Right syndrome, wrong word: the verification hash's job. The
			// log-likelihood of the decoded word minus that of Bob's is
			// Σ (1−2·out_i)·llr_i over the bits where they differ; when it is
			// positive, a maximum-likelihood decoder would err too (the
			// code's distance, not the decoder, is at fault).
			diff, dLL := 0, 0.0
			for k, v := range jobs[j].Out {
				if v != bits[j][k] {
					diff++
					if jobs[j].LLR[k] != 0 {
						wrongChannel++
					}
					if l := float64(jobs[j].LLR[k]); !math.IsNaN(l) {
						dLL += (1 - 2*float64(v)) * l
					}
				}
			}
			if diff > 0 {
				wrong++
				wrongWeight += diff
				if !(dLL > 0) {
					lessLikely++
				}
			}
		}
	}
	b.ReportMetric(float64(failed)/float64(total), "FER")
	b.ReportMetric(float64(wrong), "undetected")
	b.ReportMetric(float64(lessLikely), "undetected-less-likely")
	if wrong > 0 {
		b.ReportMetric(float64(wrongWeight)/float64(wrong), "undetected-bits")
		b.ReportMetric(float64(wrongChannel)/float64(wrong), "undetected-channel-bits")
	}
	b.ReportMetric(float64(iters)/float64(total), "iters")
	b.ReportMetric(rate, "rate")
	b.ReportMetric(rate/testGaussCapacity(snr), "beta")
	b.ReportMetric(float64(total)*float64(sent)/decodeSec/1e6, "Mbit/s-all-cores")
	if cpuOK && cpuSec > 0 {
		// Per core of CPU time actually used: what one dedicated core
		// would decode, whatever else shares the machine.
		b.ReportMetric(float64(total)*float64(sent)/cpuSec/1e6, "Mbit/s-per-core-cpu")
	}
	b.ReportMetric(float64(total), "blocks")
}
