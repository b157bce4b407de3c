package conform_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qosst/qosst-go/conform"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
)

// referenceAlice behaves like qosst-alice 0.10 as PROTOCOL-NOTES.md
// describes it: a handful of flags instead of states, no configuration
// negotiation, no error correction nor privacy amplification (it answers
// UNEXPECTED_COMMAND), only PARAMETER_CHANGED and PARAMETER_UNKOWN, and an
// authentication failure that does not force a new identification.
type referenceAlice struct {
	wg sync.WaitGroup
}

func (ra *referenceAlice) serve(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		ra.wg.Add(1)
		go func() {
			defer ra.wg.Done()
			ra.session(transport.NewSession(conn, transport.Options{
				IdleTimeout: 30 * time.Second, FrameTimeout: 2 * time.Second,
				Limits: messages.Limits{MaxContent: 1 << 20},
			}))
		}()
	}
}

func (ra *referenceAlice) session(s *transport.Session) {
	defer s.Close()
	var identified, initialized, qieReady, emitting, qieEnded bool
	params := map[string]any{"frame.quantum.roll_off": 0.5, "frame.quantum.num_symbols": 1000000.0, "serial_number": "ref-alice"}
	send := func(code messages.Code, c messages.Content) error {
		return s.SendContent(context.Background(), code, c)
	}
	unexpected := func(code messages.Code) error {
		return send(messages.UnexpectedCommand, &messages.UnexpectedCommandContent{Command: code})
	}
	for {
		m, err := s.Recv()
		switch {
		case errors.Is(err, messages.ErrDisconnected):
			return
		case errors.Is(err, messages.ErrAuthentication):
			if send(messages.AuthenticationInvalid, nil) != nil {
				return
			}
			continue
		case errors.Is(err, messages.ErrUnknownCode):
			if send(messages.UnkownCommand, &messages.UnkownCommandContent{Command: m.Code}) != nil {
				return
			}
			continue
		case errors.Is(err, messages.ErrFrame):
			if send(messages.InvalidContent, &messages.InvalidContentContent{Command: m.Code}) != nil {
				return
			}
			continue
		case err != nil:
			return
		}
		// Like the reference, content is read only by the branches that use it.
		var c messages.Content
		var derr error
		switch m.Code {
		case messages.IdentificationRequest, messages.InitializationRequest, messages.ChangeParameterRequest,
			messages.PESymbolsRequest, messages.PEFinished:
			c, derr = m.Decode()
		}
		if derr != nil {
			if send(messages.InvalidContent, &messages.InvalidContentContent{Command: m.Code, ErrorMessage: derr.Error()}) != nil {
				return
			}
			continue
		}
		code := m.Code
		var serr error
		switch {
		case code == messages.IdentificationRequest:
			if c.(*messages.IdentificationRequestContent).QOSSTVersion != "QOSST/0.2" {
				serr = send(messages.InvalidQOSSTVersion, &messages.InvalidQOSSTVersionContent{QOSSTVersion: "QOSST/0.2"})
			} else {
				identified = true
				serr = send(messages.IdentificationResponse, &messages.IdentificationResponseContent{SerialNumber: "ref-alice"})
			}
		case code == messages.Abort:
			initialized, qieReady, emitting, qieEnded = false, false, false, false
			serr = send(messages.AbortAck, nil)
		case code == messages.Disconnection:
			send(messages.DisconnectionAck, nil)
			return
		case code == messages.InvalidResponse:
			serr = send(messages.InvalidResponseAck, nil)
		case !identified:
			serr = unexpected(code)
		case code == messages.InitializationRequest && !qieReady && !emitting && !qieEnded:
			initialized = true // every parameter is accepted: no negotiation
			serr = send(messages.InitializationAccepted, nil)
		case code == messages.ChangeParameterRequest && !qieReady && !emitting && !qieEnded:
			p := c.(*messages.ChangeParameterRequestContent)
			if old, ok := params[p.Parameter]; ok {
				params[p.Parameter] = p.Value
				serr = send(messages.ParameterChanged, &messages.ParameterChangedContent{Parameter: p.Parameter, OldValue: old, NewValue: p.Value})
			} else {
				serr = send(messages.ParameterUnkown, &messages.ParameterUnkownContent{Parameter: p.Parameter})
			}
		case code == messages.RequestPolarisationRecovery && initialized && !qieReady:
			serr = send(messages.PolarisationRecoveryAck, nil)
		case code == messages.EndPolarisationRecovery && initialized:
			serr = send(messages.PolarisationRecoveryEnded, nil)
		case code == messages.QIERequest && initialized && !qieReady && !emitting && !qieEnded:
			qieReady = true
			serr = send(messages.QIEReady, nil)
		case code == messages.QIETrigger && qieReady:
			qieReady, emitting = false, true
			serr = send(messages.QIEEmissionStarted, nil)
		case code == messages.QIEAcquisitionEnded && emitting:
			emitting, qieEnded = false, true
			serr = send(messages.QIEEnded, nil)
		case code == messages.PESymbolsRequest && qieEnded:
			idx := c.(*messages.PESymbolsRequestContent).Indices
			serr = send(messages.PESymbolsResponse, messages.NewPESymbolsResponse(make([]complex128, len(idx))))
		case code == messages.PENphotonRequest && qieEnded:
			serr = send(messages.PENphotonResponse, &messages.PENphotonResponseContent{NPhoton: 1})
		case code == messages.PEFinished && qieEnded:
			if c.(*messages.PEFinishedContent).KeyRate <= 0 {
				initialized, qieEnded = false, false
				serr = send(messages.PEDenied, &messages.PEDeniedContent{DenyMessage: "Key rate is null."})
			} else {
				serr = send(messages.PEApproved, nil)
			}
		default:
			// INITIALIZATION_REQUEST_CONFIG, EC, PA, FRAME_ENDED, responses...
			serr = unexpected(code)
		}
		if serr != nil {
			return
		}
	}
}

