package bob

import (
	"context"
	"testing"
	"time"

	"github.com/qosst/qosst-go/config"
)

// BenchmarkFrame runs whole frames of 10^6 symbols on the default simulated
// short link (heterodyne, T = 0.9, ξ = 0.01, η = 0.8, v_el = 0.05, Va = 2,
// 100 MBd) between our Alice and Bob over loopback TCP, and reports the time
// of each phase (ms/frame) next to ns/op for the whole frame.
//
//	go test -run='^$' -bench=BenchmarkFrame -benchtime=3x ./bob/
func BenchmarkFrame(b *testing.B) {
	c := config.Default()
	c.SerialNumber = "bench"
	c.Simulation.NoiseSeed = 0
	l, d := listen(b, "tcp")
	startAlice(b, c, l)
	drv, _ := newBob(b, c, d)
	ctx := context.Background()
	if _, err := drv.RunFrame(ctx); err != nil && Fatal(err) { // identification and warm-up
		b.Fatal(err)
	}
	phases := map[Phase]time.Duration{}
	completed, keyBits := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := drv.RunFrame(ctx)
		if err != nil && Fatal(err) {
			b.Fatal(err)
		}
		if err == nil {
			completed++
			keyBits += s.KeyBits
		}
		for _, p := range s.Phases {
			phases[p.Phase] += p.Duration
		}
	}
	b.StopTimer()
	if completed == 0 {
		b.Fatal("no frame completed")
	}
	for _, p := range Phases() {
		if d, ok := phases[p]; ok {
			b.ReportMetric(float64(d.Milliseconds())/float64(b.N), string(p)+"-ms/frame")
		}
	}
	b.ReportMetric(float64(keyBits)/float64(completed), "key-bits/frame")
	b.ReportMetric(float64(completed)/float64(b.N), "completed/frame")
}
