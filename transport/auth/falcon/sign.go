package falcon

import (
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/bits"
	mrand "math/rand/v2"
)

// The integer sampler of the specification (SamplerZ, section 3.9.3): a
// half-Gaussian base sampler of parameter sigmaMax by table inversion,
// then rejection by a Bernoulli trial on ccs·exp(−x) in 64-bit fixed point.

const (
	sigmaMax  = 1.8205
	inv2Sigma = 1 / (2 * sigmaMax * sigmaMax)
	ln2       = 0.69314718056
	invLn2    = 1.44269504089
)

// rcdtDecimal is the reverse cumulative distribution table of the base
// sampler (Table 3.1 of the specification), scaled by 2^72.
var rcdtDecimal = [18]string{
	"3024686241123004913666", "1564742784480091954050", "636254429462080897535",
	"199560484645026482916", "47667343854657281903", "8595902006365044063",
	"1163297957344668388", "117656387352093658", "8867391802663976",
	"496969357462633", "20680885154299", "638331848991",
	"14602316184", "247426747", "3104126",
	"28824", "198", "1",
}

// rcdt holds rcdtDecimal as (high 8 bits, low 64 bits).
var rcdt [18][2]uint64

func init() {
	mask := new(big.Int).SetUint64(math.MaxUint64)
	for i, d := range rcdtDecimal {
		v, ok := new(big.Int).SetString(d, 10)
		if !ok || v.BitLen() > 72 {
			panic("falcon: bad RCDT entry " + d)
		}
		rcdt[i][1] = new(big.Int).And(v, mask).Uint64()
		rcdt[i][0] = new(big.Int).Rsh(v, 64).Uint64()
	}
}

// expC are the coefficients of the polynomial approximating exp(−x) on
// [0, ln 2] in 63-bit fixed point (ApproxExp).
var expC = [13]uint64{
	0x00000004741183A3, 0x00000036548CFC06, 0x0000024FDCBF140A,
	0x0000171D939DE045, 0x0000D00CF58F6F84, 0x000680681CF796E3,
	0x002D82D8305B0FEA, 0x011111110E066FD0, 0x0555555555070F00,
	0x155555555581FF00, 0x400000000002B400, 0x7FFFFFFFFFFF4800,
	0x8000000000000000,
}

// sampler draws its randomness from fill, byte by byte as the
// specification reads it.
type sampler struct {
	fill   func([]byte)
	sigmin float64 // Falcon-512's sigmin
	buf    [9]byte
}

// mulHi63 returns (a·b) >> 63 for a < 2^64, b < 2^64 when it fits.
func mulHi63(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi<<1 | lo>>63
}

// baseSample draws z0 in {0, …, 18} from the half-Gaussian table: the
// number of table entries above a uniform 72-bit value (read big-endian).
func (s *sampler) baseSample() int {
	s.fill(s.buf[:9])
	hi := uint64(s.buf[0])
	var lo uint64
	for _, b := range s.buf[1:9] {
		lo = lo<<8 | uint64(b)
	}
	z0 := 0
	for _, e := range rcdt {
		if hi < e[0] || (hi == e[0] && lo < e[1]) {
			z0++
		}
	}
	return z0
}

// approxExp returns about 2^64·ccs·exp(−x) for x in [0, ln 2], ccs in (0, 1).
func approxExp(x, ccs float64) uint64 {
	y := expC[0]
	z := uint64(x * (1 << 63))
	for _, c := range expC[1:] {
		y = c - mulHi63(z, y)
	}
	z = uint64(ccs*(1<<63)) << 1
	return mulHi63(z, y)
}

// berExp returns true with probability about ccs·exp(−x), x >= 0.
func (s *sampler) berExp(x, ccs float64) bool {
	k := uint(x * invLn2)
	r := x - float64(k)*ln2
	if k > 63 {
		k = 63
	}
	z := (approxExp(r, ccs) - 1) >> k
	var w int
	for i := 56; i >= 0; i -= 8 {
		s.fill(s.buf[:1])
		w = int(s.buf[0]) - int(z>>uint(i)&0xff)
		if w != 0 {
			break
		}
	}
	return w < 0
}

