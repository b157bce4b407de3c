package bob

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/transport"
)

// The chunk size follows from the limit: requests of that many indices and
// their answers at the longest float text fit, one more does not.
func TestPEChunkSizeFitsTheLimit(t *testing.T) {
	for _, tc := range []struct{ limit, n int }{{1024, 1000}, {20_000, 60_000}, {1 << 20, 10_000_000}, {1 << 20, 1 << 24}} {
		chunk, err := PEChunkSize(tc.limit, tc.n)
		if err != nil {
			t.Fatal(err)
		}
		size := func(k int) (req, resp int) {
			idx := make([]int, k)
			for i := range idx {
				idx[i] = tc.n - 1 - i%7 // the longest indices of the frame
			}
			rq, err := messages.EncodeContent(&messages.PESymbolsRequestContent{Indices: idx})
			if err != nil {
				t.Fatal(err)
			}
			// A peer may write float64 values: 24 characters at the
			// longest, as Python writes them.
			worst := "[" + strings.Repeat("-2.2250738585072014e-308, ", k-1) + "-2.2250738585072014e-308]"
			rs := `{"symbols_real": ` + worst + `, "symbols_imag": ` + worst + `}`
			if _, err := messages.DecodeContent(messages.PESymbolsResponse, []byte(rs)); err != nil {
				t.Fatal(err)
			}
			return len(rq), len(rs)
		}
		req, resp := size(chunk)
		if req > tc.limit || resp > tc.limit {
			t.Fatalf("limit %d, n %d: chunk %d gives a request of %d and an answer of %d bytes", tc.limit, tc.n, chunk, req, resp)
		}
		// The bound is not wasteful: twice the chunk would not fit.
		if _, resp := size(2 * chunk); resp <= tc.limit {
			t.Fatalf("limit %d: chunk %d is less than half of what fits", tc.limit, chunk)
		}
	}
	if _, err := PEChunkSize(100, 10); !errors.Is(err, ErrSampling) {
		t.Fatalf("a limit below one symbol: %v", err)
	}
}

func TestPackRequests(t *testing.T) {
	lists := [][]int{{1, 2, 3, 4, 5}, {6}, {7, 8, 9}}
	for _, c := range []struct {
		chunk int
		want  [][]int
	}{
		{2, [][]int{{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9}}},
		{4, [][]int{{1, 2, 3, 4}, {5, 6, 7, 8}, {9}}},
		{5, [][]int{{1, 2, 3, 4, 5}, {6, 7, 8, 9}}},
		{100, [][]int{{1, 2, 3, 4, 5, 6, 7, 8, 9}}},
	} {
		got := PackRequests(lists, c.chunk)
		if !slices.EqualFunc(got, c.want, slices.Equal[[]int]) {
			t.Fatalf("chunk %d: %v, want %v", c.chunk, got, c.want)
		}
		// Appending to a request must not overwrite the next one.
		_ = append(got[0], -1)
		if len(got) > 1 && got[1][0] == -1 {
			t.Fatal("requests share capacity")
		}
	}
	if got := PackRequests(nil, 3); len(got) != 0 {
		t.Fatalf("no indices: %v", got)
	}
}

// The key symbols compacted in place are the undisclosed measurements in
// order, in shot-noise units: what KeyIndices and Normalize give.
func TestCompactKeySymbols(t *testing.T) {
	raw := make([]complex128, 1000)
	for i := range raw {
		raw[i] = complex(float64(i), -float64(i))
	}
	disclosed := [][]int{{0, 5, 17}, {400, 401, 999}}
	cal := pp.Calibration{Detection: pp.Heterodyne, Electronic: 0.1, ElectronicShot: 4.1, ElectronicDOF: 10, ElectronicShotDOF: 10}
	idx := KeyIndices(len(raw), disclosed)
	sel := make([]complex128, len(idx))
	for j, i := range idx {
		sel[j] = raw[i]
	}
	want := pp.Normalize(sel, cal)
	got := compactKeySymbols(raw, disclosed, cal)
	if !slices.Equal(got, want) {
		t.Fatalf("compacted %d symbols differ from the %d normalised key symbols", len(got), len(want))
	}
}

