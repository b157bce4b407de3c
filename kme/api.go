// Package kme owns key delivery to applications: the ETSI GS QKD 014
// V1.1.1 REST API ("Get status", "Get key" as enc_keys, "Get key with key
// IDs" as dec_keys) served over mutual TLS from one station's key database
// (package keystore), the parsing of its hostile requests, and the local
// certificate authority the demo and the tests use (GenerateCerts).
//
// Keys flow from Alice's SAE to Bob's SAE: Alice's KME answers enc_keys
// (the master SAE, at Alice, obtains new keys), Bob's KME answers dec_keys
// (the slave SAE, at Bob, obtains the same keys by key_ID). The other
// direction is refused with 400, so no block can ever be handed out for
// both directions.
package kme

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/google/uuid"
)

// The JSON data formats of ETSI GS QKD 014 V1.1.1, clause 6, with the
// field names and types the standard gives them.

// Status is the answer of GET {slave_SAE_ID}/status (clause 6.1).
type Status struct {
	SourceKMEID      string         `json:"source_KME_ID"`
	TargetKMEID      string         `json:"target_KME_ID"`
	MasterSAEID      string         `json:"master_SAE_ID"`
	SlaveSAEID       string         `json:"slave_SAE_ID"`
	KeySize          int            `json:"key_size"`
	StoredKeyCount   int            `json:"stored_key_count"`
	MaxKeyCount      int            `json:"max_key_count"`
	MaxKeyPerRequest int            `json:"max_key_per_request"`
	MaxKeySize       int            `json:"max_key_size"`
	MinKeySize       int            `json:"min_key_size"`
	MaxSAEIDCount    int            `json:"max_SAE_ID_count"`
	StatusExtension  map[string]any `json:"status_extension,omitempty"`
}

// KeyRequest is the body of POST {slave_SAE_ID}/enc_keys (clause 6.2).
// Number and Size are optional (1 and the KME's key_size when absent).
type KeyRequest struct {
	Number                *int             `json:"number,omitempty"`
	Size                  *int             `json:"size,omitempty"`
	AdditionalSlaveSAEIDs []string         `json:"additional_slave_SAE_IDs,omitempty"`
	ExtensionMandatory    []map[string]any `json:"extension_mandatory,omitempty"`
	ExtensionOptional     []map[string]any `json:"extension_optional,omitempty"`
}

// Key is one key of a Key container.
type Key struct {
	KeyID          string         `json:"key_ID"`
	KeyIDExtension map[string]any `json:"key_ID_extension,omitempty"`
	Key            string         `json:"key"` // Base64 (RFC 4648)
	KeyExtension   map[string]any `json:"key_extension,omitempty"`
}

// KeyContainer is the answer of enc_keys and dec_keys (clause 6.3).
type KeyContainer struct {
	Keys                  []Key          `json:"keys"`
	KeyContainerExtension map[string]any `json:"key_container_extension,omitempty"`
}

// KeyIDEntry is one key_ID of a Key IDs body.
type KeyIDEntry struct {
	KeyID          string         `json:"key_ID"`
	KeyIDExtension map[string]any `json:"key_ID_extension,omitempty"`
}

// KeyIDs is the body of POST {master_SAE_ID}/dec_keys (clause 6.4).
type KeyIDs struct {
	KeyIDs          []KeyIDEntry   `json:"key_IDs"`
	KeyIDsExtension map[string]any `json:"key_IDs_extension,omitempty"`
}

// Error is the body of every answer other than 200 (clause 6.5).
type Error struct {
	Message string           `json:"message"`
	Details []map[string]any `json:"details,omitempty"`
}

// MaxBody bounds a request body, in bytes. A Key IDs body of
// max_key_per_request entries needs far less.
const MaxBody = 64 << 10

// ErrBadRequest is wrapped by every parse error: the request is malformed
// or impossible (answered 400).
var ErrBadRequest = errors.New("bad request")

// Limits are what a KME accepts in one request.
type Limits struct {
	KeySize          int // bits of every key this KME delivers
	MaxKeyPerRequest int
}

func badf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, a...))
}

// checkNumberSize validates a key count and size against the limits.
func (l Limits) checkNumberSize(number, size int) error {
	if number <= 0 {
		return badf("number %d: must be a positive integer", number)
	}
	if number > l.MaxKeyPerRequest {
		return badf("number %d: above max_key_per_request %d", number, l.MaxKeyPerRequest)
	}
	if size <= 0 {
		return badf("size %d: must be a positive integer", size)
	}
	if size%8 != 0 {
		return badf("size %d: must be a multiple of 8", size)
	}
	if size > l.KeySize {
		return badf("size %d: above max_key_size %d", size, l.KeySize)
	}
	if size < l.KeySize {
		return badf("size %d: below min_key_size %d (this KME delivers keys of %d bits)", size, l.KeySize, l.KeySize)
	}
	return nil
}

