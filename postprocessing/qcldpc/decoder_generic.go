//go:build !amd64 || purego

package qcldpc

// Without a vector kernel (another architecture, or the purego tag) the
// layer runs the Go loops.
const decKernelGo = 0

var decKernelNames = []string{"go"}

var decKernelBest = decKernelGo

var decKernel = decKernelBest

func decGatherVector(p, r, t, f, sum []float32, sgn, parity []uint32) int { return 0 }

func decScatterVector(p, r, t, f, sum []float32, sgn []uint32) int { return 0 }

func decInitVector(syn []uint8, sgn, parity []uint32, sum []float32) int { return 0 }

func decCountVector(parity []uint32) (count, k int) { return 0, 0 }
