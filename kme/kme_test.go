package kme

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/keystore/keystoretest"
)

const (
	saeA = "sae-alice"
	saeB = "sae-bob"
	saeC = "sae-other" // a valid certificate of the same CA, served by no KME
)

// site is a test site: certificates, Alice's and Bob's key databases
// holding the same frames, and a KME over each on HTTPS with mutual TLS.
type site struct {
	t          testing.TB
	certs      string
	aliceStore string // store URLs
	bobStore   string
	station    string // station name prefix (PostgreSQL isolation)
	aliceDB    keystore.DB
	bobDB      keystore.DB
	alice, bob string // https://127.0.0.1:port
	stops      map[string]func()
	stored     int // blocks per side
	frames     []keystore.Frame
}

func newSite(t testing.TB, storeURL func(side string) string, station string, frames, blocksPerFrame int) *site {
	t.Helper()
	s := &site{t: t, certs: t.TempDir(), aliceStore: storeURL("alice"), bobStore: storeURL("bob"), station: station, stops: map[string]func(){}}
	if _, err := GenerateCerts(s.certs, []string{saeA, saeB, saeC}, false); err != nil {
		t.Fatal(err)
	}
	s.aliceDB = s.openDB(s.aliceStore, "alice")
	s.bobDB = s.openDB(s.bobStore, "bob")
	ctx := context.Background()
	for i := 0; i < frames; i++ {
		key := make([]byte, 32*blocksPerFrame+3)
		rand.Read(key)
		f := keystore.Frame{ID: uuid.New(), Key: key, BlockBits: 256}
		for _, db := range []keystore.DB{s.aliceDB, s.bobDB} {
			if err := db.Put(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		s.frames = append(s.frames, f)
		s.stored += blocksPerFrame
	}
	s.alice = s.start("alice", s.aliceDB)
	s.bob = s.start("bob", s.bobDB)
	return s
}

func sqliteSite(t testing.TB, frames, blocksPerFrame int) *site {
	dir := t.TempDir()
	return newSite(t, func(side string) string { return keystore.DefaultURL(filepath.Join(dir, side)) }, "", frames, blocksPerFrame)
}

// eachSite runs f on a SQLite site and on a PostgreSQL one (skipped
// locally without keystoretest.PostgresEnv).
func eachSite(t *testing.T, frames, blocksPerFrame int, f func(t *testing.T, s *site)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteSite(t, frames, blocksPerFrame)) })
	t.Run("postgres", func(t *testing.T) {
		u := keystoretest.PostgresURL(t)
		f(t, newSite(t, func(string) string { return u }, uuid.NewString()+"-", frames, blocksPerFrame))
	})
}

func (s *site) openDB(url, side string) keystore.DB {
	s.t.Helper()
	db, err := keystore.OpenDB(context.Background(), url, s.station+side)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { db.Close() })
	return db
}

// start serves a KME named name ("alice", "bob", "alice-2": the side
// before the dash) over db and returns its base URL.
func (s *site) start(name string, db keystore.DB) string {
	s.t.Helper()
	side, _, _ := strings.Cut(name, "-")
	cfg := Config{Side: side, SAEID: saeA, PeerSAEID: saeB, DB: db, MaxKeyPerRequest: 16}
	if side == SideBob {
		cfg.SAEID, cfg.PeerSAEID = saeB, saeA
	}
	srv, err := New(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	tc, err := TLSConfig(filepath.Join(s.certs, "kme-"+side+".crt"), filepath.Join(s.certs, "kme-"+side+".key"), filepath.Join(s.certs, "ca.crt"))
	if err != nil {
		s.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, tc) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			s.t.Errorf("KME %s: %v", side, err)
		}
	}
	var once sync.Once
	s.stops[name] = func() { once.Do(stop) }
	s.t.Cleanup(s.stops[name])
	return "https://" + ln.Addr().String()
}

