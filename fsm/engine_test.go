package fsm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

var errBadField = errors.New("field frame_uuid: missing")

// script is a test station: every legal request is answered with the
// response queued for it, or else with the first phase-row response.
type script struct {
	mu     sync.Mutex
	queue  map[messages.Code][]messages.Code
	calls  int
	panics bool
}

func (sc *script) handler(ctx context.Context, req Request) (Answer, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.calls++
	if sc.panics {
		panic("boom")
	}
	if q := sc.queue[req.Code]; len(q) > 0 {
		sc.queue[req.Code] = q[1:]
		return answer(q[0]), nil
	}
	for _, t := range qosst.Answers(req.State, req.Code) {
		return answer(t.Response), nil
	}
	return Answer{}, fmt.Errorf("script: no answer for %s in %s", req.Code, req.State)
}

func (sc *script) push(req, resp messages.Code) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.queue == nil {
		sc.queue = map[messages.Code][]messages.Code{}
	}
	sc.queue[req] = append(sc.queue[req], resp)
}

// answer returns code with its sample content.
func answer(code messages.Code) Answer {
	c, err := messages.DecodeContent(code, sample(code))
	if err != nil {
		panic(err)
	}
	return Answer{Code: code, Content: c}
}

type hooks struct {
	mu      sync.Mutex
	changes []Change
	dropped []Change
	ended   []Change
}

func newTestEngine(t *testing.T, sc *script, decode DecodeFunc) (*Engine, *hooks) {
	t.Helper()
	mux := NewMux()
	for _, c := range messages.AllCodes() {
		if c == messages.Abort || c == messages.Disconnection || c == messages.InvalidResponse {
			continue // built-in acknowledgements
		}
		mux.Handle(c, sc.handler)
	}
	h := &hooks{}
	e := New(Config{
		Handlers:       mux,
		Decode:         decode,
		OnStateChange:  h.record(&h.changes),
		OnFrameDropped: h.record(&h.dropped),
		OnFrameEnd:     h.record(&h.ended),
	})
	return e, h
}

// record returns a hook that appends its change to list.
func (h *hooks) record(list *[]Change) func(Change) {
	return func(c Change) {
		h.mu.Lock()
		*list = append(*list, c)
		h.mu.Unlock()
	}
}

// engineAt returns a test engine driven to s, with its hooks and script.
func engineAt(t *testing.T, s states.State) (*Engine, *hooks, *script) {
	t.Helper()
	sc := &script{}
	e, h := newTestEngine(t, sc, nil)
	driveTo(t, e, sc, s)
	return e, h, sc
}

// abortedTo is where ABORT leads from s: identified, or connected when the
// peer never identified.
func abortedTo(s states.State) states.State {
	if s == states.Connected {
		return states.Connected
	}
	return states.Identified
}

type step struct{ req, resp messages.Code }

// pathTo finds the shortest sequence of phase-row steps from connected to
// target.
func pathTo(t *testing.T, target states.State) []step {
	t.Helper()
	type node struct {
		s    states.State
		path []step
	}
	seen := map[states.State]bool{states.Connected: true}
	queue := []node{{s: states.Connected}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.s == target {
			return n.path
		}
		for _, tr := range qosst.From(n.s) {
			if tr.Kind == qosst.KindRow && !seen[tr.Next] {
				seen[tr.Next] = true
				queue = append(queue, node{tr.Next, append(slices.Clone(n.path), step{tr.Request, tr.Response})})
			}
		}
		// closed is reached through the every-state DISCONNECTION row.
		if target == states.Closed && !seen[states.Closed] {
			seen[states.Closed] = true
			queue = append(queue, node{states.Closed, append(slices.Clone(n.path), step{messages.Disconnection, messages.DisconnectionAck})})
		}
	}
	t.Fatalf("no path to %s", target)
	return nil
}

// driveTo walks e from connected to target along the table.
func driveTo(t *testing.T, e *Engine, sc *script, target states.State) {
	t.Helper()
	for _, st := range pathTo(t, target) {
		sc.push(st.req, st.resp)
		r, err := e.Dispatch(context.Background(), st.req, sample(st.req))
		if err != nil || r.Code != st.resp {
			t.Fatalf("driving to %s: %s answered %s (%v)", target, st.req, r.Code, err)
		}
	}
	if got := e.State(); got != target {
		t.Fatalf("drove to %s, engine in %s", target, got)
	}
}

