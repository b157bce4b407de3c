package postprocessing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// The guard against a slice code whose lifting has a codeword close enough
// for the decoder to reach.
//
// A random quasi-cyclic lifting can have codewords of a few thousand bits,
// and the decoder then meets the syndrome with Bob's word plus one of them
// in nearly every block: every block of the frame fails on the block hash.
// At SNR 0.476 in blocks of 3.3·10^6 quadratures (the 25 km link with 10^7
// symbols), 1 frame of 12 lost all its blocks this way, by slice 1's code
// (family 36, 43 rows, Z = 1158, seed 41: 2028 bits from Bob's word), and a
// station frame at 25 km lost its 3 blocks. Bob therefore decodes one
// simulated block of every coded slice before he sends the plan, and draws
// another seed for a slice whose decoder reaches a wrong word.

// SliceGuardAttempts is how many seeds GuardSlicePlan tries per slice.
const SliceGuardAttempts = 4

// sliceGuardSeedStep separates the seeds GuardSlicePlan tries (an odd
// constant: the seeds of one slice never repeat within 2^32 steps).
const sliceGuardSeedStep = 0x9e3779b9

// GuardSlicePlan decodes one simulated block of every coded slice of plan
// with its code, on the channel ch Bob estimated (Alice's quadratures of
// variance (Scale² − Noise)/Gain², the slices above it and the disclosed ones
// known, as Alice holds them once they decode), slices in parallel. A slice
// whose decoder meets the syndrome with another word than the simulated one
// gets its code's next seed, up to SliceGuardAttempts seeds; a block that
// does not decode says nothing about the code and is accepted. It returns
// the plan with the seeds it kept and the slices whose code it changed; an
// error when a slice reaches a wrong word with every seed, or when the plan
// or the channel is invalid. seed makes the simulation reproducible.
func GuardSlicePlan(plan SlicePlan, ch Channel, seed uint64) (SlicePlan, []int, error) {
	sc, err := plan.build()
	if err != nil {
		return plan, nil, err
	}
	if err := ch.validate(); err != nil {
		return plan, nil, err
	}
	vx := (plan.Scale*plan.Scale - ch.Noise) / (ch.Gain * ch.Gain)
	if !(vx > 0) || math.IsInf(vx, 0) {
		return plan, nil, fmt.Errorf("%w: slice scale %g leaves Alice's quadratures no variance at gain %g and noise %g",
			ErrInvalidPlan, plan.Scale, ch.Gain, ch.Noise)
	}
	out := plan
	out.Codes = slices.Clone(plan.Codes)
	var (
		mu      sync.Mutex
		changed []int
		errs    = make([]error, plan.Coded())
		next    = make(chan int)
		wg      sync.WaitGroup
	)
	for range min(plan.Coded(), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				code := sc.codes[j]
				d := plan.Codes[j]
				for attempt := range SliceGuardAttempts {
					if attempt > 0 {
						d.Seed += sliceGuardSeedStep
						var err error
						if code, err = qcBlockCode(d); err != nil {
							errs[j] = fmt.Errorf("%w: slice %d: %w", ErrInvalidPlan, j, err)
							break
						}
					}
					rng := rand.New(rand.NewPCG(seed, uint64(j)<<32|uint64(attempt)))
					wrong, err := trialSlice(plan, sc.edges, j, code, ch, vx, rng)
					if err != nil {
						errs[j] = err
						break
					}
					if !wrong {
						mu.Lock()
						out.Codes[j] = d
						if attempt > 0 {
							changed = append(changed, j)
						}
						mu.Unlock()
						break
					}
					if attempt == SliceGuardAttempts-1 {
						errs[j] = fmt.Errorf("%w: slice %d's code reached a wrong word with %d seeds", ErrInvalidPlan, j, SliceGuardAttempts)
					}
				}
			}
		}()
	}
	for j := range plan.Coded() {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return plan, nil, err
		}
	}
	slices.Sort(changed)
	return out, changed, nil
}

// trialSlice simulates one block for slice j of plan with code (x ~ N(0,
// vx), y = Gain·x + n), decodes it from its syndrome with the slices above
// j and the disclosed ones known, and reports whether the decoder met the
// syndrome with another word than the simulated one.
func trialSlice(plan SlicePlan, edges []float64, j int, code *blockCode, ch Channel, vx float64, rng *rand.Rand) (bool, error) {
	q := plan.Quadratures()
	sx, sn := math.Sqrt(vx), math.Sqrt(ch.Noise)
	x := make([]float64, q)
	index := make([]int, q)
	for t := range x {
		x[t] = sx * rng.NormFloat64()
		index[t] = quantize(edges, ch.Gain*x[t]+sn*rng.NormFloat64())
	}
	shift := plan.Bits - 1 - j
	mask := 1<<plan.Disclosed - 1 // the disclosed slices
	for i := range j {
		mask |= 1 << (plan.Bits - 1 - i) // the slices above j
	}
	word := make([]uint8, code.n)
	llr := make([]float64, code.n)
	k := 0
	for t, role := range code.roles {
		switch role {
		case roleChannel:
			word[t] = uint8(index[k]>>shift) & 1
			llr[t] = sliceLLR(edges, plan.Bits, j, index[k]&mask, mask, x[k], ch)
			k++
		case roleShortened:
			llr[t] = math.Inf(1)
		default:
			word[t] = uint8(rng.IntN(2))
		}
	}
	syn := make([]uint8, code.m)
	if err := code.syndrome(word, syn); err != nil {
		return false, err
	}
	dec, err := code.newDecoder(0)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	got := make([]uint8, code.n)
	_, ok, err := dec.Decode(llr, syn, got)
	if err != nil {
		return false, fmt.Errorf("%w: slice %d: %w", ErrInvalidPlan, j, err)
	}
	return ok && !slices.Equal(got, word), nil
}
