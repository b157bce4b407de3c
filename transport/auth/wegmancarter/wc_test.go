package wegmancarter

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"pgregory.net/rapid"
)

var bigP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 127), big.NewInt(1))

func toBig(e elem) *big.Int {
	v := new(big.Int).SetUint64(e.hi)
	v.Lsh(v, 64)
	return v.Or(v, new(big.Int).SetUint64(e.lo))
}

func randElem(r *mrand.Rand) elem {
	switch r.IntN(6) {
	case 0:
		return elem{}
	case 1:
		return elem{mask63, ^uint64(0) - 1} // p − 1
	}
	return reduce(elem{r.Uint64() & mask63, r.Uint64()})
}

// TestFieldAgainstBig: addition and multiplication modulo 2^127 − 1
// agree with math/big, edge values included.
func TestFieldAgainstBig(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		a, b := randElem(r), randElem(r)
		wantAdd := new(big.Int).Add(toBig(a), toBig(b))
		wantAdd.Mod(wantAdd, bigP)
		wantMul := new(big.Int).Mul(toBig(a), toBig(b))
		wantMul.Mod(wantMul, bigP)
		if got := toBig(add(a, b)); got.Cmp(wantAdd) != 0 {
			t.Fatalf("%v + %v = %v, want %v", toBig(a), toBig(b), got, wantAdd)
		}
		if got := toBig(mul(a, b)); got.Cmp(wantMul) != 0 {
			t.Fatalf("%v · %v = %v, want %v", toBig(a), toBig(b), got, wantMul)
		}
	}
}

// refHash evaluates the polynomial hash with math/big from its definition.
func refHash(k elem, msg []byte) *big.Int {
	kb := toBig(k)
	h := new(big.Int)
	for len(msg) > 0 {
		n := min(blockSize, len(msg))
		c := new(big.Int)
		for i := n - 1; i >= 0; i-- {
			c.Lsh(c, 8)
			c.Or(c, big.NewInt(int64(msg[i])))
		}
		c.SetBit(c, 8*n, 1)
		h.Add(h, c)
		h.Mul(h, kb)
		h.Mod(h, bigP)
		msg = msg[n:]
	}
	return h
}

// TestPolyHashAgainstBig: the streaming hash equals its definition for
// messages of every length around the block size, written in any pieces.
func TestPolyHashAgainstBig(t *testing.T) {
	r := mrand.New(mrand.NewPCG(3, 4))
	for n := 0; n < 70; n++ {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(r.Uint32())
		}
		k := randElem(r)
		h := polyHash{k: k}
		for rest := msg; len(rest) > 0; {
			c := 1 + r.IntN(len(rest))
			h.Write(rest[:c])
			rest = rest[c:]
		}
		if got, want := toBig(h.sum()), refHash(k, msg); got.Cmp(want) != 0 {
			t.Fatalf("length %d: %v, want %v", n, got, want)
		}
	}
}

// TestForgeryProbability: a changed message, or bytes moved between
// header and content, never keeps the tag over 10 000 random pads (the
// bound is L/p ≈ 2^-120 per try for L blocks; this checks the encoding,
// not the bound).
func TestForgeryProbability(t *testing.T) {
	r := mrand.New(mrand.NewPCG(5, 6))
	m1 := bytes.Repeat([]byte("frame "), 50)
	m2 := bytes.Clone(m1)
	m2[100] ^= 1
	for i := 0; i < 10000; i++ {
		pad := make([]byte, PadSize)
		for j := range pad {
			pad[j] = byte(r.Uint32())
		}
		if mac(pad, m1, nil) == mac(pad, m2, nil) {
			t.Fatal("collision")
		}
		// Moving bytes between header and content changes the tag.
		if mac(pad, m1[:10], m1[10:]) == mac(pad, m1[:11], m1[11:]) {
			t.Fatal("header/content boundary not authenticated")
		}
	}
}

