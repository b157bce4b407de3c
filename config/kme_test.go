package config

import (
	"errors"
	"strings"
	"testing"
)

func TestKMEValidation(t *testing.T) {
	for _, c := range []struct {
		set  func(*Config)
		keys []string
	}{
		{func(c *Config) { c.KME.KeySize = 100 }, []string{"kme.key_size"}},
		{func(c *Config) { c.KME.KeySize = 0 }, []string{"kme.key_size"}},
		{func(c *Config) { c.KME.MaxKeyPerRequest = 0 }, []string{"kme.max_key_per_request"}},
		{func(c *Config) { c.Keys.Store = "mysql://x" }, []string{"keys.store"}},
		{func(c *Config) { c.KME.Listen = "127.0.0.1:8443" }, []string{"kme.cert", "kme.key", "kme.client_ca", "kme.sae_id", "kme.peer_sae_id"}},
	} {
		cfg := Default()
		c.set(cfg)
		err := cfg.Validate()
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("%v accepted", c.keys)
		}
		msg := err.Error()
		last := -1
		for _, k := range c.keys {
			i := strings.Index(msg, "configuration key "+k+":")
			if i < 0 || i < last {
				t.Fatalf("error %q lacks %s (or out of order)", msg, k)
			}
			last = i
		}
	}
	cfg := Default()
	cfg.Keys.Store = "postgres://u:p@h/db"
	cfg.KME = KME{KeySize: 512, MaxKeyPerRequest: 1, Listen: ":8443", Cert: "c", Key: "k", ClientCA: "ca", SAEID: "a", PeerSAEID: "b"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
