// Command qosst-bob runs Bob, the QOSST client of a CV-QKD link: it connects
// to Alice and drives whole frames (identification, initialization,
// quantum information exchange, parameter estimation, error correction,
// privacy amplification, end of frame), writing each frame's final key to
// the key directory, then disconnects. It measures on the simulated optical
// link or (simulation.enabled = false) the real instruments of
// [instruments.bob] driven over SCPI sockets. With no configuration file it
// runs on built-in defaults: the simulated link, the None authenticator,
// 127.0.0.1:8181.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/bob"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/kme"
	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/monitor"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newCommand(os.Stderr, os.Stdout).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "qosst-bob:", err)
		os.Exit(1)
	}
}

// newCommand builds the command: logs go to logOut, the per-frame report
// to out.
func newCommand(logOut, out io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "qosst-bob",
		Short: "Bob, the QOSST client of a CV-QKD link",
		Long: "qosst-bob connects to Alice and runs --frames frames (0: until SIGINT or SIGTERM), writing each\n" +
			"frame's final key to the key directory, then sends DISCONNECTION. It prints one summary line per\n" +
			"frame. A dropped frame (Alice's abort, parameter estimation denied, no key) does not stop the\n" +
			"run; a suspected man-in-the-middle, an incompatible or incomplete peer, or a lost connection does.\n" +
			"Hardware: the simulated optical link, or with simulation.enabled = false (--set simulation.enabled=false)\n" +
			"the SCPI instruments of [instruments.bob] (digitizer, local_oscillator, polarisation_controller),\n" +
			"reached within instruments.connect_timeout.\n" +
			"Configuration: built-in defaults, then --config FILE, then --set key=value, then the other flags.",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	fl := config.NewFlags(cmd.Flags())
	fl.HostPort("connect", "bob.network", "Alice's HOST:PORT (bob.network.server_address/server_port)")
	fl.Bind("frames", "bob.run.frames", "frames to run; 0 runs until stopped (bob.run.frames)")
	fl.BindStation("Bob", "Alice")
	fl.Bind("symbols", "frame.quantum.num_symbols", "symbols per frame asked of Alice (frame.quantum.num_symbols)")
	fl.Bind("pe-ratio", "bob.parameters_estimation.ratio", "fraction of the symbols disclosed for parameter estimation (bob.parameters_estimation.ratio)")
	fl.Bind("pe-mode", "bob.parameters_estimation.mode", "parameter estimation: asymptotic or finite-size (bob.parameters_estimation.mode)")
	fl.Bind("symbol-requests", "bob.run.symbol_requests", "sub-frames sampled for PE, sent in as few PE_SYMBOLS_REQUESTs as limits.max_content allows (bob.run.symbol_requests)")
	fl.Bind("reconnects", "bob.run.reconnects", "lost connections in a row to ride out, dropping the frame in progress and going on with the next; 0 ends the run at the first (bob.run.reconnects)")
	fl.Bind("reconnect-backoff", "bob.run.reconnect_backoff", "first wait before reconnecting, doubled at each loss in a row up to 10s (bob.run.reconnect_backoff)")
	fl.Bind("polarisation-recovery", "bob.run.polarisation_recovery", "run polarisation recovery in each frame (bob.run.polarisation_recovery)")
	fl.Bind("max-auth-failures", "authentication.max_failures", "authentication failures in a row before concluding man-in-the-middle (authentication.max_failures)")
	fl.Bind("kme-listen", "kme.listen", "HOST:PORT of the embedded ETSI GS QKD 014 key delivery while Bob runs; the other [kme] keys set its TLS files and SAEs (kme.listen)")
	fl.Bind("noise-seed", "simulation.noise_seed", "seed of the simulated receiver noise; 0 draws fresh randomness (simulation.noise_seed)")
	asJSON := cmd.Flags().Bool("json", false, "print each frame's summary as one JSON object per line on stdout, and nothing else")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := fl.Load()
		if err != nil {
			return err
		}
		return run(cmd.Context(), cfg, logOut, out, *asJSON)
	}
	return cmd
}

// run runs Bob. Each frame's summary is printed to out as the frame ends
// (a line, or a JSON object with asJSON); when logOut is a terminal, a
// status line there shows the phase and progress of the frame in progress.
func run(ctx context.Context, cfg *config.Config, logOut, out io.Writer, asJSON bool) error {
	maddr, err := cfg.Monitor.Addr()
	if err != nil {
		return err
	}
	status := newStatus(logOut, logging.IsTerminal(logOut))
	log, err := cfg.Logger(status, "bob")
	if err != nil {
		return err
	}
	st, err := bob.NewStationContext(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if k := cfg.KME; k.Listen != "" { // key delivery to Bob's SAE (docs/keys.md)
		e, err := kme.StartEmbedded(ctx, kme.Config{Side: kme.SideBob, SAEID: k.SAEID, PeerSAEID: k.PeerSAEID, KeySize: k.KeySize,
			MaxKeyPerRequest: k.MaxKeyPerRequest, DB: st.Keys.DB(), Logger: log}, k.Listen, k.Cert, k.Key, k.ClientCA)
		if err != nil {
			return err
		}
		defer e.Stop()
	}
	if cfg.Simulation.Enabled {
		log.Info().Str("detection", cfg.Frame.Quantum.Detection).Msg("receiver: simulated link")
	} else {
		b := cfg.Instruments.Bob
		log.Info().Str("digitizer", b.Digitizer).Str("local_oscillator", b.LocalOscillator).
			Str("polarisation_controller", b.PolarisationController).Str("detection", cfg.Frame.Quantum.Detection).
			Msg("receiver: SCPI instruments")
	}
	mon, stopMonitor, err := monitor.Launch(ctx, maddr, monitor.Bob, log)
	if err != nil {
		return err
	}
	defer stopMonitor()
	obs := observers{status, &reporter{out: out, json: asJSON, status: status}}
	if mon != nil {
		obs = append(obs, mon.Bob())
		mon.SetSessions(1)
		defer mon.SetSessions(0)
	}
	st.Driver.Observe(obs)
	log.Info().Str("connect", cfg.Bob.Network.Connect()).Int("frames", cfg.Bob.Run.Frames).
		Str("keys", st.Keys.Dir()).Msg("bob starting")
	sums, err := st.Driver.Run(ctx, cfg.Bob.Run.Frames)
	completed := 0
	for _, s := range sums {
		if s.Completed() {
			completed++
		}
	}
	if asJSON {
		log.Info().Int("completed", completed).Int("frames", len(sums)).Str("keys", st.Keys.Dir()).Msg("bob done")
	} else {
		fmt.Fprintf(out, "%d of %d frames completed; keys in %s\n", completed, len(sums), st.Keys.Dir())
	}
	if err != nil {
		return err
	}
	if ctx.Err() == nil && completed == 0 && len(sums) > 0 {
		return errors.New("no frame completed")
	}
	return nil
}
