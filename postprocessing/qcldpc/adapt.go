package qcldpc

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Limits on a Description, whether chosen locally or received from a peer.
const (
	// MaxLength is the largest lifted block length N in bits.
	MaxLength = 1 << 22
	// MaxEdges bounds the ones of the lifted parity-check matrix.
	MaxEdges = 1 << 25
	// MaxZ bounds the circulant size.
	MaxZ = MaxLength
)

// ErrInvalidDescription is wrapped by every error of Description.Validate
// and Build; the message names the field.
var ErrInvalidDescription = errors.New("invalid code description")

// Description names a code compactly and completely: both stations build
// the same code, bit for bit, from these few integers.
//
//   - Family: a shipped protograph family (Families: FamilyAR4JA,
//     FamilyLow, FamilyHigh, FamilyIrregular, ...).
//   - Rows: how many of the family's base rows are used (more rows, lower
//     rate: the precode plus Rows − PreRows extension rows).
//   - Z: the circulant size; N = f · columns(Rows) · Z bits, f the
//     pre-lift factor of the family at Rows rows (preLiftAt).
//   - Shortened: bits whose value Alice knows (not carried by the channel,
//     not key bits).
//   - Punctured: bits Alice gets no information on (key bits not carried by
//     the channel), in addition to the family's punctured columns.
//   - Seed: selects the circulant shifts and the shortened and punctured
//     positions.
type Description struct {
	Family    int    `json:"family"`
	Z         int    `json:"z"`
	Rows      int    `json:"rows"`
	Shortened int    `json:"shortened"`
	Punctured int    `json:"punctured"`
	Seed      uint32 `json:"seed"`
}

// shape is what a valid description implies.
type shape struct {
	fam        *family
	pl         int // pre-lift factor
	n, m       int // lifted bits and checks
	structP    int // bits of the family's punctured columns
	candidates int // bits that may be shortened or punctured
}

func (d Description) shape() (shape, error) {
	fam, ok := families[d.Family]
	if !ok {
		return shape{}, fmt.Errorf("%w: family %d is not a known code family", ErrInvalidDescription, d.Family)
	}
	f := &fam.raptor
	if d.Rows < fam.minRows || d.Rows > f.MaxRows() {
		return shape{}, fmt.Errorf("%w: rows = %d outside [%d, %d] for family %d", ErrInvalidDescription, d.Rows, fam.minRows, f.MaxRows(), d.Family)
	}
	pl := fam.preLiftAt(d.Rows)
	cols := f.Cols(d.Rows) * pl
	if d.Z < 1 || d.Z > MaxZ || int64(d.Z)*int64(cols) > MaxLength {
		return shape{}, fmt.Errorf("%w: z = %d outside [1, %d] (block length at most %d bits over %d base columns)",
			ErrInvalidDescription, d.Z, MaxLength/cols, MaxLength, cols)
	}
	edges := 0
	for _, b := range f.Pre {
		edges += int(b)
	}
	for _, e := range f.Ext[:d.Rows-f.PreRows] {
		edges += len(e) + 1
	}
	if int64(edges)*int64(pl)*int64(d.Z) > MaxEdges {
		return shape{}, fmt.Errorf("%w: z = %d gives more than %d edges", ErrInvalidDescription, d.Z, MaxEdges)
	}
	s := shape{fam: fam, pl: pl, n: cols * d.Z, m: d.Rows * pl * d.Z}
	s.structP = len(f.Punctured) * pl * d.Z
	s.candidates = (f.Core - len(f.Punctured)) * pl * d.Z
	switch {
	case d.Shortened < 0 || d.Shortened > s.candidates:
		return shape{}, fmt.Errorf("%w: shortened = %d outside [0, %d]", ErrInvalidDescription, d.Shortened, s.candidates)
	case d.Punctured < 0 || d.Punctured > s.candidates-d.Shortened:
		return shape{}, fmt.Errorf("%w: punctured = %d outside [0, %d] (candidates left after shortening)", ErrInvalidDescription, d.Punctured, s.candidates-d.Shortened)
	case s.n-d.Shortened <= s.m:
		return shape{}, fmt.Errorf("%w: shortened = %d leaves no more bits than the %d checks", ErrInvalidDescription, d.Shortened, s.m)
	case d.Punctured+s.structP >= s.m:
		return shape{}, fmt.Errorf("%w: punctured = %d plus the %d bits of punctured columns reach the %d checks (effective rate ≥ 1)", ErrInvalidDescription, d.Punctured, s.structP, s.m)
	}
	return s, nil
}

