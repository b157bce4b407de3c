package wegmancarter

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/google/uuid"
)

// The pool and its rule.
//
// A station's pool is a directory (mode 0700) of segments, each a file of
// shared secret bytes named by the segment's UUID: the initial segment
// (the nil UUID) written by `qosst keygen --scheme wegman-carter` identical
// for both stations, and one segment per completed QKD frame, named by the
// frame's UUID and cut from the first bytes of its final key. The first
// half of a segment holds the pads of frames Alice sends, the second half
// those of frames Bob sends; a pad is 32 bytes (hash key, one-time pad).
// A pad is addressed by (segment, offset) and the address travels in the
// tag, so the two stations never need to agree on an order of segments.
//
// The rule:
//  1. A sender never uses a pad twice: it takes the next unused offset of
//     a segment, and the next offset is written to state.json (fsync'd,
//     atomically renamed) before any tag using it leaves, in reservations
//     of reserveStep pads; after a crash or restart it resumes past the
//     whole reservation (unused reserved pads are skipped, never reused).
//  2. A receiver accepts a pad of a segment only above the highest offset
//     it accepted in that segment; an accepted tag moves the floor, written
//     to state.json before the frame is handed up (fsync'd with the next
//     durable write), so no pad authenticates two frames in one direction,
//     across restarts too.
//  3. A segment made from a frame's key is added, unconfirmed, before the
//     key is written (Alice: on FRAME_ENDED; Bob: when he writes the key
//     as pending); the rest of the key is what the key store keeps. It is
//     confirmed when the station knows that the peer holds the key too:
//     Alice once her key file is written (Bob wrote his before sending
//     FRAME_ENDED), Bob at FRAME_ENDED_ACK or when key recovery finds that
//     Alice holds the key. A sender takes pads only from confirmed
//     segments; a receiver looks pads up in any segment it holds. So
//     whatever pad a sender uses, the receiver holds its segment, and an
//     aborted frame, a lost FRAME_ENDED_ACK, a lost connection or a
//     restart can leave a station with an unconfirmed segment (used for
//     receiving only) but never with a pad the peer lacks or reuses.
//  4. An aborted frame adds no segment; the pads its frames used stay used.

// reserveStep is the number of pads a sender reserves per state write.
const reserveStep = 64

// PadSize is the number of pool bytes one tag consumes: a 16-byte hash key
// and a 16-byte one-time pad.
const PadSize = 32

// DefaultRefill is the number of bytes of each completed frame's key that
// refill the pool (half for each direction: 128 pads each way).
const DefaultRefill = 8192

// Errors that callers may branch on.
var (
	// ErrExhausted: no confirmed segment has an unused pad left.
	ErrExhausted = errors.New("wegman-carter: pool exhausted")
	// ErrPool: the pool directory is missing, malformed or insecure.
	ErrPool = errors.New("wegman-carter: pool")
)

// Role is the station a pool belongs to.
type Role string

// The two roles.
const (
	Alice Role = "alice"
	Bob   Role = "bob"
)

type segmentState struct {
	ID        uuid.UUID `json:"id"`
	Confirmed bool      `json:"confirmed"`
	Pads      int       `json:"pads"`      // pads per direction
	SendNext  int       `json:"send_next"` // reserved: no pad below it may be used again
	RecvFloor int       `json:"recv_floor"`
	sendNext  int       // in memory: next unused pad (<= SendNext)
}

type state struct {
	Role     Role            `json:"role"`
	Refill   int             `json:"refill_bytes"`
	Segments []*segmentState `json:"segments"`
}

// Pool is one station's pad pool, safe for concurrent use.
type Pool struct {
	mu   sync.Mutex
	dir  string
	st   state
	data map[uuid.UUID][]byte
	// stats since Open: pads used to send, pads accepted, pads (per
	// direction) added by refills
	used, accepted, added int
}

func segmentPath(dir string, id uuid.UUID) string {
	return filepath.Join(dir, id.String()+".pad")
}

