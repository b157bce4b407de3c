package main

//go:generate go run . skr-curve --points ../../docs/skr-points.csv --out ../../docs/skr-distance.svg

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/postprocessing"
)

// curveOptions are the flags of qosst skr-curve: the link, the frame and
// the picture.
type curveOptions struct {
	link        postprocessing.KeyRateParams // T and β unused: T follows the distance
	detection   string
	attenuation float64 // dB/km
	betas       []float64
	symbols     int     // frame size of the finite-size curves
	peRatio     float64 // fraction disclosed for parameter estimation
	calSamples  int     // calibration record; 0: as many as the frame's symbols
	epsilon     float64
	maxKm       float64
	points      string // CSV of measured frames; empty: none
	out         string // SVG; "-" standard output
	table       bool
	distances   []float64 // --table rows
}

func defaultCurveOptions() curveOptions {
	return curveOptions{
		link:        postprocessing.KeyRateParams{Trusted: true, Va: 4, Xi: 0.01, Eta: 0.8, Vel: 0.05},
		detection:   "heterodyne",
		attenuation: 0.2,
		betas:       []float64{0.95, 0.85},
		symbols:     10_000_000,
		peRatio:     0.5,
		epsilon:     postprocessing.DefaultEpsilon,
		maxKm:       150,
		out:         "-",
		distances:   []float64{0, 10, 25, 50, 75, 100, 150},
	}
}

func init() { rootCmd.AddCommand(newSkrCurveCmd()) }

func newSkrCurveCmd() *cobra.Command {
	o := defaultCurveOptions()
	cmd := &cobra.Command{
		Use:   "skr-curve",
		Short: "Secret key rate against fiber length: asymptotic and finite-size curves, measured frames as points (SVG)",
		Long: `skr-curve draws the secret key rate in bits per symbol against the length of fiber
(T = 10^(-attenuation·L/10)) for the demo link (heterodyne, Va = 4, ξ = 0.01, η = 0.8,
v_el = 0.05, trusted detector) as an SVG picture on a logarithmic axis:

  - the asymptotic key rate K = β·I_AB − χ_BE at each --beta;
  - the finite-size key rate of a frame of --symbols symbols at each --beta: the fraction
    of the frame not disclosed (1 − --pe-ratio) times K at the bounds finite-size parameter
    estimation is expected to give (T at its lower, ξ at its upper bound at --epsilon, with
    calibration records of --calibration-samples samples, by default as many as the frame);
  - the measured frames of --points (CSV: distance_km, beta, key_bits_per_symbol, symbols,
    pe_mode; '#' starts a comment) as points; frames without a key sit on the bottom edge.

--table prints the curves at a few distances instead. The picture in docs/ is made by
go generate ./cmd/qosst (the go:generate line of this command), and qosst skr-points
measures the frames of its points file.`,
		Example: `  qosst skr-curve --points docs/skr-points.csv --out docs/skr-distance.svg
  qosst skr-curve --table --beta 0.95 --distances 25`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := postprocessing.ParseDetection(o.detection)
			if err != nil {
				return fmt.Errorf("skr-curve: --detection: %w", err)
			}
			o.link.Detection = d
			if err := o.validate(); err != nil {
				return fmt.Errorf("skr-curve: %w", err)
			}
			var pts []skrPoint
			if o.points != "" {
				f, err := os.Open(o.points)
				if err != nil {
					return fmt.Errorf("skr-curve: --points: %w", err)
				}
				pts, err = readSKRPoints(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("skr-curve: --points %s: %w", o.points, err)
				}
			}
			if o.table {
				return writeCurveTable(cmd.OutOrStdout(), o)
			}
			svg, err := renderSKRCurve(o, pts)
			if err != nil {
				return fmt.Errorf("skr-curve: %w", err)
			}
			if o.out == "-" {
				_, err = cmd.OutOrStdout().Write(svg)
				return err
			}
			return os.WriteFile(o.out, svg, 0o644)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.detection, "detection", o.detection, `Bob's detection: "heterodyne" or "homodyne"`)
	f.Float64Var(&o.link.Va, "va", o.link.Va, "Alice's modulation variance Va = 2<n> (SNU)")
	f.Float64Var(&o.link.Xi, "xi", o.link.Xi, "excess noise ξ referred to the channel input (SNU)")
	f.Float64Var(&o.link.Eta, "eta", o.link.Eta, "detection efficiency η")
	f.Float64Var(&o.link.Vel, "vel", o.link.Vel, "electronic noise v_el (SNU)")
	f.Float64Var(&o.attenuation, "attenuation", o.attenuation, "fiber attenuation in dB/km")
	f.Float64SliceVar(&o.betas, "beta", o.betas, "reconciliation efficiencies β of the curves (comma-separated or repeated)")
	f.IntVar(&o.symbols, "symbols", o.symbols, "symbols per frame of the finite-size curves")
	f.Float64Var(&o.peRatio, "pe-ratio", o.peRatio, "fraction of the frame disclosed for parameter estimation")
	f.IntVar(&o.calSamples, "calibration-samples", 0, "samples per calibration record (0: as many as --symbols)")
	f.Float64Var(&o.epsilon, "epsilon", o.epsilon, "failure probability of each finite-size bound")
	f.Float64Var(&o.maxKm, "max-km", o.maxKm, "longest fiber on the axis, km")
	f.StringVar(&o.points, "points", "", "CSV file of measured frames to draw as points")
	f.StringVar(&o.out, "out", o.out, `SVG file to write ("-": standard output)`)
	f.BoolVar(&o.table, "table", false, "print the curves at --distances as a table instead of drawing")
	f.Float64SliceVar(&o.distances, "distances", o.distances, "fiber lengths of the --table rows, km")
	return cmd
}

