package bob

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
	"github.com/qosst/qosst-go/transport/auth"
	"github.com/qosst/qosst-go/transport/auth/wegmancarter"
)

// TestStationWegmanCarterRefills: three frames (two under the race
// detector) under the Wegman–Carter MAC: every frame's key is identical on both sides; each completed frame
// added its segment, byte-identical in both pools; the link's net key
// production covers what authentication consumed. The fraction of the
// produced key that authentication consumes is logged.
func TestStationWegmanCarterRefills(t *testing.T) {
	t.Parallel() // its own Alice, link and key stores
	dir := t.TempDir()
	ap, bp, err := auth.WriteWegmanCarterPools(filepath.Join(dir, "link"))
	if err != nil {
		t.Fatal(err)
	}
	base := stationConfig()
	frames := 3
	if raceEnabled { // the race detector slows the decoder tenfold
		frames = 2
	}
	bc := schemeConfig(base, auth.SchemeWegmanCarter, bp, "")
	ac := schemeConfig(base, auth.SchemeWegmanCarter, ap, "")
	aauth, err := station.Authenticator(ac)
	if err != nil {
		t.Fatal(err)
	}
	l, d := listen(t, "pipe")
	aliceKeys := startAliceAuth(t, ac, l, aauth)
	bc.Keys.OutputDir = t.TempDir()
	st, err := NewStation(bc, testLogger(t), d)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := st.Driver.Run(runCtx(t), frames)
	st.Close()
	if err != nil || len(sums) != frames {
		t.Fatalf("Run: %d frames, %v", len(sums), err)
	}
	released := 0
	for _, s := range sums {
		checkKeys(t, s, aliceKeys, st.Keys)
		released += s.KeyBits / 8
		// Both pools hold the frame's segment, identical.
		a, errA := os.ReadFile(filepath.Join(ap, s.Frame.String()+".pad"))
		b, errB := os.ReadFile(filepath.Join(bp, s.Frame.String()+".pad"))
		if errA != nil || errB != nil || len(a) == 0 || string(a) != string(b) {
			t.Fatalf("frame %s: segments %d and %d bytes (%v, %v)", s.Frame, len(a), len(b), errA, errB)
		}
	}
	pool := auth.Pool(aauth)
	sent, accepted, added := pool.Stats()
	if added == 0 || sent == 0 || accepted == 0 {
		t.Fatalf("pool stats: sent %d, accepted %d, added %d", sent, accepted, added)
	}
	consumed := (sent + accepted) * wegmancarter.PadSize
	produced := released + 2*added*wegmancarter.PadSize
	t.Logf("%d QKD frames: %d frames sent and %d received by Alice, %d pad bytes consumed; %d key bytes produced (%d refilled the pool, %d released): authentication consumed %.1f %% of the produced key",
		frames, sent, accepted, consumed, produced, 2*added*wegmancarter.PadSize, released, 100*float64(consumed)/float64(produced))
	if 2*added*wegmancarter.PadSize < consumed {
		t.Errorf("refills (%d bytes) did not cover consumption (%d bytes)", 2*added*wegmancarter.PadSize, consumed)
	}
	// Bob's pool reopens from disk with the three segments confirmed.
	bpool, err := wegmancarter.Open(bp)
	if err != nil {
		t.Fatal(err)
	}
	if bpool.Remaining() == 0 {
		t.Error("Bob's pool has no pad left")
	}
}

// cutConn closes the connection once more than limit bytes were read from
// it (the first connection only: the reconnection runs clean).
type cutConn struct {
	net.Conn
	limit, read int
}