// WritePair writes two pools sharing an initial segment of size random
// bytes: aliceDir for Alice and bobDir for Bob (directories created with
// mode 0700, files 0600). Existing directories are refused.
func WritePair(aliceDir, bobDir string, size, refill int) error {
	if size < 2*PadSize {
		return fmt.Errorf("%w: initial pool of %d bytes holds no pad", ErrPool, size)
	}
	if refill <= 0 {
		refill = DefaultRefill
	}
	secret := make([]byte, size)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("wegman-carter: random pool: %w", err)
	}
	for _, d := range []string{aliceDir, bobDir} {
		if _, err := os.Lstat(d); err == nil {
			return fmt.Errorf("%w: %s exists", fs.ErrExist, d)
		}
	}
	for role, d := range map[Role]string{Alice: aliceDir, Bob: bobDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("wegman-carter: %w", err)
		}
		p := &Pool{dir: d, st: state{Role: role, Refill: refill}, data: map[uuid.UUID][]byte{}}
		if err := p.addSegment(uuid.Nil, secret, true); err != nil {
			return err
		}
	}
	return nil
}

// Open loads a pool directory; the directory must be private to its owner.
func Open(dir string) (*Pool, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrPool, dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w %s: not a directory", ErrPool, dir)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w %s: mode %#o; a pool must be private to its owner (chmod 700 %s)", ErrPool, dir, fi.Mode().Perm(), dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrPool, dir, err)
	}
	p := &Pool{dir: dir, data: map[uuid.UUID][]byte{}}
	if err := json.Unmarshal(b, &p.st); err != nil {
		return nil, fmt.Errorf("%w %s/state.json: %w", ErrPool, dir, err)
	}
	if p.st.Role != Alice && p.st.Role != Bob {
		return nil, fmt.Errorf("%w %s/state.json: role %q", ErrPool, dir, p.st.Role)
	}
	if p.st.Refill <= 0 {
		return nil, fmt.Errorf("%w %s/state.json: refill_bytes %d", ErrPool, dir, p.st.Refill)
	}
	for _, s := range p.st.Segments {
		d, err := os.ReadFile(segmentPath(dir, s.ID))
		if err != nil {
			return nil, fmt.Errorf("%w %s: segment %s: %w", ErrPool, dir, s.ID, err)
		}
		if s.Pads < 0 || len(d) < 2*PadSize*s.Pads || s.SendNext < 0 || s.RecvFloor < 0 {
			return nil, fmt.Errorf("%w %s: segment %s is inconsistent with state.json", ErrPool, dir, s.ID)
		}
		if _, dup := p.data[s.ID]; dup {
			return nil, fmt.Errorf("%w %s: segment %s listed twice", ErrPool, dir, s.ID)
		}
		p.data[s.ID] = d
		s.sendNext = s.SendNext // resume past the whole reservation
	}
	return p, nil
}

// Role returns the station the pool belongs to.
func (p *Pool) Role() Role { return p.st.Role }

// RefillBytes is how many bytes of each completed frame's key refill the
// pool.
func (p *Pool) RefillBytes() int { return p.st.Refill }

// saveLocked writes state.json atomically and durably.
func (p *Pool) saveLocked() error { return p.save(true) }

// save writes state.json atomically (a renamed temporary file); with sync
// also durably (file and directory fsync'd).
func (p *Pool) save(sync bool) error {
	b, err := json.MarshalIndent(p.st, "", " ")
	if err != nil {
		return err
	}
	return writeFile(p.dir, "state.json", b, sync)
}

// syncFiles makes writeDurable fsync; tests that reopen pools to model
// restarts (which read the files whether or not they reached the disk)
// turn it off for speed.
var syncFiles = true

func writeDurable(dir, name string, b []byte) error { return writeFile(dir, name, b, true) }

func writeFile(dir, name string, b []byte, sync bool) error {
	sync = sync && syncFiles
	tmp, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return fmt.Errorf("wegman-carter: %w", err)
	}
	_, werr := tmp.Write(b)
	var serr error
	if sync {
		serr = tmp.Sync()
	}
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("wegman-carter: write %s: %w", name, err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("wegman-carter: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("wegman-carter: %w", err)
	}
	if !sync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wegman-carter: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wegman-carter: sync %s: %w", dir, err)
	}
	return nil
}

func (p *Pool) segment(id uuid.UUID) *segmentState {
	for _, s := range p.st.Segments {
		if s.ID == id {
			return s
		}
	}
	return nil
}

