package alice

import (
	"strings"
	"testing"

	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
)

// Multidimensional reconciliation on the wire: EC_INITIALIZATION names the
// scheme; an EC_BLOCK without Bob's rotations and norms, or with the wrong
// number of them, is answered EC_BLOCK_ERROR; with them every block
// decodes and EC_VERIFICATION succeeds.
func TestMultidimensionalBlocks(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	toPEApproved(b)
	plan := mdPlan(t, b, pp.PlanParams{Seed: 5, MaxBlockLength: 1 << 13, Codes: pp.CodesGenerated})
	if plan.Scheme != pp.SchemeMultidimensional || plan.Blocks < 3 {
		t.Fatalf("plan %+v", plan)
	}
	b.want(messages.ECInitialization, &messages.ECInitializationContent{Noise: plan.Noise, Blocks: plan.Blocks, Reconciliation: plan.Scheme,
		LDPC: &messages.LDPCParams{N: plan.Code.N, K: plan.Code.K, ColumnWeight: plan.Code.ColumnWeight, Seed: plan.Code.Seed}}, messages.ECReady)

	block := func(i int) *messages.ECBlockContent { return mdBlock(t, b, i) }
	// Block 0 without side information, block 1 with one group missing.
	bare := block(0)
	bare.Rotation, bare.Norms = nil, nil
	b.want(messages.ECBlock, bare, messages.ECBlockError)
	b.recon.Accept(0, false)
	short := block(1)
	short.Rotation, short.Norms = short.Rotation[8:], short.Norms[1:]
	b.want(messages.ECBlock, short, messages.ECBlockError)
	b.recon.Accept(1, false)
	for i := 2; i < plan.Blocks; i++ {
		b.want(messages.ECBlock, block(i), messages.ECBlockAck)
		b.recon.Accept(i, true)
	}
	b.ecVerify()
	if st := b.recon.Stats(); st.Decoded != plan.Blocks-2 || st.Failed != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// A quasi-cyclic code named in EC_INITIALIZATION's "qc_ldpc": Alice builds
// the same code from the description, decodes every block from Bob's
// syndromes, rotations and norms, and the verification hash matches. A
// description that names no code (an unknown family, or a block beyond
// the length bound) is EC_DENIED with the field named.
func TestQuasiCyclicBlocks(t *testing.T) {
	b, plan, wire := qcFrame(t)
	for _, bad := range []struct {
		change func(*messages.QCLDPCParams)
		field  string
	}{
		{func(p *messages.QCLDPCParams) { p.Family = 99 }, "family"},
		{func(p *messages.QCLDPCParams) { p.Z = 1 << 21 }, "z"},
	} {
		p := wire
		bad.change(&p)
		c := b.want(messages.ECInitialization, &messages.ECInitializationContent{Noise: plan.Noise, Blocks: plan.Blocks,
			Reconciliation: plan.Scheme, QCLDPC: &p}, messages.ECDenied)
		if msg := c.(*messages.ECDeniedContent).ErrorMessage; !strings.Contains(msg, bad.field) {
			t.Errorf("EC_DENIED %q does not name %s", msg, bad.field)
		}
	}
	b.want(messages.ECInitialization, &messages.ECInitializationContent{Noise: plan.Noise, Blocks: plan.Blocks,
		Reconciliation: plan.Scheme, QCLDPC: &wire}, messages.ECReady)
	for i := 0; i < plan.Blocks; i++ {
		c := mdBlock(t, b, i)
		b.want(messages.ECBlock, c, messages.ECBlockAck)
		b.recon.Accept(i, true)
	}
	b.ecVerify()
	if st := b.recon.Stats(); st.Decoded != plan.Blocks || st.Quadratures != plan.Quadratures() || st.KeyBits != plan.KeyBits() {
		t.Fatalf("stats %+v, plan covers %d quadratures and %d key bits", st, plan.Quadratures(), plan.KeyBits())
	}
}

// qcFrame brings a session to PE_APPROVED and plans several quasi-cyclic
// blocks of the shortest length: Bob, the plan and its EC_INITIALIZATION
// description.
func qcFrame(t *testing.T) (*bob, pp.ReconciliationPlan, messages.QCLDPCParams) {
	t.Helper()
	h := newHarness(t, "pipe")
	b := h.bob()
	toPEApproved(b)
	plan := mdPlan(t, b, pp.PlanParams{Seed: 9, MaxBlockLength: pp.MinQCBlockLength})
	if plan.QC == nil || plan.Blocks < 2 {
		t.Fatalf("plan %+v: want several quasi-cyclic blocks", plan)
	}
	q := plan.QC
	return b, plan, messages.QCLDPCParams{Family: q.Family, Z: q.Z, Rows: q.Rows, Shortened: q.Shortened, Punctured: q.Punctured, Seed: int(q.Seed)}
}

// mdPlan plans multidimensional reconciliation of Bob's key quadratures at
// the test link (p gives the seed, block length and codes) and gives Bob the
// reconciler for it.
func mdPlan(t *testing.T, b *bob, p pp.PlanParams) pp.ReconciliationPlan {
	t.Helper()
	y := b.keyQuadratures()
	snr, err := pp.SNR(b.params)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := pp.ChannelFromParams(b.params)
	p.KeyQuadratures, p.SNR, p.Noise, p.Scheme = len(y), snr, ch.Noise, pp.SchemeMultidimensional
	plan, err := pp.PlanReconciliation(p)
	if err != nil {
		t.Fatal(err)
	}
	if b.recon, err = pp.NewBobReconciler(plan, y); err != nil {
		t.Fatal(err)
	}
	return plan
}

// blockParts is Bob's syndrome and side information of block i.
func blockParts(t *testing.T, b *bob, i int) ([]uint8, pp.BlockSideInfo) {
	t.Helper()
	syn, err := b.recon.Syndrome(i)
	if err != nil {
		t.Fatal(err)
	}
	side, err := b.recon.SideInfo(i)
	if err != nil {
		t.Fatal(err)
	}
	return syn, side
}

// mdBlock is Bob's EC_BLOCK for block i as his station sends it: syndrome,
// block hash, rotations and norms.
func mdBlock(t *testing.T, b *bob, i int) *messages.ECBlockContent {
	t.Helper()
	syn, side := blockParts(t, b, i)
	c := messages.NewECBlock(i, syn)
	c.Rotation, c.Norms, c.Hash = side.Rotation, side.Norms, side.Hash
	return c
}

// A packed batch: EC_READY offers the packed encoding; one EC_BLOCK carries
// several blocks, Alice decodes them together and EC_BLOCK_ACK names the
// blocks that failed (here one whose block hash is not Bob's word's, and one
// beyond the plan); a batch
// in which every block fails (here a block already decided) is
// EC_BLOCK_ERROR; EC_VERIFICATION then succeeds on the block that decoded.
func TestPackedBatch(t *testing.T) {
	b, plan, wire := qcFrame(t)
	ready := b.want(messages.ECInitialization, &messages.ECInitializationContent{Noise: plan.Noise, Blocks: plan.Blocks,
		Reconciliation: plan.Scheme, QCLDPC: &wire}, messages.ECReady)
	r, _ := ready.(*messages.ECReadyContent)
	if r == nil || r.Encoding != messages.EncodingPacked || r.Batch < plan.Blocks {
		t.Fatalf("EC_READY %s: want the packed encoding and room for %d blocks", describe(ready), plan.Blocks)
	}
	item := func(i int) messages.ECBlockItem {
		c := mdBlock(t, b, i)
		syn, _ := pp.BitsFromNumbers(c.Syndrome)
		return messages.ECBlockItem{Block: i, Syndrome: messages.PackBits(syn), SyndromeBits: len(syn), Hash: c.Hash,
			Rotation: messages.PackFloat32s(c.Rotation), Norms: messages.PackFloat32s(c.Norms)}
	}
	var batch []messages.ECBlockItem
	for i := 0; i < plan.Blocks; i++ {
		it := item(i)
		if i == 0 {
			it.Hash = it.Hash%(1<<32) + 1 // not the hash of Bob's word
		}
		batch = append(batch, it)
	}
	// A block beyond the plan, whose syndrome would not fit it either: failed
	// before anything is unpacked.
	beyond := messages.ECBlockItem{Block: plan.Blocks, Syndrome: messages.PackBits(make([]uint8, 9)), SyndromeBits: 9}
	ack := b.want(messages.ECBlock, &messages.ECBlockContent{Batch: append(batch, beyond)}, messages.ECBlockAck)
	a, _ := ack.(*messages.ECBlockAckContent)
	if a == nil || len(a.Failed) != 2 || a.Failed[0] != 0 || a.Failed[1] != plan.Blocks {
		t.Fatalf("EC_BLOCK_ACK %s, want failed [0 %d]", describe(ack), plan.Blocks)
	}
	for i := 0; i < plan.Blocks; i++ {
		b.recon.Accept(i, i != 0)
	}
	b.want(messages.ECBlock, &messages.ECBlockContent{Batch: batch[1:2]}, messages.ECBlockError) // decided already
	b.ecVerify()
	if st := b.recon.Stats(); st.Decoded != plan.Blocks-1 || st.Failed != 1 {
		t.Fatalf("stats %+v", st)
	}
}
