// Package quantum owns what both stations' hardware and post-processing
// share about a frame's quantum part: the detection scheme, a frame
// parameter (frame.quantum.detection, "detection" in INITIALIZATION). It
// imports the standard library only.
package quantum

import (
	"fmt"
	"strings"
)

// Detection is Bob's measurement scheme: heterodyne (both quadratures,
// each through a balanced 50:50 split, each with half the signal) or
// homodyne (one quadrature, q; imaginary parts are 0).
type Detection int

// The two schemes of the QOSST key-rate formulas. The zero value is not a
// detection, so a forgotten field is caught by validation.
const (
	Heterodyne Detection = iota + 1
	Homodyne
)

// String returns "heterodyne" or "homodyne", the names used in
// configuration files and on the wire.
func (d Detection) String() string {
	switch d {
	case Heterodyne:
		return "heterodyne"
	case Homodyne:
		return "homodyne"
	}
	return fmt.Sprintf("detection(%d)", int(d))
}

// Valid reports whether d is Heterodyne or Homodyne.
func (d Detection) Valid() bool { return d == Heterodyne || d == Homodyne }

// Quadratures is the number of quadratures d measures per symbol: the k of
// the link model y = sqrt(ηT/k)·x + n (2 for heterodyne, 1 for homodyne).
func (d Detection) Quadratures() float64 {
	if d == Heterodyne {
		return 2
	}
	return 1
}

// ParseDetection reads "heterodyne" or "homodyne" (case and surrounding
// blanks ignored).
func ParseDetection(s string) (Detection, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "heterodyne":
		return Heterodyne, nil
	case "homodyne":
		return Homodyne, nil
	}
	return 0, fmt.Errorf("unknown detection %q (want heterodyne or homodyne)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (d Detection) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("invalid detection %d", int(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseDetection.
func (d *Detection) UnmarshalText(b []byte) error {
	v, err := ParseDetection(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