func (o curveOptions) validate() error {
	p := o.link
	p.T, p.Beta = 1, 1
	var errs []error
	if err := p.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(o.betas) == 0 || len(o.betas) > 6 {
		errs = append(errs, fmt.Errorf("--beta: want 1 to 6 values, got %d", len(o.betas)))
	}
	for _, b := range o.betas {
		if !(b > 0 && b <= 1) {
			errs = append(errs, fmt.Errorf("--beta %v: want β in (0, 1]", b))
		}
	}
	if !(o.attenuation > 0) || math.IsInf(o.attenuation, 0) {
		errs = append(errs, fmt.Errorf("--attenuation %v: want a finite value > 0 dB/km", o.attenuation))
	}
	if !(o.maxKm > 0 && o.maxKm <= 1000) {
		errs = append(errs, fmt.Errorf("--max-km %v: want (0, 1000]", o.maxKm))
	}
	if !(o.peRatio > 0 && o.peRatio < 1) {
		errs = append(errs, fmt.Errorf("--pe-ratio %v: want (0, 1)", o.peRatio))
	}
	if o.symbols < 2*postprocessing.MinPESymbols || o.calSamples < 0 {
		errs = append(errs, fmt.Errorf("--symbols %d, --calibration-samples %d: want at least %d and >= 0", o.symbols, o.calSamples, 2*postprocessing.MinPESymbols))
	}
	if !(o.epsilon > 0 && o.epsilon < 1) {
		errs = append(errs, fmt.Errorf("--epsilon %v: want (0, 1)", o.epsilon))
	}
	for _, d := range o.distances {
		if !(d >= 0 && d <= 1000) {
			errs = append(errs, fmt.Errorf("--distances %v: want lengths in [0, 1000] km", d))
		}
	}
	return errors.Join(errs...)
}

// rates returns the asymptotic key rate (bits per symbol) and the
// finite-size key rate per frame symbol at distance km and efficiency beta.
func (o curveOptions) rates(km, beta float64) (asym, finite float64) {
	p := o.link
	p.T = config.FiberTransmittance(km, o.attenuation)
	p.Beta = beta
	asym, _ = postprocessing.SecretKeyRate(p)
	disclosed := int(math.Round(o.peRatio * float64(o.symbols)))
	cal := o.calSamples
	if cal == 0 {
		cal = o.symbols
	}
	q, err := postprocessing.ExpectedFiniteSize(p, disclosed, cal, o.epsilon)
	if err != nil {
		return asym, 0
	}
	k, _ := postprocessing.SecretKeyRate(q)
	return asym, (1 - o.peRatio) * k
}

