package qcldpc_test

import (
	"math"
	"testing"

	pp "github.com/qosst/qosst-go/postprocessing"
	"github.com/qosst/qosst-go/postprocessing/qcldpc"
)

// Density evolution on the channel of multidimensional reconciliation
// (GAOptions.MD8): for the (3,6)-regular ensemble and two of the families'
// codes, the threshold lies above the BIAWGN one (the channel fades), the
// channel's capacity at it (postprocessing.MDCapacity, derived and checked
// apart) is above the rate (no ensemble beats capacity), and it is close to
// the BIAWGN capacity at the BIAWGN threshold: an ensemble's threshold in
// terms of capacity hardly depends on the channel (EXIT analysis' rule of
// thumb, here within 0.01 bit).
func TestMD8Thresholds(t *testing.T) {
	reg := &qcldpc.Protograph{Rows: 1, Cols: 2, B: []uint8{3, 3}}
	d1, err := qcldpc.ForRate(0.4, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := qcldpc.ForRate(0.1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	type ens struct {
		name string
		rate float64
		th   func(opt qcldpc.GAOptions) (float64, error)
	}
	list := []ens{{"(3,6)", 0.5, func(o qcldpc.GAOptions) (float64, error) { return qcldpc.GAThreshold(reg, nil, o) }}}
	for _, d := range []qcldpc.Description{d1, d2} {
		r, _ := d.EffectiveRate()
		list = append(list, ens{"ForRate", r, func(o qcldpc.GAOptions) (float64, error) { return qcldpc.ThresholdSNRWith(d, o) }})
	}
	for _, e := range list {
		flat, err := e.th(qcldpc.GAOptions{})
		if err != nil {
			t.Fatal(err)
		}
		md, err := e.th(qcldpc.GAOptions{MD8: true})
		if err != nil {
			t.Fatal(err)
		}
		cFlat, cMD := pp.BIAWGNCapacity(flat), pp.MDCapacity(md)
		t.Logf("%s R=%.3f: BIAWGN threshold %.4f (C %.4f), MD8 threshold %.4f (C_MD %.4f)", e.name, e.rate, flat, cFlat, md, cMD)
		if !(md > flat) || !(cMD > e.rate) || math.Abs(cMD-cFlat) > 0.01 {
			t.Errorf("%s: thresholds %.4f / %.4f, capacities there %.4f / %.4f, rate %.3f", e.name, flat, md, cFlat, cMD, e.rate)
		}
	}
}
