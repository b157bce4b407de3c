package keystore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// A final key goes to two places: its key file (the audit trail, what
// scripts read, and the truth the key-recovery rules of the stations rest
// on) and, when a DB is attached, the key database the key delivery service
// hands blocks out of. The key file is written first; the database follows
// it, never leads it: a key in a station's database is always a key its
// file holds, and a station confirms a key to its peer (Alice's
// FRAME_ENDED_ACK, Bob dropping his pending copy) only once both hold it. A
// database write that fails leaves a key file and an error; the recovery
// path (Settle) puts the file's key into the database before the key is
// confirmed.

// ErrDB wraps a failure of the attached key database in WriteFinal and
// Settle.
var ErrDB = errors.New("keystore: key database")

// Attach makes s put every final key it writes with WriteFinal (and every
// key Settle confirms) into db, cut into blocks of blockBits bits. It
// returns s.
func (s *Store) Attach(db DB, blockBits int) (*Store, error) {
	if err := CheckBlockBits(blockBits); err != nil {
		return nil, err
	}
	s.db, s.blockBits = db, blockBits
	return s, nil
}

// DB returns the attached key database (nil when none).
func (s *Store) DB() DB { return s.db }

// WriteFinal writes a frame's final key as its key file (Write), then, with
// a database attached, stores it there with est in one transaction. A key
// file already there is ErrExists, as for Write. A database failure is
// returned wrapping ErrDB; the key file then stays, and Settle completes the
// database later.
func (s *Store) WriteFinal(ctx context.Context, frame uuid.UUID, key []byte, est map[string]float64) (string, error) {
	path, err := s.Write(frame, key)
	if err != nil {
		return "", err
	}
	if s.db == nil {
		return path, nil
	}
	if err := s.db.Put(ctx, Frame{ID: frame, Time: time.Now(), Key: key, BlockBits: s.blockBits, Estimates: est}); err != nil {
		return path, fmt.Errorf("%w: frame %s: %w", ErrDB, frame, err)
	}
	return path, nil
}

// Settle reports whether the frame's key file exists; with a database
// attached, a key file whose key the database does not hold yet is put into
// it first (without estimates), and a failure to do so is an error wrapping
// ErrDB. The stations call it where they confirm a key recovered after a
// lost answer, so a key is confirmed only when file and database hold it.
func (s *Store) Settle(ctx context.Context, frame uuid.UUID) (bool, error) {
	ok, err := s.Exists(frame)
	if err != nil || !ok || s.db == nil {
		return ok, err
	}
	has, err := s.db.Has(ctx, frame)
	if err != nil {
		return true, fmt.Errorf("%w: frame %s: %w", ErrDB, frame, err)
	}
	if has {
		return true, nil
	}
	key, err := s.Read(frame)
	if err != nil {
		return true, err
	}
	if err := s.db.Put(ctx, Frame{ID: frame, Time: time.Now(), Key: key, BlockBits: s.blockBits}); err != nil {
		return true, fmt.Errorf("%w: frame %s: %w", ErrDB, frame, err)
	}
	return true, nil
}

// StoreURL returns the key database of a station: store (keys.store) when
// set, else DefaultURL(outputDir).
func StoreURL(store, outputDir string) string {
	if store == "" {
		return DefaultURL(outputDir)
	}
	return store
}

// OpenStation opens a station's final-key store: the key files in
// outputDir with the key database of StoreURL(store, outputDir) attached,
// for station ("alice" or "bob"), keys cut into blocks of blockBits bits.
// Close closes the database.
func OpenStation(ctx context.Context, outputDir, store, station string, blockBits int) (*Store, error) {
	s, err := Open(outputDir)
	if err != nil {
		return nil, err
	}
	if err := CheckBlockBits(blockBits); err != nil {
		return nil, err
	}
	db, err := OpenDB(ctx, StoreURL(store, outputDir), station)
	if err != nil {
		return nil, err
	}
	return s.Attach(db, blockBits)
}

// Close closes the attached key database, if any.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}
