package alice

import (
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/logging"
)

// aggregator logs the closing of connections that never identified
// (evicted, handshake timeout, peer gone) as one warning per interval at
// most: the first one of a quiet period is logged at once with its reason,
// the following ones are counted per reason and logged together when the
// interval is over, with the number of distinct sources and the last one
// seen. The log therefore grows with time, never with the number of
// connections.
type aggregator struct {
	log      zerolog.Logger
	interval time.Duration

	mu      sync.Mutex
	total   uint64         // events since start
	evicted uint64         // evictions since start
	count   int            // events not logged yet
	reasons map[string]int // per reason, not logged yet
	sources map[string]struct{}
	last    string // last source, truncated
	armed   bool   // a flush is scheduled
	timer   *time.Timer
	gen     uint64 // incremented at each arming: a stale flush does nothing
}

// maxAggregatedSources bounds the distinct sources counted per interval.
const maxAggregatedSources = 1024

func newAggregator(log zerolog.Logger, interval time.Duration) *aggregator {
	return &aggregator{log: log, interval: interval, reasons: map[string]int{}, sources: map[string]struct{}{}}
}

// add records one connection from src closed for reason (one of a few
// fixed strings), with the timeout that fired if any.
func (g *aggregator) add(src, reason string, t *timeoutField, eviction bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total++
	if eviction {
		g.evicted++
	}
	if !g.armed {
		// Quiet until now: log this one, and collect the next ones.
		g.armed = true
		ev := g.log.Warn().Str(logging.FieldPeer, logging.Truncate(src)).Str("reason", reason)
		if t != nil {
			ev = ev.Str("timeout", t.key).Dur("after", t.after)
		}
		ev.Msg("unidentified connection closed")
		g.armLocked()
		return
	}
	g.count++
	g.reasons[reason]++
	if len(g.sources) < maxAggregatedSources {
		g.sources[src] = struct{}{}
	}
	g.last = logging.Truncate(src)
}

// armLocked schedules a flush after the interval.
func (g *aggregator) armLocked() {
	g.armed = true
	g.gen++
	gen := g.gen
	g.timer = time.AfterFunc(g.interval, func() { g.flush(gen) })
}

// flush logs the events counted during the interval, and stays armed for
// another interval when there were any.
func (g *aggregator) flush(gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gen != g.gen || !g.armed {
		return
	}
	if g.count == 0 {
		g.armed = false
		return
	}
	g.logLocked()
	g.armLocked()
}

func (g *aggregator) logLocked() {
	d := zerolog.Dict()
	for r, n := range g.reasons {
		d = d.Int(r, n)
	}
	g.log.Warn().Int("closed", g.count).Dict("reasons", d).Int("sources", len(g.sources)).Str("last_peer", g.last).
		Dur("interval", g.interval).Uint64("closed_total", g.total).Msg("unidentified connections closed")
	g.count = 0
	clear(g.reasons)
	clear(g.sources)
}

// stop logs what is counted and not logged yet, and cancels the scheduled
// flush: nothing is logged after it until the next event. The server calls
// it when its sessions have ended.
func (g *aggregator) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	g.gen++
	g.armed = false
	if g.count > 0 {
		g.logLocked()
	}
}

// Evicted returns the number of evictions since start.
func (g *aggregator) Evicted() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.evicted
}
