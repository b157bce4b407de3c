package conform

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// Case is one check of the suite.
type Case struct {
	ID       int    // stable number, printed and selectable with Options.Only
	Name     string // what is checked
	Cites    string // the part of the protocol it checks
	Expected string // the answer a conforming server gives
	run      func(e *env) outcome
}

// Where the cases' citations point.
const (
	citeSpec   = "QOSST/0.1 spec"
	citeNotes  = "PROTOCOL-NOTES"
	citeDesign = "state table (DESIGN)"
)

// Cases returns the suite in order. Numbers are stable for a given version
// of the table: the per-state cases follow the states the checker reaches.
func Cases() []Case {
	cs := sessionCases()
	for _, s := range Reachable() {
		cs = append(cs, stateCases(s)...)
	}
	cs = append(cs, phaseCases()...)
	for i := range cs {
		cs[i].ID = i + 1
	}
	return cs
}

// ---- helpers ----

var challengeRE = regexp.MustCompile(`^[A-Za-z0-9]{15}$`)

func fields(r reply) map[string]any {
	m := map[string]any{}
	if len(r.Content) > 0 {
		json.Unmarshal(r.Content, &m)
	}
	return m
}

// codeField reads the "code" field of an error answer.
func codeField(r reply) (int, bool) {
	f, ok := fields(r)["code"].(float64)
	return int(f), ok
}

func names(codes []messages.Code) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = c.String()
	}
	return strings.Join(s, " or ")
}

// prefixed puts context before a failure's reason.
func prefixed(o outcome, context string) outcome {
	o.reason = context + o.reason
	return o
}

// expect checks that r answers with one of want, digest and chain intact.
func expect(r reply, err error, want ...messages.Code) (outcome, bool) {
	if err != nil {
		return fail("", fmt.Sprintf("no answer: %v", err)), false
	}
	if !r.DigestOK {
		return fail(r.String(), "the answer's signed digest does not verify"), false
	}
	if !slices.Contains(want, r.Code) {
		return fail(r.String(), fmt.Sprintf("answered %s, expected %s", r.Code, names(want))), false
	}
	if !r.ChainOK {
		return fail(r.String(), fmt.Sprintf("the answer echoes challenge %q, not the checker's %q: chain broken", r.Header.Challenge, r.SentChall)), false
	}
	return pass(r.String()), true
}

// checkCodeAnswer checks an error answer carrying {"code": want}.
func checkCodeAnswer(r reply, err error, code messages.Code, want int) outcome {
	o, ok := expect(r, err, code)
	if !ok {
		return o
	}
	if got, ok := codeField(r); !ok || got != want {
		return fail(r.String(), fmt.Sprintf("content code is not %d", want))
	}
	return o
}

// expectAuthInvalid checks an AUTHENTICATION_INVALID answer; its
// challenge is not checked (the frame it answers was not trusted).
func expectAuthInvalid(r reply, err error) outcome {
	if err != nil {
		return fail("", fmt.Sprintf("no answer: %v", err))
	}
	if r.Code != messages.AuthenticationInvalid {
		return fail(r.String(), fmt.Sprintf("answered %s to a frame that fails authentication", r.Code))
	}
	return pass(r.String())
}

// reach opens a connection driven to s; the outcome explains a failure.
func reach(e *env, s states.State) (*peer, outcome, bool) {
	p, err := e.to(s)
	if err != nil {
		return nil, unreached(err), false
	}
	return p, outcome{}, true
}

// opened connects afresh (the connected state).
func opened(e *env) (*peer, outcome, bool) { return reach(e, states.Connected) }

func identified(e *env) (*peer, outcome, bool) { return reach(e, states.Identified) }

// answered passes an answer that is one of want (see expect).
func answered(want ...messages.Code) func(reply, error) outcome {
	return func(r reply, err error) outcome {
		o, _ := expect(r, err, want...)
		return o
	}
}

