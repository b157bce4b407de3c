package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/qosst/qosst-go/postprocessing"
)

func runSkr(args ...string) (string, error) {
	cmd := newSkrCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

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
