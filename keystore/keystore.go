// Package keystore owns the final keys of both stations. Store writes one
// file per frame in an output directory, named by the frame UUID, mode 0600,
// durably (temporary file, fsync, link into place without ever replacing an
// existing key, directory fsync) so that a key reported as written survives
// a crash and is never overwritten. DB is the durable key database behind
// one interface (SQLite embedded by default, PostgreSQL for shared stores):
// frames, their keys cut into key blocks with key_IDs both stations derive
// alike (BlockID), and which blocks were delivered, handed out at most once
// each. It also reads keys back (for tests and tools) and packs key bits
// into bytes the same way on both stations.
package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/uuid"
)

// ErrExists is returned when the key of a frame is already stored.
var ErrExists = errors.New("keystore: key already exists")

// ErrNotFound is returned by Read for a frame without a key.
var ErrNotFound = errors.New("keystore: no key for frame")

// ErrEmpty is returned by Write for an empty key.
var ErrEmpty = errors.New("keystore: empty key")

// Suffix is the file name suffix of a key file: <uuid>.key.
const Suffix = ".key"

// Store writes and reads keys in one directory.
type Store struct {
	dir       string
	db        DB  // see Attach
	blockBits int // block size of db
}

// Open returns a Store on dir, creating it (mode 0700) when missing.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("keystore: empty output directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir returns the output directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the file a frame's key is stored in.
func (s *Store) Path(frame uuid.UUID) string {
	return filepath.Join(s.dir, frame.String()+Suffix)
}

// Exists reports whether the frame's key is stored.
func (s *Store) Exists(frame uuid.UUID) (bool, error) {
	_, err := os.Lstat(s.Path(frame))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("keystore: %w", err)
}

// CheckNew returns ErrExists when the frame's key is already stored; a
// station calls it when a frame starts, so it never works on a frame whose
// key it could not write.
func (s *Store) CheckNew(frame uuid.UUID) error {
	ok, err := s.Exists(frame)
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("%w: %s", ErrExists, s.Path(frame))
	}
	return nil
}

// Write stores key as the frame's key and returns the file's path. The data
// is written to a temporary file in the same directory (mode 0600), fsync'd,
// hard-linked to its final name (which fails, with ErrExists, if a key is
// already there: a key is never replaced; on a file system without hard
// links it is renamed after a check), and the directory is fsync'd before
// Write returns.
func (s *Store) Write(frame uuid.UUID, key []byte) (string, error) {
	if len(key) == 0 {
		return "", ErrEmpty
	}
	if frame == uuid.Nil {
		return "", fmt.Errorf("keystore: nil frame UUID")
	}
	final := s.Path(frame)
	tmp, err := os.CreateTemp(s.dir, "."+frame.String()+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("keystore: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // the link keeps the data; the temporary name goes
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("keystore: %w", err)
	}
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return "", fmt.Errorf("keystore: write %s: %w", final, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("keystore: fsync %s: %w", final, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("keystore: %w", err)
	}
	if err := os.Link(tmpName, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%w: %s", ErrExists, final)
		}
		// A file system without hard links: check, then rename (a
		// concurrent writer of the same frame could slip in between; the
		// stations never write one frame twice).
		if ok, xerr := s.Exists(frame); xerr != nil || ok {
			if xerr != nil {
				return "", xerr
			}
			return "", fmt.Errorf("%w: %s", ErrExists, final)
		}
		if rerr := os.Rename(tmpName, final); rerr != nil {
			return "", fmt.Errorf("keystore: %w (hard link: %v)", rerr, err)
		}
	} else if err := os.Remove(tmpName); err != nil {
		return "", fmt.Errorf("keystore: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		return "", err
	}
	return final, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("keystore: fsync directory %s: %w", dir, err)
	}
	return nil
}

// Read returns the stored key of a frame (ErrNotFound when absent).
func (s *Store) Read(frame uuid.UUID) ([]byte, error) {
	return ReadFile(s.Path(frame))
}

// ReadFile returns the key stored at path (ErrNotFound when absent).
func ReadFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return b, nil
}

// PackBits packs key bits (one 0/1 value per element; any non-zero value is
// a 1) into bytes, most significant bit first. Trailing bits that do not
// fill a whole byte are dropped, so both stations, packing the same bits,
// store the same whole bytes.
func PackBits(bits []uint8) []byte {
	out := make([]byte, len(bits)/8)
	for i := range out {
		var b byte
		for j := 0; j < 8; j++ {
			b <<= 1
			if bits[8*i+j] != 0 {
				b |= 1
			}
		}
		out[i] = b
	}
	return out
}
