// Package messages owns the QOSST/0.2 vocabulary and its bytes: the codes and
// their wire names, the local error codes, one typed content per code that
// carries content (with validation that names the offending field), and the
// frame codec with its challenge strings. JSON is encoding/json's work, driven
// by the contents' struct tags; the package reads and writes only the large
// number arrays itself (Numbers). It imports the standard library and
// github.com/google/uuid only and knows nothing of sessions, sockets or state.
package messages
