package keystore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore/keystoretest"
)

// testStore is one store every DB test runs against: SQLite in a temporary
// directory, and PostgreSQL when keystoretest.PostgresEnv is set (each test
// in its own station names, so tests never see each other's rows).
type testStore struct {
	name   string
	url    string
	prefix string
}

func (ts testStore) open(t testing.TB, side string) DB {
	t.Helper()
	db, err := OpenDB(context.Background(), ts.url, ts.prefix+side)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func eachStore(t *testing.T, f func(t *testing.T, ts testStore)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, testStore{name: "sqlite", url: DefaultURL(t.TempDir())})
	})
	t.Run("postgres", func(t *testing.T) {
		u := keystoretest.PostgresURL(t)
		f(t, testStore{name: "postgres", url: u, prefix: uuid.NewString() + "-"})
	})
}

func randomKey(t testing.TB, n int) []byte {
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestBlockIDDerivation(t *testing.T) {
	f := uuid.MustParse("0b5e1c9e-6a52-4c2c-9d40-1f6f6cf0a001")
	a, b := BlockID(f, 256, 0), BlockID(f, 256, 0)
	if a != b || a.Version() != 5 || a.Variant() != uuid.RFC4122 {
		t.Fatalf("key_ID %s (version %d): not a stable version-5 UUID", a, a.Version())
	}
	// An independent computation of the documented name.
	name := append(append([]byte{}, f[:]...), 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 7)
	ns := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/qosst/qosst-go/keystore#key-block"))
	if got, want := BlockID(f, 256, 7), uuid.NewSHA1(ns, name); got != want {
		t.Fatalf("BlockID = %s, documented derivation gives %s", got, want)
	}
	seen := map[uuid.UUID]bool{}
	for _, bits := range []int{128, 256} {
		for i := 0; i < 100; i++ {
			id := BlockID(f, bits, i)
			if seen[id] {
				t.Fatalf("key_ID %s repeated", id)
			}
			seen[id] = true
		}
	}
}

func TestSplitBlocks(t *testing.T) {
	f := uuid.New()
	key := randomKey(t, 100)
	bl, err := SplitBlocks(f, key, 256)
	if err != nil {
		t.Fatal(err)
	}
	if len(bl) != 3 {
		t.Fatalf("%d blocks of 32 bytes in 100 bytes", len(bl))
	}
	for i, b := range bl {
		if b.Index != i || b.ID != BlockID(f, 256, i) || !bytes.Equal(b.Key, key[32*i:32*i+32]) {
			t.Fatalf("block %d wrong", i)
		}
	}
	for _, bits := range []int{0, -8, 12, MaxBlockBits + 8} {
		if _, err := SplitBlocks(f, key, bits); err == nil {
			t.Fatalf("block size %d accepted", bits)
		}
	}
}

func TestDBBothStationsSameBlocks(t *testing.T) {
	eachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		alice, bob := ts.open(t, "alice"), ts.open(t, "bob")
		f := Frame{ID: uuid.New(), Key: randomKey(t, 32*10+5), BlockBits: 256, Estimates: map[string]float64{"transmittance": 0.5}}
		for _, db := range []DB{alice, bob} {
			if err := db.Put(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		st, err := alice.Stats(ctx)
		if err != nil || st != (Stats{Frames: 1, Blocks: 10, Available: 10}) {
			t.Fatalf("stats %+v %v", st, err)
		}
		got, err := alice.Take(ctx, 3, "sae-a")
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range got {
			if b.Index != i || b.ID != BlockID(f.ID, 256, i) || b.Frame != f.ID || !bytes.Equal(b.Key, f.Key[32*i:32*i+32]) {
				t.Fatalf("block %d: %+v", i, b)
			}
		}
		ids := []uuid.UUID{got[2].ID, got[0].ID, got[1].ID}
		back, err := bob.TakeIDs(ctx, ids, "sae-b")
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range back {
			if b.ID != ids[i] {
				t.Fatalf("order: %s for %s", b.ID, ids[i])
			}
			want := map[uuid.UUID][]byte{got[0].ID: got[0].Key, got[1].ID: got[1].Key, got[2].ID: got[2].Key}[b.ID]
			if !bytes.Equal(b.Key, want) {
				t.Fatalf("key_ID %s: Bob's block differs from Alice's", b.ID)
			}
		}
		// Alice's consumption does not consume Bob's blocks and the reverse.
		if st, _ := alice.Stats(ctx); st.Available != 7 {
			t.Fatalf("alice %+v", st)
		}
		if st, _ := bob.Stats(ctx); st.Available != 7 {
			t.Fatalf("bob %+v", st)
		}
		if has, err := bob.Has(ctx, f.ID); !has || err != nil {
			t.Fatalf("Has %v %v", has, err)
		}
	})
}

func TestDBPutIdempotentConflict(t *testing.T) {
	eachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		db := ts.open(t, "alice")
		f := Frame{ID: uuid.New(), Key: randomKey(t, 64), BlockBits: 256}
		if err := db.Put(ctx, f); err != nil {
			t.Fatal(err)
		}
		if err := db.Put(ctx, f); err != nil {
			t.Fatalf("same frame again: %v", err)
		}
		g := f
		g.Key = randomKey(t, 64)
		if err := db.Put(ctx, g); !errors.Is(err, ErrConflict) {
			t.Fatalf("other key: %v", err)
		}
		g = f
		g.BlockBits = 128
		if err := db.Put(ctx, g); !errors.Is(err, ErrConflict) {
			t.Fatalf("other block size: %v", err)
		}
		if st, _ := db.Stats(ctx); st.Blocks != 2 || st.Frames != 1 {
			t.Fatalf("stats %+v", st)
		}
		if err := db.Put(ctx, Frame{ID: uuid.New(), BlockBits: 256}); !errors.Is(err, ErrEmpty) {
			t.Fatalf("empty key: %v", err)
		}
		if err := db.Put(ctx, Frame{ID: uuid.New(), Key: []byte{1}, BlockBits: 12}); err == nil {
			t.Fatal("block size 12 accepted")
		}
	})
}

func TestDBTakeRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		db := ts.open(t, "bob")
		f := Frame{ID: uuid.New(), Key: randomKey(t, 32*4), BlockBits: 256}
		if err := db.Put(ctx, f); err != nil {
			t.Fatal(err)
		}
		id := func(i int) uuid.UUID { return BlockID(f.ID, 256, i) }
		if _, err := db.TakeIDs(ctx, []uuid.UUID{id(0)}, "s"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			ids  []uuid.UUID
			want error
		}{
			{[]uuid.UUID{id(1), id(0)}, ErrDelivered},
			{[]uuid.UUID{id(1), uuid.New()}, ErrUnknownKey},
			{[]uuid.UUID{id(1), id(1)}, ErrDuplicate},
		}
		for _, c := range cases {
			if _, err := db.TakeIDs(ctx, c.ids, "s"); !errors.Is(err, c.want) {
				t.Fatalf("%v: %v, want %v", c.ids, err, c.want)
			}
		}
		// Nothing was taken by the refused requests.
		if st, _ := db.Stats(ctx); st.Available != 3 {
			t.Fatalf("refused requests took blocks: %+v", st)
		}
		if _, err := db.Take(ctx, 4, "s"); !errors.Is(err, ErrNotEnough) {
			t.Fatalf("4 of 3: %v", err)
		}
		if st, _ := db.Stats(ctx); st.Available != 3 {
			t.Fatalf("refused request took blocks: %+v", st)
		}
		got, err := db.Take(ctx, 3, "s")
		if err != nil || len(got) != 3 || got[0].ID != id(1) {
			t.Fatalf("take 3: %v %v", got, err)
		}
		if _, err := db.Take(ctx, 1, "s"); !errors.Is(err, ErrNotEnough) {
			t.Fatalf("empty store: %v", err)
		}
	})
}

// Several processes (here: several handles on one store) and many
// concurrent requests: no block handed out twice, none lost.
func TestDBConcurrentTakeNoDoubleNoLoss(t *testing.T) {
	eachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		handles := []DB{ts.open(t, "alice"), ts.open(t, "alice"), ts.open(t, "alice")}
		stored := 0
		for i := 0; i < 10; i++ {
			f := Frame{ID: uuid.New(), Key: randomKey(t, 32*40), BlockBits: 256}
			if err := handles[i%3].Put(ctx, f); err != nil {
				t.Fatal(err)
			}
			stored += 40
		}
		var mu sync.Mutex
		seen := map[uuid.UUID]bool{}
		var wg sync.WaitGroup
		for w := 0; w < 24; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for r := 0; r < 12; r++ {
					got, err := handles[w%3].Take(ctx, 1+(w+r)%3, "sae")
					if errors.Is(err, ErrNotEnough) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, b := range got {
						if seen[b.ID] {
							t.Errorf("block %s delivered twice", b.ID)
						}
						seen[b.ID] = true
					}
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		st, err := handles[0].Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen)+st.Available != stored || st.Delivered != len(seen) {
			t.Fatalf("delivered %d + available %d != stored %d (%+v)", len(seen), st.Available, stored, st)
		}
	})
}

func TestDBDurableAcrossReopen(t *testing.T) {
	eachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		db := ts.open(t, "alice")
		f := Frame{ID: uuid.New(), Key: randomKey(t, 32*3), BlockBits: 256}
		if err := db.Put(ctx, f); err != nil {
			t.Fatal(err)
		}
		got, err := db.Take(ctx, 1, "s")
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = ts.open(t, "alice")
		if v, err := Version(ctx, db); err != nil || v != SchemaVersion {
			t.Fatalf("schema version %d %v", v, err)
		}
		if _, err := db.TakeIDs(ctx, []uuid.UUID{got[0].ID}, "s"); !errors.Is(err, ErrDelivered) {
			t.Fatalf("consumed block after reopening: %v", err)
		}
		if st, _ := db.Stats(ctx); st.Available != 2 || st.Delivered != 1 {
			t.Fatalf("%+v", st)
		}
	})
}

