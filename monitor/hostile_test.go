package monitor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// serveTest serves a monitor with opts on a loopback port until the test
// ends and returns it with its base URL.
func serveTest(t *testing.T, opts Options) (*Monitor, string) {
	t.Helper()
	m := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	addr, wait, err := m.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("monitor: %v", err)
		}
	})
	return m, "http://" + addr.String()
}

func frameN(i int) Frame {
	v := float64(i) / 10
	return Frame{Station: Bob, Frame: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Outcome: "completed",
		Transmittance: &v, KeyBits: 8 * i, Phases: []PhaseTime{{Phase: "pe", Seconds: v}}, End: time.Unix(int64(i), 0)}
}

func frameSeqs(t *testing.T, url string) []uint64 {
	t.Helper()
	var ans framesAnswer
	if err := json.Unmarshal(get(t, url), &ans); err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, f := range ans.Frames {
		out = append(out, f.Seq)
	}
	return out
}

// The history keeps the last History frames; limit and after select in
// it; a bad query is a 400 naming the parameter.
func TestHistoryIsBounded(t *testing.T) {
	m, url := serveTest(t, Options{History: 3})
	for i := 1; i <= 5; i++ {
		m.Record(frameN(i))
	}
	for q, want := range map[string]string{"": "[3 4 5]", "?limit=2": "[4 5]", "?after=4": "[5]", "?limit=99999999999": "[3 4 5]", "?after=9": "[]"} {
		if got := fmt.Sprint(frameSeqs(t, url+"/api/frames"+q)); got != want {
			t.Errorf("/api/frames%s: seqs %s, want %s", q, got, want)
		}
	}
	for _, q := range []string{"limit=-1", "limit=x", "after=1e3", "after=" + strings.Repeat("9", 30)} {
		resp, err := http.Get(url + "/api/frames?" + q)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), strings.Split(q, "=")[0]) {
			t.Errorf("?%s: %s %q", q, resp.Status, b)
		}
	}
}

// Only GET and HEAD; unknown paths are 404; the page and its scripts are
// served from the binary; /healthz answers ok.
func TestRoutes(t *testing.T) {
	_, url := serveTest(t, Options{})
	for _, c := range []struct {
		method, path string
		code         int
		contains     string
	}{
		{"GET", "/", 200, "<svg id=\"chart-transmittance\""},
		{"GET", "/app.js", 200, "EventSource"},
		{"GET", "/style.css", 200, "--panel"},
		{"GET", "/healthz", 200, "ok"},
		{"HEAD", "/metrics", 200, ""},
		{"POST", "/metrics", 405, ""},
		{"DELETE", "/api/frames", 405, ""},
		{"GET", "/nope", 404, ""},
		{"GET", "/../../etc/passwd", 404, ""},
	} {
		req, _ := http.NewRequest(c.method, url+c.path, strings.NewReader("x"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(b), c.contains) {
			t.Errorf("%s %s: %s, body has %q: %v", c.method, c.path, resp.Status, c.contains, strings.Contains(string(b), c.contains))
		}
	}
}

// At most MaxClients event streams: the next is refused with 503 and
// Retry-After; a stream that ends frees its place.
func TestEventStreamsAreBounded(t *testing.T) {
	m, url := serveTest(t, Options{MaxClients: 2})
	a := openSSE(t, url, "")
	openSSE(t, url, "")
	resp, err := http.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third stream: %s", resp.Status)
	}
	a.resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for m.hist.clients() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams after one closed", m.hist.clients())
		}
		time.Sleep(10 * time.Millisecond)
	}
	openSSE(t, url, "").next(t, "hello", 5*time.Second)
}

// A subscriber that does not take its events is dropped once its queue is
// full, and nothing blocks the station meanwhile.
func TestSlowSubscriberIsDropped(t *testing.T) {
	h := newHistory(10, 4)
	c, ok := h.subscribe(8)
	if !ok {
		t.Fatal("no subscription")
	}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			h.publish(event{name: "progress", data: []byte("{}")})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publishing blocked on a slow subscriber")
	}
	n := 0
	for range c {
		n++
	}
	if n != 8 || h.clients() != 0 {
		t.Fatalf("%d events queued, %d subscribers left", n, h.clients())
	}
}

// A client that reconnects with Last-Event-ID gets the frames it missed,
// then the new ones, each once.
func TestEventReplay(t *testing.T) {
	m, url := serveTest(t, Options{})
	for i := 1; i <= 4; i++ {
		m.Record(frameN(i))
	}
	c := openSSE(t, url, "2")
	for _, want := range []string{"3", "4"} {
		if e := c.next(t, "frame", 5*time.Second); e.id != want {
			t.Fatalf("replayed %s, want %s", e.id, want)
		}
	}
	m.Record(frameN(5))
	if e := c.next(t, "frame", 5*time.Second); e.id != "5" {
		t.Fatalf("next frame %s", e.id)
	}
	for _, bad := range []string{"x", "-1", strings.Repeat("9", 40)} {
		c := openSSE(t, url, bad)
		c.next(t, "hello", 5*time.Second)
	}
}

// A client that sends its request headers too slowly is cut off after
// ReadHeaderTimeout; headers beyond the size limit get 431; the server
// goes on answering.
func TestSlowAndLargeRequests(t *testing.T) {
	_, url := serveTest(t, Options{ReadHeaderTimeout: 200 * time.Millisecond})
	host := strings.TrimPrefix(url, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /metrics HTTP/1.1\r\nHost: x\r\n")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	b, _ := io.ReadAll(conn)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("slow header kept the connection %v (%q)", d, b)
	}
	req, _ := http.NewRequest("GET", url+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB header: %s", resp.Status)
	}
	get(t, url+"/healthz")
}

// Stopping the monitor ends its event streams.
func TestStopEndsStreams(t *testing.T) {
	m := New(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	addr, wait, err := m.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := openSSE(t, "http://"+addr.String(), "")
	c.next(t, "hello", 5*time.Second)
	cancel()
	done := make(chan error, 1)
	go func() { done <- wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the monitor did not stop with a stream open")
	}
	for range c.events {
	}
}

// Any request the HTTP parser accepts gets an answer, never a panic or a
// hang (an event stream ends with its request's context).
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /api/frames?limit=2&after=1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n\r\n",
		"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"GET /app.js?x=%zz HTTP/1.1\r\nHost: x\r\nRange: bytes=5-1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	m := New(Options{Station: Alice, History: 4})
	m.Record(frameN(1))
	m.Record(frameN(2))
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			m.ServeHTTP(rec, req.WithContext(ctx))
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("request %q did not end", raw)
		}
		if rec.Code == 0 {
			t.Fatalf("no status for %q", raw)
		}
	})
}