// sampleZ draws an integer from the discrete Gaussian of centre mu and
// standard deviation sd (sigmin <= sd <= sigmaMax).
func (s *sampler) sampleZ(mu, sd float64) int {
	fl := math.Floor(mu)
	r := mu - fl
	dss := 1 / (2 * sd * sd)
	ccs := s.sigmin / sd
	for {
		z0 := s.baseSample()
		s.fill(s.buf[:1])
		b := int(s.buf[0] & 1)
		z := b + (2*b-1)*z0
		x := (float64(z)-r)*(float64(z)-r)*dss - float64(z0*z0)*inv2Sigma
		if s.berExp(x, ccs) {
			return z + int(fl)
		}
	}
}

// newSampler returns a sampler on a ChaCha8 stream seeded with 32 bytes
// of rnd.
func newSampler(rnd io.Reader) (*sampler, error) {
	var seed [32]byte
	if _, err := io.ReadFull(rnd, seed[:]); err != nil {
		return nil, fmt.Errorf("falcon: random seed: %w", err)
	}
	c := mrand.NewChaCha8(seed)
	return &sampler{fill: func(b []byte) { _, _ = c.Read(b) }, sigmin: sigmin}, nil
}

// maxAttempts bounds the signing loop; each attempt succeeds with
// probability close to one, so reaching it means a broken key.
const maxAttempts = 1000

// Sign signs msg: a fresh salt, c = HashToPoint(salt, msg), then short
// vectors (s0, s1) with s0 + s1·h = c are sampled until
// ||s0||² + ||s1||² <= NormBound and s1 compresses into the signature.
// rnd supplies the salt and the sampler's seed (crypto/rand when nil).
func (sk *PrivateKey) Sign(rnd io.Reader, msg []byte) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	sig := make([]byte, 1+SaltSize, SignatureSize)
	sig[0] = Header
	if _, err := io.ReadFull(rnd, sig[1:]); err != nil {
		return nil, fmt.Errorf("falcon: random salt: %w", err)
	}
	s, err := newSampler(rnd)
	if err != nil {
		return nil, err
	}
	c := HashToPoint(sig[1:], msg)
	cf := make([]float64, N)
	for i, v := range c {
		cf[i] = float64(v)
	}
	cFFT := fft(cf)
	// t = (c, 0)·B⁻¹ with B⁻¹ = (1/Q)·[[−F, f], [−G, g]].
	t0, t1 := make([]complex128, N), make([]complex128, N)
	for i := range cFFT {
		t0[i] = cFFT[i] * sk.b11[i] / Q
		t1[i] = -cFFT[i] * sk.b01[i] / Q
	}
	ws := newSamplingSpace()
	z0, z1 := make([]complex128, N), make([]complex128, N)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		ffSampling(t0, t1, sk.tree, s, z0, z1, ws, 0)
		v0 := ifft(addFFT(mulFFT(z0, sk.b00), mulFFT(z1, sk.b10)))
		v1 := ifft(addFFT(mulFFT(z0, sk.b01), mulFFT(z1, sk.b11)))
		var s1 [N]int16
		var norm int64
		ok := true
		for i := 0; i < N; i++ {
			a := int64(c[i]) - int64(math.Round(v0[i]))
			b := -int64(math.Round(v1[i]))
			if b < -maxCoefficient || b > maxCoefficient {
				ok = false
				break
			}
			s1[i] = int16(b)
			norm += a*a + b*b
		}
		if !ok || norm > NormBound {
			continue
		}
		enc, ok := compress(&s1, compressedSize)
		if !ok {
			continue
		}
		return append(sig, enc...), nil
	}
	return nil, fmt.Errorf("falcon: no signature within the norm bound after %d attempts (broken key?)", maxAttempts)
}
