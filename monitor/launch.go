package monitor

import (
	"context"

	"github.com/rs/zerolog"
)

// Launch is how a station binary starts its monitor: a Monitor for station
// serving on addr (nil and a no-op stop when addr is empty) until ctx
// ends or stop is called; stop returns once the server has stopped. The
// address is logged at info level.
func Launch(ctx context.Context, addr, station string, log zerolog.Logger) (mon *Monitor, stop func(), err error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	mon = New(Options{Station: station})
	ctx, cancel := context.WithCancel(ctx)
	a, wait, err := mon.Start(ctx, addr)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	log.Info().Str("monitor", "http://"+a.String()+"/").Msg("monitor listening")
	return mon, func() {
		cancel()
		if err := wait(); err != nil {
			log.Warn().Err(err).Msg("monitor stopped")
		}
	}, nil
}
