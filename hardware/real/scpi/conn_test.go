package scpi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qosst/qosst-go/hardware"
)

func TestReadBlock(t *testing.T) {
	good := []struct{ in, want string }{
		{"#15hello\n", "hello"},
		{"#15hello\r\n", "hello"},
		{"#10\n", ""},
		{"#210ab\ncd\nef\r\n\n", "ab\ncd\nef\r\n"}, // binary data may hold newlines
		{"#9000000003xyz\n", "xyz"},
	}
	for _, g := range good {
		got, err := ReadBlock(bufio.NewReader(strings.NewReader(g.in)), 100)
		if err != nil || string(got) != g.want {
			t.Errorf("ReadBlock(%q) = %q, %v; want %q", g.in, got, err, g.want)
		}
	}
	bad := []struct{ name, in string }{
		{"no hash", "15hello\n"},
		{"indefinite", "#0hello\n"},
		{"digit count not a digit", "#x5hello\n"},
		{"length not decimal", "#2a5hello\n"},
		{"over the limit", "#3101" + strings.Repeat("a", 101) + "\n"},
		{"huge claimed length", "#9999999999\n"},
		{"no terminator", "#15helloX"},
		{"wrong terminator", "#15hello\r\r"},
	}
	for _, b := range bad {
		_, err := ReadBlock(bufio.NewReader(strings.NewReader(b.in)), 100)
		var pe *protocolError
		if !errors.As(err, &pe) || !errors.Is(err, hardware.ErrDevice) {
			t.Errorf("%s: got %v, want a malformed-reply error wrapping ErrDevice", b.name, err)
		}
	}
	for _, in := range []string{"#", "#1", "#25", "#15hel", "#15hello"} {
		_, err := ReadBlock(bufio.NewReader(strings.NewReader(in)), 100)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("truncated %q: got %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

// FuzzReadBlock: whatever the instrument sends, ReadBlock returns within
// its bound or an error, and never panics.
func FuzzReadBlock(f *testing.F) {
	for _, s := range []string{"#15hello\n", "#0abc", "#9999999999", "#10\r\n", "#210ab\ncd\nef\r\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 64
		got, err := ReadBlock(bufio.NewReader(bytes.NewReader(in)), max)
		if err == nil && len(got) > max {
			t.Fatalf("block of %d bytes past the limit %d", len(got), max)
		}
		if err == nil && !bytes.Contains(in, got) {
			t.Fatalf("block %q is not in the input", got)
		}
	})
}

func TestDialMissingInstrument(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = Dial(context.Background(), addr, Limits{Timeout: 2 * time.Second})
	if !errors.Is(err, hardware.ErrNoDevice) {
		t.Fatalf("dial of a missing instrument: %v, want ErrNoDevice", err)
	}
	if _, err := NewReceiver(context.Background(), ReceiverConfig{Digitizer: addr}); !errors.Is(err, hardware.ErrNoDevice) {
		t.Fatalf("NewReceiver: %v, want ErrNoDevice", err)
	}
	if _, err := NewEmitter(context.Background(), EmitterConfig{AWG: addr}); !errors.Is(err, hardware.ErrNoDevice) {
		t.Fatalf("NewEmitter: %v, want ErrNoDevice", err)
	}
	if _, err := NewReceiver(context.Background(), ReceiverConfig{}); !errors.Is(err, hardware.ErrNoDevice) {
		t.Fatalf("NewReceiver without address: %v, want ErrNoDevice", err)
	}
}

// misbehaving answers each query with a canned raw reply.
func misbehaving(t *testing.T, replies map[string]string) *fake {
	return newFake(t, "Acme,Scope 9000,SN1,1.0", func(f *fake, cmd, arg string, blk []byte) ([]byte, bool) {
		r, ok := replies[cmd]
		if !ok {
			return nil, false
		}
		if r == "" {
			return nil, true // never answer
		}
		return []byte(r), true
	})
}

func dialFake(t *testing.T, f *fake, limits Limits) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), f.addr(), limits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestIdentify(t *testing.T) {
	f := misbehaving(t, nil)
	c := dialFake(t, f, Limits{})
	id, err := c.Identify(context.Background())
	if err != nil || id.Manufacturer != "Acme" || id.Model != "Scope 9000" || id.Serial != "SN1" || id.Firmware != "1.0" {
		t.Fatalf("Identify = %+v, %v", id, err)
	}
	g := newFake(t, "hello there", func(*fake, string, string, []byte) ([]byte, bool) { return nil, false })
	if _, err := dialFake(t, g, Limits{}).Identify(context.Background()); !errors.Is(err, hardware.ErrNoDevice) {
		t.Fatalf("identify of a non-instrument: %v, want ErrNoDevice", err)
	}
}

func TestSilentInstrument(t *testing.T) {
	f := misbehaving(t, map[string]string{"HANG?": "", "OK?": "1\n"})

	// The context's deadline ends the wait, and the connection, whose
	// reply may still arrive, is out of step afterwards.
	c := dialFake(t, f, Limits{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Query(ctx, "HANG?")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent query: %v, want DeadlineExceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the deadline did not end the read")
	}
	// The next call redials (identify, clear status) and goes through.
	idn := f.count("*IDN?")
	if s, err := c.Query(context.Background(), "OK?"); err != nil || s != "1" {
		t.Fatalf("query after an interrupted reply: %q, %v; want a redial and 1", s, err)
	}
	if f.count("*IDN?") != idn+1 || f.count("*CLS") < 1 {
		t.Fatalf("no redial: %q", f.commands())
	}

	// Cancellation without a deadline interrupts the read too.
	c2 := dialFake(t, f, Limits{})
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel2)
	if _, err := c2.Query(ctx2, "HANG?"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled query: %v, want Canceled", err)
	}

	// Without any context deadline, Limits.Timeout bounds the call.
	c3 := dialFake(t, f, Limits{Timeout: 50 * time.Millisecond})
	if _, err := c3.Query(context.Background(), "HANG?"); !errors.Is(err, hardware.ErrDevice) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("query past the timeout: %v, want a timeout wrapping ErrDevice", err)
	}
}

