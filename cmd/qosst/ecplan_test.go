package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/qosst/qosst-go/postprocessing"
)

func runECPlan(args ...string) (string, error) { return runCommand(newECPlanCmd(), args...) }

type ecPlanJSON struct {
	Scheme           string  `json:"scheme"`
	SNR              float64 `json:"snr"`
	Info             float64 `json:"mutual_information_bits"`
	Beta             float64 `json:"beta"`
	Blocks           int     `json:"blocks"`
	BlockQuadratures int     `json:"block_quadratures"`
	Slices           int     `json:"slices"`
	Disclosed        int     `json:"disclosed_slices"`
	Codes            []struct {
		Family, Z, Rows, Shortened, Punctured, Bits int
		Seed                                        uint32
		Rate                                        float64
		Generated                                   bool
	} `json:"codes"`
	Losses []struct {
		What     string  `json:"what"`
		Capacity float64 `json:"capacity_bits"`
		Rate     float64 `json:"rate_bits"`
		Fraction float64 `json:"fraction"`
	} `json:"losses"`
}

// qosst ec-plan prints the plan Bob would make (the same blocks, codes and
// β as postprocessing.PlanReconciliation) and a budget whose losses and β
// add up to 1; the text shows the JSON's figures.
func TestECPlanMatchesThePlanner(t *testing.T) {
	for _, c := range []struct {
		args   []string
		params postprocessing.PlanParams
		losses []string
	}{
		{[]string{"--snr", "0.16", "--quadratures", "262144"},
			postprocessing.PlanParams{SNR: 0.16, KeyQuadratures: 1 << 18, Scheme: postprocessing.SchemeMultidimensional},
			[]string{"binary channel", "code"}},
		{[]string{"--snr", "0.5", "--quadratures", "262144", "--reconciliation", "slice"},
			postprocessing.PlanParams{SNR: 0.5, KeyQuadratures: 1 << 18, Scheme: postprocessing.SchemeSlice},
			[]string{"quantization", "disclosed slices", "slice 0", "slice 1"}},
		{[]string{"--snr", "1", "--quadratures", "20000", "--reconciliation", "sign"},
			postprocessing.PlanParams{SNR: 1, KeyQuadratures: 20000, Scheme: postprocessing.SchemeSign},
			[]string{"binary channel", "code"}},
	} {
		raw, err := runECPlan(append(c.args, "--json")...)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		var j ecPlanJSON
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil {
			t.Fatalf("%v: --json output %q: %v", c.args, raw, err)
		}
		c.params.Noise = 1
		plan, err := postprocessing.PlanReconciliation(c.params)
		if err != nil {
			t.Fatal(err)
		}
		if j.Scheme != plan.Scheme || j.Blocks != plan.Blocks || j.BlockQuadratures != plan.ChannelBits() ||
			math.Abs(j.Beta-plan.Rate()/postprocessing.GaussianCapacity(c.params.SNR)) > 1e-12 {
			t.Errorf("%v: %s, %d blocks of %d, β %v; the planner: %s, %d of %d, rate %v", c.args, j.Scheme, j.Blocks,
				j.BlockQuadratures, j.Beta, plan.Scheme, plan.Blocks, plan.ChannelBits(), plan.Rate())
		}
		if codes := plan.QCCodes(); len(codes) > 0 {
			if len(codes) != len(j.Codes) {
				t.Fatalf("%v: %d codes printed, the plan has %d", c.args, len(j.Codes), len(codes))
			}
			for i, d := range codes {
				if j.Codes[i].Family != d.Family || j.Codes[i].Rows != d.Rows || j.Codes[i].Z != d.Z || j.Codes[i].Shortened != d.Shortened {
					t.Errorf("%v: code %d printed %+v, planned %+v", c.args, i, j.Codes[i], d)
				}
			}
		} else if len(j.Codes) != 1 || !j.Codes[0].Generated {
			t.Errorf("%v: codes %+v, want the one generated code", c.args, j.Codes)
		}
		sum := j.Beta
		for _, l := range j.Losses {
			sum += l.Fraction
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("%v: β and the losses add up to %v", c.args, sum)
		}
		text, err := runECPlan(c.args...)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			fmt.Sprintf("%s reconciliation at SNR %.6g per quadrature", j.Scheme, j.SNR),
			fmt.Sprintf("β %.4f: the losses below add up to %.4f", j.Beta, 1-j.Beta),
		}
		for i, what := range c.losses {
			if i >= len(j.Losses) || j.Losses[i].What != what {
				t.Fatalf("%v: losses %+v, want %q at %d", c.args, j.Losses, what, i)
			}
			want = append(want, fmt.Sprintf("%.4f", j.Losses[i].Fraction))
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%v: the text lacks %q:\n%s", c.args, w, text)
			}
		}
	}
}

func TestECPlanRejectsBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{}, "--snr"},
		{[]string{"--snr", "-1"}, "--snr"},
		{[]string{"--snr", "NaN"}, "--snr"},
		{[]string{"--snr", "0.5", "--quadratures", "0"}, "--quadratures"},
		{[]string{"--snr", "0.5", "--reconciliation", "turbo"}, "--reconciliation"},
		{[]string{"--snr", "0.5", "--codes", "polar"}, "--codes"},
		{[]string{"--snr", "0.5", "--efficiency", "1.2"}, "--efficiency"},
		{[]string{"--snr", "0.5", "--block-length", "-5"}, "--block-length"},
	} {
		out, err := runECPlan(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("%v: %v (output %q), want an error naming %s", c.args, err, out, c.flag)
		}
	}
}

func TestECPlanIsRegistered(t *testing.T) {
	for _, c := range rootCmd.Commands() {
		if c.Name() == "ec-plan" {
			return
		}
	}
	t.Fatal("qosst ec-plan is not registered on the root command")
}
