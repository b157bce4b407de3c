package transport

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport/auth"
)

// memConn is one end of an in-memory duplex for single-goroutine tests:
// writes append to out, reads drain in (io.EOF when empty).
type memConn struct{ in, out *bytes.Buffer }

func (c memConn) Read(p []byte) (int, error) {
	if c.in.Len() == 0 {
		return 0, io.EOF
	}
	return c.in.Read(p)
}
func (c memConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c memConn) Close() error                     { return nil }
func (c memConn) LocalAddr() net.Addr              { return streamAddr{} }
func (c memConn) RemoteAddr() net.Addr             { return streamAddr{} }
func (c memConn) SetDeadline(time.Time) error      { return nil }
func (c memConn) SetReadDeadline(time.Time) error  { return nil }
func (c memConn) SetWriteDeadline(time.Time) error { return nil }

// chainModel drives Bob (requests) and Alice (answers) through random
// exchanges, unknown codes, tampered frames and replays, and checks each
// receive against what the chain must decide.
type chainModel struct {
	bob, alice *Session
	toAlice    *bytes.Buffer // bob → alice
	toBob      *bytes.Buffer // alice → bob
	lastBob    []byte        // bytes of Bob's last frame
	lastCode   messages.Code // its code
}

var requestCodes = []messages.Code{messages.QIERequest, messages.PENphotonRequest, messages.PESymbolsRequest, messages.ChangeParameterRequest, messages.ECBlock}

func (m *chainModel) bobSends(t *rapid.T, code messages.Code, content []byte) []byte {
	start := m.toAlice.Len()
	if err := m.bob.Send(code, content); err != nil {
		t.Fatalf("bob send: %v", err)
	}
	m.lastBob, m.lastCode = bytes.Clone(m.toAlice.Bytes()[start:]), code
	return m.toAlice.Bytes()[start:]
}

func (m *chainModel) aliceAnswers(t *rapid.T, code messages.Code) {
	if err := m.alice.Send(code, []byte(`{"ok": true}`)); err != nil {
		t.Fatalf("alice send: %v", err)
	}
}

func mustRecv(t *rapid.T, s *Session, who string, want messages.Code) {
	got, err := s.Recv()
	if err != nil || got.Code != want {
		t.Fatalf("%s: received %v, %v; want %v accepted", who, got.Code, err, want)
	}
}

func mustReject(t *rapid.T, s *Session, who string, sentinel error) {
	got, err := s.Recv()
	if !errors.Is(err, sentinel) {
		t.Fatalf("%s: received %v, %v; want %v", who, got.Code, err, sentinel)
	}
	if errors.Is(err, messages.ErrAuthentication) && got.Content != nil {
		t.Fatalf("%s: content of a rejected frame handed up", who)
	}
}

// reidentify: Bob restarts the chain; both sides accept from then on.
func (m *chainModel) reidentify(t *rapid.T) {
	m.bobSends(t, messages.IdentificationRequest, []byte(`{"serial_number": "B"}`))
	mustRecv(t, m.alice, "alice", messages.IdentificationRequest)
	m.aliceAnswers(t, messages.IdentificationResponse)
	mustRecv(t, m.bob, "bob", messages.IdentificationResponse)
}

// flip changes one byte of a frame inside the signed digest or the
// content, so the frame keeps its boundaries but loses its integrity.
func flip(t *rapid.T, frame []byte) {
	sl := int(frame[2])<<8 | int(frame[3])
	hl := int(frame[0])<<8 | int(frame[1])
	regions := [][2]int{{4, 4 + sl}}
	if 4+sl+hl < len(frame) {
		regions = append(regions, [2]int{4 + sl + hl, len(frame)})
	}
	r := regions[rapid.IntRange(0, len(regions)-1).Draw(t, "region")]
	i := rapid.IntRange(r[0], r[1]-1).Draw(t, "byte")
	frame[i] ^= byte(rapid.IntRange(1, 255).Draw(t, "mask"))
}

func TestChainProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var a messages.Authenticator = auth.None()
		if rapid.Bool().Draw(t, "hmac") {
			a, _ = auth.NewHMAC(bytes.Repeat([]byte{9}, 32))
		}
		toAlice, toBob := new(bytes.Buffer), new(bytes.Buffer)
		m := &chainModel{
			bob:     NewSession(memConn{in: toBob, out: toAlice}, Options{Authenticator: a}),
			alice:   NewSession(memConn{in: toAlice, out: toBob}, Options{Authenticator: a}),
			toAlice: toAlice, toBob: toBob,
		}
		m.reidentify(t)
		t.Repeat(map[string]func(*rapid.T){
			"exchange": func(t *rapid.T) {
				code := rapid.SampledFrom(requestCodes).Draw(t, "code")
				body := []byte(nil)
				if rapid.Bool().Draw(t, "content") {
					body = []byte(`{"n": ` + rapid.StringMatching(`[0-9]{1,12}`).Draw(t, "n") + `}`)
				}
				m.bobSends(t, code, body)
				got, err := m.alice.Recv()
				if err != nil || got.Code != code || !bytes.Equal(got.Content, body) {
					t.Fatalf("alice: %v %q %v; want %v %q", got.Code, got.Content, err, code, body)
				}
				m.aliceAnswers(t, code+1)
				mustRecv(t, m.bob, "bob", code+1)
			},
			"unknown code keeps the chain": func(t *rapid.T) {
				code := messages.Code(rapid.IntRange(1000, 1<<20).Draw(t, "code"))
				m.bobSends(t, code, []byte(`{"x": 1}`))
				got, err := m.alice.Recv()
				if !errors.Is(err, messages.ErrUnknownCode) || got.Code != code || string(got.Content) != `{"x": 1}` {
					t.Fatalf("alice: %v %q %v", got.Code, got.Content, err)
				}
				m.aliceAnswers(t, messages.UnkownCommand)
				mustRecv(t, m.bob, "bob", messages.UnkownCommand)
			},
			"tampered request": func(t *rapid.T) {
				flip(t, m.bobSends(t, messages.PENphotonRequest, []byte(`{"n": 1}`)))
				mustReject(t, m.alice, "alice", messages.ErrAuthentication)
				m.aliceAnswers(t, messages.AuthenticationInvalid)
				// Alice could not trust the tampered frame's next_challenge,
				// so her answer echoes a stale one: Bob rejects it too.
				mustReject(t, m.bob, "bob", messages.ErrAuthentication)
				m.reidentify(t)
			},
			"tampered answer": func(t *rapid.T) {
				m.bobSends(t, messages.QIERequest, nil)
				mustRecv(t, m.alice, "alice", messages.QIERequest)
				start := m.toBob.Len()
				m.aliceAnswers(t, messages.QIEReady)
				flip(t, m.toBob.Bytes()[start:])
				mustReject(t, m.bob, "bob", messages.ErrAuthentication)
				m.reidentify(t)
			},
			"replayed request": func(t *rapid.T) {
				if m.lastBob == nil {
					t.Skip("nothing sent yet")
				}
				m.toAlice.Write(m.lastBob)
				if m.lastCode == messages.IdentificationRequest {
					// Its challenge is never checked: Alice restarts her
					// chain on it, and her answer then fails at Bob's.
					mustRecv(t, m.alice, "alice", messages.IdentificationRequest)
					m.aliceAnswers(t, messages.IdentificationResponse)
					mustReject(t, m.bob, "bob", messages.ErrAuthentication)
				} else {
					mustReject(t, m.alice, "alice", messages.ErrAuthentication)
				}
				m.reidentify(t)
			},
		})
		if m.toAlice.Len() != 0 || m.toBob.Len() != 0 {
			t.Fatalf("bytes left unread: %d, %d", m.toAlice.Len(), m.toBob.Len())
		}
	})
}
