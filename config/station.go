package config

import (
	"io"
	"strings"

	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/logging"
	"github.com/qosst/qosst-go/transport/auth"
)

// BindStation registers the flags both station binaries share: --log-format,
// --log-level, --keys, --serial-number, --auth, --auth-key,
// --auth-peer-key and --link-seed. self names the station ("Alice"), peer
// the other one ("Bob") in the flags' help.
func (f *Flags) BindStation(self, peer string) {
	f.Bind("log-format", "logging.format", "log format: console or json (logging.format)")
	f.Bind("log-level", "logging.level", "log level: trace, debug, info, warn, error (logging.level)")
	f.Bind("keys", "keys.output_dir", "directory of the final keys, one file per frame (keys.output_dir)")
	f.Bind("serial-number", "serial_number", self+"'s serial number (serial_number)")
	f.Bind("auth", "authentication.scheme", "authenticator: "+strings.Join(auth.Schemes(), ", ")+" (authentication.scheme)")
	f.Bind("auth-key", "authentication.key_file", "secret key file of the authenticator (authentication.key_file)")
	f.Bind("auth-peer-key", "authentication.peer_public_key_file", peer+"'s public key file (authentication.peer_public_key_file)")
	f.Bind("link-seed", "simulation.link_seed", "shared seed of the simulated link; "+peer+" must use the same (simulation.link_seed)")
	f.Bind("monitor-listen", "monitor.listen", "serve metrics, the live page and the frame history over HTTP on HOST:PORT; a port alone listens on loopback; empty: off (monitor.listen)")
}

// Logger returns a station's logger as its binary starts it: [logging] of c
// (format and level) writing to w, every line carrying role; the keys of
// the reference configuration accepted without effect (Ignored) are logged
// once at info level, the deprecated keys read (Deprecated) at warn level.
func (c *Config) Logger(w io.Writer, role string) (zerolog.Logger, error) {
	log, err := logging.New(w, c.Logging.Format, c.Logging.Level, role)
	if err != nil {
		return log, err
	}
	if len(c.Ignored) > 0 {
		log.Info().Strs("keys", c.Ignored).Msg("reference configuration keys accepted without effect")
	}
	for _, d := range c.Deprecated {
		log.Warn().Str("key", d).Msg("deprecated configuration key")
	}
	return log, nil
}
