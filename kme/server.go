package kme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/qosst/qosst-go/keystore"
)

// Sides of a KME.
const (
	SideAlice = "alice"
	SideBob   = "bob"
)

// Defaults of the [kme] section.
const (
	DefaultKeySize          = keystore.DefaultBlockBits
	DefaultMaxKeyPerRequest = 128
	DefaultMaxKeyCount      = 1 << 20
)

// Config is one KME: the station side whose key database it serves, the SAE
// it serves and the SAE at the other station.
type Config struct {
	Side      string // SideAlice (answers enc_keys) or SideBob (answers dec_keys)
	SAEID     string // the SAE this KME serves: its client certificate's CN
	PeerSAEID string // the SAE at the other station (in the request paths)
	KMEID     string // this KME's ID in Status (default "qosst-kme-<side>")
	PeerKMEID string // the other station's KME ID (default "qosst-kme-<other side>")
	// KeySize is the key block size in bits (kme.key_size): the stations
	// cut their keys into blocks of this size, and it is the only size this
	// KME delivers (min_key_size = max_key_size = key_size).
	KeySize          int
	MaxKeyPerRequest int
	// MaxKeyCount is reported in Status as max_key_count: how many keys the
	// store is meant to hold.
	MaxKeyCount int
	DB          keystore.DB
	Logger      zerolog.Logger
}

// Server answers the ETSI GS QKD 014 requests of one SAE.
type Server struct {
	cfg    Config
	limits Limits
}

// New checks cfg and returns its Server.
func New(cfg Config) (*Server, error) {
	var other string
	switch cfg.Side {
	case SideAlice:
		other = SideBob
	case SideBob:
		other = SideAlice
	default:
		return nil, fmt.Errorf("kme: side %q: want %s or %s", cfg.Side, SideAlice, SideBob)
	}
	if cfg.SAEID == "" || cfg.PeerSAEID == "" {
		return nil, fmt.Errorf("kme: sae_id and peer_sae_id are required")
	}
	if cfg.SAEID == cfg.PeerSAEID {
		return nil, fmt.Errorf("kme: sae_id and peer_sae_id are both %q", cfg.SAEID)
	}
	if cfg.DB == nil {
		return nil, fmt.Errorf("kme: no key store")
	}
	if cfg.KeySize == 0 {
		cfg.KeySize = DefaultKeySize
	}
	if err := keystore.CheckBlockBits(cfg.KeySize); err != nil {
		return nil, fmt.Errorf("kme: key_size: %w", err)
	}
	if cfg.MaxKeyPerRequest == 0 {
		cfg.MaxKeyPerRequest = DefaultMaxKeyPerRequest
	}
	if cfg.MaxKeyPerRequest < 1 || cfg.MaxKeyPerRequest > 4096 {
		return nil, fmt.Errorf("kme: max_key_per_request %d: must be 1 to 4096", cfg.MaxKeyPerRequest)
	}
	if cfg.MaxKeyCount == 0 {
		cfg.MaxKeyCount = DefaultMaxKeyCount
	}
	if cfg.KMEID == "" {
		cfg.KMEID = "qosst-kme-" + cfg.Side
	}
	if cfg.PeerKMEID == "" {
		cfg.PeerKMEID = "qosst-kme-" + other
	}
	return &Server{cfg: cfg, limits: Limits{KeySize: cfg.KeySize, MaxKeyPerRequest: cfg.MaxKeyPerRequest}}, nil
}

// APIPrefix is the path every request of the API starts with.
const APIPrefix = "/api/v1/keys/"