func openStates() []states.State {
	return slices.DeleteFunc(states.All(), func(s states.State) bool { return s == states.Closed })
}

func TestDriveEveryState(t *testing.T) {
	for _, s := range states.All() {
		engineAt(t, s)
	}
}

func TestUnknownCodeInEveryState(t *testing.T) {
	for _, s := range openStates() {
		for _, code := range []messages.Code{0, 1, 9, 18, 99, 1000, -4, 224} {
			e, _, sc := engineAt(t, s)
			calls := sc.calls
			r, err := e.Dispatch(context.Background(), code, []byte(`{"x":1}`))
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if r.Code != messages.UnkownCommand || !r.Derived || e.State() != s || r.State != s {
				t.Errorf("%s, code %d: got %s derived=%v, state %s", s, code, r.Code, r.Derived, e.State())
			}
			if got := fieldOf(t, r.Content, "code"); got != fmt.Sprint(int(code)) {
				t.Errorf("%s: UNKOWN_COMMAND code = %s, want %d", s, got, code)
			}
			if sc.calls != calls {
				t.Errorf("%s: a handler ran for an unknown code", s)
			}
		}
	}
}

func TestUnexpectedCodeInEveryState(t *testing.T) {
	for _, s := range openStates() {
		e, h, sc := engineAt(t, s)
		calls, changes := sc.calls, len(h.changes)
		for _, code := range messages.AllCodes() {
			if qosst.IsLegal(s, code) {
				continue
			}
			r, err := e.Dispatch(context.Background(), code, nil)
			if err != nil {
				t.Fatalf("%s/%s: %v", s, code, err)
			}
			if r.Code != messages.UnexpectedCommand || e.State() != s {
				t.Fatalf("%s/%s: got %s, state %s", s, code, r.Code, e.State())
			}
			if got := fieldOf(t, r.Content, "code"); got != fmt.Sprint(int(code)) {
				t.Errorf("%s/%s: code field %s", s, code, got)
			}
			msg := fieldOf(t, r.Content, "error_message")
			want := fmt.Sprintf("%s in state %s; legal here:", code, s)
			if !strings.Contains(msg, want) {
				t.Errorf("%s/%s: message %q lacks %q", s, code, msg, want)
			}
			for _, l := range qosst.Legal(s) {
				if !strings.Contains(msg, l.String()) {
					t.Errorf("%s/%s: message %q does not list %s", s, code, msg, l)
				}
			}
		}
		if sc.calls != calls || len(h.changes) != changes {
			t.Errorf("%s: an unexpected code reached a handler or moved the state", s)
		}
	}
}

func TestResponseCodesSentAsRequestsAreUnexpected(t *testing.T) {
	e, _, _ := engineAt(t, states.PE)
	for _, c := range []messages.Code{messages.PEApproved, messages.QIEEnded, messages.AbortAck, messages.UnexpectedCommand, messages.IdentificationResponse} {
		r, _ := e.Dispatch(context.Background(), c, nil)
		if r.Code != messages.UnexpectedCommand {
			t.Errorf("%s sent as request: %s", c, r.Code)
		}
	}
}

func TestInvalidContentInEveryStateForEveryLegalCode(t *testing.T) {
	for _, s := range openStates() {
		for _, code := range qosst.Legal(s) {
			sc := &script{}
			var decodeOn bool
			e, h := newTestEngine(t, sc, func(c messages.Code, raw []byte) (messages.Content, error) {
				if decodeOn && c == code {
					return nil, fmt.Errorf("decoding %s: %w", c, errBadField)
				}
				return nil, nil
			})
			driveTo(t, e, sc, s)
			decodeOn = true
			calls, changes := sc.calls, len(h.changes)
			r, err := e.Dispatch(context.Background(), code, []byte(`{"bad": true}`))
			if err != nil {
				t.Fatal(err)
			}
			if r.Code != messages.InvalidContent || e.State() != s || !errors.Is(r.Cause, errBadField) {
				t.Fatalf("%s/%s: got %s, state %s, cause %v", s, code, r.Code, e.State(), r.Cause)
			}
			if got := fieldOf(t, r.Content, "code"); got != fmt.Sprint(int(code)) {
				t.Errorf("%s/%s: code field %s", s, code, got)
			}
			if msg := fieldOf(t, r.Content, "error_message"); !strings.Contains(msg, "frame_uuid") {
				t.Errorf("%s/%s: message %q does not name the field", s, code, msg)
			}
			if sc.calls != calls || len(h.changes) != changes {
				t.Errorf("%s/%s: invalid content reached a handler or moved the state", s, code)
			}
		}
	}
}

