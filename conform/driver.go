package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// outcome is what a case concludes.
type outcome struct {
	pass     bool
	seen     string
	reason   string
	expected string // overrides the case's Expected when set
}

func pass(seen string) outcome { return outcome{pass: true, seen: seen} }

func fail(seen, reason string) outcome { return outcome{seen: seen, reason: reason} }

// env is what a case works with: fresh connections to the target, driven
// to a state when needed, all closed at the end of the case.
type env struct {
	ctx   context.Context
	o     *Options
	peers []*peer
	frame uuid.UUID
}

// open connects afresh.
func (e *env) open() (*peer, error) {
	p, err := dialPeer(e.ctx, e.o)
	if err != nil {
		return nil, err
	}
	e.peers = append(e.peers, p)
	return p, nil
}

// cleanup says DISCONNECTION on every connection still open (the server
// then drops any frame and releases its hardware) and closes them.
func (e *env) cleanup() {
	for _, p := range e.peers {
		p.ctx = context.Background()
		if p.limit > e.o.ReplyTimeout {
			p.limit = e.o.ReplyTimeout
		}
		if err := p.send(messages.Disconnection, nil); err == nil {
			p.recv()
		}
		p.close()
	}
	e.peers = nil
}

// content renders a configured content for the current frame.
func (e *env) content(raw string) []byte {
	return []byte(strings.ReplaceAll(raw, "%UUID%", e.frame.String()))
}

func (e *env) identification(version string) []byte {
	b, _ := json.Marshal(map[string]string{"serial_number": e.o.SerialNumber, "qosst_version": version})
	return b
}

// step is one request of the way to a state, with the answers that let
// the checker go on.
type step struct {
	code    messages.Code
	content func(e *env) []byte
	want    []messages.Code
	leads   states.State
}

// path returns the steps from connected to target, or false when the
// checker cannot reach it with synthetic data: ec_done and pa_done need a
// key that matches Alice's, which only a receiver on the same link has.
func path(target states.State) ([]step, bool) {
	all := []step{
		{messages.IdentificationRequest, func(e *env) []byte { return e.identification(e.o.Version) }, []messages.Code{messages.IdentificationResponse}, states.Identified},
		{messages.InitializationRequest, func(e *env) []byte { return e.content(e.o.Frame.Initialization) }, []messages.Code{messages.InitializationAccepted}, states.Initialized},
		{messages.QIERequest, func(e *env) []byte { return e.content(`{"frame_uuid": "%UUID%"}`) }, []messages.Code{messages.QIEReady}, states.QIEReady},
		{messages.QIETrigger, nil, []messages.Code{messages.QIEEmissionStarted}, states.Emitting},
		{messages.QIEAcquisitionEnded, nil, []messages.Code{messages.QIEEnded}, states.PE},
		{messages.PESymbolsRequest, func(e *env) []byte { return e.content(e.o.Frame.PESymbols) }, []messages.Code{messages.PESymbolsResponse}, states.PE},
		{messages.PENphotonRequest, nil, []messages.Code{messages.PENphotonResponse}, states.PE},
		{messages.PEFinished, func(e *env) []byte { return e.content(e.o.Frame.PEFinished) }, []messages.Code{messages.PEApproved}, states.PEApproved},
		{messages.ECInitialization, func(e *env) []byte { return e.content(e.o.Frame.ECInitialization) }, []messages.Code{messages.ECReady}, states.EC},
	}
	if target == states.Connected {
		return nil, true
	}
	if target == states.Polarising {
		p, _ := path(states.Initialized)
		return append(p, step{messages.RequestPolarisationRecovery, nil, []messages.Code{messages.PolarisationRecoveryAck}, states.Polarising}), true
	}
	for i, s := range all {
		if s.leads == target {
			return all[:i+1], true
		}
	}
	return nil, false
}

// Reachable lists the states the checker drives a server to with
// synthetic data, in protocol order.
func Reachable() []states.State {
	var out []states.State
	for _, s := range states.All() {
		if _, ok := path(s); ok && s != states.Closed {
			out = append(out, s)
		}
	}
	return out
}

// errUnreached: the server did not follow the way to a state.
type errUnreached struct {
	target states.State
	step   messages.Code
	seen   string
	err    error
}

func (e *errUnreached) Error() string {
	if e.err != nil {
		return fmt.Sprintf("could not reach %s: %s: %v", e.target, e.step, e.err)
	}
	return fmt.Sprintf("could not reach %s: %s answered %s", e.target, e.step, e.seen)
}

// to opens a fresh connection and drives it to target.
func (e *env) to(target states.State) (*peer, error) {
	steps, ok := path(target)
	if !ok {
		return nil, &errUnreached{target: target, err: fmt.Errorf("the checker cannot reach %s without a key matching the server's", target)}
	}
	e.frame = uuid.New()
	p, err := e.open()
	if err != nil {
		return nil, err
	}
	for _, s := range steps {
		var c []byte
		if s.content != nil {
			c = s.content(e)
		}
		r, err := p.request(s.code, c)
		if err != nil {
			return nil, &errUnreached{target: target, step: s.code, err: err}
		}
		if !slices.Contains(s.want, r.Code) {
			return nil, &errUnreached{target: target, step: s.code, seen: r.String()}
		}
	}
	return p, nil
}

// unreached turns a failure to reach a state into the case's outcome.
func unreached(err error) outcome {
	if u, ok := err.(*errUnreached); ok {
		return fail(u.seen, u.Error())
	}
	return fail("", err.Error())
}

func newFrameID() uuid.UUID { return uuid.New() }
