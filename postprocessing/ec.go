package postprocessing

import (
	"fmt"
	"math"

	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// SparseMatrixWire is EC_INITIALIZATION's "sparse_matrix": the block length
// and, per parity check, the columns it involves.
type SparseMatrixWire struct {
	N    int     `json:"n"`
	Rows [][]int `json:"rows"`
}

// ECInitWire mirrors EC_INITIALIZATION's content field for field, so a
// station converts between the message and a ReconciliationPlan without
// knowing the codes: exactly one of LDPC, SparseMatrix, Matrix is set.
type ECInitWire struct {
	Noise          float64             `json:"noise"`
	LDPC           *LDPCParams         `json:"ldpc,omitempty"`
	SparseMatrix   *SparseMatrixWire   `json:"sparse_matrix,omitempty"`
	Matrix         [][]int             `json:"matrix,omitempty"`
	QCLDPC         *qcldpc.Description `json:"qc_ldpc,omitempty"`
	Reconciliation string              `json:"reconciliation,omitempty"`
	Blocks         int                 `json:"blocks"`
}

// Wire returns the EC_INITIALIZATION fields of the plan: "ldpc" for a
// generated code, "sparse_matrix" for an explicit one.
func (p ReconciliationPlan) Wire() ECInitWire {
	w := ECInitWire{Noise: p.Noise, Reconciliation: p.Scheme, Blocks: p.Blocks}
	if p.Matrix != nil {
		w.SparseMatrix = &SparseMatrixWire{N: p.Matrix.N(), Rows: p.Matrix.Rows()}
	} else if p.QC != nil {
		d := *p.QC
		w.QCLDPC = &d
	} else {
		code := p.Code
		w.LDPC = &code
	}
	return w
}

// PlanFromWire validates EC_INITIALIZATION's fields and returns the plan they
// describe. "reconciliation" defaults to "sign". Errors wrap ErrInvalidPlan
// (answer EC_DENIED).
func PlanFromWire(w ECInitWire) (ReconciliationPlan, error) {
	scheme := w.Reconciliation
	if scheme == "" {
		scheme = SchemeSign
	}
	plan := ReconciliationPlan{Scheme: scheme, Blocks: w.Blocks, Noise: w.Noise}
	given := 0
	if w.LDPC != nil {
		given++
		plan.Code = *w.LDPC
	}
	if w.SparseMatrix != nil {
		given++
		h, err := NewParityCheck(w.SparseMatrix.N, w.SparseMatrix.Rows)
		if err != nil {
			return ReconciliationPlan{}, fmt.Errorf("%w: sparse_matrix: %w", ErrInvalidPlan, err)
		}
		plan.Matrix = h
	}
	if w.QCLDPC != nil {
		given++
		d := *w.QCLDPC
		plan.QC = &d
		if plan.Scheme != SchemeMultidimensional {
			return ReconciliationPlan{}, fmt.Errorf("%w: qc_ldpc codes serve multidimensional reconciliation only, not %q", ErrInvalidPlan, plan.Scheme)
		}
	}
	if w.Matrix != nil {
		given++
		h, err := NewParityCheckDense(w.Matrix)
		if err != nil {
			return ReconciliationPlan{}, fmt.Errorf("%w: matrix: %w", ErrInvalidPlan, err)
		}
		plan.Matrix = h
	}
	if given != 1 {
		return ReconciliationPlan{}, fmt.Errorf("%w: want exactly one of ldpc, qc_ldpc, sparse_matrix, matrix; got %d", ErrInvalidPlan, given)
	}
	if math.IsNaN(w.Noise) {
		return ReconciliationPlan{}, fmt.Errorf("%w: noise is NaN", ErrInvalidPlan)
	}
	if err := plan.Validate(); err != nil {
		return ReconciliationPlan{}, err
	}
	return plan, nil
}