func TestReferenceLikeServerDeviationsListed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ra := &referenceAlice{}
	go ra.serve(l)
	defer func() {
		l.Close()
		ra.wg.Wait()
	}()
	start := time.Now()
	rep := conform.Run(context.Background(), conform.Options{
		Target:       l.Addr().String(),
		CaseTimeout:  10 * time.Second,
		ReplyTimeout: time.Second,
	})
	if len(rep.Results) != len(conform.Cases()) {
		t.Fatalf("ran %d of %d cases", len(rep.Results), len(conform.Cases()))
	}
	var b strings.Builder
	rep.WriteText(&b)
	t.Logf("%s(in %v)", b.String(), time.Since(start).Round(time.Millisecond))
	failed := map[string]conform.Result{}
	for _, r := range rep.Results {
		if !r.Pass {
			if r.Reason == "" {
				t.Errorf("case %d failed without a reason", r.ID)
			}
			failed[r.Name] = r
		}
	}
	// The deviations PROTOCOL-NOTES lists, each with its reason.
	for name, reason := range map[string]string{
		"configuration request":                         "does not negotiate",
		"impossible frame parameters refused":           "does not check the frame parameters",
		"invalid parameter value":                       "PARAMETER_CHANGED",
		"read-only parameter unchanged":                 "PARAMETER_CHANGED",
		"error correction":                              "lacks error correction",
		"privacy amplification only after verification": "unreachable",
		"unexpected codes in ec":                        "could not reach ec",
		"authentication failure drops the frame":        "QIE_READY",
		"key recovery for a frame without a key":        "no key recovery",
	} {
		r, ok := failed[name]
		if !ok {
			t.Errorf("case %q passed against the reference-like server", name)
			continue
		}
		if !strings.Contains(r.Reason, reason) && !strings.Contains(r.Seen, reason) {
			t.Errorf("case %q: reason %q / seen %q lacks %q", name, r.Reason, r.Seen, reason)
		}
	}
	// What the reference does do passes.
	for _, name := range []string{"identification with the same version", "version mismatch", "unknown code before identification",
		"bad digest", "wrong challenge", "replayed frame", "abort in pe", "disconnection in pe", "zero key rate denied",
		"QIE_REQUEST without content", "unknown parameter", "writable parameter changed"} {
		if r, ok := failed[name]; ok {
			t.Errorf("case %q failed: %s (seen %s)", name, r.Reason, r.Seen)
		}
	}
}
