// Package alice owns the Alice station: a QOSST server that serves many
// concurrent sessions, each with its own engine and challenge chain, and
// answers Bob's requests phase by phase (identification, initialization
// with negotiation, polarisation recovery, quantum information exchange with
// the emitter held exclusively, parameter estimation, error correction,
// privacy amplification, end of frame), writing each frame's final key with
// package keystore before FRAME_ENDED_ACK. It also owns Alice's typed
// parameter registry for CHANGE_PARAMETER_REQUEST.
package alice