func writeCurveTable(w io.Writer, o curveOptions) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# key bits per symbol; finite size: frames of %d symbols, %.0f %% disclosed, ε = %g\n", o.symbols, 100*o.peRatio, o.epsilon)
	fmt.Fprintf(&b, "%-8s %-8s %-6s %-12s %-12s\n", "km", "T", "β", "asymptotic", "finite-size")
	for _, km := range o.distances {
		for _, beta := range o.betas {
			a, f := o.rates(km, beta)
			fmt.Fprintf(&b, "%-8g %-8.4f %-6.3f %-12.6g %-12.6g\n", km, config.FiberTransmittance(km, o.attenuation), beta, a, f)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// skrPoint is one measured frame.
type skrPoint struct {
	km, beta, bitsPerSymbol float64
	symbols                 int
	mode                    string
}

// maxSKRPoints bounds the points file (a picture of frames, not a log).
const maxSKRPoints = 10_000

// readSKRPoints reads the CSV of measured frames: a header line
// distance_km,beta,key_bits_per_symbol,symbols,pe_mode, then one frame per
// line; '#' starts a comment line. Every value is checked: distance in
// [0, 1000] km, β in [0, 1], key bits per symbol in [0, 2], symbols >= 1,
// pe_mode "asymptotic" or "finite-size".
func readSKRPoints(r io.Reader) ([]skrPoint, error) {
	cr := csv.NewReader(io.LimitReader(r, 4<<20))
	cr.Comment = '#'
	cr.FieldsPerRecord = 5
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	want := []string{"distance_km", "beta", "key_bits_per_symbol", "symbols", "pe_mode"}
	for i, h := range head {
		if strings.TrimSpace(h) != want[i] {
			return nil, fmt.Errorf("header column %d is %q, want %q (%s)", i+1, truncate(h), want[i], strings.Join(want, ","))
		}
	}
	var out []skrPoint
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(out) == maxSKRPoints {
			return nil, fmt.Errorf("line %d: more than %d points", line, maxSKRPoints)
		}
		num := func(i int, lo, hi float64) (float64, error) {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
			if err != nil || !(v >= lo && v <= hi) {
				return 0, fmt.Errorf("line %d: %s = %q: want a number in [%g, %g]", line, want[i], truncate(rec[i]), lo, hi)
			}
			return v, nil
		}
		var p skrPoint
		if p.km, err = num(0, 0, 1000); err != nil {
			return nil, err
		}
		if p.beta, err = num(1, 0, 1); err != nil {
			return nil, err
		}
		if p.bitsPerSymbol, err = num(2, 0, 2); err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(rec[3]))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("line %d: symbols = %q: want an integer >= 1", line, truncate(rec[3]))
		}
		p.symbols = n
		switch m := strings.TrimSpace(rec[4]); m {
		case "asymptotic", "finite-size":
			p.mode = m
		default:
			return nil, fmt.Errorf("line %d: pe_mode = %q: want asymptotic or finite-size", line, truncate(rec[4]))
		}
		out = append(out, p)
	}
}

// truncate keeps error messages short whatever the input.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Plot geometry: a 760×500 picture, the plot area inside the margins, a
// logarithmic y axis from 10^yMinExp to 10^yMaxExp bits per symbol.
const (
	svgW, svgH                 = 760, 500
	plotL, plotR, plotT, plotB = 70.0, 740.0, 40.0, 440.0
	yMinExp, yMaxExp           = -5, 1
	curveStepKm                = 0.5
	colorCount                 = 6
)

var curveColors = [colorCount]string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"}

