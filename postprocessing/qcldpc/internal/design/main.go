// Command design searches rate-compatible Raptor-like protographs with
// protograph EXIT analysis: a local search over the precode and the
// extension rows that maximises the smallest reconciliation efficiency
// β = R / (½·log2(1 + snr*)) over a list of nested rates.
//
//	go run ./postprocessing/qcldpc/internal/design -core 8 -pre 4 -punct 1 -rates 0.1,0.05,0.02 -iter 2000
//
// It prints every improvement as a Go literal of the family. With -md8 the
// thresholds are taken on the channel multidimensional reconciliation
// presents (qcldpc.GAOptions.MD8), where β is what the codes reach in use.
// -temp lets the search take a worse step now and then (annealing), -extonly
// keeps the precode, and -distance rejects protographs that fail
// Protograph.DegreeTwoForest at one of the rates. -check prints, for every
// shipped family, the rows at which that condition fails.
//
// Two more modes built FamilyHigh:
//
//	go run ./postprocessing/qcldpc/internal/design -mode precode -seed 11
//	go run ./postprocessing/qcldpc/internal/design -mode greedy -ext 12
//
// "precode" searches a rate-1/2 3×5 protograph (last column punctured,
// multiplicities ≤ 3) for the largest β at threshold; "greedy" extends
// FamilyHigh's precode row by row with the extension row (2–3 core
// columns, or one) whose code has the largest β.
//
// "full" anneals every entry of one fixed-rate protograph (multiplicities
// ≤ 3, punctured columns kept, the degree ≤ 2 condition always held): -copies
// copies of family -init's protograph at -rows rows, side by side, as the
// start. It maximises the rate over the BIAWGN capacity at the threshold,
// with density evolution stopped after -maxiter iterations (0: the
// default bound), and prints the best matrix with its thresholds at
// several iteration bounds and whether discretized density evolution
// converges 2 % above its PEXIT threshold:
//
//	go run ./postprocessing/qcldpc/internal/design -mode full -init 38 -rows 6 -copies 2 -iter 4000 -temp 0.002 -seed 1
//
// docs/ldpc-codes.md ("Irregular protographs") says what its matrices did.
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// channel is the density-evolution channel of every evaluation (-md8).
var channel qcldpc.GAOptions

// opts returns the channel's options with an iteration bound (0: the default).
func opts(maxIter int) qcldpc.GAOptions {
	o := channel
	o.MaxIter = maxIter
	return o
}

