package main

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
)

func TestConformList(t *testing.T) {
	cmd := newConformCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--list"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "  1  identification with the same version") {
		t.Fatalf("list:\n%s", out.String())
	}
}

func TestConformFailsWithoutTargetOrServer(t *testing.T) {
	cmd := newConformCmd()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--target") {
		t.Fatalf("no target: %v", err)
	}
	// A port nobody listens on: every selected case fails, exit non-zero.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd = newConformCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--target", addr, "--only", "1,2", "--json"})
	err = cmd.Execute()
	if !errors.Is(err, errConformFailed) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out.String(), `"failed": 2`) {
		t.Fatalf("report:\n%s", out.String())
	}
}
