package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// pointsOptions are the flags of qosst skr-points.
type pointsOptions struct {
	distances []float64
	frames    int
	symbols   int
	peMode    string
	out       string
	note      string
	append    bool
	sets      []string
}

func init() { rootCmd.AddCommand(newSkrPointsCmd()) }

func newSkrPointsCmd() *cobra.Command {
	var o pointsOptions
	cmd := &cobra.Command{
		Use:   "skr-points",
		Short: "Run frames at several fiber lengths and write them as the points file of skr-curve (CSV)",
		Long: `skr-points runs, for each --distances length of simulated fiber, --frames whole frames
of Alice and Bob over loopback TCP (the machinery of qosst demo, on the demo link with
simulation.distance_km set) and writes one CSV line per frame: distance_km, the β that
error correction reached (0 when the frame ended before it), the final key bits per
symbol of the frame (0 when it was dropped), the frame's symbols and the parameter-
estimation mode; --append adds them to an existing file; --set overrides the
configuration of both stations, as qosst demo's does (its values are written in
the comment line above the points). qosst skr-curve --points draws them.`,
		Example: `  qosst skr-points --distances 2.3,10,25 --frames 2 --symbols 1000000 --out docs/skr-points.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.distances) == 0 || o.frames < 1 {
				return errors.New("skr-points: want at least one distance and one frame")
			}
			var b bytes.Buffer
			var old []byte
			if o.append && o.out != "-" {
				data, err := os.ReadFile(o.out)
				if err != nil {
					return fmt.Errorf("skr-points: --append: %w", err)
				}
				if _, err := readSKRPoints(bytes.NewReader(data)); err != nil {
					return fmt.Errorf("skr-points: --append to %s: %w", o.out, err)
				}
				old = data
			}
			if old == nil {
				b.WriteString("# Measured frames of the demo link (heterodyne, Va = 4, ξ = 0.01, η = 0.8, v_el = 0.05, 0.2 dB/km)\n")
			}
			var ds []string
			for _, km := range o.distances {
				ds = append(ds, strconv.FormatFloat(km, 'g', -1, 64))
			}
			b.WriteString(fmt.Sprintf("# qosst skr-points --distances %s --frames %d --symbols %d --pe-mode %s",
				strings.Join(ds, ","), o.frames, o.symbols, o.peMode))
			for _, s := range o.sets {
				b.WriteString(" --set " + s)
			}
			b.WriteString("\n")
			if o.note != "" {
				for _, l := range strings.Split(o.note, "\n") {
					b.WriteString("# " + l + "\n")
				}
			}
			if old == nil {
				b.WriteString("distance_km,beta,key_bits_per_symbol,symbols,pe_mode\n")
			}
			for _, km := range o.distances {
				d := demoOptions{frames: o.frames, symbols: o.symbols, peRatio: 0.5, logLevel: "error", logFormat: "console",
					sets: append([]string{"simulation.distance_km=" + strconv.FormatFloat(km, 'g', -1, 64), "bob.parameters_estimation.mode=" + o.peMode}, o.sets...)}
				res, err := runDemo(cmd.Context(), d, io.Discard, cmd.ErrOrStderr())
				if err != nil && !errors.Is(err, errNoFrame) {
					return fmt.Errorf("skr-points: %g km: %w", km, err)
				}
				for _, s := range res.summaries {
					bits := 0.0
					if s.Err == nil {
						bits = float64(s.KeyBits) / float64(s.Params.NumSymbols)
					}
					fmt.Fprintf(&b, "%g,%.4f,%.6g,%d,%s\n", km, s.Beta, bits, s.Params.NumSymbols, o.peMode)
					fmt.Fprintf(cmd.ErrOrStderr(), "%g km: β = %.4f, %d key bits, %v\n", km, s.Beta, s.KeyBits, s.Err)
				}
			}
			all := append(old, b.Bytes()...)
			if _, err := readSKRPoints(bytes.NewReader(all)); err != nil {
				return fmt.Errorf("skr-points: %w", err)
			}
			if o.out == "-" {
				_, err := cmd.OutOrStdout().Write(b.Bytes())
				return err
			}
			return os.WriteFile(o.out, all, 0o644)
		},
	}
	f := cmd.Flags()
	f.Float64SliceVar(&o.distances, "distances", []float64{2.3, 10, 25}, "fiber lengths, km")
	f.IntVar(&o.frames, "frames", 1, "frames per distance")
	f.IntVar(&o.symbols, "symbols", 1_000_000, "symbols per frame")
	f.StringVar(&o.peMode, "pe-mode", "finite-size", "parameter estimation: asymptotic or finite-size")
	f.StringVar(&o.out, "out", "-", `CSV file to write ("-": standard output)`)
	f.StringVar(&o.note, "note", "", "comment lines written above the new points")
	f.BoolVar(&o.append, "append", false, "add the new points to the end of --out instead of replacing it")
	f.StringArrayVar(&o.sets, "set", nil, "override a configuration key of both stations, key=value (repeatable), e.g. bob.error_correction.reconciliation=slice")
	return cmd
}
