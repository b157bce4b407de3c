package qcldpc

import (
	"fmt"
	"math"
)

// EnsembleRow is one line of the threshold table of docs/ldpc-codes.md.
type EnsembleRow struct {
	Description Description
	Rate        float64 // R_eff
	SNR         float64 // PEXIT threshold, 1/σ² per channel use
	GapDB       float64 // 10·log10(snr* / snr_Shannon(R_eff)) on the BIAWGN channel
	Beta        float64 // R_eff / (½·log2(1 + snr*))
}

// Ensemble computes the table line of a description.
func Ensemble(d Description) (EnsembleRow, error) { return EnsembleWith(d, GAOptions{}) }

// EnsembleWith is Ensemble with density-evolution options (GapDB stays
// against the BIAWGN capacity).
func EnsembleWith(d Description, opt GAOptions) (EnsembleRow, error) {
	r, err := d.EffectiveRate()
	if err != nil {
		return EnsembleRow{}, err
	}
	snr, err := ThresholdSNRWith(d, opt)
	if err != nil {
		return EnsembleRow{}, fmt.Errorf("%+v: %w", d, err)
	}
	return EnsembleRow{Description: d, Rate: r, SNR: snr,
		GapDB: 10 * math.Log10(snr/BIAWGNShannonSNR(r)), Beta: Beta(r, snr)}, nil
}

// BestBeta finds, for a channel of signal-to-noise ratio snr, the highest
// effective rate whose ForRate description (at length n) has its PEXIT
// threshold at or below snr, by bisection on the rate; it returns that
// description's table line, whose β at snr is Rate / (½·log2(1 + snr)).
func BestBeta(snr float64, n int) (EnsembleRow, error) { return BestBetaWith(snr, n, GAOptions{}) }

// BestBetaWith is BestBeta with density-evolution options.
func BestBetaWith(snr float64, n int, opt GAOptions) (EnsembleRow, error) {
	lo, hi := 0.0101, math.Min(0.5, GaussianCapacity(snr))
	var best EnsembleRow
	found := false
	for i := 0; i < 14; i++ {
		mid := (lo + hi) / 2
		d, err := ForRate(mid, n)
		if err != nil {
			hi = mid
			continue
		}
		row, err := EnsembleWith(d, opt)
		if err == nil && row.SNR <= snr {
			best, found, lo = row, true, mid
		} else {
			hi = mid
		}
	}
	if !found {
		return EnsembleRow{}, fmt.Errorf("no code of the families decodes at snr %g", snr)
	}
	return best, nil
}

func fmtRate(r float64) string { return fmt.Sprintf("%.3f", r) }
