//go:build !purego

#include "textflag.h"

// decGatherAVX2 is decGatherGo on eight checks at a time; n is a multiple
// of 8. The φ lookups are AVX2 gathers from decPhi with the same index
// (bits<<1)>>18, and every operation is the scalar one lane by lane, so
// the results are bit for bit those of decGatherGo.
//
// func decGatherAVX2(p, r, t, f, sum *float32, sgn, parity *uint32, n int)
TEXT ·decGatherAVX2(SB), NOSPLIT, $0-64
	MOVQ p+0(FP), AX
	MOVQ r+8(FP), BX
	MOVQ t+16(FP), CX
	MOVQ f+24(FP), DX
	MOVQ sum+32(FP), SI
	MOVQ sgn+40(FP), DI
	MOVQ parity+48(FP), R8
	MOVQ n+56(FP), R9
	LEAQ ·decPhi(SB), R10
	XORQ R11, R11

gatherLoop:
	CMPQ R11, R9
	JGE  gatherDone
	VMOVUPS    (AX)(R11*4), Y0        // posterior
	VSUBPS     (BX)(R11*4), Y0, Y1    // t = posterior − old message
	VMOVUPS    Y1, (CX)(R11*4)
	VPSLLD     $1, Y1, Y2
	VPSRLD     $18, Y2, Y2            // table index of |t|
	VPCMPEQD   Y3, Y3, Y3
	VPGATHERDD Y3, (R10)(Y2*4), Y4    // φ(|t|)
	VMOVUPS    Y4, (DX)(R11*4)
	VADDPS     (SI)(R11*4), Y4, Y5
	VMOVUPS    Y5, (SI)(R11*4)
	VPXOR      (DI)(R11*4), Y1, Y6    // sign product
	VMOVDQU    Y6, (DI)(R11*4)
	VPXOR      (R8)(R11*4), Y0, Y7    // parity of the posteriors' signs
	VMOVDQU    Y7, (R8)(R11*4)
	ADDQ       $8, R11
	JMP        gatherLoop

gatherDone:
	VZEROUPPER
	RET

// decScatterAVX2 is decScatterGo on eight checks at a time; n is a
// multiple of 8.
//
// func decScatterAVX2(p, r, t, f, sum *float32, sgn *uint32, n int)
TEXT ·decScatterAVX2(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), AX
	MOVQ r+8(FP), BX
	MOVQ t+16(FP), CX
	MOVQ f+24(FP), DX
	MOVQ sum+32(FP), SI
	MOVQ sgn+40(FP), DI
	MOVQ n+48(FP), R9
	LEAQ ·decPhi(SB), R10
	XORQ R11, R11
	VPCMPEQD Y9, Y9, Y9
	VPSLLD   $31, Y9, Y9              // the sign bit in every lane

scatterLoop:
	CMPQ R11, R9
	JGE  scatterDone
	VMOVUPS    (SI)(R11*4), Y0
	VSUBPS     (DX)(R11*4), Y0, Y1    // Σφ − φ(|t|)
	VPSLLD     $1, Y1, Y1
	VPSRLD     $18, Y1, Y1
	VPCMPEQD   Y3, Y3, Y3
	VPGATHERDD Y3, (R10)(Y1*4), Y4    // magnitude of the new message
	VMOVUPS    (CX)(R11*4), Y2        // t
	VPXOR      (DI)(R11*4), Y2, Y5
	VPAND      Y9, Y5, Y5             // sign of the other inputs
	VPOR       Y5, Y4, Y6             // new message
	VMOVUPS    Y6, (BX)(R11*4)
	VADDPS     Y6, Y2, Y7             // new posterior t + message
	VMOVUPS    Y7, (AX)(R11*4)
	ADDQ       $8, R11
	JMP        scatterLoop

scatterDone:
	VZEROUPPER
	RET


// decInitAVX2 is decInitGo on eight checks at a time; n is a multiple of 8.
//
// func decInitAVX2(syn *uint8, sgn, parity *uint32, sum *float32, n int)
TEXT ·decInitAVX2(SB), NOSPLIT, $0-40
	MOVQ syn+0(FP), AX
	MOVQ sgn+8(FP), BX
	MOVQ parity+16(FP), CX
	MOVQ sum+24(FP), DX
	MOVQ n+32(FP), R9
	XORQ R11, R11
	VPXOR Y1, Y1, Y1

initLoop:
	CMPQ R11, R9
	JGE  initDone
	VPMOVZXBD (AX)(R11*1), Y0
	VPSLLD    $31, Y0, Y0             // the syndrome bit as a sign bit
	VMOVDQU   Y0, (BX)(R11*4)
	VMOVDQU   Y0, (CX)(R11*4)
	VMOVDQU   Y1, (DX)(R11*4)
	ADDQ      $8, R11
	JMP       initLoop

initDone:
	VZEROUPPER
	RET

// decCountAVX2 is decCountGo on eight checks at a time; n is a multiple
// of 8.
//
// func decCountAVX2(parity *uint32, n int) int
TEXT ·decCountAVX2(SB), NOSPLIT, $0-24
	MOVQ parity+0(FP), CX
	MOVQ n+8(FP), R9
	XORQ R11, R11
	VPXOR Y2, Y2, Y2

countLoop:
	CMPQ R11, R9
	JGE  countDone
	VMOVDQU (CX)(R11*4), Y0
	VPSRLD  $31, Y0, Y0
	VPADDD  Y0, Y2, Y2
	ADDQ    $8, R11
	JMP     countLoop

countDone:
	VEXTRACTI128 $1, Y2, X3
	VPADDD       X3, X2, X2
	VPSHUFD      $0x4e, X2, X3
	VPADDD       X3, X2, X2
	VPSHUFD      $0xb1, X2, X3
	VPADDD       X3, X2, X2
	VMOVD        X2, AX
	MOVQ         AX, ret+16(FP)
	VZEROUPPER
	RET
