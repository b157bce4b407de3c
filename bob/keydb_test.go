package bob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/alice"
	"github.com/qosst/qosst-go/alice/alicetest"
	"github.com/qosst/qosst-go/keystore"
)

// diskFull is a key database whose writes fail as on a full disk while full
// is set.
type diskFull struct {
	keystore.DB
	full atomic.Bool
}

func (d *diskFull) Put(ctx context.Context, f keystore.Frame) error {
	if d.full.Load() {
		return fmt.Errorf("write keys.db: %w", syscall.ENOSPC)
	}
	return d.DB.Put(ctx, f)
}

func openKeyDB(t *testing.T, url, station string) keystore.DB {
	t.Helper()
	db, err := keystore.OpenDB(context.Background(), url, station)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A key database write failing at the end of a frame (Alice's disk full or
// database closed at FRAME_ENDED, then Bob's database closed at
// FRAME_ENDED_ACK) loses no key on one side only: no station confirms a key
// its database does not hold, the keys stay durable as files (Bob's as
// pending), and once the databases work again the recovery puts the same
// key, with the same blocks and key_IDs, in both.
func TestKeyDatabaseFailureAtFrameEnd(t *testing.T) {
	for _, mode := range []string{"disk full", "database closed"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := stationConfig()
			c.Frame.Quantum.NumSymbols = 20_000
			dir := t.TempDir()
			aliceURL, bobURL := keystore.DefaultURL(filepath.Join(dir, "alice")), keystore.DefaultURL(filepath.Join(dir, "bob"))

			aliceKeys, err := keystore.Open(filepath.Join(dir, "alice"))
			if err != nil {
				t.Fatal(err)
			}
			aliceDB := openKeyDB(t, aliceURL, "alice")
			broken := &diskFull{DB: aliceDB}
			broken.full.Store(mode == "disk full")
			if mode == "database closed" {
				aliceDB.Close()
			}
			if _, err := aliceKeys.Attach(broken, 256); err != nil {
				t.Fatal(err)
			}
			bobKeys, err := keystore.Open(filepath.Join(dir, "bob"))
			if err != nil {
				t.Fatal(err)
			}
			bobDB := openKeyDB(t, bobURL, "bob")
			bobKeys.Attach(bobDB, 256)

			l, d := listen(t, "pipe")
			alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: c, Keys: aliceKeys, Logger: testLogger(t)}, Listener: l})
			useKeys := func(o *Options) { o.Keys = bobKeys }
			drv, _ := newBob(t, c, d, useKeys)

			// 1. Alice's database fails at FRAME_ENDED: she does not
			// confirm; Bob's key stays pending.
			s, err := drv.RunFrame(runCtx(t))
			if err == nil {
				t.Fatal("frame confirmed by Alice although her key database failed")
			}
			id := s.Frame
			check := func(step string, aliceHas, bobHas, bobFile bool, pending int) {
				t.Helper()
				adb := aliceKeys.DB()
				if got, _ := adb.Has(ctx, id); got != aliceHas && mode == "disk full" {
					t.Fatalf("%s: Alice's database holds the key: %v", step, got)
				}
				if got, err := bobKeys.DB().Has(ctx, id); (err == nil && got != bobHas) || (err != nil && bobHas) {
					t.Fatalf("%s: Bob's database holds the key: %v (%v)", step, got, err)
				}
				if got, _ := bobKeys.Exists(id); got != bobFile {
					t.Fatalf("%s: Bob's key file: %v", step, got)
				}
				if got := len(pendingOf(t, drv)); got != pending {
					t.Fatalf("%s: %d pending keys, want %d", step, got, pending)
				}
				if ok, _ := aliceKeys.Exists(id); !ok {
					t.Fatalf("%s: Alice's key file is gone", step)
				}
			}
			check("Alice's database failing", false, false, false, 1)

			// 2. Asked again while it still fails: still no confirmation.
			drv2, _ := newBob(t, c, d, useKeys)
			if _, _, err := drv2.ResolvePending(runCtx(t)); !errors.Is(err, ErrPendingUnresolved) {
				t.Fatalf("recovery while Alice's database fails: %v", err)
			}
			check("Alice's database still failing", false, false, false, 1)

			// 3. Alice's database works again, Bob's is closed: Alice
			// completes hers and confirms; Bob's key file is written but
			// stays pending until his database takes it.
			if mode == "database closed" {
				aliceKeys.Attach(openKeyDB(t, aliceURL, "alice"), 256)
			} else {
				broken.full.Store(false)
			}
			bobDB.Close()
			drv3, _ := newBob(t, c, d, useKeys)
			if _, _, err := drv3.ResolvePending(runCtx(t)); err == nil {
				t.Fatal("Bob made a key final without his database")
			}
			if has, err := aliceKeys.DB().Has(ctx, id); !has || err != nil {
				t.Fatalf("Alice confirmed a key her database does not hold: %v %v", has, err)
			}
			check("Bob's database closed", true, false, true, 1)

			// 4. Bob's database back: the pending key is settled.
			bobKeys.Attach(openKeyDB(t, bobURL, "bob"), 256)
			drv4, _ := newBob(t, c, d, useKeys)
			if promoted, deleted, err := drv4.ResolvePending(runCtx(t)); err != nil || promoted != 1 || deleted != 0 {
				t.Fatalf("recovery: %d final, %d deleted, %v", promoted, deleted, err)
			}
			check("both databases working", true, true, true, 0)

			// The same blocks under the same key_IDs on both sides, equal
			// to the key files.
			ak, _ := aliceKeys.Read(id)
			bk, _ := bobKeys.Read(id)
			if !bytes.Equal(ak, bk) {
				t.Fatal("key files differ")
			}
			st, err := aliceKeys.DB().Stats(ctx)
			if err != nil || st.Blocks != len(ak)/32 || st.Blocks == 0 {
				t.Fatalf("Alice's blocks %+v for a key of %d bytes (%v)", st, len(ak), err)
			}
			blocks, err := aliceKeys.DB().Take(ctx, st.Blocks, "sae-a")
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]uuid.UUID, len(blocks))
			for i, b := range blocks {
				ids[i] = b.ID
			}
			back, err := bobKeys.DB().TakeIDs(ctx, ids, "sae-b")
			if err != nil {
				t.Fatal(err)
			}
			for i := range blocks {
				if !bytes.Equal(blocks[i].Key, back[i].Key) || !bytes.Equal(blocks[i].Key, ak[32*blocks[i].Index:32*blocks[i].Index+32]) {
					t.Fatalf("block %s differs between the stations", blocks[i].ID)
				}
			}
		})
	}
}

