package main

import (
	"context"
	"fmt"
	"net"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/config"
	"github.com/qosst/qosst-go/keystore"
	"github.com/qosst/qosst-go/kme"
)

func newKMECmd() *cobra.Command {
	var side string
	cmd := &cobra.Command{
		Use:   "kme",
		Short: "Serve a station's keys to its applications: ETSI GS QKD 014 over mutual TLS",
		Long: `kme serves the key database of one station (keys.store, by default
sqlite:<keys.output_dir>/keys.db) to the SAE of that station with the ETSI
GS QKD 014 V1.1.1 REST API, over HTTPS with mutual TLS (TLS 1.2 at least):

  GET       /api/v1/keys/{slave_SAE_ID}/status
  GET, POST /api/v1/keys/{slave_SAE_ID}/enc_keys    at Alice's KME (--side alice)
  GET, POST /api/v1/keys/{master_SAE_ID}/dec_keys   at Bob's KME (--side bob)

The caller's SAE ID is the CN of its client certificate, which must chain to
--client-ca and be --sae-id; the SAE ID in the path must be --peer-sae-id.
Keys are blocks of kme.key_size bits (--key-size, the same at both stations);
a block is delivered once. Any number of kme processes may serve one store.
Flags override the [kme] and [keys] sections of --config (docs/keys.md).`,
		Example: `  qosst certs --out pki --sae sae-alice --sae sae-bob
  qosst kme --side alice --keys alice-keys --listen 127.0.0.1:8443 --cert pki/kme-alice.crt \
      --key pki/kme-alice.key --client-ca pki/ca.crt --sae-id sae-alice --peer-sae-id sae-bob`,
		Args: cobra.NoArgs,
	}
	fl := config.NewFlags(cmd.Flags())
	cmd.Flags().StringVar(&side, "side", "", "the station whose keys are served: alice (enc_keys) or bob (dec_keys)")
	fl.Bind("keys", "keys.output_dir", "the station's key directory (keys.output_dir)")
	fl.Bind("store", "keys.store", "key database: sqlite:PATH or postgres://… (keys.store; empty: sqlite:<keys>/keys.db)")
	fl.Bind("listen", "kme.listen", "HOST:PORT to serve HTTPS on (kme.listen; required)")
	fl.Bind("cert", "kme.cert", "this KME's TLS certificate, PEM (kme.cert)")
	fl.Bind("key", "kme.key", "this KME's TLS private key, PEM (kme.key)")
	fl.Bind("client-ca", "kme.client_ca", "CA certificates SAE client certificates must chain to (kme.client_ca)")
	fl.Bind("sae-id", "kme.sae_id", "the SAE served: its client certificate's CN (kme.sae_id)")
	fl.Bind("peer-sae-id", "kme.peer_sae_id", "the SAE at the other station (kme.peer_sae_id)")
	fl.Bind("key-size", "kme.key_size", "key block size in bits, as at the stations (kme.key_size)")
	fl.Bind("max-key-per-request", "kme.max_key_per_request", "most keys in one request (kme.max_key_per_request)")
	fl.Bind("log-format", "logging.format", "log format: console or json (logging.format)")
	fl.Bind("log-level", "logging.level", "log level: trace, debug, info, warn, error (logging.level)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := fl.Load()
		if err != nil {
			return err
		}
		if side != kme.SideAlice && side != kme.SideBob {
			return fmt.Errorf("kme: --side must be %s or %s, got %q", kme.SideAlice, kme.SideBob, side)
		}
		if cfg.KME.Listen == "" {
			return fmt.Errorf("kme: --listen (kme.listen) is required")
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		return runKME(ctx, cfg, side, cmd)
	}
	return cmd
}

func runKME(ctx context.Context, cfg *config.Config, side string, cmd *cobra.Command) error {
	log, err := cfg.Logger(cmd.ErrOrStderr(), "kme-"+side)
	if err != nil {
		return err
	}
	tc, err := kme.TLSConfig(cfg.KME.Cert, cfg.KME.Key, cfg.KME.ClientCA)
	if err != nil {
		return err
	}
	storeURL := keystore.StoreURL(cfg.Keys.Store, cfg.Keys.OutputDir)
	db, err := keystore.OpenDB(ctx, storeURL, side)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := kme.New(kme.Config{Side: side, SAEID: cfg.KME.SAEID, PeerSAEID: cfg.KME.PeerSAEID, KeySize: cfg.KME.KeySize,
		MaxKeyPerRequest: cfg.KME.MaxKeyPerRequest, DB: db, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.KME.Listen)
	if err != nil {
		return fmt.Errorf("kme: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "qosst kme: %s's keys (%s) for SAE %s on https://%s\n", side, keystore.Redact(storeURL), cfg.KME.SAEID, ln.Addr())
	log.Info().Str("listen", ln.Addr().String()).Str("store", keystore.Redact(storeURL)).Str("sae_id", cfg.KME.SAEID).
		Str("peer_sae_id", cfg.KME.PeerSAEID).Int("key_size", cfg.KME.KeySize).Msg("key delivery serving")
	return srv.Serve(ctx, ln, tc)
}

func init() { rootCmd.AddCommand(newKMECmd()) }
