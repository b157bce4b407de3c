// Package conform owns the conformance checker for QOSST servers: a numbered
// suite of cases, each citing the part of the protocol it checks, run
// against any server (ours or the Python reference) over fresh connections
// with a bounded time per case. The checker speaks the wire itself (frames,
// digests, challenges) so that it can also send what a well-behaved client
// never would: unknown codes, malformed frames, bad digests, replayed or
// wrong challenges, oversized or stalled frames.
package conform
