package messages

import "fmt"

// contentMax is the largest content_length accepted for a frame of code c.
func (l Limits) contentMax(c Code) int {
	m := l.MaxContent
	if l.ContentFor != nil {
		m = min(m, l.ContentFor(c))
	}
	return m
}

// SetLimits replaces the decoder's limits for the frames read from now on
// (zero fields take the defaults). A server raises them once its peer has
// identified, and keeps them small before.
func (d *Decoder) SetLimits(l Limits) { d.limits = l.withDefaults() }

// Bounds of the identification strings: serial numbers are short (the
// configuration bounds this station's own to MaxSerialNumber as well).
const (
	MaxSerialNumber = 256
	MaxVersion      = 64
)

// checkIdentification bounds the strings of an identification.
func checkIdentification(serial, version string) error {
	if len(serial) > MaxSerialNumber {
		return fieldErr("serial_number", fmt.Sprintf("%d bytes, at most %d", len(serial), MaxSerialNumber))
	}
	if len(version) > MaxVersion {
		return fieldErr("qosst_version", fmt.Sprintf("%d bytes, at most %d", len(version), MaxVersion))
	}
	return nil
}
