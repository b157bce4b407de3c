package alice

import (
	"math"
	"strings"
	"testing"

	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
)

// Slice reconciliation on the wire: EC_INITIALIZATION names "slice", the
// most significant slice's code as "qc_ldpc" and the others in "slices".
// A plan Alice cannot build is EC_DENIED with its fault named. In a packed
// batch, a block whose disclosed bits do not fit the plan fails before
// anything is unpacked, the others decode; a block in the specification's
// form (which has no disclosed slices) is EC_BLOCK_ERROR; EC_VERIFICATION
// then succeeds.
func TestSliceBlocks(t *testing.T) {
	// Enough symbols for two blocks of fewer than 2^15 quadratures.
	h := newHarness(t, "pipe", func(s *setup) { s.cfg.Frame.Quantum.NumSymbols = 40_000 })
	b := h.bob()
	toPEApproved(b)
	y := b.keyQuadratures()
	snr, err := pp.SNR(b.params)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := pp.ChannelFromParams(b.params)
	sp, err := pp.PlanSlices(pp.SliceParams{KeyQuadratures: len(y), SNR: snr, Scale: math.Sqrt(ch.Noise * (1 + snr)),
		MaxBlockLength: 2 * pp.MinQCBlockLength, Bits: 4, Disclosed: 1, Efficiency: []float64{0.8, 0.8, 0.8}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sp.Blocks < 2 {
		t.Fatalf("plan %+v: want several blocks", sp)
	}
	plan := pp.ReconciliationPlan{Scheme: pp.SchemeSlice, Slices: &sp, Blocks: sp.Blocks, Noise: ch.Noise}
	if b.recon, err = pp.NewBobSide(plan, y, nil); err != nil {
		t.Fatal(err)
	}
	qc := func(j int) messages.QCLDPCParams {
		d := sp.Codes[j]
		return messages.QCLDPCParams{Family: d.Family, Z: d.Z, Rows: d.Rows, Shortened: d.Shortened, Punctured: d.Punctured, Seed: int(d.Seed)}
	}
	init := func() *messages.ECInitializationContent {
		first := qc(0)
		c := &messages.ECInitializationContent{Noise: plan.Noise, Blocks: plan.Blocks, Reconciliation: pp.SchemeSlice, QCLDPC: &first,
			Slices: &messages.ECSlices{Bits: sp.Bits, Disclosed: sp.Disclosed, Scale: sp.Scale}}
		for j := 1; j < sp.Coded(); j++ {
			c.Slices.Codes = append(c.Slices.Codes, qc(j))
		}
		return c
	}
	for _, bad := range []struct {
		change func(*messages.ECInitializationContent)
		names  string
	}{
		{func(c *messages.ECInitializationContent) {
			c.Slices.Bits, c.Slices.Codes = 9, append(c.Slices.Codes, make([]messages.QCLDPCParams, 5)...)
		}, "slice bits 9"},
		{func(c *messages.ECInitializationContent) { c.Slices.Codes[1].Shortened += 8 }, "channel bits"},
		{func(c *messages.ECInitializationContent) { c.Slices.Codes[0].Family = 99 }, "slice 1"},
		{func(c *messages.ECInitializationContent) { c.Blocks = 1 << 20 }, "exceed"},
	} {
		c := init()
		bad.change(c)
		got := b.want(messages.ECInitialization, c, messages.ECDenied)
		if msg := got.(*messages.ECDeniedContent).ErrorMessage; !strings.Contains(msg, bad.names) {
			t.Errorf("EC_DENIED %q does not name %q", msg, bad.names)
		}
	}
	ready := b.want(messages.ECInitialization, init(), messages.ECReady)
	if r, _ := ready.(*messages.ECReadyContent); r == nil || r.Encoding != messages.EncodingPacked || r.Batch < plan.Blocks {
		t.Fatalf("EC_READY %s: want the packed encoding and room for %d blocks", describe(ready), plan.Blocks)
	}
	var batch []messages.ECBlockItem
	for i := range plan.Blocks {
		syn, side := blockParts(t, b, i)
		batch = append(batch, messages.ECBlockItem{Block: i, Syndrome: messages.PackBits(syn), SyndromeBits: len(syn), Hash: side.Hash,
			Disclosed: messages.PackBits(side.Disclosed), DisclosedBits: len(side.Disclosed)})
	}
	syn0, _ := b.recon.Syndrome(0)
	b.want(messages.ECBlock, messages.NewECBlock(0, syn0), messages.ECBlockError) // no disclosed slices in this form
	short := batch[0]
	short.DisclosedBits -= 8
	short.Disclosed = short.Disclosed[:len(short.Disclosed)-1]
	ack := b.want(messages.ECBlock, &messages.ECBlockContent{Batch: append([]messages.ECBlockItem{short}, batch[1:]...)}, messages.ECBlockAck)
	if a, _ := ack.(*messages.ECBlockAckContent); a == nil || len(a.Failed) != 1 || a.Failed[0] != 0 {
		t.Fatalf("EC_BLOCK_ACK %s, want failed [0]", describe(ack))
	}
	b.recon.Accept(0, false)
	for i := 1; i < plan.Blocks; i++ {
		b.recon.Accept(i, true)
	}
	b.ecVerify()
	if st := b.recon.Stats(); st.Decoded != plan.Blocks-1 || st.KeyBits != (plan.Blocks-1)*sp.BlockKeyBits() {
		t.Fatalf("stats %+v", st)
	}
}
