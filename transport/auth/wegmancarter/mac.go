package wegmancarter

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// TagSize is the size of a tag: the pad's segment (16 bytes), its offset
// (4 bytes, big-endian) and the MAC (16 bytes, little-endian, below
// 2^127 − 1).
const TagSize = 16 + 4 + 16

// ErrTag: a tag is malformed, names a pad this station cannot use, or
// does not verify.
var ErrTag = errors.New("wegman-carter: invalid tag")

// mac returns H_k(len(header) ‖ header ‖ content) + s mod p, with k and s
// the two halves of the pad.
func mac(pad, header, content []byte) elem {
	h := polyHash{k: elemFrom16(pad[:16])}
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(header)))
	h.Write(l[:])
	h.Write(header)
	h.Write(content)
	return add(h.sum(), elemFrom16(pad[16:32]))
}

// Tag authenticates one frame's header and content with the next unused
// pad of this station's direction.
func (p *Pool) Tag(header, content []byte) ([]byte, error) {
	id, off, pad, err := p.takeSend()
	if err != nil {
		return nil, err
	}
	t := mac(pad, header, content).bytes()
	out := make([]byte, 0, TagSize)
	out = append(out, id[:]...)
	out = binary.BigEndian.AppendUint32(out, uint32(off))
	return append(out, t[:]...), nil
}

// Check verifies the peer's tag over a frame's header and content: the
// pad it names must be held and above the segment's floor, and the MAC
// must match; the floor then moves past it. Failures wrap ErrTag.
func (p *Pool) Check(header, content, tag []byte) error {
	if len(tag) != TagSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrTag, len(tag), TagSize)
	}
	id, _ := uuid.FromBytes(tag[:16])
	off := binary.BigEndian.Uint32(tag[16:20])
	if off > 1<<30 {
		return fmt.Errorf("%w: pad offset %d", ErrTag, off)
	}
	pad, ok := p.recvPad(id, int(off))
	if !ok {
		return fmt.Errorf("%w: pad %s/%d is not one this station may accept", ErrTag, id, off)
	}
	want := mac(pad, header, content).bytes()
	if subtle.ConstantTimeCompare(want[:], tag[20:]) != 1 {
		return fmt.Errorf("%w: MAC mismatch", ErrTag)
	}
	return p.accept(id, int(off))
}
