package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/postprocessing"
)

// runCommand runs cmd with args and returns what it printed, standard
// output and error together.
func runCommand(cmd *cobra.Command, args ...string) (string, error) {
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func runSkr(args ...string) (string, error) { return runCommand(newSkrCmd(), args...) }

func TestSkrPrintsTheKeyRate(t *testing.T) {
	out, err := runSkr("--detection", "heterodyne", "--va", "4", "--t", "0.5", "--xi", "0.01",
		"--eta", "0.8", "--vel", "0.05", "--beta", "0.95", "--symbol-rate", "1e8")
	if err != nil {
		t.Fatal(err)
	}
	k, err := postprocessing.SecretKeyRate(postprocessing.KeyRateParams{
		Detection: postprocessing.Heterodyne, Trusted: true, Va: 4, T: 0.5, Xi: 0.01, Eta: 0.8, Vel: 0.05, Beta: 0.95})
	if err != nil || k <= 0 {
		t.Fatalf("reference rate %v, %v", k, err)
	}
	for _, want := range []string{
		"heterodyne, trusted detector",
		fmt.Sprintf("secret key rate  %.6g bit/symbol", k),
		fmt.Sprintf("secret key rate  %.6g bit/s at 1e+08 Bd", k*1e8),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSkrUntrustedHomodyneWithoutRate(t *testing.T) {
	out, err := runSkr("--detection", "homodyne", "--trusted=false")
	if err != nil {
		t.Fatal(err)
	}
	k, _ := postprocessing.SecretKeyRate(postprocessing.KeyRateParams{
		Detection: postprocessing.Homodyne, Va: 2, T: 0.9, Xi: 0.01, Eta: 0.8, Vel: 0.05, Beta: 0.95})
	if !strings.Contains(out, "homodyne, untrusted detector") ||
		!strings.Contains(out, fmt.Sprintf("secret key rate  %.6g bit/symbol", k)) || strings.Contains(out, "bit/s at") {
		t.Fatalf("output:\n%s", out)
	}
}

func TestSkrNoKeySaysWhy(t *testing.T) {
	out, err := runSkr("--xi", "1", "--t", "0.5")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "secret key rate  0 bit/symbol") || !strings.Contains(out, "no key") {
		t.Fatalf("output:\n%s", out)
	}
}

func TestSkrRejectsOutOfDomain(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--t", "1.5"}, "transmittance T"},
		{[]string{"--t", "0"}, "transmittance T"},
		{[]string{"--xi", "-0.1"}, "excess noise"},
		{[]string{"--eta", "0"}, "efficiency η"},
		{[]string{"--vel", "-1"}, "electronic noise"},
		{[]string{"--va", "0"}, "modulation variance"},
		{[]string{"--beta", "1.1"}, "reconciliation efficiency"},
		{[]string{"--t", "NaN"}, "transmittance T"},
		{[]string{"--detection", "intradyne"}, "intradyne"},
		{[]string{"--symbol-rate", "-1"}, "symbol-rate"},
	} {
		_, err := runSkr(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want one naming %q", c.args, err, c.want)
		}
	}
}

func TestSkrIsRegistered(t *testing.T) {
	for _, c := range rootCmd.Commands() {
		if c.Name() == "skr" {
			return
		}
	}
	t.Fatal("qosst skr is not registered on the root command")
}

// qosst skr --json prints the figures of the text output: every number of
// the text, read back, equals the JSON value printed with the text's
// precision, and the JSON key rate is the formula's at full precision.
func TestSkrJSONMatchesText(t *testing.T) {
	for _, args := range [][]string{
		{"--detection", "heterodyne", "--va", "4", "--t", "0.5", "--xi", "0.01", "--eta", "0.8", "--vel", "0.05", "--beta", "0.95", "--symbol-rate", "1e8"},
		{"--detection", "homodyne", "--trusted=false"},
		{"--xi", "1", "--t", "0.5"},
	} {
		text, err := runSkr(args...)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := runSkr(append(args, "--json")...)
		if err != nil {
			t.Fatal(err)
		}
		var j struct {
			Detection  string   `json:"detection"`
			Trusted    bool     `json:"trusted"`
			SNR        float64  `json:"snr"`
			IAB        float64  `json:"i_ab_bits_per_symbol"`
			ChiBE      float64  `json:"chi_be_bits_per_symbol"`
			KeyRate    float64  `json:"key_rate_bits_per_symbol"`
			SymbolRate *float64 `json:"symbol_rate_baud"`
			KeyRateBPS *float64 `json:"key_rate_bits_per_second"`
			Params     struct {
				Va, T, Xi, Eta, Vel, Beta float64
			} `json:"params"`
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil {
			t.Fatalf("%v: --json output %q: %v", args, raw, err)
		}
		trust := "trusted"
		if !j.Trusted {
			trust = "untrusted"
		}
		want := map[string]string{
			"detection":       j.Detection + ", " + trust + " detector",
			"SNR":             fmt.Sprintf("%.6g per quadrature", j.SNR),
			"I_AB":            fmt.Sprintf("%.6g bit/symbol", j.IAB),
			"χ_BE":            fmt.Sprintf("%.6g bit/symbol", j.ChiBE),
			"secret key rate": fmt.Sprintf("%.6g bit/symbol", j.KeyRate),
		}
		lines := map[string][]string{}
		for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
			if strings.HasPrefix(l, "no key") {
				continue
			}
			k, v := strings.TrimSpace(l[:17]), strings.TrimSpace(l[17:])
			lines[k] = append(lines[k], v)
		}
		for k, v := range want {
			if len(lines[k]) == 0 || lines[k][0] != v {
				t.Errorf("%v: text %s = %q, JSON gives %q", args, k, lines[k], v)
			}
		}
		if (j.SymbolRate != nil) != (len(lines["secret key rate"]) == 2) {
			t.Errorf("%v: bit/s in text %v, in JSON %v", args, len(lines["secret key rate"]) == 2, j.SymbolRate != nil)
		} else if j.SymbolRate != nil {
			if got, w := lines["secret key rate"][1], fmt.Sprintf("%.6g bit/s at %.6g Bd", *j.KeyRateBPS, *j.SymbolRate); got != w {
				t.Errorf("%v: text %q, JSON %q", args, got, w)
			}
		}
		if (j.KeyRate == 0) != strings.Contains(text, "no key") {
			t.Errorf("%v: key rate %v, text %q", args, j.KeyRate, text)
		}
		det, _ := postprocessing.ParseDetection(j.Detection)
		k, err := postprocessing.SecretKeyRate(postprocessing.KeyRateParams{Detection: det, Trusted: j.Trusted,
			Va: j.Params.Va, T: j.Params.T, Xi: j.Params.Xi, Eta: j.Params.Eta, Vel: j.Params.Vel, Beta: j.Params.Beta})
		if err != nil || k != j.KeyRate {
			t.Errorf("%v: JSON key rate %v, formula %v (%v)", args, j.KeyRate, k, err)
		}
	}
}