func TestMalformedReplies(t *testing.T) {
	f := misbehaving(t, map[string]string{
		"LONG?":  strings.Repeat("x", 10000) + "\n",
		"NUM?":   "twelve\n",
		"OK?":    "1\n",
		"CUT?":   "#15he",
		"HUGE?":  "#9999999999\n",
		"SHORT?": "CLOSE",
	})
	ctx := context.Background()

	c := dialFake(t, f, Limits{MaxLine: 4096})
	if _, err := c.QueryFloat(ctx, "NUM?"); !errors.Is(err, hardware.ErrDevice) {
		t.Fatalf("non-numeric reply: %v, want ErrDevice", err)
	}
	if s, err := c.Query(ctx, "OK?"); err != nil || s != "1" {
		t.Fatalf("a well-framed bad reply must leave the connection usable: %q, %v", s, err)
	}
	if _, err := c.Query(ctx, "LONG?"); !errors.Is(err, hardware.ErrDevice) || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("over-long line: %v, want ErrDevice", err)
	}
	if s, err := c.Query(ctx, "OK?"); err != nil || s != "1" {
		t.Fatalf("after an over-long line: %q, %v; want a redial and 1", s, err)
	}

	c = dialFake(t, f, Limits{})
	if _, err := c.QueryBlock(ctx, "HUGE?", 1000); !errors.Is(err, hardware.ErrDevice) || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("oversized block: %v, want ErrDevice", err)
	}
	c = dialFake(t, f, Limits{Timeout: 200 * time.Millisecond})
	if _, err := c.QueryBlock(ctx, "CUT?", 1000); !errors.Is(err, hardware.ErrDevice) {
		t.Fatalf("truncated block: %v, want ErrDevice", err)
	}
	c = dialFake(t, f, Limits{})
	if _, err := c.Query(ctx, "SHORT?"); !errors.Is(err, hardware.ErrDevice) || !strings.Contains(err.Error(), "closed the connection") {
		t.Fatalf("instrument hung up: %v, want ErrDevice", err)
	}
	if err := c.Write(ctx, "A\nB"); !errors.Is(err, hardware.ErrDevice) {
		t.Fatalf("command with a line break: %v", err)
	}
}

func TestInstrumentErrorQueue(t *testing.T) {
	f := misbehaving(t, map[string]string{"OK?": "1\n"})
	c := dialFake(t, f, Limits{})
	ctx := context.Background()
	err := c.Command(ctx, ":NO:SUCH:THING")
	var ie *InstrumentError
	if !errors.As(err, &ie) || ie.Code != -113 || ie.Message != "Undefined header" || !errors.Is(err, hardware.ErrDevice) {
		t.Fatalf("refused command: %v, want InstrumentError -113", err)
	}
	if err := c.CheckError(ctx); err != nil {
		t.Fatalf("queue not drained: %v", err)
	}
	if s, err := c.Query(ctx, "OK?"); err != nil || s != "1" {
		t.Fatalf("connection unusable after an instrument error: %q, %v", s, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(ctx, "OK?"); !errors.Is(err, hardware.ErrClosed) {
		t.Fatalf("query after close: %v, want ErrClosed", err)
	}
}

func TestWriteBlockRoundTrip(t *testing.T) {
	var got []byte
	f := newFake(t, "Acme,AWG,1,1", func(f *fake, cmd, arg string, blk []byte) ([]byte, bool) {
		if cmd == ":DATA" {
			f.mu.Lock()
			got = blk
			f.mu.Unlock()
			return nil, true
		}
		return nil, false
	})
	c := dialFake(t, f, Limits{})
	data := []byte("bin\nary\r\n\x00\xff")
	if err := c.WriteBlock(context.Background(), ":DATA", data); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckError(context.Background()); err != nil { // also syncs with the fake
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !bytes.Equal(got, data) {
		t.Fatalf("instrument received %q, want %q", got, data)
	}
}

// A broken connection to an instrument that has gone away fails fast on
// the next call, wrapping ErrBroken and hardware.ErrNoDevice, and the call
// after it tries again.
func TestRedialFails(t *testing.T) {
	f := misbehaving(t, map[string]string{"HANG?": "", "OK?": "1\n"})
	c := dialFake(t, f, Limits{Timeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.Query(ctx, "HANG?"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent query: %v", err)
	}
	f.close() // the instrument goes away
	for i := 0; i < 2; i++ {
		start := time.Now()
		_, err := c.Query(context.Background(), "OK?")
		if !errors.Is(err, ErrBroken) || !errors.Is(err, hardware.ErrNoDevice) {
			t.Fatalf("query %d to a vanished instrument: %v, want ErrBroken and ErrNoDevice", i, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("failed redial took %v", d)
		}
	}
}
