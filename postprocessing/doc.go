// Package postprocessing owns the classical post-processing of a CV-QKD frame
// as pure functions: parameter estimation (transmittance, excess noise,
// electronic noise and modulation variance from the disclosed symbols and the
// detector calibration, asymptotic or finite-size worst case), the secret key
// rate (Gaussian modulation, reverse reconciliation, trusted or untrusted
// detector, heterodyne or homodyne), error correction (LDPC syndromes decoded
// with Alice's symbols as side information, in sign, multidimensional or
// slice reconciliation, and the verification hash) and
// privacy amplification (Toeplitz hashing).
//
// It knows nothing of the protocol, sessions or hardware: inputs are plain
// numbers and slices, outputs are numbers, keys and errors. It imports the
// standard library and numerical libraries only.
//
// Conventions: all variances are in shot-noise units (SNU) per quadrature;
// Alice's quadratures have variance Va = 2<n>; the channel transmittance T
// excludes Bob's detection efficiency η; the excess noise ξ is referred to the
// channel input; v_el is the electronic noise of one quadrature measurement.
package postprocessing
