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
	Content Content // nil when the request carries no content
}

// Answer is what a handler returns: the response code and its content (nil
// for none). The code must be a row of the table for the request.
type Answer struct {
	Code    messages.Code
	Content Content
}

// Handler answers one request. An error answers ABORT with the error's text
// as abort_message (hardware failure, operator stop) and drops the frame.
type Handler func(ctx context.Context, req Request) (Answer, error)

// Change describes a transition the engine took.
type Change struct {
	From, To states.State
	Request  messages.Code // 0 for an authentication failure
	Response messages.Code
	Frame    qosst.FrameEffect
	Reason   string // why the frame was dropped, when it was
}

// Reply is what the engine answers to one frame: send Code with Content
// (nil: no content), then close the session if Close is set.
type Reply struct {
	Code    messages.Code
	Content Content
	From    states.State // state before the request
	State   states.State // state after the reply
	Frame   qosst.FrameEffect
	Derived bool  // an answer derived by the engine, not a handler's
	Close   bool  // the session is over after this reply
	Cause   error // why the answer is an error answer (handler error, validation failure), for logs
}

// Config configures an Engine.
type Config struct {
	// Handlers answers the legal requests. ABORT, DISCONNECTION and
	// INVALID_RESPONSE have built-in acknowledgements when not handled.
	Handlers *Mux
	// Decode types request content; messages.DecodeContent when nil.
	Decode DecodeFunc
	// MaxAuthFailures in a row before the engine says the session must
	// close (DefaultMaxAuthFailures when 0).
	MaxAuthFailures int
	// Logger receives programming errors (off-table answers, panics) and
	// the man-in-the-middle conclusion. Zero value: no logging.
	Logger zerolog.Logger
	// OnStateChange runs after every transition that changes the state.
	OnStateChange func(Change)
	// OnFrameDropped runs when the frame in progress is dropped (Alice
	// releases the emitter and forgets the frame there).
	OnFrameDropped func(Change)
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
	return &Engine{cfg: cfg, machine: newMachine()}
}

// State returns the current state.
func (e *Engine) State() states.State { return states.State(e.machine.Current()) }

// Dispatch answers one request whose frame passed its integrity and
// challenge checks: code as received and its raw content (empty: absent).
// The reply is always sendable. The error is non-nil only for a programming
// error on this side (ErrOffTable, ErrHandlerPanic, ErrNoHandler,
// ErrBadAnswer: the reply is then ABORT) or when the session is closed
// (ErrClosed: send nothing).
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
	if !qosst.IsLegal(s, code) {
		err := &UnexpectedError{State: s, Request: code}
		base.Code = messages.UnexpectedCommand
		base.Content = &messages.UnexpectedCommandContent{Command: code, ErrorMessage: err.Error()}
		base.Cause = err
		return base, nil
	}
	var content Content
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
	t, ok := qosst.Lookup(s, code, ans.Code)
	if !ok || progErr != nil {
		if progErr == nil {
			progErr = &OffTableError{State: s, Request: code, Response: ans.Code}
		}
		ans, t = e.fallback(s, code, progErr)
	}
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
	e.apply(ctx, t, reason)
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
func (e *Engine) run(ctx context.Context, s states.State, code messages.Code, content Content) (ans Answer, cause, progErr error) {
	h := e.cfg.Handlers.lookup(s, code)
	if h == nil {
		if ack, ok := builtinAck(code); ok {
			return Answer{Code: ack}, nil, nil
		}
		err := &HandlerError{State: s, Request: code, Err: ErrNoHandler}
		return Answer{Code: messages.Abort, Content: abortReason("%s is not implemented by this station", code)}, nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			err := &HandlerError{State: s, Request: code, Err: fmt.Errorf("%w: %v\n%s", ErrHandlerPanic, p, debug.Stack())}
			ans = Answer{Code: messages.Abort, Content: abortReason("internal error while handling %s", code)}
			cause, progErr = nil, err
		}
	}()
	ans, err := h(ctx, Request{State: s, Code: code, Content: content})
	if err != nil {
		return Answer{Code: messages.Abort, Content: abortReason("%s", err.Error())}, err, nil
	}
	switch {
	case ans.Content == nil && messages.ContentRequired(ans.Code):
		return ans, nil, &HandlerError{State: s, Request: code, Err: fmt.Errorf("%w: %s needs content", ErrBadAnswer, ans.Code)}
	case ans.Content == nil:
	case ans.Content.Code() != ans.Code:
		return ans, nil, &HandlerError{State: s, Request: code, Err: fmt.Errorf("%w: content of %s for answer %s", ErrBadAnswer, ans.Content.Code(), ans.Code)}
	default:
		if verr := ans.Content.Validate(); verr != nil {
			return ans, nil, &HandlerError{State: s, Request: code, Err: fmt.Errorf("%w: %w", ErrBadAnswer, verr)}
		}
	}
	return ans, nil, nil
}

