package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/transport/auth"
)

// keygenSchemes are the schemes keygen writes keys for.
var keygenSchemes = []string{auth.SchemeHMAC, auth.SchemeEd25519, auth.SchemeMLDSA65, auth.SchemeFalcon512, auth.SchemeWegmanCarter}

func newKeygenCmd() *cobra.Command {
	var (
		scheme string
		out    string
		pubOut string
		force  bool
	)
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Write a key for authenticated QOSST sessions (HMAC pre-shared key or a signature key pair)",
		Long: `Write a key for authenticated QOSST sessions.

  --scheme hmac-sha256  writes a random 32-byte pre-shared key, as hex text, to --out
                        (mode 0600). Copy the same file to both stations.
  --scheme ed25519      writes an Ed25519 private key (PKCS#8 PEM, mode 0600) to --out
                        and its public key (PKIX PEM, mode 0644) to --pub-out
                        (default: --out with ".pub" appended). Give the public key
                        to the peer station; keep the private key.
  --scheme ml-dsa-65    writes an ML-DSA-65 (FIPS 204) private key (PKCS#8 PEM, seed
                        form, id-ml-dsa-65, mode 0600) to --out and its public key
                        (SubjectPublicKeyInfo PEM, mode 0644) to --pub-out (default:
                        --out with ".pub" appended). Quantum-resistant.
  --scheme falcon-512   writes a Falcon-512 secret key in qosst's JSON form
                        ([f, g, F, G], mode 0600) to --out and its public key (h)
                        to --pub-out (default: --out with ".pub" appended): the
                        key files qosst-core's FalconAuthenticator reads.
                        Quantum-resistant; generation takes about a second.
  --scheme wegman-carter  writes a pool pair: the directories --out.alice and
                        --out.bob (mode 0700) holding the same 1 MiB of random
                        pads. Copy each to its station over a secure channel;
                        the station names its pool in key_file (no peer key).
                        Information-theoretic; each completed frame refills the
                        pools from its own key.

Existing files are never overwritten unless --force is given.
Stations name these files in their configuration (scheme, key_file,
peer_public_key_file).`,
		Example: `  qosst keygen --scheme hmac-sha256 --out qosst-hmac.key
  qosst keygen --scheme ed25519 --out alice.pem            # also writes alice.pem.pub
  qosst keygen --scheme ml-dsa-65 --out alice-mldsa        # also writes alice-mldsa.pub
  qosst keygen --scheme falcon-512 --out alice-falcon.json # also writes alice-falcon.json.pub
  qosst keygen --scheme wegman-carter --out link           # link.alice/ and link.bob/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("keygen: --out is required")
			}
			w := cmd.OutOrStdout()
			switch scheme {
			case auth.SchemeHMAC:
				if pubOut != "" {
					return fmt.Errorf("keygen: --pub-out does not apply to %s (one pre-shared key)", auth.SchemeHMAC)
				}
				if err := auth.WriteHMACKey(out, force); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s pre-shared key %s (mode 0600)\n", auth.SchemeHMAC, out)
			case auth.SchemeEd25519:
				if pubOut == "" {
					pubOut = out + ".pub"
				}
				if err := auth.WriteEd25519KeyPair(out, pubOut, force); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s private key %s (mode 0600) and public key %s\n", auth.SchemeEd25519, out, pubOut)
			case auth.SchemeMLDSA65:
				if pubOut == "" {
					pubOut = out + ".pub"
				}
				if err := auth.WriteMLDSA65KeyPair(out, pubOut, force); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s private key %s (mode 0600) and public key %s\n", auth.SchemeMLDSA65, out, pubOut)
			case auth.SchemeFalcon512:
				if pubOut == "" {
					pubOut = out + ".pub"
				}
				if err := auth.WriteFalcon512KeyPair(out, pubOut, force); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s secret key %s (mode 0600) and public key %s\n", auth.SchemeFalcon512, out, pubOut)
			case auth.SchemeWegmanCarter:
				if pubOut != "" || force {
					return fmt.Errorf("keygen: --pub-out and --force do not apply to %s (a pool pair is never overwritten)", auth.SchemeWegmanCarter)
				}
				a, b, err := auth.WriteWegmanCarterPools(out)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s pools %s (Alice) and %s (Bob), mode 0700\n", auth.SchemeWegmanCarter, a, b)
			default:
				return fmt.Errorf("keygen: %w %q (want %s)", auth.ErrUnknownScheme, scheme, strings.Join(keygenSchemes, ", "))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&scheme, "scheme", auth.SchemeEd25519, "key type: "+strings.Join(keygenSchemes, ", "))
	f.StringVarP(&out, "out", "o", "", "file for the secret key (required)")
	f.StringVar(&pubOut, "pub-out", "", `file for the public key of a key pair (default: --out + ".pub")`)
	f.BoolVar(&force, "force", false, "overwrite existing key files")
	return cmd
}

func init() {
	rootCmd.AddCommand(newKeygenCmd())
}