func newPair(t testing.TB, size int) (alice, bob string) {
	t.Helper()
	dir := t.TempDir()
	alice, bob = filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	if err := WritePair(alice, bob, size, 4*PadSize*8); err != nil {
		t.Fatal(err)
	}
	return alice, bob
}

func mustOpen(t testing.TB, dir string) *Pool {
	t.Helper()
	p, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTagCheck: tags verify at the peer, once; a changed header, content
// or tag, a replay and a tag of the station's own direction are refused;
// the pool runs out with ErrExhausted.
func TestTagCheck(t *testing.T) {
	ad, bd := newPair(t, 4*PadSize)
	a, b := mustOpen(t, ad), mustOpen(t, bd)
	if a.Role() != Alice || b.Role() != Bob {
		t.Fatal("roles")
	}
	tag, err := a.Tag([]byte("header"), []byte("content"))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][3][]byte{
		"header":  {[]byte("headeR"), []byte("content"), tag},
		"content": {[]byte("header"), []byte("contenT"), tag},
		"mac":     {[]byte("header"), []byte("content"), append(bytes.Clone(tag[:TagSize-1]), tag[TagSize-1]^1)},
		"offset":  {[]byte("header"), []byte("content"), append(append(bytes.Clone(tag[:19]), tag[19]^1), tag[20:]...)},
		"short":   {[]byte("header"), []byte("content"), tag[:TagSize-1]},
	} {
		if err := b.Check(c[0], c[1], c[2]); !errors.Is(err, ErrTag) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	if err := a.Check([]byte("header"), []byte("content"), tag); !errors.Is(err, ErrTag) {
		t.Errorf("own tag accepted by the sender: %v", err)
	}
	if err := b.Check([]byte("header"), []byte("content"), tag); err != nil {
		t.Fatal(err)
	}
	if err := b.Check([]byte("header"), []byte("content"), tag); !errors.Is(err, ErrTag) {
		t.Errorf("replay accepted: %v", err)
	}
	if _, err := a.Tag(nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Tag(nil, nil); !errors.Is(err, ErrExhausted) {
		t.Fatalf("third tag from a pool of two pads: %v", err)
	}
}

// TestOpenRefusesBadPools: a pool readable by others, a missing segment
// and a malformed state file are refused with ErrPool.
func TestOpenRefusesBadPools(t *testing.T) {
	ad, bd := newPair(t, 1024)
	os.Chmod(ad, 0o755)
	if _, err := Open(ad); !errors.Is(err, ErrPool) {
		t.Errorf("mode 0755: %v", err)
	}
	os.Remove(segmentPath(bd, uuid.Nil))
	if _, err := Open(bd); !errors.Is(err, ErrPool) {
		t.Errorf("missing segment: %v", err)
	}
	os.Chmod(ad, 0o700)
	os.WriteFile(filepath.Join(ad, "state.json"), []byte("{"), 0o600)
	if _, err := Open(ad); !errors.Is(err, ErrPool) {
		t.Errorf("bad state: %v", err)
	}
}

// station is one side of the property test: its pool directory and the
// pool as currently opened (nil while down).
type station struct {
	dir  string
	pool *Pool
}

func (s *station) restart(t *rapid.T) {
	p, err := Open(s.dir)
	if err != nil {
		t.Fatalf("reopen %s: %v", s.dir, err)
	}
	s.pool = p
}

type msg struct {
	from         Role
	header, body []byte
	tag          []byte
	seg          uuid.UUID
	off          uint32
	frame        uuid.UUID // FRAME_ENDED / FRAME_ENDED_ACK of this frame, else nil
}

// TestPoolProperty drives both stations through random frames and
// failures: messages each way, some lost (disconnections), some tampered
// or replayed by an attacker, restarts of either station at any point
// (pools reopened from disk), QKD frames that complete, abort before their
// end, lose FRAME_ENDED or FRAME_ENDED_ACK (key recovery then tells Bob
// whether Alice holds the key), and Alice crashing between refilling and
// confirming. Invariants: no pad (segment, direction, offset) is ever used
// by two tags; every genuine message that arrives verifies; every forged,
// altered or replayed one is refused; segments both stations hold are
// byte-identical; a sender only uses segments the receiver holds.
func TestPoolProperty(t *testing.T) {
	syncFiles = false // restarts reopen the files; whether they reached the disk is not under test
	defer func() { syncFiles = true }()
	rapid.Check(t, func(t *rapid.T) {
		dir, err := os.MkdirTemp("", "wc-prop")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		ad, bd := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
		if err := WritePair(ad, bd, 64*PadSize, 16*PadSize); err != nil {
			t.Fatal(err)
		}
		st := map[Role]*station{Alice: {dir: ad}, Bob: {dir: bd}}
		st[Alice].restart(t)
		st[Bob].restart(t)
		peer := map[Role]Role{Alice: Bob, Bob: Alice}
		used := map[string]bool{}
		var seen []msg // genuine messages delivered, for replays
		// Alice's and Bob's knowledge of frames.
		aliceKey := map[uuid.UUID]bool{}   // Alice wrote the key
		bobPending := map[uuid.UUID]bool{} // Bob holds the key, not yet known final
		send := func(from Role, frame uuid.UUID) (msg, bool) {
			h := []byte(fmt.Sprintf(`{"code": %d}`, rapid.IntRange(0, 300).Draw(t, "code")))
			b := rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "body")
			tag, err := st[from].pool.Tag(h, b)
			if errors.Is(err, ErrExhausted) {
				return msg{}, false
			}
			if err != nil {
				t.Fatal(err)
			}
			m := msg{from: from, header: h, body: b, tag: tag, frame: frame}
			copy(m.seg[:], tag[:16])
			m.off = uint32(tag[16])<<24 | uint32(tag[17])<<16 | uint32(tag[18])<<8 | uint32(tag[19])
			k := fmt.Sprintf("%s/%s/%d", from, m.seg, m.off)
			if used[k] {
				t.Fatalf("pad %s used twice", k)
			}
			used[k] = true
			// The receiver holds the segment (rule 3).
			if st[peer[from]].pool.segment(m.seg) == nil {
				t.Fatalf("%s tagged with segment %s that %s does not hold", from, m.seg, peer[from])
			}
			return m, true
		}
		deliver := func(m msg) {
			if err := st[peer[m.from]].pool.Check(m.header, m.body, m.tag); err != nil {
				t.Fatalf("genuine message from %s refused: %v", m.from, err)
			}
			seen = append(seen, m)
		}
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			switch rapid.IntRange(0, 6).Draw(t, "op") {
			case 0, 1: // a message, delivered or lost
				from := rapid.SampledFrom([]Role{Alice, Bob}).Draw(t, "from")
				m, ok := send(from, uuid.Nil)
				if !ok {
					continue
				}
				if rapid.IntRange(0, 4).Draw(t, "lost") > 0 {
					deliver(m)
				}
			case 2: // the attacker alters a message in flight; the original is lost
				from := rapid.SampledFrom([]Role{Alice, Bob}).Draw(t, "from")
				m, ok := send(from, uuid.Nil)
				if !ok {
					continue
				}
				bad := msg{header: m.header, body: m.body, tag: bytes.Clone(m.tag)}
				switch rapid.IntRange(0, 2).Draw(t, "what") {
				case 0:
					bad.body = append(bytes.Clone(m.body), 'x')
				case 1:
					bad.tag[rapid.IntRange(0, TagSize-1).Draw(t, "byte")] ^= byte(rapid.IntRange(1, 255).Draw(t, "mask"))
				case 2:
					bad.header = append(bytes.Clone(m.header), ' ')
				}
				if err := st[peer[from]].pool.Check(bad.header, bad.body, bad.tag); !errors.Is(err, ErrTag) {
					t.Fatalf("altered message accepted: %v", err)
				}
			case 3: // a replay of an earlier genuine message
				if len(seen) == 0 {
					continue
				}
				m := seen[rapid.IntRange(0, len(seen)-1).Draw(t, "which")]
				if err := st[peer[m.from]].pool.Check(m.header, m.body, m.tag); !errors.Is(err, ErrTag) {
					t.Fatalf("replay accepted: %v", err)
				}
			case 4: // a restart
				st[rapid.SampledFrom([]Role{Alice, Bob}).Draw(t, "who")].restart(t)
			case 5: // a QKD frame ends, with failures at any point
				frame := uuid.New()
				key := make([]byte, rapid.IntRange(0, 40*PadSize).Draw(t, "keylen"))
				rand.Read(key)
				// Bob refills and writes his key as pending, then sends FRAME_ENDED.
				rest, err := st[Bob].pool.Refill(frame, key)
				if err != nil {
					t.Fatal(err)
				}
				bobPending[frame] = true
				fe, ok := send(Bob, frame)
				if !ok || rapid.Bool().Draw(t, "frame_ended lost") {
					continue // recovery later: Alice holds no key
				}
				deliver(fe)
				arest, err := st[Alice].pool.Refill(frame, key)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(rest, arest) {
					t.Fatal("the stations release different keys")
				}
				if rapid.Bool().Draw(t, "alice crashes before writing") {
					st[Alice].restart(t)
					continue
				}
				aliceKey[frame] = true
				if err := st[Alice].pool.Confirm(frame); err != nil {
					t.Fatal(err)
				}
				ack, ok := send(Alice, frame)
				if !ok || rapid.Bool().Draw(t, "ack lost") {
					continue
				}
				deliver(ack)
				if err := st[Bob].pool.Confirm(frame); err != nil {
					t.Fatal(err)
				}
				delete(bobPending, frame)
			case 6: // key recovery of Bob's pending frames
				for frame := range bobPending {
					if aliceKey[frame] {
						if err := st[Bob].pool.Confirm(frame); err != nil {
							t.Fatal(err)
						}
					}
					delete(bobPending, frame)
				}
			}
		}
		// Segments both hold are identical.
		for id, d := range st[Alice].pool.data {
			if e, ok := st[Bob].pool.data[id]; ok && !bytes.Equal(d, e) {
				t.Fatalf("segment %s differs between the stations", id)
			}
		}
	})
}

