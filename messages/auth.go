package messages

// Authenticator signs and verifies frame digests. A frame carries
// Sign(SHA-256(header_json || content_json)); the receiver recomputes the
// digest over the bytes as received and calls Verify. Implementations live
// with the transport (see package transport/auth); the codec only needs this
// contract.
type Authenticator interface {
	// Name identifies the scheme in configuration and logs ("none", "hmac-sha256", "ed25519").
	Name() string
	// Sign returns the signed digest to place in the frame.
	Sign(digest []byte) ([]byte, error)
	// Verify reports nil when signed is a valid signature of digest, and an
	// error wrapping ErrAuthentication otherwise.
	Verify(digest, signed []byte) error
}

// FrameAuthenticator is an Authenticator that authenticates a frame's
// header and content bytes themselves rather than their SHA-256 digest (an
// information-theoretic MAC must not rest on a hash function). The codec
// calls SignFrame and the receiver VerifyFrame instead of Sign and Verify
// when the authenticator implements them; header and content are the
// bytes as sent and as received.
type FrameAuthenticator interface {
	Authenticator
	SignFrame(header, content []byte) ([]byte, error)
	// VerifyFrame reports nil when signed authenticates header and content,
	// and an error wrapping ErrAuthentication otherwise.
	VerifyFrame(header, content, signed []byte) error
}
