package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/postprocessing"
)

func init() { rootCmd.AddCommand(newSkrCmd()) }

func newSkrCmd() *cobra.Command {
	var (
		detection  string
		p          postprocessing.KeyRateParams
		symbolRate float64
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "skr",
		Short: "Asymptotic secret key rate of a CV-QKD link (Gaussian modulation, reverse reconciliation)",
		Long: `Print the asymptotic secret key rate K = max(0, β·I_AB − χ_BE) of a link with
Gaussian-modulated coherent states and reverse reconciliation, against
collective attacks, in bits per symbol, and in bit/s when --symbol-rate is
given. I_AB (Alice–Bob mutual information) and χ_BE (Holevo bound on Eve's
information on Bob's data) are printed too.

All variances are in shot-noise units per quadrature. --va is Alice's
modulation variance (Va = 2<n>), --t the channel transmittance (detection
efficiency excluded), --xi the excess noise referred to the channel input,
--eta Bob's detection efficiency, --vel his electronic noise per measured
quadrature, --beta the reconciliation efficiency.

--trusted=true (the default) assumes the detector's loss and noise are
calibrated and out of Eve's reach; --trusted=false gives them to Eve
(T' = ηT, and ξ' = ξ + v_el/(ηT) for homodyne, ξ + 2·v_el/(ηT) for
heterodyne). The defaults are the project's simulated short link.

A parameter outside the physical domain (T or η not in (0, 1], ξ < 0,
v_el < 0, Va ≤ 0, β not in (0, 1]) is an error: the command says which one
and exits non-zero.

--json prints the same figures as one JSON object (for scripts): detection,
trusted, snr, i_ab_bits_per_symbol, chi_be_bits_per_symbol,
key_rate_bits_per_symbol, and with --symbol-rate symbol_rate_baud and
key_rate_bits_per_second; the inputs are echoed under "params".`,
		Example: `  qosst skr --detection heterodyne --va 4 --t 0.5 --xi 0.01 --eta 0.8 --vel 0.05 --beta 0.95
  qosst skr --detection homodyne --trusted=false --symbol-rate 100e6`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := postprocessing.ParseDetection(detection)
			if err != nil {
				return fmt.Errorf("skr: --detection: %w", err)
			}
			p.Detection = d
			if !(symbolRate >= 0) || math.IsInf(symbolRate, 0) {
				return fmt.Errorf("skr: --symbol-rate %g: want a finite rate ≥ 0 in Bd", symbolRate)
			}
			if err := p.Validate(); err != nil {
				return fmt.Errorf("skr: %w", err)
			}
			iab, err1 := postprocessing.MutualInformation(p)
			chi, err2 := postprocessing.HolevoBound(p)
			snr, err3 := postprocessing.SNR(p)
			k, err4 := postprocessing.SecretKeyRate(p)
			if err := errors.Join(err1, err2, err3, err4); err != nil {
				return fmt.Errorf("skr: %w", err)
			}
			r := skrResult{Detection: d.String(), Trusted: p.Trusted, Params: skrParams{Va: p.Va, T: p.T, Xi: p.Xi,
				Eta: p.Eta, Vel: p.Vel, Beta: p.Beta}, SNR: snr, IAB: iab, ChiBE: chi, KeyRate: k}
			if symbolRate > 0 {
				r.SymbolRate, r.KeyRateBPS = &symbolRate, ptr(k*symbolRate)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			r.writeText(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&detection, "detection", "heterodyne", `Bob's detection: "heterodyne" or "homodyne"`)
	f.BoolVar(&p.Trusted, "trusted", true, "trust the detector's efficiency and electronic noise (false: Eve controls them)")
	f.Float64Var(&p.Va, "va", 2, "Alice's modulation variance Va = 2<n> (SNU), > 0")
	f.Float64Var(&p.T, "t", 0.9, "channel transmittance T, in (0, 1]")
	f.Float64Var(&p.Xi, "xi", 0.01, "excess noise ξ referred to the channel input (SNU), ≥ 0")
	f.Float64Var(&p.Eta, "eta", 0.8, "detection efficiency η, in (0, 1]")
	f.Float64Var(&p.Vel, "vel", 0.05, "electronic noise v_el per measured quadrature (SNU), ≥ 0")
	f.Float64Var(&p.Beta, "beta", 0.95, "reconciliation efficiency β, in (0, 1]")
	f.Float64Var(&symbolRate, "symbol-rate", 0, "symbol rate in Bd; when > 0 the key rate is also printed in bit/s")
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// skrParams echoes the inputs of a key-rate computation.
type skrParams struct {
	Va   float64 `json:"va"`
	T    float64 `json:"t"`
	Xi   float64 `json:"xi"`
	Eta  float64 `json:"eta"`
	Vel  float64 `json:"vel"`
	Beta float64 `json:"beta"`
}

// skrResult is what qosst skr prints, as text or as JSON.
type skrResult struct {
	Detection  string    `json:"detection"`
	Trusted    bool      `json:"trusted"`
	Params     skrParams `json:"params"`
	SNR        float64   `json:"snr"`
	IAB        float64   `json:"i_ab_bits_per_symbol"`
	ChiBE      float64   `json:"chi_be_bits_per_symbol"`
	KeyRate    float64   `json:"key_rate_bits_per_symbol"`
	SymbolRate *float64  `json:"symbol_rate_baud,omitempty"`
	KeyRateBPS *float64  `json:"key_rate_bits_per_second,omitempty"`
}

func (r skrResult) writeText(w io.Writer) {
	trust := "trusted"
	if !r.Trusted {
		trust = "untrusted"
	}
	fmt.Fprintf(w, "detection        %s, %s detector\n", r.Detection, trust)
	fmt.Fprintf(w, "SNR              %.6g per quadrature\n", r.SNR)
	fmt.Fprintf(w, "I_AB             %.6g bit/symbol\n", r.IAB)
	fmt.Fprintf(w, "χ_BE             %.6g bit/symbol\n", r.ChiBE)
	fmt.Fprintf(w, "secret key rate  %.6g bit/symbol\n", r.KeyRate)
	if r.SymbolRate != nil {
		fmt.Fprintf(w, "secret key rate  %.6g bit/s at %.6g Bd\n", *r.KeyRateBPS, *r.SymbolRate)
	}
	if r.KeyRate == 0 {
		fmt.Fprintf(w, "no key: β·I_AB = %.6g ≤ χ_BE = %.6g\n", r.Params.Beta*r.IAB, r.ChiBE)
	}
}

func ptr[T any](v T) *T { return &v }
