package property_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"pgregory.net/rapid"

	"github.com/qosst/qosst-go/bob"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
)

// fault is one thing the faulty link does to the byte at offset of one
// direction.
type fault struct {
	toAlice bool // Bob → Alice, else Alice → Bob
	offset  int64
	kind    string // "drop", "corrupt" or "delay"
}

// faultyConn is Bob's end of the link: it corrupts, delays or cuts the
// byte streams at planned offsets.
type faultyConn struct {
	net.Conn
	mu      sync.Mutex
	faults  []fault
	written atomic.Int64 // bytes Bob → Alice so far
	read    atomic.Int64 // bytes Alice → Bob so far
	hit     []fault
}

func (c *faultyConn) take(toAlice bool, from, n int64) []fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []fault
	rest := c.faults[:0]
	for _, f := range c.faults {
		if f.toAlice == toAlice && f.offset >= from && f.offset < from+n {
			out = append(out, f)
			c.hit = append(c.hit, f)
		} else {
			rest = append(rest, f)
		}
	}
	c.faults = rest
	return out
}

func (c *faultyConn) Write(p []byte) (int, error) {
	from := c.written.Load()
	fs := c.take(true, from, int64(len(p)))
	buf := p
	for _, f := range fs {
		i := f.offset - from
		switch f.kind {
		case "delay":
			time.Sleep(5 * time.Millisecond)
		case "corrupt":
			if &buf[0] == &p[0] {
				buf = append([]byte(nil), p...)
			}
			buf[i] ^= 0x5a
		case "drop":
			n, _ := c.Conn.Write(buf[:i])
			c.written.Add(int64(n))
			c.Conn.Close()
			return n, net.ErrClosed
		}
	}
	n, err := c.Conn.Write(buf)
	c.written.Add(int64(n))
	return n, err
}

func (c *faultyConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	from := c.read.Add(int64(n)) - int64(n)
	for _, f := range c.take(false, from, int64(n)) {
		i := f.offset - from
		switch f.kind {
		case "delay":
			time.Sleep(5 * time.Millisecond)
		case "corrupt":
			p[i] ^= 0x5a
		case "drop":
			c.Conn.Close()
			return int(i), nil
		}
	}
	return n, err
}

// faultChecks is the number of faulty frames: a twentieth of -rapid.checks
// (a frame costs far more than a request), 5 by default (2 under the race
// detector, which slows a frame tenfold).
func faultChecks() int {
	if f := flag.Lookup("rapid.checks"); f != nil {
		if n, err := strconv.Atoi(f.Value.String()); err == nil && n != 100 {
			return max(1, n/20)
		}
	}
	if raceEnabled {
		return 2
	}
	return 5
}

// withChecks runs fn with -rapid.checks set to n, restoring it after.
func withChecks(n int, fn func()) {
	f := flag.Lookup("rapid.checks")
	old := f.Value.String()
	flag.Set("rapid.checks", strconv.Itoa(n))
	defer flag.Set("rapid.checks", old)
	fn()
}

