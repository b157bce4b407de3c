package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/bob"
	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/hardware/sim"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/station"
)

// demoOptions are the flags of qosst demo.
type demoOptions struct {
	frames    int
	symbols   int
	peRatio   float64
	out       string
	logLevel  string
	logFormat string
	sets      []string // key=value overrides of the station configuration
}

func init() {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Alice and Bob over loopback TCP on the simulated link: a few frames, keys compared",
		Long: "demo starts Alice and Bob in this process, connected over loopback TCP, on the default simulated\n" +
			"short link (heterodyne, T = 0.9, xi = 0.01, eta = 0.8, v_el = 0.05, Va = 4, 100 MBd) with the\n" +
			"station defaults (10^6 symbols per frame, half of them for finite-size parameter estimation at\n" +
			"epsilon = 1e-10, multidimensional reconciliation), runs a few whole frames and prints, per frame,\n" +
			"the estimated T, xi and v_el, the key rate, the EC blocks, the key length, the time of each\n" +
			"phase, and whether Alice's and Bob's key files are identical.\n" +
			"The key files go to a temporary directory that is removed at the end, unless --out is given.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := runDemo(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.frames, "frames", 3, "frames to run")
	f.IntVar(&o.symbols, "symbols", 1_000_000, "symbols per frame")
	f.Float64Var(&o.peRatio, "pe-ratio", 0.5, "fraction of the symbols disclosed for parameter estimation")
	f.StringVar(&o.out, "out", "", "directory that keeps the key files (alice/ and bob/ inside); a removed temporary directory when empty")
	f.StringVar(&o.logLevel, "log-level", "warn", "log level of both stations: trace, debug, info, warn, error")
	f.StringVar(&o.logFormat, "log-format", "console", "log format: console or json")
	f.StringArrayVar(&o.sets, "set", nil, "override one configuration key of both stations, e.g. --set simulation.distance_km=25 (repeatable)")
	rootCmd.AddCommand(cmd)
}

