package keystore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

// Temporary is a temporary key file found in a store directory: the name
// Write gives a key before linking it to its final name. One survives only
// when the station was killed during the write.
type Temporary struct {
	Name  string    // file name in the directory
	Frame uuid.UUID // the frame it was written for
	// Final: the frame's key file exists, so the write had completed and
	// only the removal of the temporary name was cut short; otherwise the
	// key never became final on this side.
	Final bool
}

// isTemporary parses a name of the form ".<frame-uuid>.tmp-<random>".
func isTemporary(name string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return uuid.Nil, false
	}
	id, tail, ok := strings.Cut(rest, ".tmp-")
	if !ok || tail == "" {
		return uuid.Nil, false
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, false
	}
	return u, true
}

// SweepTemporaries removes the temporary key files a killed write left in
// the store directory and returns what it removed. A temporary is never a
// key: Write links it to the final name before removing it, so either the
// final file exists and holds the same bytes (the temporary is a second
// name for it), or the key never became final here and key recovery treats
// the frame as keyless on this side. Call it at start, before any Write:
// the directory must belong to this station alone.
func (s *Store) SweepTemporaries() ([]Temporary, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: sweeping temporaries: %w", err)
	}
	var out []Temporary
	for _, e := range entries {
		frame, ok := isTemporary(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		final, err := s.Exists(frame)
		if err != nil {
			return out, err
		}
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil {
			return out, fmt.Errorf("keystore: removing temporary %s: %w", e.Name(), err)
		}
		out = append(out, Temporary{Name: e.Name(), Frame: frame, Final: final})
	}
	if len(out) > 0 {
		if err := syncDir(s.dir); err != nil {
			return out, err
		}
	}
	return out, nil
}
