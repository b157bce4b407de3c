package falcon

import (
	"crypto/sha256"
	"testing"
)

// BenchmarkFalcon512: signing and verifying one frame digest with the
// vector keys.
func BenchmarkFalcon512(b *testing.B) {
	sk, _, pub, _ := vectorKeys(b)
	d := sha256.Sum256([]byte("frame"))
	sig, err := sk.Sign(nil, d[:])
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sign", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := sk.Sign(nil, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := pub.Verify(d[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}
