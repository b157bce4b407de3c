package bob

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/transport"
)

// Temporary key files left by a kill during a key write, in Bob's key
// directory and in his pending directory, are removed when he starts, and
// each removal is logged.
func TestStartSweepsTemporaries(t *testing.T) {
	keys, err := keystore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pendingDir := PendingDir(keys)
	if err := os.MkdirAll(pendingDir, 0o700); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, dir := range []string{keys.Dir(), pendingDir} {
		p := filepath.Join(dir, "."+uuid.NewString()+".tmp-77")
		if err := os.WriteFile(p, []byte("key material"), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var log bytes.Buffer
	newBob(t, stationConfig(), transport.NewPipe(), func(o *Options) {
		o.Keys = keys
		o.Logger = zerolog.New(&log)
	})
	for _, p := range paths {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s still there: %v", p, err)
		}
		if !strings.Contains(log.String(), filepath.Base(p)) {
			t.Fatalf("removal of %s not logged:\n%s", p, log.String())
		}
	}
}