func main() {
	core := flag.Int("core", 8, "core columns")
	pre := flag.Int("pre", 4, "precode rows")
	punct := flag.Int("punct", 1, "punctured core columns (the first ones)")
	ratesFlag := flag.String("rates", "0.1,0.05,0.02", "nested rates to optimise for")
	iters := flag.Int("iter", 1000, "local search steps")
	maxW := flag.Int("maxw", 3, "largest extension row weight")
	seed := flag.Uint64("seed", 1, "random seed")
	initFam := flag.Int("init", 0, "start from this shipped family instead of a balanced start (full: the family whose code is copied; required)")
	startPre := flag.String("startpre", "", "start from this precode (comma-separated multiplicities, row by row; with -core, -pre and -punct)")
	startExt := flag.String("startext", "", "start from these extension rows (rows separated by /, columns by .: 1.2.4/3.4)")
	freeze := flag.Int("freeze", 0, "never change the first N extension rows")
	punctured := flag.String("punctured", "", "the punctured core columns (comma-separated) instead of the first -punct ones")
	preOnly := flag.Bool("preonly", false, "mutate only the precode")
	extOnly := flag.Bool("extonly", false, "mutate only the extension rows (keeps a precode chosen for its distance, like AR4JA's)")
	mode := flag.String("mode", "search", "search, precode or greedy")
	ext := flag.Int("ext", 12, "greedy: extension rows")
	temp := flag.Float64("temp", 0, "annealing: a step that lowers the smallest β by d is taken with probability exp(−d/temp), temp falling linearly to 0 over the run (0: only improvements)")
	distance := flag.Bool("distance", false, "reject families whose variables of degree ≤ 2 form a cycle or join two of degree 1 at one of the rates (such lifted codes have codewords of a few tens of bits, like FamilyHigh's)")
	check := flag.Bool("check", false, "print, for each shipped family, the rows at which the degree ≤ 2 condition of -distance fails, and exit")
	md8 := flag.Bool("md8", false, "evaluate on the channel of multidimensional reconciliation (GAOptions.MD8) instead of the BIAWGN channel")
	rowsFlag := flag.Int("rows", 6, "full: rows of the -init family's protograph to start from")
	copies := flag.Int("copies", 2, "full: copies of that protograph side by side")
	maxIter := flag.Int("maxiter", 0, "full: density-evolution iterations per threshold (0: the default bound)")
	flag.Parse()
	channel = qcldpc.GAOptions{MD8: *md8}
	requireDistance = *distance
	if *check {
		checkShipped()
		return
	}
	switch *mode {
	case "precode":
		searchPrecode(*seed, *iters)
		return
	case "greedy":
		greedy(*ext)
		return
	case "full":
		searchFull(*initFam, *rowsFlag, *copies, *iters, *maxIter, *temp, *seed)
		return
	}
	var rates []float64
	for _, s := range strings.Split(*ratesFlag, ",") {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil {
			panic(err)
		}
		rates = append(rates, r)
	}
	rng := rand.New(rand.NewPCG(*seed, 7))
	f := &qcldpc.Raptor{PreRows: *pre, Core: *core, Pre: make([]uint8, *pre**core)}
	for c := 0; c < *punct; c++ {
		f.Punctured = append(f.Punctured, c)
	}
	k := f.K()
	// rows for each rate: K / (core − punct + ext) = rate
	var rowsAt []int
	maxExt := 0
	for _, r := range rates {
		ext := int(math.Round(float64(k)/r)) - (*core - *punct)
		if ext < 0 {
			ext = 0
		}
		rowsAt = append(rowsAt, *pre+ext)
		maxExt = max(maxExt, ext)
	}
	// initial precode: each column two edges, spread over rows
	for c := 0; c < *core; c++ {
		for j := 0; j < 2+c%2; j++ {
			f.Pre[((c+j*(*core))%*pre)**core+c]++
		}
	}
	load := make([]int, *core)
	for i := 0; i < maxExt; i++ {
		f.Ext = append(f.Ext, leastLoaded(load, 2))
	}
	if *initFam != 0 {
		g, _, err := qcldpc.FamilyRaptor(*initFam)
		if err != nil {
			panic(err)
		}
		g.Ext = g.Ext[:maxExt]
		f = g
	}
	if *punctured != "" {
		f.Punctured = nil
		for _, v := range strings.Split(*punctured, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				panic(err)
			}
			f.Punctured = append(f.Punctured, n)
		}
	}
	if *startPre != "" {
		f.Pre = f.Pre[:0]
		for _, v := range strings.Split(*startPre, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				panic(err)
			}
			f.Pre = append(f.Pre, uint8(n))
		}
	}
	if *startExt != "" {
		var ext [][]uint8
		for _, row := range strings.Split(*startExt, "/") {
			var pat []uint8
			for _, v := range strings.Split(row, ".") {
				n, err := strconv.Atoi(v)
				if err != nil {
					panic(err)
				}
				pat = append(pat, uint8(n))
			}
			ext = append(ext, pat)
		}
		for len(ext) < maxExt {
			ext = append(ext, f.Ext[len(ext)])
		}
		f.Ext = ext[:maxExt]
	}
	frozen = *freeze
	cur := eval(f, rowsAt, rates)
	best, bestF := cur, f
	fmt.Printf("start %.4f\n", best)
	for it := 0; it < *iters; it++ {
		g := mutate(f, rng, *maxW, *preOnly, *extOnly)
		if g == nil {
			continue
		}
		v := eval(g, rowsAt, rates)
		t := *temp * (1 - float64(it)/float64(*iters))
		if v > cur || (t > 0 && v > 0 && rng.Float64() < math.Exp((v-cur)/t)) {
			cur, f = v, g
		}
		if v > best {
			best, bestF = v, g
			fmt.Printf("iter %d min beta %.4f\n", it, best)
			show(bestF, rowsAt, rates)
		}
	}
	show(bestF, rowsAt, rates)
}