func (c *cutConn) Read(p []byte) (int, error) {
	if c.read >= c.limit {
		c.Conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > c.limit-c.read {
		p = p[:c.limit-c.read]
	}
	n, err := c.Conn.Read(p)
	c.read += n
	return n, err
}

// TestStationWegmanCarterInterrupted: under the Wegman–Carter MAC, runs
// whose connection is cut at points spread over a whole QKD frame (every
// phase, FRAME_ENDED and its answer included; three of the seven points
// under the race detector), each with both stations
// restarted from their pool directories and key stores, never leave the
// pools out of step: a clean run afterwards completes, every frame kept by
// Bob is identical at Alice, every segment Alice holds Bob holds too, and
// identical.
func TestStationWegmanCarterInterrupted(t *testing.T) {
	t.Parallel() // its own Alices, links and key stores
	dir := t.TempDir()
	ap, bp, err := auth.WriteWegmanCarterPools(filepath.Join(dir, "link"))
	if err != nil {
		t.Fatal(err)
	}
	base := stationConfig()
	base.Frame.Quantum.NumSymbols = 20_000
	aliceDir, bobDir := t.TempDir(), t.TempDir()
	aliceKeys, err := keystore.Open(aliceDir)
	if err != nil {
		t.Fatal(err)
	}
	// run starts both stations afresh (a restart of each) and runs frames
	// with Bob's first connection cut after limit bytes (0: no cut).
	run := func(limit, frames int) ([]*Summary, *keystore.Store, int, error) {
		ac := schemeConfig(base, auth.SchemeWegmanCarter, ap, "")
		aauth, err := station.Authenticator(ac)
		if err != nil {
			t.Fatal(err)
		}
		l, d := listen(t, "pipe")
		srv := alicetest.Start(t, alicetest.Options{
			Options:  alice.Options{Config: ac, Authenticator: aauth, Keys: aliceKeys, Logger: testLogger(t)},
			Listener: l,
		})
		defer srv.Stop()
		var tap *tapConn
		first := true
		dial := transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
			c, err := d.DialContext(ctx)
			if err != nil {
				return nil, err
			}
			if first && limit > 0 {
				first = false
				return &cutConn{Conn: c, limit: limit}, nil
			}
			tap = &tapConn{Conn: c, read: new(bytes.Buffer), wrote: new(bytes.Buffer)}
			return tap, nil
		})
		bc := schemeConfig(base, auth.SchemeWegmanCarter, bp, "")
		bc.Keys.OutputDir = bobDir
		st, err := NewStation(bc, testLogger(t), dial)
		if err != nil {
			t.Fatal(err)
		}
		sums, err := st.Driver.Run(runCtx(t), frames)
		st.Close()
		n := 0
		if tap != nil {
			tap.mu.Lock()
			n = tap.read.Len()
			tap.mu.Unlock()
		}
		return sums, st.Keys, n, err
	}
	// A clean frame measures how many bytes Bob reads per frame.
	sums, bobKeys, total, err := run(0, 1)
	if err != nil || len(sums) != 1 {
		t.Fatalf("clean run: %d frames, %v", len(sums), err)
	}
	checkKeys(t, sums[0], aliceKeys, bobKeys)
	kept := 1
	cuts := []float64{0.02, 0.2, 0.5, 0.8, 0.97, 0.995, 0.9995}
	if raceEnabled { // the race detector slows the decoder tenfold
		cuts = []float64{0.2, 0.97, 0.9995}
	}
	for _, frac := range cuts {
		sums, bobKeys, _, err = run(int(frac*float64(total)), 2)
		t.Logf("cut after %.2f %% of a frame: %d frames, %v", 100*frac, len(sums), err)
		for _, s := range sums {
			if s.KeyFile != "" {
				checkKeys(t, s, aliceKeys, bobKeys)
				kept++
			}
		}
	}
	sums, bobKeys, _, err = run(0, 2)
	if err != nil || len(sums) != 2 {
		t.Fatalf("clean run after the interruptions: %d frames, %v", len(sums), err)
	}
	for _, s := range sums {
		checkKeys(t, s, aliceKeys, bobKeys)
	}
	// Segments held by both pools are identical.
	ents, err := os.ReadDir(ap)
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, e := range ents {
		if filepath.Ext(e.Name()) != ".pad" {
			continue
		}
		a, _ := os.ReadFile(filepath.Join(ap, e.Name()))
		b, err := os.ReadFile(filepath.Join(bp, e.Name()))
		if err != nil {
			// Bob refills before he sends FRAME_ENDED, Alice after she
			// receives it: Alice never holds a segment Bob lacks.
			t.Fatalf("Alice holds segment %s, Bob does not: %v", e.Name(), err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("segment %s differs between the pools", e.Name())
		}
		shared++
	}
	t.Logf("%d frames kept before the last clean run, %d segments in both pools", kept, shared)
}