// A completed frame puts its key in both stations' databases as it becomes
// final: the same blocks under the same key_IDs.
func TestFinalKeyInBothDatabases(t *testing.T) {
	ctx := context.Background()
	c := stationConfig()
	c.Frame.Quantum.NumSymbols = 20_000
	dir := t.TempDir()
	aliceKeys, err := keystore.OpenStation(ctx, filepath.Join(dir, "alice"), "", "alice", 128)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { aliceKeys.Close() })
	bobKeys, err := keystore.OpenStation(ctx, filepath.Join(dir, "bob"), "", "bob", 128)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bobKeys.Close() })
	l, d := listen(t, "pipe")
	alicetest.Start(t, alicetest.Options{Options: alice.Options{Config: c, Keys: aliceKeys, Logger: testLogger(t)}, Listener: l})
	drv, _ := newBob(t, c, d, func(o *Options) { o.Keys = bobKeys })
	s, err := drv.RunFrame(runCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := aliceKeys.Read(s.Frame)
	for _, db := range []keystore.DB{aliceKeys.DB(), bobKeys.DB()} {
		st, err := db.Stats(ctx)
		if err != nil || st.Frames != 1 || st.Blocks != len(key)/16 || st.Blocks == 0 {
			t.Fatalf("stats %+v for a %d-byte key (%v)", st, len(key), err)
		}
	}
	a, err := aliceKeys.DB().TakeIDs(ctx, []uuid.UUID{keystore.BlockID(s.Frame, 128, 0)}, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := bobKeys.DB().TakeIDs(ctx, []uuid.UUID{keystore.BlockID(s.Frame, 128, 0)}, "b")
	if err != nil || !bytes.Equal(a[0].Key, b[0].Key) || !bytes.Equal(a[0].Key, key[:16]) {
		t.Fatalf("block 0: %x %x (%v)", a[0].Key, b, err)
	}
}
