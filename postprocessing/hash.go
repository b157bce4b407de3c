package postprocessing

import (
	"crypto/sha256"
	"encoding/binary"
)

// VerificationHashBits is the number of bits EC_VERIFICATION's hash
// discloses about the key, counted as leakage by FinalKeyLength.
const VerificationHashBits = 63

// verificationDomain separates this hash from any other use of SHA-256.
const verificationDomain = "qosst-go/ec-verification/v1"

// VerificationHash returns EC_VERIFICATION's "hash" of a reconciled key: the
// first 63 bits of SHA-256(domain ‖ uint64 BE bit count ‖ bits packed MSB
// first), read big-endian as a non-negative integer (the first 8 bytes
// shifted right by one) that fits int64 and every JSON peer. It is not keyed: it discloses
// at most 63 bits about the key (counted as leakage), and two different keys
// collide with probability about 2^-63 when the difference does not depend on
// the hash (decoding errors do not).
func VerificationHash(bits []uint8) int64 {
	h := sha256.New()
	h.Write([]byte(verificationDomain))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(bits)))
	h.Write(n[:])
	h.Write(PackBits(bits))
	sum := h.Sum(nil)
	return int64(binary.BigEndian.Uint64(sum[:8]) >> 1)
}

// BlockHashBits is the number of bits EC_BLOCK's "hash" discloses about a
// block's code word, counted as leakage of every decoded block that
// carried one.
const BlockHashBits = 32

// blockDomain separates the block hash from any other use of SHA-256.
const blockDomain = "qosst-go/ec-block/v1"

// BlockHash returns EC_BLOCK's "hash" of block i's code word: 1 + the first
// 32 bits of SHA-256(domain ‖ uint64 BE index ‖ uint64 BE bit count ‖ bits
// packed MSB first), in [1, 2^32], so that 0 can mean "no hash". Alice
// checks a decoded block against it: belief propagation can converge to
// another word with the same syndrome (Bob's word plus a codeword), which
// the syndrome alone does not reveal; without the check such a block would
// only be caught by EC_VERIFICATION, and the whole frame lost.
func BlockHash(i int, bits []uint8) int64 {
	h := sha256.New()
	h.Write([]byte(blockDomain))
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], uint64(i))
	binary.BigEndian.PutUint64(n[8:], uint64(len(bits)))
	h.Write(n[:])
	h.Write(PackBits(bits))
	sum := h.Sum(nil)
	return 1 + int64(binary.BigEndian.Uint32(sum[:4]))
}

// PackBits packs bits (one per byte, low bit read) MSB first, the last byte
// padded with zeros.
func PackBits(bits []uint8) []byte {
	out := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		out[i/8] |= (b & 1) << (7 - uint(i%8))
	}
	return out
}

// UnpackBits is the inverse of PackBits for n bits.
func UnpackBits(packed []byte, n int) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = (packed[i/8] >> (7 - uint(i%8))) & 1
	}
	return out
}