// A database that is full (SQLite page limit: the disk-full answer) or
// closed fails Put whole: no frame row, no block.
func TestDBFailingWriteStoresNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.db")
	db, err := OpenDB(ctx, "sqlite:"+path, "alice")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	full, err := OpenDB(ctx, "sqlite:"+path+"?_pragma=max_page_count(8)", "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	f := Frame{ID: uuid.New(), Key: randomKey(t, 64<<10), BlockBits: 256}
	if err := full.Put(ctx, f); err == nil {
		t.Fatal("64 KiB key stored in an 8-page database")
	}
	if has, err := full.Has(ctx, f.ID); has || err != nil {
		t.Fatalf("frame half stored: %v %v", has, err)
	}
	if st, err := full.Stats(ctx); err != nil || st.Blocks != 0 {
		t.Fatalf("blocks left by a failed put: %+v %v", st, err)
	}
	full.Close()
	if err := full.Put(ctx, f); err == nil {
		t.Fatal("closed database accepted a frame")
	}
}

func TestOpenDBBadURL(t *testing.T) {
	for _, u := range []string{"", "mysql://x", "sqlite:", "/tmp/keys.db"} {
		if _, err := OpenDB(context.Background(), u, "alice"); err == nil {
			t.Fatalf("%q accepted", u)
		}
	}
	if _, err := OpenDB(context.Background(), DefaultURL(t.TempDir()), ""); err == nil {
		t.Fatal("empty station accepted")
	}
	if r := Redact("postgres://u:secret@h/db"); r != "postgres://u:xxxxx@h/db" {
		t.Fatalf("Redact: %s", r)
	}
}

// WriteFinal with a failing database keeps the key file and says so;
// Settle completes the database from the file.
func TestWriteFinalAndSettle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenDB(ctx, DefaultURL(dir), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Attach(db, 256); err != nil {
		t.Fatal(err)
	}
	ok := uuid.New()
	key := randomKey(t, 96)
	if _, err := s.WriteFinal(ctx, ok, key, map[string]float64{"key_rate": 1}); err != nil {
		t.Fatal(err)
	}
	if has, _ := db.Has(ctx, ok); !has {
		t.Fatal("final key not in the database")
	}
	db.Close() // the database fails from now on
	bad := uuid.New()
	if _, err := s.WriteFinal(ctx, bad, key, nil); !errors.Is(err, ErrDB) {
		t.Fatalf("closed database: %v", err)
	}
	if ex, _ := s.Exists(bad); !ex {
		t.Fatal("key file missing after a database failure")
	}
	if held, err := s.Settle(ctx, bad); !held || !errors.Is(err, ErrDB) {
		t.Fatalf("Settle on a closed database: %v %v", held, err)
	}
	db2, err := OpenDB(ctx, DefaultURL(dir), "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	s.Attach(db2, 256)
	if held, err := s.Settle(ctx, bad); !held || err != nil {
		t.Fatalf("Settle: %v %v", held, err)
	}
	if got, err := db2.TakeIDs(ctx, []uuid.UUID{BlockID(bad, 256, 2)}, "s"); err != nil || !bytes.Equal(got[0].Key, key[64:96]) {
		t.Fatalf("settled key: %v", err)
	}
	if held, err := s.Settle(ctx, uuid.New()); held || err != nil {
		t.Fatalf("Settle of an unknown frame: %v %v", held, err)
	}
}

// A closed handle stores nothing, on every back end; the store stays whole
// for the next process.
func TestDBClosedStoresNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, ts testStore) {
		ctx := context.Background()
		db := ts.open(t, "alice")
		db.Close()
		f := Frame{ID: uuid.New(), Key: randomKey(t, 32*8), BlockBits: 256}
		if err := db.Put(ctx, f); err == nil {
			t.Fatal("closed database accepted a frame")
		}
		if _, err := db.Take(ctx, 1, "s"); err == nil || errors.Is(err, ErrNotEnough) {
			t.Fatalf("take from a closed database: %v", err)
		}
		db = ts.open(t, "alice")
		if has, err := db.Has(ctx, f.ID); has || err != nil {
			t.Fatalf("frame half stored: %v %v", has, err)
		}
		if err := db.Put(ctx, f); err != nil {
			t.Fatal(err)
		}
		if st, _ := db.Stats(ctx); st.Blocks != 8 {
			t.Fatalf("%+v", st)
		}
	})
}

// The SQLite database and its WAL files hold key material: mode 0600.
func TestSQLiteFilesPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	db, err := OpenDB(context.Background(), DefaultURL(dir), "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Put(context.Background(), Frame{ID: uuid.New(), Key: randomKey(t, 64), BlockBits: 256}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"keys.db", "keys.db-wal", "keys.db-shm"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, want 0700", st.Mode().Perm())
	}
}
