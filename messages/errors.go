package messages

import (
	"errors"
	"strconv"
)

// ErrorCode is one of the local error codes of qosst-core (QOSSTErrorCodes).
// They are results of a receive operation and never travel on the wire.
type ErrorCode int

// The four local error codes of qosst-core 0.10.
const (
	SocketDisconnection   ErrorCode = -1 // the peer closed the connection
	FrameError            ErrorCode = -2 // the frame was not well formed
	AuthenticationFailure ErrorCode = -3 // bad signed digest, or wrong or missing challenge
	UnknownCode           ErrorCode = -4 // the code is not a QOSST code
)

// String returns the reference name of the local error code.
func (e ErrorCode) String() string {
	switch e {
	case SocketDisconnection:
		return "SOCKET_DISCONNECTION"
	case FrameError:
		return "FRAME_ERROR"
	case AuthenticationFailure:
		return "AUTHENTICATION_FAILURE"
	case UnknownCode:
		return "UNKOWN_CODE"
	}
	return "ERROR_CODE(" + strconv.Itoa(int(e)) + ")"
}

// Sentinel errors, one per local error code. Errors returned by decoders and
// sessions wrap exactly one of them, so callers branch with errors.Is and map
// back to the reference's numbers with LocalCode.
var (
	ErrDisconnected   = errors.New("socket disconnection")
	ErrFrame          = errors.New("frame error")
	ErrAuthentication = errors.New("authentication failure")
	ErrUnknownCode    = errors.New("unknown code")
)

// LocalCode maps an error to its local error code. It reports false when err
// wraps none of the four sentinels.
func LocalCode(err error) (ErrorCode, bool) {
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, ErrDisconnected):
		return SocketDisconnection, true
	case errors.Is(err, ErrFrame):
		return FrameError, true
	case errors.Is(err, ErrAuthentication):
		return AuthenticationFailure, true
	case errors.Is(err, ErrUnknownCode):
		return UnknownCode, true
	}
	return 0, false
}
