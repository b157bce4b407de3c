package keystore

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore/keystoretest"
)

// Frames per second the key database accepts: Put of a frame with a 32 KiB
// final key (1024 blocks of 256 bits) in one transaction. The baseline of
// the same run is BenchmarkWrite: the durable key file of the same key.
//
//	go test -run '^$' -bench 'PutFrame|Write$' -benchtime 2s ./keystore
func BenchmarkPutFrameSQLite(b *testing.B) {
	benchPut(b, DefaultURL(b.TempDir()), "alice")
}

func BenchmarkPutFramePostgres(b *testing.B) {
	benchPut(b, keystoretest.PostgresURL(b), uuid.NewString())
}

func benchPut(b *testing.B, url, station string) {
	ctx := context.Background()
	db, err := OpenDB(ctx, url, station)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	key := randomKey(b, 32<<10)
	b.SetBytes(int64(len(key)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.Put(ctx, Frame{ID: uuid.New(), Key: key, BlockBits: 256}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
