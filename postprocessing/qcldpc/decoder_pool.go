package qcldpc

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// DecodeJob is one block for DecoderPool.DecodeAll: the arguments of
// Decoder.Decode.
type DecodeJob struct {
	LLR      []float32
	Syndrome []uint8
	Out      []uint8
}

// DecodeResult is what Decoder.Decode returned for one block.
type DecodeResult struct {
	Iterations int
	OK         bool
	Err        error
}

// DecoderPool decodes many blocks of one code in parallel, one Decoder per
// worker goroutine. Its decoders are built once; DecodeAll may be called
// any number of times, one call at a time (calls are serialized).
type DecoderPool struct {
	mu   sync.Mutex
	decs []*Decoder
}

// NewDecoderPool builds workers decoders for c (runtime.GOMAXPROCS(0) of
// them when workers ≤ 0), each running at most maxIter iterations.
func NewDecoderPool(c *Code, maxIter, workers int) (*DecoderPool, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &DecoderPool{decs: make([]*Decoder, workers)}
	for i := range p.decs {
		d, err := NewDecoder(c, maxIter)
		if err != nil {
			return nil, err
		}
		p.decs[i] = d
	}
	return p, nil
}

// Workers is the number of decoders, i.e. of blocks decoded at once.
func (p *DecoderPool) Workers() int { return len(p.decs) }

// DecodeAll decodes every job, spreading them over the pool's decoders, and
// writes the outcome of jobs[i] to results[i]. It returns an error (wrapping
// ErrDecodeInput) only when the two slices differ in length; a bad job gets
// its error in its result and does not stop the others.
func (p *DecoderPool) DecodeAll(jobs []DecodeJob, results []DecodeResult) error {
	if len(jobs) != len(results) {
		return fmt.Errorf("%w: %d jobs but %d results", ErrDecodeInput, len(jobs), len(results))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(len(p.decs), len(jobs))
	for w := range workers {
		wg.Add(1)
		go func(d *Decoder) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				it, ok, err := d.Decode(j.LLR, j.Syndrome, j.Out)
				results[i] = DecodeResult{Iterations: it, OK: ok, Err: err}
			}
		}(p.decs[w])
	}
	wg.Wait()
	return nil
}
