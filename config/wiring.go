package config

import "github.com/qosst/qosst-go/quantum"

// Detection returns frame.quantum.detection (heterodyne when the text is
// not valid; Validate rejects that case).
func (c *Config) Detection() quantum.Detection {
	d, err := quantum.ParseDetection(c.Frame.Quantum.Detection)
	if err != nil {
		return quantum.Heterodyne
	}
	return d
}
