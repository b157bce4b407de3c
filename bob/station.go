package bob

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/messages"
	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/station"
	"github.com/qosst/qosst-go/transport"
	"github.com/qosst/qosst-go/transport/auth"
)

// FromStation returns the driver configuration of a station configuration
// file: serial_number, [frame.quantum] (detection included), bob.eta,
// [bob.parameters_estimation], [bob.run],
// bob.error_correction.reconciliation (through WithStation),
// authentication.max_failures, timeouts.response, limits.max_symbols and
// limits.max_content.
func FromStation(c *config.Config) Config {
	out := DefaultConfig()
	if c.SerialNumber != "" {
		out.SerialNumber = c.SerialNumber
	}
	q := c.Frame.Quantum
	out.Frame = FrameParams{NumSymbols: q.NumSymbols, SymbolRate: q.SymbolRate,
		Detection: c.Detection().String(), Variance: q.ModulationVariance}
	if c.Limits.MaxSymbols > 0 {
		out.Policy.MaxSymbols = c.Limits.MaxSymbols
	}
	if out.Policy.MinSymbols > q.NumSymbols {
		out.Policy.MinSymbols = q.NumSymbols
	}
	out.Eta = c.Bob.Eta
	out.PERatio = c.Bob.ParametersEstimation.Ratio
	if m, err := pp.ParsePEMode(c.Bob.ParametersEstimation.Mode); err == nil {
		out.PEMode = m
	}
	out.PEEpsilon = c.Bob.ParametersEstimation.Epsilon
	if c.Bob.Run.SymbolRequests > 0 {
		out.PERequests = c.Bob.Run.SymbolRequests
	}
	out.PolarisationRecovery = c.Bob.Run.PolarisationRecovery
	out.Reconnects = c.Bob.Run.Reconnects
	out.ReconnectBackoff = c.Bob.Run.ReconnectBackoff.Duration
	if c.Authentication.MaxFailures > 0 {
		out.MaxAuthFailures = c.Authentication.MaxFailures
	}
	out.RequestTimeout = c.Timeouts.Response.Duration
	out.MaxContent = c.Limits.MaxContent
	return out.WithStation(c)
}

// Station is Bob's station built from a configuration: the driver, the
// connection to Alice, the receiver (with the polarisation controller) and
// the key store.
type Station struct {
	Driver   *Driver
	Client   *transport.Client
	Receiver hardware.Receiver
	Keys     *keystore.Store

	hw *station.Receiver
}

// NewStation is NewStationContext with a background context (the start-up
// of real instruments is still bounded by instruments.connect_timeout).
func NewStation(c *config.Config, log zerolog.Logger, dialer transport.Dialer) (*Station, error) {
	return NewStationContext(context.Background(), c, log, dialer)
}

// NewStationContext wires Bob from a validated station configuration: the
// receiver and polarisation controller (the simulated link's when
// simulation.enabled, else the SCPI instruments of [instruments.bob],
// reached within instruments.connect_timeout or ctx: a missing address is
// a *config.FieldError, an instrument that cannot be reached or does not
// identify a *station.InstrumentError wrapping hardware.ErrNoDevice), the
// key store in keys.output_dir, and a client to bob.network (or to dialer
// when not nil) with the configured authenticator, limits and timeouts.
// When the connection drops, the client reconnects once, Bob identifies
// again on the fresh session and the pending request is resent (Alice,
// unidentified there, then refuses it and the frame is dropped; the run
// goes on).
func NewStationContext(ctx context.Context, c *config.Config, log zerolog.Logger, dialer transport.Dialer) (*Station, error) {
	authn, err := station.Authenticator(c)
	if err != nil {
		return nil, fmt.Errorf("authentication: %w", err)
	}
	if dialer == nil {
		ep, err := transport.ParseEndpoint(c.Bob.Network.Connect())
		if err != nil {
			return nil, err
		}
		dialer = ep
	}
	hw, err := station.NewReceiver(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("receiver: %w", err)
	}
	keys, err := keystore.OpenStation(ctx, c.Keys.OutputDir, c.Keys.Store, "bob", c.KME.KeySize)
	if err != nil {
		hw.Close()
		return nil, err
	}
	var drv *Driver
	client := transport.NewClient(dialer, transport.ClientOptions{
		Session: transport.Options{
			Authenticator: authn,
			Limits:        messages.Limits{MaxContent: c.Limits.MaxContent},
			IdleTimeout:   c.Timeouts.Response.Duration,
			WriteTimeout:  c.Timeouts.Write.Duration,
		},
		OnReconnect: func(ctx context.Context, s *transport.Session) error { return drv.OnReconnect(ctx, s) },
	})
	refill, _ := authn.(auth.Refiller)
	drv, err = New(Options{Config: FromStation(c), Conn: client, Receiver: hw.Receiver, Polarisation: hw.Polarisation, Keys: keys, Refiller: refill,
		Logger: logging.Session(log, uuid.NewString()[:8], dialerName(dialer))})
	if err != nil {
		client.Close()
		hw.Close()
		keys.Close()
		return nil, err
	}
	return &Station{Driver: drv, Client: client, Receiver: hw.Receiver, Keys: keys, hw: hw}, nil
}

func dialerName(d transport.Dialer) string {
	if s, ok := d.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", d)
}

// Close closes the connection, the receiver and the polarisation
// controller.
func (s *Station) Close() error {
	return errors.Join(s.Client.Close(), s.hw.Close(), s.Keys.Close())
}

// OnReconnect identifies Bob on a fresh session that replaced a dropped one
// (transport.ClientOptions.OnReconnect): Alice starts the new connection
// unidentified, and so does Bob's view of the session.
func (d *Driver) OnReconnect(ctx context.Context, s *transport.Session) error {
	d.tracker.Reset()
	d.log.Warn().Msg("connection replaced: identifying again")
	raw, err := messages.EncodeContent(&messages.IdentificationRequestContent{SerialNumber: d.cfg.SerialNumber, QOSSTVersion: messages.QOSSTVersion})
	if err != nil {
		return err
	}
	if err := s.SendContext(ctx, messages.IdentificationRequest, raw); err != nil {
		return err
	}
	m, err := s.RecvContext(ctx)
	if err != nil {
		return err
	}
	if _, err := d.tracker.Receive(messages.IdentificationRequest, m.Code); err != nil {
		return err
	}
	if m.Code == messages.Abort {
		c, _ := m.Decode()
		return busy(&PhaseError{Phase: PhaseIdentification, Request: messages.IdentificationRequest, Response: m.Code,
			Message: peerMessage(c), Err: ErrAborted})
	}
	if m.Code != messages.IdentificationResponse {
		return fmt.Errorf("%w: identification answered %s", ErrVersion, m.Code)
	}
	return nil
}
