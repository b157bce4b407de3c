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
// request legal there and the responses Alice may give, with the next state
// and what happens to the frame in progress.
var table = []Row{
	// identification
	{s.Connected, m.IdentificationRequest, []Response{
		{m.IdentificationResponse, s.Identified, FrameKept},
		{m.InvalidQOSSTVersion, Stay, FrameKept},
	}},
	{s.Identified, m.IdentificationRequest, []Response{
		{m.IdentificationResponse, Stay, FrameKept},
		{m.InvalidQOSSTVersion, s.Connected, FrameKept},
	}},
	{s.Identified, m.InitializationRequest, []Response{
		{m.InitializationAccepted, s.Initialized, FrameBegun},
		{m.InitializationDenied, Stay, FrameKept},
		{m.InitializationProposal, Stay, FrameKept},
	}},
	{s.Identified, m.InitializationRequestConfig, []Response{
		{m.InitializationConfig, Stay, FrameKept},
	}},
	{s.Identified, m.ChangeParameterRequest, []Response{
		{m.ParameterChanged, Stay, FrameKept},
		{m.ParameterUnkown, Stay, FrameKept},
		{m.ParameterInvalidValue, Stay, FrameKept},
		{m.ParameterUnchanged, Stay, FrameKept},
	}},
	// Key recovery (ours): Bob asks about an earlier frame whose
	// FRAME_ENDED_ACK he never received. FRAME_ENDED_ACK: Alice holds that
	// frame's key; ABORT naming the frame: she does not and never will.
	{s.Identified, m.FrameEnded, []Response{
		{m.FrameEndedAck, Stay, FrameKept},
	}},

	// initialization
	{s.Initialized, m.InitializationRequest, []Response{
		{m.InitializationAccepted, Stay, FrameBegun},
		{m.InitializationDenied, s.Identified, FrameDropped},
		{m.InitializationProposal, s.Identified, FrameDropped},
	}},
	{s.Initialized, m.ChangeParameterRequest, []Response{
		{m.ParameterChanged, Stay, FrameKept},
		{m.ParameterUnkown, Stay, FrameKept},
		{m.ParameterInvalidValue, Stay, FrameKept},
		{m.ParameterUnchanged, Stay, FrameKept},
	}},
	{s.Initialized, m.IdentificationRequest, []Response{
		{m.IdentificationResponse, s.Identified, FrameDropped},
		{m.InvalidQOSSTVersion, s.Connected, FrameDropped},
	}},
	{s.Initialized, m.RequestPolarisationRecovery, []Response{
		{m.PolarisationRecoveryAck, s.Polarising, FrameKept},
	}},
	{s.Initialized, m.QIERequest, []Response{
		{m.QIEReady, s.QIEReady, FrameKept},
		{m.Abort, s.Identified, FrameDropped},
	}},

	// polarisation recovery
	{s.Polarising, m.EndPolarisationRecovery, []Response{
		{m.PolarisationRecoveryEnded, s.Initialized, FrameKept},
	}},

	// quantum information exchange
	{s.QIEReady, m.QIETrigger, []Response{
		{m.QIEEmissionStarted, s.Emitting, FrameKept},
	}},
	{s.Emitting, m.QIEAcquisitionEnded, []Response{
		{m.QIEEnded, s.PE, FrameKept},
	}},

	// parameters estimation
	{s.PE, m.PESymbolsRequest, []Response{
		{m.PESymbolsResponse, Stay, FrameKept},
		{m.PESymbolsError, Stay, FrameKept},
	}},
	{s.PE, m.PENphotonRequest, []Response{
		{m.PENphotonResponse, Stay, FrameKept},
	}},
	{s.PE, m.PEFinished, []Response{
		{m.PEApproved, s.PEApproved, FrameKept},
		{m.PEDenied, s.Identified, FrameDropped},
	}},
	{s.PEApproved, m.ECInitialization, []Response{
		{m.ECReady, s.EC, FrameKept},
		{m.ECDenied, Stay, FrameKept},
	}},

	// error correction
	{s.EC, m.ECBlock, []Response{
		{m.ECBlockAck, Stay, FrameKept},
		{m.ECBlockError, Stay, FrameKept},
	}},
	{s.EC, m.ECRemaining, []Response{
		{m.ECRemainingAck, Stay, FrameKept},
		{m.ECRemainingError, Stay, FrameKept},
	}},
	{s.EC, m.ECVerification, []Response{
		{m.ECVerificationSuccess, s.ECDone, FrameKept},
		{m.ECVerificationFail, Stay, FrameKept},
	}},

	// privacy amplification and end of frame
	{s.ECDone, m.PARequest, []Response{
		{m.PASuccess, s.PADone, FrameKept},
		{m.PAError, Stay, FrameKept},
	}},
	{s.PADone, m.FrameEnded, []Response{
		{m.FrameEndedAck, s.Identified, FrameComplete},
	}},
}

// everyState holds in every state but closed (State is left empty).
var everyState = []Row{
	{"", m.Abort, []Response{
		{m.AbortAck, AfterAbort, FrameDropped},
	}},
	{"", m.Disconnection, []Response{
		{m.DisconnectionAck, s.Closed, FrameDropped},
	}},
	{"", m.InvalidResponse, []Response{
		{m.InvalidResponseAck, Stay, FrameKept},
	}},
}

// aliceAbort: Alice may answer ABORT to any request of a phase row (hardware
// failure, operator stop); the frame is dropped and Bob forgets it. The
// requests of everyState are always answered by their acknowledgement.
var aliceAbort = Response{m.Abort, AfterAbort, FrameDropped}

// authFailure: a frame that fails its digest or challenge is answered
// AUTHENTICATION_INVALID; the frame is dropped and the peer must identify
// again.
var authFailure = Response{m.AuthenticationInvalid, s.Connected, FrameDropped}

// derivedAnswers may answer any request; the engine derives them from the
// table and the typed validation, never a handler.
var derivedAnswers = []m.Code{
	m.UnkownCommand,
	m.UnexpectedCommand,
	m.InvalidContent,
	m.AuthenticationInvalid,
}
