package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/bob"
	"github.com/qosst/qosst-go/transport/auth"
)

// get fetches url and returns the body; it fails the test unless the
// status is 200.
func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %v\n%s", url, resp.Status, err, b)
	}
	return b
}

// scrape parses url/metrics with the Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(get(t, url+"/metrics")))
	if err != nil {
		t.Fatalf("%s/metrics does not parse: %v", url, err)
	}
	return fams
}

// value returns the value of the family's sample whose labels include
// labels (name, value pairs); ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// checkMetrics checks a station's /metrics against the frame it reported:
// one completed frame, its key bits, its phase times, the gauges of its
// values; every qosst_ family has help text and the expected type.
func checkMetrics(t *testing.T, who, url string, want Frame) {
	t.Helper()
	fams := scrape(t, url)
	types := map[string]dto.MetricType{
		"qosst_frames_total": dto.MetricType_COUNTER, "qosst_key_bits_total": dto.MetricType_COUNTER,
		"qosst_frame_phase_seconds": dto.MetricType_HISTOGRAM, "qosst_transmittance": dto.MetricType_GAUGE,
		"qosst_excess_noise": dto.MetricType_GAUGE, "qosst_electronic_noise": dto.MetricType_GAUGE,
		"qosst_reconciliation_efficiency": dto.MetricType_GAUGE, "qosst_secret_key_rate_bits_per_second": dto.MetricType_GAUGE,
		"qosst_ec_frame_error_rate": dto.MetricType_GAUGE, "qosst_sessions_active": dto.MetricType_GAUGE,
		"qosst_authentication_failures_total": dto.MetricType_COUNTER, "qosst_last_frame_end_timestamp_seconds": dto.MetricType_GAUGE,
	}
	for name, typ := range types {
		f := fams[name]
		if f == nil {
			t.Errorf("%s: no %s", who, name)
			continue
		}
		if f.GetType() != typ || len(f.GetHelp()) < 20 {
			t.Errorf("%s: %s is a %v with help %q", who, name, f.GetType(), f.GetHelp())
		}
	}
	eq := func(name string, got float64, ok bool, want float64) {
		t.Helper()
		if !ok || got != want {
			t.Errorf("%s: %s = %v (present %v), the frame reported %v", who, name, got, ok, want)
		}
	}
	for _, o := range outcomes {
		n := 0.0
		if o == want.Outcome {
			n = 1
		}
		v, ok := value(fams, "qosst_frames_total", "outcome", o)
		eq("qosst_frames_total{outcome="+o+"}", v, ok, n)
	}
	v, ok := value(fams, "qosst_key_bits_total")
	eq("qosst_key_bits_total", v, ok, float64(want.KeyBits))
	for name, p := range map[string]*float64{
		"qosst_transmittance": want.Transmittance, "qosst_excess_noise": want.ExcessNoise,
		"qosst_electronic_noise": want.ElectronicNoise, "qosst_reconciliation_efficiency": want.Beta,
		"qosst_secret_key_rate_bits_per_second": want.KeyRate, "qosst_ec_frame_error_rate": want.ECFrameErrorRate,
	} {
		if p == nil {
			t.Errorf("%s: the frame did not report %s", who, name)
			continue
		}
		v, ok := value(fams, name)
		eq(name, v, ok, *p)
	}
	v, ok = value(fams, "qosst_authentication_failures_total")
	eq("qosst_authentication_failures_total", v, ok, 0)
	v, ok = value(fams, "qosst_last_frame_end_timestamp_seconds")
	if !ok || math.Abs(v-float64(want.End.UnixNano())/1e9) > 1e-3 {
		t.Errorf("%s: last frame end %v, frame ended %v", who, v, want.End)
	}
	// One observation per phase, with the frame's time as its sum.
	hist := fams["qosst_frame_phase_seconds"]
	if hist == nil {
		return
	}
	if len(hist.Metric) != len(want.Phases) || len(want.Phases) < 5 {
		t.Errorf("%s: %d phase series for the %d phases reported", who, len(hist.Metric), len(want.Phases))
	}
	for _, p := range want.Phases {
		found := false
		for _, m := range hist.Metric {
			if len(m.Label) == 1 && m.Label[0].GetValue() == p.Phase {
				found = true
				h := m.Histogram
				if h.GetSampleCount() != 1 || h.GetSampleSum() != p.Seconds {
					t.Errorf("%s: phase %s: count %d sum %v, reported %v s", who, p.Phase, h.GetSampleCount(), h.GetSampleSum(), p.Seconds)
				}
			}
		}
		if !found {
			t.Errorf("%s: no qosst_frame_phase_seconds{phase=%q}", who, p.Phase)
		}
	}
}

