package keystore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// The durable key database.
//
// A DB holds, for one station, the final keys of its frames cut into key
// blocks, and the delivery state of every block. It is the store the key
// delivery service (package kme) hands blocks out of; the key files of Store
// stay the audit trail. Two back ends share one schema and one set of
// queries: SQLite (embedded, the default, "sqlite:<path>") and PostgreSQL
// ("postgres://…" or "postgresql://…") for sites where several processes
// or hosts share one store. Rows carry the station ("alice", "bob"), so both
// stations of a site may share one PostgreSQL database.
//
// Every operation is one transaction. Taking blocks is one conditional
// UPDATE … RETURNING that marks blocks delivered only while they are still
// undelivered (with FOR UPDATE SKIP LOCKED row locks on PostgreSQL and the
// database write lock on SQLite), so a block is handed out at most once per
// station even with many concurrent requests and several processes on one
// store; a request that cannot be served whole changes nothing.

// Errors callers branch on.
var (
	// ErrNotEnough: fewer undelivered blocks than asked for.
	ErrNotEnough = errors.New("keystore: not enough undelivered key blocks")
	// ErrUnknownKey: no block with that key_ID at this station.
	ErrUnknownKey = errors.New("keystore: unknown key_ID")
	// ErrDelivered: the block was already delivered.
	ErrDelivered = errors.New("keystore: key_ID already delivered")
	// ErrDuplicate: one key_ID asked for twice in one request.
	ErrDuplicate = errors.New("keystore: key_ID asked for twice")
	// ErrConflict: a frame stored again with a different key or block size.
	ErrConflict = errors.New("keystore: frame already stored with a different key")
	// ErrBadURL: a store URL that names no supported store.
	ErrBadURL = errors.New("keystore: unsupported store URL")
)

// Frame is what a station stores when a frame's key becomes final.
type Frame struct {
	ID        uuid.UUID
	Time      time.Time // when the key became final
	Key       []byte
	BlockBits int                // key block size, bits (kme.key_size)
	Estimates map[string]float64 // the frame's estimates (transmittance, excess_noise, …); may be nil
}

// Stats counts the key blocks of a station.
type Stats struct {
	Frames    int
	Blocks    int // stored blocks
	Available int // blocks not yet delivered
	Delivered int
}

// DB is the durable key store of one station. See the package
// documentation above for the guarantees; all methods are safe for
// concurrent use.
type DB interface {
	// Put stores a frame's final key and its blocks in one transaction.
	// Storing the same frame again with the same key and block size is a
	// no-op; with another key or block size it is ErrConflict.
	Put(ctx context.Context, f Frame) error
	// Has reports whether the frame is stored.
	Has(ctx context.Context, frame uuid.UUID) (bool, error)
	// Take marks the n oldest undelivered blocks delivered to sae and
	// returns them, oldest first; ErrNotEnough (and nothing taken) when
	// fewer are available.
	Take(ctx context.Context, n int, sae string) ([]Block, error)
	// TakeIDs marks the blocks with these key_IDs delivered to sae and
	// returns them in the order asked; when one is unknown (ErrUnknownKey),
	// already delivered (ErrDelivered) or asked twice (ErrDuplicate),
	// nothing is taken and the error names that key_ID.
	TakeIDs(ctx context.Context, ids []uuid.UUID, sae string) ([]Block, error)
	// Available counts the undelivered blocks (cheaper than Stats: it
	// reads the index of undelivered blocks only).
	Available(ctx context.Context) (int, error)
	// Stats counts the station's frames and blocks.
	Stats(ctx context.Context) (Stats, error)
	// Close closes the database.
	Close() error
}

// DefaultURL is the store of a station whose keys.store is empty: the
// SQLite database keys.db in its key directory.
func DefaultURL(outputDir string) string {
	return "sqlite:" + filepath.Join(outputDir, "keys.db")
}

// Redact returns a store URL without its password, for logs.
func Redact(storeURL string) string {
	u, err := url.Parse(storeURL)
	if err != nil || u.User == nil {
		return storeURL
	}
	return u.Redacted()
}

