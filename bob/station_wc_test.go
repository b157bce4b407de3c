package bob

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/qosst/qosst-go/transport/auth"
	"github.com/qosst/qosst-go/transport/auth/wegmancarter"
)

// TestStationWegmanCarterRefills: three frames under the Wegman–Carter
// MAC: every frame's key is identical on both sides; each completed frame
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
	bc := schemeConfig(stationConfig(), auth.SchemeWegmanCarter, bp, "")
	ac := schemeConfig(stationConfig(), auth.SchemeWegmanCarter, ap, "")
	aauth, err := auth.New(ac.AuthConfig())
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
	sums, err := st.Driver.Run(runCtx(t), 3)
	st.Close()
	if err != nil || len(sums) != 3 {
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
	t.Logf("3 frames: %d frames sent and %d received by Alice, %d pad bytes consumed; %d key bytes produced (%d refilled the pool, %d released): authentication consumed %.1f %% of the produced key",
		sent, accepted, consumed, produced, 2*added*wegmancarter.PadSize, released, 100*float64(consumed)/float64(produced))
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