// route finds the handler of a request: APIPrefix, the SAE ID, the
// operation; anything else is 404, a method the operation does not take 405,
// both with an Error body.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, APIPrefix)
	sae, op, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || sae == "" || strings.Contains(op, "/") {
		s.fail(w, r, http.StatusNotFound, "not an endpoint of this API: "+APIPrefix+"{SAE_ID}/status, enc_keys or dec_keys")
		return
	}
	type handlers struct {
		get, post func(http.ResponseWriter, *http.Request, string)
	}
	var h handlers
	switch op {
	case "status":
		h = handlers{get: s.status}
	case "enc_keys":
		h = handlers{get: s.encGet, post: s.encPost}
	case "dec_keys":
		h = handlers{get: s.decGet, post: s.decPost}
	default:
		s.fail(w, r, http.StatusNotFound, "not an endpoint of this API: "+APIPrefix+"{SAE_ID}/status, enc_keys or dec_keys")
		return
	}
	switch {
	case r.Method == http.MethodGet && h.get != nil:
		h.get(w, r, sae)
	case r.Method == http.MethodPost && h.post != nil:
		h.post(w, r, sae)
	default:
		allow := "GET"
		if h.post != nil {
			allow = "GET, POST"
		}
		w.Header().Set("Allow", allow)
		s.fail(w, r, http.StatusMethodNotAllowed, op+" takes "+allow)
	}
}

// ServeHTTP authenticates the caller by its client certificate, then
// answers the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Only a verified chain counts (TLSConfig requires one; this holds
	// whatever tls.Config the server is given).
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		s.fail(w, r, http.StatusUnauthorized, "a verified client certificate is required")
		return
	}
	if cn := r.TLS.VerifiedChains[0][0].Subject.CommonName; cn != s.cfg.SAEID {
		s.fail(w, r, http.StatusUnauthorized, fmt.Sprintf("SAE %.64q is not served by this KME", cn))
		return
	}
	s.route(w, r)
}

// peer checks the SAE named in the path.
func (s *Server) peer(w http.ResponseWriter, r *http.Request, id string) bool {
	if id != s.cfg.PeerSAEID {
		s.fail(w, r, http.StatusUnauthorized, fmt.Sprintf("SAE %.64q in the path is not the peer SAE of %s", id, s.cfg.SAEID))
		return false
	}
	return true
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, sae string) {
	if !s.peer(w, r, sae) {
		return
	}
	avail, err := s.cfg.DB.Available(r.Context())
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	master, slave, src, dst := s.cfg.SAEID, s.cfg.PeerSAEID, s.cfg.KMEID, s.cfg.PeerKMEID
	if s.cfg.Side == SideBob {
		master, slave, src, dst = s.cfg.PeerSAEID, s.cfg.SAEID, s.cfg.PeerKMEID, s.cfg.KMEID
	}
	writeJSON(w, http.StatusOK, Status{
		SourceKMEID: src, TargetKMEID: dst, MasterSAEID: master, SlaveSAEID: slave,
		KeySize: s.cfg.KeySize, StoredKeyCount: avail, MaxKeyCount: s.cfg.MaxKeyCount,
		MaxKeyPerRequest: s.cfg.MaxKeyPerRequest, MaxKeySize: s.cfg.KeySize, MinKeySize: s.cfg.KeySize,
		MaxSAEIDCount: 0,
	})
}

// direction refuses enc_keys at Bob's KME and dec_keys at Alice's.
func (s *Server) direction(w http.ResponseWriter, r *http.Request, want string) bool {
	if s.cfg.Side != want {
		op := "enc_keys"
		if want == SideBob {
			op = "dec_keys"
		}
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("%s is served by the KME at %s's station: keys flow from the SAE at Alice to the SAE at Bob", op, want))
		return false
	}
	return true
}

func (s *Server) encGet(w http.ResponseWriter, r *http.Request, sae string) {
	if !s.peer(w, r, sae) || !s.direction(w, r, SideAlice) {
		return
	}
	q := r.URL.Query()
	n, _, err := s.limits.ParseEncQuery(q["number"], q["size"])
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.take(w, r, n)
}

func (s *Server) encPost(w http.ResponseWriter, r *http.Request, sae string) {
	if !s.peer(w, r, sae) || !s.direction(w, r, SideAlice) {
		return
	}
	body, ok := s.body(w, r)
	if !ok {
		return
	}
	n, _, err := s.limits.ParseKeyRequest(body)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.take(w, r, n)
}