// codeAnswered passes an error answer code carrying {"code": want}.
func codeAnswered(code messages.Code, want int) func(reply, error) outcome {
	return func(r reply, err error) outcome { return checkCodeAnswer(r, err, code, want) }
}

// requestCase sends one request from state from and judges the answer
// with check.
func requestCase(name, cites, expected string, from states.State, code messages.Code, content []byte, check func(reply, error) outcome) Case {
	return Case{
		Name: name, Cites: cites, Expected: expected,
		run: func(e *env) outcome {
			p, o, ok := reach(e, from)
			if !ok {
				return o
			}
			return check(p.request(code, content))
		},
	}
}

// stillServes checks that a fresh connection identifies.
func stillServes(e *env) (outcome, bool) {
	p, err := e.open()
	if err != nil {
		return fail("", "server no longer accepts connections: "+err.Error()), false
	}
	r, err := p.request(messages.IdentificationRequest, e.identification(e.o.Version))
	if o, ok := expect(r, err, messages.IdentificationResponse); !ok {
		return prefixed(o, "a fresh connection is not served any more: "), false
	}
	return pass(r.String()), true
}

// sendTampered sends one frame of code echoing challenge, its signed
// digest corrupted when badDigest, and checks that the server answers
// AUTHENTICATION_INVALID.
func sendTampered(p *peer, code messages.Code, challenge string, content []byte, badDigest bool) outcome {
	b, err := p.frame(code, challenge, messages.NewChallenge(), content)
	if err != nil {
		return fail("", err.Error())
	}
	if badDigest {
		b[4] ^= 0xff // first byte of the signed digest
	}
	if err := p.write(b); err != nil {
		return fail("", err.Error())
	}
	r, err := p.recv()
	return expectAuthInvalid(r, err)
}

// tamperedCase checks that an INITIALIZATION_REQUEST echoing the challenge
// chosen by challenge (and with a corrupted digest when badDigest) is
// answered AUTHENTICATION_INVALID.
func tamperedCase(name, cites string, challenge func(p *peer) string, badDigest bool) Case {
	return Case{
		Name: name, Cites: cites,
		Expected: "AUTHENTICATION_INVALID",
		run: func(e *env) outcome {
			p, o, ok := identified(e)
			if !ok {
				return o
			}
			return sendTampered(p, messages.InitializationRequest, challenge(p), e.content(e.o.Frame.Initialization), badDigest)
		},
	}
}

// sendRawHeader writes a frame with the given header bytes, an all-zero
// digest and tail after the header, then accepts an answer or the
// connection closed (silent is the reason when the server does neither)
// and checks that a fresh connection is still served.
func sendRawHeader(e *env, hdr []byte, tail, silent string) outcome {
	p, o, ok := opened(e)
	if !ok {
		return o
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(len(hdr)))
	b = binary.BigEndian.AppendUint16(b, 32)
	b = append(b, make([]byte, 32)...)
	b = append(b, hdr...)
	b = append(b, tail...)
	if err := p.write(b); err != nil {
		return fail("", err.Error())
	}
	seen := "connection closed"
	if r, err := p.recv(); err == nil {
		seen = r.String()
	} else if err == errNoReply {
		return fail("no answer, connection open", silent)
	}
	if o, ok := stillServes(e); !ok {
		return o
	}
	return pass(seen)
}

// answerEach sends every code in turn with content and checks that each is
// answered with answer {"code": <that code>}; it returns how many were.
func answerEach(p *peer, s states.State, codes []messages.Code, content []byte, answer messages.Code) (int, outcome, bool) {
	for i, c := range codes {
		r, err := p.request(c, content)
		if o := checkCodeAnswer(r, err, answer, int(c)); !o.pass {
			return i, prefixed(o, fmt.Sprintf("%s in %s: ", c, s)), false
		}
	}
	return len(codes), outcome{}, true
}

// ---- session-level cases ----

