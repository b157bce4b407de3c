package fsm

import (
	"errors"
	"testing"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

func TestTrackerFollowsAWholeFrame(t *testing.T) {
	tr := NewTracker()
	frame := []step{
		{messages.IdentificationRequest, messages.IdentificationResponse},
		{messages.InitializationRequest, messages.InitializationProposal},
		{messages.InitializationRequestConfig, messages.InitializationConfig},
		{messages.InitializationRequest, messages.InitializationAccepted},
		{messages.RequestPolarisationRecovery, messages.PolarisationRecoveryAck},
		{messages.EndPolarisationRecovery, messages.PolarisationRecoveryEnded},
		{messages.QIERequest, messages.QIEReady},
		{messages.QIETrigger, messages.QIEEmissionStarted},
		{messages.QIEAcquisitionEnded, messages.QIEEnded},
		{messages.PESymbolsRequest, messages.PESymbolsResponse},
		{messages.PESymbolsRequest, messages.PESymbolsResponse},
		{messages.PENphotonRequest, messages.PENphotonResponse},
		{messages.PEFinished, messages.PEApproved},
		{messages.ECInitialization, messages.ECReady},
		{messages.ECBlock, messages.ECBlockAck},
		{messages.ECVerification, messages.ECVerificationSuccess},
		{messages.PARequest, messages.PASuccess},
		{messages.FrameEnded, messages.FrameEndedAck},
		{messages.Disconnection, messages.DisconnectionAck},
	}
	want := []states.State{states.Identified, states.Identified, states.Identified, states.Initialized,
		states.Polarising, states.Initialized, states.QIEReady, states.Emitting, states.PE, states.PE, states.PE,
		states.PE, states.PEApproved, states.EC, states.EC, states.ECDone, states.PADone, states.Identified, states.Closed}
	for i, st := range frame {
		if err := tr.CanSend(st.req); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got, err := tr.Receive(st.req, st.resp)
		if err != nil || got.Next != want[i] || tr.State() != want[i] {
			t.Fatalf("step %d %s/%s: → %s (%v), want %s", i, st.req, st.resp, tr.State(), err, want[i])
		}
		if st.resp == messages.FrameEndedAck && got.Frame != qosst.FrameComplete {
			t.Errorf("FRAME_ENDED_ACK does not complete the frame: %s", got.Frame)
		}
	}
}

func TestTrackerRefusesIllegalRequests(t *testing.T) {
	tr := NewTracker()
	err := tr.CanSend(messages.QIERequest)
	var ue *UnexpectedError
	if !errors.Is(err, ErrUnexpected) || !errors.As(err, &ue) || ue.State != states.Connected {
		t.Fatalf("QIE_REQUEST in connected: %v", err)
	}
}

func TestTrackerOffTableResponse(t *testing.T) {
	tr := NewTracker()
	if _, err := tr.Receive(messages.IdentificationRequest, messages.IdentificationResponse); err != nil {
		t.Fatal(err)
	}
	for _, resp := range []messages.Code{messages.QIEReady, messages.FrameEndedAck, messages.InitializationConfig, 999} {
		_, err := tr.Receive(messages.InitializationRequest, resp)
		if !errors.Is(err, ErrOffTable) || tr.State() != states.Identified {
			t.Errorf("INITIALIZATION_REQUEST answered %s: %v, state %s", resp, err, tr.State())
		}
	}
}

func TestTrackerDerivedAndAbortAnswers(t *testing.T) {
	tr := NewTracker()
	for _, st := range pathToTracker(t, states.EC) {
		if _, err := tr.Receive(st.req, st.resp); err != nil {
			t.Fatal(err)
		}
	}
	for _, resp := range []messages.Code{messages.UnkownCommand, messages.UnexpectedCommand, messages.InvalidContent} {
		_, err := tr.Receive(messages.ECBlock, resp)
		if !errors.Is(err, ErrRejected) || tr.State() != states.EC {
			t.Errorf("%s: %v, state %s", resp, err, tr.State())
		}
	}
	got, err := tr.Receive(messages.ECBlock, messages.Abort)
	if err != nil || got.Frame != qosst.FrameDropped || tr.State() != states.Identified {
		t.Fatalf("Alice's ABORT: %+v %v", got, err)
	}
	for _, st := range pathToTracker(t, states.PE)[1:] {
		if _, err := tr.Receive(st.req, st.resp); err != nil {
			t.Fatal(err)
		}
	}
	got, err = tr.Receive(messages.PESymbolsRequest, messages.AuthenticationInvalid)
	if err != nil || got.Frame != qosst.FrameDropped || tr.State() != states.Connected {
		t.Fatalf("AUTHENTICATION_INVALID: %+v %v, state %s", got, err, tr.State())
	}
	if err := tr.CanSend(messages.PESymbolsRequest); err == nil {
		t.Fatal("request allowed before identifying again")
	}
	tr.Reset()
	if tr.State() != states.Connected {
		t.Fatal("reset")
	}
}

func pathToTracker(t *testing.T, s states.State) []step { return pathTo(t, s) }
