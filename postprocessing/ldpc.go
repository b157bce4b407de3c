package postprocessing

import (
	"errors"
	"fmt"
	"slices"
)

// Limits on parity-check matrices, whether generated or received from a peer.
// They bound the memory a hostile EC_INITIALIZATION can make a station spend.
const (
	// MaxCodeLength is the largest block length n accepted.
	MaxCodeLength = 1 << 20
	// MaxCodeEdges is the largest number of ones in a parity-check matrix.
	MaxCodeEdges = 1 << 22
	// MaxColumnWeight is the largest column weight of a generated code.
	MaxColumnWeight = 32
	// MaxRowWeight bounds the mean number of systematic ones per row,
	// K·ColumnWeight/(N−K), of a generated code (useful codes have tens).
	MaxRowWeight = 256
	// MaxDenseEntries bounds a dense matrix given row by row (rows × n).
	MaxDenseEntries = 1 << 26
)

// ErrInvalidCode is wrapped by every error about an LDPC description or a
// parity-check matrix that cannot be used.
var ErrInvalidCode = errors.New("invalid LDPC code")

// LDPCParams describes a generated LDPC code: EC_INITIALIZATION's
// "ldpc": {"n", "k", "column_weight", "seed"}. The parity-check matrix has
// M = N−K rows and N columns; GenerateLDPC builds it deterministically.
type LDPCParams struct {
	N            int   `json:"n"`
	K            int   `json:"k"`
	ColumnWeight int   `json:"column_weight"`
	Seed         int64 `json:"seed"`
}

// Validate reports whether the parameters describe a code GenerateLDPC can
// build within the limits.
func (p LDPCParams) Validate() error {
	m := p.N - p.K
	switch {
	case p.N < 4 || p.N > MaxCodeLength:
		return fmt.Errorf("%w: n = %d outside [4, %d]", ErrInvalidCode, p.N, MaxCodeLength)
	case p.K < 1 || p.K >= p.N:
		return fmt.Errorf("%w: k = %d outside [1, n-1]", ErrInvalidCode, p.K)
	case p.ColumnWeight < 2 || p.ColumnWeight > MaxColumnWeight:
		return fmt.Errorf("%w: column_weight = %d outside [2, %d]", ErrInvalidCode, p.ColumnWeight, MaxColumnWeight)
	case 2*p.ColumnWeight > m:
		return fmt.Errorf("%w: column_weight = %d exceeds (n-k)/2 = %d", ErrInvalidCode, p.ColumnWeight, m/2)
	case int64(p.K)*int64(p.ColumnWeight) > int64(MaxRowWeight)*int64(m):
		return fmt.Errorf("%w: k·column_weight/(n−k) exceeds %d ones per row", ErrInvalidCode, MaxRowWeight)
	case int64(p.N)*int64(p.ColumnWeight) > MaxCodeEdges:
		return fmt.Errorf("%w: n × column_weight exceeds %d", ErrInvalidCode, MaxCodeEdges)
	}
	return nil
}

// ParityCheck is a sparse binary parity-check matrix H (M rows, N columns),
// stored both by rows and by columns. It is immutable once built and safe for
// concurrent use.
type ParityCheck struct {
	n, m int
	// rowPtr/rowCol: the column indices of row r are rowCol[rowPtr[r]:rowPtr[r+1]], ascending.
	rowPtr []int32
	rowCol []int32
	// colPtr/colRow: the row indices of column c, ascending.
	colPtr []int32
	colRow []int32
}

// N is the block length (number of columns).
func (h *ParityCheck) N() int { return h.n }

// M is the number of parity checks (rows), i.e. syndrome bits per block.
func (h *ParityCheck) M() int { return h.m }

// K is N − M, the nominal dimension of the code (the true dimension is larger
// when rows are dependent; leakage is counted as M, which is conservative).
func (h *ParityCheck) K() int { return h.n - h.m }

// Edges is the number of ones in H.
func (h *ParityCheck) Edges() int { return len(h.rowCol) }

// Row returns a copy of the column indices of row r, ascending.
func (h *ParityCheck) Row(r int) []int {
	out := make([]int, 0, h.rowPtr[r+1]-h.rowPtr[r])
	for _, c := range h.rowCol[h.rowPtr[r]:h.rowPtr[r+1]] {
		out = append(out, int(c))
	}
	return out
}

// Rows returns H as lists of column indices per row (the "rows" of
// EC_INITIALIZATION's "sparse_matrix").
func (h *ParityCheck) Rows() [][]int {
	out := make([][]int, h.m)
	for r := range out {
		out[r] = h.Row(r)
	}
	return out
}

// Syndrome returns H·bits over GF(2). bits holds one bit per byte (0 or 1;
// only the low bit is read) and must have length N.
func (h *ParityCheck) Syndrome(bits []uint8) ([]uint8, error) {
	if len(bits) != h.n {
		return nil, fmt.Errorf("%w: %d bits for a code of length %d", ErrInvalidCode, len(bits), h.n)
	}
	s := make([]uint8, h.m)
	for r := 0; r < h.m; r++ {
		var x uint8
		for _, c := range h.rowCol[h.rowPtr[r]:h.rowPtr[r+1]] {
			x ^= bits[c]
		}
		s[r] = x & 1
	}
	return s, nil
}

