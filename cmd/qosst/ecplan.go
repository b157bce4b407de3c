package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

func init() { rootCmd.AddCommand(newECPlanCmd()) }

func newECPlanCmd() *cobra.Command {
	var (
		p      postprocessing.PlanParams
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "ec-plan",
		Short: "The error correction Bob plans at an SNR, and where the β it reaches loses the rest",
		Long: `Plan error correction as Bob does (bob.error_correction: reconciliation,
codes, efficiency, block_length) for a frame's key quadratures at an SNR per
quadrature, and print the plan and its budget: the fraction β of I(X;Y) =
½·log2(1 + SNR) a decoded block reconciles, and where the rest goes, as
fractions of I(X;Y) that add up to 1 with β:

  quantization       slice reconciliation: I(X;Y) − I(X;Q), Q Bob's
                     quantized quadrature
  disclosed slices   the disclosed slices' information on X, thrown away
  slice j            coded slice j's code (most significant first): its
                     capacity given the slices before it, less its rate
  binary channel     sign or multidimensional reconciliation: what their
                     binary channel cannot carry
  code               that channel's capacity less the code's rate

The budget is for the channel the SNR gives, without the verification hash
(64 bits a block) and without failed blocks; whether blocks decode at that β
is what the reconciliation benchmarks measure (docs/postprocessing-ec-pa.md).
With --reconciliation slice the planner keeps multidimensional
reconciliation where it reconciles more, as Bob does; the first line names
the scheme planned. Planning slice reconciliation simulates one block of
each slice code (the guard against codes with low-weight words), a few
seconds per slice at the default length.

An SNR that is not finite and > 0, a scheme or codes other than those
named, or a frame the codes cannot serve is an error that names the flag;
the command exits non-zero.

--json prints the plan and the budget as one JSON object: scheme, snr,
mutual_information_bits, beta, blocks, block_quadratures, slices,
disclosed_slices (slice reconciliation), codes (one per coded slice, or the
one code) and losses (what, capacity_bits, rate_bits, fraction).`,
		Example: `  qosst ec-plan --snr 0.5 --reconciliation slice
  qosst ec-plan --snr 0.16 --quadratures 4000000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case !(p.SNR > 0) || math.IsInf(p.SNR, 0):
				return fmt.Errorf("ec-plan: --snr %g: want a finite SNR > 0 per quadrature", p.SNR)
			case p.KeyQuadratures < 1:
				return fmt.Errorf("ec-plan: --quadratures %d: want at least 1", p.KeyQuadratures)
			case p.Efficiency != 0 && !(p.Efficiency > 0 && p.Efficiency < 1):
				return fmt.Errorf("ec-plan: --efficiency %g: want a target β in (0, 1), or 0 for the planner's default", p.Efficiency)
			case p.MaxBlockLength < 0:
				return fmt.Errorf("ec-plan: --block-length %d: want 0 (the default) or a length in quadratures", p.MaxBlockLength)
			}
			switch p.Scheme {
			case postprocessing.SchemeMultidimensional, postprocessing.SchemeSlice, postprocessing.SchemeSign:
			default:
				return fmt.Errorf("ec-plan: --reconciliation %q: want %q, %q or %q", p.Scheme,
					postprocessing.SchemeMultidimensional, postprocessing.SchemeSlice, postprocessing.SchemeSign)
			}
			switch p.Codes {
			case "", postprocessing.CodesQC, postprocessing.CodesGenerated:
			default:
				return fmt.Errorf("ec-plan: --codes %q: want %q or %q", p.Codes, postprocessing.CodesQC, postprocessing.CodesGenerated)
			}
			p.Noise = 1 // the budget is in SNR only; the noise sets the unit
			plan, err := postprocessing.PlanReconciliation(p)
			if err != nil {
				return fmt.Errorf("ec-plan: at SNR %g with %d quadratures: %w", p.SNR, p.KeyQuadratures, err)
			}
			b, err := plan.Budget(p.SNR)
			if err != nil {
				return fmt.Errorf("ec-plan: %w", err)
			}
			r := newECPlanResult(plan, b)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			return r.writeText(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.Float64Var(&p.SNR, "snr", 0, "SNR per quadrature (required), as Bob estimates it: Gain²·Va/noise")
	f.IntVar(&p.KeyQuadratures, "quadratures", 10_000_000, "key quadratures of the frame (2 per heterodyne key symbol)")
	f.StringVar(&p.Scheme, "reconciliation", postprocessing.SchemeMultidimensional,
		fmt.Sprintf("scheme, as bob.error_correction.reconciliation: %q, %q or %q",
			postprocessing.SchemeMultidimensional, postprocessing.SchemeSlice, postprocessing.SchemeSign))
	f.StringVar(&p.Codes, "codes", "", fmt.Sprintf("codes, as bob.error_correction.codes: %q or %q (empty: the planner's choice)",
		postprocessing.CodesQC, postprocessing.CodesGenerated))
	f.Float64Var(&p.Efficiency, "efficiency", 0, "target β of the quasi-cyclic codes, as bob.error_correction.efficiency (0: the planner's default)")
	f.IntVar(&p.MaxBlockLength, "block-length", 0, "most quadratures a block, as bob.error_correction.block_length (0: the default)")
	f.Int64Var(&p.Seed, "seed", 0, "seed of the codes")
	f.BoolVar(&asJSON, "json", false, "print the plan and the budget as one JSON object")
	return cmd
}

// ecPlanCode describes one code of a plan: a quasi-cyclic code's
// description (its fields inline in JSON; only the seed for a generated
// code), its length and its effective rate.
type ecPlanCode struct {
	qcldpc.Description
	Bits      int     `json:"bits"`
	Rate      float64 `json:"rate"`
	Generated bool    `json:"generated,omitempty"`
}

// ecPlanLoss is one loss of the budget.
type ecPlanLoss struct {
	What     string  `json:"what"`
	Capacity float64 `json:"capacity_bits,omitempty"`
	Rate     float64 `json:"rate_bits,omitempty"`
	Fraction float64 `json:"fraction"`
}

// ecPlanResult is what qosst ec-plan prints, as text or as JSON.
type ecPlanResult struct {
	Scheme           string       `json:"scheme"`
	SNR              float64      `json:"snr"`
	Info             float64      `json:"mutual_information_bits"`
	Beta             float64      `json:"beta"`
	Blocks           int          `json:"blocks"`
	BlockQuadratures int          `json:"block_quadratures"`
	Slices           int          `json:"slices,omitempty"`
	Disclosed        int          `json:"disclosed_slices,omitempty"`
	Codes            []ecPlanCode `json:"codes"`
	Losses           []ecPlanLoss `json:"losses"`
}

func qcCode(d qcldpc.Description) ecPlanCode {
	rate, _ := d.EffectiveRate()
	return ecPlanCode{Description: d, Bits: d.N(), Rate: rate}
}

func newECPlanResult(plan postprocessing.ReconciliationPlan, b postprocessing.Budget) ecPlanResult {
	r := ecPlanResult{Scheme: plan.Scheme, SNR: b.SNR, Info: b.MutualInformation, Beta: b.Beta,
		Blocks: plan.Blocks, BlockQuadratures: plan.ChannelBits()}
	switch {
	case plan.Slices != nil:
		r.Slices, r.Disclosed = plan.Slices.Bits, plan.Slices.Disclosed
		for _, d := range plan.Slices.Codes {
			r.Codes = append(r.Codes, qcCode(d))
		}
	case plan.QC != nil:
		r.Codes = append(r.Codes, qcCode(*plan.QC))
	default:
		r.Codes = append(r.Codes, ecPlanCode{Description: qcldpc.Description{Seed: uint32(plan.Code.Seed)}, Bits: plan.N(), Rate: plan.Rate(), Generated: true})
	}
	for _, l := range b.Losses {
		r.Losses = append(r.Losses, ecPlanLoss{What: l.What, Capacity: l.Capacity, Rate: l.Rate, Fraction: l.Fraction})
	}
	return r
}

func (r ecPlanResult) writeText(w io.Writer) error {
	fmt.Fprintf(w, "%s reconciliation at SNR %.6g per quadrature: I(X;Y) = %.4f bit per quadrature\n", r.Scheme, r.SNR, r.Info)
	fmt.Fprintf(w, "%d blocks of %d quadratures", r.Blocks, r.BlockQuadratures)
	if r.Slices > 0 {
		fmt.Fprintf(w, "; %d slices, %d disclosed", r.Slices, r.Disclosed)
	}
	fmt.Fprintf(w, "\nβ %.4f: the losses below add up to %.4f\n\n", r.Beta, 1-r.Beta)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-16s\tcapacity\trate\tof capacity\tof I(X;Y)\t  code\n", "loss")
	codes := r.Codes
	for _, l := range r.Losses {
		if l.Capacity == 0 {
			fmt.Fprintf(tw, "%-16s\t\t\t\t%.4f\t\n", l.What, l.Fraction)
			continue
		}
		code := ""
		if len(codes) > 0 {
			c := codes[0]
			codes = codes[1:]
			if c.Generated {
				code = fmt.Sprintf("generated, %d bits", c.Bits)
			} else {
				code = fmt.Sprintf("family %d, %d rows, Z %d, %d shortened, %d punctured", c.Family, c.Rows, c.Z, c.Shortened, c.Punctured)
			}
		}
		fmt.Fprintf(tw, "%-16s\t%.4f\t%.4f\t%.4f\t%.4f\t  %s\n", l.What, l.Capacity, l.Rate, l.Rate/l.Capacity, l.Fraction, code)
	}
	return tw.Flush()
}