func (p *Pool) addSegment(id uuid.UUID, b []byte, confirmed bool) error {
	pads := len(b) / (2 * PadSize)
	b = b[:2*PadSize*pads]
	if err := writeDurable(p.dir, id.String()+".pad", b); err != nil {
		return err
	}
	p.data[id] = b
	p.st.Segments = append(p.st.Segments, &segmentState{ID: id, Confirmed: confirmed, Pads: pads})
	p.added += pads
	return p.saveLocked()
}

// Refill cuts the segment of a completed frame from the first
// RefillBytes() bytes of its final key (at most half of the key, in whole
// pairs of pads), adds it unconfirmed (rule 3) and returns the rest of the
// key, the part to release. Both stations cut the same bytes from the same
// key. Refilling a frame twice returns the same rest and adds nothing.
func (p *Pool) Refill(frame uuid.UUID, key []byte) ([]byte, error) {
	if frame == uuid.Nil {
		return nil, fmt.Errorf("%w: a frame segment cannot be named by the nil UUID", ErrPool)
	}
	n := min(p.st.Refill, len(key)/2)
	n -= n % (2 * PadSize)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.segment(frame) != nil {
		return key[n:], nil
	}
	if n == 0 {
		return key, nil
	}
	if err := p.addSegment(frame, slices.Clone(key[:n]), false); err != nil {
		return nil, err
	}
	return key[n:], nil
}

// Confirm marks a frame's segment as held by both stations (rule 3): the
// sender may take pads from it. Confirming an unknown frame does nothing.
func (p *Pool) Confirm(frame uuid.UUID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.segment(frame)
	if s == nil || s.Confirmed {
		return nil
	}
	s.Confirmed = true
	return p.saveLocked()
}

// direction returns the half of a segment holding the pads sent by role.
func direction(b []byte, pads int, sender Role) []byte {
	if sender == Alice {
		return b[:pads*PadSize]
	}
	return b[pads*PadSize : 2*pads*PadSize]
}

// takeSend returns the address and bytes of an unused pad of this
// station's sending direction, reserving it durably first (rule 1).
func (p *Pool) takeSend() (uuid.UUID, int, []byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.st.Segments {
		if !s.Confirmed || s.sendNext >= s.Pads {
			continue
		}
		off := s.sendNext
		if off >= s.SendNext {
			s.SendNext = min(off+reserveStep, s.Pads)
			if err := p.saveLocked(); err != nil {
				s.SendNext = off
				return uuid.Nil, 0, nil, err
			}
		}
		s.sendNext = off + 1
		p.used++
		pad := direction(p.data[s.ID], s.Pads, p.st.Role)[off*PadSize : (off+1)*PadSize]
		return s.ID, off, pad, nil
	}
	return uuid.Nil, 0, nil, ErrExhausted
}

// recvPad returns the pad the peer used at (id, off), or false when this
// station does not hold it or it is at or below the floor (rule 2).
func (p *Pool) recvPad(id uuid.UUID, off int) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.segment(id)
	if s == nil || off < 0 || off >= s.Pads || off < s.RecvFloor {
		return nil, false
	}
	peer := Bob
	if p.st.Role == Bob {
		peer = Alice
	}
	return direction(p.data[id], s.Pads, peer)[off*PadSize : (off+1)*PadSize], true
}

// accept raises the receive floor of a segment past off and writes it
// before the frame is handed up (rule 2), so the floor survives a restart
// of the station; it is fsync'd with the next durable write (a send
// reservation, a refill, a confirmation), so a power loss can roll it back
// by at most those frames, whose replays the challenge chain still
// refuses.
func (p *Pool) accept(id uuid.UUID, off int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.segment(id)
	if s == nil || off < s.RecvFloor {
		return fmt.Errorf("%w: pad %s/%d already accepted", ErrTag, id, off)
	}
	old := s.RecvFloor
	s.RecvFloor = off + 1
	if err := p.save(false); err != nil {
		s.RecvFloor = old
		return err
	}
	p.accepted++
	return nil
}

// Stats reports, since Open, the pads this station used to send, the pads
// it accepted from the peer, and the pads per direction refills added.
func (p *Pool) Stats() (sent, accepted, added int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used, p.accepted, p.added
}

// Remaining reports the unused pads of the confirmed segments in this
// station's sending direction.
func (p *Pool) Remaining() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.st.Segments {
		if s.Confirmed {
			n += s.Pads - s.sendNext
		}
	}
	return n
}
