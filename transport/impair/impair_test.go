package impair

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// echo starts a loopback echo server.
func echo(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return l.Addr().String()
}

// Bytes pass in order and intact under delay, jitter, loss and reorder;
// a round trip takes at least twice the delay.
func TestRelayDelaysInOrder(t *testing.T) {
	r, err := New(echo(t), Link{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.01, Reorder: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range msg {
		msg[i] = byte(rng.Uint32())
	}
	start := time.Now()
	go c.Write(msg)
	got := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("bytes changed without corruption configured")
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("round trip of %v through a 20 ms ± 5 ms link", d)
	}
}

// With corruption, some bit reaches the peer flipped.
func TestRelayCorrupts(t *testing.T) {
	r, err := New(echo(t), Link{Corrupt: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte{0x55}, 1000)
	c.Write(msg)
	got := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, msg) {
		t.Fatal("no corruption with Corrupt = 1")
	}
}

// Close ends the relayed connections.
func TestRelayClose(t *testing.T) {
	r, err := New(echo(t), Link{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("x"))
	var b [1]byte
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := c.Read(b[:]); err == nil {
		t.Fatal("connection open after Close")
	}
}