// renderSKRCurve draws the picture. The output depends only on o and pts.
func renderSKRCurve(o curveOptions, pts []skrPoint) ([]byte, error) {
	var b bytes.Buffer
	xOf := func(km float64) float64 { return plotL + (plotR-plotL)*km/o.maxKm }
	yOf := func(k float64) float64 {
		e := math.Log10(k)
		return plotB - (plotB-plotT)*(e-yMinExp)/(yMaxExp-yMinExp)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	b.WriteString("<!-- Code generated by qosst skr-curve. DO NOT EDIT. -->\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(&b, `<text x="%s" y="22" font-size="13">Secret key rate against fiber length (Va = %g, ξ = %g, η = %g, v_el = %g, %s, %g dB/km)</text>`+"\n",
		f(plotL), o.link.Va, o.link.Xi, o.link.Eta, o.link.Vel, o.link.Detection, o.attenuation)
	// Grid and axes.
	for e := yMinExp; e <= yMaxExp; e++ {
		y := yOf(math.Pow(10, float64(e)))
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ddd"/>`+"\n", f(plotL), f(y), f(plotR), f(y))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">1e%d</text>`+"\n", f(plotL-6), f(y+4), e)
	}
	step := 25.0
	if o.maxKm <= 50 {
		step = 10
	}
	for km := 0.0; km <= o.maxKm+1e-9; km += step {
		x := xOf(km)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ddd"/>`+"\n", f(x), f(plotT), f(x), f(plotB))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%g</text>`+"\n", f(x), f(plotB+16), km)
	}
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="black"/>`+"\n", f(plotL), f(plotT), f(plotR-plotL), f(plotB-plotT))
	fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">fiber length (km)</text>`+"\n", f((plotL+plotR)/2), f(plotB+36))
	fmt.Fprintf(&b, `<text transform="translate(18 %s) rotate(-90)" text-anchor="middle">secret key (bits per symbol)</text>`+"\n", f((plotT+plotB)/2))
	// Curves.
	yFloor := math.Pow(10, yMinExp)
	legend := 0
	addLegend := func(color, dash, text string) {
		y := plotT + 14 + 16*float64(legend)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`+"\n", f(plotR-300), f(y-4), f(plotR-275), f(y-4), color, dash)
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s</text>`+"\n", f(plotR-270), f(y), text)
		legend++
	}
	for i, beta := range o.betas {
		color := curveColors[i%colorCount]
		for _, finite := range []bool{false, true} {
			var seg []string
			flush := func() {
				if len(seg) > 1 {
					dash := ""
					if finite {
						dash = ` stroke-dasharray="6 4"`
					}
					fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", color, dash, strings.Join(seg, " "))
				}
				seg = seg[:0]
			}
			n := int(math.Round(o.maxKm / curveStepKm))
			for j := 0; j <= n; j++ {
				km := o.maxKm * float64(j) / float64(n)
				a, fs := o.rates(km, beta)
				k := a
				if finite {
					k = fs
				}
				if !(k >= yFloor) {
					flush()
					continue
				}
				seg = append(seg, f(xOf(km))+","+f(yOf(math.Min(k, math.Pow(10, yMaxExp)))))
			}
			flush()
		}
		addLegend(color, "", fmt.Sprintf("asymptotic, β = %g", beta))
		addLegend(color, ` stroke-dasharray="6 4"`, fmt.Sprintf("finite size, %s symbols, β = %g", symbolsText(o.symbols), beta))
	}
	// Measured frames: circles for asymptotic estimation, squares for
	// finite size, in the color of the nearest β curve (within 0.05),
	// hollow on the bottom edge when the frame left no key.
	marker := func(x, y float64, mode, fill, stroke, title string) {
		if mode == "finite-size" {
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="8" height="8" fill="%s" stroke="%s" stroke-width="1.5"><title>%s</title></rect>`+"\n",
				f(x-4), f(y-4), fill, stroke, title)
			return
		}
		fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="4.5" fill="%s" stroke="%s" stroke-width="1.5"><title>%s</title></circle>`+"\n",
			f(x), f(y), fill, stroke, title)
	}
	for _, p := range pts {
		if p.km > o.maxKm {
			continue
		}
		color, best := "#444", 0.05
		for i, beta := range o.betas {
			if d := math.Abs(beta - p.beta); d <= best {
				color, best = curveColors[i%colorCount], d
			}
		}
		x := xOf(p.km)
		if p.bitsPerSymbol >= yFloor {
			marker(x, yOf(math.Min(p.bitsPerSymbol, 10)), p.mode, color, "black",
				fmt.Sprintf("%g km, β = %.3f, %.4g bit/symbol, %d symbols, %s", p.km, p.beta, p.bitsPerSymbol, p.symbols, p.mode))
		} else {
			marker(x, plotB, p.mode, "white", color,
				fmt.Sprintf("%g km, β = %.3f, no key, %d symbols, %s", p.km, p.beta, p.symbols, p.mode))
		}
	}
	if len(pts) > 0 {
		y := plotT + 14 + 16*float64(legend)
		marker(plotR-293, y-4, "asymptotic", "#888", "black", "")
		marker(plotR-281, y-4, "finite-size", "#888", "black", "")
		fmt.Fprintf(&b, `<text x="%s" y="%s">frames: asymptotic, finite size; hollow: no key</text>`+"\n", f(plotR-270), f(y))
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

func symbolsText(n int) string {
	e := math.Log10(float64(n))
	if e == math.Trunc(e) {
		return fmt.Sprintf("10^%d", int(e))
	}
	return strconv.Itoa(n)
}