// fallback is the answer when a handler's answer is unusable: ABORT for a
// phase request, the acknowledgement for a session-level one.
func (e *Engine) fallback(s states.State, code messages.Code, err error) (Answer, qosst.Transition) {
	if ack, ok := builtinAck(code); ok {
		t, _ := qosst.Lookup(s, code, ack)
		return Answer{Code: ack}, t
	}
	t, _ := qosst.Lookup(s, code, messages.Abort)
	if errors.Is(err, ErrNoHandler) {
		return Answer{Code: messages.Abort, Content: abortReason("%s is not implemented by this station", code)}, t
	}
	return Answer{Code: messages.Abort, Content: abortReason("internal error while handling %s", code)}, t
}

// builtinAck answers the session-level requests when no handler is set.
func builtinAck(code messages.Code) (messages.Code, bool) {
	switch code {
	case messages.Abort:
		return messages.AbortAck, true
	case messages.Disconnection:
		return messages.DisconnectionAck, true
	case messages.InvalidResponse:
		return messages.InvalidResponseAck, true
	}
	return 0, false
}

// apply moves the machine along t and runs the hooks.
func (e *Engine) apply(ctx context.Context, t qosst.Transition, reason string) {
	name := eventName(t.Request, t.Response)
	if t.Request == 0 {
		name = authEvent
	}
	applyEvent(ctx, e.machine, name)
	ch := Change{From: t.From, To: t.Next, Request: t.Request, Response: t.Response, Frame: t.Frame, Reason: reason}
	if t.From != t.Next && e.cfg.OnStateChange != nil {
		e.cfg.OnStateChange(ch)
	}
	dropped := t.Frame == qosst.FrameDropped || (t.Frame == qosst.FrameBegun && qosst.HasFrame(t.From))
	if dropped && e.cfg.OnFrameDropped != nil {
		if ch.Reason == "" {
			ch.Reason = fmt.Sprintf("%s answered %s", t.Request, t.Response)
			if t.Request == 0 {
				ch.Reason = "authentication failure"
			}
		}
		e.cfg.OnFrameDropped(ch)
	}
	if t.Frame == qosst.FrameComplete && e.cfg.OnFrameEnd != nil {
		e.cfg.OnFrameEnd(ch)
	}
}

// applyEvent fires a table event on m; the event exists by construction, so
// any error but "no transition" (a transition that stays) is a bug.
func applyEvent(ctx context.Context, m *lfsm.FSM, name string) {
	err := m.Event(context.WithoutCancel(ctx), name)
	var nt lfsm.NoTransitionError
	if err != nil && !errors.As(err, &nt) {
		panic(fmt.Sprintf("fsm: table event %s refused in %s: %v", name, m.Current(), err))
	}
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
	t := qosst.AuthFailure(s)
	reason := "authentication failure"
	if cause != nil {
		reason += ": " + cause.Error()
	}
	e.apply(ctx, t, reason)
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
