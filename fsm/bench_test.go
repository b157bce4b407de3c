package fsm

import (
	"context"
	"testing"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// The engine's cost per request, against the baseline of what any server
// does anyway: decode the content and call the handler.

var benchRaw = []byte(`{"indices": [1, 57, 17, 90, 3, 1000, 2000, 3000, 4000, 5000]}`)

func benchHandler(ctx context.Context, r Request) (Answer, error) {
	return Answer{Code: messages.PESymbolsResponse, Content: &messages.PESymbolsResponseContent{
		SymbolsReal: make([]float32, 10), SymbolsImag: make([]float32, 10)}}, nil
}

func BenchmarkDispatch(b *testing.B) {
	sc := &script{}
	e, _ := newTestEngine(&testing.T{}, sc, nil)
	for _, st := range pathTo(&testing.T{}, states.PE) {
		sc.push(st.req, st.resp)
		e.Dispatch(context.Background(), st.req, sample(st.req))
	}
	mux := NewMux()
	mux.Handle(messages.PESymbolsRequest, benchHandler)
	e.cfg.Handlers = mux
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := e.Dispatch(ctx, messages.PESymbolsRequest, benchRaw)
		if err != nil || r.Code != messages.PESymbolsResponse {
			b.Fatal(r.Code, err)
		}
	}
}

func BenchmarkBaselineDecodeAndHandle(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := messages.DecodeContent(messages.PESymbolsRequest, benchRaw)
		if err != nil {
			b.Fatal(err)
		}
		a, _ := benchHandler(ctx, Request{State: states.PE, Code: messages.PESymbolsRequest, Content: c})
		if a.Code != messages.PESymbolsResponse {
			b.Fatal(a.Code)
		}
	}
}

func BenchmarkDispatchUnexpected(b *testing.B) {
	e := New(Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, _ := e.Dispatch(ctx, messages.PARequest, nil)
		if r.Code != messages.UnexpectedCommand {
			b.Fatal(r.Code)
		}
	}
}
