package messages

import (
	"maps"
	"slices"
	"strconv"
)

// QOSSTVersion is the protocol version this vocabulary is, as carried in
// IDENTIFICATION_REQUEST and INVALID_QOSST_VERSION.
const QOSSTVersion = "QOSST/0.2"

// Code is a QOSST/0.2 message code as carried in the frame header. Codes that
// are not listed below are not QOSST codes: Known reports false for them and a
// receiver answers them with UNKOWN_COMMAND.
type Code int

// The QOSST/0.2 codes of qosst-core 0.10. Names follow the wire spelling,
// including its typos (UNKOWN_COMMAND, PARAMETER_UNKOWN), in String.
const (
	UnkownCommand               Code = 10
	UnexpectedCommand           Code = 11
	InvalidContent              Code = 12
	InvalidResponse             Code = 13
	InvalidResponseAck          Code = 14
	Abort                       Code = 15
	AbortAck                    Code = 16
	AuthenticationInvalid       Code = 17
	ChangeParameterRequest      Code = 50
	ParameterChanged            Code = 51
	ParameterUnkown             Code = 52
	ParameterInvalidValue       Code = 53
	ParameterUnchanged          Code = 54
	RequestPolarisationRecovery Code = 70
	PolarisationRecoveryAck     Code = 71
	EndPolarisationRecovery     Code = 72
	PolarisationRecoveryEnded   Code = 73
	IdentificationRequest       Code = 100
	IdentificationResponse      Code = 101
	InvalidQOSSTVersion         Code = 102
	InitializationRequest       Code = 120
	InitializationAccepted      Code = 121
	InitializationDenied        Code = 122
	InitializationProposal      Code = 123
	InitializationRequestConfig Code = 124
	InitializationConfig        Code = 125
	QIERequest                  Code = 140
	QIEReady                    Code = 141
	QIETrigger                  Code = 142
	QIEEmissionStarted          Code = 143
	QIEAcquisitionEnded         Code = 144
	QIEEnded                    Code = 145
	PESymbolsRequest            Code = 160
	PESymbolsResponse           Code = 161
	PESymbolsError              Code = 162
	PENphotonRequest            Code = 163
	PENphotonResponse           Code = 164
	PEFinished                  Code = 165
	PEApproved                  Code = 166
	PEDenied                    Code = 167
	ECInitialization            Code = 180
	ECReady                     Code = 181
	ECDenied                    Code = 182
	ECBlock                     Code = 183
	ECBlockAck                  Code = 184
	ECBlockError                Code = 185
	ECRemaining                 Code = 186
	ECRemainingAck              Code = 187
	ECRemainingError            Code = 188
	ECVerification              Code = 189
	ECVerificationSuccess       Code = 190
	ECVerificationFail          Code = 191
	PARequest                   Code = 200
	PASuccess                   Code = 201
	PAError                     Code = 202
	FrameEnded                  Code = 220
	FrameEndedAck               Code = 221
	Disconnection               Code = 222
	DisconnectionAck            Code = 223
)

var codeNames = map[Code]string{
	UnkownCommand:               "UNKOWN_COMMAND",
	UnexpectedCommand:           "UNEXPECTED_COMMAND",
	InvalidContent:              "INVALID_CONTENT",
	InvalidResponse:             "INVALID_RESPONSE",
	InvalidResponseAck:          "INVALID_RESPONSE_ACK",
	Abort:                       "ABORT",
	AbortAck:                    "ABORT_ACK",
	AuthenticationInvalid:       "AUTHENTICATION_INVALID",
	ChangeParameterRequest:      "CHANGE_PARAMETER_REQUEST",
	ParameterChanged:            "PARAMETER_CHANGED",
	ParameterUnkown:             "PARAMETER_UNKOWN",
	ParameterInvalidValue:       "PARAMETER_INVALID_VALUE",
	ParameterUnchanged:          "PARAMETER_UNCHANGED",
	RequestPolarisationRecovery: "REQUEST_POLARISATION_RECOVERY",
	PolarisationRecoveryAck:     "POLARISATION_RECOVERY_ACK",
	EndPolarisationRecovery:     "END_POLARISATION_RECOVERY",
	PolarisationRecoveryEnded:   "POLARISATION_RECOVERY_ENDED",
	IdentificationRequest:       "IDENTIFICATION_REQUEST",
	IdentificationResponse:      "IDENTIFICATION_RESPONSE",
	InvalidQOSSTVersion:         "INVALID_QOSST_VERSION",
	InitializationRequest:       "INITIALIZATION_REQUEST",
	InitializationAccepted:      "INITIALIZATION_ACCEPTED",
	InitializationDenied:        "INITIALIZATION_DENIED",
	InitializationProposal:      "INITIALIZATION_PROPOSAL",
	InitializationRequestConfig: "INITIALIZATION_REQUEST_CONFIG",
	InitializationConfig:        "INITIALIZATION_CONFIG",
	QIERequest:                  "QIE_REQUEST",
	QIEReady:                    "QIE_READY",
	QIETrigger:                  "QIE_TRIGGER",
	QIEEmissionStarted:          "QIE_EMISSION_STARTED",
	QIEAcquisitionEnded:         "QIE_ACQUISITION_ENDED",
	QIEEnded:                    "QIE_ENDED",
	PESymbolsRequest:            "PE_SYMBOLS_REQUEST",
	PESymbolsResponse:           "PE_SYMBOLS_RESPONSE",
	PESymbolsError:              "PE_SYMBOLS_ERROR",
	PENphotonRequest:            "PE_NPHOTON_REQUEST",
	PENphotonResponse:           "PE_NPHOTON_RESPONSE",
	PEFinished:                  "PE_FINISHED",
	PEApproved:                  "PE_APPROVED",
	PEDenied:                    "PE_DENIED",
	ECInitialization:            "EC_INITIALIZATION",
	ECReady:                     "EC_READY",
	ECDenied:                    "EC_DENIED",
	ECBlock:                     "EC_BLOCK",
	ECBlockAck:                  "EC_BLOCK_ACK",
	ECBlockError:                "EC_BLOCK_ERROR",
	ECRemaining:                 "EC_REMAINING",
	ECRemainingAck:              "EC_REMAINING_ACK",
	ECRemainingError:            "EC_REMAINING_ERROR",
	ECVerification:              "EC_VERIFICATION",
	ECVerificationSuccess:       "EC_VERIFICATION_SUCCESS",
	ECVerificationFail:          "EC_VERIFICATION_FAIL",
	PARequest:                   "PA_REQUEST",
	PASuccess:                   "PA_SUCCESS",
	PAError:                     "PA_ERROR",
	FrameEnded:                  "FRAME_ENDED",
	FrameEndedAck:               "FRAME_ENDED_ACK",
	Disconnection:               "DISCONNECTION",
	DisconnectionAck:            "DISCONNECTION_ACK",
}

// allCodes lists every QOSST code in ascending order.
var allCodes = slices.Sorted(maps.Keys(codeNames))

// Known reports whether c is a QOSST/0.2 code.
func (c Code) Known() bool {
	_, ok := codeNames[c]
	return ok
}

// String returns the wire name of the code (e.g. "IDENTIFICATION_REQUEST"),
// or "CODE(n)" for a number that is not a QOSST code.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "CODE(" + strconv.Itoa(int(c)) + ")"
}

// AllCodes returns every QOSST/0.2 code in ascending order. The slice is a
// fresh copy.
func AllCodes() []Code {
	return append([]Code(nil), allCodes...)
}