func sessionCases() []Case {
	return []Case{
		{
			Name: "identification with the same version", Cites: citeSpec + " §Authentication and identification",
			Expected: `IDENTIFICATION_RESPONSE {"serial_number": ...} echoing the checker's challenge`,
			run: func(e *env) outcome {
				p, o, ok := opened(e)
				if !ok {
					return o
				}
				r, err := p.request(messages.IdentificationRequest, e.identification(e.o.Version))
				o, ok = expect(r, err, messages.IdentificationResponse)
				if ok {
					if _, isStr := fields(r)["serial_number"].(string); !isStr {
						return fail(r.String(), "no serial_number string in the content")
					}
				}
				return o
			},
		},
		{
			Name: "version mismatch", Cites: citeNotes + " §How the reference peers behave",
			Expected: `INVALID_QOSST_VERSION {"qosst_version": "<server version>"}`,
			run: func(e *env) outcome {
				p, o, ok := opened(e)
				if !ok {
					return o
				}
				r, err := p.request(messages.IdentificationRequest, e.identification("QOSST/0.0-conform"))
				o, ok = expect(r, err, messages.InvalidQOSSTVersion)
				if ok {
					if v, _ := fields(r)["qosst_version"].(string); v == "" {
						return fail(r.String(), "no qosst_version in the content")
					}
				}
				return o
			},
		},
		{
			Name: "fresh 15-character challenges", Cites: citeNotes + " §Challenge chain",
			Expected: "every next_challenge matches [A-Za-z0-9]{15} and differs from the previous one",
			run: func(e *env) outcome {
				p, o, ok := opened(e)
				if !ok {
					return o
				}
				var seen []string
				for range 3 {
					r, err := p.request(messages.IdentificationRequest, e.identification(e.o.Version))
					if o, ok := expect(r, err, messages.IdentificationResponse); !ok {
						return o
					}
					n := r.Header.NextChallenge
					if !challengeRE.MatchString(n) {
						return fail(fmt.Sprintf("next_challenge %q", n), "not 15 characters of [A-Za-z0-9]")
					}
					if slices.Contains(seen, n) {
						return fail(fmt.Sprintf("next_challenge %q twice", n), "challenge reused")
					}
					seen = append(seen, n)
				}
				return pass(strings.Join(seen, ", "))
			},
		},
		requestCase("unknown code before identification", citeSpec+" §UNKNOWN_COMMAND",
			`UNKOWN_COMMAND {"code": 1000} echoing the checker's challenge`,
			states.Connected, 1000, nil, codeAnswered(messages.UnkownCommand, 1000)),
		{
			Name: "unknown code keeps the session going", Cites: citeNotes + " §Receive order (known defect of the reference)",
			Expected: "UNKOWN_COMMAND with the chain intact, then INITIALIZATION_REQUEST answered normally",
			run: func(e *env) outcome {
				p, o, ok := identified(e)
				if !ok {
					return o
				}
				r, err := p.request(999, []byte(`{"x": 1}`))
				if o := checkCodeAnswer(r, err, messages.UnkownCommand, 999); !o.pass {
					return o
				}
				r, err = p.request(messages.InitializationRequest, e.content(e.o.Frame.Initialization))
				o, _ = expect(r, err, messages.InitializationAccepted, messages.InitializationDenied, messages.InitializationProposal)
				return o
			},
		},
		requestCase("content that is not JSON", citeNotes+" §How the reference peers behave (unreadable frame)",
			`INVALID_CONTENT {"code": 120}`,
			states.Identified, messages.InitializationRequest, []byte(`{"frame_uuid": not json`),
			codeAnswered(messages.InvalidContent, int(messages.InitializationRequest))),
		{
			Name: "malformed header", Cites: citeNotes + " §Frame layout",
			Expected: "an error answer or the connection closed, promptly; a fresh connection is still served",
			run: func(e *env) outcome {
				hdr := []byte(`{"code": 100, "content_length": 0, "challenge": ""`) // not closed
				return sendRawHeader(e, hdr, "", "the server neither answered nor closed the connection")
			},
		},
		{
			Name: "frame that stalls halfway", Cites: citeNotes + " §Frame layout; server must keep serving",
			Expected: "while one connection stalls mid-frame, a fresh connection is served",
			run: func(e *env) outcome {
				p, o, ok := opened(e)
				if !ok {
					return o
				}
				b, err := p.frame(messages.IdentificationRequest, "", messages.NewChallenge(), e.identification(e.o.Version))
				if err != nil {
					return fail("", err.Error())
				}
				if err := p.write(b[:len(b)/2]); err != nil {
					return fail("", err.Error())
				}
				o, ok = stillServes(e)
				if !ok {
					return o
				}
				return pass("stalled connection pending; fresh connection: " + o.seen)
			},
		},
		{
			Name: "oversized content_length", Cites: citeNotes + " §Frame layout (a receiver must bound content_length)",
			Expected: "an error answer or the connection closed without waiting for 1 GiB; a fresh connection is still served",
			run: func(e *env) outcome {
				hdr := fmt.Appendf(nil, `{"code": 100, "content_length": %d, "challenge": "", "next_challenge": "%s"}`, 1<<30, messages.NewChallenge())
				return sendRawHeader(e, hdr, `{"serial_number": "x"`, "the server waits for the announced gigabyte instead of refusing it")
			},
		},
		tamperedCase("bad digest", citeSpec+" §AUTHENTICATION_INVALID", func(p *peer) string { return p.echo }, true),
		tamperedCase("wrong challenge", citeNotes+" §Challenge chain", func(*peer) string { return "WrongChallenge0" }, false),
		tamperedCase("missing challenge", citeNotes+" §Challenge chain", func(*peer) string { return "" }, false),
		{
			Name: "replayed frame", Cites: citeNotes + " §Challenge chain",
			Expected: "AUTHENTICATION_INVALID to the second copy of a frame",
			run: func(e *env) outcome {
				p, o, ok := identified(e)
				if !ok {
					return o
				}
				r, err := p.request(messages.ChangeParameterRequest, []byte(`{"parameter": "conform.no_such_parameter", "value": 1}`))
				if err != nil {
					return fail("", err.Error())
				}
				if err := p.write(p.last); err != nil {
					return fail(r.String(), err.Error())
				}
				r, err = p.recv()
				return expectAuthInvalid(r, err)
			},
		},
		{
			Name: "authentication failure drops the frame", Cites: citeDesign + " (stricter than the reference on purpose)",
			Expected: "after AUTHENTICATION_INVALID, QIE_REQUEST is UNEXPECTED_COMMAND until the peer identifies again",
			run: func(e *env) outcome {
				p, o, ok := reach(e, states.Initialized)
				if !ok {
					return o
				}
				if o := sendTampered(p, messages.QIERequest, p.echo, nil, true); !o.pass {
					return o
				}
				r, err := p.request(messages.QIERequest, nil)
				return checkCodeAnswer(r, err, messages.UnexpectedCommand, int(messages.QIERequest))
			},
		},
		{
			Name: "concurrent sessions", Cites: citeSpec + " §Guidelines (the server should do everything possible to not stop)",
			Expected: "three connections identify at the same time",
			run: func(e *env) outcome {
				var ps []*peer
				for range 3 {
					p, o, ok := opened(e)
					if !ok {
						return o
					}
					ps = append(ps, p)
				}
				var wg sync.WaitGroup
				outs := make([]outcome, len(ps))
				for i, p := range ps {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r, err := p.request(messages.IdentificationRequest, e.identification(e.o.Version))
						outs[i], _ = expect(r, err, messages.IdentificationResponse)
					}()
				}
				wg.Wait()
				for _, o := range outs {
					if !o.pass {
						return o
					}
				}
				return pass("3 × " + outs[0].seen)
			},
		},
	}
}

