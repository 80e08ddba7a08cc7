#include "textflag.h"

// Float32 division, square root and square, four elements at a time (SSE, which every amd64
// processor has). DIVPS, SQRTPS and MULPS round each lane exactly as DIVSS, SQRTSS and MULSS do;
// see engine_amd64.go.

// func divBlocks(x, y []float32)
TEXT ·divBlocks(SB), NOSPLIT, $0-48
	MOVQ   x_base+0(FP), DI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), SI
	ANDQ   $-4, CX
	XORQ   AX, AX
	XORPS  X6, X6              // 0
	MOVL   $0x7f800000, R8
	MOVQ   R8, X7
	SHUFPS $0x00, X7, X7       // +Inf in every lane

div4:
	CMPQ   AX, CX
	JGE    divDone
	MOVUPS (DI)(AX*4), X0
	MOVUPS (SI)(AX*4), X2
	MOVAPS X2, X4
	CMPPS  X6, X4, $0          // X4: lanes where y == 0 (either sign)
	DIVPS  X2, X0              // X0: x / y
	MOVAPS X4, X5
	ANDPS  X7, X5              // X5: +Inf where y == 0
	ANDNPS X0, X4              // X4: x / y where y != 0
	ORPS   X5, X4
	MOVUPS X4, (DI)(AX*4)
	ADDQ   $4, AX
	JMP    div4

divDone:
	RET

// IN_PLACE_8 is the body of a function (x []float32) that applies OP in place, x[i] = OP(x[i]),
// eight elements a step, to len(x) rounded down to a multiple of 8.
#define IN_PLACE_8(OP) \
	MOVQ x_base+0(FP), DI \
	MOVQ x_len+8(FP), CX \
	ANDQ $-8, CX \
	XORQ AX, AX \
loop: \
	CMPQ   AX, CX \
	JGE    done \
	MOVUPS (DI)(AX*4), X0 \
	MOVUPS 16(DI)(AX*4), X1 \
	OP     X0, X0 \
	OP     X1, X1 \
	MOVUPS X0, (DI)(AX*4) \
	MOVUPS X1, 16(DI)(AX*4) \
	ADDQ   $8, AX \
	JMP    loop \
done: \
	RET

// func sqrtBlocks(x []float32)
TEXT ·sqrtBlocks(SB), NOSPLIT, $0-24
	IN_PLACE_8(SQRTPS)

// func squareBlocks(x []float32)
TEXT ·squareBlocks(SB), NOSPLIT, $0-24
	IN_PLACE_8(MULPS)
