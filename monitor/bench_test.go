package monitor

import (
	"encoding/json"
	"testing"
)

// Recording a frame (metrics, history ring, event to the subscribers)
// against the JSON encoding of the same frame alone, its largest part: the
// cost a station pays per frame for its monitor.
func BenchmarkRecord(b *testing.B) {
	f := frameN(7)
	f.Phases = []PhaseTime{{"initialization", 1e-3}, {"qie", 0.1}, {"calibration", 0.01}, {"pe", 0.3}, {"ec", 0.5}, {"pa", 0.2}, {"frame_end", 0.004}}
	b.Run("json-only", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := json.Marshal(f); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("record", func(b *testing.B) {
		m := New(Options{History: 1000})
		c, _ := m.hist.subscribe(b.N + 1)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			m.Record(f)
		}
		b.StopTimer()
		m.hist.unsubscribe(c)
	})
}
