//go:build !purego

package qcldpc

import "golang.org/x/sys/cpu"

// The layer kernels run 8 checks at a time with AVX2 (decoder_amd64.s),
// unless built with the purego tag. They give the same bits as the Go
// loops: the same float32 operations lane by lane, and the φ table read
// with the same index. (Sixteen at a time with AVX-512 measured no faster:
// the table gathers bound both.)
const (
	decKernelGo = iota
	decKernelAVX2
)

// decKernelNames name the kernels in benchmarks.
var decKernelNames = []string{"go", "avx2"}

// decKernelBest is the widest kernel this machine runs.
var decKernelBest = func() int {
	if cpu.X86.HasAVX2 {
		return decKernelAVX2
	}
	return decKernelGo
}()

// decKernel is the kernel decGather and decScatter use (tests set it).
var decKernel = decKernelBest

//go:noescape
func decGatherAVX2(p, r, t, f, sum *float32, sgn, parity *uint32, n int)

//go:noescape
func decScatterAVX2(p, r, t, f, sum *float32, sgn *uint32, n int)

//go:noescape
func decInitAVX2(syn *uint8, sgn, parity *uint32, sum *float32, n int)

//go:noescape
func decCountAVX2(parity *uint32, n int) int

// decInitVector runs the vector kernel of decInit on the longest prefix of
// a multiple of its width and returns that length.
func decInitVector(syn []uint8, sgn, parity []uint32, sum []float32) int {
	k := len(syn) &^ 7
	if decKernel != decKernelAVX2 || k == 0 {
		return 0
	}
	decInitAVX2(&syn[0], &sgn[0], &parity[0], &sum[0], k)
	return k
}

// decCountVector counts the set sign bits of the longest prefix of parity
// of a multiple of the kernel's width and returns the count and length.
func decCountVector(parity []uint32) (count, k int) {
	k = len(parity) &^ 7
	if decKernel != decKernelAVX2 || k == 0 {
		return 0, 0
	}
	return decCountAVX2(&parity[0], k), k
}

// decGatherVector runs the vector kernel on the longest prefix of a
// multiple of its width and returns that length.
func decGatherVector(p, r, t, f, sum []float32, sgn, parity []uint32) int {
	k := len(p) &^ 7
	if decKernel != decKernelAVX2 || k == 0 {
		return 0
	}
	decGatherAVX2(&p[0], &r[0], &t[0], &f[0], &sum[0], &sgn[0], &parity[0], k)
	return k
}

// decScatterVector is decGatherVector for decScatter.
func decScatterVector(p, r, t, f, sum []float32, sgn []uint32) int {
	k := len(p) &^ 7
	if decKernel != decKernelAVX2 || k == 0 {
		return 0
	}
	decScatterAVX2(&p[0], &r[0], &t[0], &f[0], &sum[0], &sgn[0], k)
	return k
}
