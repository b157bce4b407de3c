package qcldpc

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The check-node rule was chosen by measurement: BenchmarkCheckRule decodes
// the same blocks with the decoder (sum-product, tabulated φ) and with
// variants that differ only in the check-node rule, written here on the
// decoder's own layout and schedule:
//
//   - exact: sum-product with φ computed in float64 (no table);
//   - nms-α: normalized min-sum, magnitude α·min over the other inputs;
//   - oms-δ: offset min-sum, magnitude max(min − δ, 0).
//
// Run: go test -run '^$' -bench CheckRule ./postprocessing/qcldpc/

type ruleKind int

const (
	ruleTable ruleKind = iota // the decoder itself
	ruleExact
	ruleNMS
	ruleOMS
)

type checkRule struct {
	name  string
	kind  ruleKind
	param float64
}

// ruleIterate is Decoder.iterate with another check-node rule: one layered
// iteration, returning the checks unsatisfied when read.
func ruleIterate(d *Decoder, syndrome []uint8, rule checkRule, scratch [][]float64) (unsatisfied int) {
	z := d.z
	p, msgs := d.p, d.r
	for row := 0; row+1 < len(d.layers); row++ {
		layer := d.edges[d.layers[row]:d.layers[row+1]]
		for j := range z {
			syn := syndrome[row*z+j]
			sgn, parity := uint32(syn)<<31, uint32(syn)<<31
			t := scratch[0][:len(layer)]
			var sum float64
			min1, min2, arg := math.Inf(1), math.Inf(1), -1
			for k, e := range layer {
				v := e.col + (j+e.shift)%z
				pv := p[v]
				tv := pv - msgs[e.msg+j]
				t[k] = float64(tv)
				sgn ^= math.Float32bits(tv)
				parity ^= math.Float32bits(pv)
				a := math.Abs(float64(tv))
				switch rule.kind {
				case ruleExact:
					sum += refPhi(a)
				default:
					if a < min1 {
						min1, min2, arg = a, min1, k
					} else if a < min2 {
						min2 = a
					}
				}
			}
			unsatisfied += int(parity >> 31)
			for k, e := range layer {
				var mag float64
				switch rule.kind {
				case ruleExact:
					mag = refPhi(math.Abs(sum - refPhi(math.Abs(t[k]))))
				case ruleNMS, ruleOMS:
					m := min1
					if k == arg {
						m = min2
					}
					if rule.kind == ruleNMS {
						mag = rule.param * m
					} else {
						mag = math.Max(m-rule.param, 0)
					}
				}
				mag = math.Min(mag, 30)
				rv := float32(mag)
				if (sgn^math.Float32bits(float32(t[k])))&decSignBit != 0 {
					rv = -rv
				}
				msgs[e.msg+j] = rv
				p[e.col+(j+e.shift)%z] = float32(t[k]) + rv
			}
		}
	}
	return unsatisfied
}

// refPhi is −ln tanh(x/2) in float64, bounded like the decoder's table.
func refPhi(x float64) float64 {
	if x < 1e-12 {
		x = 1e-12
	}
	return -math.Log(math.Tanh(x / 2))
}

// ruleDecode is Decoder.Decode with another check-node rule.
func ruleDecode(d *Decoder, llr []float32, syndrome, out []uint8, rule checkRule) (int, bool) {
	for i, l := range llr {
		d.p[i] = max(-decLLRClamp, min(decLLRClamp, l))
	}
	clear(d.r)
	scratch := [][]float64{make([]float64, 64)}
	for it := 1; it <= d.maxIter; it++ {
		if ruleIterate(d, syndrome, rule, scratch) == 0 && d.decide(syndrome, out) {
			return it, true
		}
	}
	return d.maxIter, d.decide(syndrome, out)
}

func BenchmarkCheckRule(b *testing.B) {
	rules := []checkRule{
		{name: "spa-table", kind: ruleTable},
		{name: "exact", kind: ruleExact},
		{name: "nms-0.75", kind: ruleNMS, param: 0.75},
		{name: "nms-0.85", kind: ruleNMS, param: 0.85},
		{name: "oms-0.05", kind: ruleOMS, param: 0.05},
	}
	for _, tc := range []struct {
		name string
		code *Code
		snrs []float64
	}{
		{"r0.1-2^15", benchRaptor(6, 2, 44, 15)(), []float64{0.2, 0.25, 0.3}},
		{"r0.02-2^15", benchRaptor(4, 2, 146, 15)(), []float64{0.045, 0.06, 0.075}},
	} {
		c := tc.code
		for si, snr := range tc.snrs {
			const blocks = 16
			bl := benchBlocks(c, snr, blocks, uint64(snr*1e4))
			d, err := NewDecoder(c, 100)
			if err != nil {
				b.Fatal(err)
			}
			for _, rule := range rules {
				if rule.kind == ruleExact && si > 0 {
					continue // slow: only at the lowest SNR
				}
				b.Run(fmt.Sprintf("%s/snr=%g/%s", tc.name, snr, rule.name), func(b *testing.B) {
					out := make([]uint8, c.N())
					failed, iters := 0, 0
					for range b.N {
						for _, x := range bl {
							var it int
							var ok bool
							if rule.kind == ruleTable {
								it, ok, err = d.Decode(x.llr, x.synd, out)
								if err != nil {
									b.Fatal(err)
								}
							} else {
								it, ok = ruleDecode(d, x.llr, x.synd, out, rule)
							}
							iters += it
							if !ok {
								failed++
							}
						}
					}
					b.ReportMetric(float64(failed)/float64(b.N*blocks), "FER")
					b.ReportMetric(float64(iters)/float64(b.N*blocks), "iters")
				})
			}
		}
	}
}

// The rule harness itself must agree with the decoder when given the same
// rule up to the φ table's rounding: one exact-rule iteration against one
// decoder iteration.
func TestDecoderRuleHarnessMatches(t *testing.T) {
	rb, rp := testRaptorBase(3, 1, 8)
	c := testMustLift(30, rb, 17, rp)
	d, err := NewDecoder(c, 5)
	if err != nil {
		t.Fatal(err)
	}
	bits, synd := make([]uint8, c.N()), make([]uint8, c.M())
	llr := make([]float32, c.N())
	testBlock(rand.New(rand.NewPCG(31, 32)), c, 0.4, bits, synd, llr)
	copy(d.p, llr)
	clear(d.r)
	d.iterate(synd)
	got := append([]float32(nil), d.p...)
	copy(d.p, llr)
	clear(d.r)
	ruleIterate(d, synd, checkRule{kind: ruleExact}, [][]float64{make([]float64, 64)})
	for i := range got {
		if math.Abs(float64(got[i]-d.p[i])) > 0.03*(1+math.Abs(float64(got[i]))) {
			t.Fatalf("bit %d: decoder %g, exact harness %g", i, got[i], d.p[i])
		}
	}
}
