package alice

import (
	"testing"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// Every QOSST code that is not legal in a state is answered
// UNEXPECTED_COMMAND naming it and the state, in every state Alice can be
// in; the session stays in its state (the step's next request still works).
func TestUnexpectedInEveryState(t *testing.T) {
	h := newHarness(t, "pipe")
	for _, st := range steps {
		t.Run(st.state, func(t *testing.T) {
			b := h.bob()
			b.t = t
			st.run(b)
			s := states.State(st.state)
			if !states.Valid(s) {
				t.Fatalf("unknown state %q", s)
			}
			n := 0
			for _, code := range messages.AllCodes() {
				if qosst.IsLegal(s, code) {
					continue
				}
				c := b.want(code, nil, messages.UnexpectedCommand).(*messages.UnexpectedCommandContent)
				if c.Command != code {
					t.Fatalf("UNEXPECTED_COMMAND for %s names %s", code, c.Command)
				}
				n++
			}
			if n == 0 {
				t.Fatal("no code tried")
			}
			b.want(messages.Abort, nil, messages.AbortAck)
		})
	}
}

// invalidContent is a content that fails the typed validation of each
// request code that carries content, with the state where it is legal.
var invalidContent = []struct {
	state string
	code  messages.Code
	raw   string
}{
	{"connected", messages.IdentificationRequest, `{"serial_number": 3, "qosst_version": "QOSST/0.2"}`},
	{"identified", messages.InitializationRequest, `{"frame_uuid": 12}`},
	{"identified", messages.ChangeParameterRequest, `{"value": 1}`},
	{"initialized", messages.QIERequest, `{"frame_uuid": "nope"}`},
	{"pe", messages.PESymbolsRequest, `{"indices": [1.5]}`},
	{"pe", messages.PEFinished, `{"n_photon": "x"}`},
	{"pe_approved", messages.ECInitialization, `{"noise": 1}`},
	{"ec", messages.ECBlock, `{"block": 0, "syndrome": "0101"}`},
	{"ec", messages.ECVerification, `{"hash": -5}`},
	{"ec_done", messages.PARequest, `{"seed": [1], "secret_key_length": -1, "subblock_length": 1, "feedback_polynomial": []}`},
	{"pa_done", messages.FrameEnded, `{"frame_uuid": "x"}`},
}

// Each request code with content, sent with invalid content in a state
// where it is legal, is answered INVALID_CONTENT naming the code and the
// field; the state does not change.
func TestInvalidContentForEachCode(t *testing.T) {
	h := newHarness(t, "pipe")
	seen := map[messages.Code]bool{}
	for _, st := range steps {
		var cases []int
		for i, ic := range invalidContent {
			if ic.state == st.state {
				cases = append(cases, i)
			}
		}
		if len(cases) == 0 {
			continue
		}
		t.Run(st.state, func(t *testing.T) {
			b := h.bob()
			b.t = t
			st.run(b)
			// Twice: the second answer shows the code is still legal, so
			// the state did not change.
			for round := 0; round < 2; round++ {
				for _, i := range cases {
					ic := invalidContent[i]
					c := b.want(ic.code, []byte(ic.raw), messages.InvalidContent).(*messages.InvalidContentContent)
					if c.Command != ic.code || c.ErrorMessage == "" {
						t.Fatalf("INVALID_CONTENT for %s: %s", ic.code, describe(c))
					}
					seen[ic.code] = true
				}
			}
			b.want(messages.Abort, nil, messages.AbortAck)
		})
	}
	for _, ic := range invalidContent {
		if !seen[ic.code] {
			t.Errorf("%s not tried", ic.code)
		}
	}
	// Every request code that must carry content is covered.
	for _, code := range messages.AllCodes() {
		if !messages.ContentRequired(code) || !isRequest(code) {
			continue
		}
		if !seen[code] {
			t.Errorf("request code %s with content has no invalid-content case", code)
		}
	}
}

// isRequest reports whether Bob may send code as a request in some state.
func isRequest(code messages.Code) bool {
	for _, s := range states.All() {
		if qosst.IsLegal(s, code) {
			return true
		}
	}
	return false
}
