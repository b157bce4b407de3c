// Command qosst-alice runs Alice, the QOSST server of a CV-QKD link: it
// serves Bob's sessions until SIGINT or SIGTERM, on the simulated optical
// link or (simulation.enabled = false) the real instruments of
// [instruments.alice]: a waveform generator and a power meter driven over
// SCPI sockets. With no configuration file it runs on built-in defaults: the
// simulated link, the None authenticator, 127.0.0.1:8181.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/kme"
	"github.com/qosst/qosst-go/monitor"
	"github.com/qosst/qosst-go/station"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newCommand(os.Stderr).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "qosst-alice:", err)
		os.Exit(1)
	}
}

// newCommand builds the command; ready, when not nil, receives the listen
// address once Alice accepts connections (tests).
func newCommand(logOut io.Writer) *cobra.Command {
	return newCommandReady(logOut, nil)
}

func newCommandReady(logOut io.Writer, ready chan<- string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "qosst-alice",
		Short: "Alice, the QOSST server of a CV-QKD link",
		Long: "qosst-alice serves Bob's QOSST sessions (identification, initialization, quantum information\n" +
			"exchange, parameter estimation, error correction, privacy amplification) and writes each\n" +
			"frame's final key to the key directory. It stops gracefully on SIGINT or SIGTERM.\n" +
			"Hardware: the simulated optical link, or with simulation.enabled = false (--set simulation.enabled=false)\n" +
			"the SCPI instruments of [instruments.alice] (awg, power_meter), reached within instruments.connect_timeout.\n" +
			"Configuration: built-in defaults, then --config FILE, then --set key=value, then the other flags.",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	fl := config.NewFlags(cmd.Flags())
	fl.HostPort("listen", "alice.network", "HOST:PORT to listen on (alice.network.bind_address/bind_port)")
	fl.BindStation("Alice", "Bob")
	fl.Bind("max-sessions", "alice.max_sessions", "concurrent sessions served (alice.max_sessions)")
	fl.Bind("kme-listen", "kme.listen", "HOST:PORT of the embedded ETSI GS QKD 014 key delivery; the other [kme] keys set its TLS files and SAEs (kme.listen)")
	fl.Bind("emitter-wait", "timeouts.emitter_wait", "how long a QIE_REQUEST waits for a busy emitter (timeouts.emitter_wait)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := fl.Load()
		if err != nil {
			return err
		}
		return run(cmd.Context(), cfg, logOut, ready)
	}
	return cmd
}

func run(ctx context.Context, cfg *config.Config, logOut io.Writer, ready chan<- string) error {
	log, err := cfg.Logger(logOut, "alice")
	if err != nil {
		return err
	}
	authn, err := station.Authenticator(cfg)
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	emitter, err := station.NewEmitter(ctx, cfg)
	if err != nil {
		return fmt.Errorf("emitter: %w", err)
	}
	defer emitter.Close()
	if cfg.Simulation.Enabled {
		log.Info().Str("detection", cfg.Frame.Quantum.Detection).Msg("emitter: simulated link")
	} else {
		log.Info().Str("awg", cfg.Instruments.Alice.AWG).Str("power_meter", cfg.Instruments.Alice.PowerMeter).
			Msg("emitter: SCPI instruments")
	}
	keys, err := keystore.OpenStation(ctx, cfg.Keys.OutputDir, cfg.Keys.Store, "alice", cfg.KME.KeySize)
	if err != nil {
		return err
	}
	defer keys.Close()
	if k := cfg.KME; k.Listen != "" { // key delivery to Alice's SAE (docs/keys.md)
		e, err := kme.StartEmbedded(ctx, kme.Config{Side: kme.SideAlice, SAEID: k.SAEID, PeerSAEID: k.PeerSAEID, KeySize: k.KeySize,
			MaxKeyPerRequest: k.MaxKeyPerRequest, DB: keys.DB(), Logger: log}, k.Listen, k.Cert, k.Key, k.ClientCA)
		if err != nil {
			return err
		}
		defer e.Stop()
	}
	opts := alice.Options{Config: cfg, Emitter: emitter, Keys: keys, Authenticator: authn, Logger: log}
	maddr, err := cfg.Monitor.Addr()
	if err != nil {
		return err
	}
	mon, stopMonitor, err := monitor.Launch(ctx, maddr, monitor.Alice, log)
	if err != nil {
		return err
	}
	defer stopMonitor()
	if mon != nil {
		opts.Observer = mon.Alice()
	}
	srv, err := alice.New(opts)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Alice.Network.Listen())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if ready != nil {
		ready <- l.Addr().String()
	}
	if err := srv.Serve(ctx, l); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