// canonical re-encodes a JSON frame so that two encodings of the same
// frame compare equal as strings.
func canonical(t *testing.T, raw []byte) string {
	t.Helper()
	var f Frame
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("not a frame: %v\n%s", err, raw)
	}
	b, _ := json.Marshal(f)
	return string(b)
}

// After one frame over TCP, the /metrics of both stations parse with the
// Prometheus text parser and hold the values the frame reported (Alice's
// report, Bob's summary); /api/frames and the event stream carry that same
// frame; Bob's stream carried the frame's progress first.
func TestOneFrameOverTCP(t *testing.T) {
	s := startStations(t, 60_000, Options{})
	evA, evB := openSSE(t, s.urlA, ""), openSSE(t, s.urlB, "")
	evA.next(t, "hello", 5*time.Second)
	evB.next(t, "hello", 5*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sums, err := s.bob.Driver.Run(ctx, 1)
	if err != nil || len(sums) != 1 || !sums[0].Completed() {
		t.Fatalf("Bob's run: %v, %d frames", err, len(sums))
	}
	s.mu.Lock()
	reports, sessions, bobSums := append([]alice.FrameReport(nil), s.reportsA...), append([]int(nil), s.sessions...), s.sumsB
	s.mu.Unlock()
	if len(reports) != 1 || reports[0].Outcome != alice.OutcomeCompleted || len(bobSums) != 1 || bobSums[0] != sums[0] {
		t.Fatalf("reports: Alice %+v, Bob %d", reports, len(bobSums))
	}
	if reports[0].Frame != sums[0].Frame || reports[0].KeyBits != sums[0].KeyBits {
		t.Errorf("Alice reported frame %s with %d key bits, Bob %s with %d", reports[0].Frame, reports[0].KeyBits, sums[0].Frame, sums[0].KeyBits)
	}
	if len(sessions) == 0 || sessions[0] != 1 {
		t.Errorf("Alice's sessions reported: %v", sessions)
	}
	// Bob disconnected: Alice's session ends and the gauge follows.
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, ok := value(scrape(t, s.urlA), "qosst_sessions_active")
		if ok && v == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Alice's qosst_sessions_active = %v (present %v) after Bob left", v, ok)
		}
		time.Sleep(20 * time.Millisecond)
	}

	for _, c := range []struct {
		who, url string
		want     Frame
		ev       *sse
	}{
		{"alice", s.urlA, FromAlice(reports[0]), evA},
		{"bob", s.urlB, FromBob(sums[0]), evB},
	} {
		c.want.Seq = 1
		checkMetrics(t, c.who, c.url, c.want)
		var ans struct {
			Station  string            `json:"station"`
			Capacity int               `json:"capacity"`
			Frames   []json.RawMessage `json:"frames"`
		}
		if err := json.Unmarshal(get(t, c.url+"/api/frames"), &ans); err != nil {
			t.Fatal(err)
		}
		if ans.Station != c.who || ans.Capacity != DefaultHistory || len(ans.Frames) != 1 {
			t.Fatalf("%s: /api/frames: %s, capacity %d, %d frames", c.who, ans.Station, ans.Capacity, len(ans.Frames))
		}
		wantJSON, _ := json.Marshal(c.want)
		api := canonical(t, ans.Frames[0])
		if api != canonical(t, wantJSON) {
			t.Errorf("%s: /api/frames\n%s\nthe frame reported\n%s", c.who, api, wantJSON)
		}
		e := c.ev.next(t, "frame", 5*time.Second)
		if e.id != "1" || canonical(t, []byte(e.data)) != api {
			t.Errorf("%s: event id %s\n%s\n/api/frames\n%s", c.who, e.id, e.data, api)
		}
	}
	// Bob's stream carried the frame's progress before the frame: every EC
	// block in order, each PE request, the four QIE steps.
	steps := map[string][]Progress{}
	for _, e := range evB.skipped {
		if e.name != "progress" {
			continue
		}
		var p Progress
		if err := json.Unmarshal([]byte(e.data), &p); err != nil {
			t.Fatal(err)
		}
		if p.Total > 0 {
			steps[p.Phase] = append(steps[p.Phase], p)
		}
	}
	blocks := sums[0].ECBlocks
	if ec := steps["ec"]; len(ec) != blocks || blocks == 0 || ec[blocks-1].Done != blocks || ec[0].Frame != sums[0].Frame.String() {
		t.Errorf("EC progress %+v for %d blocks", ec, blocks)
	}
	if len(steps["qie"]) != 4 || len(steps["pa"]) != 2 {
		t.Errorf("progress: %+v", steps)
	}
	// PE: each request announced (k of n) and answered (k+1 of n), in order.
	pe := steps["pe"]
	if len(pe) < 2 || len(pe) != 2*pe[0].Total {
		t.Errorf("PE progress %+v", pe)
	}
	for i, p := range pe {
		if want := (i + 1) / 2; p.Done != want {
			t.Errorf("PE progress %d: %d/%d, want %d", i, p.Done, p.Total, want)
		}
	}
}