func leastLoaded(load []int, w int) []uint8 {
	used := make([]bool, len(load))
	var pat []uint8
	for k := 0; k < w; k++ {
		b := -1
		for c := range load {
			if !used[c] && (b < 0 || load[c] < load[b]) {
				b = c
			}
		}
		used[b] = true
		load[b]++
		pat = append(pat, uint8(b))
	}
	return pat
}

func mutate(f *qcldpc.Raptor, rng *rand.Rand, maxW int, preOnly, extOnly bool) *qcldpc.Raptor {
	g := &qcldpc.Raptor{PreRows: f.PreRows, Core: f.Core, Punctured: f.Punctured, Pre: append([]uint8(nil), f.Pre...)}
	g.Ext = make([][]uint8, len(f.Ext))
	copy(g.Ext, f.Ext)
	op := rng.IntN(3)
	switch {
	case preOnly:
		op = 0
	case extOnly:
		op = 1
	}
	switch op {
	case 0: // precode entry ±1
		i := rng.IntN(len(g.Pre))
		if rng.IntN(2) == 0 && g.Pre[i] > 0 {
			g.Pre[i]--
		} else if g.Pre[i] < 3 {
			g.Pre[i]++
		}
	default: // an extension row: new pattern
		if frozen >= len(g.Ext) {
			return nil
		}
		n := 1 + rng.IntN(4)
		for t := 0; t < n; t++ {
			i := frozen + rng.IntN(len(g.Ext)-frozen)
			w := 1 + rng.IntN(maxW)
			perm := rng.Perm(g.Core)[:w]
			pat := make([]uint8, w)
			for j, c := range perm {
				pat[j] = uint8(c)
			}
			g.Ext[i] = pat
		}
	}
	return g
}

// frozen is -freeze: the extension rows mutate never changes.
var frozen int

// requireDistance is -distance.
var requireDistance bool

func checkShipped() {
	for _, id := range qcldpc.Families() {
		f, minRows, err := qcldpc.FamilyRaptor(id)
		if err != nil {
			panic(err)
		}
		var bad []int
		for rows := minRows; rows <= f.MaxRows(); rows++ {
			p, err := f.Protograph(rows)
			if err != nil {
				panic(err)
			}
			if !p.DegreeTwoForest() {
				bad = append(bad, rows)
			}
		}
		fmt.Printf("family %d: rows %d..%d, degree ≤ 2 condition fails at %v\n", id, minRows, f.MaxRows(), bad)
	}
}

func eval(f *qcldpc.Raptor, rowsAt []int, rates []float64) float64 {
	worst := math.Inf(1)
	for _, rows := range rowsAt {
		p, err := f.Protograph(rows)
		if err != nil || p.Validate() != nil {
			return 0
		}
		if requireDistance && !p.DegreeTwoForest() {
			return 0
		}
		snr, err := qcldpc.GAThreshold(p, nil, opts(0))
		if err != nil {
			return 0
		}
		worst = math.Min(worst, qcldpc.Beta(p.Rate(), snr))
	}
	return worst
}

func show(f *qcldpc.Raptor, rowsAt []int, rates []float64) {
	for i, rows := range rowsAt {
		p, _ := f.Protograph(rows)
		snr, _ := qcldpc.GAThreshold(p, nil, opts(0))
		fmt.Printf("  rate %.4f (target %.3f) rows %d snr* %.5f beta %.4f\n", p.Rate(), rates[i], rows, snr, qcldpc.Beta(p.Rate(), snr))
	}
	fmt.Printf("  Pre: %v\n  Punctured: %v\n  Ext: %v\n", f.Pre, f.Punctured, f.Ext)
}