// keyFiles reads every key file of a store directory; a temporary key file
// (".<frame>.tmp-N", key material under no final name) fails the test.
func keyFiles(t *rapid.T, dir string) map[string][]byte {
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary key file %s left in %s", e.Name(), dir)
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// TestFaultyLinkNeverLeavesAOneSidedKey runs Alice and Bob over a link that
// drops the connection, delays or corrupts bytes at random offsets, then lets
// Bob settle any key left pending over a clean link (as his next run does):
// each frame then either has the same final key file on both sides, or no
// key on either side, and nothing is left pending. A key final on one side
// only fails the test, whatever the faults hit (FRAME_ENDED and its
// acknowledgement included).
func TestFaultyLinkNeverLeavesAOneSidedKey(t *testing.T) {
	if testing.Short() {
		t.Skip("full frames: skipped in -short mode")
	}
	c := smallConfig()
	c.Frame.Quantum.NumSymbols = 60_000
	// Frames this small leave a key only from the point estimates; the test
	// is about the frame's end, not about the estimation.
	c.Bob.ParametersEstimation.Mode = config.PEAsymptotic
	c.Timeouts.Idle = config.Duration{Duration: 2 * time.Second}
	pipe := transport.NewPipe()
	a := startAlice(t, c, pipe)

	// One clean frame measures the traffic, so that fault offsets land in it.
	// recovery: instead of a frame, settle the pending keys (ResolvePending)
	// and disconnect.
	runBob := func(t testing.TB, plan []fault, bobKeys *keystore.Store, seed uint64, recovery bool) (*faultyConn, []*bob.Summary, error) {
		var fc *faultyConn
		d := transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
			conn, err := pipe.DialContext(ctx)
			if err != nil {
				return nil, err
			}
			fc = &faultyConn{Conn: conn, faults: append([]fault(nil), plan...)}
			return fc, nil
		})
		rx, err := sim.NewReceiver(station.SimConfig(c))
		if err != nil {
			t.Fatal(err)
		}
		defer rx.Close()
		client := transport.NewClient(d, transport.ClientOptions{NoResend: true, Session: transport.Options{
			IdleTimeout: 3 * time.Second, FrameTimeout: time.Second, WriteTimeout: time.Second}})
		defer client.Close()
		bc := bob.FromStation(c)
		bc.RequestTimeout = 3 * time.Second
		drv, err := bob.New(bob.Options{Config: bc, Conn: client, Receiver: rx, Keys: bobKeys,
			Logger: zerolog.Nop(), Rand: rand.New(rand.NewPCG(seed, 1))})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if recovery {
			_, _, err := drv.ResolvePending(ctx)
			return fc, nil, errors.Join(err, drv.Disconnect(ctx))
		}
		sums, err := drv.Run(ctx, 1)
		return fc, sums, err
	}
	cleanKeys, err := keystore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var clean *faultyConn
	for attempt := uint64(1); ; attempt++ {
		fc, sums, err := runBob(t, nil, cleanKeys, attempt, false)
		if err == nil && len(sums) == 1 && sums[0].Err == nil {
			clean = fc
			break
		}
		// A small frame's estimate is sometimes too noisy for a key.
		if attempt == 4 {
			t.Fatalf("clean frame: %v %v", err, sumErrs(sums))
		}
	}
	toAlice, toBob := clean.written.Load(), clean.read.Load()
	t.Logf("clean frame: %d bytes to Alice, %d to Bob", toAlice, toBob)

	var completed, dropped, settled atomic.Int64
	withChecks(faultChecks(), func() {
		rapid.Check(t, func(rt *rapid.T) {
			waitSessions(a, 0, 5*time.Second)
			n := rapid.IntRange(1, 3).Draw(rt, "faults")
			var plan []fault
			for range n {
				dir := rapid.Bool().Draw(rt, "to Alice")
				total := toBob
				if dir {
					total = toAlice
				}
				plan = append(plan, fault{
					toAlice: dir,
					// Mostly inside the frame, sometimes in its last bytes
					// (FRAME_ENDED and its acknowledgement).
					offset: rapid.OneOf(rapid.Int64Range(0, total), rapid.Int64Range(max(0, total-400), total)).Draw(rt, "offset"),
					kind:   rapid.SampledFrom([]string{"drop", "corrupt", "delay"}).Draw(rt, "kind"),
				})
			}
			dir, err := os.MkdirTemp("", "bobkeys")
			if err != nil {
				rt.Fatal(err)
			}
			defer os.RemoveAll(dir)
			bobKeys, err := keystore.Open(dir)
			if err != nil {
				rt.Fatal(err)
			}
			defer os.RemoveAll(bob.PendingDir(bobKeys))
			before := keyFiles(rt, a.Keys.Dir())
			fc, sums, runErr := runBob(t, plan, bobKeys, rapid.Uint64().Draw(rt, "seed"), false)
			waitSessions(a, 0, 10*time.Second)
			pendingAfterFaults := len(keyFiles(rt, bob.PendingDir(bobKeys)))
			if pendingAfterFaults > 0 {
				// Bob's next run, over a clean link, settles them first.
				if _, _, err := runBob(t, nil, bobKeys, 1, true); err != nil {
					rt.Fatalf("settling %d pending keys: %v (faults hit %+v; bob: %v %v)", pendingAfterFaults, err, fc.hit, runErr, sumErrs(sums))
				}
				waitSessions(a, 0, 10*time.Second)
			}
			if left := keyFiles(rt, bob.PendingDir(bobKeys)); len(left) > 0 {
				rt.Fatalf("%d keys still pending after recovery", len(left))
			}
			after := keyFiles(rt, a.Keys.Dir())
			aliceNew := map[string][]byte{}
			for name, b := range after {
				if _, old := before[name]; !old {
					aliceNew[name] = b
				}
			}
			bobNew := keyFiles(rt, dir)
			for name, b := range aliceNew {
				if bb, ok := bobNew[name]; !ok {
					rt.Fatalf("key %s on Alice's side only (faults hit %+v; bob: %v %v)", name, fc.hit, runErr, sumErrs(sums))
				} else if !bytes.Equal(b, bb) {
					rt.Fatalf("key %s differs between Alice and Bob (faults hit %+v)", name, fc.hit)
				}
			}
			for name := range bobNew {
				if _, ok := aliceNew[name]; !ok {
					rt.Fatalf("key %s on Bob's side only (faults hit %+v; bob: %v %v)", name, fc.hit, runErr, sumErrs(sums))
				}
			}
			if pendingAfterFaults > 0 {
				settled.Add(1)
			}
			switch {
			case len(bobNew) > 0:
				completed.Add(1)
			default:
				dropped.Add(1)
			}
		})
	})
	t.Logf("faulty frames: %d with identical keys, %d without a key on either side; %d settled by key recovery",
		completed.Load(), dropped.Load(), settled.Load())
}

func sumErrs(sums []*bob.Summary) []error {
	var out []error
	for _, s := range sums {
		out = append(out, s.Err)
	}
	return out
}
