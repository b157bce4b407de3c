package conform

import (
	"slices"
	"testing"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

func codes(steps []step) []messages.Code {
	var out []messages.Code
	for _, s := range steps {
		out = append(out, s.code)
	}
	return out
}

// The way through a frame, derived from the table, is the one the checker
// always took: identification, initialization, QIE, PE with symbols and
// photon number, EC initialization; ec_done and pa_done stay out of reach.
func TestPathFromTheTable(t *testing.T) {
	want := map[states.State][]messages.Code{
		states.Connected:  nil,
		states.Identified: {messages.IdentificationRequest},
		states.Polarising: {messages.IdentificationRequest, messages.InitializationRequest, messages.RequestPolarisationRecovery},
		states.EC: {messages.IdentificationRequest, messages.InitializationRequest, messages.QIERequest, messages.QIETrigger,
			messages.QIEAcquisitionEnded, messages.PESymbolsRequest, messages.PENphotonRequest, messages.PEFinished, messages.ECInitialization},
	}
	for s, w := range want {
		p, ok := path(s)
		if !ok || !slices.Equal(codes(p), w) {
			t.Errorf("path to %s: %v %v, want %v", s, codes(p), ok, w)
		}
		if ok && len(p) > 0 && p[len(p)-1].leads != s {
			t.Errorf("path to %s ends in %s", s, p[len(p)-1].leads)
		}
	}
	got := Reachable()
	wantReach := []states.State{states.Connected, states.Identified, states.Initialized, states.Polarising,
		states.QIEReady, states.Emitting, states.PE, states.PEApproved, states.EC}
	if !slices.Equal(got, wantReach) {
		t.Errorf("Reachable() = %v, want %v", got, wantReach)
	}
	p, _ := path(states.PEApproved)
	if last := p[len(p)-1]; !slices.Equal(last.want, []messages.Code{messages.PEApproved}) {
		t.Errorf("PE_FINISHED step wants %v", last.want)
	}
}

// A row added to the table gets its conformance path with no other edit.
func TestAddedRowGetsItsPath(t *testing.T) {
	row := qosst.Row{State: states.Identified, Request: messages.RequestPolarisationRecovery, Responses: []qosst.Response{
		{Code: messages.PolarisationRecoveryAck, Next: states.Polarising, Frame: qosst.FrameBegun, Verdict: qosst.Answered},
	}}
	tab, err := qosst.New(append(qosst.Rows(), row), qosst.EveryStateRows())
	if err != nil {
		t.Fatal(err)
	}
	p, ok := pathIn(tab, states.Polarising)
	want := []messages.Code{messages.IdentificationRequest, messages.RequestPolarisationRecovery}
	if !ok || !slices.Equal(codes(p), want) {
		t.Fatalf("path to polarising with the added row: %v %v, want %v", codes(p), ok, want)
	}
	if p, _ := path(states.Polarising); len(p) != 3 {
		t.Fatalf("the protocol's path changed: %v", codes(p))
	}
}
