// Package transport owns the byte streams that carry QOSST frames and the
// session over them: TCP (default port 8181), Unix sockets and an in-memory
// pipe behind one Dialer/net.Listener abstraction; the Session, which frames
// (code, content) pairs with the messages codec, signs and verifies them with
// a messages.Authenticator, keeps the challenge chain, bounds sizes and
// applies per-operation deadlines; and the Client, whose Request reconnects
// and resends once when the connection drops, as the reference client does.
//
// Receive order (see Session.Recv): frame shape and bounds, signed digest,
// challenge (not for IDENTIFICATION_REQUEST), then the chain advances, then
// whether the code is a QOSST code; the content is handed up as received and
// parsed once, by messages.DecodeContent (Message.Decode). A frame whose
// integrity holds therefore keeps the chain intact even when its code is
// unknown. Errors wrap exactly one of the local sentinels of package messages
// (ErrDisconnected, ErrFrame, ErrAuthentication, ErrUnknownCode), or a
// context error when the caller's context ended while no frame was in
// progress.
//
// Authenticators and key files live in the sub-package transport/auth.
package transport
