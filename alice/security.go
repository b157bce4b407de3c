package alice

import (
	"fmt"

	pp "github.com/qosst/qosst-go/postprocessing"
)

// Security parameters of a frame: Bob announces them in
// INITIALIZATION_REQUEST's free frame parameters, and both stations size the
// final key with them, so the two lengths agree by construction.
//
//	"pe_mode":          "asymptotic" | "finite-size" (how Bob's estimates in PE_FINISHED were taken)
//	"pe_epsilon":       failure probability of each finite-size bound, in (0, 1)
//	"epsilon_pa":       failure probability of privacy amplification, in (0, 1)
//	"trusted_detector": true when Bob's detector loss and noise are not given to Eve
//
// Each is optional; a peer that sends none (the reference qosst-bob) gets
// the defaults: trusted detector, ε_PA = postprocessing.DefaultEpsilonPA,
// mode not announced. A value of the wrong type or out of range is answered
// INITIALIZATION_DENIED naming it.
const (
	paramPEMode    = "pe_mode"
	paramPEEpsilon = "pe_epsilon"
	paramEpsilonPA = "epsilon_pa"
	paramTrusted   = "trusted_detector"
)

// security is what a frame's final key is computed with.
type security struct {
	peMode    string  // "" when not announced
	peEpsilon float64 // 0 when not announced
	epsilonPA float64
	trusted   bool
}

func defaultSecurity() security {
	return security{epsilonPA: pp.DefaultEpsilonPA, trusted: true}
}

// frameSecurity reads the security parameters of INITIALIZATION_REQUEST;
// msg is a deny message when one is invalid.
func frameSecurity(params map[string]any) (sec security, msg string) {
	sec = defaultSecurity()
	if v, ok := params[paramPEMode]; ok {
		s, ok := v.(string)
		if !ok {
			return sec, fmt.Sprintf("The %s parameter must be a string.", paramPEMode)
		}
		m, err := pp.ParsePEMode(s)
		if err != nil {
			return sec, fmt.Sprintf("The %s parameter %q is neither \"asymptotic\" nor \"finite-size\".", paramPEMode, s)
		}
		sec.peMode = m.String()
	}
	prob := func(name string, dst *float64) string {
		v, ok := params[name]
		if !ok {
			return ""
		}
		f, ok := number(v)
		if !ok || !(f > 0 && f < 1) {
			return fmt.Sprintf("The %s parameter must be a probability in (0, 1), got %v.", name, v)
		}
		*dst = f
		return ""
	}
	if msg := prob(paramPEEpsilon, &sec.peEpsilon); msg != "" {
		return sec, msg
	}
	if msg := prob(paramEpsilonPA, &sec.epsilonPA); msg != "" {
		return sec, msg
	}
	if v, ok := params[paramTrusted]; ok {
		b, ok := v.(bool)
		if !ok {
			return sec, fmt.Sprintf("The %s parameter must be true or false.", paramTrusted)
		}
		sec.trusted = b
	}
	return sec, ""
}
