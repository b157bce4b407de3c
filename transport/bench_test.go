package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qosst/qosst-go/messages"
)

// paddedContent returns a JSON object of exactly n bytes (n >= 12).
func paddedContent(n int) []byte {
	return []byte(`{"pad": "` + strings.Repeat("x", n-12) + `"}`)
}

// qosstEcho starts a server that answers every request with content of the
// same size, and returns a client over loopback TCP.
func qosstEcho(b *testing.B, size int) *Client {
	l, err := Endpoint{Network: NetworkTCP, Address: "127.0.0.1:0"}.Listen()
	if err != nil {
		b.Fatal(err)
	}
	resp := paddedContent(size)
	go func() {
		s, err := Accept(l, Options{})
		l.Close()
		if err != nil {
			return
		}
		defer s.Close()
		for {
			if _, err := s.Recv(); err != nil {
				return
			}
			if err := s.Send(messages.PENphotonResponse, resp); err != nil {
				return
			}
		}
	}()
	ep, _ := ParseEndpoint(l.Addr().String())
	c := NewClient(ep, ClientOptions{})
	if err := c.Connect(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c
}

// rawEcho is a baseline: length-prefixed bytes over loopback TCP, the same
// content sizes. Plain, it carries the content alone: no header, digest,
// challenge or JSON. With digests, it carries what a frame carries (a
// 32-byte digest, a QOSST header of the same length, the content) and does
// the four SHA-256 passes the wire mandates per round trip: each sender
// hashes before writing, each receiver hashes what it read and compares.
type rawEcho struct {
	conn    net.Conn
	br      *bufio.Reader
	digests bool
	out     []byte
	in      []byte
	hdr     [4]byte // a field: a local would escape and allocate per round trip
}

// rawMessage returns the bytes a raw echo sends for a content of size
// bytes: the 4-byte length, then the content alone or, with digests, room
// for the digest, a typical QOSST header and the content.
func rawMessage(size int, digests bool) []byte {
	body := paddedContent(size)
	if digests {
		h := messages.Header{Code: messages.PENphotonRequest, ContentLength: size,
			Challenge: "c4nXgKWEOqQyi1J", NextChallenge: "aekbh22UGmVy16s"}
		body = append(h.AppendJSON(make([]byte, sha256.Size)), body...)
	}
	out := make([]byte, 4, 4+len(body))
	binary.BigEndian.PutUint32(out, uint32(len(body)))
	return append(out, body...)
}

// seal writes the digest of the signed part of a raw message body.
func seal(body []byte) {
	d := sha256.Sum256(body[sha256.Size:])
	copy(body, d[:])
}

// sealed reports whether a raw message body carries its own digest.
func sealed(body []byte) bool {
	d := sha256.Sum256(body[sha256.Size:])
	return len(body) >= sha256.Size && bytes.Equal(d[:], body[:sha256.Size])
}

var errBadDigest = errors.New("raw echo: digest mismatch")

func newRawEcho(b *testing.B, size int, digests bool) *rawEcho {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	out := rawMessage(size, digests)
	go func() {
		c, err := l.Accept()
		l.Close()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReaderSize(c, 64<<10)
		var hdr [4]byte
		buf := make([]byte, len(out))
		for {
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return
			}
			n := int(binary.BigEndian.Uint32(hdr[:]))
			if n > len(buf)-4 {
				return
			}
			if _, err := io.ReadFull(br, buf[4:4+n]); err != nil {
				return
			}
			if digests {
				if !sealed(buf[4 : 4+n]) {
					return
				}
				seal(buf[4 : 4+n]) // the answer's own digest
			}
			binary.BigEndian.PutUint32(buf, uint32(n))
			if _, err := c.Write(buf[:4+n]); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	return &rawEcho{conn: c, br: bufio.NewReaderSize(c, 64<<10), digests: digests, out: out, in: make([]byte, len(out))}
}

func (r *rawEcho) roundTrip() error {
	if r.digests {
		seal(r.out[4:])
	}
	if _, err := r.conn.Write(r.out); err != nil {
		return err
	}
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(r.hdr[:])
	if int(n) > len(r.in) {
		return errBadDigest
	}
	if _, err := io.ReadFull(r.br, r.in[:n]); err != nil {
		return err
	}
	if r.digests && !sealed(r.in[:n]) {
		return errBadDigest
	}
	return nil
}

// BenchmarkRoundTrip interleaves, in each iteration, a QOSST
// request/response over loopback TCP (None authenticator, Client.Request),
// a raw TCP ping-pong of the same content sizes, and the same ping-pong
// carrying frame-sized messages with the four SHA-256 passes a QOSST round
// trip must do. It reports the three times per round trip and two ratios:
// qosst/raw (the target: at most 1.5) and qosst/raw+sha (what the session
// costs beyond moving the bytes and hashing them as the wire mandates).
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{64, 1024, 16 << 10} {
		b.Run("content="+strconv.Itoa(size), func(b *testing.B) {
			c := qosstEcho(b, size)
			defer c.Close()
			raw := newRawEcho(b, size, false)
			defer raw.conn.Close()
			rawSHA := newRawEcho(b, size, true)
			defer rawSHA.conn.Close()
			req := paddedContent(size)
			ctx := context.Background()
			var tq, tr, ts time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := c.Request(ctx, messages.PENphotonRequest, req); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := raw.roundTrip(); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if err := rawSHA.roundTrip(); err != nil {
					b.Fatal(err)
				}
				ts += time.Since(t2)
				tr += t2.Sub(t1)
				tq += t1.Sub(t0)
			}
			b.ReportMetric(float64(tq.Nanoseconds())/float64(b.N), "qosst-ns/rt")
			b.ReportMetric(float64(tr.Nanoseconds())/float64(b.N), "raw-ns/rt")
			b.ReportMetric(float64(ts.Nanoseconds())/float64(b.N), "raw+sha-ns/rt")
			b.ReportMetric(float64(tq)/float64(tr), "qosst/raw")
			b.ReportMetric(float64(tq)/float64(ts), "qosst/raw+sha")
		})
	}
}

