package fsm

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	lfsm "github.com/looplab/fsm"
	"github.com/rs/zerolog"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// DefaultMaxAuthFailures is the number of authentication failures in a row
// after which the engine concludes man-in-the-middle.
const DefaultMaxAuthFailures = 3

// Request is what a handler receives: a request legal in State whose
// content passed its typed validation.
type Request struct {
	State   states.State
	Code    messages.Code
	Content messages.Content // nil when the request carries no content
}

// Answer is what a handler returns: the response code and its content (nil
// for none). The code must be a row of the table for the request.
type Answer struct {
	Code    messages.Code
	Content messages.Content
	// NewFrame, with an answer whose row begins a frame, is the station's
	// data of that frame, handed to Config.OnFrameBegun.
	NewFrame any
}

// Handler answers one request. An error answers ABORT with the error's text
// as abort_message (hardware failure, operator stop) and drops the frame;
// an *InvariantError (see Invariant) is a programming error instead.
type Handler func(ctx context.Context, req Request) (Answer, error)

// Change describes a transition the engine took.
type Change struct {
	From, To states.State
	Request  messages.Code // 0 for an authentication failure
	Response messages.Code
	Frame    qosst.FrameEffect
	Reason   string // why the frame was dropped, when it was
	NewFrame any    // the handler's Answer.NewFrame
}

// Reply is what the engine answers to one frame: send Code with Content
// (nil: no content), then close the session if Close is set.
type Reply struct {
	Code    messages.Code
	Content messages.Content
	From    states.State // state before the request
	State   states.State // state after the reply
	Frame   qosst.FrameEffect
	Derived bool  // an answer derived by the engine, not a handler's
	Close   bool  // the session is over after this reply
	Cause   error // why the answer is an error answer (handler error, validation failure), for logs
}

// Config configures an Engine.
type Config struct {
	// Table is the protocol the engine runs; qosst.Protocol() when nil.
	Table *qosst.Table
	// Handlers answers the legal requests. The requests of the table's
	// every-state rows (ABORT, DISCONNECTION, INVALID_RESPONSE) are answered
	// by their row's response when not handled.
	Handlers *Mux
	// Decode types request content; messages.DecodeContent when nil.
	Decode DecodeFunc
	// MaxAuthFailures in a row before the engine says the session must
	// close (DefaultMaxAuthFailures when 0).
	MaxAuthFailures int
	// Logger receives programming errors (off-table answers, panics) and
	// the man-in-the-middle conclusion. Zero value: no logging.
	Logger zerolog.Logger
	// OnLeave and OnEnter run, per state, when a transition leaves or
	// enters that state (not when it stays): what a state holds (the
	// emitter, the polarisation light) is given back there. They run as
	// callbacks of the looplab machine, leave before enter.
	OnLeave, OnEnter map[states.State]func(context.Context, Change)
	// OnStateChange runs after every transition that changes the state.
	OnStateChange func(Change)
	// OnFrameDropped runs when the frame in progress is dropped, or
	// replaced by a new one (Change.Frame is then FrameBegun).
	OnFrameDropped func(Change)
	// OnFrameBegun runs when a frame begins, after OnFrameDropped for the
	// frame it replaces; Change.NewFrame is the handler's Answer.NewFrame.
	OnFrameBegun func(Change)
	// OnFrameEnd runs when the frame completes (FRAME_ENDED_ACK).
	OnFrameEnd func(Change)
}

// Mux maps (state, request) to handlers. Build it before sessions start; it
// is read concurrently by every session's engine.
type Mux struct {
	mu  sync.RWMutex
	all map[messages.Code]Handler
	in  map[states.State]map[messages.Code]Handler
}

// NewMux returns an empty handler registry.
func NewMux() *Mux {
	return &Mux{all: map[messages.Code]Handler{}, in: map[states.State]map[messages.Code]Handler{}}
}

// Handle registers h for code in every state where code is legal.
func (m *Mux) Handle(code messages.Code, h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.all[code] = h
}

// HandleIn registers h for code in state s only; it takes precedence over Handle.
func (m *Mux) HandleIn(s states.State, code messages.Code, h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.in[s] == nil {
		m.in[s] = map[messages.Code]Handler{}
	}
	m.in[s][code] = h
}

