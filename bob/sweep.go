package bob

import (
	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/logging"
)

// sweepTemporaries removes the temporary key files a killed station left in
// a key directory and logs each (frame, whether its key had become final).
// Bob calls it at start on his key directory and his pending directory.
func sweepTemporaries(s *keystore.Store, log zerolog.Logger) error {
	swept, err := s.SweepTemporaries()
	for _, t := range swept {
		ev := log.Warn().Str("dir", s.Dir()).Str("file", t.Name).Str(logging.FieldFrame, t.Frame.String())
		if t.Final {
			ev.Msg("removed a temporary key file left by an interrupted write; the key file is whole")
		} else {
			ev.Msg("removed a temporary key file left by an interrupted write; the key never became final here")
		}
	}
	return err
}