// ---- cases per reachable state ----

func stateCases(s states.State) []Case {
	return []Case{
		{
			Name: fmt.Sprintf("unexpected codes in %s", s), Cites: citeDesign + " §" + string(s) + "; " + citeSpec + " §UNEXPECTED_COMMAND",
			Expected: `UNEXPECTED_COMMAND {"code": N} to every QOSST code not legal in ` + string(s) + " (response codes included)",
			run: func(e *env) outcome {
				p, o, ok := reach(e, s)
				if !ok {
					return o
				}
				illegal := slices.DeleteFunc(messages.AllCodes(), func(c messages.Code) bool { return qosst.IsLegal(s, c) })
				n, o, ok := answerEach(p, s, illegal, nil, messages.UnexpectedCommand)
				if !ok {
					return o
				}
				return pass(fmt.Sprintf("%d codes answered UNEXPECTED_COMMAND", n))
			},
		},
		{
			Name: fmt.Sprintf("invalid content in %s", s), Cites: citeSpec + " §INVALID_CONTENT",
			Expected: `INVALID_CONTENT {"code": N} to every request legal in ` + string(s) + " whose required fields are missing",
			run: func(e *env) outcome {
				p, o, ok := reach(e, s)
				if !ok {
					return o
				}
				needContent := slices.DeleteFunc(qosst.Legal(s), func(c messages.Code) bool { return !messages.ContentRequired(c) })
				n, o, ok := answerEach(p, s, needContent, []byte(`{"conform_unrelated_field": true}`), messages.InvalidContent)
				if !ok {
					return o
				}
				return pass(fmt.Sprintf("%d requests answered INVALID_CONTENT", n))
			},
		},
		{
			Name: fmt.Sprintf("abort in %s", s), Cites: citeSpec + " §ABORT; " + citeDesign + " (every state)",
			Expected: "ABORT_ACK, then the frame is gone (QIE_REQUEST answered UNEXPECTED_COMMAND)",
			run: func(e *env) outcome {
				p, o, ok := reach(e, s)
				if !ok {
					return o
				}
				r, err := p.request(messages.Abort, []byte(`{"abort_message": "conformance check"}`))
				if o, ok := expect(r, err, messages.AbortAck); !ok {
					return o
				}
				r, err = p.request(messages.QIERequest, nil)
				if o := checkCodeAnswer(r, err, messages.UnexpectedCommand, int(messages.QIERequest)); !o.pass {
					return prefixed(o, "after ABORT_ACK: ")
				}
				return pass("ABORT_ACK; then " + r.String())
			},
		},
		{
			Name: fmt.Sprintf("disconnection in %s", s), Cites: citeSpec + " §End of communication",
			Expected: "DISCONNECTION_ACK, then the server closes the connection",
			run: func(e *env) outcome {
				p, o, ok := reach(e, s)
				if !ok {
					return o
				}
				r, err := p.request(messages.Disconnection, nil)
				if o, ok := expect(r, err, messages.DisconnectionAck); !ok {
					return o
				}
				if !p.closedByServer() {
					return fail(r.String()+", connection still open", "the server did not close the connection after DISCONNECTION_ACK")
				}
				return pass(r.String() + ", connection closed")
			},
		},
	}
}