// OpenDB opens (creating and migrating when needed) the key database named
// by storeURL for station ("alice" or "bob"):
//
//	sqlite:PATH[?DSN-PARAMETERS]      embedded SQLite file (WAL mode)
//	postgres://USER:PASS@HOST/DB?…    PostgreSQL (also postgresql://)
//
// The directory of a SQLite file is created (0700) when missing, and the
// file itself with mode 0600. Extra
// parameters after "?" in a sqlite URL are passed to the driver (for
// example _pragma=max_page_count(100)).
func OpenDB(ctx context.Context, storeURL, station string) (DB, error) {
	if station == "" {
		return nil, fmt.Errorf("keystore: empty station name")
	}
	switch {
	case strings.HasPrefix(storeURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(storeURL, "sqlite:"), station)
	case strings.HasPrefix(storeURL, "postgres://"), strings.HasPrefix(storeURL, "postgresql://"):
		return openPostgres(ctx, storeURL, station)
	}
	return nil, fmt.Errorf("%w: %q (want sqlite:PATH or postgres://…)", ErrBadURL, Redact(storeURL))
}

type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

type sqlDB struct {
	// writeMu serializes this process's write transactions on SQLite (one
	// writer at a time is all SQLite allows; waiting here is cheaper and
	// fairer than the busy handler's sleeps). Other processes on the same
	// file still wait in the busy handler.
	writeMu sync.Mutex
	db      *sql.DB
	dialect dialect
	station string
	name    string // for errors
}

