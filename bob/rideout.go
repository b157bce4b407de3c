package bob

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
)

// maxReconnectBackoff caps the wait between reconnection attempts.
const maxReconnectBackoff = 10 * time.Second

// rideOut decides, after a frame, whether Run goes on after a lost
// connection: the frame was dropped (on Alice's side too: her session
// ended), and unless Config.Reconnects losses in a row are reached, Bob
// waits a backoff and the next frame starts on a new connection,
// unidentified. lost counts the losses in a row; a frame that did not lose
// the connection resets it. It reports true when Run must go on.
func (d *Driver) rideOut(ctx context.Context, err error, lost *int) bool {
	if !errors.Is(err, messages.ErrDisconnected) && !errors.Is(err, ErrServerBusy) || errors.Is(err, errContext) || ctx.Err() != nil {
		*lost = 0
		return false
	}
	if errors.Is(err, ErrNoAnswer) {
		// A peer that stops answering is not waited for again.
		d.log.Error().Err(err).Msg("Alice stopped answering: ending the run")
		return false
	}
	if *lost >= d.cfg.Reconnects {
		d.log.Error().Int("lost_in_a_row", *lost+1).Int("reconnects", d.cfg.Reconnects).Err(err).
			Msg("connection lost or server busy again: giving up")
		return false
	}
	*lost++
	wait := min(d.cfg.ReconnectBackoff<<(*lost-1), maxReconnectBackoff)
	if wait < 0 {
		wait = maxReconnectBackoff
	}
	if errors.Is(err, ErrServerBusy) {
		// Alice closes the connection after that answer: so does Bob, so
		// that the next frame dials again.
		if sc, ok := d.conn.(interface{ Session() *transport.Session }); ok {
			if s := sc.Session(); s != nil {
				s.Close()
			}
		}
	}
	d.tracker.Reset() // a new connection starts unidentified
	d.log.Warn().Int("attempt", *lost).Int("reconnects", d.cfg.Reconnects).Dur("backoff", wait).
		Str(logging.FieldState, string(d.tracker.State())).Err(err).
		Msg("frame dropped (connection lost or server busy): reconnecting")
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// busy turns an identification answered ABORT "server busy" into an error
// wrapping ErrServerBusy (Run then backs off and retries as after a lost
// connection; Alice closes the connection after that answer).
func busy(err error) error {
	var pe *PhaseError
	if errors.As(err, &pe) && pe.Response == messages.Abort && strings.HasPrefix(pe.Message, "server busy") {
		pe.Err = fmt.Errorf("%w: %w", ErrServerBusy, pe.Err)
		pe.Message = logging.Truncate(pe.Message)
	}
	return err
}

// noAnswer reports whether a request failed because Alice did not answer in
// time: its own deadline (RequestTimeout) or the session's.
func noAnswer(ctx context.Context, err error) bool {
	return errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, transport.ErrTimeout)
}
