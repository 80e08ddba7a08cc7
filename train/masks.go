package train

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// Dropout masks and their random stream.
//
// The masks of a step are drawn from one PCG stream per epoch, one Uint64 per element (see
// model.Mask.Fill; FillPCG draws the same): layer by layer, and within a layer row by row, which
// is the order one graph of the whole batch would draw them in. Each replica draws its own rows, at once with the others:
// it starts from a copy of the stream advanced past the draws before its rows (a PCG can jump
// ahead any number of draws in a few dozen multiplications), so the masks are those one graph
// would draw, whatever the number of replicas (TestMasksOneStream).

// maskOffsets sets each replica's offsets, the draws of the step before its rows of each mask, and
// returns the draws of a whole step.
func (s *step) maskOffsets() uint64 {
	var base uint64
	for l := range s.replicas[0].g.Masks {
		units := uint64(s.replicas[0].g.Masks[l].Value.Shape()[1])
		for _, r := range s.replicas {
			r.maskOffsets = append(r.maskOffsets, base+uint64(r.lo)*units)
		}
		base += uint64(s.batch) * units
	}
	return base
}

// fillMasks draws the replica's masks from the step's stream, which starts at start.
func (r *replica) fillMasks(start *rand.PCG) {
	for l, m := range r.g.Masks {
		r.pcg = *start
		skipPCG(&r.pcg, r.maskOffsets[l])
		m.FillPCG(&r.pcg)
	}
}

// skipPCG advances p by n draws, as n calls of p.Uint64 would, in O(log n) steps: the PCG's state
// is a 128-bit linear congruential generator, s <- a*s + c (mod 2^128), and n steps of it are one
// step of s <- A*s + C with A = a^n and C = c*(a^(n-1) + ... + a + 1), both found by squaring.
// This is Brown's algorithm ("Random number generation with arbitrary strides", Trans. Am. Nucl.
// Soc. 71, 1994), as in the PCG reference implementation's pcg_advance_lcg_128; a and c are
// math/rand/v2's (its pcg.go).
func skipPCG(p *rand.PCG, n uint64) {
	if n == 0 {
		return
	}
	state := pcgState(p)
	mul := u128{2549297995355413924, 4865540595714422341}
	inc := u128{6364136223846793005, 1442695040888963407}
	accMul, accInc := u128{0, 1}, u128{}
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			accMul = accMul.mul(mul)
			accInc = accInc.mul(mul).add(inc)
		}
		inc = mul.add(u128{0, 1}).mul(inc)
		mul = mul.mul(mul)
	}
	setPCGState(p, accMul.mul(state).add(accInc))
}

// u128 is an unsigned 128-bit integer; arithmetic is mod 2^128.
type u128 struct{ hi, lo uint64 }

func (a u128) mul(b u128) u128 {
	hi, lo := bits.Mul64(a.lo, b.lo)
	return u128{hi + a.hi*b.lo + a.lo*b.hi, lo}
}

func (a u128) add(b u128) u128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c)
	return u128{hi, lo}
}

// pcgState and setPCGState read and write a PCG's state through its binary form, "pcg:" and the
// state's high and low halves, big-endian (math/rand/v2's pcg.go).
// Both work in a buffer on the stack: they run for every mask of every replica each step.
func pcgState(p *rand.PCG) u128 {
	var buf [20]byte
	b, _ := p.AppendBinary(buf[:0]) // cannot fail
	return u128{binary.BigEndian.Uint64(b[4:]), binary.BigEndian.Uint64(b[12:])}
}

func setPCGState(p *rand.PCG, s u128) {
	var buf [20]byte
	b := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(append(buf[:0], "pcg:"...), s.hi), s.lo)
	if err := p.UnmarshalBinary(b); err != nil {
		panic(err) // the form MarshalBinary writes
	}
}
