// Package bob owns Bob's station: the frame driver that runs whole QOSST
// frames as the client (identification, initialization with negotiation,
// optional polarisation recovery, quantum information exchange, calibration,
// parameter estimation, error correction, privacy amplification, end of
// frame) over a transport session, against Bob's receiver hardware, and
// writes each frame's final key with the key store. The flow of a frame reads
// top to bottom in RunFrame, one method per phase; the transition table of the
// engine decides whether each of Alice's answers is legal, and anything else
// is answered with INVALID_RESPONSE.
package bob
