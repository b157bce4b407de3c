package alice

import (
	"testing"

	"github.com/qosst/qosst-go/messages"
)

const benchIndices = 10_000

// BenchmarkPESymbolsRequest is one PE_SYMBOLS_REQUEST of 10^4 indices
// answered by Alice over the in-memory transport: client encode, frame,
// Alice's receive, typed decode, dispatch, gathering, response encode,
// frame, client receive and decode.
func BenchmarkPESymbolsRequest(b *testing.B) {
	h := newHarness(b, "pipe", func(s *setup) { s.cfg.Frame.Quantum.NumSymbols = 100_000 })
	c := h.bob()
	c.identify()
	c.initialize()
	c.want(messages.QIERequest, nil, messages.QIEReady)
	c.want(messages.QIETrigger, nil, messages.QIEEmissionStarted)
	c.want(messages.QIEAcquisitionEnded, nil, messages.QIEEnded)
	req := &messages.PESymbolsRequestContent{Indices: make([]int, benchIndices)}
	for i := range req.Indices {
		req.Indices[i] = i * 7
	}
	raw, _ := messages.EncodeContent(req)
	b.ReportAllocs()
	for b.Loop() {
		if got, _ := c.raw(messages.PESymbolsRequest, raw); got != messages.PESymbolsResponse {
			b.Fatalf("answer %s", got)
		}
	}
}

// BenchmarkPESymbolsCodecBaseline is the codec work of the same exchange
// without a session or Alice: decode the request, encode the response,
// decode it. The difference with BenchmarkPESymbolsRequest is the cost of
// the transport and of Alice herself.
func BenchmarkPESymbolsCodecBaseline(b *testing.B) {
	req := &messages.PESymbolsRequestContent{Indices: make([]int, benchIndices)}
	for i := range req.Indices {
		req.Indices[i] = i * 7
	}
	raw, _ := messages.EncodeContent(req)
	sym := make([]complex128, benchIndices)
	for i := range sym {
		sym[i] = complex(float64(i)*0.001-1.3, 0.7-float64(i)*0.0003)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := messages.DecodeContent(messages.PESymbolsRequest, raw); err != nil {
			b.Fatal(err)
		}
		out, err := messages.EncodeContent(messages.NewPESymbolsResponse(sym))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := messages.DecodeContent(messages.PESymbolsResponse, out); err != nil {
			b.Fatal(err)
		}
	}
}
