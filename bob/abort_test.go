package bob

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
	"github.com/qosst/qosst-go/transport"
)

// proxied starts Alice behind a tampering proxy and returns Bob's driver,
// both key stores and the proxy.
func proxied(t *testing.T, r rule, edit ...func(*Options)) (*Driver, *keystore.Store, *keystore.Store, *proxy) {
	t.Helper()
	c := stationConfig()
	c.Frame.Quantum.NumSymbols = 20_000 // the protocol, not the estimation: still a key per frame
	c.Bob.Run.PolarisationRecovery = true
	l, d := listen(t, "pipe")
	aliceKeys := startAlice(t, c, l)
	p := newProxy(t, d, r)
	drv, bobKeys := newBob(t, c, p.pipe, edit...)
	return drv, aliceKeys, bobKeys, p
}

func runCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noKeys fails when a key directory holds any file but the key database
// (keys.db and its WAL files), or when that database holds a frame.
func noKeys(t *testing.T, who string, s *keystore.Store) {
	t.Helper()
	ents, err := os.ReadDir(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if db := s.DB(); db != nil {
		if st, err := db.Stats(context.Background()); err != nil || st.Frames != 0 {
			t.Errorf("%s's key database holds %d frames (%v)", who, st.Frames, err)
		}
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "keys.db") {
			continue
		}
		t.Errorf("%s kept a file for a dropped frame: %s", who, e.Name())
	}
}

// Alice's ABORT answered to any request of the frame drops it: no key file
// on either side, Bob back in identified, and the next frame completes.
func TestAliceAbortInEachPhase(t *testing.T) {
	for _, code := range []messages.Code{
		messages.InitializationRequest, messages.RequestPolarisationRecovery, messages.EndPolarisationRecovery,
		messages.QIERequest, messages.QIETrigger, messages.QIEAcquisitionEnded,
		messages.PESymbolsRequest, messages.PENphotonRequest, messages.PEFinished,
		messages.ECInitialization, messages.ECBlock, messages.ECVerification,
		messages.PARequest, messages.FrameEnded,
	} {
		t.Run(code.String(), func(t *testing.T) {
			t.Parallel() // each subtest has its own Alice, proxy and key stores
			drv, aliceKeys, bobKeys, _ := proxied(t, func(m transport.Message, seen int) action {
				if m.Code == code && seen == 1 {
					return action{kind: abortBoth}
				}
				return action{}
			})
			ctx := runCtx(t)
			s, err := drv.RunFrame(ctx)
			if !errors.Is(err, ErrAborted) || !errors.Is(s.Err, ErrAborted) {
				t.Fatalf("RunFrame: %v, want ErrAborted", err)
			}
			var pe *PhaseError
			if !errors.As(err, &pe) || pe.Request != code || pe.Message != "operator stop" {
				t.Errorf("error %#v does not name %s and Alice's message", err, code)
			}
			if Fatal(err) {
				t.Error("an abort is fatal to the run")
			}
			if s.KeyBits != 0 || s.KeyFile != "" {
				t.Errorf("dropped frame reports a key: %d bits in %q", s.KeyBits, s.KeyFile)
			}
			noKeys(t, "Bob", bobKeys)
			noKeys(t, "Alice", aliceKeys)
			if st := drv.State(); st != states.Identified {
				t.Errorf("state after the abort %s, want identified", st)
			}
			if code != messages.InitializationRequest && code != messages.FrameEnded {
				return // the recovery is shown once at each end of the frame
			}
			s, err = drv.RunFrame(ctx)
			if err != nil {
				t.Fatalf("next frame: %v", err)
			}
			checkKeys(t, s, aliceKeys, bobKeys)
		})
	}
}

