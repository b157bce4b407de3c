package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/kme"
)

func newCertsCmd() *cobra.Command {
	var (
		out   string
		saes  []string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Write a local CA and the TLS certificates of two KMEs and their SAEs (demo and tests)",
		Long: `Write a local certificate authority and the certificates the key delivery
service (qosst kme) and its applications need, all ECDSA P-256, into --out:

  ca.crt, ca.key                 the local CA (give ca.crt to every KME and SAE)
  kme-alice.crt/.key             server certificates of the two KMEs, valid for
  kme-bob.crt/.key               127.0.0.1, ::1 and localhost
  ID.crt, ID.key                 a client certificate per --sae ID, CN = ID

Private keys are PKCS#8 PEM, mode 0600. Existing files are never replaced
unless --force is given. For a real site, use the site's own PKI.`,
		Example: `  qosst certs --out pki --sae sae-alice --sae sae-bob`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("certs: --out is required")
			}
			if len(saes) == 0 {
				return fmt.Errorf("certs: at least one --sae is required")
			}
			files, err := kme.GenerateCerts(out, saes, force)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %d files to %s:\n", len(files), out)
			for _, f := range files {
				fmt.Fprintln(w, " ", f)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "directory for the certificates and keys (required)")
	f.StringArrayVar(&saes, "sae", nil, "SAE ID: writes ID.crt and ID.key with CN = ID (repeatable, at least one)")
	f.BoolVar(&force, "force", false, "replace existing files")
	return cmd
}

func init() { rootCmd.AddCommand(newCertsCmd()) }