// client is an HTTPS client presenting the certificate of sae ("" for
// none) and trusting the site's CA.
func (s *site) client(sae string) *http.Client {
	s.t.Helper()
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(filepath.Join(s.certs, "ca.crt"))
	if err != nil || !pool.AppendCertsFromPEM(ca) {
		s.t.Fatalf("CA: %v", err)
	}
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if sae != "" {
		c, err := tls.LoadX509KeyPair(filepath.Join(s.certs, sae+".crt"), filepath.Join(s.certs, sae+".key"))
		if err != nil {
			s.t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	tr := &http.Transport{TLSClientConfig: tc, MaxIdleConnsPerHost: 4}
	s.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

type answer struct {
	code int
	body []byte
}

func do(t testing.TB, c *http.Client, method, url, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, b}
}

func keys(t testing.TB, a answer) map[string][]byte {
	t.Helper()
	if a.code != http.StatusOK {
		t.Fatalf("status %d: %s", a.code, a.body)
	}
	var c KeyContainer
	if err := json.Unmarshal(a.body, &c); err != nil {
		t.Fatalf("key container %s: %v", a.body, err)
	}
	out := map[string][]byte{}
	for _, k := range c.Keys {
		b, err := base64.StdEncoding.DecodeString(k.Key)
		if err != nil || len(b) != 32 {
			t.Fatalf("key %s: %d bytes, %v", k.KeyID, len(b), err)
		}
		out[k.KeyID] = b
	}
	if len(out) != len(c.Keys) {
		t.Fatalf("key_ID repeated in one container: %s", a.body)
	}
	return out
}

func encURL(base string) string { return base + "/api/v1/keys/" + saeB + "/enc_keys" }
func decURL(base string) string { return base + "/api/v1/keys/" + saeA + "/dec_keys" }

func TestSameKeyBothEndsGetAndPost(t *testing.T) {
	eachSite(t, 2, 8, testSameKeyBothEnds)
}

func testSameKeyBothEnds(t *testing.T, s *site) {
	a, b := s.client(saeA), s.client(saeB)
	// GET enc_keys at Alice, GET dec_keys at Bob.
	got := keys(t, do(t, a, "GET", encURL(s.alice)+"?number=3&size=256", ""))
	if len(got) != 3 {
		t.Fatalf("%d keys for number=3", len(got))
	}
	var ids []string
	for id, k := range got {
		ids = append(ids, id)
		back := keys(t, do(t, b, "GET", decURL(s.bob)+"?key_ID="+id, ""))
		if !bytes.Equal(back[id], k) {
			t.Fatalf("key_ID %s: Bob's key %x, Alice's %x", id, back[id], k)
		}
	}
	// POST enc_keys at Alice, POST dec_keys at Bob.
	got2 := keys(t, do(t, a, "POST", encURL(s.alice), `{"number": 2, "size": 256}`))
	var body KeyIDs
	for id := range got2 {
		if _, dup := got[id]; dup {
			t.Fatalf("key_ID %s delivered twice by enc_keys", id)
		}
		body.KeyIDs = append(body.KeyIDs, KeyIDEntry{KeyID: id})
	}
	jb, _ := json.Marshal(body)
	back := keys(t, do(t, b, "POST", decURL(s.bob), string(jb)))
	for id, k := range got2 {
		if !bytes.Equal(back[id], k) {
			t.Fatalf("key_ID %s differs between the stations", id)
		}
	}
	// The key is the frame's key material at the block's place.
	f := s.frames[0]
	if k := got[keystore.BlockID(f.ID, 256, 0).String()]; k != nil && !bytes.Equal(k, f.Key[:32]) {
		t.Fatal("block 0 is not the first 32 bytes of the frame key")
	}
	// Delivered once, refused the second time (GET and POST).
	if r := do(t, b, "GET", decURL(s.bob)+"?key_ID="+ids[0], ""); r.code != http.StatusBadRequest || !strings.Contains(string(r.body), "already delivered") {
		t.Fatalf("second dec_keys of %s: %d %s", ids[0], r.code, r.body)
	}
	if r := do(t, b, "POST", decURL(s.bob), string(jb)); r.code != http.StatusBadRequest {
		t.Fatalf("second POST dec_keys: %d %s", r.code, r.body)
	}
	// Defaults: number 1, size key_size.
	if k := keys(t, do(t, a, "GET", encURL(s.alice), "")); len(k) != 1 {
		t.Fatalf("default number: %d keys", len(k))
	}
	if k := keys(t, do(t, a, "POST", encURL(s.alice), `{}`)); len(k) != 1 {
		t.Fatalf("default number (POST): %d keys", len(k))
	}
}

func TestStatus(t *testing.T) {
	s := sqliteSite(t, 1, 10)
	a, b := s.client(saeA), s.client(saeB)
	keys(t, do(t, a, "GET", encURL(s.alice)+"?number=4", ""))
	for _, c := range []struct {
		url    string
		client *http.Client
		stored int
	}{
		{s.alice + "/api/v1/keys/" + saeB + "/status", a, 6},
		{s.bob + "/api/v1/keys/" + saeA + "/status", b, 10},
	} {
		r := do(t, c.client, "GET", c.url, "")
		var st Status
		if r.code != 200 || json.Unmarshal(r.body, &st) != nil {
			t.Fatalf("%s: %d %s", c.url, r.code, r.body)
		}
		want := Status{SourceKMEID: "qosst-kme-alice", TargetKMEID: "qosst-kme-bob", MasterSAEID: saeA, SlaveSAEID: saeB,
			KeySize: 256, StoredKeyCount: c.stored, MaxKeyCount: DefaultMaxKeyCount, MaxKeyPerRequest: 16, MaxKeySize: 256, MinKeySize: 256}
		if fmt.Sprint(st) != fmt.Sprint(want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", c.url, st, want)
		}
		var raw map[string]any
		json.Unmarshal(r.body, &raw)
		for _, f := range []string{"source_KME_ID", "target_KME_ID", "master_SAE_ID", "slave_SAE_ID", "key_size", "stored_key_count",
			"max_key_count", "max_key_per_request", "max_key_size", "min_key_size", "max_SAE_ID_count"} {
			if _, ok := raw[f]; !ok {
				t.Fatalf("Status without %s: %s", f, r.body)
			}
		}
	}
}

func TestBadRequests(t *testing.T) {
	s := sqliteSite(t, 1, 20)
	a, b := s.client(saeA), s.client(saeB)
	delivered := keys(t, do(t, a, "GET", encURL(s.alice)+"?number=1", ""))
	var deliveredID string
	for id := range delivered {
		deliveredID = id
	}
	keys(t, do(t, b, "GET", decURL(s.bob)+"?key_ID="+deliveredID, ""))
	many := `{"key_IDs": [` + strings.Repeat(`{"key_ID": "`+uuid.NewString()+`"},`, 16) + `{"key_ID": "` + uuid.NewString() + `"}]}`
	cases := []struct {
		name, method, url, body string
		client                  *http.Client
	}{
		{"number 0", "GET", encURL(s.alice) + "?number=0", "", a},
		{"number negative", "GET", encURL(s.alice) + "?number=-2", "", a},
		{"number not an integer", "GET", encURL(s.alice) + "?number=two", "", a},
		{"number fractional", "GET", encURL(s.alice) + "?number=1.5", "", a},
		{"number huge", "GET", encURL(s.alice) + "?number=99999999999999999999", "", a},
		{"number twice", "GET", encURL(s.alice) + "?number=1&number=2", "", a},
		{"size not a multiple of 8", "GET", encURL(s.alice) + "?size=100", "", a},
		{"size above max_key_size", "GET", encURL(s.alice) + "?size=512", "", a},
		{"size 0", "GET", encURL(s.alice) + "?size=0", "", a},
		{"size below min_key_size", "GET", encURL(s.alice) + "?size=128", "", a},
		{"number above max_key_per_request", "GET", encURL(s.alice) + "?number=17", "", a},
		{"more keys than stored", "POST", encURL(s.alice), `{"number": 16}`, a}, // 19 stored: asked after the next case
		{"POST number 0", "POST", encURL(s.alice), `{"number": 0}`, a},
		{"POST number a string", "POST", encURL(s.alice), `{"number": "1"}`, a},
		{"POST size not a multiple of 8", "POST", encURL(s.alice), `{"number": 1, "size": 250}`, a},
		{"POST size above max", "POST", encURL(s.alice), `{"size": 1024}`, a},
		{"POST not JSON", "POST", encURL(s.alice), `number=1`, a},
		{"POST two JSON values", "POST", encURL(s.alice), `{} {}`, a},
		{"POST additional slaves", "POST", encURL(s.alice), `{"additional_slave_SAE_IDs": ["x"]}`, a},
		{"POST mandatory extension", "POST", encURL(s.alice), `{"extension_mandatory": [{"abc_route_type": "direct"}]}`, a},
		{"POST body too large", "POST", encURL(s.alice), `{"number": 1, "extension_optional": [{"x": "` + strings.Repeat("a", MaxBody) + `"}]}`, a},
		{"key_ID not a UUID", "GET", decURL(s.bob) + "?key_ID=not-a-uuid", "", b},
		{"key_ID missing", "GET", decURL(s.bob), "", b},
		{"key_ID unknown", "GET", decURL(s.bob) + "?key_ID=" + uuid.NewString(), "", b},
		{"key_ID already delivered", "GET", decURL(s.bob) + "?key_ID=" + deliveredID, "", b},
		{"POST key_IDs empty", "POST", decURL(s.bob), `{"key_IDs": []}`, b},
		{"POST key_ID not a UUID", "POST", decURL(s.bob), `{"key_IDs": [{"key_ID": "xyz"}]}`, b},
		{"POST key_ID unknown", "POST", decURL(s.bob), `{"key_IDs": [{"key_ID": "` + uuid.NewString() + `"}]}`, b},
		{"POST key_ID delivered", "POST", decURL(s.bob), `{"key_IDs": [{"key_ID": "` + deliveredID + `"}]}`, b},
		{"POST key_ID twice", "POST", decURL(s.bob), `{"key_IDs": [{"key_ID": "` + deliveredID + `"}, {"key_ID": "` + deliveredID + `"}]}`, b},
		{"POST key_IDs above max_key_per_request", "POST", decURL(s.bob), many, b},
		{"enc_keys at Bob's KME", "GET", s.bob + "/api/v1/keys/" + saeA + "/enc_keys", "", b},
		{"dec_keys at Alice's KME", "GET", s.alice + "/api/v1/keys/" + saeB + "/dec_keys?key_ID=" + deliveredID, "", a},
	}
	// Make "more keys than stored" true: 19 left, take 4.
	keys(t, do(t, a, "GET", encURL(s.alice)+"?number=4", ""))
	before, _ := s.aliceDB.Stats(context.Background())
	beforeBob, _ := s.bobDB.Stats(context.Background())
	for _, c := range cases {
		r := do(t, c.client, c.method, c.url, c.body)
		var e Error
		if r.code != http.StatusBadRequest || json.Unmarshal(r.body, &e) != nil || e.Message == "" {
			t.Errorf("%s: %d %s, want 400 with an Error", c.name, r.code, r.body)
		}
		if len(r.body) > 1024 {
			t.Errorf("%s: error body of %d bytes", c.name, len(r.body))
		}
	}
	after, _ := s.aliceDB.Stats(context.Background())
	afterBob, _ := s.bobDB.Stats(context.Background())
	if after != before || afterBob != beforeBob {
		t.Fatalf("refused requests consumed keys: %+v → %+v, %+v → %+v", before, after, beforeBob, afterBob)
	}
}

func TestUnauthorized(t *testing.T) {
	s := sqliteSite(t, 1, 4)
	a, b, c := s.client(saeA), s.client(saeB), s.client(saeC)
	cases := []struct {
		name, url string
		client    *http.Client
	}{
		{"an SAE this KME does not serve", encURL(s.alice), c},
		{"the peer SAE at Alice's KME", encURL(s.alice), b},
		{"Alice's SAE at Bob's KME", decURL(s.bob) + "?key_ID=" + uuid.NewString(), a},
		{"a path naming another slave SAE", s.alice + "/api/v1/keys/" + saeC + "/enc_keys", a},
		{"a path naming another master SAE", s.bob + "/api/v1/keys/" + saeC + "/dec_keys?key_ID=" + uuid.NewString(), b},
		{"status for another slave SAE", s.alice + "/api/v1/keys/" + saeC + "/status", a},
		{"status by another SAE", s.alice + "/api/v1/keys/" + saeB + "/status", c},
	}
	for _, k := range cases {
		r := do(t, k.client, "GET", k.url, "")
		var e Error
		if r.code != http.StatusUnauthorized || json.Unmarshal(r.body, &e) != nil || e.Message == "" {
			t.Errorf("%s: %d %s, want 401 with an Error", k.name, r.code, r.body)
		}
	}
	if st, _ := s.aliceDB.Stats(context.Background()); st.Delivered != 0 {
		t.Fatal("an unauthorized request consumed keys")
	}
}

func TestNoClientCertificateRefusedAtHandshake(t *testing.T) {
	s := sqliteSite(t, 1, 4)
	if _, err := s.client("").Get(encURL(s.alice)); err == nil {
		t.Fatal("a client without a certificate got an HTTP answer")
	}
	// A certificate of another CA is refused too.
	other := t.TempDir()
	if _, err := GenerateCerts(other, []string{saeA}, false); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(other, saeA+".crt"), filepath.Join(other, saeA+".key"))
	if err != nil {
		t.Fatal(err)
	}
	c := s.client("")
	c.Transport.(*http.Transport).TLSClientConfig.Certificates = []tls.Certificate{cert}
	if _, err := c.Get(encURL(s.alice)); err == nil {
		t.Fatal("a certificate of another CA got an HTTP answer")
	}
	// TLS below 1.2 is refused.
	c = s.client(saeA)
	tc := c.Transport.(*http.Transport).TLSClientConfig
	tc.MinVersion, tc.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if _, err := c.Get(encURL(s.alice)); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
	if st, _ := s.aliceDB.Stats(context.Background()); st.Delivered != 0 {
		t.Fatal("keys delivered without a valid client certificate")
	}
}

// 32 SAE clients × 50 requests on two KME processes over one store: no
// block delivered twice, none lost, and Bob gives the same keys.
func testConcurrent(t *testing.T, s *site) {
	// A second KME on Alice's store, with its own connection to it, as a
	// second process would.
	testConcurrentOn(t, s, []string{s.alice, s.start("alice-2", s.openDB(s.aliceStore, "alice"))}, 50)
}

// testConcurrentOn runs 32 SAE clients × perClient requests (1 to 3 keys
// each) spread over the KMEs at bases, all serving Alice's store of s,
// which must hold fewer blocks than they ask for.
func testConcurrentOn(t *testing.T, s *site, bases []string, perClient int) {
	var mu sync.Mutex
	seen := map[string][]byte{}
	refused := 0
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := s.client(saeA)
			base := bases[w%len(bases)]
			for r := 0; r < perClient; r++ {
				n := 1 + (w+r)%3
				var a answer
				if r%2 == 0 {
					a = do(t, c, "GET", fmt.Sprintf("%s?number=%d", encURL(base), n), "")
				} else {
					a = do(t, c, "POST", encURL(base), fmt.Sprintf(`{"number": %d, "size": 256}`, n))
				}
				if a.code == http.StatusBadRequest && strings.Contains(string(a.body), "not enough") {
					mu.Lock()
					refused++
					mu.Unlock()
					continue
				}
				got := keys(t, a)
				if len(got) != n {
					t.Errorf("%d keys for number=%d", len(got), n)
				}
				mu.Lock()
				for id, k := range got {
					if _, dup := seen[id]; dup {
						t.Errorf("key_ID %s delivered twice", id)
					}
					seen[id] = k
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	st, err := s.aliceDB.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(seen)+st.Available != s.stored || st.Delivered != len(seen) {
		t.Fatalf("delivered %d + remaining %d != stored %d (%+v)", len(seen), st.Available, s.stored, st)
	}
	if refused == 0 || st.Available > 2 {
		t.Fatalf("the store was not exhausted (%d refused, %d left): the test asks for more than it holds", refused, st.Available)
	}
	// Bob's KME gives the same key for every key_ID.
	b := s.client(saeB)
	var ids []string
	for id := range seen {
		ids = append(ids, id)
	}
	for len(ids) > 0 {
		n := min(16, len(ids))
		var body KeyIDs
		for _, id := range ids[:n] {
			body.KeyIDs = append(body.KeyIDs, KeyIDEntry{KeyID: id})
		}
		jb, _ := json.Marshal(body)
		back := keys(t, do(t, b, "POST", decURL(s.bob), string(jb)))
		for _, id := range ids[:n] {
			if !bytes.Equal(back[id], seen[id]) {
				t.Fatalf("key_ID %s: Bob's key differs", id)
			}
		}
		ids = ids[n:]
	}
}

func TestConcurrentSAEsSQLite(t *testing.T) {
	// 2400 blocks; the clients ask for 32·50·2 = 3200.
	testConcurrent(t, sqliteSite(t, 24, 100))
}

func TestConcurrentSAEsPostgres(t *testing.T) {
	u := keystoretest.PostgresURL(t)
	testConcurrent(t, newSite(t, func(string) string { return u }, uuid.NewString()+"-", 24, 100))
}

// A restarted KME (new process: new connection to the same store) keeps
// consumed keys consumed.
func TestRestartKeepsConsumption(t *testing.T) {
	eachSite(t, 1, 6, testRestart)
}

func testRestart(t *testing.T, s *site) {
	a, b := s.client(saeA), s.client(saeB)
	got := keys(t, do(t, a, "GET", encURL(s.alice)+"?number=2", ""))
	var id string
	for k := range got {
		id = k
	}
	keys(t, do(t, b, "GET", decURL(s.bob)+"?key_ID="+id, ""))
	for _, side := range []string{"alice", "bob"} {
		s.stops[side]()
	}
	s.aliceDB.Close()
	s.bobDB.Close()
	alice := s.start("alice", s.openDB(s.aliceStore, "alice"))
	bob := s.start("bob", s.openDB(s.bobStore, "bob"))
	a, b = s.client(saeA), s.client(saeB)
	if r := do(t, b, "GET", decURL(bob)+"?key_ID="+id, ""); r.code != http.StatusBadRequest {
		t.Fatalf("consumed key_ID after restart: %d %s", r.code, r.body)
	}
	rest := keys(t, do(t, a, "GET", encURL(alice)+"?number=4", ""))
	for k := range rest {
		if _, old := got[k]; old {
			t.Fatalf("key_ID %s delivered again after restart", k)
		}
	}
	if r := do(t, a, "GET", encURL(alice)+"?number=1", ""); r.code != http.StatusBadRequest {
		t.Fatalf("a seventh key from six blocks: %d", r.code)
	}
}

func TestStoreDown503(t *testing.T) {
	eachSite(t, 1, 4, testStoreDown)
}

func testStoreDown(t *testing.T, s *site) {
	a, b := s.client(saeA), s.client(saeB)
	s.aliceDB.Close()
	s.bobDB.Close()
	for _, c := range []struct {
		client *http.Client
		method string
		url    string
	}{
		{a, "GET", encURL(s.alice)},
		{a, "GET", s.alice + "/api/v1/keys/" + saeB + "/status"},
		{b, "GET", decURL(s.bob) + "?key_ID=" + uuid.NewString()},
	} {
		r := do(t, c.client, c.method, c.url, "")
		var e Error
		if r.code != http.StatusServiceUnavailable || json.Unmarshal(r.body, &e) != nil || e.Message == "" {
			t.Fatalf("%s with the store closed: %d %s", c.url, r.code, r.body)
		}
	}
}

func TestCurlFetchesTheSameKeyAtBothEnds(t *testing.T) {
	curl, err := execLookPath("curl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is not installed in CI (.ci/run installs it)")
		}
		t.Skip("curl is not installed: apt-get install curl to run this test")
	}
	s := sqliteSite(t, 1, 4)
	run := func(sae string, args ...string) answer {
		base := []string{"--silent", "--show-error", "--cacert", filepath.Join(s.certs, "ca.crt"),
			"--cert", filepath.Join(s.certs, sae+".crt"), "--key", filepath.Join(s.certs, sae+".key"),
			"--write-out", "\n%{http_code}"}
		out, err := execCommand(curl, append(base, args...)...)
		if err != nil {
			t.Fatalf("curl %v: %v: %s", args, err, out)
		}
		i := bytes.LastIndexByte(out, '\n')
		var code int
		fmt.Sscan(string(out[i+1:]), &code)
		return answer{code, out[:i]}
	}
	got := keys(t, run(saeA, encURL(s.alice)+"?number=1&size=256"))
	for id, k := range got {
		back := keys(t, run(saeB, "-H", "Content-Type: application/json", "--data", `{"key_IDs": [{"key_ID": "`+id+`"}]}`, decURL(s.bob)))
		if !bytes.Equal(back[id], k) {
			t.Fatalf("curl: key_ID %s differs between the stations", id)
		}
		if r := run(saeB, decURL(s.bob)+"?key_ID="+id); r.code != http.StatusBadRequest {
			t.Fatalf("curl: second delivery: %d %s", r.code, r.body)
		}
	}
	// curl without a client certificate fails the handshake.
	if out, err := execCommand(curl, "--silent", "--cacert", filepath.Join(s.certs, "ca.crt"), encURL(s.alice)); err == nil {
		t.Fatalf("curl without a certificate got an answer: %s", out)
	}
}

func TestGenerateCerts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	files, err := GenerateCerts(dir, []string{"encryptor-1", "vpn.b"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 10 {
		t.Fatalf("files %v", files)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".key") && st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v", f, st.Mode().Perm())
		}
	}
	pool := x509.NewCertPool()
	ca, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	pool.AppendCertsFromPEM(ca)
	load := func(name string) *x509.Certificate {
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		x, _ := x509.ParseCertificate(c.Certificate[0])
		return x
	}
	for _, side := range []string{"kme-alice", "kme-bob"} {
		c := load(side)
		for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
			if _, err := c.Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
				t.Fatalf("%s for %s: %v", side, host, err)
			}
		}
	}
	c := load("vpn.b")
	if c.Subject.CommonName != "vpn.b" {
		t.Fatalf("CN %q", c.Subject.CommonName)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "ca.key"))
	if _, err := GenerateCerts(dir, []string{"x"}, false); !errors.Is(err, ErrCertExists) {
		t.Fatalf("overwrite without force: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "ca.key")); !bytes.Equal(before, after) {
		t.Fatal("CA key replaced without force")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.crt")); err == nil {
		t.Fatal("a refused run wrote files")
	}
	if _, err := GenerateCerts(dir, []string{"encryptor-1"}, true); err != nil {
		t.Fatalf("force: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "ca.key")); bytes.Equal(before, after) {
		t.Fatal("--force kept the old CA key")
	}
	for _, bad := range [][]string{nil, {""}, {"../x"}, {"a b"}, {"ca"}, {"kme-bob"}, {"a", "a"}, {strings.Repeat("x", 65)}} {
		if _, err := GenerateCerts(t.TempDir(), bad, false); err == nil {
			t.Fatalf("SAE IDs %q accepted", bad)
		}
	}
}

// A server given a TLS configuration that does not verify client
// certificates still answers 401 to an unverified one.
func TestUnverifiedCertificateUnauthorized(t *testing.T) {
	s := sqliteSite(t, 1, 4)
	srv, err := New(Config{Side: SideAlice, SAEID: saeA, PeerSAEID: saeB, DB: s.aliceDB})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := TLSConfig(filepath.Join(s.certs, "kme-alice.crt"), filepath.Join(s.certs, "kme-alice.key"), filepath.Join(s.certs, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	tc.ClientAuth = tls.RequireAnyClientCert // accepts any certificate, verifies none
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, tc) }()
	defer func() { cancel(); <-done }()
	c := s.client(saeA)
	defer c.CloseIdleConnections()
	if r := do(t, c, "GET", "https://"+ln.Addr().String()+"/api/v1/keys/"+saeB+"/enc_keys", ""); r.code != http.StatusUnauthorized {
		t.Fatalf("unverified certificate: %d %s", r.code, r.body)
	}
}
