package monitor

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/bob"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/messages"
)

// stations are Alice and Bob over loopback TCP on a small simulated link,
// each with its monitor served on a loopback port, and what each reported
// besides (the observers' view, to compare the monitors with).
type stations struct {
	alice    *alicetest.Server
	bob      *bob.Station
	monA     *Monitor
	monB     *Monitor
	urlA     string
	urlB     string
	mu       sync.Mutex
	reportsA []alice.FrameReport
	sessions []int
	sumsB    []*bob.Summary
	authA    int // authentication failures reported
	authB    int
}

// Observers that keep what the roles report and pass it on.
type aliceTee struct {
	s     *stations
	inner alice.Observer
}

func (o aliceTee) FrameEnded(r alice.FrameReport) {
	o.s.mu.Lock()
	o.s.reportsA = append(o.s.reportsA, r)
	o.s.mu.Unlock()
	o.inner.FrameEnded(r)
}

func (o aliceTee) SessionsChanged(n int) {
	o.s.mu.Lock()
	o.s.sessions = append(o.s.sessions, n)
	o.s.mu.Unlock()
	o.inner.SessionsChanged(n)
}

func (o aliceTee) AuthenticationFailed() {
	o.s.mu.Lock()
	o.s.authA++
	o.s.mu.Unlock()
	o.inner.AuthenticationFailed()
}

type bobTee struct {
	s     *stations
	inner bob.Observer
}

func (o bobTee) FrameProgress(p bob.Progress) { o.inner.FrameProgress(p) }
func (o bobTee) AuthenticationFailed() {
	o.s.mu.Lock()
	o.s.authB++
	o.s.mu.Unlock()
	o.inner.AuthenticationFailed()
}
func (o bobTee) FrameEnded(s *bob.Summary) {
	o.s.mu.Lock()
	o.s.sumsB = append(o.s.sumsB, s)
	o.s.mu.Unlock()
	o.inner.FrameEnded(s)
}

// startStations starts Alice and Bob (frames of n symbols) with their
// monitors; nothing runs until the test calls bob.Driver.Run.
func startStations(t *testing.T, n int, opts Options) *stations {
	t.Helper()
	return startStationsWith(t, n, opts, nil, 0.001)
}

// startStationsWith is startStations with Alice's authenticator authA
// (nil: None, as Bob's) and the link's excess noise xi.
func startStationsWith(t *testing.T, n int, opts Options, authA messages.Authenticator, xi float64) *stations {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stations{}
	optsA, optsB := opts, opts
	optsA.Station, optsB.Station = Alice, Bob
	s.monA, s.monB = New(optsA), New(optsB)
	addrA, waitA, err := s.monA.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrB, waitB, err := s.monB.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.urlA, s.urlB = "http://"+addrA.String(), "http://"+addrB.String()

	ac := config.Default()
	ac.Frame.Quantum.NumSymbols = n
	sim := &ac.Simulation
	sim.Transmittance, sim.ExcessNoise, sim.Eta, sim.ElectronicNoise = 0.99, xi, 0.95, 0.005
	s.alice = alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: ac, Authenticator: authA,
		Observer: aliceTee{s, s.monA.Alice()}}})

	bc := config.Default()
	bc.Frame.Quantum.NumSymbols = n
	bc.Simulation = ac.Simulation
	bc.Simulation.NoiseSeed = 5
	bc.Bob.Eta = sim.Eta
	bc.Bob.ParametersEstimation.Ratio = 0.3
	bc.Bob.ParametersEstimation.Mode = config.PEAsymptotic
	bc.Keys.OutputDir = t.TempDir()
	st, err := bob.NewStation(bc, zerolog.Nop(), s.alice.Dialer)
	if err != nil {
		t.Fatal(err)
	}
	st.Driver.Observe(bobTee{s, s.monB.Bob()})
	s.bob = st
	t.Cleanup(func() {
		st.Close()
		s.alice.Stop()
		cancel()
		if err := waitA(); err != nil {
			t.Errorf("Alice's monitor: %v", err)
		}
		if err := waitB(); err != nil {
			t.Errorf("Bob's monitor: %v", err)
		}
	})
	return s
}

// sse is a client of /events: the events it read, by name.
type sse struct {
	resp    *http.Response
	events  chan sseEvent
	skipped []sseEvent // events next passed over, in order
}

type sseEvent struct{ name, id, data string }

// openSSE connects to url/events (with Last-Event-ID when last is not
// empty) and reads events in the background until the test ends.
func openSSE(t *testing.T, url, last string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/events", nil)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("/events: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	c := &sse{resp: resp, events: make(chan sseEvent, 1024)}
	go func() {
		defer resp.Body.Close()
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.name != "" {
					c.events <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				e.name = line[7:]
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				e.data = line[6:]
			}
		}
	}()
	return c
}

// next returns the next event named name, skipping others; it fails the
// test after d.
func (c *sse) next(t *testing.T, name string, d time.Duration) sseEvent {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case e, ok := <-c.events:
			if !ok {
				t.Fatalf("event stream closed while waiting for %q", name)
			}
			if e.name == name {
				return e
			}
			c.skipped = append(c.skipped, e)
		case <-timeout:
			t.Fatalf("no %q event within %v", name, d)
		}
	}
}