// demoConfig is the station configuration both sides of the demo share.
func demoConfig(o demoOptions, dir string) (*config.Config, error) {
	c := config.Default()
	c.SerialNumber = "qosst-demo"
	c.Frame.Quantum.NumSymbols = o.symbols
	c.Bob.ParametersEstimation.Ratio = o.peRatio
	c.Bob.Run.Frames = o.frames
	c.Logging.Level = o.logLevel
	c.Logging.Format = o.logFormat
	c.Keys.OutputDir = dir
	if o.frames < 1 {
		return nil, fmt.Errorf("--frames %d: want at least 1", o.frames)
	}
	for _, s := range o.sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("--set %q: want key=value", s)
		}
		if err := c.SetString(strings.TrimSpace(k), v); err != nil {
			return nil, fmt.Errorf("--set: %w", err)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// demoResult is what a demo run found.
type demoResult struct {
	summaries  []*bob.Summary
	matched    int // completed frames with byte-identical key files
	mismatched int // completed frames whose key files differ or are missing
}

// runDemo runs the demo. It fails when the run stopped on an error, when a
// completed frame's key files differ, or when no frame completed (a frame
// dropped for a statistical reason, e.g. PE_DENIED, is reported, not an
// error).
func runDemo(ctx context.Context, o demoOptions, out, logOut io.Writer) (res demoResult, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	dir := o.out
	if dir == "" {
		tmp, err := os.MkdirTemp("", "qosst-demo-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	cfg, err := demoConfig(o, dir)
	if err != nil {
		return res, err
	}
	aliceCfg, bobCfg := cfg.Clone(), cfg.Clone()
	aliceCfg.Keys.OutputDir = filepath.Join(dir, "alice")
	bobCfg.Keys.OutputDir = filepath.Join(dir, "bob")

	// Alice.
	alog, err := logging.New(logOut, cfg.Logging.Format, cfg.Logging.Level, "alice")
	if err != nil {
		return res, err
	}
	em, err := sim.NewEmitter(station.SimConfig(aliceCfg))
	if err != nil {
		return res, err
	}
	defer em.Close()
	aliceKeys, err := keystore.OpenStation(ctx, aliceCfg.Keys.OutputDir, aliceCfg.Keys.Store, "alice", aliceCfg.KME.KeySize)
	if err != nil {
		return res, err
	}
	defer aliceKeys.Close()
	srv, err := alice.New(alice.Options{Config: aliceCfg, Emitter: em, Keys: aliceKeys, Logger: alog})
	if err != nil {
		return res, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	actx, stopAlice := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(actx, l) }()
	defer func() {
		stopAlice()
		if serr := <-served; serr != nil && err == nil {
			err = fmt.Errorf("alice: %w", serr)
		}
	}()

	// Bob.
	addr := l.Addr().(*net.TCPAddr)
	bobCfg.Bob.Network.ServerAddress = addr.IP.String()
	bobCfg.Bob.Network.ServerPort = addr.Port
	blog, err := logging.New(logOut, cfg.Logging.Format, cfg.Logging.Level, "bob")
	if err != nil {
		return res, err
	}
	st, err := bob.NewStation(bobCfg, blog, nil)
	if err != nil {
		return res, err
	}
	defer st.Close()

	sc := cfg.Simulation
	fmt.Fprintf(out, "QOSST demo: Alice and Bob over loopback TCP %s\n", l.Addr())
	fmt.Fprintf(out, "simulated link: %s, T = %g, xi = %g, eta = %g, v_el = %g, Va = %g; %d symbols per frame at %g MBd\n",
		cfg.Detection(), sc.Transmittance, sc.ExcessNoise, sc.Eta, sc.ElectronicNoise,
		cfg.Frame.Quantum.ModulationVariance, o.symbols, cfg.Frame.Quantum.SymbolRate/1e6)
	fmt.Fprintf(out, "parameter estimation: %s (epsilon %g) on %g of the symbols; %s reconciliation\n",
		cfg.Bob.ParametersEstimation.Mode, cfg.Bob.ParametersEstimation.Epsilon, o.peRatio, cfg.Bob.ErrorCorrection.Reconciliation)
	start := time.Now()
	sums, runErr := st.Driver.Run(ctx, o.frames)
	res.summaries = sums
	for i, s := range sums {
		fmt.Fprintf(out, "\nframe %d  %s\n", i+1, s.Frame)
		fmt.Fprintf(out, "  estimated  T = %.4f  xi = %.4f  v_el = %.4f  (n_photon %.3g, %d PE symbols)\n",
			s.Transmittance, s.ExcessNoise, s.ElectronicNoise, s.NPhoton, s.PESymbols)
		fmt.Fprintf(out, "  key rate   %s (%s, announced in PE_FINISHED)\n", rate(s.KeyRate), cfg.Bob.ParametersEstimation.Mode)
		if s.ECBlocks > 0 {
			fmt.Fprintf(out, "  EC         %d/%d blocks decoded, beta = %.3f, %d reconciled bits\n",
				s.ECBlocksOK, s.ECBlocks, s.Beta, s.ReconciledBits)
		}
		fmt.Fprintf(out, "  time       %s\n", phaseTimes(s))
		if s.Err != nil {
			fmt.Fprintf(out, "  DROPPED    %v\n", s.Err)
			continue
		}
		ak, aerr := aliceKeys.Read(s.Frame)
		bk, berr := st.Keys.Read(s.Frame)
		switch {
		case aerr != nil || berr != nil:
			res.mismatched++
			fmt.Fprintf(out, "  key        MISSING (alice: %v, bob: %v)\n", aerr, berr)
		case !bytes.Equal(ak, bk):
			res.mismatched++
			fmt.Fprintf(out, "  key        MISMATCH: Alice %d bytes, Bob %d bytes\n", len(ak), len(bk))
		default:
			res.matched++
			fmt.Fprintf(out, "  key        %d bits; Alice's and Bob's key files are byte-identical\n", 8*len(bk))
		}
	}
	fmt.Fprintf(out, "\n%d of %d frames completed with identical keys in %s", res.matched, len(sums), time.Since(start).Round(time.Millisecond))
	if o.out != "" {
		fmt.Fprintf(out, "; key files in %s and %s", aliceKeys.Dir(), st.Keys.Dir())
	}
	fmt.Fprintln(out)
	switch {
	case runErr != nil:
		return res, runErr
	case res.mismatched > 0:
		return res, fmt.Errorf("%d frames with different or missing keys", res.mismatched)
	case res.matched == 0:
		return res, errNoFrame
	}
	return res, nil
}

// errNoFrame: every frame was dropped.
var errNoFrame = errors.New("no frame completed")

func rate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2f Mbit/s", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.2f kbit/s", r/1e3)
	}
	return fmt.Sprintf("%.0f bit/s", r)
}

func phaseTimes(s *bob.Summary) string {
	var parts []string
	for _, p := range s.Phases {
		parts = append(parts, fmt.Sprintf("%s %s", p.Phase, p.Duration.Round(100*time.Microsecond)))
	}
	parts = append(parts, "total "+s.Total.Round(time.Millisecond).String())
	return strings.Join(parts, ", ")
}
