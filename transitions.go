package qosst

import (
	m "github.com/qosst/qosst-go/messages"
	s "github.com/qosst/qosst-go/states"
)

// Stay, as a Response's Next, means the state does not change.
const Stay s.State = ""

// AfterAbort, as a Response's Next, means the state a dropped frame leaves
// the session in: identified, or connected when the peer is not identified.
const AfterAbort s.State = "(identified or connected)"

// table is the protocol (Alice's view; Bob mirrors it): for each state, each
// request legal there and the responses Alice may give, with the next state,
// what happens to the frame in progress, and whether the response refuses
// what the frame cannot do without (Refused: Bob drops the frame). What is
// legal in a state, which states hold a frame, Bob's refusals, the engine's
// events, the conformance checker's way through a frame and the diagrams
// all follow from these rows.
var table = []Row{
	// identification
	{s.Connected, m.IdentificationRequest, []Response{
		{m.IdentificationResponse, s.Identified, FrameKept, Answered},
		{m.InvalidQOSSTVersion, Stay, FrameKept, Answered},
	}},
	{s.Identified, m.IdentificationRequest, []Response{
		{m.IdentificationResponse, Stay, FrameKept, Answered},
		{m.InvalidQOSSTVersion, s.Connected, FrameKept, Answered},
	}},
	{s.Identified, m.InitializationRequest, []Response{
		{m.InitializationAccepted, s.Initialized, FrameBegun, Answered},
		{m.InitializationDenied, Stay, FrameKept, Answered},
		{m.InitializationProposal, Stay, FrameKept, Answered},
	}},
	{s.Identified, m.InitializationRequestConfig, []Response{
		{m.InitializationConfig, Stay, FrameKept, Answered},
	}},
	{s.Identified, m.ChangeParameterRequest, []Response{
		{m.ParameterChanged, Stay, FrameKept, Answered},
		{m.ParameterUnkown, Stay, FrameKept, Answered},
		{m.ParameterInvalidValue, Stay, FrameKept, Answered},
		{m.ParameterUnchanged, Stay, FrameKept, Answered},
	}},
	// Key recovery (ours): Bob asks about an earlier frame whose
	// FRAME_ENDED_ACK he never received. FRAME_ENDED_ACK: Alice holds that
	// frame's key; ABORT naming the frame: she does not and never will.
	{s.Identified, m.FrameEnded, []Response{
		{m.FrameEndedAck, Stay, FrameKept, Answered},
	}},

	// initialization
	{s.Initialized, m.InitializationRequest, []Response{
		{m.InitializationAccepted, Stay, FrameBegun, Answered},
		{m.InitializationDenied, s.Identified, FrameDropped, Answered},
		{m.InitializationProposal, s.Identified, FrameDropped, Answered},
	}},
	{s.Initialized, m.ChangeParameterRequest, []Response{
		{m.ParameterChanged, Stay, FrameKept, Answered},
		{m.ParameterUnkown, Stay, FrameKept, Answered},
		{m.ParameterInvalidValue, Stay, FrameKept, Answered},
		{m.ParameterUnchanged, Stay, FrameKept, Answered},
	}},
	{s.Initialized, m.IdentificationRequest, []Response{
		{m.IdentificationResponse, s.Identified, FrameDropped, Answered},
		{m.InvalidQOSSTVersion, s.Connected, FrameDropped, Answered},
	}},
	{s.Initialized, m.RequestPolarisationRecovery, []Response{
		{m.PolarisationRecoveryAck, s.Polarising, FrameKept, Answered},
	}},
	{s.Initialized, m.QIERequest, []Response{
		{m.QIEReady, s.QIEReady, FrameKept, Answered},
		{m.Abort, s.Identified, FrameDropped, Answered},
	}},

	// polarisation recovery
	{s.Polarising, m.EndPolarisationRecovery, []Response{
		{m.PolarisationRecoveryEnded, s.Initialized, FrameKept, Answered},
	}},

	// quantum information exchange
	{s.QIEReady, m.QIETrigger, []Response{
		{m.QIEEmissionStarted, s.Emitting, FrameKept, Answered},
	}},
	{s.Emitting, m.QIEAcquisitionEnded, []Response{
		{m.QIEEnded, s.PE, FrameKept, Answered},
	}},

	// parameters estimation
	{s.PE, m.PESymbolsRequest, []Response{
		{m.PESymbolsResponse, Stay, FrameKept, Answered},
		{m.PESymbolsError, Stay, FrameKept, Refused},
	}},
	{s.PE, m.PENphotonRequest, []Response{
		{m.PENphotonResponse, Stay, FrameKept, Answered},
	}},
	{s.PE, m.PEFinished, []Response{
		{m.PEApproved, s.PEApproved, FrameKept, Answered},
		{m.PEDenied, s.Identified, FrameDropped, Answered},
	}},
	{s.PEApproved, m.ECInitialization, []Response{
		{m.ECReady, s.EC, FrameKept, Answered},
		{m.ECDenied, Stay, FrameKept, Refused},
	}},

	// error correction
	{s.EC, m.ECBlock, []Response{
		{m.ECBlockAck, Stay, FrameKept, Answered},
		{m.ECBlockError, Stay, FrameKept, Answered},
	}},
	{s.EC, m.ECRemaining, []Response{
		{m.ECRemainingAck, Stay, FrameKept, Answered},
		{m.ECRemainingError, Stay, FrameKept, Refused},
	}},
	{s.EC, m.ECVerification, []Response{
		{m.ECVerificationSuccess, s.ECDone, FrameKept, Answered},
		{m.ECVerificationFail, Stay, FrameKept, Answered},
	}},

	// privacy amplification and end of frame
	{s.ECDone, m.PARequest, []Response{
		{m.PASuccess, s.PADone, FrameKept, Answered},
		{m.PAError, Stay, FrameKept, Refused},
	}},
	{s.PADone, m.FrameEnded, []Response{
		{m.FrameEndedAck, s.Identified, FrameComplete, Answered},
	}},
}

// everyState holds in every state but closed (State is left empty); the
// engine answers these requests with their single response when a station
// registers no handler for them.
var everyState = []Row{
	{"", m.Abort, []Response{
		{m.AbortAck, AfterAbort, FrameDropped, Answered},
	}},
	{"", m.Disconnection, []Response{
		{m.DisconnectionAck, s.Closed, FrameDropped, Answered},
	}},
	{"", m.InvalidResponse, []Response{
		{m.InvalidResponseAck, Stay, FrameKept, Answered},
	}},
}

// aliceAbort: Alice may answer ABORT to any request of a phase row (hardware
// failure, operator stop); the frame is dropped and Bob forgets it. The
// requests of everyState are always answered by their acknowledgement.
var aliceAbort = Response{m.Abort, AfterAbort, FrameDropped, Answered}

// authFailure: a frame that fails its digest or challenge is answered
// AUTHENTICATION_INVALID; the frame is dropped and the peer must identify
// again.
var authFailure = Response{m.AuthenticationInvalid, s.Connected, FrameDropped, Answered}

// derivedAnswers may answer any request; the engine derives them from the
// table and the typed validation, never a handler.
var derivedAnswers = []m.Code{
	m.UnkownCommand,
	m.UnexpectedCommand,
	m.InvalidContent,
	m.AuthenticationInvalid,
}
