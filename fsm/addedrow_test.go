package fsm

import (
	"context"
	"strings"
	"testing"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// withPolarisationFromIdentified is the protocol plus one row written only
// here: polarisation recovery asked before any frame, which begins one.
func withPolarisationFromIdentified(t *testing.T) *qosst.Table {
	t.Helper()
	if qosst.IsLegal(states.Identified, messages.RequestPolarisationRecovery) {
		t.Fatal("the test row is already in the protocol")
	}
	row := qosst.Row{State: states.Identified, Request: messages.RequestPolarisationRecovery, Responses: []qosst.Response{
		{Code: messages.PolarisationRecoveryAck, Next: states.Polarising, Frame: qosst.FrameBegun, Verdict: qosst.Answered},
	}}
	tab, err := qosst.New(append(qosst.Rows(), row), qosst.EveryStateRows())
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// A row added to the table is legal in its state for the engine and the
// tracker, moves both machines, runs the state and frame callbacks, and
// gets its edge in every diagram, with no other edit.
func TestAddedRowDrivesEngineTrackerAndDiagrams(t *testing.T) {
	tab := withPolarisationFromIdentified(t)
	sc := &script{}
	mux := NewMux()
	for _, s := range states.All() {
		for _, c := range tab.Legal(s) {
			mux.Handle(c, func(ctx context.Context, r Request) (Answer, error) {
				for _, tr := range tab.Answers(r.State, r.Code) {
					return answer(tr.Response), nil
				}
				return sc.handler(ctx, r)
			})
		}
	}
	var entered, left []states.State
	var begun int
	e := New(Config{
		Table:    tab,
		Handlers: mux,
		OnEnter: map[states.State]func(context.Context, Change){
			states.Polarising: func(_ context.Context, c Change) { entered = append(entered, c.To) },
		},
		OnLeave: map[states.State]func(context.Context, Change){
			states.Polarising: func(_ context.Context, c Change) { left = append(left, c.From) },
		},
		OnFrameBegun: func(Change) { begun++ },
	})
	tr := NewTrackerOf(tab)
	ctx := context.Background()
	for _, req := range []messages.Code{messages.IdentificationRequest, messages.RequestPolarisationRecovery, messages.EndPolarisationRecovery} {
		if err := tr.CanSend(req); err != nil {
			t.Fatalf("tracker: %v", err)
		}
		r, err := e.Dispatch(ctx, req, sample(req))
		if err != nil || r.Derived {
			t.Fatalf("%s in %s: %s %v %v", req, r.From, r.Code, err, r.Content)
		}
		if _, err := tr.Receive(req, r.Code); err != nil {
			t.Fatalf("tracker: %s/%s: %v", req, r.Code, err)
		}
	}
	if e.State() != states.Initialized || tr.State() != states.Initialized {
		t.Fatalf("engine in %s, tracker in %s; want initialized", e.State(), tr.State())
	}
	if len(entered) != 1 || len(left) != 1 || begun != 1 {
		t.Fatalf("callbacks: entered %v, left %v, frames begun %d", entered, left, begun)
	}
	// The protocol itself did not change.
	if r, _ := New(Config{}).Dispatch(ctx, messages.RequestPolarisationRecovery, nil); r.Code != messages.UnexpectedCommand {
		t.Fatalf("protocol engine answered %s", r.Code)
	}
	edge := "identified --> polarising : REQUEST_POLARISATION_RECOVERY / POLARISATION_RECOVERY_ACK"
	if !strings.Contains(MermaidOf(tab), edge) || strings.Contains(Mermaid(), edge) {
		t.Errorf("Mermaid edge %q missing from the extended table or present in the protocol", edge)
	}
	if d := DiagramsOf(tab)["identification.mmd"]; !strings.Contains(d, edge) {
		t.Errorf("identification diagram lacks %q:\n%s", edge, d)
	}
	if !strings.Contains(DOTOf(tab), `"identified" -> "polarising" [label="REQUEST_POLARISATION_RECOVERY / POLARISATION_RECOVERY_ACK`) {
		t.Error("DOT edge missing")
	}
}
