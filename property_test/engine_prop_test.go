package property_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
	"github.com/qosst/qosst-go/transport"
)

// requestKinds are the shapes of request a step may send.
const (
	kindLegal      = "legal"
	kindProgress   = "legal, toward the end of the frame"
	kindExtra      = "legal with extra fields"
	kindIllegal    = "illegal code"
	kindResponse   = "response code as request"
	kindUnknown    = "unknown code"
	kindBadContent = "bad content"
	kindBadDigest  = "frame with a bad digest"
)

// client is Bob's side of one random session.
type client struct {
	s        *transport.Session
	auth     *flakyAuth
	md       model
	frame    uuid.UUID
	failures int // authentication failures in a row
}

// flakyAuth is the None authenticator whose next signature can be spoiled.
type flakyAuth struct{ spoil bool }

func (a *flakyAuth) Name() string { return "none" }

func (a *flakyAuth) Sign(d []byte) ([]byte, error) {
	out := append([]byte(nil), d...)
	if a.spoil {
		out[0] ^= 0xff
		a.spoil = false
	}
	return out, nil
}

func (a *flakyAuth) Verify(d, signed []byte) error {
	if !bytes.Equal(d, signed) {
		return messages.ErrAuthentication
	}
	return nil
}

// maxAuthFailures is Alice's configured budget (authentication.max_failures).
const maxAuthFailures = 3

// validContent draws a valid content for req in the model's state. It also
// returns the answer the model predicts exactly, when the content decides it.
func (c *client) validContent(t *rapid.T, req messages.Code, extra bool) (map[string]any, messages.Code) {
	var m map[string]any
	var exact messages.Code
	switch req {
	case messages.IdentificationRequest:
		v := rapid.SampledFrom([]string{"QOSST/0.2", "QOSST/0.2", "QOSST/0.1"}).Draw(t, "version")
		m = map[string]any{"serial_number": "property-bob", "qosst_version": v}
		exact = messages.IdentificationResponse
		if v != "QOSST/0.2" {
			exact = messages.InvalidQOSSTVersion
		}
	case messages.InitializationRequest:
		c.frame = uuid.New()
		m = map[string]any{"frame_uuid": c.frame.String()}
	case messages.ChangeParameterRequest:
		m = map[string]any{
			"parameter": rapid.SampledFrom([]string{"frame.quantum.roll_off", "serial_number", "no.such.parameter"}).Draw(t, "parameter"),
			"value":     rapid.SampledFrom([]any{0.5, 0.3, -1.0, "x"}).Draw(t, "value"),
		}
	case messages.QIERequest:
		if rapid.Bool().Draw(t, "qie content") {
			m = map[string]any{"frame_uuid": c.frame.String()}
		}
	case messages.PESymbolsRequest:
		idx := rapid.SliceOfN(rapid.IntRange(0, numSymbols+3), 1, 20).Draw(t, "indices")
		m = map[string]any{"indices": idx}
		exact = messages.PESymbolsResponse
		if slices.ContainsFunc(idx, func(i int) bool { return i >= numSymbols }) {
			exact = messages.PESymbolsError
		}
	case messages.PEFinished:
		rate := rapid.SampledFrom([]float64{1e6, 1e6, 0, -5}).Draw(t, "key_rate")
		m = map[string]any{"n_photon": 1.0, "transmittance": 0.9, "excess_noise": 0.01, "electronic_noise": 0.05, "eta": 0.8, "key_rate": rate}
		if rate <= 0 {
			exact = messages.PEDenied
		}
	case messages.ECInitialization:
		m = map[string]any{"noise": 1.2, "ldpc": map[string]any{"n": 1024, "k": 512, "column_weight": 3, "seed": 1}, "blocks": 1}
	case messages.ECBlock:
		n := rapid.SampledFrom([]int{512, 512, 7}).Draw(t, "syndrome length")
		m = map[string]any{"block": 0, "syndrome": rapid.SliceOfN(rapid.IntRange(0, 1), n, n).Draw(t, "syndrome")}
	case messages.ECRemaining:
		m = map[string]any{"some_parameter": 1}
	case messages.ECVerification:
		m = map[string]any{"hash": rapid.Int64Range(0, 1<<62).Draw(t, "hash")}
	case messages.FrameEnded:
		// Key recovery in identified (or the end of the frame): the last
		// frame or one Alice never saw.
		id := c.frame
		if id == uuid.Nil || rapid.Bool().Draw(t, "unknown frame") {
			id = uuid.New()
		}
		m = map[string]any{"frame_uuid": id.String()}
	case messages.Abort:
		m = map[string]any{"abort_message": "property test"}
	case messages.InvalidResponse:
		m = map[string]any{"error_message": "property test"}
	}
	if extra {
		if m == nil {
			m = map[string]any{}
		}
		if req == messages.QIERequest {
			m["frame_uuid"] = c.frame.String() // present content must name the frame
		}
		m["property_extra_field"] = []any{1, "two", map[string]any{"three": 3.0}}
	}
	return m, exact
}