// recordConn records the content sizes of Bob's PE_SYMBOLS_REQUESTs and of
// their answers.
type recordConn struct {
	Conn
	mu        sync.Mutex
	req, resp []int
}

func (c *recordConn) Request(ctx context.Context, code messages.Code, content []byte) (transport.Message, error) {
	m, err := c.Conn.Request(ctx, code, content)
	if code == messages.PESymbolsRequest {
		c.mu.Lock()
		c.req = append(c.req, len(content))
		c.resp = append(c.resp, len(m.Content))
		c.mu.Unlock()
	}
	return m, err
}

// A small content limit yields more and smaller PE_SYMBOLS_REQUESTs, every
// request and answer within the limit, and the very same estimates as the
// default limit on the same frame (same UUID, link, noise and indices).
// Only Bob's PE sizing is given the small limit: the sessions keep theirs,
// since the EC_BLOCKs of this frame are larger.
func TestPERequestsWithinContentLimit(t *testing.T) {
	id := uuid.MustParse("0f6e3a51-7f57-4f5c-9f0c-5a4e2d1b8c33")
	run := func(limit int) (*Summary, *recordConn) {
		c := stationConfig()
		c.Simulation.NoiseSeed = 5
		l, d := listen(t, "pipe")
		startAlice(t, c, l)
		var rec *recordConn
		drv, _ := newBob(t, c, d, func(o *Options) {
			rec = &recordConn{Conn: o.Conn}
			o.Conn = rec
			o.Config.MaxContent = limit
		})
		drv.newFrameID = func() uuid.UUID { return id }
		s, err := drv.RunFrame(context.Background())
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		return s, rec
	}
	big, bigRec := run(64 << 20)
	const small = 50_000
	little, littleRec := run(small)

	disclosed := 0
	if big.PESymbols != little.PESymbols {
		t.Fatalf("%d symbols disclosed with the default limit, %d with %d bytes", big.PESymbols, little.PESymbols, small)
	}
	disclosed = big.PESymbols
	chunk, _ := PEChunkSize(small, stationConfig().Frame.Quantum.NumSymbols)
	if want := (disclosed + chunk - 1) / chunk; len(littleRec.req) < want || len(littleRec.req) <= len(bigRec.req) {
		t.Fatalf("%d requests under %d bytes (at least %d expected), %d under the default", len(littleRec.req), small, want, len(bigRec.req))
	}
	for i := range littleRec.req {
		if littleRec.req[i] > small || littleRec.resp[i] > small {
			t.Fatalf("request %d: %d bytes, answer %d bytes, limit %d", i, littleRec.req[i], littleRec.resp[i], small)
		}
	}
	if slices.Max(littleRec.resp) >= slices.Max(bigRec.resp) {
		t.Fatalf("the largest answer is %d bytes under the small limit, %d under the default", slices.Max(littleRec.resp), slices.Max(bigRec.resp))
	}
	if big.Transmittance != little.Transmittance || big.ExcessNoise != little.ExcessNoise ||
		big.ElectronicNoise != little.ElectronicNoise || big.KeySymbols != little.KeySymbols {
		t.Fatalf("estimates differ: T %v / %v, ξ %v / %v, v_el %v / %v, key symbols %d / %d",
			big.Transmittance, little.Transmittance, big.ExcessNoise, little.ExcessNoise,
			big.ElectronicNoise, little.ElectronicNoise, big.KeySymbols, little.KeySymbols)
	}
	t.Logf("%d symbols disclosed: %d requests (largest answer %d B) by default, %d (largest %d B) under %d B",
		disclosed, len(bigRec.req), slices.Max(bigRec.resp), len(littleRec.req), slices.Max(littleRec.resp), small)
}
