package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the Chromium binary (QOSST_CHROMIUM, else chromium on
// PATH, else /usr/bin/chromium). Without one the test skips locally and
// fails in CI (CI=true), where .ci/run installs Debian's chromium package.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("QOSST_CHROMIUM"), "chromium", "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium in CI: .ci/run must install it (apt-get install -y chromium)")
	}
	t.Skip("no chromium: install it (apt-get install -y chromium) or set QOSST_CHROMIUM to run the browser test; CI runs it")
	return ""
}

// browser starts headless Chromium with a fresh profile and returns a
// chromedp context bounded by d.
func browser(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	exe := chromium(t)
	// The profile is removed after Chromium is stopped, with retries: its
	// helper processes may still write into it for a moment after the
	// browser exits (t.TempDir would fail the test on that).
	profile, err := os.MkdirTemp("", "qosst-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	// Chromium newer than chromedp's protocol tables sends enum values it
	// does not know in events the test does not use: logged, not fatal.
	ctx, cancelB := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	ctx, cancelT := context.WithTimeout(ctx, d)
	t.Cleanup(func() {
		cancelT()
		cancelB()
		cancelA()
		for try := 0; try < 20; try++ {
			if err = os.RemoveAll(profile); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("Chromium profile %s left behind: %v", profile, err)
	})
	return ctx
}

// page is what the live page shows, read from its DOM.
type page struct {
	Frames int                                       `json:"frames"`
	Conn   string                                    `json:"conn"`
	Rows   []map[string]struct{ Value, Text string } `json:"rows"`
	Charts map[string][]struct{ Seq, Value string }  `json:"charts"`
}

const readPage = `(() => {
  const rows = [...document.querySelectorAll('#frames tbody tr')].map((tr) => {
    const o = {};
    for (const td of tr.querySelectorAll('td')) o[td.dataset.field] = { Value: td.dataset.value || '', Text: td.textContent };
    return o;
  });
  const charts = {};
  for (const svg of document.querySelectorAll('svg.chart')) {
    charts[svg.id.replace('chart-', '')] = [...svg.querySelectorAll('circle')].map((c) => ({ Seq: c.dataset.seq, Value: c.dataset.value }));
  }
  return JSON.stringify({ frames: Number(document.body.dataset.frames || 0), conn: document.getElementById('conn').textContent, rows, charts });
})()`

// The live page in a real browser: headless Chromium opens Bob's page
// before any frame, the charts fill as frames finish (server-sent events,
// no reload) until they show at least two frames, and every value on the
// page (table cells, chart points) is the one /api/frames gives.
func TestLivePageInBrowser(t *testing.T) {
	ctx := browser(t, 3*time.Minute)
	s := startStations(t, 60_000, Options{})
	if err := chromedp.Run(ctx, chromedp.Navigate(s.urlB+"/"),
		chromedp.Poll(`document.getElementById('conn').textContent === 'live'`, nil, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the page did not connect to /events: %v", err)
	}
	frames := 3
	if n, err := strconv.Atoi(os.Getenv("QOSST_BROWSER_FRAMES")); err == nil && n >= 2 && n <= 100 {
		frames = n // more frames for a screenshot of the docs
	}
	ran := make(chan error, 1)
	go func() {
		rctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
		defer cancel()
		_, err := s.bob.Driver.Run(rctx, frames)
		ran <- err
	}()
	two := `['transmittance', 'excess_noise', 'beta', 'key_rate_bits_per_second', 'key_bits'].every(
		(f) => document.querySelectorAll('#chart-' + f + ' circle').length >= 2)`
	if err := chromedp.Run(ctx, chromedp.Poll(two, nil, chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		t.Fatalf("the charts never showed two frames: %v", err)
	}
	if err := <-ran; err != nil {
		t.Fatalf("Bob's run: %v", err)
	}
	var api framesAnswer
	if err := json.Unmarshal(get(t, s.urlB+"/api/frames"), &api); err != nil {
		t.Fatal(err)
	}
	if len(api.Frames) != frames {
		t.Fatalf("/api/frames has %d frames, want %d", len(api.Frames), frames)
	}
	var raw string
	if err := chromedp.Run(ctx,
		chromedp.Poll(fmt.Sprintf(`Number(document.body.dataset.frames) === %d`, frames), nil, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate(readPage, &raw)); err != nil {
		t.Fatal(err)
	}
	var p page
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatal(err)
	}
	if p.Conn != "live" || len(p.Rows) != frames {
		t.Fatalf("page: connection %q, %d rows", p.Conn, len(p.Rows))
	}
	bySeq := map[string]map[string]struct{ Value, Text string }{}
	for _, r := range p.Rows {
		bySeq[r["seq"].Value] = r
	}
	for _, f := range api.Frames {
		row := bySeq[strconv.FormatUint(f.Seq, 10)]
		if row == nil {
			t.Errorf("frame %d is not in the table", f.Seq)
			continue
		}
		if row["frame"].Value != f.Frame || row["outcome"].Text != f.Outcome {
			t.Errorf("frame %d: row %v, API %s %s", f.Seq, row, f.Frame, f.Outcome)
		}
		for field, want := range map[string]*float64{
			"transmittance": f.Transmittance, "excess_noise": f.ExcessNoise, "electronic_noise": f.ElectronicNoise,
			"beta": f.Beta, "key_rate_bits_per_second": f.KeyRate, "ec_frame_error_rate": f.ECFrameErrorRate,
			"key_bits": ptr(float64(f.KeyBits)), "total_seconds": &f.TotalSeconds,
		} {
			if want == nil {
				t.Errorf("frame %d: no %s in the API", f.Seq, field)
				continue
			}
			got, err := strconv.ParseFloat(row[field].Value, 64)
			if err != nil || got != *want {
				t.Errorf("frame %d: %s on the page %q, API %v", f.Seq, field, row[field].Value, *want)
			}
		}
		for field, want := range map[string]string{
			"transmittance": fmt.Sprintf("%.4f", *f.Transmittance), "excess_noise": fmt.Sprintf("%.4f", *f.ExcessNoise),
			"beta": fmt.Sprintf("%.3f", *f.Beta), "key_bits": strconv.Itoa(f.KeyBits),
		} {
			if row[field].Text != want {
				t.Errorf("frame %d: %s shown as %q, API %s", f.Seq, field, row[field].Text, want)
			}
		}
	}
	for field, get := range map[string]func(Frame) float64{
		"transmittance":            func(f Frame) float64 { return *f.Transmittance },
		"excess_noise":             func(f Frame) float64 { return *f.ExcessNoise },
		"beta":                     func(f Frame) float64 { return *f.Beta },
		"key_bits":                 func(f Frame) float64 { return float64(f.KeyBits) },
		"key_rate_bits_per_second": func(f Frame) float64 { return *f.KeyRate },
	} {
		pts := p.Charts[field]
		if len(pts) != frames {
			t.Errorf("chart %s: %d points for %d frames", field, len(pts), frames)
			continue
		}
		for i, f := range api.Frames {
			v, err := strconv.ParseFloat(pts[i].Value, 64)
			if pts[i].Seq != strconv.FormatUint(f.Seq, 10) || err != nil || v != get(f) {
				t.Errorf("chart %s point %d: %+v, API frame %d value %v", field, i, pts[i], f.Seq, get(f))
			}
		}
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
	}
	out := filepath.Join(t.TempDir(), "monitor.png")
	if p := os.Getenv("QOSST_SCREENSHOT"); p != "" {
		out = p
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)
}

func ptr[T any](v T) *T { return &v }