// Validate bounds everything in the description: known family, rows in the
// family's range, block length ≤ MaxLength, edges ≤ MaxEdges, shortened and
// punctured counts consistent with the code. Errors wrap
// ErrInvalidDescription and name the field.
func (d Description) Validate() error {
	_, err := d.shape()
	return err
}

// N is the block length in bits, M the number of checks (syndrome bits);
// zero when the description is invalid.
func (d Description) N() int { s, _ := d.shape(); return s.n }

// M is the number of checks of the described code.
func (d Description) M() int { s, _ := d.shape(); return s.m }

// EffectiveRate is R_eff = (N − S − M) / (N − S − P): the key bits (the
// N − S unshortened bits) less the M syndrome bits, all charged as leaked,
// per bit carried by the channel (N − S − P, P counting the family's
// punctured columns too).
func (d Description) EffectiveRate() (float64, error) {
	s, err := d.shape()
	if err != nil {
		return 0, err
	}
	p := d.Punctured + s.structP
	return float64(s.n-d.Shortened-s.m) / float64(s.n-d.Shortened-p), nil
}

// Adapted is a built code with its rate adaptation: the bit positions
// (sorted, in [0, N)) whose values Alice knows (Shortened) and on which she
// has no information (Punctured: the family's punctured columns and the
// Description's punctured bits).
type Adapted struct {
	Description Description
	Code        *Code
	Shortened   []int32
	Punctured   []int32
}

// Build constructs the described code. The same description gives the same
// code and positions on every platform.
func Build(d Description) (*Adapted, error) {
	s, err := d.shape()
	if err != nil {
		return nil, err
	}
	f := &s.fam.raptor
	p, err := f.Protograph(d.Rows)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDescription, err)
	}
	// One stream for the shifts, another for the positions: rows added to a
	// description keep the shifts of the rows they extend.
	code, err := Lift(p, s.pl, d.Z, uint64(d.Seed)<<8|uint64(d.Family))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDescription, err)
	}
	a := &Adapted{Description: d, Code: code}
	// candidates: the bits of the unpunctured core columns (pre-lifted)
	pl := s.pl
	var candCols []int
	for c := 0; c < f.Core; c++ {
		if !slices.Contains(f.Punctured, c) {
			for i := 0; i < pl; i++ {
				candCols = append(candCols, c*pl+i)
			}
		}
	}
	k := d.Shortened + d.Punctured
	if k > 0 {
		perm := make([]int32, s.candidates)
		for i := range perm {
			perm[i] = int32(candCols[i/d.Z]*d.Z + i%d.Z)
		}
		rng := &splitMix64{state: uint64(d.Seed)<<8 | 0x80 | uint64(d.Family)}
		for i := 0; i < k; i++ { // partial Fisher–Yates
			j := i + int(rng.below(uint64(len(perm)-i)))
			perm[i], perm[j] = perm[j], perm[i]
		}
		a.Shortened = slices.Clone(perm[:d.Shortened])
		a.Punctured = slices.Clone(perm[d.Shortened:k])
		slices.Sort(a.Shortened)
	}
	for _, c := range code.Punctured {
		for j := 0; j < d.Z; j++ {
			a.Punctured = append(a.Punctured, c*int32(d.Z)+int32(j))
		}
	}
	slices.Sort(a.Punctured)
	return a, nil
}

