// Command table prints the threshold tables of docs/ldpc-codes.md:
//
//	go run ./postprocessing/qcldpc/internal/table
//
// With -dde it also checks each threshold of the families' base rows with
// discretized density evolution (slow: minutes per low-rate line).
package main

import (
	"flag"
	"fmt"
	"math"
	"os"

	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

func main() {
	n := flag.Int("n", 1<<20, "block length in bits")
	flag.Parse()
	fmt.Println("| family | rows | shortened / N | R_eff | snr* (PEXIT) | snr* dB | gap to BIAWGN capacity (dB) | β at threshold |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, rate := range []float64{0.5, 0.475, 0.4, 0.333, 0.277, 0.25, 0.2, 0.15, 0.103, 0.08, 0.053, 0.03, 0.02, 0.0101} {
		d, err := qcldpc.ForRate(rate, *n)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		row, err := qcldpc.Ensemble(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("| %d | %d | %.4f | %.4f | %.5f | %.2f | %.3f | %.4f |\n", d.Family, d.Rows,
			float64(d.Shortened)/float64(d.N()), row.Rate, row.SNR, 10*math.Log10(row.SNR), row.GapDB, row.Beta)
	}
	fmt.Println()
	fmt.Println("| SNR per quadrature | best R_eff decoding at it (PEXIT) | family, rows | β = R_eff / (½·log2(1+SNR)) |")
	fmt.Println("| --- | --- | --- | --- |")
	for _, snr := range []float64{1.0, 0.5, 0.16, 0.08, 0.03} {
		row, err := qcldpc.BestBeta(snr, *n)
		if err != nil {
			fmt.Printf("| %.2f | none | | |\n", snr)
			continue
		}
		fmt.Printf("| %.2f | %.4f | %d, %d | %.4f |\n", snr, row.Rate, row.Description.Family, row.Description.Rows, qcldpc.Beta(row.Rate, snr))
	}
	fmt.Println()
	fmt.Println("On the channel of multidimensional reconciliation (GAOptions.MD8: the SNR of each group of 8 scaled by χ²₈/8):")
	fmt.Println()
	fmt.Println("| SNR per quadrature | best R_eff decoding at it (PEXIT, MD8) | family, rows | β at threshold | ceiling: MD capacity / (½·log2(1+SNR)) |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, snr := range []float64{1.0, 0.5, 0.16, 0.08, 0.03} {
		row, err := qcldpc.BestBetaWith(snr, *n, qcldpc.GAOptions{MD8: true})
		if err != nil {
			fmt.Printf("| %.2f | none | | | |\n", snr)
			continue
		}
		fmt.Printf("| %.2f | %.4f | %d, %d | %.4f | %.4f |\n", snr, row.Rate, row.Description.Family, row.Description.Rows,
			qcldpc.Beta(row.Rate, snr), pp.MDCapacity(snr)/qcldpc.GaussianCapacity(snr))
	}
}