// badContents are contents that fail validation, per code with required
// content: missing fields, wrong types, not an object.
func badContents(req messages.Code) []string {
	common := []string{`{}`, `[]`, `"text"`, `{"property_unrelated": true}`}
	per := map[messages.Code][]string{
		messages.IdentificationRequest:  {`{"serial_number": 5, "qosst_version": "QOSST/0.2"}`, `{"serial_number": "b"}`},
		messages.InitializationRequest:  {`{"frame_uuid": "not-a-uuid"}`, `{"frame_uuid": 12}`},
		messages.ChangeParameterRequest: {`{"parameter": 7, "value": 1}`, `{"value": 1}`},
		messages.PESymbolsRequest:       {`{"indices": "x"}`, `{"indices": [1, -2]}`, `{"indices": [1.5]}`},
		messages.PEFinished:             {`{"n_photon": "x", "transmittance": 0.9, "excess_noise": 0.01, "electronic_noise": 0.05, "eta": 0.8, "key_rate": 1}`},
		messages.ECInitialization:       {`{"noise": "x", "ldpc": {"n": 1024, "k": 512, "column_weight": 3, "seed": 1}}`},
		messages.ECBlock:                {`{"block": 0, "syndrome": "x"}`, `{"block": -1, "syndrome": [0]}`},
		messages.ECVerification:         {`{"hash": "x"}`, `{"hash": -1}`},
		messages.PARequest:              {`{"seed": "x"}`},
		messages.FrameEnded:             {`{"frame_uuid": 1}`},
	}
	return append(common, per[req]...)
}

func knownCodes() []messages.Code { return messages.AllCodes() }