// heapPeak samples the heap (live and not yet swept objects) until stopped.
type heapPeak struct {
	stop chan struct{}
	done chan uint64
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		peak := heapObjects()
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				h.done <- max(peak, heapObjects())
				return
			case <-t.C:
				peak = max(peak, heapObjects())
			}
		}
	}()
	return h
}

func (h *heapPeak) end() uint64 {
	close(h.stop)
	return <-h.done
}

// BenchmarkPESymbols: Bob requests 10^6 symbol indices (random order) and
// Alice answers with the 10^6 symbols, over loopback TCP, each side
// encoding and decoding typed contents as the stations do. Reported: time
// per exchange, the JSON bytes moved, and the peak heap growth during the
// exchange (both stations live in this process) over those JSON bytes.
func BenchmarkPESymbols(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	frame := make([]complex128, n)
	for i := range frame {
		frame[i] = complex(rng.NormFloat64(), rng.NormFloat64())
	}
	indices := rng.Perm(n)

	l, err := Endpoint{Network: NetworkTCP, Address: "127.0.0.1:0"}.Listen()
	if err != nil {
		b.Fatal(err)
	}
	var respBytes int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // Alice
		defer wg.Done()
		s, err := Accept(l, Options{})
		l.Close()
		if err != nil {
			return
		}
		defer s.Close()
		for {
			m, err := s.Recv()
			if err != nil {
				return
			}
			c, err := m.Decode()
			if err != nil {
				b.Error(err)
				return
			}
			idx := c.(*messages.PESymbolsRequestContent).Indices
			resp := &messages.PESymbolsResponseContent{SymbolsReal: make([]float32, len(idx)), SymbolsImag: make([]float32, len(idx))}
			for i, j := range idx {
				resp.SymbolsReal[i], resp.SymbolsImag[i] = float32(real(frame[j])), float32(imag(frame[j]))
			}
			raw, err := messages.EncodeContent(resp)
			if err != nil {
				b.Error(err)
				return
			}
			respBytes = len(raw)
			if err := s.Send(messages.PESymbolsResponse, raw); err != nil {
				return
			}
		}
	}()
	ep, _ := ParseEndpoint(l.Addr().String())
	c := NewClient(ep, ClientOptions{})
	defer func() { c.Close(); wg.Wait() }()
	ctx := context.Background()
	var reqBytes int
	var peakGrowth uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		base := heapObjects()
		hp := startHeapPeak()
		b.StartTimer()

		raw, err := messages.EncodeContent(&messages.PESymbolsRequestContent{Indices: indices})
		if err != nil {
			b.Fatal(err)
		}
		reqBytes = len(raw)
		m, err := c.Request(ctx, messages.PESymbolsRequest, raw)
		if err != nil {
			b.Fatal(err)
		}
		dc, err := m.Decode()
		if err != nil {
			b.Fatal(err)
		}
		syms := dc.(*messages.PESymbolsResponseContent).Symbols()

		b.StopTimer()
		peak := hp.end()
		if len(syms) != n || syms[7] != frame[indices[7]] {
			b.Fatalf("got %d symbols, [7] = %v want %v", len(syms), syms[7], frame[indices[7]])
		}
		peakGrowth = max(peakGrowth, peak-min(peak, base))
		b.StartTimer()
	}
	b.StopTimer()
	jsonBytes := reqBytes + respBytes
	b.ReportMetric(float64(jsonBytes)/1e6, "json-MB")
	b.ReportMetric(float64(peakGrowth)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(peakGrowth)/float64(jsonBytes), "peak-heap/json")
}

// socketDeadlines is a memConn whose deadlines are those of a real TCP
// connection, so that arming them costs what it costs on a socket.
type socketDeadlines struct {
	memConn
	sock net.Conn
}

func (c socketDeadlines) SetDeadline(t time.Time) error      { return c.sock.SetDeadline(t) }
func (c socketDeadlines) SetReadDeadline(t time.Time) error  { return c.sock.SetReadDeadline(t) }
func (c socketDeadlines) SetWriteDeadline(t time.Time) error { return c.sock.SetWriteDeadline(t) }

// BenchmarkSessionCPU measures what the session layer costs per request
// and answer without syscalls or scheduling: Bob sends a request, Alice
// receives it and answers, Bob receives the answer, all in one goroutine
// over an in-memory stream whose deadlines are those of a real socket.
// The SHA-256 passes (four per round trip) are included.
func BenchmarkSessionCPU(b *testing.B) {
	for _, size := range []int{64, 1024, 16 << 10} {
		content := paddedContent(size)
		b.Run("content="+strconv.Itoa(size), func(b *testing.B) {
			tb, ta := tcpPair(b, Options{}, Options{})
			ab, ba := new(bytes.Buffer), new(bytes.Buffer)
			bob := NewSession(socketDeadlines{memConn{in: ab, out: ba}, tb.conn}, Options{})
			alice := NewSession(socketDeadlines{memConn{in: ba, out: ab}, ta.conn}, Options{})
			b.ReportAllocs()
			for b.Loop() {
				if err := bob.Send(messages.PENphotonRequest, content); err != nil {
					b.Fatal(err)
				}
				if _, err := alice.Recv(); err != nil {
					b.Fatal(err)
				}
				if err := alice.Send(messages.PENphotonResponse, content); err != nil {
					b.Fatal(err)
				}
				if _, err := bob.Recv(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
