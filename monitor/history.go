package monitor

import (
	"encoding/json"
	"sync"
)

// event is one server-sent event: its name, its id (a frame's Seq; 0: none)
// and its JSON data.
type event struct {
	name string
	id   uint64
	data []byte
}

// history is the bounded ring of the last frames and the set of live
// subscribers (SSE clients), each with a bounded queue: a subscriber that
// falls behind is closed (its browser reconnects and reloads the history).
type history struct {
	mu     sync.Mutex
	frames []Frame // ring of capacity cap(frames)
	next   int     // where the next frame goes once full
	seq    uint64
	subs   map[chan event]struct{}
	max    int // subscribers at most
}

func newHistory(capacity, maxSubs int) *history {
	return &history{frames: make([]Frame, 0, capacity), subs: map[chan event]struct{}{}, max: maxSubs}
}

// add numbers f, keeps it (dropping the oldest when full) and sends it to
// the subscribers; it returns f as kept.
func (h *history) add(f Frame) Frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	f.Seq = h.seq
	if len(h.frames) < cap(h.frames) {
		h.frames = append(h.frames, f)
	} else {
		h.frames[h.next] = f
		h.next = (h.next + 1) % len(h.frames)
	}
	data, err := json.Marshal(f)
	if err == nil {
		h.broadcast(event{name: "frame", id: f.Seq, data: data})
	}
	return f
}

// publish sends an event that is not kept (progress).
func (h *history) publish(e event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broadcast(e)
}

func (h *history) broadcast(e event) {
	for c := range h.subs {
		select {
		case c <- e:
		default: // too slow: close it, it reconnects and reloads
			delete(h.subs, c)
			close(c)
		}
	}
}

// since returns the kept frames with Seq > after, oldest first, at most
// limit of the newest (limit <= 0: all).
func (h *history) since(after uint64, limit int) []Frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Frame, 0, len(h.frames))
	n := len(h.frames)
	for i := range n {
		f := h.frames[(h.next+i)%n]
		if f.Seq > after {
			out = append(out, f)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// subscribe registers a subscriber with a queue of n events; ok is false
// when the subscribers are at their maximum. The frames kept after
// lastID come first.
func (h *history) subscribe(n int) (c chan event, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) >= h.max {
		return nil, false
	}
	c = make(chan event, n)
	h.subs[c] = struct{}{}
	return c, true
}

// unsubscribe removes c (if it is still there).
func (h *history) unsubscribe(c chan event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c)
	}
}

// clients returns the number of subscribers.
func (h *history) clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