func (s *Server) decGet(w http.ResponseWriter, r *http.Request, sae string) {
	if !s.peer(w, r, sae) || !s.direction(w, r, SideBob) {
		return
	}
	ids, err := s.limits.ParseKeyID(r.URL.Query()["key_ID"])
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.takeIDs(w, r, ids)
}

func (s *Server) decPost(w http.ResponseWriter, r *http.Request, sae string) {
	if !s.peer(w, r, sae) || !s.direction(w, r, SideBob) {
		return
	}
	body, ok := s.body(w, r)
	if !ok {
		return
	}
	ids, err := s.limits.ParseKeyIDs(body)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.takeIDs(w, r, ids)
}

// body reads a request body of at most MaxBody bytes.
func (s *Server) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("body above %d bytes", MaxBody))
		} else {
			s.fail(w, r, http.StatusBadRequest, "body could not be read")
		}
		return nil, false
	}
	return b, true
}

func (s *Server) take(w http.ResponseWriter, r *http.Request, n int) {
	blocks, err := s.cfg.DB.Take(r.Context(), n, s.cfg.SAEID)
	s.deliver(w, r, blocks, err)
}

func (s *Server) takeIDs(w http.ResponseWriter, r *http.Request, ids []uuid.UUID) {
	blocks, err := s.cfg.DB.TakeIDs(r.Context(), ids, s.cfg.SAEID)
	s.deliver(w, r, blocks, err)
}

func (s *Server) deliver(w http.ResponseWriter, r *http.Request, blocks []keystore.Block, err error) {
	switch {
	case errors.Is(err, keystore.ErrNotEnough), errors.Is(err, keystore.ErrUnknownKey),
		errors.Is(err, keystore.ErrDelivered), errors.Is(err, keystore.ErrDuplicate):
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		s.storeFailed(w, r, err)
		return
	}
	c := KeyContainer{Keys: make([]Key, len(blocks))}
	for i, b := range blocks {
		c.Keys[i] = Key{KeyID: b.ID.String(), Key: base64.StdEncoding.EncodeToString(b.Key)}
	}
	s.cfg.Logger.Debug().Str("sae", s.cfg.SAEID).Int("keys", len(blocks)).Str("path", r.URL.Path).Msg("keys delivered")
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.Error().Err(err).Msg("key store")
	s.fail(w, r, http.StatusServiceUnavailable, "the key store is unavailable")
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.cfg.Logger.Info().Int("status", code).Str("method", r.Method).Str("reason", msg).Msg("request refused")
	writeJSON(w, code, Error{Message: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// TLSConfig returns the server side of mutual TLS: this KME's certificate
// and key, client certificates required and verified against the CA
// certificates of clientCA, TLS 1.2 at least (1.3 negotiated when the
// client has it).
func TLSConfig(certFile, keyFile, clientCA string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("kme: certificate %s / key %s: %w", certFile, keyFile, err)
	}
	pemCA, err := os.ReadFile(clientCA)
	if err != nil {
		return nil, fmt.Errorf("kme: client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCA) {
		return nil, fmt.Errorf("kme: client CA %s: no PEM certificate", clientCA)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}, nil
}

// HTTPServer returns the HTTP server of s with bounded headers and
// timeouts, serving TLS with tc.
func (s *Server) HTTPServer(tc *tls.Config) *http.Server {
	return &http.Server{
		Handler:           s,
		TLSConfig:         tc,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(s.cfg.Logger, "kme: ", 0),
	}
}

// Serve answers on ln over mutual TLS with tc until ctx is done, then
// shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tc *tls.Config) error {
	hs := s.HTTPServer(tc)
	done := make(chan error, 1)
	go func() { done <- hs.ServeTLS(ln, "", "") }()
	select {
	case err := <-done:
		return fmt.Errorf("kme: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		<-done
		return err
	}
}
