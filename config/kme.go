package config

import (
	"strings"
)

// KME configures key delivery to applications (ETSI GS QKD 014, package
// kme): the key block size both stations cut their keys into, and the
// embedded key delivery service of a station (off while listen is empty;
// `qosst kme` serves a store on its own).
type KME struct {
	// KeySize is the key block size in bits; both stations must use the
	// same (the key_IDs derive from it).
	KeySize int `toml:"key_size"`
	// MaxKeyPerRequest bounds the keys of one request.
	MaxKeyPerRequest int `toml:"max_key_per_request"`
	// Listen is HOST:PORT of the embedded service; empty: not served.
	Listen string `toml:"listen"`
	// Cert and Key are the service's TLS certificate and private key (PEM).
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// ClientCA holds the CA certificates SAE client certificates must chain to.
	ClientCA string `toml:"client_ca"`
	// SAEID is the SAE this station's KME serves (its certificate's CN);
	// PeerSAEID is the SAE at the other station.
	SAEID     string `toml:"sae_id"`
	PeerSAEID string `toml:"peer_sae_id"`
}

// DefaultKME is the [kme] section of Default.
func DefaultKME() KME { return KME{KeySize: 256, MaxKeyPerRequest: 128} }

func (c *Config) validateKME() []error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, fieldErr(key, format, args...)) }
	k := c.KME
	if k.KeySize <= 0 || k.KeySize%8 != 0 || k.KeySize > 1<<16 {
		add("kme.key_size", "must be a positive multiple of 8 up to 65536, got %d", k.KeySize)
	}
	if k.MaxKeyPerRequest < 1 || k.MaxKeyPerRequest > 4096 {
		add("kme.max_key_per_request", "must be in 1..4096, got %d", k.MaxKeyPerRequest)
	}
	if k.Listen != "" {
		for _, kv := range [][2]string{{"kme.cert", k.Cert}, {"kme.key", k.Key}, {"kme.client_ca", k.ClientCA}, {"kme.sae_id", k.SAEID}, {"kme.peer_sae_id", k.PeerSAEID}} {
			if strings.TrimSpace(kv[1]) == "" {
				add(kv[0], "must be set when kme.listen is")
			}
		}
	}
	if s := c.Keys.Store; s != "" && !strings.HasPrefix(s, "sqlite:") && !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		add("keys.store", "must be sqlite:PATH or postgres://…, got %.40q", s)
	}
	return errs
}
