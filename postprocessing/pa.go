package postprocessing

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// DefaultEpsilonPA is the privacy-amplification failure probability used
// when none is given.
const DefaultEpsilonPA = 1e-10

// MaxPAInputBits bounds the key length privacy amplification accepts (and so
// the seed a PA_REQUEST may carry): 2^27 bits, the reconciled key of slice
// reconciliation with 4 coded slices in the largest frame (2^24 heterodyne
// symbols); multidimensional reconciliation keys one bit per quadrature.
// The seed and the key take a byte per bit; the FFT works on column chunks
// (ToeplitzHash) of about 40 bytes per point of m + max(m, 2^22): 330 MB
// for a frame of 10^7 symbols (m of a few 10^6), 2.7 GB at MaxPAOutputBits.
const MaxPAInputBits = 1 << 27

// MaxPAOutputBits bounds the secret key of one privacy amplification: 2^25
// bits, far above what a frame of 2^24 symbols leaves (a few 10^6).
const MaxPAOutputBits = 1 << 25

// ErrNoSecretKey: the measured quantities leave no secret key; the error text
// gives the terms of the length formula.
var ErrNoSecretKey = errors.New("no secret key")

// PAParams are validated privacy-amplification parameters: the m×n Toeplitz
// matrix T[i][j] = Diagonals[i − j + n − 1] applied to the n reconciled key
// bits gives the m = OutputBits secret bits. PA_REQUEST carries them as
// "subblock_length" (n), "secret_key_length" (m) and "seed" (the diagonals).
type PAParams struct {
	InputBits  int     // n: the reconciled key length
	OutputBits int     // m: the secret key length
	Diagonals  []uint8 // n+m−1 bits
}

// NewPAParams draws the Toeplitz seed for hashing inputBits reconciled bits
// to outputBits secret bits from src (crypto/rand.Reader when nil): n+m−1
// uniform bits, given in full (PA_REQUEST's feedback_polynomial stays
// empty: no LFSR expansion).
func NewPAParams(src io.Reader, inputBits, outputBits int) (PAParams, error) {
	if src == nil {
		src = rand.Reader
	}
	if err := checkPASizes(inputBits, outputBits); err != nil {
		return PAParams{}, err
	}
	nbits := inputBits + outputBits - 1
	raw := make([]byte, (nbits+7)/8)
	if _, err := io.ReadFull(src, raw); err != nil {
		return PAParams{}, fmt.Errorf("privacy amplification seed: %w", err)
	}
	return PAParams{InputBits: inputBits, OutputBits: outputBits, Diagonals: UnpackBits(raw, nbits)}, nil
}

func checkPASizes(n, m int) error {
	switch {
	case n < 1 || n > MaxPAInputBits:
		return fmt.Errorf("%w: %d input bits outside [1, %d]", ErrInvalidPA, n, MaxPAInputBits)
	case m < 1 || m > min(n, MaxPAOutputBits):
		return fmt.Errorf("%w: secret_key_length %d outside [1, %d]", ErrInvalidPA, m, min(n, MaxPAOutputBits))
	}
	return nil
}

// CheckPAParams validates what a peer asks for (PA_REQUEST) against the
// reconciled key length both sides hold: p.InputBits (subblock_length) must
// equal it, 1 ≤ p.OutputBits (secret_key_length) ≤ it, the seed must hold
// exactly n + m − 1 bits (0 or 1), and the feedback polynomial must be
// empty (the LFSR expansion of a short seed is not supported: with a fixed
// polynomial it is not a universal family). Errors wrap ErrInvalidPA
// (answer PA_ERROR).
func CheckPAParams(p PAParams, feedbackPolynomial []uint8, reconciledBits int) error {
	if p.InputBits != reconciledBits {
		return fmt.Errorf("%w: subblock_length %d differs from the %d reconciled key bits", ErrInvalidPA, p.InputBits, reconciledBits)
	}
	if err := checkPASizes(p.InputBits, p.OutputBits); err != nil {
		return err
	}
	if len(feedbackPolynomial) != 0 {
		return fmt.Errorf("%w: feedback_polynomial must be empty (the seed is given in full)", ErrInvalidPA)
	}
	if want := p.InputBits + p.OutputBits - 1; len(p.Diagonals) != want {
		return fmt.Errorf("%w: seed of %d bits, want subblock_length + secret_key_length − 1 = %d", ErrInvalidPA, len(p.Diagonals), want)
	}
	for i, b := range p.Diagonals {
		if b > 1 {
			return fmt.Errorf("%w: seed entry %d = %d is not a bit", ErrInvalidPA, i, b)
		}
	}
	return nil
}

