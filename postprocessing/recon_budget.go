package postprocessing

import (
	"errors"
	"fmt"
	"math"
)

// A Budget says where the mutual information of a plan's quadratures goes:
// the fraction β a decoded block reconciles, and the losses that make up
// the rest. Every figure but MutualInformation is a fraction of it, and β
// plus the losses is 1. The figures hold for the channel the SNR gives
// (y = √snr·x + n, x and n Gaussian) and, for slice reconciliation, Bob's
// quantizer at the scale of that channel; they leave out the verification
// hash (64 bits a block) and failed blocks.
type Budget struct {
	Scheme string
	SNR    float64
	// MutualInformation is I(X; Y), ½·log2(1 + SNR), in bits per quadrature.
	MutualInformation float64
	// Beta is the plan's Rate over MutualInformation.
	Beta float64
	// Losses, in the order the information is lost: what the scheme's
	// channel throws away before any code (quantization and disclosed
	// slices; the binary channel of sign or multidimensional
	// reconciliation), then each code's gap to its channel's capacity.
	Losses []BudgetLoss
}

// A BudgetLoss is one part of a Budget's losses.
type BudgetLoss struct {
	// What is lost: "quantization", "disclosed slices", "slice j" (coded
	// slice j, most significant first), "binary channel" or "code".
	What string
	// Capacity and Rate, for a code, are the most its channel lets it
	// reconcile and what it reconciles, in bits per quadrature (both 0 for
	// the other losses).
	Capacity, Rate float64
	// Fraction is the loss as a fraction of I(X; Y): (Capacity − Rate)/I
	// for a code.
	Fraction float64
}

// ErrNoBudget is returned by ReconciliationPlan.Budget for a plan with an
// explicit parity-check matrix: its rate is known, but not the code's
// family, so the budget would only restate β.
var ErrNoBudget = errors.New("postprocessing: no budget for this plan")

// Budget returns the budget of the plan at snr: for slice reconciliation
// the quantization's loss (1 − I(X; Q)/I(X; Y)), the disclosed slices'
// information on X and each coded slice's code gap (SliceCapacities); for
// multidimensional reconciliation the binary channel's loss (MDCapacity)
// and the code's gap; for sign reconciliation the same with
// SignChannelCapacity.
func (p ReconciliationPlan) Budget(snr float64) (Budget, error) {
	if !(snr > 0) || math.IsInf(snr, 0) {
		return Budget{}, fmt.Errorf("%w: SNR = %g, want a finite SNR > 0", ErrInvalidPlan, snr)
	}
	if p.Matrix != nil {
		return Budget{}, fmt.Errorf("%w: the plan has an explicit parity-check matrix", ErrNoBudget)
	}
	if err := p.Validate(); err != nil {
		return Budget{}, err
	}
	info := GaussianCapacity(snr)
	b := Budget{Scheme: p.Scheme, SNR: snr, MutualInformation: info, Beta: p.Rate() / info}
	if p.Slices != nil {
		s := p.Slices
		lost, caps := SliceCapacities(snr, s.Bits, s.Disclosed)
		if len(caps) != len(s.Codes) {
			return Budget{}, fmt.Errorf("%w: %d slice capacities for %d codes", ErrInvalidPlan, len(caps), len(s.Codes))
		}
		quantized := lost
		for _, c := range caps {
			quantized += c
		}
		b.Losses = append(b.Losses,
			BudgetLoss{What: "quantization", Fraction: (info - quantized) / info},
			BudgetLoss{What: "disclosed slices", Fraction: lost / info})
		for j, d := range s.Codes {
			rate := float64(d.KeyBits()-d.M()) / float64(d.ChannelBits())
			b.Losses = append(b.Losses, BudgetLoss{What: fmt.Sprintf("slice %d", j),
				Capacity: caps[j], Rate: rate, Fraction: (caps[j] - rate) / info})
		}
		return b, nil
	}
	channel := SignChannelCapacity(snr)
	if p.Scheme == SchemeMultidimensional {
		channel = MDCapacity(snr)
	}
	rate := p.Rate()
	b.Losses = append(b.Losses,
		BudgetLoss{What: "binary channel", Fraction: (info - channel) / info},
		BudgetLoss{What: "code", Capacity: channel, Rate: rate, Fraction: (channel - rate) / info})
	return b, nil
}