func TestEveryRowFollowedInEveryState(t *testing.T) {
	for _, s := range openStates() {
		for _, tr := range qosst.From(s) {
			e, h, sc := engineAt(t, s)
			sc.push(tr.Request, tr.Response)
			nd := len(h.dropped)
			r, err := e.Dispatch(context.Background(), tr.Request, sample(tr.Request))
			if err != nil {
				t.Fatalf("%s: %s/%s: %v", s, tr.Request, tr.Response, err)
			}
			if r.Code != tr.Response || e.State() != tr.Next || r.State != tr.Next || r.Frame != tr.Frame {
				t.Errorf("%s: %s/%s: reply %s → %s (%s), engine %s; want → %s (%s)", s, tr.Request, tr.Response, r.Code, r.State, r.Frame, e.State(), tr.Next, tr.Frame)
			}
			wantDrop := tr.Frame == qosst.FrameDropped || (tr.Frame == qosst.FrameBegun && qosst.HasFrame(s))
			if got := len(h.dropped) - nd; (got == 1) != wantDrop || got > 1 {
				t.Errorf("%s: %s/%s: frame-dropped hook ran %d times, want drop=%v", s, tr.Request, tr.Response, got, wantDrop)
			}
			if r.Close != (tr.Next == states.Closed) {
				t.Errorf("%s: %s/%s: Close=%v", s, tr.Request, tr.Response, r.Close)
			}
		}
	}
}

func TestHandCheckedTransitions(t *testing.T) {
	// A few rows written out by hand from the design, so that a wrong
	// table cannot pass by agreeing with itself.
	cases := []struct {
		from      states.State
		req, resp messages.Code
		next      states.State
		drops     bool
	}{
		{states.Connected, messages.IdentificationRequest, messages.IdentificationResponse, states.Identified, false},
		{states.Identified, messages.InitializationRequest, messages.InitializationAccepted, states.Initialized, false},
		{states.Identified, messages.InitializationRequest, messages.InitializationProposal, states.Identified, false},
		{states.Initialized, messages.QIERequest, messages.QIEReady, states.QIEReady, false},
		{states.Initialized, messages.IdentificationRequest, messages.IdentificationResponse, states.Identified, true},
		{states.Polarising, messages.EndPolarisationRecovery, messages.PolarisationRecoveryEnded, states.Initialized, false},
		{states.Emitting, messages.QIEAcquisitionEnded, messages.QIEEnded, states.PE, false},
		{states.PE, messages.PEFinished, messages.PEDenied, states.Identified, true},
		{states.PE, messages.PEFinished, messages.PEApproved, states.PEApproved, false},
		{states.EC, messages.ECVerification, messages.ECVerificationSuccess, states.ECDone, false},
		{states.ECDone, messages.PARequest, messages.PAError, states.ECDone, false},
		{states.PADone, messages.FrameEnded, messages.FrameEndedAck, states.Identified, false},
		{states.Emitting, messages.QIEAcquisitionEnded, messages.Abort, states.Identified, true},
		{states.Connected, messages.Abort, messages.AbortAck, states.Connected, false},
		{states.EC, messages.Disconnection, messages.DisconnectionAck, states.Closed, true},
	}
	for _, c := range cases {
		e, h, sc := engineAt(t, c.from)
		sc.push(c.req, c.resp)
		r, err := e.Dispatch(context.Background(), c.req, sample(c.req))
		if err != nil || r.Code != c.resp || e.State() != c.next || (len(h.dropped) == 1) != c.drops {
			t.Errorf("%s %s/%s: got %s → %s, err %v, dropped %d; want → %s, drops %v", c.from, c.req, c.resp, r.Code, e.State(), err, len(h.dropped), c.next, c.drops)
		}
	}
}

