package qosst

import (
	"slices"
	"testing"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

func reachable(from states.State) map[states.State]bool {
	seen := map[states.State]bool{from: true}
	queue := []states.State{from}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		next := []states.State{}
		for _, t := range From(s) {
			next = append(next, t.Next)
		}
		next = append(next, AuthFailure(s).Next)
		for _, n := range next {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return seen
}

func TestEveryStateReachableFromConnected(t *testing.T) {
	seen := reachable(states.Connected)
	for _, s := range states.All() {
		if !seen[s] {
			t.Errorf("state %s is not reachable from connected", s)
		}
	}
}

func TestEveryStateReachableWithoutAborts(t *testing.T) {
	// The happy path alone (phase rows only) must reach every state: a
	// table whose only way into a state is an error answer is broken.
	seen := map[states.State]bool{states.Connected: true}
	queue := []states.State{states.Connected}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, t := range From(s) {
			if t.Kind == KindRow && !seen[t.Next] {
				seen[t.Next] = true
				queue = append(queue, t.Next)
			}
		}
	}
	for _, s := range states.All() {
		if s != states.Closed && !seen[s] {
			t.Errorf("state %s is reachable only through ABORT or errors", s)
		}
	}
}

func TestClosedReachableFromEveryState(t *testing.T) {
	for _, s := range states.All() {
		if !reachable(s)[states.Closed] {
			t.Errorf("closed is not reachable from %s", s)
		}
	}
}

func TestClosedIsTerminal(t *testing.T) {
	if got := From(states.Closed); len(got) != 0 {
		t.Fatalf("closed has outgoing transitions: %v", got)
	}
	if got := Legal(states.Closed); len(got) != 0 {
		t.Fatalf("closed has legal codes: %v", got)
	}
}

func TestEveryLegalCodeHasRows(t *testing.T) {
	for _, s := range states.All() {
		for _, req := range Legal(s) {
			var declared int
			for _, t := range Answers(s, req) {
				if t.Kind != KindAliceAbort {
					declared++
				}
			}
			if declared == 0 {
				t.Errorf("%s is legal in %s but has no row", req, s)
			}
		}
	}
}

func TestEveryRowIsLegalInItsState(t *testing.T) {
	for _, r := range Rows() {
		if !states.Valid(r.State) {
			t.Errorf("row %s/%s: undeclared state", r.State, r.Request)
			continue
		}
		if !IsLegal(r.State, r.Request) {
			t.Errorf("row %s/%s: request not legal in its state (legal: %v)", r.State, r.Request, Legal(r.State))
		}
		if len(r.Responses) == 0 {
			t.Errorf("row %s/%s: no responses", r.State, r.Request)
		}
	}
	for _, r := range EveryStateRows() {
		for _, s := range states.All() {
			if s != states.Closed && !IsLegal(s, r.Request) {
				t.Errorf("every-state row %s is not legal in %s", r.Request, s)
			}
		}
	}
}

func TestNoDuplicateRowsOrResponses(t *testing.T) {
	type key struct {
		s   states.State
		req messages.Code
	}
	seen := map[key]bool{}
	for _, r := range Rows() {
		k := key{r.State, r.Request}
		if seen[k] {
			t.Errorf("row %s/%s declared twice", r.State, r.Request)
		}
		seen[k] = true
		var codes []messages.Code
		for _, resp := range r.Responses {
			if slices.Contains(codes, resp.Code) {
				t.Errorf("row %s/%s: response %s twice", r.State, r.Request, resp.Code)
			}
			codes = append(codes, resp.Code)
		}
	}
}

func TestEveryCodeKnownAndStatesDeclared(t *testing.T) {
	for _, tr := range Transitions() {
		if !tr.Request.Known() || !tr.Response.Known() {
			t.Errorf("%s/%s: unknown code", tr.Request, tr.Response)
		}
		if !states.Valid(tr.From) || !states.Valid(tr.Next) {
			t.Errorf("%s --%s/%s--> %s: undeclared state", tr.From, tr.Request, tr.Response, tr.Next)
		}
		if tr.Response == tr.Request {
			t.Errorf("%s: a request answered by itself", tr.Request)
		}
	}
	for _, c := range DerivedAnswers() {
		if !c.Known() {
			t.Errorf("derived answer %d unknown", c)
		}
	}
}

func TestResponsesAreNotRequests(t *testing.T) {
	// A code is either a request (legal somewhere) or a response (in some
	// row), never both: the engine relies on it to answer a response code
	// sent as a request with UNEXPECTED_COMMAND.
	requests := map[messages.Code]bool{}
	for _, s := range states.All() {
		for _, c := range Legal(s) {
			requests[c] = true
		}
	}
	for _, tr := range Transitions() {
		if requests[tr.Response] && tr.Response != messages.Abort {
			t.Errorf("%s is both a request and a response", tr.Response)
		}
	}
}

func TestAbortAndDisconnectionInEveryState(t *testing.T) {
	for _, s := range states.All() {
		if s == states.Closed {
			continue
		}
		want := states.Identified
		if s == states.Connected {
			want = states.Connected
		}
		tr, ok := Lookup(s, messages.Abort, messages.AbortAck)
		if !ok || tr.Next != want {
			t.Errorf("%s: ABORT/ABORT_ACK = %+v, %v; want next %s", s, tr, ok, want)
		}
		if HasFrame(s) != (tr.Frame == FrameDropped) {
			t.Errorf("%s: ABORT frame effect %s, has frame %v", s, tr.Frame, HasFrame(s))
		}
		tr, ok = Lookup(s, messages.Disconnection, messages.DisconnectionAck)
		if !ok || tr.Next != states.Closed {
			t.Errorf("%s: DISCONNECTION = %+v, %v", s, tr, ok)
		}
		tr, ok = Lookup(s, messages.InvalidResponse, messages.InvalidResponseAck)
		if !ok || tr.Next != s {
			t.Errorf("%s: INVALID_RESPONSE = %+v, %v", s, tr, ok)
		}
		for _, req := range Legal(s) {
			if slices.Contains(always(), req) {
				if _, ok := Lookup(s, req, messages.Abort); ok {
					t.Errorf("%s: ABORT accepted as the answer to %s", s, req)
				}
				continue
			}
			tr, ok := Lookup(s, req, messages.Abort)
			if !ok || tr.Next != want {
				t.Errorf("%s: Alice's ABORT to %s = %+v, %v", s, req, tr, ok)
			}
		}
		if af := AuthFailure(s); af.Next != states.Connected || af.Response != messages.AuthenticationInvalid {
			t.Errorf("%s: auth failure = %+v", s, af)
		}
	}
}

func TestIllegalRequestHasNoAnswers(t *testing.T) {
	if a := Answers(states.Connected, messages.QIERequest); a != nil {
		t.Fatalf("QIE_REQUEST in connected: %v", a)
	}
	if _, ok := Lookup(states.PE, messages.PEFinished, messages.ECReady); ok {
		t.Fatal("EC_READY accepted as an answer to PE_FINISHED")
	}
}

func TestFrameLifecycle(t *testing.T) {
	// Every transition from a state with a frame to one without drops or
	// completes it; every transition into a frame from none begins one.
	for _, tr := range Transitions() {
		from, to := HasFrame(tr.From), HasFrame(tr.Next)
		switch {
		case from && !to && tr.Frame != FrameDropped && tr.Frame != FrameComplete:
			t.Errorf("%s --%s/%s--> %s leaves the frame but says %s", tr.From, tr.Request, tr.Response, tr.Next, tr.Frame)
		case !from && to && tr.Frame != FrameBegun:
			t.Errorf("%s --%s/%s--> %s enters a frame but says %s", tr.From, tr.Request, tr.Response, tr.Next, tr.Frame)
		case from && to && (tr.Frame == FrameDropped || tr.Frame == FrameComplete):
			t.Errorf("%s --%s/%s--> %s keeps a frame state but says %s", tr.From, tr.Request, tr.Response, tr.Next, tr.Frame)
		}
	}
}

// always returns the requests of the every-state rows.
func always() []messages.Code {
	var out []messages.Code
	for _, r := range EveryStateRows() {
		out = append(out, r.Request)
	}
	return out
}

func TestFrameStatesFollowFromRows(t *testing.T) {
	frame := []states.State{states.Initialized, states.Polarising, states.QIEReady, states.Emitting,
		states.PE, states.PEApproved, states.EC, states.ECDone, states.PADone}
	for _, s := range states.All() {
		if HasFrame(s) != slices.Contains(frame, s) {
			t.Errorf("%s: HasFrame %v", s, HasFrame(s))
		}
	}
}

func TestLegalIsSortedCopy(t *testing.T) {
	for _, s := range states.All() {
		if l := Legal(s); !slices.IsSorted(l) {
			t.Errorf("%s: legal codes not sorted: %v", s, l)
		}
	}
	l := Legal(states.Identified)
	l[0] = 9999
	if IsLegal(states.Identified, 9999) {
		t.Error("Legal exposes its slice")
	}
	if Legal("nowhere") != nil || IsLegal("nowhere", messages.Abort) {
		t.Error("an undeclared state has legal codes")
	}
}

func TestNewRejectsBadRows(t *testing.T) {
	resp := []Response{{messages.QIEReady, Stay, FrameKept, Answered}}
	bad := map[string][]Row{
		"undeclared state": {{"nowhere", messages.QIERequest, resp}},
		"closed":           {{states.Closed, messages.QIERequest, resp}},
		"twice":            {{states.PE, messages.QIERequest, resp}, {states.PE, messages.QIERequest, resp}},
		"no responses":     {{states.PE, messages.QIERequest, nil}},
		"unknown code":     {{states.PE, 9999, resp}},
		"response twice":   {{states.PE, messages.QIERequest, append(resp, resp...)}},
		"undeclared next":  {{states.PE, messages.QIERequest, []Response{{messages.QIEReady, "nowhere", FrameKept, Answered}}}},
	}
	for name, rows := range bad {
		if _, err := New(append(Rows(), rows...), EveryStateRows()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A row added to a table becomes legal in its state with its answers, and
// a state it keeps a frame into holds one; nothing else is edited.
func TestAddedRowIsLegal(t *testing.T) {
	if IsLegal(states.Polarising, messages.PENphotonRequest) {
		t.Fatal("the test row is already in the protocol")
	}
	row := Row{states.Polarising, messages.PENphotonRequest, []Response{
		{messages.PENphotonResponse, Stay, FrameKept, Answered},
	}}
	tab, err := New(append(Rows(), row), EveryStateRows())
	if err != nil {
		t.Fatal(err)
	}
	if !tab.IsLegal(states.Polarising, messages.PENphotonRequest) {
		t.Fatal("added row not legal in its state")
	}
	if tr, ok := tab.Lookup(states.Polarising, messages.PENphotonRequest, messages.PENphotonResponse); !ok || tr.Next != states.Polarising {
		t.Fatalf("added row's answer: %+v, %v", tr, ok)
	}
	if _, ok := tab.Lookup(states.Polarising, messages.PENphotonRequest, messages.Abort); !ok {
		t.Fatal("Alice's ABORT is not an answer to the added row")
	}
	if IsLegal(states.Polarising, messages.PENphotonRequest) {
		t.Fatal("building a table changed the protocol")
	}
}