// ForRate chooses the description of the code for effective rate rate at
// block length about n bits: the family serving the rate, the most rows
// whose base rate is at least rate, the largest z with N ≤ n, then just
// enough shortened bits to bring R_eff down to rate (never above it); or,
// for a rate above the base rate of the family's fewest rows (up to its
// punctureTo, FamilyMDHigh only), the most punctured bits that keep R_eff
// at or below rate.
// Shortening lowers R_eff, as the syndrome stays whole while the key
// shrinks; puncturing raises it.
func ForRate(rate float64, n int) (Description, error) {
	return ForRateAmong(rate, n, nil)
}

// ForRateAmong is ForRate restricted to the families listed (nil: every
// family ForRate uses), tried in ForRate's order: a station whose peer does
// not know the newest families plans with the ones it does. Ids ForRate
// never uses (FamilyHigh) or that are not shipped are ignored; when no listed
// family serves the rate and length, the error wraps ErrInvalidDescription.
func ForRateAmong(rate float64, n int, among []int) (Description, error) {
	if !(rate > 0 && rate < 1) {
		return Description{}, fmt.Errorf("%w: rate %g outside (0, 1)", ErrInvalidDescription, rate)
	}
	if n < 1 || n > MaxLength {
		return Description{}, fmt.Errorf("%w: length %d outside [1, %d]", ErrInvalidDescription, n, MaxLength)
	}
	var best *family
	for _, id := range forRateOrder {
		if among != nil && !slices.Contains(among, id) {
			continue
		}
		fam := families[id]
		if rate <= fam.topRate() && rate >= fam.bottomRate() && servesLength(id, n) {
			best = fam
			break
		}
	}
	if best == nil {
		if among != nil {
			return Description{}, fmt.Errorf("%w: none of the families %v serves rate %g at %d bits", ErrInvalidDescription, among, rate, n)
		}
		return Description{}, fmt.Errorf("%w: no family serves rate %g", ErrInvalidDescription, rate)
	}
	f := &best.raptor
	rows := best.minRows
	for rows < f.MaxRows() && f.RateAt(rows+1) >= rate {
		rows++
	}
	d := Description{Family: best.id, Rows: rows, Z: n / (f.Cols(rows) * best.preLiftAt(rows))}
	s, err := d.shape()
	if err != nil {
		return Description{}, err
	}
	if rate > f.RateAt(rows) {
		// Above the base rate of the fewest rows (a family with
		// punctureTo): the most punctured bits that keep R_eff ≤ rate.
		// (N − M) = rate·(N − P_struct − P)  ⇒  P = N − P_struct − (N − M)/rate
		p := float64(s.n-s.structP) - float64(s.n-s.m)/rate
		d.Punctured = max(0, min(s.candidates, int(math.Floor(p))))
	} else {
		// (N − S − M) = rate·(N − S − P)  ⇒  S = N − (M − rate·P)/(1 − rate)
		sh := float64(s.n) - (float64(s.m)-rate*float64(s.structP))/(1-rate)
		d.Shortened = max(0, min(s.candidates, int(math.Ceil(sh))))
	}
	if err := d.Validate(); err != nil {
		return Description{}, err
	}
	return d, nil
}

// ThresholdSNR is the PEXIT threshold of the described code's ensemble, as
// snr = 1/σ² per channel use (BPSK ±1): the family's protograph with Rows
// rows, its unpunctured core columns carrying the shortened and punctured
// fractions.
func ThresholdSNR(d Description) (float64, error) {
	return ThresholdSNRWith(d, GAOptions{})
}

// ThresholdSNRWith is ThresholdSNR with density-evolution options (for
// example the channel of multidimensional reconciliation, GAOptions.MD8).
func ThresholdSNRWith(d Description, opt GAOptions) (float64, error) {
	p, extra, err := d.ensemble()
	if err != nil {
		return 0, err
	}
	return GAThreshold(p, extra, opt)
}