// FourCycles counts the pairs of rows that share two or more columns (each
// such pair closes at least one cycle of length 4 in the Tanner graph).
func (h *ParityCheck) FourCycles() int {
	count := 0
	seen := make(map[[2]int32]struct{})
	for c := 0; c < h.n; c++ {
		rows := h.colRow[h.colPtr[c]:h.colPtr[c+1]]
		for i := range rows {
			for j := i + 1; j < len(rows); j++ {
				key := [2]int32{rows[i], rows[j]}
				if _, ok := seen[key]; ok {
					count++
				} else {
					seen[key] = struct{}{}
				}
			}
		}
	}
	return count
}

// NewParityCheck builds H from explicit rows of column indices (the
// "sparse_matrix" form). Every index must lie in [0, n) and appear at most
// once per row; every row must be non-empty.
func NewParityCheck(n int, rows [][]int) (*ParityCheck, error) {
	if n < 2 || n > MaxCodeLength {
		return nil, fmt.Errorf("%w: n = %d outside [2, %d]", ErrInvalidCode, n, MaxCodeLength)
	}
	if len(rows) < 1 || len(rows) >= n {
		return nil, fmt.Errorf("%w: %d rows for n = %d (need 1..n-1)", ErrInvalidCode, len(rows), n)
	}
	edges := 0
	for r, row := range rows {
		if len(row) == 0 {
			return nil, fmt.Errorf("%w: row %d is empty", ErrInvalidCode, r)
		}
		edges += len(row)
		if edges > MaxCodeEdges {
			return nil, fmt.Errorf("%w: more than %d ones", ErrInvalidCode, MaxCodeEdges)
		}
	}
	adj := make([][]int32, len(rows))
	for r, row := range rows {
		a := make([]int32, len(row))
		for i, c := range row {
			if c < 0 || c >= n {
				return nil, fmt.Errorf("%w: row %d: column %d outside [0, %d)", ErrInvalidCode, r, c, n)
			}
			a[i] = int32(c)
		}
		slices.Sort(a)
		for i := 1; i < len(a); i++ {
			if a[i] == a[i-1] {
				return nil, fmt.Errorf("%w: row %d: column %d repeated", ErrInvalidCode, r, a[i])
			}
		}
		adj[r] = a
	}
	return fromRowLists(n, adj), nil
}

// NewParityCheckDense builds H from a dense 0/1 matrix (EC_INITIALIZATION's
// "matrix" field of the prose spec).
func NewParityCheckDense(matrix [][]int) (*ParityCheck, error) {
	if len(matrix) == 0 {
		return nil, fmt.Errorf("%w: empty matrix", ErrInvalidCode)
	}
	n := len(matrix[0])
	if int64(n)*int64(len(matrix)) > MaxDenseEntries {
		return nil, fmt.Errorf("%w: dense matrix larger than %d entries", ErrInvalidCode, MaxDenseEntries)
	}
	rows := make([][]int, len(matrix))
	for r, row := range matrix {
		if len(row) != n {
			return nil, fmt.Errorf("%w: row %d has %d entries, row 0 has %d", ErrInvalidCode, r, len(row), n)
		}
		for c, v := range row {
			switch v {
			case 0:
			case 1:
				rows[r] = append(rows[r], c)
			default:
				return nil, fmt.Errorf("%w: entry (%d, %d) = %d is not a bit", ErrInvalidCode, r, c, v)
			}
		}
	}
	return NewParityCheck(n, rows)
}

// fromRowLists builds the two compressed forms from sorted row lists.
func fromRowLists(n int, adj [][]int32) *ParityCheck {
	m := len(adj)
	h := &ParityCheck{n: n, m: m, rowPtr: make([]int32, m+1), colPtr: make([]int32, n+1)}
	edges := 0
	for _, a := range adj {
		edges += len(a)
	}
	h.rowCol = make([]int32, 0, edges)
	colDeg := make([]int32, n)
	for r, a := range adj {
		h.rowCol = append(h.rowCol, a...)
		h.rowPtr[r+1] = int32(len(h.rowCol))
		for _, c := range a {
			colDeg[c]++
		}
	}
	for c := 0; c < n; c++ {
		h.colPtr[c+1] = h.colPtr[c] + colDeg[c]
	}
	h.colRow = make([]int32, edges)
	fill := slices.Clone(h.colPtr[:n])
	for r, a := range adj { // rows visited in order, so each column's rows come out ascending
		for _, c := range a {
			h.colRow[fill[c]] = int32(r)
			fill[c]++
		}
	}
	return h
}

// splitMix64 is the SplitMix64 generator (Steele, Lea, Flood 2014): the
// pseudo-random source of code generation, fixed here so that every peer that
// follows the documented construction builds the same matrix.
type splitMix64 struct{ state uint64 }

