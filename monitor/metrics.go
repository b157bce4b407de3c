package monitor

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Outcomes every station reports; their counters exist (at 0) from start.
var outcomes = []string{"completed", "denied", "aborted", "dropped"}

// PhaseBuckets are the bounds of qosst_frame_phase_seconds: 0.5 ms to
// about 12 min, ×2.5 each.
var PhaseBuckets = prometheus.ExponentialBuckets(0.0005, 2.5, 16)

// metrics are one station's collectors, on a registry of its own.
type metrics struct {
	reg          *prometheus.Registry
	frames       *prometheus.CounterVec
	keyBits      prometheus.Counter
	phase        *prometheus.HistogramVec
	t, xi, vel   prometheus.Gauge
	beta         prometheus.Gauge
	keyRate      prometheus.Gauge
	fer          prometheus.Gauge
	lastFrame    prometheus.Gauge
	sessions     prometheus.Gauge
	authFailures prometheus.Counter
}

func newMetrics() *metrics {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qosst_frames_total",
			Help: "Frames that ended, by outcome: completed (key written), denied (parameter estimation or initialization denied), aborted (the peer's ABORT), dropped (anything else)."},
			[]string{"outcome"}),
		keyBits: prometheus.NewCounter(prometheus.CounterOpts{Name: "qosst_key_bits_total",
			Help: "Final secret key bits written by completed frames."}),
		phase: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "qosst_frame_phase_seconds",
			Help: "Time a frame spent in each protocol phase, in seconds.", Buckets: PhaseBuckets}, []string{"phase"}),
		t:       g("qosst_transmittance", "Channel transmittance T estimated in the last frame that reached parameter estimation (ratio, detector efficiency excluded)."),
		xi:      g("qosst_excess_noise", "Excess noise ξ estimated in the last frame that reached parameter estimation, in shot-noise units referred to the channel input."),
		vel:     g("qosst_electronic_noise", "Electronic noise v_el of the receiver in the last frame that measured it, in shot-noise units."),
		beta:    g("qosst_reconciliation_efficiency", "Reconciliation efficiency β achieved by error correction in the last frame that ran it (ratio)."),
		keyRate: g("qosst_secret_key_rate_bits_per_second", "Secret key rate announced in PE_FINISHED by the last frame that reached it, in bits per second."),
		fer:     g("qosst_ec_frame_error_rate", "Error-correction block (frame) error rate of the last frame that ran error correction (ratio)."),
		lastFrame: g("qosst_last_frame_end_timestamp_seconds",
			"Unix time at which the last frame ended, in seconds."),
		sessions: g("qosst_sessions_active", "QOSST sessions open now (Alice: sessions served; Bob: 1 while connected)."),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "qosst_authentication_failures_total",
			Help: "Frames whose digest or challenge failed the authentication check."}),
	}
	m.reg.MustRegister(m.frames, m.keyBits, m.phase, m.t, m.xi, m.vel, m.beta, m.keyRate, m.fer, m.lastFrame,
		m.sessions, m.authFailures, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range outcomes {
		m.frames.WithLabelValues(o)
	}
	return m
}

// observe counts one frame and sets the gauges it measured.
func (m *metrics) observe(f *Frame) {
	m.frames.WithLabelValues(f.Outcome).Inc()
	if f.Outcome == "completed" {
		m.keyBits.Add(float64(f.KeyBits))
	}
	for _, p := range f.Phases {
		m.phase.WithLabelValues(p.Phase).Observe(p.Seconds)
	}
	set := func(g prometheus.Gauge, v *float64) {
		if v != nil {
			g.Set(*v)
		}
	}
	set(m.t, f.Transmittance)
	set(m.xi, f.ExcessNoise)
	set(m.vel, f.ElectronicNoise)
	set(m.keyRate, f.KeyRate)
	set(m.beta, f.Beta)
	set(m.fer, f.ECFrameErrorRate)
	m.lastFrame.Set(float64(f.End.UnixNano()) / 1e9)
}
