package qosst

import (
	"fmt"
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

// Verdict says what a response means for the requester.
type Verdict int

// Verdicts of a response.
const (
	// Answered: the request was served (successfully or with an outcome the
	// requester acts on, such as PE_DENIED or EC_BLOCK_ERROR).
	Answered Verdict = iota
	// Refused: Alice declines a request the frame cannot do without; the
	// requester drops the frame.
	Refused
)

// Response is one answer Alice may give to a request, with its effect.
type Response struct {
	Code    messages.Code
	Next    states.State // Stay: the state does not change; AfterAbort is resolved by the table
	Frame   FrameEffect
	Verdict Verdict
}

// Row is one (state, request) pair of the protocol with its responses.
type Row struct {
	State     states.State // "" in the every-state rows: the row holds in every state but closed
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
	Verdict  Verdict
}

// Kind tells where a transition comes from.
type Kind int

// Kinds of transition.
const (
	KindRow        Kind = iota // a row of the phase tables
	KindEveryState             // a row that holds in every state but closed
	KindAliceAbort             // Alice answering ABORT to a request
)

// Table is a protocol: its phase rows, the rows that hold in every state
// but closed, and everything derived from them (the legal requests of each
// state, the states that hold a frame, the resolved transitions). The
// protocol of this module is Protocol(); tests build others with New.
type Table struct {
	rows, every []Row
	legal       map[states.State][]messages.Code // ascending
	frame       map[states.State]bool
	index       map[answerKey][]Transition
}

type answerKey struct {
	s   states.State
	req messages.Code
}

// Protocol returns the table of transitions.go, built once.
func Protocol() *Table { return protocol() }

var protocol = sync.OnceValue(func() *Table {
	t, err := New(table, everyState)
	if err != nil {
		panic("qosst: transitions.go: " + err.Error())
	}
	return t
})

// New builds a table from phase rows and every-state rows. Every row's
// state must be declared in package states (closed has no rows), every
// code known, a (state, request) pair declared at most once and each
// response at most once per row.
func New(rows, every []Row) (*Table, error) {
	t := &Table{rows: copyRows(rows), every: copyRows(every)}
	type key = answerKey
	seen := map[key]bool{}
	for _, r := range t.rows {
		switch {
		case !states.Valid(r.State) || r.State == states.Closed:
			return nil, fmt.Errorf("row %q/%s: state not declared or closed", r.State, r.Request)
		case seen[key{r.State, r.Request}]:
			return nil, fmt.Errorf("row %s/%s declared twice", r.State, r.Request)
		}
		seen[key{r.State, r.Request}] = true
	}
	for _, r := range t.every {
		if r.State != "" {
			return nil, fmt.Errorf("every-state row %s names state %s", r.Request, r.State)
		}
	}
	for _, r := range append(slices.Clone(t.rows), t.every...) {
		if !r.Request.Known() {
			return nil, fmt.Errorf("row %s/%d: unknown request code", r.State, int(r.Request))
		}
		if len(r.Responses) == 0 {
			return nil, fmt.Errorf("row %s/%s: no responses", r.State, r.Request)
		}
		var codes []messages.Code
		for _, resp := range r.Responses {
			if !resp.Code.Known() || slices.Contains(codes, resp.Code) {
				return nil, fmt.Errorf("row %s/%s: response %s unknown or twice", r.State, r.Request, resp.Code)
			}
			if resp.Next != Stay && resp.Next != AfterAbort && !states.Valid(resp.Next) {
				return nil, fmt.Errorf("row %s/%s: response %s leads to undeclared state %q", r.State, r.Request, resp.Code, resp.Next)
			}
			codes = append(codes, resp.Code)
		}
	}
	t.legal = map[states.State][]messages.Code{}
	for _, s := range states.All() {
		var l []messages.Code
		for _, r := range t.rows {
			if r.State == s {
				l = append(l, r.Request)
			}
		}
		if s != states.Closed {
			for _, r := range t.every {
				l = append(l, r.Request)
			}
		}
		slices.Sort(l)
		t.legal[s] = slices.Compact(l)
	}
	t.frame = frameStates(t.rows)
	t.index = map[answerKey][]Transition{}
	for _, s := range states.All() {
		for _, req := range t.legal[s] {
			t.index[answerKey{s, req}] = t.answers(s, req)
		}
	}
	return t, nil
}

// frameStates derives the states that hold a frame: those a FrameBegun row
// enters, and those a FrameKept row leads to from a state holding one.
func frameStates(rows []Row) map[states.State]bool {
	in := map[states.State]bool{}
	for changed := true; changed; {
		changed = false
		for _, r := range rows {
			for _, resp := range r.Responses {
				if resp.Next == Stay || resp.Next == AfterAbort || in[resp.Next] {
					continue
				}
				if resp.Frame == FrameBegun || (resp.Frame == FrameKept && in[r.State]) {
					in[resp.Next] = true
					changed = true
				}
			}
		}
	}
	return in
}

// resolve turns a declared response into a transition from s.
func (t *Table) resolve(s states.State, req messages.Code, r Response, k Kind) Transition {
	tr := Transition{From: s, Request: req, Response: r.Code, Next: r.Next, Frame: r.Frame, Kind: k, Verdict: r.Verdict}
	switch tr.Next {
	case Stay:
		tr.Next = s
	case AfterAbort:
		tr.Next = abortTarget(s)
	}
	if tr.Frame == FrameDropped && !t.frame[s] {
		tr.Frame = FrameKept
	}
	return tr
}

// abortTarget is where a dropped frame leaves the session: identified, or
// connected when the peer is not identified.
func abortTarget(s states.State) states.State {
	if s == states.Connected {
		return states.Connected
	}
	return states.Identified
}

func (t *Table) answers(s states.State, req messages.Code) []Transition {
	var out []Transition
	for _, row := range t.rows {
		if row.State == s && row.Request == req {
			for _, r := range row.Responses {
				out = append(out, t.resolve(s, req, r, KindRow))
			}
		}
	}
	for _, row := range t.every {
		if row.Request == req {
			for _, r := range row.Responses {
				out = append(out, t.resolve(s, req, r, KindEveryState))
			}
		}
	}
	if len(out) > 0 && out[0].Kind == KindRow &&
		!slices.ContainsFunc(out, func(tr Transition) bool { return tr.Response == aliceAbort.Code }) {
		out = append(out, t.resolve(s, req, aliceAbort, KindAliceAbort))
	}
	return out
}

// Legal returns the request codes legal in s, ascending: the requests of
// its rows plus those of the every-state rows (none in closed). It returns
// nil for an undeclared state. The slice is a fresh copy.
func (t *Table) Legal(s states.State) []messages.Code { return slices.Clone(t.legal[s]) }

// IsLegal reports whether code is a legal request in s.
func (t *Table) IsLegal(s states.State, code messages.Code) bool {
	_, found := slices.BinarySearch(t.legal[s], code)
	return found
}

// HasFrame reports whether a frame is in progress in s: a row begins a
// frame into s, or keeps one on its way into s.
func (t *Table) HasFrame(s states.State) bool { return t.frame[s] }

// Transitions returns every resolved transition: the phase rows, the rows
// of every state, and Alice's ABORT to any phase request, in a stable order
// (state order of states.All, then request, then response).
func (t *Table) Transitions() []Transition {
	var out []Transition
	for _, s := range states.All() {
		out = append(out, t.From(s)...)
	}
	return out
}

// From returns the transitions whose source is s.
func (t *Table) From(s states.State) []Transition {
	var out []Transition
	for _, req := range t.legal[s] {
		out = append(out, t.index[answerKey{s, req}]...)
	}
	return out
}

// Answers returns the transitions allowed when req arrives in s: its rows,
// then Alice's ABORT (to the requests of phase rows; the every-state
// requests are always acknowledged). It returns nil when req is not legal
// in s.
func (t *Table) Answers(s states.State, req messages.Code) []Transition {
	return slices.Clone(t.index[answerKey{s, req}])
}

// Lookup returns the transition for response resp to request req in state
// s, and false when that answer is not in the table.
func (t *Table) Lookup(s states.State, req, resp messages.Code) (Transition, bool) {
	for _, tr := range t.index[answerKey{s, req}] {
		if tr.Response == resp {
			return tr, true
		}
	}
	return Transition{}, false
}

// Ack returns the answer of an every-state request (ABORT_ACK to ABORT...)
// and false for any other request.
func (t *Table) Ack(req messages.Code) (messages.Code, bool) {
	for _, r := range t.every {
		if r.Request == req {
			return r.Responses[0].Code, true
		}
	}
	return 0, false
}

// Rows returns the phase rows (a deep copy).
func (t *Table) Rows() []Row { return copyRows(t.rows) }

// EveryStateRows returns the rows that hold in every state but closed.
func (t *Table) EveryStateRows() []Row { return copyRows(t.every) }

// AuthFailure returns the transition taken from s when a frame fails its
// digest or challenge: AUTHENTICATION_INVALID, frame dropped, back to
// connected.
func (t *Table) AuthFailure(s states.State) Transition {
	return t.resolve(s, 0, authFailure, KindEveryState)
}

// The protocol's table, as functions.

// Legal returns Protocol().Legal(s).
func Legal(s states.State) []messages.Code { return Protocol().Legal(s) }

// IsLegal returns Protocol().IsLegal(s, code).
func IsLegal(s states.State, code messages.Code) bool { return Protocol().IsLegal(s, code) }

// HasFrame returns Protocol().HasFrame(s).
func HasFrame(s states.State) bool { return Protocol().HasFrame(s) }

// Transitions returns Protocol().Transitions().
func Transitions() []Transition { return Protocol().Transitions() }

// From returns Protocol().From(s).
func From(s states.State) []Transition { return Protocol().From(s) }

// Answers returns Protocol().Answers(s, req).
func Answers(s states.State, req messages.Code) []Transition { return Protocol().Answers(s, req) }

// Lookup returns Protocol().Lookup(s, req, resp).
func Lookup(s states.State, req, resp messages.Code) (Transition, bool) {
	return Protocol().Lookup(s, req, resp)
}

// Rows returns the protocol's phase rows, as written in transitions.go.
func Rows() []Row { return Protocol().Rows() }

// EveryStateRows returns the protocol's every-state rows.
func EveryStateRows() []Row { return Protocol().EveryStateRows() }

// AuthFailure returns Protocol().AuthFailure(s).
func AuthFailure(s states.State) Transition { return Protocol().AuthFailure(s) }

// IsDerived reports whether code is one of the answers the engine derives
// from the table and the typed validation (never a handler): UNKOWN_COMMAND,
// UNEXPECTED_COMMAND, INVALID_CONTENT and AUTHENTICATION_INVALID. They are
// valid answers to any request and leave the state as it was, except
// AUTHENTICATION_INVALID (see AuthFailure).
func IsDerived(code messages.Code) bool { return slices.Contains(derivedAnswers, code) }

func copyRows(in []Row) []Row {
	out := make([]Row, len(in))
	for i, r := range in {
		out[i] = r
		out[i].Responses = slices.Clone(r.Responses)
	}
	return out
}