// A Bob whose frames fail Alice's authentication (she checks HMAC-SHA256,
// he signs with None): both stations count every failure the roles
// reported, and no frame completes.
func TestAuthenticationFailuresCounted(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	authA, err := auth.NewHMAC(key)
	if err != nil {
		t.Fatal(err)
	}
	s := startStationsWith(t, 20_000, Options{}, authA, 0.001)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sums, err := s.bob.Driver.Run(ctx, 3)
	if err == nil {
		t.Fatalf("Bob's run without Alice's key succeeded (%d frames)", len(sums))
	}
	s.mu.Lock()
	nA, nB := s.authA, s.authB
	s.mu.Unlock()
	if nA == 0 || nB == 0 {
		t.Fatalf("authentication failures reported: Alice %d, Bob %d (%v)", nA, nB, err)
	}
	for _, c := range []struct {
		url  string
		want int
	}{{s.urlA, nA}, {s.urlB, nB}} {
		fams := scrape(t, c.url)
		v, ok := value(fams, "qosst_authentication_failures_total")
		if !ok || v != float64(c.want) {
			t.Errorf("%s: qosst_authentication_failures_total = %v, reported %d", c.url, v, c.want)
		}
		if v, _ := value(fams, "qosst_frames_total", "outcome", "completed"); v != 0 {
			t.Errorf("%s: %v frames completed", c.url, v)
		}
	}
}

// On a link too noisy for a key, Bob announces a null key rate, Alice
// answers PE_DENIED: both stations count a denied frame, keep the
// estimates it measured, and add no key bits.
func TestDeniedFrameCounted(t *testing.T) {
	s := startStationsWith(t, 20_000, Options{}, nil, 0.6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sums, err := s.bob.Driver.Run(ctx, 1)
	if err != nil || len(sums) != 1 || sums[0].Outcome() != bob.OutcomeDenied {
		t.Fatalf("run: %v; %d frames, err %v", err, len(sums), sums[0].Err)
	}
	s.mu.Lock()
	reports := append([]alice.FrameReport(nil), s.reportsA...)
	s.mu.Unlock()
	if len(reports) != 1 || reports[0].Outcome != alice.OutcomeDenied || !reports[0].HasEstimates || reports[0].Reason == "" {
		t.Fatalf("Alice's reports: %+v", reports)
	}
	for _, c := range []struct {
		url string
		xi  float64
	}{{s.urlA, reports[0].ExcessNoise}, {s.urlB, sums[0].ExcessNoise}} {
		fams := scrape(t, c.url)
		if v, _ := value(fams, "qosst_frames_total", "outcome", "denied"); v != 1 {
			t.Errorf("%s: %v denied frames", c.url, v)
		}
		if v, _ := value(fams, "qosst_frames_total", "outcome", "completed"); v != 0 {
			t.Errorf("%s: %v completed frames", c.url, v)
		}
		if v, _ := value(fams, "qosst_key_bits_total"); v != 0 {
			t.Errorf("%s: %v key bits", c.url, v)
		}
		if v, ok := value(fams, "qosst_excess_noise"); !ok || v != c.xi || v < 0.3 {
			t.Errorf("%s: excess noise %v, reported %v", c.url, v, c.xi)
		}
	}
}
