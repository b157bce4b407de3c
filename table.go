package qosst

import (
	"slices"
	"sync"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// FrameEffect says what a transition does to the frame in progress.
type FrameEffect int

// Frame effects of a transition.
const (
	FrameKept     FrameEffect = iota // the frame (if any) goes on
	FrameBegun                       // a new frame begins (replacing the one in progress, if any)
	FrameDropped                     // the frame in progress is dropped: release hardware, forget its data
	FrameComplete                    // the frame completed: its key is final
)

// String names the effect.
func (f FrameEffect) String() string {
	switch f {
	case FrameKept:
		return "kept"
	case FrameBegun:
		return "begun"
	case FrameDropped:
		return "dropped"
	case FrameComplete:
		return "complete"
	}
	return "unknown"
}

// Response is one answer Alice may give to a request, with its effect.
type Response struct {
	Code  messages.Code
	Next  states.State // Stay: the state does not change; AfterAbort is resolved by Rows
	Frame FrameEffect
}

// Row is one (state, request) pair of the protocol with its responses.
type Row struct {
	State     states.State // "" in everyState: the row holds in every state but closed
	Request   messages.Code
	Responses []Response
}

// Transition is one resolved edge of the protocol: from State, Request
// answered by Response leads to Next.
type Transition struct {
	From     states.State
	Request  messages.Code
	Response messages.Code
	Next     states.State // never Stay: Next == From for a transition that stays
	Frame    FrameEffect  // FrameDropped only when From has a frame
	Kind     Kind
}

// Kind tells where a transition comes from.
type Kind int

// Kinds of transition.
const (
	KindRow        Kind = iota // a row of the phase tables
	KindEveryState             // a row that holds in every state but closed
	KindAliceAbort             // Alice answering ABORT to a request
)

// resolve turns a declared response into a transition from s.
func resolve(s states.State, req messages.Code, r Response, k Kind) Transition {
	t := Transition{From: s, Request: req, Response: r.Code, Next: r.Next, Frame: r.Frame, Kind: k}
	switch t.Next {
	case Stay:
		t.Next = s
	case AfterAbort:
		t.Next = abortTarget(s)
	}
	if t.Frame == FrameDropped && !states.HasFrame(s) {
		t.Frame = FrameKept
	}
	return t
}

// abortTarget is where a dropped frame leaves the session: identified, or
// connected when the peer is not identified.
func abortTarget(s states.State) states.State {
	if s == states.Connected {
		return states.Connected
	}
	return states.Identified
}

// Transitions returns every resolved transition of the protocol: the phase
// rows, the rows of every state, and Alice's ABORT to any legal request, in
// a stable order (state order of states.All, then request, then response).
func Transitions() []Transition {
	var out []Transition
	for _, s := range states.All() {
		out = append(out, From(s)...)
	}
	return out
}

// From returns the transitions whose source is s.
func From(s states.State) []Transition {
	var out []Transition
	for _, req := range states.Legal(s) {
		out = append(out, Answers(s, req)...)
	}
	return out
}

// Answers returns the transitions allowed when req arrives in s: the rows
// for (s, req), then Alice's ABORT (to the requests of phase rows; the
// session-level requests ABORT, DISCONNECTION and INVALID_RESPONSE are always
// acknowledged). It returns nil when req is not legal in s.
func Answers(s states.State, req messages.Code) []Transition {
	return slices.Clone(answerIndex()[answerKey{s, req}])
}

type answerKey struct {
	s   states.State
	req messages.Code
}

// answerIndex holds answers for every legal (state, request), built once.
var answerIndex = sync.OnceValue(func() map[answerKey][]Transition {
	m := map[answerKey][]Transition{}
	for _, s := range states.All() {
		for _, req := range states.Legal(s) {
			m[answerKey{s, req}] = answers(s, req)
		}
	}
	return m
})

func answers(s states.State, req messages.Code) []Transition {
	var out []Transition
	for _, row := range table {
		if row.State == s && row.Request == req {
			for _, r := range row.Responses {
				out = append(out, resolve(s, req, r, KindRow))
			}
		}
	}
	for _, row := range everyState {
		if row.Request == req {
			for _, r := range row.Responses {
				out = append(out, resolve(s, req, r, KindEveryState))
			}
		}
	}
	if len(out) > 0 && out[0].Kind == KindRow &&
		!slices.ContainsFunc(out, func(t Transition) bool { return t.Response == aliceAbort.Code }) {
		out = append(out, resolve(s, req, aliceAbort, KindAliceAbort))
	}
	return out
}

// Lookup returns the transition for response resp to request req in state
// s, and false when that answer is not in the table.
func Lookup(s states.State, req, resp messages.Code) (Transition, bool) {
	for _, t := range answerIndex()[answerKey{s, req}] {
		if t.Response == resp {
			return t, true
		}
	}
	return Transition{}, false
}

// Rows returns the declared phase rows (not the every-state rows nor
// Alice's ABORT), as written in transitions.go. The slice is a deep copy.
func Rows() []Row { return copyRows(table) }

// EveryStateRows returns the rows that hold in every state but closed.
func EveryStateRows() []Row { return copyRows(everyState) }

// AliceAbort returns the ABORT answer Alice may give to any request.
func AliceAbort() Response { return aliceAbort }

// AuthFailure returns the transition taken from s when a frame fails its
// digest or challenge: AUTHENTICATION_INVALID, frame dropped, back to
// connected.
func AuthFailure(s states.State) Transition {
	return resolve(s, 0, authFailure, KindEveryState)
}

// DerivedAnswers returns the answers the engine derives from the table and
// the typed validation (never a handler): UNKOWN_COMMAND, UNEXPECTED_COMMAND,
// INVALID_CONTENT and AUTHENTICATION_INVALID. They are valid answers to any
// request and leave the state as it was, except AUTHENTICATION_INVALID (see
// AuthFailure).
func DerivedAnswers() []messages.Code { return append([]messages.Code(nil), derivedAnswers...) }

// IsDerived reports whether code is one of DerivedAnswers.
func IsDerived(code messages.Code) bool { return slices.Contains(derivedAnswers, code) }

func copyRows(in []Row) []Row {
	out := make([]Row, len(in))
	for i, r := range in {
		out[i] = r
		out[i].Responses = append([]Response(nil), r.Responses...)
	}
	return out
}