// An answer that is not a row of the table for Bob's request (a known code
// out of place, an unknown code, malformed content) is answered with
// INVALID_RESPONSE; Bob then drops the frame (ABORT) and the run stops.
func TestInvalidResponse(t *testing.T) {
	cases := map[string]action{
		"off-table code": {kind: reply, code: messages.QIEReady},
		"unknown code":   {kind: reply, code: messages.Code(999)},
		"bad content": {rewrite: func(m transport.Message) (messages.Code, []byte) {
			return m.Code, []byte(`{"n_photon": "plenty"}`)
		}},
	}
	for name, act := range cases {
		t.Run(name, func(t *testing.T) {
			trigger := messages.PESymbolsRequest
			if act.rewrite != nil {
				trigger = messages.PENphotonRequest
			}
			drv, aliceKeys, bobKeys, p := proxied(t, func(m transport.Message, seen int) action {
				if m.Code == trigger && seen == 1 {
					return act
				}
				return action{}
			})
			sums, err := drv.Run(runCtx(t), 3)
			if !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("Run: %v, want ErrInvalidResponse", err)
			}
			if len(sums) != 1 {
				t.Errorf("%d frames attempted after an invalid response, want 1", len(sums))
			}
			reqs := p.requests()
			i := indexOf(reqs, messages.InvalidResponse)
			if i < 0 || reqs[i-1] != trigger {
				t.Fatalf("no INVALID_RESPONSE right after %s: %v", trigger, reqs)
			}
			if tail := reqs[i+1:]; len(tail) != 2 || tail[0] != messages.Abort || tail[1] != messages.Disconnection {
				t.Errorf("after INVALID_RESPONSE Bob sent %v, want [ABORT DISCONNECTION]", tail)
			}
			noKeys(t, "Bob", bobKeys)
			noKeys(t, "Alice", aliceKeys)
		})
	}
}

func indexOf(cs []messages.Code, c messages.Code) int {
	for i, x := range cs {
		if x == c {
			return i
		}
	}
	return -1
}

// AUTHENTICATION_INVALID mid-frame: the frame is dropped, Bob identifies
// again at once, and the next frame completes.
func TestAuthenticationInvalidReidentifies(t *testing.T) {
	drv, aliceKeys, bobKeys, p := proxied(t, func(m transport.Message, seen int) action {
		if m.Code == messages.QIETrigger && seen == 1 {
			return action{kind: authInvalid}
		}
		return action{}
	})
	ctx := runCtx(t)
	_, err := drv.RunFrame(ctx)
	if !errors.Is(err, messages.ErrAuthentication) || Fatal(err) {
		t.Fatalf("RunFrame: %v, want a non-fatal ErrAuthentication", err)
	}
	noKeys(t, "Bob", bobKeys)
	reqs := p.requests()
	if last := reqs[len(reqs)-1]; last != messages.IdentificationRequest || p.count(messages.IdentificationRequest) != 2 {
		t.Fatalf("Bob did not identify again after AUTHENTICATION_INVALID: %v", reqs)
	}
	if drv.State() != states.Identified {
		t.Errorf("state %s, want identified", drv.State())
	}
	s, err := drv.RunFrame(ctx)
	if err != nil {
		t.Fatalf("frame after re-identification: %v", err)
	}
	checkKeys(t, s, aliceKeys, bobKeys)
}

// AUTHENTICATION_INVALID to everything: after MaxAuthFailures in a row Bob
// concludes man-in-the-middle and stops the run with that reason.
func TestManInTheMiddle(t *testing.T) {
	drv, _, bobKeys, p := proxied(t, func(m transport.Message, seen int) action {
		if m.Code == messages.Disconnection {
			return action{}
		}
		return action{kind: reply, code: messages.AuthenticationInvalid}
	})
	sums, err := drv.Run(runCtx(t), 10)
	if !errors.Is(err, fsm.ErrManInTheMiddle) || !Fatal(err) {
		t.Fatalf("Run: %v, want ErrManInTheMiddle", err)
	}
	if n := p.count(messages.IdentificationRequest); n != drv.cfg.MaxAuthFailures {
		t.Errorf("%d identification attempts, want %d", n, drv.cfg.MaxAuthFailures)
	}
	if len(sums) != 1 {
		t.Errorf("%d frames attempted, want 1", len(sums))
	}
	noKeys(t, "Bob", bobKeys)

	// A failure budget of 1 stops at the first failure, mid-frame too.
	drv2, _, _, p2 := proxied(t, func(m transport.Message, seen int) action {
		if m.Code == messages.PEFinished {
			return action{kind: authInvalid}
		}
		return action{}
	}, func(o *Options) { o.Config.MaxAuthFailures = 1 })
	if _, err := drv2.Run(runCtx(t), 5); !errors.Is(err, fsm.ErrManInTheMiddle) {
		t.Fatalf("Run with budget 1: %v", err)
	}
	if n := p2.count(messages.IdentificationRequest); n != 1 {
		t.Errorf("%d identifications with a budget of 1", n)
	}
}