// FuzzCheck: the tag decoder and verifier return nil or an ErrTag error
// for any header, content and tag, never panic, and accept only the one
// tag the sender made (a forged tag verifying would be a 2^-120 event).
func FuzzCheck(f *testing.F) {
	dir := f.TempDir()
	ad, bd := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	if err := WritePair(ad, bd, 64*PadSize, 0); err != nil {
		f.Fatal(err)
	}
	a, err := Open(ad)
	if err != nil {
		f.Fatal(err)
	}
	b, err := Open(bd)
	if err != nil {
		f.Fatal(err)
	}
	h, c := []byte(`{"code": 10}`), []byte(`{"x": 1}`)
	genuine, err := a.Tag(h, c)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(h, c, genuine)
	f.Add([]byte{}, []byte{}, make([]byte, TagSize))
	f.Fuzz(func(t *testing.T, header, content, tag []byte) {
		err := b.Check(header, content, tag)
		if err == nil && !(bytes.Equal(header, h) && bytes.Equal(content, c) && bytes.Equal(tag, genuine)) {
			t.Fatalf("accepted a tag the sender never made")
		}
		if err != nil && !errors.Is(err, ErrTag) {
			t.Fatalf("error without ErrTag: %v", err)
		}
	})
}

// BenchmarkMAC: the MAC alone (no pool I/O) over a 1 KiB and a 1 MiB frame.
func BenchmarkMAC(b *testing.B) {
	pad := bytes.Repeat([]byte{0xa5}, PadSize)
	for _, n := range []int{1 << 10, 1 << 20} {
		content := bytes.Repeat([]byte("x"), n)
		b.Run(fmt.Sprintf("content=%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				mac(pad, []byte(`{"code": 140}`), content)
			}
		})
	}
}