func (s *splitMix64) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// below returns a uniform integer in [0, bound) by rejection (bound > 0).
func (s *splitMix64) below(bound uint64) uint64 {
	limit := -bound % bound // 2^64 mod bound
	for {
		v := s.next()
		if v >= limit {
			return v % bound
		}
	}
}

// maxPlacementTries bounds the draws spent looking for a row that closes no
// 4-cycle before a column accepts one.
const maxPlacementTries = 32

// scanBudgetPerEdge bounds the adjacency entries the 4-cycle checks may read,
// per systematic edge, over the whole generation: dense descriptions (rows of
// thousands of ones, which no useful code has) then stop avoiding 4-cycles
// instead of taking quadratic time.
const scanBudgetPerEdge = 32

// GenerateLDPC builds the code described by p, deterministically: the same
// parameters give the same matrix on every platform. The construction is
// irregular repeat-accumulate (IRA), as DVB-S2 codes are, which performs far
// better than a regular code at the low rates of CV-QKD:
//
//   - columns 0…K−1 ("systematic") have weight ColumnWeight; their ones are
//     placed by drawing row sockets uniformly without replacement (each row
//     offers ⌈K·w/M⌉ or ⌊K·w/M⌋ sockets, row r's sockets listed r, r+M, …
//     i.e. socket i belongs to row i mod M, K·w sockets in all) with
//     SplitMix64 seeded by Seed; a draw is rejected and redrawn (up to 32
//     draws per one) when its row is already in the column, is adjacent
//     (|r−q| = 1) to a row already in the column, or shares a column with one
//     of them: the last two would close 4-cycles;
//   - columns K…N−1 ("accumulator") form a dual diagonal: column K+j holds
//     rows j and j+1 (column N−1 holds row M−1 only).
//
// docs/postprocessing-ec-pa.md spells out the draw procedure bit for bit.
func GenerateLDPC(p LDPCParams) (*ParityCheck, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	k, m, w := p.K, p.N-p.K, p.ColumnWeight
	rng := &splitMix64{state: uint64(p.Seed)}
	total := k * w
	sockets := make([]int32, total)
	for i := range sockets {
		sockets[i] = int32(i % m)
	}
	adj := make([][]int32, m)
	for r := range adj {
		adj[r] = make([]int32, 0, total/m+4)
	}
	chosen := make([]int32, 0, w)
	remaining := total
	// mark[c'] == c+1: column c' shares a row with the rows chosen so far for
	// column c (a row holding c' as well would close a 4-cycle).
	mark := make([]int32, k)
	inCol := make([]int32, m) // inCol[r] == c+1: row r is already in column c
	budget := int64(scanBudgetPerEdge) * int64(total)
	for c := 0; c < k; c++ {
		chosen = chosen[:0]
		stamp := int32(c + 1)
		for len(chosen) < w {
			pick, fallback := -1, -1
			for try := 0; try < maxPlacementTries && remaining > 0; try++ {
				i := int(rng.below(uint64(remaining)))
				r := sockets[i]
				if inCol[r] == stamp {
					continue
				}
				if fallback < 0 {
					fallback = i
				}
				if budget <= 0 {
					pick = i
					break
				}
				budget -= int64(len(adj[r]))
				if !closesFourCycle(adj[r], mark, inCol, stamp, r) {
					pick = i
					break
				}
			}
			if pick < 0 {
				pick = fallback
			}
			var r int32
			if pick >= 0 {
				r = sockets[pick]
				remaining--
				sockets[pick], sockets[remaining] = sockets[remaining], sockets[pick]
			} else {
				// No usable socket left: the least loaded row not yet in the
				// column, lowest index on ties.
				r = -1
				for cand := int32(0); cand < int32(m); cand++ {
					if inCol[cand] != stamp && (r < 0 || len(adj[cand]) < len(adj[r])) {
						r = cand
					}
				}
			}
			chosen = append(chosen, r)
			inCol[r] = stamp
			if budget > 0 {
				budget -= int64(len(adj[r]))
				for _, c2 := range adj[r] {
					mark[c2] = stamp
				}
			}
		}
		for _, r := range chosen {
			adj[r] = append(adj[r], int32(c)) // columns arrive in order: rows stay sorted
		}
	}
	for j := 0; j < m; j++ {
		if j > 0 {
			adj[j] = append(adj[j], int32(k+j-1))
		}
		adj[j] = append(adj[j], int32(k+j))
	}
	return fromRowLists(p.N, adj), nil
}

// closesFourCycle reports whether adding row r (whose columns so far are
// cols) to the current column makes r share a second column with a row
// already in it (inCol[q] == stamp flags those rows, mark[c'] == stamp their
// columns), counting the dual-diagonal columns still to come (adjacent rows
// share one).
func closesFourCycle(cols, mark, inCol []int32, stamp, r int32) bool {
	if (r > 0 && inCol[r-1] == stamp) || (int(r+1) < len(inCol) && inCol[r+1] == stamp) {
		return true
	}
	for _, c := range cols {
		if mark[c] == stamp {
			return true
		}
	}
	return false
}
