package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/qosst/qosst-go/postprocessing"
)

func runCurve(t *testing.T, args ...string) string {
	t.Helper()
	cmd := newSkrCurveCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("skr-curve %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// The picture in docs/ is what the go:generate line of skrcurve.go writes
// from the points file in docs/ today (run go generate ./cmd/qosst after a
// change), and the generator gives the same bytes every time.
func TestSkrCurveInDocsIsFresh(t *testing.T) {
	out := filepath.Join(t.TempDir(), "skr.svg")
	runCurve(t, "--points", "../../docs/skr-points.csv", "--out", out)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	again := runCurve(t, "--points", "../../docs/skr-points.csv", "--out", "-")
	if again != string(got) {
		t.Fatal("two renderings differ")
	}
	docs, err := os.ReadFile("../../docs/skr-distance.svg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, docs) {
		t.Fatal("docs/skr-distance.svg is stale: run go generate ./cmd/qosst")
	}
}

// The picture holds an asymptotic and a finite-size curve per β, a legend
// entry for each and one circle per measured frame.
func TestSkrCurveDrawsCurvesAndPoints(t *testing.T) {
	pts := filepath.Join(t.TempDir(), "p.csv")
	if err := os.WriteFile(pts, []byte("# test\ndistance_km,beta,key_bits_per_symbol,symbols,pe_mode\n10,0.95,0.1,10000000,finite-size\n25,0,0,10000000,finite-size\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svg := runCurve(t, "--beta", "0.95,0.9,0.8", "--points", pts)
	if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>\n") {
		t.Fatal("not an SVG document")
	}
	if n := strings.Count(svg, "<polyline"); n < 6 {
		t.Fatalf("%d curves for 3 β, want at least 6 (asymptotic and finite size each)", n)
	}
	for _, want := range []string{"asymptotic, β = 0.95", "finite size, 10^7 symbols, β = 0.8", "frames: asymptotic, finite size; hollow", "10 km, β = 0.950", "25 km, β = 0.000, no key"} {
		if !strings.Contains(svg, want) {
			t.Errorf("picture lacks %q", want)
		}
	}
	// Two finite-size frames (squares) and the legend's circle and square.
	if c, r := strings.Count(svg, "<circle"), strings.Count(svg, "<rect x=")-1; c != 1 || r != 3 {
		t.Fatalf("%d circles and %d squares, want 1 and 3", c, r)
	}
}

// At 25 km (T = 0.316) a frame of 10^7 symbols, half of them disclosed for
// finite-size estimation at ε = 1e-10, keeps a positive key at β = 0.95;
// the asymptotic column is the key rate at T = 10^(-0.5).
func TestSkrCurveTableAt25km(t *testing.T) {
	out := runCurve(t, "--table", "--beta", "0.95", "--distances", "25")
	var row []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "25 ") {
			row = strings.Fields(l)
		}
	}
	if len(row) != 5 {
		t.Fatalf("no 25 km row:\n%s", out)
	}
	asym, _ := strconv.ParseFloat(row[3], 64)
	finite, _ := strconv.ParseFloat(row[4], 64)
	want, err := postprocessing.SecretKeyRate(postprocessing.KeyRateParams{Detection: postprocessing.Heterodyne, Trusted: true,
		Va: 4, T: math.Pow(10, -0.5), Xi: 0.01, Eta: 0.8, Vel: 0.05, Beta: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(asym-want) > 1e-5*want {
		t.Fatalf("asymptotic %v, want %v", asym, want)
	}
	if !(finite > 0 && finite < asym/2) {
		t.Fatalf("finite-size key %v per symbol at 25 km, want positive and below half the asymptotic %v", finite, asym)
	}
	t.Logf("25 km, β = 0.95: asymptotic %v, finite size (10^7 symbols) %v bit/symbol", asym, finite)
}

func TestReadSKRPointsErrors(t *testing.T) {
	head := "distance_km,beta,key_bits_per_symbol,symbols,pe_mode\n"
	for _, tc := range []struct{ in, want string }{
		{"", "header"},
		{"distance,beta,key_bits_per_symbol,symbols,pe_mode\n", `"distance_km"`},
		{head + "-1,0.9,0.1,10,asymptotic\n", "line 2: distance_km"},
		{head + "# c\n10,1.5,0.1,10,asymptotic\n", "line 3: beta"},
		{head + "10,0.9,NaN,10,asymptotic\n", "key_bits_per_symbol"},
		{head + "10,0.9,0.1,0,asymptotic\n", "symbols"},
		{head + "10,0.9,0.1,10,fast\n", "pe_mode"},
		{head + "10,0.9,0.1\n", "wrong number of fields"},
	} {
		_, err := readSKRPoints(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one saying %q", tc.in, err, tc.want)
		}
	}
	pts, err := readSKRPoints(strings.NewReader("# measured\n" + head + "25, 0.95, 0.04, 10000000, finite-size\n"))
	if err != nil || len(pts) != 1 || pts[0].km != 25 || pts[0].beta != 0.95 || pts[0].symbols != 10_000_000 {
		t.Fatalf("%+v, %v", pts, err)
	}
}

// Whatever the file holds, reading it ends in points within their ranges
// or an error, and a picture is drawn from any points read.
func FuzzReadSKRPoints(f *testing.F) {
	f.Add("distance_km,beta,key_bits_per_symbol,symbols,pe_mode\n25,0.95,0.04,10000000,finite-size\n")
	f.Add("# c\ndistance_km,beta,key_bits_per_symbol,symbols,pe_mode\n0,0,0,1,asymptotic\n1000,1,2,9,asymptotic\n")
	f.Add("distance_km,beta,key_bits_per_symbol,symbols,pe_mode\n\"1\n0\",1,1,1,asymptotic\n")
	f.Fuzz(func(t *testing.T, in string) {
		pts, err := readSKRPoints(strings.NewReader(in))
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		for _, p := range pts {
			if !(p.km >= 0 && p.km <= 1000 && p.beta >= 0 && p.beta <= 1 && p.bitsPerSymbol >= 0 && p.bitsPerSymbol <= 2 && p.symbols >= 1) {
				t.Fatalf("point out of range: %+v", p)
			}
		}
		o := defaultCurveOptions()
		o.link.Detection = postprocessing.Heterodyne
		if _, err := renderSKRCurve(o, pts); err != nil {
			t.Fatal(err)
		}
	})
}

// skr-points runs a frame per distance and writes a points file that
// skr-curve reads; --append adds to it; --set reaches the stations and the
// comment line.
func TestSkrPointsWritesFrames(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p.csv")
	run := func(args ...string) {
		cmd := newSkrPointsCmd()
		var log bytes.Buffer
		cmd.SetOut(&log)
		cmd.SetErr(&log)
		cmd.SetArgs(append(args, "--out", out, "--symbols", "40000", "--frames", "1"))
		if err := cmd.Execute(); err != nil {
			t.Fatalf("skr-points %v: %v\n%s", args, err, log.String())
		}
	}
	run("--distances", "0", "--pe-mode", "asymptotic", "--note", "test points")
	run("--append", "--distances", "60", "--pe-mode", "finite-size")
	run("--append", "--distances", "0", "--pe-mode", "asymptotic", "--set", "bob.error_correction.efficiency=0.6")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := readSKRPoints(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(pts) != 3 || pts[0].km != 0 || pts[1].km != 60 || pts[0].symbols != 40000 || pts[0].mode != "asymptotic" || pts[1].mode != "finite-size" {
		t.Fatalf("points %+v\n%s", pts, data)
	}
	// At 0 km the frame completes with a key; at 60 km, 40 000 symbols are
	// far too few for a finite-size key.
	if !(pts[0].bitsPerSymbol > 0 && pts[0].beta > 0.5) || pts[1].bitsPerSymbol != 0 {
		t.Fatalf("points %+v", pts)
	}
	if !strings.Contains(string(data), "# test points\n") {
		t.Fatalf("note missing:\n%s", data)
	}
	// The planner's target β of 0.6 instead of its default.
	if !(pts[2].beta > 0.5 && pts[2].beta < 0.62 && pts[0].beta > 0.65) ||
		!strings.Contains(string(data), "--pe-mode asymptotic --set bob.error_correction.efficiency=0.6\n") {
		t.Fatalf("--set: points %+v\n%s", pts, data)
	}
}
