package scpi

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/qosst/qosst-go/hardware"
)

// At start, a socket that accepts but never answers *IDN?, or answers
// something that is not an identity, is not an instrument: the drivers
// return hardware.ErrNoDevice within the caller's deadline.
func TestOpenSilentOrForeignInstrument(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	foreign := newFake(t, "SSH-2.0-OpenSSH_9.6", func(*fake, string, string, []byte) ([]byte, bool) { return nil, false })

	for name, addr := range map[string]string{"silent": silent.Addr().String(), "foreign": foreign.addr()} {
		t.Run(name, func(t *testing.T) {
			for what, open := range map[string]func(context.Context) error{
				"NewReceiver": func(ctx context.Context) error {
					_, err := NewReceiver(ctx, ReceiverConfig{Digitizer: addr})
					return err
				},
				"NewEmitter":   func(ctx context.Context) error { _, err := NewEmitter(ctx, EmitterConfig{AWG: addr}); return err },
				"NewPolariser": func(ctx context.Context) error { _, err := NewPolariser(ctx, addr, Limits{}); return err },
			} {
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				start := time.Now()
				err := open(ctx)
				cancel()
				if !errors.Is(err, hardware.ErrNoDevice) {
					t.Fatalf("%s: %v, want ErrNoDevice", what, err)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Fatalf("%s took %v past a 200 ms deadline", what, d)
				}
			}
		})
	}
}