func TestOffTableAnswerIsCaught(t *testing.T) {
	for _, s := range openStates() {
		for _, req := range qosst.Legal(s) {
			sc := &script{}
			mux := NewMux()
			var bad messages.Code = messages.FrameEndedAck
			if req == messages.FrameEnded {
				bad = messages.ECReady
			}
			offTable := func(ctx context.Context, r Request) (Answer, error) { return answer(bad), nil }
			e, h := newTestEngine(t, sc, nil)
			driveTo(t, e, sc, s)
			mux.Handle(req, offTable)
			e.cfg.Handlers = mux
			nd := len(h.dropped)
			r, err := e.Dispatch(context.Background(), req, sample(req))
			var ot *OffTableError
			if !errors.Is(err, ErrOffTable) || !errors.As(err, &ot) || ot.Response != bad || ot.State != s {
				t.Fatalf("%s/%s: off-table answer not reported: %v", s, req, err)
			}
			ack, always := qosst.Protocol().Ack(req)
			switch {
			case always:
				tr, _ := qosst.Lookup(s, req, ack)
				if r.Code != ack || e.State() != tr.Next {
					t.Errorf("%s/%s: fallback %s → %s, want %s → %s", s, req, r.Code, e.State(), ack, tr.Next)
				}
			default:
				if want := abortedTo(s); r.Code != messages.Abort || e.State() != want {
					t.Errorf("%s/%s: fallback %s → %s, want ABORT → %s", s, req, r.Code, e.State(), want)
				}
				if qosst.HasFrame(s) && len(h.dropped) != nd+1 {
					t.Errorf("%s/%s: frame not dropped after ABORT", s, req)
				}
			}
		}
	}
}

func TestHandlerPanicBecomesAbort(t *testing.T) {
	for _, s := range openStates() {
		e, h, sc := engineAt(t, s)
		req := qosst.Legal(s)[0]
		if _, always := qosst.Protocol().Ack(req); always {
			continue
		}
		sc.panics = true
		r, err := e.Dispatch(context.Background(), req, sample(req))
		if !errors.Is(err, ErrHandlerPanic) {
			t.Fatalf("%s/%s: err %v", s, req, err)
		}
		if r.Code != messages.Abort || fieldOf(t, r.Content, "abort_message") == "" {
			t.Errorf("%s/%s: reply %s", s, req, r.Code)
		}
		if qosst.HasFrame(s) && len(h.dropped) != 1 {
			t.Errorf("%s: frame not dropped after panic", s)
		}
		// The engine keeps serving.
		sc.panics = false
		if r, err := e.Dispatch(context.Background(), messages.Disconnection, nil); err != nil || r.Code != messages.DisconnectionAck {
			t.Errorf("%s: after panic: %s %v", s, r.Code, err)
		}
	}
}

