package keystore

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
)

// BenchmarkWrite measures a durable key write (temporary file, fsync, link,
// directory fsync) of a 32 KiB key; BenchmarkWriteBaseline is a plain
// os.WriteFile of the same bytes, without any fsync, in the same directory
// kind: the difference is the price of durability.
func BenchmarkWrite(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	key := make([]byte, 32<<10)
	b.SetBytes(int64(len(key)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Write(uuid.New(), key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteBaseline(b *testing.B) {
	dir := b.TempDir()
	key := make([]byte, 32<<10)
	b.SetBytes(int64(len(key)))
	b.ReportAllocs()
	for b.Loop() {
		if err := os.WriteFile(filepath.Join(dir, uuid.NewString()+Suffix), key, 0o600); err != nil {
			b.Fatal(err)
		}
	}
}