// positiveInt parses a query parameter that must be a positive decimal
// integer.
func positiveInt(name, v string) (int, error) {
	if len(v) > 12 {
		return 0, badf("%s: not a positive integer (%d characters)", name, len(v))
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, badf("%s %q: not a positive integer", name, v)
	}
	return n, nil
}

// ParseEncQuery reads the number and size of GET enc_keys from the query
// values (both optional: 1 and the key size).
func (l Limits) ParseEncQuery(number, size []string) (n, bits int, err error) {
	n, bits = 1, l.KeySize
	if len(number) > 1 || len(size) > 1 {
		return 0, 0, badf("number and size may each be given once")
	}
	if len(number) == 1 {
		if n, err = positiveInt("number", number[0]); err != nil {
			return 0, 0, err
		}
	}
	if len(size) == 1 {
		if bits, err = positiveInt("size", size[0]); err != nil {
			return 0, 0, err
		}
	}
	return n, bits, l.checkNumberSize(n, bits)
}

// decodeStrict decodes exactly one JSON value of body into v.
func decodeStrict(body []byte, v any) error {
	if len(body) > MaxBody {
		return badf("body of %d bytes above %d", len(body), MaxBody)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return badf("body is not the expected JSON: %s", jsonProblem(err))
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return badf("body holds more than one JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error in bounded words (the error of a
// type mismatch names the field, never the hostile value).
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("field %.64q: a JSON %s where %s is expected", te.Field, te.Value, te.Type)
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "incomplete JSON"
	}
	return "invalid JSON"
}

// ParseKeyRequest reads a Key request body (POST enc_keys) and returns the
// number and size of keys asked for.
func (l Limits) ParseKeyRequest(body []byte) (n, bits int, err error) {
	var kr KeyRequest
	if err := decodeStrict(body, &kr); err != nil {
		return 0, 0, err
	}
	if len(kr.AdditionalSlaveSAEIDs) > 0 {
		return 0, 0, badf("additional_slave_SAE_IDs: this KME serves one slave SAE (max_SAE_ID_count 0)")
	}
	if len(kr.ExtensionMandatory) > 0 {
		return 0, 0, badf("extension_mandatory: no extension is supported")
	}
	n, bits = 1, l.KeySize
	if kr.Number != nil {
		n = *kr.Number
	}
	if kr.Size != nil {
		bits = *kr.Size
	}
	return n, bits, l.checkNumberSize(n, bits)
}

// ParseKeyID reads the key_ID query parameter of GET dec_keys.
func (l Limits) ParseKeyID(keyID []string) ([]uuid.UUID, error) {
	if len(keyID) != 1 {
		return nil, badf("key_ID: exactly one is required (%d given)", len(keyID))
	}
	id, err := parseKeyID(keyID[0])
	if err != nil {
		return nil, err
	}
	return []uuid.UUID{id}, nil
}

func parseKeyID(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.Nil, badf("key_ID: not a UUID (%d characters)", len(s))
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, badf("key_ID %q: not a UUID", s)
	}
	return id, nil
}

// ParseKeyIDs reads a Key IDs body (POST dec_keys).
func (l Limits) ParseKeyIDs(body []byte) ([]uuid.UUID, error) {
	var k KeyIDs
	if err := decodeStrict(body, &k); err != nil {
		return nil, err
	}
	if len(k.KeyIDs) == 0 {
		return nil, badf("key_IDs: at least one key_ID is required")
	}
	if len(k.KeyIDs) > l.MaxKeyPerRequest {
		return nil, badf("key_IDs: %d above max_key_per_request %d", len(k.KeyIDs), l.MaxKeyPerRequest)
	}
	out := make([]uuid.UUID, len(k.KeyIDs))
	seen := make(map[uuid.UUID]bool, len(k.KeyIDs))
	for i, e := range k.KeyIDs {
		id, err := parseKeyID(e.KeyID)
		if err != nil {
			return nil, fmt.Errorf("key_IDs[%d]: %w", i, err)
		}
		if seen[id] {
			return nil, badf("key_IDs[%d]: key_ID %s given twice", i, id)
		}
		seen[id] = true
		out[i] = id
	}
	return out, nil
}
