package keystore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Temporaries left by a killed write are removed, whether the key had
// become final (a second name for it) or not; key files and other files
// stay.
func TestSweepTemporaries(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	done, cut := uuid.New(), uuid.New()
	if _, err := s.Write(done, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"." + done.String() + ".tmp-123", "." + cut.String() + ".tmp-456"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte{9, 9}, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, ".not-a-key.tmp-1"), nil, 0o600)
	got, err := s.SweepTemporaries()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("swept %+v", got)
	}
	for _, tmp := range got {
		if tmp.Final != (tmp.Frame == done) {
			t.Fatalf("%s: final %v", tmp.Name, tmp.Final)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 { // the key and the unrelated file
		t.Fatalf("left %v", names)
	}
	if ok, _ := s.Exists(done); !ok {
		t.Fatal("the final key was removed")
	}
}

// FuzzIsTemporary: a name is taken for a temporary only when it has the
// form Write gives, and the frame parsed names the same temporary form.
func FuzzIsTemporary(f *testing.F) {
	f.Add("." + uuid.NewString() + ".tmp-42")
	f.Add(".x.tmp-")
	f.Fuzz(func(t *testing.T, name string) {
		u, ok := isTemporary(name)
		if !ok {
			return
		}
		if !strings.HasPrefix(name, ".") || !strings.Contains(name, ".tmp-") {
			t.Fatalf("%q taken for a temporary", name)
		}
		if v, ok := isTemporary("." + u.String() + ".tmp-1"); !ok || v != u {
			t.Fatalf("%q: frame %s does not round-trip", name, u)
		}
	})
}
