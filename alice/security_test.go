package alice

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
)

// Alice sizes the final key with the ε_PA Bob announced in
// INITIALIZATION_REQUEST: a key one bit longer than that length is refused,
// the exact length is accepted, and that length is longer than the default
// ε_PA would allow (so the announcement, not Alice's default, decided).
func TestAnnouncedEpsilonPA(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.announce = map[string]any{"pe_mode": "finite-size", "pe_epsilon": 1e-10, "epsilon_pa": 1e-3, "trusted_detector": true}
	b.epsPA = 1e-3
	toECDone(b)
	st := b.recon.Stats()
	strict, _, err := pp.FinalKeyLength(pp.FinalKeyParams{ReconciledBits: st.KeyBits, SyndromeBits: st.LeakedBits, Estimate: b.params})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := b.paRequest(1)
	b.want(messages.PARequest, req, messages.PAError)
	req, _ = b.paRequest(0)
	if req.SecretKeyLength <= strict {
		t.Fatalf("announced ε_PA gives %d bits, the default %d: the test would not tell them apart", req.SecretKeyLength, strict)
	}
	b.want(messages.PARequest, req, messages.PASuccess)
}

// An untrusted detector announced by Bob makes Alice give the detector's
// noise to Eve: a length sized for a trusted detector (accepted without the
// announcement, TestPAErrorWhenKeyTooLong) is refused; on the test link the
// untrusted bound leaves no key at all.
func TestAnnouncedUntrustedDetector(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.announce = map[string]any{"trusted_detector": false}
	toECDone(b)
	trusted, _ := b.paRequest(0) // b.params is trusted
	c := b.want(messages.PARequest, trusted, messages.PAError).(*messages.PAErrorContent)
	if !strings.Contains(c.ErrorMessage, "exceeds") && !strings.Contains(c.ErrorMessage, "no secret key") {
		t.Fatalf("PA_ERROR %q", c.ErrorMessage)
	}
	b.params.Trusted = false
	st := b.recon.Stats()
	if _, _, err := pp.FinalKeyLength(pp.FinalKeyParams{ReconciledBits: st.KeyBits, SyndromeBits: st.LeakedBits, Estimate: b.params}); err == nil {
		untrusted, _ := b.paRequest(0)
		b.want(messages.PARequest, untrusted, messages.PASuccess)
	}
}

// Invalid security parameters are refused with INITIALIZATION_DENIED naming
// the parameter (Alice has nothing to propose in their place).
func TestInvalidSecurityParameters(t *testing.T) {
	h := newHarness(t, "pipe")
	b := h.bob()
	b.identify()
	for name, v := range map[string]any{
		"pe_mode": "optimistic", "pe_epsilon": 0.0, "epsilon_pa": 1.5, "trusted_detector": "yes",
	} {
		b.announce = map[string]any{name: v}
		c := b.want(messages.InitializationRequest, &messages.InitializationRequestContent{FrameUUID: uuid.New(), Parameters: b.frameParams()},
			messages.InitializationDenied).(*messages.InitializationDeniedContent)
		if !strings.Contains(c.DenyMessage, name) {
			t.Errorf("%s = %v: deny message %q", name, v, c.DenyMessage)
		}
	}
}