// step draws and sends one request, reads the answer and checks it
// against the model (and the table), then moves the model.
func (c *client) step(t *rapid.T) {
	before := c.md.s
	allowed := func(code messages.Code) bool { return c.md.allowed(code) != nil }
	var legal, illegal, responses []messages.Code
	for _, code := range knownCodes() {
		switch {
		case allowed(code):
			if code != messages.Disconnection {
				legal = append(legal, code)
			}
		default:
			illegal = append(illegal, code)
			if !isRequest(code) {
				responses = append(responses, code)
			}
		}
	}
	kind := rapid.SampledFrom([]string{kindProgress, kindProgress, kindProgress, kindLegal, kindLegal, kindLegal, kindExtra, kindIllegal, kindResponse, kindUnknown, kindBadContent, kindBadDigest}).Draw(t, "kind")
	if kind == kindBadDigest {
		c.badDigest(t)
		return
	}
	if kind == kindProgress {
		if fw, ok := forward[c.md.s]; ok {
			legal = []messages.Code{fw}
		}
		kind = kindLegal
	}
	var req messages.Code
	var raw []byte
	var exact messages.Code
	switch kind {
	case kindLegal, kindExtra:
		req = rapid.SampledFrom(legal).Draw(t, "request")
		m, ex := c.validContent(t, req, kind == kindExtra)
		exact = ex
		if m != nil {
			raw, _ = json.Marshal(m)
		}
	case kindIllegal:
		req = rapid.SampledFrom(illegal).Draw(t, "illegal")
		exact = messages.UnexpectedCommand
	case kindResponse:
		req = rapid.SampledFrom(responses).Draw(t, "response as request")
		exact = messages.UnexpectedCommand
	case kindUnknown:
		req = messages.Code(rapid.SampledFrom([]int{0, 1, 9, 18, 49, 99, 150, 224, 1000, 65535, -3}).Draw(t, "unknown"))
		exact = messages.UnkownCommand
	case kindBadContent:
		var withContent []messages.Code
		for _, code := range legal {
			if messages.ContentRequired(code) {
				withContent = append(withContent, code)
			}
		}
		if len(withContent) == 0 {
			return
		}
		req = rapid.SampledFrom(withContent).Draw(t, "bad content code")
		raw = []byte(rapid.SampledFrom(badContents(req)).Draw(t, "bad content"))
		exact = messages.InvalidContent
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.s.SendContext(ctx, req, raw); err != nil {
		t.Fatalf("send %s: %v", req, err)
	}
	ans, err := c.s.RecvContext(ctx)
	if err != nil {
		// A broken challenge chain, a bad digest or a dead server all land here.
		t.Fatalf("%s (%s) in %s: no valid answer: %v", req, kind, before, err)
	}
	c.failures = 0
	content, derr := messages.DecodeContent(ans.Code, ans.Content)
	if derr != nil {
		t.Fatalf("%s in %s: answer %s carries invalid content %s: %v", req, before, ans.Code, ans.Content, derr)
	}
	switch exact {
	case messages.UnexpectedCommand, messages.UnkownCommand, messages.InvalidContent:
		if ans.Code != exact {
			t.Fatalf("%s (%s) in %s: answered %s %s, want %s", req, kind, before, ans.Code, ans.Content, exact)
		}
		if got := errorCode(content); got != req {
			t.Fatalf("%s in %s: %s names code %d", req, before, ans.Code, got)
		}
		return // the state does not move
	}
	outs := c.md.allowed(req)
	next, ok := outs[ans.Code]
	if !ok {
		t.Fatalf("%s in %s: answered %s %s, model allows %v", req, before, ans.Code, ans.Content, keys(outs))
	}
	if exact != 0 && ans.Code != exact && ans.Code != messages.Abort {
		t.Fatalf("%s in %s: answered %s, the content decides %s", req, before, ans.Code, exact)
	}
	// The table agrees with the independent model.
	tr, ok := qosst.Lookup(states.State(before), req, ans.Code)
	if !ok || string(tr.Next) != string(next) {
		t.Fatalf("%s/%s in %s: model says → %s, table says → %s (%v)", req, ans.Code, before, next, tr.Next, ok)
	}
	c.md.s = next
	visited.Store(string(next), true)
}

// visited records the model states the random sessions reached.
var visited sync.Map

// badDigest sends a legal-looking frame whose signed digest is wrong:
// Alice answers AUTHENTICATION_INVALID, drops the frame and waits for a new
// identification; the last failure of the budget closes the session.
func (c *client) badDigest(t *rapid.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := c.md.s
	c.auth.spoil = true
	if err := c.s.SendContext(ctx, messages.QIETrigger, nil); err != nil {
		t.Fatalf("send: %v", err)
	}
	// Alice's answer echoes the challenge of the last frame she trusted,
	// so Bob's chain check fails on it: only its code is read.
	ans, err := c.s.RecvContext(ctx)
	if err != nil && !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("bad digest in %s: %v", before, err)
	}
	if ans.Code != messages.AuthenticationInvalid {
		t.Fatalf("bad digest in %s: answered %s", before, ans.Code)
	}
	c.failures++
	c.md.s = mConnected
	if c.failures >= maxAuthFailures {
		// Man-in-the-middle concluded: Alice closes the session.
		if _, err := c.s.RecvContext(ctx); err == nil {
			t.Fatalf("Alice still talks after %d authentication failures in a row", c.failures)
		}
		c.md.s = mClosed
	}
	visited.Store("auth failure", true)
}

