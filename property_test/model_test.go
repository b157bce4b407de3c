package property_test

import (
	"maps"

	m "github.com/qosst/qosst-go/messages"
)

// mstate is the model's state. The model is written from the protocol's
// prose (DESIGN.md's table and the QOSST spec) as a plain switch, without
// reading package qosst, so that a wrong table cannot agree with itself.
type mstate string

const (
	mConnected   mstate = "connected"
	mIdentified  mstate = "identified"
	mInitialized mstate = "initialized"
	mPolarising  mstate = "polarising"
	mQIEReady    mstate = "qie_ready"
	mEmitting    mstate = "emitting"
	mPE          mstate = "pe"
	mPEApproved  mstate = "pe_approved"
	mEC          mstate = "ec"
	mECDone      mstate = "ec_done"
	mPADone      mstate = "pa_done"
	mClosed      mstate = "closed"
)

// outcomes maps each allowed response to the state it leads to.
type outcomes map[m.Code]mstate

// model predicts Alice's answers.
type model struct{ s mstate }

// afterAbort is where a dropped frame leaves the session.
func (md *model) afterAbort() mstate {
	if md.s == mConnected {
		return mConnected
	}
	return mIdentified
}

// The answers shared by several states.
var (
	identifyAnswers   = outcomes{m.IdentificationResponse: mIdentified, m.InvalidQOSSTVersion: mConnected}
	initializeAnswers = outcomes{m.InitializationAccepted: mInitialized, m.InitializationDenied: mIdentified, m.InitializationProposal: mIdentified}
)

// allowed returns the answers the protocol allows to a legal request, or
// nil when the request is not legal in the current state.
func (md *model) allowed(req m.Code) outcomes {
	if md.s == mClosed {
		return nil
	}
	switch req {
	case m.Abort:
		return outcomes{m.AbortAck: md.afterAbort()}
	case m.Disconnection:
		return outcomes{m.DisconnectionAck: mClosed}
	case m.InvalidResponse:
		return outcomes{m.InvalidResponseAck: md.s}
	}
	var o outcomes
	params := outcomes{m.ParameterChanged: md.s, m.ParameterUnkown: md.s, m.ParameterInvalidValue: md.s, m.ParameterUnchanged: md.s}
	switch md.s {
	case mConnected:
		if req == m.IdentificationRequest {
			o = identifyAnswers
		}
	case mIdentified:
		switch req {
		case m.IdentificationRequest:
			o = identifyAnswers
		case m.InitializationRequest:
			o = initializeAnswers
		case m.InitializationRequestConfig:
			o = outcomes{m.InitializationConfig: mIdentified}
		case m.ChangeParameterRequest:
			o = params
		case m.FrameEnded:
			// Key recovery: Alice holds the key (ACK) or not (ABORT).
			o = outcomes{m.FrameEndedAck: mIdentified}
		}
	case mInitialized:
		switch req {
		case m.IdentificationRequest:
			o = identifyAnswers
		case m.InitializationRequest:
			o = initializeAnswers
		case m.ChangeParameterRequest:
			o = params
		case m.RequestPolarisationRecovery:
			o = outcomes{m.PolarisationRecoveryAck: mPolarising}
		case m.QIERequest:
			o = outcomes{m.QIEReady: mQIEReady}
		}
	case mPolarising:
		if req == m.EndPolarisationRecovery {
			o = outcomes{m.PolarisationRecoveryEnded: mInitialized}
		}
	case mQIEReady:
		if req == m.QIETrigger {
			o = outcomes{m.QIEEmissionStarted: mEmitting}
		}
	case mEmitting:
		if req == m.QIEAcquisitionEnded {
			o = outcomes{m.QIEEnded: mPE}
		}
	case mPE:
		switch req {
		case m.PESymbolsRequest:
			o = outcomes{m.PESymbolsResponse: mPE, m.PESymbolsError: mPE}
		case m.PENphotonRequest:
			o = outcomes{m.PENphotonResponse: mPE}
		case m.PEFinished:
			o = outcomes{m.PEApproved: mPEApproved, m.PEDenied: mIdentified}
		}
	case mPEApproved:
		if req == m.ECInitialization {
			o = outcomes{m.ECReady: mEC, m.ECDenied: mPEApproved}
		}
	case mEC:
		switch req {
		case m.ECBlock:
			o = outcomes{m.ECBlockAck: mEC, m.ECBlockError: mEC}
		case m.ECRemaining:
			o = outcomes{m.ECRemainingAck: mEC, m.ECRemainingError: mEC}
		case m.ECVerification:
			o = outcomes{m.ECVerificationSuccess: mECDone, m.ECVerificationFail: mEC}
		}
	case mECDone:
		if req == m.PARequest {
			o = outcomes{m.PASuccess: mPADone, m.PAError: mECDone}
		}
	case mPADone:
		if req == m.FrameEnded {
			o = outcomes{m.FrameEndedAck: mIdentified}
		}
	}
	if o != nil {
		o = maps.Clone(o)
		o[m.Abort] = md.afterAbort() // Alice may abort any request
	}
	return o
}

// forward is the request that moves a frame on from each state.
var forward = map[mstate]m.Code{
	mConnected:   m.IdentificationRequest,
	mIdentified:  m.InitializationRequest,
	mInitialized: m.QIERequest,
	mPolarising:  m.EndPolarisationRecovery,
	mQIEReady:    m.QIETrigger,
	mEmitting:    m.QIEAcquisitionEnded,
	mPE:          m.PEFinished,
	mPEApproved:  m.ECInitialization,
	mEC:          m.ECVerification,
	mECDone:      m.PARequest,
	mPADone:      m.FrameEnded,
}
