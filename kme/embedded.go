package kme

import (
	"context"
	"fmt"
	"net"
)

// Embedded is a KME running next to a station (its [kme] listen key), over
// the station's own key database, until Stop.
type Embedded struct {
	addr   net.Addr
	cancel context.CancelFunc
	done   chan error
}

// StartEmbedded checks cfg, loads the TLS files, listens on listen and
// serves until ctx ends or Stop. It logs the address with cfg.Logger.
func StartEmbedded(ctx context.Context, cfg Config, listen, certFile, keyFile, clientCA string) (*Embedded, error) {
	srv, err := New(cfg)
	if err != nil {
		return nil, err
	}
	tc, err := TLSConfig(certFile, keyFile, clientCA)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("kme: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	e := &Embedded{addr: ln.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { e.done <- srv.Serve(ctx, ln, tc) }()
	cfg.Logger.Info().Str("kme_listen", ln.Addr().String()).Str("sae_id", cfg.SAEID).Str("peer_sae_id", cfg.PeerSAEID).
		Int("key_size", srv.cfg.KeySize).Msg("key delivery serving")
	return e, nil
}

// Addr is where the KME listens.
func (e *Embedded) Addr() string { return e.addr.String() }

// Stop shuts the KME down and waits for it.
func (e *Embedded) Stop() error {
	e.cancel()
	return <-e.done
}
