package keystore

import (
	"encoding/binary"
	"fmt"

	"github.com/google/uuid"
)

// DefaultBlockBits is the default size of a key block (kme.key_size), in bits.
const DefaultBlockBits = 256

// MaxBlockBits bounds the size of a key block, in bits.
const MaxBlockBits = 1 << 16

// blockNamespace is the name space of the key_IDs of key blocks: the
// SHA-1 name-based UUID (RFC 9562 version 5) of the URL below in the URL
// name space. It never changes: both stations, in any version, must derive
// the same key_IDs.
var blockNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/qosst/qosst-go/keystore#key-block"))

// BlockID returns the key_ID of block index (from 0) of a frame's final key
// cut into blocks of blockBits bits: the version-5 (SHA-1 name-based) UUID
// in blockNamespace of the 28-byte name
//
//	frame UUID (16 bytes) ‖ blockBits (uint32, big-endian) ‖ index (uint64, big-endian)
//
// Both stations hold the same frame UUID and the same final key, so they
// derive the same key_IDs without exchanging a message; the block size is
// part of the name, so stations configured with different block sizes never
// share a key_ID for different key material.
func BlockID(frame uuid.UUID, blockBits, index int) uuid.UUID {
	var name [28]byte
	copy(name[:16], frame[:])
	binary.BigEndian.PutUint32(name[16:20], uint32(blockBits))
	binary.BigEndian.PutUint64(name[20:], uint64(index))
	return uuid.NewSHA1(blockNamespace, name[:])
}

// Block is one key block: its key_ID, the frame it comes from, its index in
// that frame's key, and its key material (blockBits/8 bytes).
type Block struct {
	ID    uuid.UUID
	Frame uuid.UUID
	Index int
	Key   []byte
}

// CheckBlockBits returns an error unless bits is a valid block size: a
// positive multiple of 8 no larger than MaxBlockBits.
func CheckBlockBits(bits int) error {
	if bits <= 0 || bits%8 != 0 || bits > MaxBlockBits {
		return fmt.Errorf("keystore: block size %d bits: must be a positive multiple of 8 up to %d", bits, MaxBlockBits)
	}
	return nil
}

// SplitBlocks cuts a frame's final key into whole blocks of blockBits bits,
// in order, with their key_IDs; the bytes after the last whole block belong
// to no block (they stay in the key file only).
func SplitBlocks(frame uuid.UUID, key []byte, blockBits int) ([]Block, error) {
	if err := CheckBlockBits(blockBits); err != nil {
		return nil, err
	}
	n := blockBits / 8
	out := make([]Block, 0, len(key)/n)
	for i := 0; (i+1)*n <= len(key); i++ {
		out = append(out, Block{ID: BlockID(frame, blockBits, i), Frame: frame, Index: i, Key: key[i*n : (i+1)*n : (i+1)*n]})
	}
	return out, nil
}
