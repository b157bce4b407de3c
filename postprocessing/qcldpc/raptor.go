package qcldpc

import "fmt"

// Raptor is a rate-compatible protograph in Raptor-like form (Chen et al.,
// "Protograph-based Raptor-like LDPC codes", IEEE Trans. Commun. 2015): a
// precode, a small protograph over the Core columns (some of them
// punctured), extended by incremental-redundancy rows. Extension row i
// holds edges to the core columns listed in Ext[i] and one edge to its own
// degree-1 parity column, Core+i. Using the precode and the first e
// extension rows gives a code of rate K/(Core − punctured + e), with
// K = Core − PreRows.
type Raptor struct {
	PreRows   int
	Core      int
	Pre       []uint8 // PreRows × Core multiplicities, row-major
	Punctured []int   // punctured core columns
	Ext       [][]uint8
}

// K is the number of information columns.
func (f *Raptor) K() int { return f.Core - f.PreRows }

// MaxRows is the number of rows of the longest code of the family.
func (f *Raptor) MaxRows() int { return f.PreRows + len(f.Ext) }

// MinRows is the number of rows of the highest-rate code: the precode.
func (f *Raptor) MinRows() int { return f.PreRows }

// Cols is the number of base columns of the code with rows rows.
func (f *Raptor) Cols(rows int) int { return f.Core + rows - f.PreRows }

// RateAt is the design rate of the code with rows rows.
func (f *Raptor) RateAt(rows int) float64 {
	return float64(f.K()) / float64(f.Cols(rows)-len(f.Punctured))
}

// Protograph returns the protograph of the code with rows rows
// (PreRows ≤ rows ≤ MaxRows).
func (f *Raptor) Protograph(rows int) (*Protograph, error) {
	if rows < f.PreRows || rows > f.MaxRows() {
		return nil, fmt.Errorf("%w: rows = %d outside [%d, %d]", ErrInvalidCode, rows, f.PreRows, f.MaxRows())
	}
	cols := f.Cols(rows)
	p := &Protograph{Rows: rows, Cols: cols, B: make([]uint8, rows*cols), Punctured: append([]int(nil), f.Punctured...)}
	for r := 0; r < f.PreRows; r++ {
		copy(p.B[r*cols:r*cols+f.Core], f.Pre[r*f.Core:(r+1)*f.Core])
	}
	for i := 0; i < rows-f.PreRows; i++ {
		r := f.PreRows + i
		for _, c := range f.Ext[i] {
			p.B[r*cols+int(c)]++
		}
		p.B[r*cols+f.Core+i] = 1
	}
	return p, nil
}
