package bob

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
	"github.com/qosst/qosst-go/transport/impair"
)

// BenchmarkFrameImpairedLink measures one whole frame of 10^6 symbols (the
// station defaults, as BenchmarkFrame) between our Alice and Bob over the
// loopback directly (the baseline, in the same run) and through the
// user-space impaired relay of package impair: 20 ms ± 5 ms one way, 1 %
// segment loss (a lost segment arrives 200 ms late, as TCP retransmits),
// and 50 ms ± 10 ms with 5 % loss.
// round-trips/frame counts Bob's requests; the ratio of the two ns/op is
// the cost of the link.
//
//	go test -run='^$' -bench=BenchmarkFrameImpairedLink -benchtime=3x ./bob/
func BenchmarkFrameImpairedLink(b *testing.B) {
	c := config.Default()
	c.SerialNumber = "bench"
	b.Run("loopback", func(b *testing.B) { benchLink(b, c, nil) })
	b.Run("20ms-1pct-loss", func(b *testing.B) {
		benchLink(b, c, &impair.Link{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.01})
	})
	b.Run("50ms-5pct-loss", func(b *testing.B) {
		benchLink(b, c, &impair.Link{Delay: 50 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.05})
	})
}

// counting counts the requests a Conn sends.
type counting struct {
	Conn
	n, bytes int
}

func (c *counting) Request(ctx context.Context, code messages.Code, content []byte) (transport.Message, error) {
	c.n++
	m, err := c.Conn.Request(ctx, code, content)
	c.bytes += len(content) + len(m.Content)
	return m, err
}

func benchLink(b *testing.B, c *config.Config, link *impair.Link) {
	l, d := listen(b, "tcp")
	startAlice(b, c, l)
	if link != nil {
		r, err := impair.New(l.Addr().String(), *link)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { r.Close() })
		d = transport.DialerFunc(func(ctx context.Context) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, "tcp", r.Addr())
		})
	}
	var cc *counting
	drv, _ := newBob(b, c, d, func(o *Options) {
		cc = &counting{Conn: o.Conn}
		o.Conn = cc
		o.Config.RequestTimeout = 2 * time.Minute
	})
	ctx := context.Background()
	if _, err := drv.RunFrame(ctx); err != nil && Fatal(err) { // identification and warm-up
		b.Fatal(err)
	}
	cc.n, cc.bytes = 0, 0
	completed := 0
	phases := map[Phase]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := drv.RunFrame(ctx)
		if err != nil && Fatal(err) {
			b.Fatal(err)
		} else if err == nil {
			completed++
		}
		for _, p := range s.Phases {
			phases[p.Phase] += p.Duration
		}
	}
	b.StopTimer()
	if completed == 0 {
		b.Fatal("no frame completed")
	}
	reportPhases(b, phases)
	b.ReportMetric(float64(cc.n)/float64(b.N), "round-trips/frame")
	b.ReportMetric(float64(cc.bytes)/float64(b.N)/1e6, "content-MB/frame")
	b.ReportMetric(float64(completed)/float64(b.N), "completed/frame")
}
