package alice

import (
	"context"
	"fmt"

	"github.com/qosst/qosst-go/fsm"
	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
)

// Privacy amplification: PA_REQUEST carries the Toeplitz seed (n+m−1 bits),
// secret_key_length m and subblock_length n (the reconciled key length) of
// postprocessing.ParsePARequest. Alice recomputes the secret key length from
// the same measured quantities (reconciled bits, disclosed syndrome and hash
// bits, Bob's estimates in PE_FINISHED, Va = 2<n> of the mean photon number
// her emitter measured for the frame, the ε_PA and detector trust Bob
// announced in INITIALIZATION_REQUEST) with postprocessing.FinalKeyLength and
// answers PA_ERROR when Bob asks for more, or when the request is malformed;
// otherwise she hashes her reconciled key and answers PA_SUCCESS.
func (s *session) registerPA(m *fsm.Mux) {
	m.Handle(messages.PARequest, func(ctx context.Context, req fsm.Request) (fsm.Answer, error) {
		f, err := s.current()
		if err != nil {
			return fsm.Answer{}, err
		}
		c := req.Content.(*messages.PARequestContent)
		paErr := func(format string, args ...any) (fsm.Answer, error) {
			msg := fmt.Sprintf(format, args...)
			s.log.Info().Str("frame", f.id.String()).Str("error_message", msg).Msg("privacy amplification refused")
			return answer(messages.PAError, &messages.PAErrorContent{ErrorMessage: msg})
		}
		params := pp.PAParams{InputBits: c.SubblockLength, OutputBits: c.SecretKeyLength, Diagonals: c.SeedValue()}
		if err := pp.CheckPAParams(params, c.FeedbackPolynomial, len(f.keying.reconciled)); err != nil {
			return paErr("%v", err)
		}
		est, err := f.keyRateParams()
		if err != nil {
			return paErr("%v", err)
		}
		st := f.keying.stats()
		maxLen, terms, err := pp.FinalKeyLength(pp.FinalKeyParams{
			ReconciledBits: st.KeyBits,
			SyndromeBits:   st.LeakedBits,
			Quadratures:    st.Quadratures,
			Estimate:       est,
			EpsilonPA:      f.sec.epsilonPA,
		})
		if err != nil {
			return paErr("%v", err)
		}
		if params.OutputBits > maxLen {
			return paErr("secret_key_length %d exceeds the %d secret bits Alice computes (%d reconciled − %d leaked − %.0f Eve − %.1f margin)",
				params.OutputBits, maxLen, terms.ReconciledBits, terms.Leak, terms.Eve, terms.Margin)
		}
		key, err := pp.PrivacyAmplify(f.keying.reconciled, params)
		if err != nil {
			return paErr("%v", err)
		}
		f.keying.finalKey = key
		s.log.Info().Str("frame", f.id.String()).Int("secret_bits", len(key)).Int("max_bits", maxLen).
			Msg("privacy amplification done")
		return answer(messages.PASuccess, nil)
	})
}
