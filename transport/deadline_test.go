package transport

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
)

// countingConn counts the deadlines armed on a connection.
type countingConn struct {
	net.Conn
	reads, writes atomic.Int64
}

func (c *countingConn) SetReadDeadline(t time.Time) error {
	c.reads.Add(1)
	return c.Conn.SetReadDeadline(t)
}

func (c *countingConn) SetWriteDeadline(t time.Time) error {
	c.writes.Add(1)
	return c.Conn.SetWriteDeadline(t)
}

func TestDeadlineSlack(t *testing.T) {
	for _, c := range []struct{ d, want time.Duration }{
		{16 * time.Millisecond, time.Millisecond},
		{30 * time.Millisecond, 1875 * time.Microsecond},
		{time.Minute, time.Second},
		{10 * time.Minute, time.Second},
	} {
		if got := DeadlineSlack(c.d); got != c.want {
			t.Errorf("DeadlineSlack(%v) = %v, want %v", c.d, got, c.want)
		}
	}
}

// Frames that follow each other quickly keep the armed deadlines: a few
// hundred exchanges over TCP arm a handful, not one per operation.
func TestDeadlinesArmedLazily(t *testing.T) {
	bobT, aliceT := tcpPair(t, Options{}, Options{})
	cb, ca := &countingConn{Conn: bobT.conn}, &countingConn{Conn: aliceT.conn}
	bob, alice := NewSession(cb, Options{}), NewSession(ca, Options{})
	const n = 300
	for i := 0; i < n; i++ {
		if err := bob.Send(messages.PENphotonRequest, []byte(`{"pad": "x"}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.Recv(); err != nil {
			t.Fatal(err)
		}
		if err := alice.Send(messages.PENphotonResponse, []byte(`{"n_photon": 0.5}`)); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	// Each side sends n frames and receives n (an idle and possibly a frame
	// deadline per receive before): 3n operations each. With one second of
	// slack only a few re-arms are needed, even on a slow machine.
	for name, c := range map[string]*countingConn{"bob": cb, "alice": ca} {
		if r, w := c.reads.Load(), c.writes.Load(); r+w > n/3 {
			t.Errorf("%s armed %d read and %d write deadlines for %d frames each way", name, r, w, n)
		}
	}
}

// A deadline kept from an earlier operation never fires before the
// operation's own timeout: requests spaced by half the idle timeout pass,
// although together they outlast the first armed deadline (d + slack)
// twice over.
func TestKeptDeadlinesDoNotFireEarly(t *testing.T) {
	noLeak(t)
	const d = 300 * time.Millisecond
	bob, alice := tcpPair(t, Options{}, Options{IdleTimeout: d, FrameTimeout: d})
	for i := 0; i < 5; i++ {
		time.Sleep(d / 2)
		if err := bob.Send(messages.PENphotonRequest, nil); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if _, err := alice.Recv(); err != nil {
			t.Fatalf("receive %d: %v", i, err)
		}
		if err := alice.Send(messages.PENphotonResponse, nil); err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		if _, err := bob.Recv(); err != nil {
			t.Fatalf("receive answer %d: %v", i, err)
		}
	}
}

// The same for writes: each write blocks for half the write timeout (the
// peer reads late), five in a row. The in-memory pipe runs under
// testing/synctest, so the half timeout is exact however loaded the machine.
func TestKeptWriteDeadlineDoesNotFireEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const d = 300 * time.Millisecond
		ca, cb := net.Pipe()
		bob := NewSession(ca, Options{WriteTimeout: d})
		read := make(chan struct{})
		defer func() {
			bob.Close()
			cb.Close()
			<-read
		}()
		go func() {
			defer close(read)
			dec := messages.NewDecoder(cb, messages.Limits{})
			for {
				time.Sleep(d / 2)
				if _, err := dec.ReadFrame(); err != nil {
					return
				}
			}
		}()
		for i := 0; i < 5; i++ {
			if err := bob.Send(messages.PENphotonRequest, nil); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
	})
}

// After fast exchanges (deadlines kept, not re-armed), an idle peer still
// trips the idle deadline, not before the timeout.
func TestIdleTimeoutAfterKeptDeadlines(t *testing.T) {
	noLeak(t)
	const d = 100 * time.Millisecond
	bob, alice := tcpPair(t, Options{}, Options{IdleTimeout: d})
	for i := 0; i < 50; i++ {
		mustExchange(t, bob, alice, messages.IdentificationRequest, `{}`)
	}
	start := time.Now()
	_, err := alice.Recv()
	el := time.Since(start)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "idle" {
		t.Fatalf("idle: %v", err)
	}
	if el < d {
		t.Fatalf("idle deadline fired after %v, before the timeout %v", el, d)
	}
	if el > 2*time.Second {
		t.Fatalf("idle deadline took %v", el)
	}
}

// A half frame behind a complete one, both in one write: the complete frame
// is taken from the buffer without arming the frame deadline, and the half
// frame then trips it.
func TestStalledHalfFrameBehindBufferedFrame(t *testing.T) {
	noLeak(t)
	ca, cb := net.Pipe()
	defer ca.Close()
	alice := NewSession(cb, Options{IdleTimeout: -1, FrameTimeout: 50 * time.Millisecond})
	defer alice.Close()
	first, _ := messages.AppendFrame(nil, messages.Header{Code: messages.IdentificationRequest, NextChallenge: "a"}, []byte(`{}`), auth.None())
	second, _ := messages.AppendFrame(nil, messages.Header{Code: messages.IdentificationRequest, NextChallenge: "b"}, []byte(`{}`), auth.None())
	go ca.Write(append(first, second[:len(second)-3]...)) // then stall
	if m, err := alice.Recv(); err != nil || m.Header.NextChallenge != "a" {
		t.Fatalf("first frame: %v %+v", err, m.Header)
	}
	start := time.Now()
	_, err := alice.Recv()
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "frame" || !errors.Is(err, messages.ErrDisconnected) {
		t.Fatalf("stalled frame: %v", err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("frame deadline fired after %v", el)
	}
}

// A write that blocks after fast writes (deadline kept) still times out.
func TestWriteTimeoutAfterKeptDeadlines(t *testing.T) {
	noLeak(t)
	ca, cb := net.Pipe()
	defer cb.Close()
	bob := NewSession(ca, Options{WriteTimeout: 50 * time.Millisecond})
	defer bob.Close()
	done := make(chan struct{})
	go func() { // reads 20 frames, then stops reading
		defer close(done)
		d := messages.NewDecoder(cb, messages.Limits{})
		for i := 0; i < 20; i++ {
			if _, err := d.ReadFrame(); err != nil {
				return
			}
		}
	}()
	for i := 0; i < 20; i++ {
		if err := bob.Send(messages.PENphotonRequest, nil); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	<-done
	err := bob.Send(messages.PENphotonRequest, nil)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "write" {
		t.Fatalf("write: %v", err)
	}
}

func TestChallengeSource(t *testing.T) {
	var src challengeSource
	const n = 20000
	counts := map[byte]int{}
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		c := src.next()
		if len(c) != messages.ChallengeLength {
			t.Fatalf("challenge %q: length %d", c, len(c))
		}
		if seen[c] {
			t.Fatalf("challenge %q drawn twice", c)
		}
		seen[c] = true
		for j := 0; j < len(c); j++ {
			if !strings.Contains(challengeAlphabet, c[j:j+1]) {
				t.Fatalf("challenge %q: %q outside [A-Za-z0-9]", c, c[j])
			}
			counts[c[j]]++
		}
	}
	// Uniform over 62 symbols: chi-square with 61 degrees of freedom; 120 is
	// beyond the 99.999th percentile (a modulo bias of 248 vs 256 would
	// give about 2000 here).
	exp := float64(n*messages.ChallengeLength) / 62
	var chi2 float64
	for i := 0; i < len(challengeAlphabet); i++ {
		d := float64(counts[challengeAlphabet[i]]) - exp
		chi2 += d * d / exp
	}
	if chi2 > 120 {
		t.Fatalf("challenge characters not uniform: chi2 = %.1f over 61 degrees of freedom", chi2)
	}
	// Used bytes are wiped from the buffer.
	if i := len(src.buf) - src.left; !bytes.Equal(src.buf[:i], make([]byte, i)) {
		t.Fatal("used random bytes left in the buffer")
	}
}

// Two sessions draw independent challenges.
func TestSessionChallengesDiffer(t *testing.T) {
	bob, alice := pair(t, Options{}, Options{})
	go bob.Send(messages.IdentificationRequest, nil)
	m, err := alice.Recv()
	if err != nil {
		t.Fatal(err)
	}
	go alice.Send(messages.IdentificationResponse, nil)
	r, err := bob.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.NextChallenge == r.Header.NextChallenge {
		t.Fatalf("both sessions issued %q", m.Header.NextChallenge)
	}
}

// Contents up to copyContentMax go out in one plain write, larger ones in a
// vectored write: both arrive intact, on either side of the threshold.
func TestContentSizesAcrossWritePaths(t *testing.T) {
	bob, alice := tcpPair(t, Options{}, Options{})
	for _, n := range []int{12, copyContentMax - 1, copyContentMax, copyContentMax + 1, 200 << 10} {
		content := paddedContent(n)
		done := make(chan error, 1)
		go func() { done <- bob.Send(messages.PENphotonRequest, content) }()
		m, err := alice.Recv()
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("%d bytes: send: %v", n, err)
		}
		if !bytes.Equal(m.Content, content) {
			t.Fatalf("%d bytes: content changed in transit", n)
		}
		mustExchange(t, alice, bob, messages.PENphotonResponse, `{}`)
	}
}
