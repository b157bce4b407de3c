// Package impair owns a user-space impaired link for tests and benchmarks:
// a TCP relay on the loopback that delays (with jitter), loses (as TCP
// sees a loss: the segment arrives one retransmission timeout late),
// reorders and corrupts the bytes passing between two stations. The kernel
// of the test machines has no netem; this relay stands in for it. It is
// bounded: bytes in flight per direction are capped, and Close ends every
// connection.
package impair

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Link describes the impairments of each direction of the relay.
type Link struct {
	// Delay is the one-way delay; Jitter spreads it uniformly over
	// [Delay-Jitter, Delay+Jitter].
	Delay, Jitter time.Duration
	// Loss is the probability that a TCP segment (Segment bytes) is lost;
	// a chunk with a lost segment arrives RTO later, as TCP retransmits.
	Loss float64
	// RTO is the retransmission delay of a loss (0: 200 ms, Linux's
	// minimum).
	RTO time.Duration
	// Segment is the segment size (0: 1448 bytes, Ethernet TCP MSS).
	Segment int
	// Corrupt is the probability that a chunk reaches the peer with one
	// bit flipped (a corruption TCP's checksum missed); 0 by default.
	Corrupt float64
	// Reorder is the probability that a chunk is held back until the
	// next one is delivered, then delivered after it. TCP resequences, so
	// the application sees this only as delay; it is applied as such.
	Reorder float64
	// MaxInFlight bounds the bytes queued per direction (0: 64 MiB); a
	// source beyond it waits.
	MaxInFlight int
	// Seed seeds the impairments (0: 1).
	Seed uint64
}

func (l Link) withDefaults() Link {
	if l.RTO == 0 {
		l.RTO = 200 * time.Millisecond
	}
	if l.Segment == 0 {
		l.Segment = 1448
	}
	if l.MaxInFlight == 0 {
		l.MaxInFlight = 64 << 20
	}
	if l.Seed == 0 {
		l.Seed = 1
	}
	return l
}

// Relay listens on the loopback and relays each connection to an upstream
// address through the impaired link.
type Relay struct {
	l        net.Listener
	upstream string
	link     Link

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	seq    uint64
}

// New starts a relay on 127.0.0.1 (any free port) to upstream.
func New(upstream string, link Link) (*Relay, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{l: l, upstream: upstream, link: link.withDefaults(), conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// Addr is the address the stations dial instead of upstream.
func (r *Relay) Addr() string { return r.l.Addr().String() }

// Close stops the relay and closes every relayed connection.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	err := r.l.Close()
	r.wg.Wait()
	return err
}

func (r *Relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		c.Close()
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *Relay) serve() {
	defer r.wg.Done()
	for {
		down, err := r.l.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", r.upstream)
		if err != nil {
			down.Close()
			continue
		}
		if !r.track(down) || !r.track(up) {
			down.Close()
			up.Close()
			return
		}
		r.mu.Lock()
		r.seq += 2
		s1, s2 := r.link.Seed+r.seq, r.link.Seed+r.seq+1
		r.mu.Unlock()
		r.wg.Add(2)
		go func() { defer r.wg.Done(); r.pipe(up, down, s1) }()
		go func() { defer r.wg.Done(); r.pipe(down, up, s2) }()
	}
}

// chunk is bytes due at a time.
type chunk struct {
	b  []byte
	at time.Time
}

// pipe copies src to dst through the link: a reader goroutine stamps each
// chunk with its delivery time (in order: a later chunk never overtakes,
// as on a TCP stream), the writer delivers it then.
func (r *Relay) pipe(dst, src net.Conn, seed uint64) {
	l := r.link
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	q := make(chan chunk, 4096)
	var inFlight sync.Mutex
	cond := sync.NewCond(&inFlight)
	queued := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range q {
			if d := time.Until(c.at); d > 0 {
				time.Sleep(d)
			}
			_, err := dst.Write(c.b)
			inFlight.Lock()
			queued -= len(c.b)
			cond.Broadcast()
			inFlight.Unlock()
			if err != nil {
				src.Close()
				for c := range q { // drain, releasing the reader
					inFlight.Lock()
					queued -= len(c.b)
					cond.Broadcast()
					inFlight.Unlock()
				}
				return
			}
		}
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}()
	var last time.Time
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			b := append([]byte(nil), buf[:n]...)
			delay := l.Delay
			if l.Jitter > 0 {
				delay += time.Duration(rng.Int64N(int64(2*l.Jitter)+1)) - l.Jitter
			}
			segs := (n + l.Segment - 1) / l.Segment
			for range segs {
				if l.Loss > 0 && rng.Float64() < l.Loss {
					delay += l.RTO
					break
				}
			}
			if l.Reorder > 0 && rng.Float64() < l.Reorder {
				delay += l.Jitter
			}
			if l.Corrupt > 0 && rng.Float64() < l.Corrupt {
				i := rng.IntN(n)
				b[i] ^= 1 << rng.IntN(8)
			}
			at := time.Now().Add(delay)
			if at.Before(last) {
				at = last
			}
			last = at
			inFlight.Lock()
			for queued+n > l.MaxInFlight && queued > 0 {
				cond.Wait()
			}
			queued += n
			inFlight.Unlock()
			q <- chunk{b: b, at: at}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				dst.Close()
			}
			break
		}
	}
	close(q)
	<-done
}
