package bob

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/states"
)

// Key recovery: a key is never final on one side only.
//
// Bob writes a frame's key durably as pending (in the directory next to his
// key directory named with PendingSuffix) before he sends FRAME_ENDED, and makes it final only when
// FRAME_ENDED_ACK for that frame arrives; Alice writes hers, durably, before
// she answers FRAME_ENDED_ACK. When the answer never comes (link lost,
// timeout, crash), or is an ABORT that promises nothing, the pending key
// stays, and Bob asks again once identified: FRAME_ENDED for that UUID in
// state identified. FRAME_ENDED_ACK for it makes the key final; an ABORT
// naming the frame (Alice holds no key and promises never to write one)
// deletes it; any other outcome keeps it for the next attempt. A crash at
// any point leaves either a pending key that the next run resolves, or a
// final key that both sides hold.

// PendingSuffix names the directory that holds Bob's keys awaiting Alice's
// confirmation: next to the key directory, "keys" → "keys.pending", so that
// the key directory only ever holds final keys.
const PendingSuffix = ".pending"

// ErrPendingUnresolved is wrapped by ResolvePending when a pending key could
// not be settled this time (no definite answer from Alice).
var ErrPendingUnresolved = errors.New("bob: pending key not resolved")

// Pending returns the frames whose key awaits Alice's confirmation.
func (d *Driver) Pending() ([]uuid.UUID, error) {
	entries, err := os.ReadDir(d.pending.Dir())
	if err != nil {
		return nil, fmt.Errorf("bob: reading pending keys: %w", err)
	}
	var out []uuid.UUID
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), keystore.Suffix)
		if !ok || e.IsDir() {
			continue
		}
		id, err := uuid.Parse(name)
		if err != nil {
			continue
		}
		out = append(out, id)
	}
	return out, nil
}

// ResolvePending asks Alice about every pending key (identifying first when
// the session is not identified) and makes each final or deletes it as she
// answers. It returns how many became final and how many were deleted; the
// error says why some remain pending (they are asked about again next
// time). It does nothing while a frame is in progress.
func (d *Driver) ResolvePending(ctx context.Context) (promoted, deleted int, err error) {
	ids, err := d.Pending()
	if err != nil || len(ids) == 0 {
		return 0, 0, err
	}
	for _, id := range ids {
		// Made final before a crash removed the pending copy (or before
		// the key database could take it: Settle completes it).
		if ok, err := d.keys.Settle(ctx, id); err != nil {
			return promoted, deleted, fmt.Errorf("%w: %w", ErrPendingUnresolved, err)
		} else if ok {
			if err := d.removePending(id); err != nil {
				return promoted, deleted, err
			}
			promoted++
			continue
		}
		f := &frame{d: d, ctx: ctx, sum: &Summary{}}
		if d.tracker.State() == states.Connected {
			if err := f.identify(); err != nil {
				return promoted, deleted, fmt.Errorf("%w: %w", ErrPendingUnresolved, err)
			}
		}
		if s := d.tracker.State(); s != states.Identified {
			return promoted, deleted, fmt.Errorf("%w: session in state %s", ErrPendingUnresolved, s)
		}
		code, c, err := f.request(PhaseFrameEnd, messages.FrameEnded, &messages.FrameEndedContent{FrameUUID: id})
		switch {
		case err == nil && code == messages.FrameEndedAck && ackFor(c, id):
			if _, err := d.promote(ctx, id, nil); err != nil {
				return promoted, deleted, err
			}
			promoted++
			d.log.Info().Str(logging.FieldFrame, id.String()).Msg("pending key confirmed by Alice: final")
		case err != nil && refusedFor(f.lastContent, id):
			if err := d.removePending(id); err != nil {
				return promoted, deleted, err
			}
			deleted++
			d.log.Warn().Str(logging.FieldFrame, id.String()).Msg("Alice holds no key for this frame: pending key deleted")
		case err != nil:
			return promoted, deleted, fmt.Errorf("%w: frame %s: %w", ErrPendingUnresolved, id, err)
		default:
			return promoted, deleted, fmt.Errorf("%w: frame %s: %s", ErrPendingUnresolved, id,
				f.invalidResponse(messages.FrameEnded, code, "frame_uuid is not "+id.String()))
		}
	}
	return promoted, deleted, nil
}

// resolveBestEffort runs ResolvePending when keys are pending and the
// session can carry it, and logs the outcome.
func (d *Driver) resolveBestEffort(ctx context.Context) {
	ids, err := d.Pending()
	if err != nil {
		d.log.Error().Err(err).Msg("pending keys")
		return
	}
	if len(ids) == 0 {
		return
	}
	if s := d.tracker.State(); s != states.Connected && s != states.Identified {
		return
	}
	p, del, err := d.ResolvePending(ctx)
	ev := d.log.Info()
	if err != nil {
		ev = d.log.Warn().AnErr("error", err)
	}
	ev.Int("final", p).Int("deleted", del).Int("pending", len(ids)-p-del).Msg("pending keys resolved with Alice")
}

// ackFor reports whether c is FRAME_ENDED_ACK for frame id.
func ackFor(c messages.Content, id uuid.UUID) bool {
	ack, _ := c.(*messages.FrameEndedAckContent)
	return ack != nil && ack.FrameUUID == id
}

// refusedFor reports whether c is Alice's ABORT promising that she holds no
// key for frame id.
func refusedFor(c messages.Content, id uuid.UUID) bool {
	a, _ := c.(*messages.AbortContent)
	return a != nil && a.FrameUUID == id
}

// promote makes a pending key final: written (durably) to the key store
// (key file, then key database with est when one is attached), then the
// pending copy removed. A final key already there is the same key promoted
// before a crash; the key database is completed from it (Settle). When the
// key database fails the pending copy stays, and ResolvePending completes
// the promotion later.
func (d *Driver) promote(ctx context.Context, id uuid.UUID, est map[string]float64) (string, error) {
	key, err := d.pending.Read(id)
	if err != nil {
		return "", fmt.Errorf("bob: reading pending key %s: %w", id, err)
	}
	path, err := d.keys.WriteFinal(ctx, id, key, est)
	if errors.Is(err, keystore.ErrExists) {
		path = d.keys.Path(id)
		_, err = d.keys.Settle(ctx, id)
	}
	if err != nil {
		return "", fmt.Errorf("bob: making key %s final: %w", id, err)
	}
	if d.refill != nil {
		// Alice holds the key: the pool may send with its segment.
		if err := d.refill.Confirm(id); err != nil {
			return "", fmt.Errorf("bob: confirming the authentication pool's segment of %s: %w", id, err)
		}
	}
	return path, d.removePending(id)
}

func (d *Driver) removePending(id uuid.UUID) error {
	if err := os.Remove(d.pending.Path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("bob: removing pending key %s: %w", id, err)
	}
	return nil
}

// PendingDir is where the pending keys of a key store live.
func PendingDir(keys *keystore.Store) string { return filepath.Clean(keys.Dir()) + PendingSuffix }