func searchPrecode(seed uint64, iters int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	rows, cols := 3, 5
	p := &qcldpc.Protograph{Rows: rows, Cols: cols, B: make([]uint8, rows*cols), Punctured: []int{cols - 1}}
	for i := range p.B {
		p.B[i] = uint8(rng.IntN(3))
	}
	best := 0.0
	if snr, err := qcldpc.GAThreshold(p, nil, opts(0)); err == nil {
		best = qcldpc.Beta(p.Rate(), snr)
	}
	for it := 0; it < iters; it++ {
		q := &qcldpc.Protograph{Rows: rows, Cols: cols, B: append([]uint8(nil), p.B...), Punctured: p.Punctured}
		for k := 0; k < 1+rng.IntN(2); k++ {
			i := rng.IntN(len(q.B))
			if rng.IntN(2) == 0 && q.B[i] > 0 {
				q.B[i]--
			} else if q.B[i] < 3 {
				q.B[i]++
			}
		}
		if q.Validate() != nil {
			continue
		}
		snr, err := qcldpc.GAThreshold(q, nil, opts(2000))
		if err != nil {
			continue
		}
		if b := qcldpc.Beta(q.Rate(), snr); b > best {
			best, p = b, q
			fmt.Printf("iter %d beta %.4f B %v\n", it, best, p.B)
		}
	}
}

func greedy(ext int) {
	f, _, err := qcldpc.FamilyRaptor(qcldpc.FamilyHigh)
	if err != nil {
		panic(err)
	}
	f.Ext = nil
	var cands [][]uint8
	for m := 1; m < 1<<f.Core; m++ {
		var c []uint8
		for i := 0; i < f.Core; i++ {
			if m>>i&1 == 1 {
				c = append(c, uint8(i))
			}
		}
		if len(c) <= 3 {
			cands = append(cands, c)
		}
	}
	for e := 0; e < ext; e++ {
		best, bestB := -1, 0.0
		for i, c := range cands {
			g := *f
			g.Ext = append(append([][]uint8(nil), f.Ext...), c)
			p, _ := g.Protograph(g.MaxRows())
			snr, err := qcldpc.GAThreshold(p, nil, opts(3000))
			if err != nil {
				continue
			}
			if b := qcldpc.Beta(p.Rate(), snr); b > bestB {
				best, bestB = i, b
			}
		}
		f.Ext = append(f.Ext, cands[best])
		p, _ := f.Protograph(f.MaxRows())
		fmt.Printf("rows %d rate %.4f beta %.4f ext %v\n", p.Rows, p.Rate(), bestB, cands[best])
	}
}

