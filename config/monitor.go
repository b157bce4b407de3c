package config

import (
	"net"
	"strconv"
	"strings"
)

// Monitor is [monitor] (this implementation's section): the station's
// HTTP monitor (metrics, live page, frame history).
type Monitor struct {
	// Listen is the HOST:PORT the monitor serves HTTP on; empty: no
	// monitor. A port alone (":9100" or "9100") listens on loopback.
	Listen string `toml:"listen"`
}

// Addr returns the address to listen on ("" when the monitor is off):
// Listen with 127.0.0.1 for a missing host. An address that is not
// HOST:PORT or PORT with a port in 0..65535 is an error naming
// monitor.listen.
func (m Monitor) Addr() (string, error) {
	s := strings.TrimSpace(m.Listen)
	if s == "" {
		return "", nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if _, perr := strconv.ParseUint(s, 10, 16); perr != nil {
			return "", fieldErr("monitor.listen", "want HOST:PORT, :PORT or PORT, got %q", m.Listen)
		}
		host, port = "", s
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fieldErr("monitor.listen", "port %q is not a number in 0..65535", port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
