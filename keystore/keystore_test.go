package keystore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"
)

func TestWriteReadMode0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	key := []byte{0xde, 0xad, 0xbe, 0xef}
	path, err := s.Write(id, key)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, id.String()+".key") {
		t.Fatalf("path %s not named by the frame UUID", path)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	got, err := s.Read(id)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("read %x %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestNeverOverwrites(t *testing.T) {
	s, _ := Open(t.TempDir())
	id := uuid.New()
	if err := s.CheckNew(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(id, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckNew(id); !errors.Is(err, ErrExists) {
		t.Fatalf("CheckNew on a stored key: %v", err)
	}
	if _, err := s.Write(id, []byte{2}); !errors.Is(err, ErrExists) {
		t.Fatalf("second write: %v", err)
	}
	got, _ := s.Read(id)
	if !bytes.Equal(got, []byte{1}) {
		t.Fatalf("key replaced: %x", got)
	}
}

// Concurrent writers of one frame: exactly one wins, the file holds its key.
func TestConcurrentWritersOneWins(t *testing.T) {
	s, _ := Open(t.TempDir())
	id := uuid.New()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(b byte) {
			defer wg.Done()
			if _, err := s.Write(id, bytes.Repeat([]byte{b}, 1024)); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, ErrExists) {
				t.Error(err)
			}
		}(byte(i + 1))
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d writers won", wins)
	}
	got, _ := s.Read(id)
	if len(got) != 1024 || !bytes.Equal(got, bytes.Repeat(got[:1], 1024)) {
		t.Fatal("stored key is a mix of writers")
	}
}

func TestErrors(t *testing.T) {
	s, _ := Open(t.TempDir())
	if _, err := s.Write(uuid.New(), nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty key: %v", err)
	}
	if _, err := s.Write(uuid.Nil, []byte{1}); err == nil {
		t.Fatal("nil UUID accepted")
	}
	if _, err := s.Read(uuid.New()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := Open(""); err == nil {
		t.Fatal("empty directory accepted")
	}
}

func TestPackBits(t *testing.T) {
	got := PackBits([]uint8{1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1})
	if !bytes.Equal(got, []byte{0xa1, 0xff}) {
		t.Fatalf("PackBits = %x", got)
	}
	if len(PackBits([]uint8{1, 1, 1})) != 0 {
		t.Fatal("partial byte kept")
	}
}
