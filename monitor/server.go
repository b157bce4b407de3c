package monitor

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/bob"
)

//go:embed web
var webFiles embed.FS

// Defaults of Options.
const (
	DefaultHistory      = 1000
	DefaultMaxClients   = 16
	DefaultWriteTimeout = 10 * time.Second
	DefaultKeepAlive    = 15 * time.Second
	clientQueue         = 64 // events queued per SSE client before it is closed
)

// Options configure a Monitor. Zero values take the defaults.
type Options struct {
	// Station is "alice" or "bob" (shown on the page).
	Station string
	// History is the number of frames kept for /api/frames (DefaultHistory).
	History int
	// MaxClients bounds the /events streams served at once; more get 503
	// (DefaultMaxClients).
	MaxClients int
	// ReadHeaderTimeout, ReadTimeout, IdleTimeout bound a client's request
	// (5 s, 10 s, 60 s); WriteTimeout bounds each write of an answer or an
	// event (DefaultWriteTimeout); KeepAlive is the interval of the comment
	// lines that keep an idle event stream open (DefaultKeepAlive).
	ReadHeaderTimeout, ReadTimeout, IdleTimeout, WriteTimeout, KeepAlive time.Duration
}

// Monitor is one station's metrics, frame history and HTTP server. Its
// observers (Alice, Bob) feed it; it is safe for concurrent use.
type Monitor struct {
	opts    Options
	m       *metrics
	hist    *history
	mux     *http.ServeMux
	stop    chan struct{}
	stopped sync.Once
}

// New returns a monitor; serve it with Serve.
func New(opts Options) *Monitor {
	if opts.History <= 0 {
		opts.History = DefaultHistory
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxClients
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.ReadHeaderTimeout, 5*time.Second)
	def(&opts.ReadTimeout, 10*time.Second)
	def(&opts.IdleTimeout, 60*time.Second)
	def(&opts.WriteTimeout, DefaultWriteTimeout)
	def(&opts.KeepAlive, DefaultKeepAlive)
	mon := &Monitor{opts: opts, m: newMetrics(), hist: newHistory(opts.History, opts.MaxClients), stop: make(chan struct{})}
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(mon.m.reg, promhttp.HandlerOpts{
		MaxRequestsInFlight: 4, Timeout: opts.WriteTimeout}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /api/frames", mon.serveFrames)
	mux.HandleFunc("GET /events", mon.serveEvents)
	mux.Handle("GET /", http.FileServerFS(static))
	mon.mux = mux
	return mon
}

// ServeHTTP serves the monitor's pages: GET (and HEAD) only.
func (m *Monitor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/events" {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(m.opts.WriteTimeout))
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	m.mux.ServeHTTP(w, r)
}

// Serve serves HTTP on l until ctx ends, then closes the event streams and
// shuts the server down (at most 5 s for requests in progress).
func (m *Monitor) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           m,
		ReadHeaderTimeout: m.opts.ReadHeaderTimeout,
		ReadTimeout:       m.opts.ReadTimeout,
		IdleTimeout:       m.opts.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		m.Close()
		return err
	case <-ctx.Done():
	}
	m.Close()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(<-done, http.ErrServerClosed) && err == nil {
		return nil
	}
	return err
}

// Close ends the event streams.
func (m *Monitor) Close() { m.stopped.Do(func() { close(m.stop) }) }

// Record adds a frame to the metrics and the history and sends it to the
// live page; it returns the frame as kept (with its Seq).
func (m *Monitor) Record(f Frame) Frame {
	m.m.observe(&f)
	return m.hist.add(f)
}

// Frames returns the frames kept, oldest first.
func (m *Monitor) Frames() []Frame { return m.hist.since(0, 0) }

// SetSessions sets qosst_sessions_active.
func (m *Monitor) SetSessions(n int) { m.m.sessions.Set(float64(n)) }

// AuthenticationFailed counts one authentication failure.
func (m *Monitor) AuthenticationFailed() { m.m.authFailures.Inc() }

