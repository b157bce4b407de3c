package kme

import (
	"context"
	"crypto/rand"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/keystore/keystoretest"
)

// Key delivery over mutual TLS on loopback: GET enc_keys (one 256-bit key
// per request) from 8 concurrent SAE clients, each with its own keep-alive
// connection. Reported: requests per second and the 99th-percentile
// latency. BenchmarkStatusMTLS is the baseline of the same run: the same
// clients and TLS connections, GET status (one read of the store, no
// write), so the ratio is the price of taking a key durably.
//
//	go test -run '^$' -bench 'EncKeys|StatusMTLS' -benchtime 3000x ./kme
func BenchmarkEncKeysSQLite(b *testing.B) {
	dir := b.TempDir()
	benchKME(b, func(string) string { return keystore.DefaultURL(dir) }, "", "enc_keys")
}

func BenchmarkEncKeysPostgres(b *testing.B) {
	u := keystoretest.PostgresURL(b)
	benchKME(b, func(string) string { return u }, uuid.NewString()+"-", "enc_keys")
}

func BenchmarkStatusMTLS(b *testing.B) {
	dir := b.TempDir()
	benchKME(b, func(string) string { return keystore.DefaultURL(dir) }, "", "status")
}

func benchKME(b *testing.B, storeURL func(string) string, station, op string) {
	s := newSite(b, storeURL, station, 0, 0)
	// Enough blocks for every request of this run.
	ctx := context.Background()
	for left := b.N; left > 0; left -= 1024 {
		key := make([]byte, 32*1024)
		rand.Read(key)
		if err := s.aliceDB.Put(ctx, keystore.Frame{ID: uuid.New(), Key: key, BlockBits: 256}); err != nil {
			b.Fatal(err)
		}
	}
	const clients = 8
	url := encURL(s.alice) + "?number=1"
	if op == "status" {
		url = s.alice + "/api/v1/keys/" + saeB + "/status"
	}
	cs := make([]*http.Client, clients)
	for i := range cs {
		cs[i] = s.client(saeA)
		do(b, cs[i], "GET", s.alice+"/api/v1/keys/"+saeB+"/status", "") // handshake outside the timing
	}
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= b.N {
					mu.Unlock()
					return
				}
				next++
				mu.Unlock()
				t0 := time.Now()
				a := do(b, cs[w], "GET", url, "")
				lat[w] = append(lat[w], time.Since(t0))
				if a.code != http.StatusOK {
					b.Errorf("%s: %d %s", op, a.code, a.body)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(all[(len(all)*99)/100].Microseconds())/1000, "p99-ms")
	}
	if op == "enc_keys" {
		if st, _ := s.aliceDB.Stats(ctx); st.Delivered != b.N {
			b.Fatalf("delivered %d blocks for %d requests", st.Delivered, b.N)
		}
	}
}