func isRequest(code messages.Code) bool {
	for _, s := range states.All() {
		if qosst.IsLegal(s, code) {
			return true
		}
	}
	return false
}

func errorCode(c messages.Content) messages.Code {
	switch v := c.(type) {
	case *messages.UnexpectedCommandContent:
		return v.Command
	case *messages.UnkownCommandContent:
		return v.Command
	case *messages.InvalidContentContent:
		return v.Command
	}
	return -1
}

func keys(o outcomes) []string {
	var s []string
	for k := range o {
		s = append(s, k.String())
	}
	slices.Sort(s)
	return s
}

func waitSessions(a *alicetest.Server, n int, d time.Duration) { a.WaitSessions(n, d) }

// TestRandomRequestsAgainstAlice drives our Alice with random request
// sequences and checks every answer against the model.
func TestRandomRequestsAgainstAlice(t *testing.T) {
	pipe := transport.NewPipe()
	a := startAlice(t, smallConfig(), pipe)
	runtime.GC()
	baseline := runtime.NumGoroutine()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	heapBefore := mem.HeapAlloc

	rapid.Check(t, func(t *rapid.T) {
		// Each random session starts alone: the previous one has left
		// (its frame dropped, the emitter released).
		waitSessions(a, 0, 5*time.Second)
		conn, err := pipe.DialContext(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		fa := &flakyAuth{}
		s := transport.NewSession(conn, transport.Options{Authenticator: fa})
		defer s.Close()
		c := &client{s: s, auth: fa, md: model{s: mConnected}}
		n := rapid.IntRange(1, 60).Draw(t, "steps")
		for range n {
			c.step(t)
			if c.md.s == mClosed {
				return
			}
		}
		// End the session: DISCONNECTION is legal everywhere but closed.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.SendContext(ctx, messages.Disconnection, nil); err != nil {
			t.Fatal(err)
		}
		ans, err := s.RecvContext(ctx)
		if err != nil || ans.Code != messages.DisconnectionAck {
			t.Fatalf("DISCONNECTION in %s: %s %v", c.md.s, ans.Code, err)
		}
		// Alice closes her side.
		if _, err := s.RecvContext(ctx); err == nil {
			t.Fatal("Alice sent a frame after DISCONNECTION_ACK")
		}
	})

	var reached []string
	visited.Range(func(k, _ any) bool { reached = append(reached, k.(string)); return true })
	slices.Sort(reached)
	t.Logf("states reached: %v", reached)
	for _, s := range []string{"identified", "initialized", "qie_ready", "emitting", "pe", "pe_approved", "ec", "auth failure"} {
		if !slices.Contains(reached, s) {
			t.Errorf("no random session reached %s: the generator is too weak", s)
		}
	}

	// Every session ended: Alice serves none, goroutines are back.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && (a.Alice.Sessions() > 0 || runtime.NumGoroutine() > baseline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := a.Alice.Sessions(); n != 0 {
		t.Errorf("%d sessions still served after every client left", n)
	}
	runtime.GC()
	runtime.ReadMemStats(&mem)
	t.Logf("heap: %d KiB before, %d KiB after every session", heapBefore>>10, mem.HeapAlloc>>10)
	if mem.HeapAlloc > heapBefore+16<<20 {
		t.Errorf("heap grew from %d to %d bytes: sessions leak memory", heapBefore, mem.HeapAlloc)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d, baseline %d\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}