// Progress is the progress event of the live page.
type Progress struct {
	Frame string `json:"frame"`
	Phase string `json:"phase"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// PublishProgress sends the frame in progress' phase and steps to the live
// page (not kept).
func (m *Monitor) PublishProgress(p Progress) {
	if data, err := json.Marshal(p); err == nil {
		m.hist.publish(event{name: "progress", data: data})
	}
}

// Alice returns the observer to give alice.Options.Observer.
func (m *Monitor) Alice() alice.Observer { return aliceObserver{m} }

// Bob returns the observer to give (*bob.Driver).Observe.
func (m *Monitor) Bob() bob.Observer { return bobObserver{m} }

type aliceObserver struct{ m *Monitor }

func (o aliceObserver) FrameEnded(r alice.FrameReport) { o.m.Record(FromAlice(r)) }
func (o aliceObserver) SessionsChanged(n int)          { o.m.SetSessions(n) }
func (o aliceObserver) AuthenticationFailed()          { o.m.AuthenticationFailed() }

type bobObserver struct{ m *Monitor }

func (o bobObserver) FrameEnded(s *bob.Summary) { o.m.Record(FromBob(s)) }
func (o bobObserver) AuthenticationFailed()     { o.m.AuthenticationFailed() }
func (o bobObserver) FrameProgress(p bob.Progress) {
	id := ""
	if p.Frame != [16]byte{} {
		id = p.Frame.String()
	}
	o.m.PublishProgress(Progress{Frame: id, Phase: string(p.Phase), Done: p.Done, Total: p.Total})
}

// framesAnswer is the body of /api/frames.
type framesAnswer struct {
	Station  string  `json:"station"`
	Capacity int     `json:"capacity"`
	Frames   []Frame `json:"frames"`
}

// serveFrames answers the kept frames, oldest first; ?limit=N keeps the N
// newest, ?after=S those with seq > S.
func (m *Monitor) serveFrames(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := optUint(q.Get("limit"))
	if err != nil {
		http.Error(w, "limit: "+err.Error(), http.StatusBadRequest)
		return
	}
	after, err := optUint(q.Get("after"))
	if err != nil {
		http.Error(w, "after: "+err.Error(), http.StatusBadRequest)
		return
	}
	ans := framesAnswer{Station: m.opts.Station, Capacity: m.opts.History,
		Frames: m.hist.since(after, int(min(limit, uint64(m.opts.History))))}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(ans)
}

// optUint reads an optional decimal number (empty: 0).
func optUint(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errors.New("want a whole number ≥ 0")
	}
	return v, nil
}

// serveEvents streams server-sent events: "frame" (a Frame, id its seq) as
// each frame ends, "progress" as Bob's frame advances, a comment every
// KeepAlive. A client that reconnects with Last-Event-ID gets the kept
// frames it missed first. At most MaxClients streams at once (503 beyond);
// a client too slow to take its events is disconnected.
func (m *Monitor) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	c, ok := m.hist.subscribe(clientQueue)
	if !ok {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "too many event streams", http.StatusServiceUnavailable)
		return
	}
	defer m.hist.unsubscribe(c)
	last, _ := optUint(r.Header.Get("Last-Event-ID"))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	write := func(e event) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(m.opts.WriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		var err error
		switch {
		case e.name == "":
			_, err = w.Write([]byte(": keep-alive\n\n"))
		case e.id > 0:
			_, err = fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", e.name, e.id, e.data)
		default:
			_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.name, e.data)
		}
		if err == nil {
			err = rc.Flush()
		}
		return err == nil
	}
	if !write(event{name: "hello", data: []byte(strconv.Quote(m.opts.Station))}) {
		return
	}
	if last > 0 {
		for _, f := range m.hist.since(last, 0) {
			data, _ := json.Marshal(f)
			if !write(event{name: "frame", id: f.Seq, data: data}) {
				return
			}
			last = f.Seq
		}
	}
	tick := time.NewTicker(m.opts.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case e, open := <-c:
			if !open {
				return
			}
			if e.id > 0 && e.id <= last {
				continue // already replayed
			}
			if !write(e) {
				return
			}
		case <-tick.C:
			if !write(event{}) {
				return
			}
		case <-r.Context().Done():
			return
		case <-m.stop:
			return
		}
	}
}

// Start listens on addr and serves the monitor until ctx ends, in the
// background. It returns the address it listens on and a function that
// waits until the server has stopped and returns its error.
func (m *Monitor) Start(ctx context.Context, addr string) (net.Addr, func() error, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("monitor: listen: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, l) }()
	var once sync.Once
	var serr error
	wait := func() error {
		once.Do(func() { serr = <-done })
		return serr
	}
	return l.Addr(), wait, nil
}
