package alice

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport/auth"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLog waits until the log contains all of want.
func waitLog(t *testing.T, log *syncBuffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := log.String()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", want, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitClosed waits until the peer closes c (a read returns an error other
// than a timeout) within d.
func waitClosed(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	var buf [1 << 12]byte
	for {
		_, err := c.Read(buf[:])
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after %v", d)
		}
		return
	}
}

func hmacAuth(t *testing.T) messages.Authenticator {
	t.Helper()
	a, err := auth.NewHMAC(bytes.Repeat([]byte{0x5a}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// An authenticated Bob completes a frame while 1,000 connections that never
// identify are open on the loopback: unidentified connections are bounded
// apart from identified sessions and the oldest is evicted, so they cannot
// take the slots; Alice's heap stays bounded.
func TestUnidentifiedConnectionsDoNotLockOut(t *testing.T) {
	for _, perSource := range []int{8, 64} {
		t.Run(fmt.Sprintf("per_source=%d", perSource), func(t *testing.T) { testLockout(t, perSource) })
	}
}

func testLockout(t *testing.T, perSource int) {
	const idle = 1000
	a := hmacAuth(t)
	h := newHarness(t, "tcp", func(s *setup) {
		s.auth = a
		s.cfg.Alice.MaxUnidentified = 64
		s.cfg.Alice.MaxUnidentifiedPerSource = perSource
	})
	base := heapInUse()
	conns := make([]net.Conn, 0, idle)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range idle {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// Wait until Alice has accepted them all (the ones beyond the bound
	// evicted).
	deadline := time.Now().Add(20 * time.Second)
	for h.srv.admission.closed.Evicted() < idle-uint64(h.cfg.Alice.MaxUnidentifiedPerSource) {
		if time.Now().After(deadline) {
			t.Fatalf("%d evictions after 20 s", h.srv.admission.closed.Evicted())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// An evicted connection is counted before its goroutine has returned
	// and let go of its buffers: on a busy machine (the package's tests 6
	// times over) the heap was 30 MiB up at the count, against 1.5 MiB when
	// they had returned. The bound holds once they have; a leak would keep
	// the heap above it.
	var grown int64
	settle := time.Now()
	for {
		grown = int64(heapInUse()) - int64(base)
		if grown <= 16<<20 {
			break
		}
		if time.Since(settle) > 10*time.Second {
			t.Fatalf("Alice's heap still %d MiB up 10 s after evicting %d unidentified connections", grown>>20, idle)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("Alice's heap with %d unidentified connections opened: %+d KiB (%d held open by her; %v after the evictions)", idle, grown/1024, h.srv.Sessions(), time.Since(settle).Round(time.Millisecond))
	if n, _ := h.srv.admission.counts(); n > h.cfg.Alice.MaxUnidentified {
		t.Fatalf("%d unidentified connections held, bound %d", n, h.cfg.Alice.MaxUnidentified)
	}
	b := h.bob()
	b.identify()
	b.fullFrame()
}

// A connection that does not identify within timeouts.handshake is closed,
// and the log says which timeout fired.
func TestHandshakeTimeout(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "tcp", func(s *setup) {
		s.cfg.Timeouts.Handshake.Duration = 100 * time.Millisecond
		s.log = &log
	})
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitClosed(t, c, 5*time.Second)
	waitLog(t, &log, `"message":"unidentified connection closed"`, `"timeout":"timeouts.handshake"`, "handshake timeout")
	// An identified session is not subject to it.
	b := h.bob()
	b.identify()
	time.Sleep(300 * time.Millisecond)
	b.initialize()
}

// An identified session closed by timeouts.idle logs the reason and the
// timeout.
func TestIdleTimeoutLogged(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "tcp", func(s *setup) {
		s.cfg.Timeouts.Idle.Duration = 100 * time.Millisecond
		s.log = &log
	})
	b := h.bob()
	b.identify()
	waitLog(t, &log, `"reason":"idle timeout"`, `"timeout":"timeouts.idle"`)
}

// A frame whose first bytes arrived but which does not complete is cut
// after timeouts.frame_stall, not after timeouts.write.
func TestFrameStall(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "tcp", func(s *setup) {
		s.cfg.Timeouts.FrameStall.Duration = 150 * time.Millisecond
		s.cfg.Timeouts.Write.Duration = time.Minute
		s.log = &log
	})
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte{0, 40}) // half of the lengths, then nothing
	start := time.Now()
	waitClosed(t, c, 5*time.Second)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stalled frame cut after %v", d)
	}
	waitLog(t, &log, `"timeout":"timeouts.frame_stall"`)
}

// rawFrameClaiming returns the prefix of a frame of code that claims n
// bytes of content, without the content.
func rawFrameClaiming(code messages.Code, n int) []byte {
	hdr := []byte(`{"code": ` + strconv.Itoa(int(code)) + `, "challenge": "", "next_challenge": "x", "content_length": ` + strconv.Itoa(n) + `}`)
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(len(hdr)))
	b = binary.BigEndian.AppendUint16(b, 0)
	return append(b, hdr...)
}

// Before identification a frame may carry no more than the identification
// content's bound: a claim beyond it is refused as soon as the header is
// read, before any content byte is buffered (on a session limited by
// limits.max_content, Alice would wait for the content).
func TestUnidentifiedLargeFrameRefused(t *testing.T) {
	h := newHarness(t, "tcp", func(s *setup) { s.auth = hmacAuth(t) })
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(rawFrameClaiming(messages.IdentificationRequest, 1<<20)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := messages.NewDecoder(c, messages.Limits{}).ReadFrame()
	if err != nil {
		t.Fatalf("no answer to a 1 MiB claim before identification: %v", err)
	}
	if f.Header.Code != messages.InvalidContent {
		t.Fatalf("1 MiB claim before identification answered %s", f.Header.Code)
	}
}

// Once identified, only the codes that carry large contents may exceed
// SmallContentMax.
func TestIdentifiedSmallCodeBounded(t *testing.T) {
	h := newHarness(t, "tcp")
	b := h.bob()
	b.identify()
	big := `{"frame_uuid": "` + strings.Repeat("a", SmallContentMax) + `"}`
	if err := b.s.Send(messages.InitializationRequest, []byte(big)); err != nil {
		t.Fatal(err)
	}
	// The answer echoes the challenge of the last frame Alice could read.
	if m, err := b.s.Recv(); m.Code != messages.InvalidContent {
		t.Fatalf("oversized INITIALIZATION_REQUEST answered %s, %v", m.Code, err)
	}
}

// A serial number beyond messages.MaxSerialNumber is refused by validation,
// and a peer's strings reach the log truncated and escaped.
func TestSerialNumberBounded(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "tcp", func(s *setup) { s.log = &log })
	b := h.bob()
	got, _ := b.raw(messages.IdentificationRequest, []byte(`{"serial_number": "`+
		strings.Repeat("s", messages.MaxSerialNumber+1)+`", "qosst_version": "QOSST/0.2"}`))
	if got != messages.InvalidContent {
		t.Fatalf("oversized serial number answered %s", got)
	}
	serial := "\x1b[31m" + strings.Repeat("x", messages.MaxSerialNumber-10)
	b.want(messages.IdentificationRequest, &messages.IdentificationRequestContent{
		SerialNumber: serial, QOSSTVersion: messages.QOSSTVersion}, messages.IdentificationResponse)
	waitLog(t, &log, `"message":"identification"`)
	for _, line := range strings.Split(log.String(), "\n") {
		if len(line) > 1024 {
			t.Fatalf("log line of %d bytes: %.200s", len(line), line)
		}
		if strings.Contains(line, "\\u001b[31m") || strings.Contains(line, "\x1b") {
			t.Fatalf("escape sequence reached the log unescaped as text: %.200s", line)
		}
	}
}

// Evicted connections are logged as a few aggregated lines, not one line
// per connection.
func TestEvictionsAggregated(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "tcp", func(s *setup) {
		s.cfg.Alice.MaxUnidentified = 4
		s.cfg.Alice.MaxUnidentifiedPerSource = 4
		s.log = &log
	})
	const n = 300
	for range n {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.srv.admission.closed.Evicted() < n-4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d evictions", h.srv.admission.closed.Evicted())
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitLog(t, &log, `"closed_total":`)
	lines := strings.Count(log.String(), "\n")
	if lines > 10 {
		t.Fatalf("%d log lines for %d evictions", lines, n-4)
	}
}

// identificationFrame returns a signed IDENTIFICATION_REQUEST frame with
// the given next_challenge.
func identificationFrame(t *testing.T, a messages.Authenticator, next string) []byte {
	t.Helper()
	content, err := messages.EncodeContent(&messages.IdentificationRequestContent{SerialNumber: "bob", QOSSTVersion: messages.QOSSTVersion})
	if err != nil {
		t.Fatal(err)
	}
	prefix, err := messages.AppendFramePrefix(nil, messages.Header{Code: messages.IdentificationRequest, NextChallenge: next}, content, a)
	if err != nil {
		t.Fatal(err)
	}
	return append(prefix, content...)
}

// answerTo sends frame on a fresh connection and returns the code of the
// answer.
func answerTo(t *testing.T, addr string, frame []byte) messages.Code {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := messages.NewDecoder(c, messages.Limits{}).ReadFrame()
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if f == nil {
		t.Fatal("no answer")
	}
	return f.Header.Code
}

// Under an authenticating scheme a replayed IDENTIFICATION_REQUEST (same
// next_challenge) is answered AUTHENTICATION_INVALID; under None it is
// accepted, as by the reference.
func TestReplayedIdentification(t *testing.T) {
	a := hmacAuth(t)
	h := newHarness(t, "tcp", func(s *setup) { s.auth = a })
	frame := identificationFrame(t, a, "replayedchallenge0123")
	if got := answerTo(t, h.addr, frame); got != messages.IdentificationResponse {
		t.Fatalf("first identification answered %s", got)
	}
	if got := answerTo(t, h.addr, frame); got != messages.AuthenticationInvalid {
		t.Fatalf("replayed identification answered %s", got)
	}
	if got := answerTo(t, h.addr, identificationFrame(t, a, "freshchallenge0123456")); got != messages.IdentificationResponse {
		t.Fatalf("fresh identification answered %s", got)
	}

	none := newHarness(t, "tcp")
	frame = identificationFrame(t, auth.None(), "replayedchallenge0123")
	for range 2 {
		if got := answerTo(t, none.addr, frame); got != messages.IdentificationResponse {
			t.Fatalf("identification under None answered %s", got)
		}
	}
}

// The replay memory is bounded: beyond its size the oldest challenge is
// forgotten.
func TestReplayGuardBounded(t *testing.T) {
	g := newReplayGuard(3)
	for _, c := range []string{"a", "b", "c"} {
		if !g.claim(c) {
			t.Fatalf("%s refused on first claim", c)
		}
	}
	if g.claim("a") {
		t.Fatal("replay of a accepted")
	}
	g.claim("d") // forgets a
	if len(g.seen) != 3 || !g.claim("a") {
		t.Fatalf("guard holds %d entries", len(g.seen))
	}
}

// Temporary key files left by a kill during a key write are removed when
// Alice starts, and each removal is logged.
func TestStartSweepsTemporaries(t *testing.T) {
	dir := t.TempDir()
	keys, err := keystore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := "." + uuid.NewString() + ".tmp-1234"
	if err := os.WriteFile(filepath.Join(dir, name), []byte("key material"), 0o600); err != nil {
		t.Fatal(err)
	}
	var log syncBuffer
	em, err := sim.NewEmitter(station.SimConfig(testConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Config: testConfig(), Emitter: em, Keys: keys, Logger: zerolog.New(&log)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary still there: %v", err)
	}
	if !strings.Contains(log.String(), name) || !strings.Contains(log.String(), "never became final") {
		t.Fatalf("removal not logged:\n%s", log.String())
	}
}

// Identifications refused "server busy" are logged in the aggregated
// warning, not one line each.
func TestBusyRefusalsAggregated(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, "tcp", func(s *setup) {
		s.cfg.Alice.MaxSessions = 1
		s.log = &log
	})
	h.bob().identify()
	const n = 50
	for range n {
		b := h.bob()
		if got, _ := b.raw(messages.IdentificationRequest, &messages.IdentificationRequestContent{SerialNumber: "x", QOSSTVersion: messages.QOSSTVersion}); got != messages.Abort {
			t.Fatalf("identification beyond max_sessions answered %s", got)
		}
		b.s.Close()
	}
	waitLog(t, &log, `"closed_total":`)
	if lines := strings.Count(log.String(), "\n"); lines > 10 {
		t.Fatalf("%d log lines for %d refusals:\n%s", lines, n, log.String())
	}
}