// ---- phase cases ----

func phaseCases() []Case {
	return []Case{
		requestCase("INVALID_RESPONSE acknowledged", citeSpec+" §INVALID_RESPONSE",
			"INVALID_RESPONSE_ACK",
			states.Identified, messages.InvalidResponse, []byte(`{"error_message": "conformance check"}`),
			answered(messages.InvalidResponseAck)),
		{
			Name: "configuration request", Cites: citeSpec + " §Initialization (INITIALIZATION_REQUEST_CONFIG)",
			Expected: `INITIALIZATION_CONFIG {"config": {...}}`,
			run: func(e *env) outcome {
				p, o, ok := identified(e)
				if !ok {
					return o
				}
				r, err := p.request(messages.InitializationRequestConfig, nil)
				o, ok = expect(r, err, messages.InitializationConfig)
				if !ok {
					o.reason += ": the server does not negotiate the configuration"
					return o
				}
				if _, isObj := fields(r)["config"].(map[string]any); !isObj {
					return fail(r.String(), "no config object in the content")
				}
				return o
			},
		},
		{
			Name: "impossible frame parameters refused", Cites: citeSpec + " §Initialization (INITIALIZATION_DENIED, INITIALIZATION_PROPOSAL)",
			Expected: `INITIALIZATION_DENIED or INITIALIZATION_PROPOSAL with a deny_message`,
			run: func(e *env) outcome {
				p, o, ok := identified(e)
				if !ok {
					return o
				}
				e.frame = newFrameID()
				r, err := p.request(messages.InitializationRequest, e.content(e.o.Frame.Negotiation))
				o, ok = expect(r, err, messages.InitializationDenied, messages.InitializationProposal)
				if !ok {
					o.reason += ": the server does not check the frame parameters"
					return o
				}
				if m, _ := fields(r)["deny_message"].(string); m == "" {
					return fail(r.String(), "no deny_message")
				}
				return o
			},
		},
		paramCase("unknown parameter", messages.ParameterUnkown, func(o *Options) (string, string) { return "conform.no_such_parameter", "1" }),
		paramCase("writable parameter changed", messages.ParameterChanged, func(o *Options) (string, string) { return o.Params.Writable, o.Params.WritableValue }),
		paramCase("invalid parameter value", messages.ParameterInvalidValue, func(o *Options) (string, string) { return o.Params.Invalid, o.Params.InvalidValue }),
		paramCase("read-only parameter unchanged", messages.ParameterUnchanged, func(o *Options) (string, string) { return o.Params.ReadOnly, o.Params.ReadOnlyValue }),
		requestCase("QIE_REQUEST without content", citeNotes+" §How the reference peers behave (qosst-bob sends no content)",
			"QIE_READY",
			states.Initialized, messages.QIERequest, nil, answered(messages.QIEReady)),
		{
			Name: "zero key rate denied", Cites: citeSpec + " §Parameters estimation (key rate 0 → PE_DENIED)",
			Expected: "PE_DENIED with a deny_message, then the frame is gone",
			run: func(e *env) outcome {
				p, o, ok := reach(e, states.PE)
				if !ok {
					return o
				}
				for _, c := range []messages.Code{messages.PESymbolsRequest, messages.PENphotonRequest} {
					var content []byte
					if c == messages.PESymbolsRequest {
						content = e.content(e.o.Frame.PESymbols)
					}
					if _, err := p.request(c, content); err != nil {
						return fail("", err.Error())
					}
				}
				m := map[string]any{}
				json.Unmarshal(e.content(e.o.Frame.PEFinished), &m)
				m["key_rate"] = 0
				b, _ := json.Marshal(m)
				r, err := p.request(messages.PEFinished, b)
				o, ok = expect(r, err, messages.PEDenied)
				if !ok {
					return o
				}
				r, err = p.request(messages.ECInitialization, e.content(e.o.Frame.ECInitialization))
				if o := checkCodeAnswer(r, err, messages.UnexpectedCommand, int(messages.ECInitialization)); !o.pass {
					return prefixed(o, "after PE_DENIED: ")
				}
				return o
			},
		},
		{
			Name: "error correction", Cites: citeSpec + " §Error correction",
			Expected: "EC_READY to EC_INITIALIZATION after PE_APPROVED, and EC_BLOCK answered EC_BLOCK_ACK or EC_BLOCK_ERROR",
			run: func(e *env) outcome {
				p, o, ok := reach(e, states.PEApproved)
				if !ok {
					return o
				}
				r, err := p.request(messages.ECInitialization, e.content(e.o.Frame.ECInitialization))
				o, ok = expect(r, err, messages.ECReady)
				if !ok {
					if r.Code == messages.UnexpectedCommand || r.Code == messages.UnkownCommand {
						o.reason = "the server lacks error correction (" + o.reason + "), so privacy amplification and FRAME_ENDED are unreachable"
					}
					return o
				}
				r, err = p.request(messages.ECBlock, []byte(`{"block": 0, "syndrome": [0, 1, 0, 1]}`))
				o, _ = expect(r, err, messages.ECBlockAck, messages.ECBlockError)
				return o
			},
		},
		{
			Name: "privacy amplification only after verification", Cites: citeSpec + " §Privacy amplification; " + citeDesign + " §ec",
			Expected: `UNEXPECTED_COMMAND {"code": 200} to PA_REQUEST before EC_VERIFICATION_SUCCESS, EC_VERIFICATION answered`,
			run: func(e *env) outcome {
				p, o, ok := reach(e, states.EC)
				if !ok {
					o.reason += ": privacy amplification is unreachable"
					return o
				}
				r, err := p.request(messages.PARequest, []byte(`{"seed": [1, 0, 1], "secret_key_length": 1, "subblock_length": 3, "feedback_polynomial": [1, 0, 1]}`))
				if o := checkCodeAnswer(r, err, messages.UnexpectedCommand, int(messages.PARequest)); !o.pass {
					return o
				}
				r, err = p.request(messages.ECVerification, []byte(`{"hash": 1}`))
				o, _ = expect(r, err, messages.ECVerificationSuccess, messages.ECVerificationFail)
				return o
			},
		},
		{
			Name: "key recovery for a frame without a key", Cites: citeDesign + " §identified (FRAME_ENDED: key recovery, ours)",
			Expected: `ABORT {"frame_uuid": <the frame asked about>} to FRAME_ENDED in identified for a frame the server never ended`,
			run: func(e *env) outcome {
				p, o, ok := identified(e)
				if !ok {
					return o
				}
				id := "8a8d6f54-3f9e-4c4b-9d57-1c0e8f7b2a61" // never initialized by the checker
				r, err := p.request(messages.FrameEnded, []byte(`{"frame_uuid": "`+id+`"}`))
				o, ok = expect(r, err, messages.Abort)
				if !ok {
					o.reason += ": the server has no key recovery"
					return o
				}
				if got, _ := fields(r)["frame_uuid"].(string); got != id {
					return fail(r.String(), "the ABORT does not name the frame (frame_uuid "+fmt.Sprintf("%q", got)+"): it promises nothing about the key")
				}
				// The session stays identified.
				r, err = p.request(messages.InitializationRequestConfig, nil)
				if err != nil || r.Code == messages.UnexpectedCommand {
					return fail(r.String(), "the session left identified after the recovery answer")
				}
				return o
			},
		},
	}
}

func paramCase(name string, want messages.Code, param func(o *Options) (string, string)) Case {
	return Case{
		Name: name, Cites: citeSpec + " §Parameter change",
		Expected: want.String() + ` naming the parameter`,
		run: func(e *env) outcome {
			p, o, ok := identified(e)
			if !ok {
				return o
			}
			n, v := param(e.o)
			req := fmt.Appendf(nil, `{"parameter": %q, "value": %s}`, n, v)
			r, err := p.request(messages.ChangeParameterRequest, req)
			o, ok = expect(r, err, want)
			if !ok {
				return o
			}
			f := fields(r)
			if f["parameter"] != n {
				return fail(r.String(), "the answer does not name the parameter")
			}
			if want == messages.ParameterChanged {
				// Put the old value back.
				old, _ := json.Marshal(f["old_value"])
				back := fmt.Appendf(nil, `{"parameter": %q, "value": %s}`, n, old)
				r2, err := p.request(messages.ChangeParameterRequest, back)
				if o2, ok := expect(r2, err, messages.ParameterChanged, messages.ParameterUnchanged); !ok {
					return prefixed(o2, "restoring the old value: ")
				}
			}
			return o
		},
	}
}