// PrivacyAmplify hashes the reconciled key to the secret key.
func PrivacyAmplify(key []uint8, p PAParams) ([]uint8, error) {
	if len(key) != p.InputBits {
		return nil, fmt.Errorf("%w: key of %d bits, parameters for %d", ErrInvalidPA, len(key), p.InputBits)
	}
	return ToeplitzHash(p.Diagonals, key, p.OutputBits)
}

// FinalKeyParams are the measured quantities behind the secret key length.
type FinalKeyParams struct {
	// ReconciledBits: key bits that survived error correction (the decoded blocks).
	ReconciledBits int
	// SyndromeBits: syndrome bits disclosed for those blocks.
	SyndromeBits int
	// Quadratures: key quadratures behind the reconciled bits (the
	// ReconciliationStats field); ReconciledBits when zero, as for codes
	// without shortened or punctured bits.
	Quadratures int
	// VerificationBits: bits disclosed by the verification hash
	// (VerificationHashBits when zero).
	VerificationBits int
	// Estimate: the estimated parameters, at their worst case when the
	// estimation is finite-size (T at its lower bound, ξ at its upper
	// bound). Beta is not used.
	Estimate KeyRateParams
	// EpsilonPA: failure probability of privacy amplification
	// (DefaultEpsilonPA when zero).
	EpsilonPA float64
}

// KeyLengthTerms are the terms of the length formula, for logs and reports.
type KeyLengthTerms struct {
	ReconciledBits int
	Leak           int     // syndrome + verification bits
	Symbols        int     // key symbols behind the reconciled bits
	HolevoPerSym   float64 // χ_BE in bits per symbol
	Eve            float64 // Symbols × χ_BE
	Margin         float64 // 2·log2(1/ε_PA)
	Length         int
}

// FinalKeyLength returns the number of secret bits privacy amplification may
// extract:
//
//	ℓ = ⌊ReconciledBits − leak − S·χ_BE − 2·log2(1/ε_PA)⌋
//
// with leak = syndrome + verification bits, S = ⌈Quadratures/q⌉ the key
// symbols the bits come from (q = 2 quadratures per symbol heterodyne, 1
// homodyne) and χ_BE = HolevoBound(Estimate). ReconciledBits − leak is
// H(K) − leak_EC = β·I_AB per symbol times S for uniform sign bits, so ℓ/S is
// the key rate β·I_AB − χ_BE less the leftover-hash-lemma margin. When ℓ ≤ 0
// it returns 0 and an error wrapping ErrNoSecretKey that lists the terms.
func FinalKeyLength(p FinalKeyParams) (int, KeyLengthTerms, error) {
	verif := p.VerificationBits
	if verif == 0 {
		verif = VerificationHashBits
	}
	eps := p.EpsilonPA
	if eps == 0 {
		eps = DefaultEpsilonPA
	}
	var t KeyLengthTerms
	switch {
	case p.ReconciledBits < 0 || p.SyndromeBits < 0 || p.Quadratures < 0 || verif < 0:
		return 0, t, fmt.Errorf("%w: negative bit count", ErrInvalidPA)
	case !(eps > 0 && eps < 1):
		return 0, t, fmt.Errorf("%w: ε_PA = %g outside (0, 1)", ErrInvalidPA, eps)
	}
	est := p.Estimate
	if !(est.Beta > 0) {
		est.Beta = 1 // not used by HolevoBound, but Validate wants it
	}
	chi, err := HolevoBound(est)
	if err != nil {
		return 0, t, err
	}
	q := 1
	if est.Detection == Heterodyne {
		q = 2
	}
	t.ReconciledBits = p.ReconciledBits
	t.Leak = p.SyndromeBits + verif
	quads := p.Quadratures
	if quads == 0 {
		quads = p.ReconciledBits
	}
	t.Symbols = (quads + q - 1) / q
	t.HolevoPerSym = chi
	t.Eve = float64(t.Symbols) * chi
	t.Margin = 2 * math.Log2(1/eps)
	l := math.Floor(float64(p.ReconciledBits) - float64(t.Leak) - t.Eve - t.Margin)
	if !(l > 0) {
		var b strings.Builder
		fmt.Fprintf(&b, "%d reconciled bits − %d leaked − %d symbols × χ_BE %.4f (%.0f) − margin %.1f = %.0f",
			p.ReconciledBits, t.Leak, t.Symbols, chi, t.Eve, t.Margin, l)
		return 0, t, fmt.Errorf("%w: %s", ErrNoSecretKey, b.String())
	}
	t.Length = int(l)
	return t.Length, t, nil
}
