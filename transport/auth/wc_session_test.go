package auth_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/qosst/qosst-go/messages"
	"github.com/qosst/qosst-go/transport"
	"github.com/qosst/qosst-go/transport/auth"
	"github.com/qosst/qosst-go/transport/auth/wegmancarter"
)

// copyDir copies a pool directory (flat, regular files) to a fresh one.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "pool")
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func wcAuth(t *testing.T, dir string) messages.Authenticator {
	t.Helper()
	a, err := auth.New(auth.Config{Scheme: auth.SchemeWegmanCarter, KeyFile: dir})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func script(prefix string) func() string {
	i := 0
	return func() string { i++; return fmt.Sprintf("%s%011d", prefix, i) }
}

// wcConversation: Bob's requests with Alice's answers, contents of several
// sizes.
var wcConversation = []struct {
	req, resp   messages.Code
	body, reply string
}{
	{messages.IdentificationRequest, messages.IdentificationResponse, `{"serial_number": "B", "qosst_version": "QOSST/0.2"}`, `{"serial_number": "A"}`},
	{messages.QIERequest, messages.QIEReady, ``, ``},
	{messages.PENphotonRequest, messages.PENphotonResponse, `{}`, `{"n_photon": 2.5}`},
	{messages.Disconnection, messages.DisconnectionAck, ``, ``},
}

// playWC plays Alice on Bob's recorded stream with a pool; it returns the
// number of Bob frames accepted and the first error.
func playWC(a messages.Authenticator, stream []byte) (int, error) {
	s := transport.NewSession(transport.StreamConn(bytes.NewReader(stream), io.Discard),
		transport.Options{Authenticator: a, NextChallenge: script("alice")})
	for i, c := range wcConversation {
		m, err := s.Recv()
		if err != nil {
			return i, err
		}
		if m.Code != c.req || string(m.Content) != c.body {
			return i, errors.New("accepted a frame that differs from the one sent")
		}
		if err := s.Send(c.resp, []byte(c.reply)); err != nil {
			return i, err
		}
	}
	return len(wcConversation), nil
}

// TestWegmanCarterSession: a conversation between our sessions under the
// Wegman–Carter MAC; Bob's recorded stream is accepted whole by a fresh
// copy of Alice's pool and refused at its first frame when replayed to the
// pool that accepted it (its pads are spent); bytes of every frame (the
// lengths, a third of the tag, a sixth of header and content), flipped,
// end in a local error at that frame with the frames before it accepted
// (each replay against a fresh copy of Alice's pool; FuzzCheck and
// TestTagCheck cover every tag byte).
func TestWegmanCarterSession(t *testing.T) {
	dir := t.TempDir()
	ad, bd := filepath.Join(dir, "alice"), filepath.Join(dir, "bob")
	if err := wegmancarter.WritePair(ad, bd, 64*wegmancarter.PadSize, 0); err != nil {
		t.Fatal(err)
	}
	pristine := copyDir(t, ad)
	var toAlice, toBob, bobRec bytes.Buffer
	bob := transport.NewSession(transport.StreamConn(&toBob, io.MultiWriter(&toAlice, &bobRec)),
		transport.Options{Authenticator: wcAuth(t, bd), NextChallenge: script("bob..")})
	alice := transport.NewSession(transport.StreamConn(&toAlice, &toBob),
		transport.Options{Authenticator: wcAuth(t, ad), NextChallenge: script("alice")})
	var ends []int
	for _, c := range wcConversation {
		if err := bob.Send(c.req, []byte(c.body)); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, bobRec.Len())
		if m, err := alice.Recv(); err != nil || m.Code != c.req {
			t.Fatalf("Alice: %v %v", m.Code, err)
		}
		if err := alice.Send(c.resp, []byte(c.reply)); err != nil {
			t.Fatal(err)
		}
		if m, err := bob.Recv(); err != nil || m.Code != c.resp {
			t.Fatalf("Bob: %v %v", m.Code, err)
		}
	}
	stream := bobRec.Bytes()
	fresh := wcAuth(t, copyDir(t, pristine))
	if n, err := playWC(fresh, stream); err != nil || n != len(wcConversation) {
		t.Fatalf("fresh pool: %d frames, then %v", n, err)
	}
	if n, err := playWC(fresh, stream); n != 0 || !errors.Is(err, messages.ErrAuthentication) {
		t.Fatalf("replay to the pool that accepted it: %d frames, then %v", n, err)
	}
	counts := map[messages.ErrorCode]int{}
	start := 0
	for fi, end := range ends {
		for j := start; j < end; j++ {
			// The lengths, every third byte of the tag, every sixth of the
			// header and content (each replay needs a fresh pool copy).
			if k := j - start; k >= 4 && (k < 4+wegmancarter.TagSize && k%3 != 0 || k >= 4+wegmancarter.TagSize && k%6 != 0) {
				continue
			}
			bad := bytes.Clone(stream[:end])
			bad[j] ^= 0x01
			n, err := playWC(wcAuth(t, copyDir(t, pristine)), bad)
			code, ok := messages.LocalCode(err)
			if n != fi || !ok {
				t.Fatalf("frame %d byte %d: accepted %d frames, then %v", fi, j-start, n, err)
			}
			counts[code]++
		}
		start = end
	}
	t.Logf("local errors over all flips: %v", counts)
	if counts[messages.AuthenticationFailure] == 0 {
		t.Errorf("no authentication failure among flips: %v", counts)
	}
}