func TestHandlerErrorAbortsWithReason(t *testing.T) {
	mux := NewMux()
	mux.Handle(messages.IdentificationRequest, func(ctx context.Context, r Request) (Answer, error) {
		return answer(messages.IdentificationResponse), nil
	})
	mux.Handle(messages.InitializationRequest, func(ctx context.Context, r Request) (Answer, error) {
		return answer(messages.InitializationAccepted), nil
	})
	mux.Handle(messages.QIERequest, func(ctx context.Context, r Request) (Answer, error) {
		return Answer{}, errors.New("emitter busy for 2s")
	})
	var dropped []Change
	e := New(Config{Handlers: mux, OnFrameDropped: func(c Change) { dropped = append(dropped, c) }})
	ctx := context.Background()
	for _, c := range []messages.Code{messages.IdentificationRequest, messages.InitializationRequest} {
		if _, err := e.Dispatch(ctx, c, sample(c)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.Dispatch(ctx, messages.QIERequest, sample(messages.QIERequest))
	if err != nil || r.Code != messages.Abort || e.State() != states.Identified {
		t.Fatalf("got %s → %s, %v", r.Code, e.State(), err)
	}
	if msg := fieldOf(t, r.Content, "abort_message"); msg != "emitter busy for 2s" {
		t.Errorf("abort_message %q", msg)
	}
	if len(dropped) != 1 || !strings.Contains(dropped[0].Reason, "emitter busy") {
		t.Errorf("dropped hook: %+v", dropped)
	}
}

func TestMissingHandlerAborts(t *testing.T) {
	e := New(Config{})
	r, err := e.Dispatch(context.Background(), messages.IdentificationRequest, sample(messages.IdentificationRequest))
	if !errors.Is(err, ErrNoHandler) || r.Code != messages.Abort || e.State() != states.Connected {
		t.Fatalf("got %s %v in %s", r.Code, err, e.State())
	}
	if msg := fieldOf(t, r.Content, "abort_message"); msg != "IDENTIFICATION_REQUEST is not implemented by this station" {
		t.Fatalf("abort_message %q", msg)
	}
	// Session-level requests need no handler.
	r, err = e.Dispatch(context.Background(), messages.InvalidResponse, nil)
	if err != nil || r.Code != messages.InvalidResponseAck {
		t.Fatalf("INVALID_RESPONSE: %s %v", r.Code, err)
	}
}

func TestAbortFromEveryState(t *testing.T) {
	for _, s := range openStates() {
		e, h, _ := engineAt(t, s)
		r, err := e.Dispatch(context.Background(), messages.Abort, nil)
		if want := abortedTo(s); err != nil || r.Code != messages.AbortAck || e.State() != want {
			t.Errorf("%s: ABORT → %s, state %s, %v; want ABORT_ACK, %s", s, r.Code, e.State(), err, want)
		}
		if got := len(h.dropped); (got == 1) != qosst.HasFrame(s) {
			t.Errorf("%s: dropped hook ran %d times", s, got)
		}
	}
}

func TestDisconnectionFromEveryState(t *testing.T) {
	for _, s := range openStates() {
		e, _, _ := engineAt(t, s)
		r, err := e.Dispatch(context.Background(), messages.Disconnection, nil)
		if err != nil || r.Code != messages.DisconnectionAck || !r.Close || e.State() != states.Closed || !e.Closed() {
			t.Errorf("%s: DISCONNECTION → %s close=%v state %s, %v", s, r.Code, r.Close, e.State(), err)
		}
		if _, err := e.Dispatch(context.Background(), messages.IdentificationRequest, sample(messages.IdentificationRequest)); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: dispatch after close: %v", s, err)
		}
	}
}

func TestAuthFailureFromEveryState(t *testing.T) {
	for _, s := range openStates() {
		e, h, _ := engineAt(t, s)
		r, err := e.AuthFailed(context.Background(), messages.ErrAuthentication)
		if err != nil || r.Code != messages.AuthenticationInvalid || r.Close || e.State() != states.Connected {
			t.Errorf("%s: auth failure → %s close=%v state %s, %v", s, r.Code, r.Close, e.State(), err)
		}
		if got := len(h.dropped); (got == 1) != qosst.HasFrame(s) {
			t.Errorf("%s: dropped hook ran %d times", s, got)
		}
		// The peer must identify again: anything else is unexpected.
		if r, _ := e.Dispatch(context.Background(), messages.InitializationRequest, sample(messages.InitializationRequest)); r.Code != messages.UnexpectedCommand {
			t.Errorf("%s: after auth failure INITIALIZATION_REQUEST → %s", s, r.Code)
		}
	}
}

func TestManInTheMiddleAfterFailuresInARow(t *testing.T) {
	sc := &script{}
	e, _ := newTestEngine(t, sc, nil)
	e.cfg.MaxAuthFailures = 3
	ctx := context.Background()
	// Two failures, a good frame, two failures: not in a row.
	for range 2 {
		if _, err := e.AuthFailed(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Dispatch(ctx, messages.IdentificationRequest, sample(messages.IdentificationRequest)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r, err := e.AuthFailed(ctx, nil); err != nil || r.Close {
			t.Fatalf("closed after failures not in a row: %v", err)
		}
	}
	r, err := e.AuthFailed(ctx, messages.ErrAuthentication)
	if !errors.Is(err, ErrManInTheMiddle) || !errors.Is(err, messages.ErrAuthentication) || !r.Close || r.Code != messages.AuthenticationInvalid {
		t.Fatalf("third failure in a row: %s close=%v %v", r.Code, r.Close, err)
	}
	if !e.Closed() {
		t.Fatal("engine not closed after man-in-the-middle")
	}
	if _, err := e.Dispatch(ctx, messages.IdentificationRequest, sample(messages.IdentificationRequest)); !errors.Is(err, ErrClosed) {
		t.Fatalf("dispatch after man-in-the-middle: %v", err)
	}
}

func TestStateChangeHook(t *testing.T) {
	e, h, _ := engineAt(t, states.PADone)
	if _, err := e.Dispatch(context.Background(), messages.FrameEnded, sample(messages.FrameEnded)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range h.changes {
		got = append(got, string(c.From)+">"+string(c.To))
	}
	want := []string{"connected>identified", "identified>initialized", "initialized>qie_ready", "qie_ready>emitting",
		"emitting>pe", "pe>pe_approved", "pe_approved>ec", "ec>ec_done", "ec_done>pa_done", "pa_done>identified"}
	if !slices.Equal(got, want) {
		t.Errorf("state changes %v\nwant %v", got, want)
	}
	if len(h.ended) != 1 || len(h.dropped) != 0 {
		t.Errorf("frame end hook %d, dropped %d", len(h.ended), len(h.dropped))
	}
}

func TestConcurrentSessionsShareAMux(t *testing.T) {
	sc := &script{}
	mux := NewMux()
	mux.Handle(messages.IdentificationRequest, sc.handler)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := New(Config{Handlers: mux})
			for range 50 {
				e.Dispatch(context.Background(), messages.IdentificationRequest, sample(messages.IdentificationRequest))
				e.Dispatch(context.Background(), messages.Abort, nil)
				_ = e.State()
			}
			if r, _ := e.Dispatch(context.Background(), messages.Disconnection, nil); r.Code != messages.DisconnectionAck {
				t.Errorf("got %s", r.Code)
			}
		}()
	}
	wg.Wait()
}

func TestBadAnswerContentIsCaught(t *testing.T) {
	cases := map[string]Answer{
		"missing":    {Code: messages.IdentificationResponse},
		"wrong code": {Code: messages.IdentificationResponse, Content: &messages.InvalidQOSSTVersionContent{QOSSTVersion: "QOSST/0.2"}},
	}
	for name, a := range cases {
		mux := NewMux()
		mux.Handle(messages.IdentificationRequest, func(ctx context.Context, r Request) (Answer, error) { return a, nil })
		e := New(Config{Handlers: mux})
		r, err := e.Dispatch(context.Background(), messages.IdentificationRequest, sample(messages.IdentificationRequest))
		if !errors.Is(err, ErrBadAnswer) || r.Code != messages.Abort || e.State() != states.Connected {
			t.Errorf("%s: %s %v in %s", name, r.Code, err, e.State())
		}
	}
	// Content that fails its own validation.
	e, _, _ := engineAt(t, states.Identified)
	mux := NewMux()
	mux.Handle(messages.ChangeParameterRequest, func(ctx context.Context, r Request) (Answer, error) {
		return Answer{Code: messages.ParameterUnkown, Content: &messages.ParameterUnkownContent{}}, nil
	})
	e.cfg.Handlers = mux
	r, err := e.Dispatch(context.Background(), messages.ChangeParameterRequest, sample(messages.ChangeParameterRequest))
	if !errors.Is(err, ErrBadAnswer) || r.Code != messages.Abort {
		t.Errorf("invalid content: %s %v", r.Code, err)
	}
}

func TestHandlerSeesTypedContent(t *testing.T) {
	mux := NewMux()
	var got *messages.IdentificationRequestContent
	mux.Handle(messages.IdentificationRequest, func(ctx context.Context, r Request) (Answer, error) {
		got, _ = r.Content.(*messages.IdentificationRequestContent)
		return answer(messages.IdentificationResponse), nil
	})
	e := New(Config{Handlers: mux})
	if _, err := e.Dispatch(context.Background(), messages.IdentificationRequest, sample(messages.IdentificationRequest)); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.SerialNumber != "bob" || got.QOSSTVersion != "QOSST/0.2" {
		t.Fatalf("handler content %+v", got)
	}
	// The real decoder's field error reaches INVALID_CONTENT.
	r, _ := e.Dispatch(context.Background(), messages.InitializationRequest, []byte(`{"frame_uuid": 12}`))
	if r.Code != messages.InvalidContent || !strings.HasPrefix(fieldOf(t, r.Content, "error_message"), "field frame_uuid: ") {
		t.Fatalf("got %s %q", r.Code, fieldOf(t, r.Content, "error_message"))
	}
	r, _ = e.Dispatch(context.Background(), messages.InitializationRequest, nil)
	if r.Code != messages.InvalidContent {
		t.Fatalf("absent required content: %s", r.Code)
	}
}

func TestHandleInOverridesHandle(t *testing.T) {
	mux := NewMux()
	var which string
	mux.Handle(messages.IdentificationRequest, func(ctx context.Context, r Request) (Answer, error) {
		which = "all"
		return answer(messages.IdentificationResponse), nil
	})
	mux.HandleIn(states.Identified, messages.IdentificationRequest, func(ctx context.Context, r Request) (Answer, error) {
		which = "identified"
		return answer(messages.IdentificationResponse), nil
	})
	e := New(Config{Handlers: mux})
	raw := sample(messages.IdentificationRequest)
	e.Dispatch(context.Background(), messages.IdentificationRequest, raw)
	if which != "all" {
		t.Fatal(which)
	}
	e.Dispatch(context.Background(), messages.IdentificationRequest, raw)
	if which != "identified" {
		t.Fatal(which)
	}
}

func TestHooksMayQueryTheEngine(t *testing.T) {
	var e *Engine
	var seen []string
	mux := NewMux()
	mux.Handle(messages.IdentificationRequest, func(ctx context.Context, r Request) (Answer, error) {
		seen = append(seen, fmt.Sprintf("handler %s %v %d", e.State(), e.Closed(), e.AuthFailures()))
		return answer(messages.IdentificationResponse), nil
	})
	e = New(Config{Handlers: mux, OnStateChange: func(c Change) {
		seen = append(seen, fmt.Sprintf("hook %s %v %d", e.State(), e.Closed(), e.AuthFailures()))
	}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Dispatch(context.Background(), messages.IdentificationRequest, sample(messages.IdentificationRequest))
		e.Dispatch(context.Background(), messages.Disconnection, nil)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a hook querying the engine deadlocks")
	}
	want := []string{"handler connected false 0", "hook identified false 0", "hook closed true 0"}
	if !slices.Equal(seen, want) {
		t.Fatalf("seen %q, want %q", seen, want)
	}
}

func TestFrameErrorIsDerived(t *testing.T) {
	e, h, _ := engineAt(t, states.PE)
	n := len(h.changes)
	r := e.FrameError(messages.PESymbolsRequest, errors.New("content is not valid JSON"))
	if r.Code != messages.InvalidContent || !r.Derived || e.State() != states.PE || len(h.changes) != n {
		t.Fatalf("%+v in %s", r, e.State())
	}
	if fieldOf(t, r.Content, "code") != "160" || fieldOf(t, r.Content, "error_message") != "content is not valid JSON" {
		t.Fatalf("content %s", fieldOf(t, r.Content, "error_message"))
	}
}

// A handler that finds broken what the table guarantees reports a
// programming error: Dispatch returns an *InvariantError naming the state
// and request, the peer is answered ABORT and the frame is dropped.
func TestInvariantViolationIsAProgrammingError(t *testing.T) {
	e, h, sc := engineAt(t, states.PE)
	mux := NewMux()
	mux.Handle(messages.PEFinished, func(ctx context.Context, r Request) (Answer, error) {
		return Answer{}, Invariant("no symbols for the frame in %s", r.State)
	})
	mux.Handle(messages.PENphotonRequest, sc.handler)
	e.cfg.Handlers = mux
	r, err := e.Dispatch(context.Background(), messages.PEFinished, sample(messages.PEFinished))
	var inv *InvariantError
	if !errors.As(err, &inv) || !errors.Is(err, ErrInvariant) || inv.State != states.PE || inv.Request != messages.PEFinished {
		t.Fatalf("err %v, want an *InvariantError for PE_FINISHED in pe", err)
	}
	if r.Code != messages.Abort || e.State() != states.Identified || len(h.dropped) != 1 {
		t.Fatalf("reply %s → %s, dropped %d", r.Code, e.State(), len(h.dropped))
	}
	if msg := fieldOf(t, r.Content, "abort_message"); strings.Contains(msg, "no symbols") {
		t.Errorf("abort_message %q shows the internal error to the peer", msg)
	}
	// An ordinary handler error is an ABORT, not a programming error.
	e, _, _ = engineAt(t, states.PE)
	mux = NewMux()
	mux.Handle(messages.PEFinished, func(ctx context.Context, r Request) (Answer, error) {
		return Answer{}, errors.New("emitter lost")
	})
	e.cfg.Handlers = mux
	if r, err := e.Dispatch(context.Background(), messages.PEFinished, sample(messages.PEFinished)); err != nil || r.Code != messages.Abort {
		t.Fatalf("ordinary error: %s %v", r.Code, err)
	}
}