func openSQLite(ctx context.Context, rest, station string) (DB, error) {
	path, params, _ := strings.Cut(rest, "?")
	path = strings.TrimPrefix(path, "//")
	if path == "" {
		return nil, fmt.Errorf("%w: sqlite: without a path", ErrBadURL)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("keystore: sqlite %s: %w", path, err)
	}
	// The database holds key material: create it private (mode 0600; SQLite
	// gives its WAL and shared-memory files the mode of the database file).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keystore: sqlite %s: %w", path, err)
	}
	f.Close()
	q, err := url.ParseQuery(params)
	if err != nil {
		return nil, fmt.Errorf("%w: sqlite:%s: %w", ErrBadURL, rest, err)
	}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(15000)", "synchronous(FULL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("keystore: sqlite %s: %w", path, err)
	}
	s := &sqlDB{db: db, dialect: dialectSQLite, station: station, name: "sqlite:" + path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func openPostgres(ctx context.Context, storeURL, station string) (DB, error) {
	db, err := sql.Open("pgx", storeURL)
	if err != nil {
		return nil, fmt.Errorf("keystore: %s: %w", Redact(storeURL), err)
	}
	db.SetMaxOpenConns(16)
	s := &sqlDB{db: db, dialect: dialectPostgres, station: station, name: Redact(storeURL)}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// q rewrites the ? placeholders of a query for the dialect.
func (s *sqlDB) q(query string) string {
	if s.dialect != dialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lockWrites takes writeMu on SQLite; the returned function releases it.
func (s *sqlDB) lockWrites() func() {
	if s.dialect != dialectSQLite {
		return func() {}
	}
	s.writeMu.Lock()
	return s.writeMu.Unlock
}

func (s *sqlDB) wrap(op string, err error) error {
	return fmt.Errorf("keystore: %s %s: %w", op, s.name, err)
}

// migrations are the schema versions, applied in order and recorded in
// schema_migrations; a released migration is never edited, only appended to.
var migrations = []struct {
	sqlite, postgres string
}{
	{ // 1: frames and key blocks
		sqlite: `
CREATE TABLE frames (
  station    TEXT    NOT NULL,
  frame_uuid TEXT    NOT NULL,
  final_at   INTEGER NOT NULL,
  key_bytes  INTEGER NOT NULL,
  block_bits INTEGER NOT NULL,
  key_sha256 BLOB    NOT NULL,
  estimates  TEXT    NOT NULL,
  PRIMARY KEY (station, frame_uuid)
);
CREATE TABLE blocks (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  station      TEXT    NOT NULL,
  key_id       TEXT    NOT NULL,
  frame_uuid   TEXT    NOT NULL,
  block_index  INTEGER NOT NULL,
  material     BLOB    NOT NULL,
  delivered_at INTEGER,
  delivered_to TEXT,
  UNIQUE (station, key_id),
  FOREIGN KEY (station, frame_uuid) REFERENCES frames (station, frame_uuid)
);
CREATE INDEX blocks_available ON blocks (station, seq) WHERE delivered_at IS NULL;`,
		postgres: `
CREATE TABLE frames (
  station    TEXT   NOT NULL,
  frame_uuid TEXT   NOT NULL,
  final_at   BIGINT NOT NULL,
  key_bytes  BIGINT NOT NULL,
  block_bits INTEGER NOT NULL,
  key_sha256 BYTEA  NOT NULL,
  estimates  TEXT   NOT NULL,
  PRIMARY KEY (station, frame_uuid)
);
CREATE TABLE blocks (
  seq          BIGSERIAL PRIMARY KEY,
  station      TEXT    NOT NULL,
  key_id       TEXT    NOT NULL,
  frame_uuid   TEXT    NOT NULL,
  block_index  BIGINT  NOT NULL,
  material     BYTEA   NOT NULL,
  delivered_at BIGINT,
  delivered_to TEXT,
  UNIQUE (station, key_id),
  FOREIGN KEY (station, frame_uuid) REFERENCES frames (station, frame_uuid)
);
CREATE INDEX blocks_available ON blocks (station, seq) WHERE delivered_at IS NULL;`,
	},
}

// SchemaVersion is the schema version this code migrates to.
var SchemaVersion = len(migrations)

func (s *sqlDB) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap("migrate", err)
	}
	defer tx.Rollback()
	if s.dialect == dialectPostgres {
		// Several processes opening one fresh database migrate one at a time.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7150515)`); err != nil {
			return s.wrap("migrate", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return s.wrap("migrate", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return s.wrap("migrate", err)
	}
	if have > len(migrations) {
		return s.wrap("migrate", fmt.Errorf("schema version %d is newer than this program's %d", have, len(migrations)))
	}
	for v := have + 1; v <= len(migrations); v++ {
		m := migrations[v-1].sqlite
		if s.dialect == dialectPostgres {
			m = migrations[v-1].postgres
		}
		if _, err := tx.ExecContext(ctx, m); err != nil {
			return s.wrap(fmt.Sprintf("migrate to version %d", v), err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, time.Now().UnixNano()); err != nil {
			return s.wrap("migrate", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("migrate", err)
	}
	return nil
}

// Version returns the schema version of an open DB (for tests and tools).
func Version(ctx context.Context, d DB) (int, error) {
	s, ok := d.(*sqlDB)
	if !ok {
		return 0, fmt.Errorf("keystore: not a SQL store")
	}
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (s *sqlDB) Put(ctx context.Context, f Frame) error {
	if f.ID == uuid.Nil {
		return fmt.Errorf("keystore: put: nil frame UUID")
	}
	if len(f.Key) == 0 {
		return fmt.Errorf("keystore: put frame %s: %w", f.ID, ErrEmpty)
	}
	blocks, err := SplitBlocks(f.ID, f.Key, f.BlockBits)
	if err != nil {
		return fmt.Errorf("keystore: put frame %s: %w", f.ID, err)
	}
	est := f.Estimates
	if est == nil {
		est = map[string]float64{}
	}
	estJSON, err := json.Marshal(est)
	if err != nil {
		return fmt.Errorf("keystore: put frame %s: estimates: %w", f.ID, err)
	}
	sum := sha256.Sum256(f.Key)
	at := f.Time
	if at.IsZero() {
		at = time.Now()
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap("put frame "+f.ID.String(), err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO frames (station, frame_uuid, final_at, key_bytes, block_bits, key_sha256, estimates)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), s.station, f.ID.String(), at.UnixNano(), len(f.Key), f.BlockBits, sum[:], string(estJSON))
	if err != nil {
		return s.wrap("put frame "+f.ID.String(), err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.wrap("put frame "+f.ID.String(), err)
	} else if n == 0 {
		var have []byte
		var bits int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT key_sha256, block_bits FROM frames WHERE station = ? AND frame_uuid = ?`),
			s.station, f.ID.String()).Scan(&have, &bits); err != nil {
			return s.wrap("put frame "+f.ID.String(), err)
		}
		if string(have) != string(sum[:]) || bits != f.BlockBits {
			return fmt.Errorf("%w: frame %s", ErrConflict, f.ID)
		}
		return nil // already stored
	}
	if len(blocks) > 0 {
		if err := s.insertBlocks(ctx, tx, blocks); err != nil {
			return s.wrap("put frame "+f.ID.String(), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("put frame "+f.ID.String(), err)
	}
	return nil
}

// insertBlocks inserts blocks in multi-row statements of at most 100 rows.
func (s *sqlDB) insertBlocks(ctx context.Context, tx *sql.Tx, blocks []Block) error {
	const perStmt = 100
	for len(blocks) > 0 {
		n := min(len(blocks), perStmt)
		var b strings.Builder
		b.WriteString(`INSERT INTO blocks (station, key_id, frame_uuid, block_index, material) VALUES `)
		args := make([]any, 0, 5*n)
		for i, bl := range blocks[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, s.station, bl.ID.String(), bl.Frame.String(), bl.Index, bl.Key)
		}
		if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
			return err
		}
		blocks = blocks[n:]
	}
	return nil
}

func (s *sqlDB) Has(ctx context.Context, frame uuid.UUID) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM frames WHERE station = ? AND frame_uuid = ?`), s.station, frame.String()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.wrap("look up frame "+frame.String(), err)
	}
	return true, nil
}

func (s *sqlDB) Take(ctx context.Context, n int, sae string) ([]Block, error) {
	if n <= 0 {
		return nil, fmt.Errorf("keystore: take %d blocks: must be positive", n)
	}
	lock := ""
	if s.dialect == dialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	query := s.q(`UPDATE blocks SET delivered_at = ?, delivered_to = ?
WHERE seq IN (SELECT seq FROM blocks WHERE station = ? AND delivered_at IS NULL ORDER BY seq LIMIT ?` + lock + `)
AND delivered_at IS NULL
RETURNING seq, key_id, frame_uuid, block_index, material`)
	// On PostgreSQL, blocks locked by a concurrent request are skipped and
	// may come back (that request failed); try again a few times before
	// answering that there are not enough.
	var lastShort int
	for attempt := 0; attempt < 4; attempt++ {
		got, err := s.takeOnce(ctx, query, n, sae)
		if err == nil {
			return got, nil
		}
		var short *shortError
		if !errors.As(err, &short) {
			return nil, err
		}
		lastShort = short.got
		if s.dialect != dialectPostgres {
			break
		}
		time.Sleep(time.Duration(attempt+1) * time.Millisecond)
	}
	return nil, fmt.Errorf("%w: asked for %d, %d available", ErrNotEnough, n, lastShort)
}

type shortError struct{ got int }

func (e *shortError) Error() string { return fmt.Sprintf("only %d blocks", e.got) }

func (s *sqlDB) takeOnce(ctx context.Context, query string, n int, sae string) ([]Block, error) {
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.wrap("take blocks", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query, time.Now().UnixNano(), sae, s.station, n)
	if err != nil {
		return nil, s.wrap("take blocks", err)
	}
	type row struct {
		seq int64
		b   Block
	}
	var got []row
	for rows.Next() {
		var r row
		var id, frame string
		if err := rows.Scan(&r.seq, &id, &frame, &r.b.Index, &r.b.Key); err != nil {
			rows.Close()
			return nil, s.wrap("take blocks", err)
		}
		if r.b.ID, err = uuid.Parse(id); err != nil {
			rows.Close()
			return nil, s.wrap("take blocks", fmt.Errorf("stored key_id %q: %w", id, err))
		}
		if r.b.Frame, err = uuid.Parse(frame); err != nil {
			rows.Close()
			return nil, s.wrap("take blocks", fmt.Errorf("stored frame_uuid %q: %w", frame, err))
		}
		got = append(got, r)
	}
	if err := rows.Close(); err != nil {
		return nil, s.wrap("take blocks", err)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("take blocks", err)
	}
	if len(got) < n {
		return nil, &shortError{got: len(got)}
	}
	if err := tx.Commit(); err != nil {
		return nil, s.wrap("take blocks", err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].seq < got[j].seq })
	out := make([]Block, len(got))
	for i, r := range got {
		out[i] = r.b
	}
	return out, nil
}

func (s *sqlDB) TakeIDs(ctx context.Context, ids []uuid.UUID, sae string) ([]Block, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("keystore: take blocks: no key_ID")
	}
	seen := make(map[uuid.UUID]int, len(ids))
	for i, id := range ids {
		if _, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: %s", ErrDuplicate, id)
		}
		seen[id] = i
	}
	unlock := s.lockWrites()
	defer unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.wrap("take blocks", err)
	}
	defer tx.Rollback()
	var b strings.Builder
	b.WriteString(`UPDATE blocks SET delivered_at = ?, delivered_to = ? WHERE station = ? AND delivered_at IS NULL AND key_id IN (`)
	args := []any{time.Now().UnixNano(), sae, s.station}
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
		args = append(args, id.String())
	}
	b.WriteString(`) RETURNING key_id, frame_uuid, block_index, material`)
	rows, err := tx.QueryContext(ctx, s.q(b.String()), args...)
	if err != nil {
		return nil, s.wrap("take blocks", err)
	}
	out := make([]Block, len(ids))
	n := 0
	for rows.Next() {
		var bl Block
		var id, frame string
		if err := rows.Scan(&id, &frame, &bl.Index, &bl.Key); err != nil {
			rows.Close()
			return nil, s.wrap("take blocks", err)
		}
		if bl.ID, err = uuid.Parse(id); err != nil {
			rows.Close()
			return nil, s.wrap("take blocks", fmt.Errorf("stored key_id %q: %w", id, err))
		}
		if bl.Frame, err = uuid.Parse(frame); err != nil {
			rows.Close()
			return nil, s.wrap("take blocks", fmt.Errorf("stored frame_uuid %q: %w", frame, err))
		}
		i, ok := seen[bl.ID]
		if !ok {
			rows.Close()
			return nil, s.wrap("take blocks", fmt.Errorf("returned key_ID %s not asked for", bl.ID))
		}
		out[i] = bl
		n++
	}
	if err := rows.Close(); err != nil {
		return nil, s.wrap("take blocks", err)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("take blocks", err)
	}
	if n < len(ids) {
		tx.Rollback()
		// Name the first key_ID that could not be taken.
		for i, id := range ids {
			if out[i].ID != uuid.Nil {
				continue
			}
			var delivered sql.NullInt64
			err := s.db.QueryRowContext(ctx, s.q(`SELECT delivered_at FROM blocks WHERE station = ? AND key_id = ?`), s.station, id.String()).Scan(&delivered)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return nil, fmt.Errorf("%w: %s", ErrUnknownKey, id)
			case err != nil:
				return nil, s.wrap("take blocks", err)
			case delivered.Valid:
				return nil, fmt.Errorf("%w: %s", ErrDelivered, id)
			}
			// Taken by a concurrent request between our UPDATE and now.
			return nil, fmt.Errorf("%w: %s", ErrDelivered, id)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, s.wrap("take blocks", err)
	}
	return out, nil
}

func (s *sqlDB) Available(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM blocks WHERE station = ? AND delivered_at IS NULL`), s.station).Scan(&n); err != nil {
		return 0, s.wrap("count blocks", err)
	}
	return n, nil
}

func (s *sqlDB) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM frames WHERE station = ?`), s.station).Scan(&st.Frames); err != nil {
		return st, s.wrap("count frames", err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COUNT(delivered_at) FROM blocks WHERE station = ?`), s.station).Scan(&st.Blocks, &st.Delivered); err != nil {
		return st, s.wrap("count blocks", err)
	}
	st.Available = st.Blocks - st.Delivered
	return st, nil
}

func (s *sqlDB) Close() error { return s.db.Close() }