// An answer of Alice that fails Bob's own integrity check (bad digest):
// Bob drops the frame, tells Alice (ABORT: she still holds it), identifies
// again, and the next frame completes.
func TestLocalAuthenticationFailure(t *testing.T) {
	drv, aliceKeys, bobKeys, p := proxied(t, func(m transport.Message, seen int) action {
		if m.Code == messages.PENphotonRequest && seen == 1 {
			return action{kind: corrupt}
		}
		return action{}
	})
	ctx := runCtx(t)
	_, err := drv.RunFrame(ctx)
	if !errors.Is(err, messages.ErrAuthentication) || Fatal(err) {
		t.Fatalf("RunFrame: %v, want a non-fatal authentication failure", err)
	}
	reqs := p.requests()
	i := indexOf(reqs, messages.PENphotonRequest)
	if tail := reqs[i+1:]; len(tail) != 2 || tail[0] != messages.Abort || tail[1] != messages.IdentificationRequest {
		t.Fatalf("after the corrupted answer Bob sent %v, want [ABORT IDENTIFICATION_REQUEST]", tail)
	}
	noKeys(t, "Bob", bobKeys)
	s, err := drv.RunFrame(ctx)
	if err != nil {
		t.Fatalf("next frame: %v", err)
	}
	checkKeys(t, s, aliceKeys, bobKeys)
}

// Alice's refusal rows (PE_SYMBOLS_ERROR, EC_DENIED, PA_ERROR) drop the
// frame with her message; Bob aborts it at Alice and the run goes on.
func TestAliceRefusals(t *testing.T) {
	for req, refusal := range map[messages.Code]messages.Code{
		messages.PESymbolsRequest: messages.PESymbolsError,
		messages.ECInitialization: messages.ECDenied,
		messages.PARequest:        messages.PAError,
	} {
		t.Run(refusal.String(), func(t *testing.T) {
			t.Parallel() // each subtest has its own Alice, proxy and key stores
			drv, aliceKeys, bobKeys, p := proxied(t, func(m transport.Message, seen int) action {
				if m.Code == req && seen == 1 {
					return action{kind: reply, code: refusal, content: []byte(`{"error_message": "not today"}`)}
				}
				return action{}
			})
			ctx := runCtx(t)
			_, err := drv.RunFrame(ctx)
			var pe *PhaseError
			if !errors.Is(err, ErrPeerRefused) || Fatal(err) || !errors.As(err, &pe) || pe.Response != refusal || pe.Message != "not today" {
				t.Fatalf("RunFrame: %v, want a non-fatal refusal %s with Alice's message", err, refusal)
			}
			reqs := p.requests()
			if i := indexOf(reqs, req); i < 0 || i+1 >= len(reqs) || reqs[i+1] != messages.Abort {
				t.Errorf("Bob did not abort after %s: %v", refusal, reqs)
			}
			noKeys(t, "Bob", bobKeys)
			noKeys(t, "Alice", aliceKeys)
			s, err := drv.RunFrame(ctx)
			if err != nil {
				t.Fatalf("next frame: %v", err)
			}
			checkKeys(t, s, aliceKeys, bobKeys)
		})
	}
}

// INVALID_QOSST_VERSION ends the run with ErrVersion and Alice's version.
func TestInvalidVersion(t *testing.T) {
	drv, _, bobKeys, p := proxied(t, func(m transport.Message, seen int) action {
		if m.Code == messages.IdentificationRequest {
			return action{kind: reply, code: messages.InvalidQOSSTVersion, content: []byte(`{"qosst_version": "QOSST/0.3"}`)}
		}
		return action{}
	})
	sums, err := drv.Run(runCtx(t), 3)
	var pe *PhaseError
	if !errors.Is(err, ErrVersion) || !Fatal(err) || !errors.As(err, &pe) || !strings.Contains(pe.Message, "QOSST/0.3") {
		t.Fatalf("Run: %v, want ErrVersion naming Alice's version", err)
	}
	if len(sums) != 1 || p.count(messages.IdentificationRequest) != 1 {
		t.Errorf("%d frames, requests %v", len(sums), p.requests())
	}
	noKeys(t, "Bob", bobKeys)
}
