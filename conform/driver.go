package conform

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	qosst "github.com/qosst/qosst-go"
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
	code  messages.Code
	want  []messages.Code
	leads states.State
}

// contents is what the checker sends with the requests it can make on its
// way through a frame; a request absent here is sent without content when
// its content is optional, and otherwise never (EC_VERIFICATION and
// PA_REQUEST need a key matching the server's, which only a receiver on the
// same link has).
var contents = map[messages.Code]func(e *env) []byte{
	messages.IdentificationRequest: func(e *env) []byte { return e.identification(e.o.Version) },
	messages.InitializationRequest: func(e *env) []byte { return e.content(e.o.Frame.Initialization) },
	messages.QIERequest:            func(e *env) []byte { return e.content(`{"frame_uuid": "%UUID%"}`) },
	messages.PESymbolsRequest:      func(e *env) []byte { return e.content(e.o.Frame.PESymbols) },
	messages.PEFinished:            func(e *env) []byte { return e.content(e.o.Frame.PEFinished) },
	messages.ECInitialization:      func(e *env) []byte { return e.content(e.o.Frame.ECInitialization) },
}

// visits are the requests the checker makes, as a measuring peer would, in
// each state it passes through where the table answers them and stays
// there: it discloses symbols and asks the photon number before it reports
// its estimates.
var visits = []messages.Code{messages.PESymbolsRequest, messages.PENphotonRequest}

func sendable(code messages.Code) bool {
	_, ok := contents[code]
	return ok || !messages.ContentRequired(code)
}

// pathIn returns the steps from connected to target through the rows of
// tab, or false when the checker cannot reach it with the requests it can
// send (see contents). The way is the shortest along rows whose answer
// moves on without refusing or dropping the frame; in each state it passes
// through, it first makes the visits the table answers there by staying.
func pathIn(tab *qosst.Table, target states.State) ([]step, bool) {
	type hop struct {
		from states.State
		via  qosst.Transition
	}
	prev := map[states.State]hop{}
	seen := map[states.State]bool{states.Connected: true}
	queue := []states.State{states.Connected}
	for len(queue) > 0 && !seen[target] {
		s := queue[0]
		queue = queue[1:]
		for _, t := range tab.From(s) {
			if t.Kind != qosst.KindRow || t.Verdict != qosst.Answered || t.Frame == qosst.FrameDropped ||
				t.Next == s || seen[t.Next] || !sendable(t.Request) {
				continue
			}
			seen[t.Next] = true
			prev[t.Next] = hop{s, t}
			queue = append(queue, t.Next)
		}
	}
	if !seen[target] {
		return nil, false
	}
	var hops []qosst.Transition
	for s := target; s != states.Connected; s = prev[s].from {
		hops = append(hops, prev[s].via)
	}
	slices.Reverse(hops)
	var out []step
	for _, h := range hops {
		for _, v := range visits {
			var want []messages.Code
			for _, t := range tab.Answers(h.From, v) {
				if t.Kind == qosst.KindRow && t.Verdict == qosst.Answered && t.Next == h.From {
					want = append(want, t.Response)
				}
			}
			if len(want) > 0 && sendable(v) {
				out = append(out, step{v, want, h.From})
			}
		}
		out = append(out, step{h.Request, []messages.Code{h.Response}, h.Next})
	}
	return out, true
}

// path returns the protocol's way from connected to target (see pathIn).
func path(target states.State) ([]step, bool) { return pathIn(qosst.Protocol(), target) }

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
		if content := contents[s.code]; content != nil {
			c = content(e)
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