func (m *Mux) lookup(s states.State, code messages.Code) Handler {
	if m == nil {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if h := m.in[s][code]; h != nil {
		return h
	}
	return m.all[code]
}

// Engine is Alice's protocol engine for one session. Its methods are safe
// for concurrent use, but a session dispatches one request at a time.
// Hooks and handlers run inside Dispatch: they may call State, Closed and
// AuthFailures, not Dispatch or AuthFailed.
type Engine struct {
	cfg      Config
	tab      *qosst.Table
	mu       sync.Mutex // serialises Dispatch and AuthFailed
	machine  *lfsm.FSM
	authFail atomic.Int32 // authentication failures in a row
	mitm     atomic.Bool  // closed after too many authentication failures
}

// New returns an engine in state connected.
func New(cfg Config) *Engine {
	if cfg.MaxAuthFailures <= 0 {
		cfg.MaxAuthFailures = DefaultMaxAuthFailures
	}
	if cfg.Decode == nil {
		cfg.Decode = messages.DecodeContent
	}
	if cfg.Table == nil {
		cfg.Table = qosst.Protocol()
	}
	e := &Engine{cfg: cfg, tab: cfg.Table}
	e.machine = newMachine(e.tab, e.callbacks())
	return e
}

// callbacks are the looplab callbacks of the engine's machine: the state
// hooks of Config on leaving and entering states, and the frame hooks after
// every event, from the transition each event carries.
func (e *Engine) callbacks() lfsm.Callbacks {
	cb := lfsm.Callbacks{}
	for s, f := range e.cfg.OnLeave {
		cb["leave_"+string(s)] = func(ctx context.Context, ev *lfsm.Event) { f(ctx, changeOf(ev)) }
	}
	for s, f := range e.cfg.OnEnter {
		cb["enter_"+string(s)] = func(ctx context.Context, ev *lfsm.Event) { f(ctx, changeOf(ev)) }
	}
	if f := e.cfg.OnStateChange; f != nil {
		cb["enter_state"] = func(_ context.Context, ev *lfsm.Event) { f(changeOf(ev)) }
	}
	cb["after_event"] = func(_ context.Context, ev *lfsm.Event) {
		ch := changeOf(ev)
		if ch.Frame == qosst.FrameDropped || (ch.Frame == qosst.FrameBegun && e.tab.HasFrame(ch.From)) {
			if ch.Reason == "" {
				ch.Reason = fmt.Sprintf("%s answered %s", ch.Request, ch.Response)
				if ch.Request == 0 {
					ch.Reason = "authentication failure"
				}
			}
			if e.cfg.OnFrameDropped != nil {
				e.cfg.OnFrameDropped(ch)
			}
		}
		if ch.Frame == qosst.FrameBegun && e.cfg.OnFrameBegun != nil {
			e.cfg.OnFrameBegun(ch)
		}
		if ch.Frame == qosst.FrameComplete && e.cfg.OnFrameEnd != nil {
			e.cfg.OnFrameEnd(ch)
		}
	}
	return cb
}

// changeOf returns the Change an engine event carries as its argument.
func changeOf(ev *lfsm.Event) Change {
	if len(ev.Args) > 0 {
		if ch, ok := ev.Args[0].(Change); ok {
			return ch
		}
	}
	return Change{From: states.State(ev.Src), To: states.State(ev.Dst)}
}

// State returns the current state.
func (e *Engine) State() states.State { return states.State(e.machine.Current()) }

// Dispatch answers one request whose frame passed its integrity and
// challenge checks: code as received and its raw content (empty: absent).
// The reply is always sendable. The error is non-nil only for a programming
// error on this side (an *InvariantError wrapping ErrOffTable,
// ErrHandlerPanic, ErrNoHandler, ErrBadAnswer or ErrInvariant: the reply is
// then ABORT) or when the session is closed (ErrClosed: send nothing).
func (e *Engine) Dispatch(ctx context.Context, code messages.Code, raw []byte) (Reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.State()
	if s == states.Closed || e.mitm.Load() {
		return Reply{From: s, State: s, Close: true}, ErrClosed
	}
	e.authFail.Store(0)
	base := Reply{From: s, State: s, Derived: true}

	if !code.Known() {
		base.Code = messages.UnkownCommand
		base.Content = &messages.UnkownCommandContent{Command: code}
		base.Cause = fmt.Errorf("%w: %d", messages.ErrUnknownCode, int(code))
		return base, nil
	}
	if !e.tab.IsLegal(s, code) {
		err := &UnexpectedError{State: s, Request: code, legal: e.tab.Legal(s)}
		base.Code = messages.UnexpectedCommand
		base.Content = &messages.UnexpectedCommandContent{Command: code, ErrorMessage: err.Error()}
		base.Cause = err
		return base, nil
	}
	var content messages.Content
	{
		c, err := e.cfg.Decode(code, raw)
		if err != nil {
			base.Code = messages.InvalidContent
			base.Content = &messages.InvalidContentContent{Command: code, ErrorMessage: contentMessage(err)}
			base.Cause = err
			return base, nil
		}
		content = c
	}

	ans, cause, progErr := e.run(ctx, s, code, content)
	if progErr == nil && !e.machine.Can(eventName(code, ans.Code)) {
		progErr = &InvariantError{State: s, Request: code, Err: &OffTableError{State: s, Request: code, Response: ans.Code}}
	}
	if progErr != nil {
		ans = e.fallback(code, progErr)
	}
	t, _ := e.tab.Lookup(s, code, ans.Code)
	if progErr != nil {
		e.cfg.Logger.Error().Err(progErr).Str("state", string(s)).Stringer("code", code).Msg("protocol engine answered ABORT")
		if cause == nil {
			cause = progErr
		}
	}
	reason := ""
	if cause != nil {
		reason = cause.Error()
	}
	if err := e.apply(ctx, t, reason, ans.NewFrame); err != nil && progErr == nil {
		progErr = err
	}
	return Reply{
		Code:    ans.Code,
		Content: ans.Content,
		From:    s,
		State:   t.Next,
		Frame:   t.Frame,
		Close:   t.Next == states.Closed,
		Cause:   cause,
	}, progErr
}

// run calls the handler, turning errors and panics into ABORT. cause is
// the handler's own error (a legitimate ABORT); progErr a programming error.
func (e *Engine) run(ctx context.Context, s states.State, code messages.Code, content messages.Content) (ans Answer, cause, progErr error) {
	h := e.cfg.Handlers.lookup(s, code)
	if h == nil {
		if ack, ok := e.tab.Ack(code); ok {
			return Answer{Code: ack}, nil, nil
		}
		return Answer{}, nil, &InvariantError{State: s, Request: code, Err: ErrNoHandler}
	}
	defer func() {
		if p := recover(); p != nil {
			err := &InvariantError{State: s, Request: code, Err: fmt.Errorf("%w: %v\n%s", ErrHandlerPanic, p, debug.Stack())}
			ans, cause, progErr = Answer{}, nil, err
		}
	}()
	ans, err := h(ctx, Request{State: s, Code: code, Content: content})
	var inv *InvariantError
	if errors.As(err, &inv) {
		if inv.State == "" {
			inv.State, inv.Request = s, code
		}
		return Answer{}, nil, err
	}
	if err != nil {
		return Answer{Code: messages.Abort, Content: abortReason("%s", err.Error())}, err, nil
	}
	bad := func(err error) (Answer, error, error) {
		return ans, nil, &InvariantError{State: s, Request: code, Err: fmt.Errorf("%w: %w", ErrBadAnswer, err)}
	}
	switch {
	case ans.Content == nil && messages.ContentRequired(ans.Code):
		return bad(fmt.Errorf("%s needs content", ans.Code))
	case ans.Content == nil:
	case ans.Content.Code() != ans.Code:
		return bad(fmt.Errorf("content of %s for answer %s", ans.Content.Code(), ans.Code))
	default:
		if verr := ans.Content.Validate(); verr != nil {
			return bad(verr)
		}
	}
	return ans, nil, nil
}

// fallback is the answer when a handler's answer is unusable: the row's
// answer for an every-state request, ABORT for a phase request.
func (e *Engine) fallback(code messages.Code, err error) Answer {
	if ack, ok := e.tab.Ack(code); ok {
		return Answer{Code: ack}
	}
	if errors.Is(err, ErrNoHandler) {
		return Answer{Code: messages.Abort, Content: abortReason("%s is not implemented by this station", code)}
	}
	return Answer{Code: messages.Abort, Content: abortReason("internal error while handling %s", code)}
}

// apply fires the event of t on the machine, whose callbacks run the hooks.
func (e *Engine) apply(ctx context.Context, t qosst.Transition, reason string, newFrame any) error {
	ch := Change{From: t.From, To: t.Next, Request: t.Request, Response: t.Response, Frame: t.Frame, Reason: reason, NewFrame: newFrame}
	return fire(ctx, e.machine, t, ch)
}

// fire fires the event of transition t, carrying ch to the callbacks. The
// machine is built from the same table, so a refusal is a programming error.
func fire(ctx context.Context, m *lfsm.FSM, t qosst.Transition, ch Change) error {
	name := eventName(t.Request, t.Response)
	if t.Request == 0 {
		name = authEvent
	}
	err := m.Event(context.WithoutCancel(ctx), name, ch)
	var nt lfsm.NoTransitionError
	if err != nil && !errors.As(err, &nt) {
		return &InvariantError{State: t.From, Request: t.Request, Err: fmt.Errorf("table event %s refused: %w", name, err)}
	}
	return nil
}

// AuthFailed records that a frame failed its digest or challenge (cause is
// the session's error). The reply is AUTHENTICATION_INVALID; the frame in
// progress is dropped and the state goes back to connected. After
// MaxAuthFailures in a row, the reply also says Close and the error wraps
// ErrManInTheMiddle.
func (e *Engine) AuthFailed(ctx context.Context, cause error) (Reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.State()
	if s == states.Closed || e.mitm.Load() {
		return Reply{From: s, State: s, Close: true}, ErrClosed
	}
	failures := int(e.authFail.Add(1))
	t := e.tab.AuthFailure(s)
	reason := "authentication failure"
	if cause != nil {
		reason += ": " + cause.Error()
	}
	if err := e.apply(ctx, t, reason, nil); err != nil {
		return Reply{From: s, State: e.State(), Close: true}, err
	}
	r := Reply{Code: messages.AuthenticationInvalid, From: s, State: t.Next, Frame: t.Frame, Derived: true, Cause: cause}
	if failures >= e.cfg.MaxAuthFailures {
		err := fmt.Errorf("%w (%d failures in a row)", ErrManInTheMiddle, failures)
		if cause != nil {
			err = fmt.Errorf("%w (%d failures in a row, last: %w)", ErrManInTheMiddle, failures, cause)
		}
		e.cfg.Logger.Error().Err(err).Msg("closing session")
		e.mitm.Store(true)
		r.Close = true
		return r, err
	}
	return r, nil
}

// Closed reports whether the session is over: DISCONNECTION acknowledged,
// or man-in-the-middle concluded. Safe to call from hooks and handlers.
func (e *Engine) Closed() bool {
	return e.mitm.Load() || e.State() == states.Closed
}

// AuthFailures returns the number of authentication failures in a row.
// Safe to call from hooks and handlers.
func (e *Engine) AuthFailures() int { return int(e.authFail.Load()) }

// FrameError answers a frame whose integrity held but which could not be
// read (content that is not JSON, a malformed frame): INVALID_CONTENT
// {"code": N, "error_message": ...}, derived by the engine; the state does
// not move. code is the frame's code (0 when unknown).
func (e *Engine) FrameError(code messages.Code, err error) Reply {
	s := e.State()
	msg := "unreadable frame"
	if err != nil {
		msg = contentMessage(err)
	}
	return Reply{
		Code:    messages.InvalidContent,
		Content: &messages.InvalidContentContent{Command: code, ErrorMessage: msg},
		From:    s, State: s, Derived: true, Cause: err,
	}
}