// searchFull is -mode full: annealing over every entry of a fixed-rate
// protograph that starts as copies of a family's code.
func searchFull(fam, rows, copies, iters, maxIter int, temp float64, seed uint64) {
	f, _, err := qcldpc.FamilyRaptor(fam)
	if err != nil {
		fmt.Fprintf(os.Stderr, "design: -mode full starts from -init's family: %v\n", err)
		os.Exit(2)
	}
	one, err := f.Protograph(rows)
	if err != nil {
		fmt.Fprintf(os.Stderr, "design: -rows: %v\n", err)
		os.Exit(2)
	}
	p := &qcldpc.Protograph{Rows: one.Rows * copies, Cols: one.Cols * copies, B: make([]uint8, one.Rows*one.Cols*copies*copies)}
	for k := 0; k < copies; k++ {
		for r := 0; r < one.Rows; r++ {
			for c := 0; c < one.Cols; c++ {
				p.B[(k*one.Rows+r)*p.Cols+k*one.Cols+c] = uint8(one.At(r, c))
			}
		}
		for _, c := range one.Punctured {
			p.Punctured = append(p.Punctured, k*one.Cols+c)
		}
	}
	score := func(q *qcldpc.Protograph) float64 {
		if q.Validate() != nil || !q.DegreeTwoForest() {
			return 0
		}
		snr, err := qcldpc.GAThreshold(q, nil, opts(maxIter))
		if err != nil {
			return 0
		}
		return q.Rate() / qcldpc.BIAWGNCapacity(snr)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	cur := score(p)
	best, bestP := cur, p
	fmt.Printf("start %d×%d, rate %.4f: %.4f of the BIAWGN capacity at the threshold\n", p.Rows, p.Cols, p.Rate(), cur)
	for it := 0; it < iters; it++ {
		q := &qcldpc.Protograph{Rows: p.Rows, Cols: p.Cols, B: append([]uint8(nil), p.B...), Punctured: p.Punctured}
		for m := 0; m < 1+rng.IntN(2); m++ {
			var from, to int // an edge moves from one entry to another (from < 0: added; to < 0: removed)
			switch rng.IntN(3) {
			case 0:
				from, to = -1, rng.IntN(len(q.B))
				if rng.IntN(2) == 0 {
					from, to = to, -1
				}
			case 1: // within a column
				c := rng.IntN(q.Cols)
				from, to = rng.IntN(q.Rows)*q.Cols+c, rng.IntN(q.Rows)*q.Cols+c
			default: // within a row
				r := rng.IntN(q.Rows)
				from, to = r*q.Cols+rng.IntN(q.Cols), r*q.Cols+rng.IntN(q.Cols)
			}
			if (from >= 0 && q.B[from] == 0) || (to >= 0 && q.B[to] >= 3) {
				continue
			}
			if from >= 0 {
				q.B[from]--
			}
			if to >= 0 {
				q.B[to]++
			}
		}
		v := score(q)
		t := temp * (1 - float64(it)/float64(iters))
		if v > cur || (t > 0 && v > 0 && rng.Float64() < math.Exp((v-cur)/t)) {
			p, cur = q, v
		}
		if v > best {
			best, bestP = v, q
			fmt.Printf("iter %d: %.4f\n", it, best)
		}
	}
	edges := 0
	for _, b := range bestP.B {
		edges += int(b)
	}
	fmt.Printf("best %d×%d, punctured %v, %d edges:\n", bestP.Rows, bestP.Cols, bestP.Punctured, edges)
	for r := 0; r < bestP.Rows; r++ {
		fmt.Println(bestP.B[r*bestP.Cols : (r+1)*bestP.Cols])
	}
	md := qcldpc.GAOptions{MD8: true}
	mdThreshold := 0.0 // without an iteration bound
	for _, n := range []int{150, 300, 600, 0} {
		bi, err1 := qcldpc.GAThreshold(bestP, nil, qcldpc.GAOptions{MaxIter: n})
		md.MaxIter = n
		m, err2 := qcldpc.GAThreshold(bestP, nil, md)
		if err1 != nil || err2 != nil {
			fmt.Printf("  %d iterations: no threshold\n", n)
			continue
		}
		if n == 0 {
			mdThreshold = m
		}
		fmt.Printf("  %d iterations (0: the default bound): %.4f of the BIAWGN capacity, β %.4f on the MD channel\n", n, bestP.Rate()/qcldpc.BIAWGNCapacity(bi), qcldpc.Beta(bestP.Rate(), m))
	}
	// PEXIT misjudged matrices like these by more than 0.02 of β
	// (docs/ldpc-codes.md): discretized DE on the MD channel at 2 % above
	// the PEXIT threshold, where it agrees for the shipped families.
	if mdThreshold > 0 {
		ok, err := qcldpc.DDEConverges(bestP, nil, 1.02*mdThreshold, qcldpc.DDEOptions{MD8: true})
		if err != nil {
			fmt.Printf("  discretized DE: %v\n", err)
			return
		}
		fmt.Printf("  discretized DE on the MD channel at 1.02 × the PEXIT threshold (β %.4f): converges %v\n",
			qcldpc.Beta(bestP.Rate(), 1.02*mdThreshold), ok)
	}
}