// ConvergesAt reports whether density evolution with opt converges on d's
// ensemble (its rows, shortened and punctured fractions) at snr: whether
// d's threshold is at most snr. It costs one evaluation, where
// ThresholdSNRWith bisects over about twenty.
func ConvergesAt(d Description, snr float64, opt GAOptions) (bool, error) {
	p, extra, err := d.ensemble()
	if err != nil {
		return false, err
	}
	if err := p.Validate(); err != nil {
		return false, err
	}
	ok, _ := newGAGraph(p, extra).converges(snr, opt)
	return ok, nil
}

// ensemble returns the protograph and per-column channel of a description.
func (d Description) ensemble() (*Protograph, []ColumnChannel, error) {
	s, err := d.shape()
	if err != nil {
		return nil, nil, err
	}
	f := &s.fam.raptor
	p, err := f.Protograph(d.Rows)
	if err != nil {
		return nil, nil, err
	}
	extra := make([]ColumnChannel, p.Cols)
	for c := 0; c < f.Core; c++ {
		extra[c] = ColumnChannel{
			Shortened: float64(d.Shortened) / float64(s.candidates),
			Punctured: float64(d.Punctured) / float64(s.candidates),
		}
	}
	return p, extra, nil
}

// fitRows is how many rows below ForRate's ForRateLength tries.
const fitRows = 8

// fitPuncturedShare bounds the share of a code's candidate (unpunctured
// core) bits that ForRateLength punctures without looking further.
const fitPuncturedShare = 0.01

// ForRateLength chooses the description of the code for effective rate
// rate with exactly q channel bits, as a block of q quadratures needs:
// floor(rate·q) bits left secret by the syndrome (N − S − M). Starting from
// the family and rows ForRateAmong picks for about q bits, at each row
// count it takes the smallest z that leaves floor(rate·q) bits after the
// checks, shortens the bits beyond, and punctures the bits beyond q
// channel bits. Punctured core bits weaken a code (a low-rate code's core
// is a few percent of its bits), and the puncturing left, the remainder of
// the checks over a z step, up to (rows − punctured columns)·pre-lift
// bits, differs from one row count to the next; fewer rows mean more
// shortening. So it keeps ForRate's rows when they puncture at most
// fitPuncturedShare of the candidate bits, else the first of up to
// fitRows fewer that does, else the rows that puncture least. Errors wrap
// ErrInvalidDescription.
func ForRateLength(rate float64, q int, among []int) (Description, error) {
	if q < 1 || q > MaxLength {
		return Description{}, fmt.Errorf("%w: %d channel bits outside [1, %d]", ErrInvalidDescription, q, MaxLength)
	}
	d0, err := ForRateAmong(rate, q, among)
	if err != nil {
		return Description{}, err
	}
	fam := families[d0.Family]
	f := &fam.raptor
	secret := int(math.Floor(rate * float64(q)))
	k, np := f.K(), len(f.Punctured)
	var best Description
	found := false
	for rows := d0.Rows; rows >= max(fam.minRows, d0.Rows-fitRows); rows-- {
		pl := fam.preLiftAt(rows)
		// N − M = K·pl·z ≥ secret, and (rows − np)·pl·z = M − P_struct ≥ q − secret.
		z := max((secret+k*pl-1)/(k*pl), (q-secret+(rows-np)*pl-1)/((rows-np)*pl), 1)
		d := Description{Family: d0.Family, Rows: rows, Z: z, Seed: d0.Seed,
			Shortened: k*pl*z - secret,
			Punctured: (rows-np)*pl*z - (q - secret)}
		if d.Validate() != nil || d.ChannelBits() != q {
			continue
		}
		if !found || d.Punctured < best.Punctured {
			best, found = d, true
		}
		if s, _ := d.shape(); float64(d.Punctured) <= fitPuncturedShare*float64(s.candidates) {
			return d, nil
		}
	}
	if !found {
		return Description{}, fmt.Errorf("%w: no code of family %d at rate %.4f has exactly %d channel bits", ErrInvalidDescription, d0.Family, rate, q)
	}
	return best, nil
}
