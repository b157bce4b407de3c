package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/qosst/qosst-go/conform"
	"github.com/qosst/qosst-go/transport/auth"
)

// errConformFailed makes the command exit non-zero when a case fails.
var errConformFailed = errors.New("conformance cases failed")

func newConformCmd() *cobra.Command {
	var (
		o        conform.Options
		authCfg  auth.Config
		asJSON   bool
		list     bool
		progress bool
	)
	cmd := &cobra.Command{
		Use:   "conform --target HOST:PORT",
		Short: "Check that a QOSST server conforms to the protocol (numbered cases, pass/fail, summary)",
		Long: `Run the conformance suite against a QOSST server (ours or the Python reference).

Each case opens a fresh connection, cites the part of the protocol it checks,
and is bounded in time. The checker drives frames with synthetic data as far
as error correction; states that need a key matching the server's
(ec_done, pa_done) are out of its reach. Every failure prints the answer seen
and the one expected. The command exits non-zero when any case fails.`,
		Example: `  qosst conform --target 127.0.0.1:8181
  qosst conform --target alice.lab:8181 --json > report.json
  qosst conform --target 127.0.0.1:8181 --only 1,2,10
  qosst conform --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			if list {
				for _, c := range conform.Cases() {
					fmt.Fprintf(w, "%3d  %s  [%s]\n", c.ID, c.Name, c.Cites)
				}
				return nil
			}
			if o.Target == "" {
				return errors.New("conform: --target HOST:PORT is required")
			}
			a, err := auth.New(authCfg)
			if err != nil {
				return fmt.Errorf("conform: %w", err)
			}
			o.Authenticator = a
			if progress && !asJSON {
				o.Progress = func(r conform.Result) { fmt.Fprint(w, r.Text()) }
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rep := conform.Run(ctx, o)
			switch {
			case asJSON:
				err = rep.WriteJSON(w)
			case progress:
				_, err = fmt.Fprintln(w, rep.Summary())
			default:
				err = rep.WriteText(w)
			}
			if err != nil {
				return err
			}
			if !rep.OK() || len(rep.Results) == 0 {
				return fmt.Errorf("%w: %s", errConformFailed, rep.Summary())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Target, "target", "", "server to check, HOST:PORT")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.BoolVar(&list, "list", false, "list the cases and exit")
	f.BoolVar(&progress, "progress", true, "print each result as it comes (text output)")
	f.IntSliceVar(&o.Only, "only", nil, "run only these case numbers (comma-separated)")
	f.DurationVar(&o.CaseTimeout, "case-timeout", conform.DefaultCaseTimeout, "time bound of one case")
	f.DurationVar(&o.ReplyTimeout, "reply-timeout", conform.DefaultReplyTimeout, "time bound of one answer")
	f.StringVar(&o.Version, "version", conform.DefaultVersion, "protocol version the checker claims")
	f.StringVar(&authCfg.Scheme, "auth", auth.SchemeNone, "authentication scheme: "+strings.Join(auth.Schemes(), ", "))
	f.StringVar(&authCfg.KeyFile, "auth-key", "", "key file of the authentication scheme")
	f.StringVar(&authCfg.PeerPublicKeyFile, "auth-peer-key", "", "server's public key file (ed25519)")
	f.StringVar(&o.Frame.Initialization, "init-content", "", `INITIALIZATION_REQUEST content, raw JSON ("%UUID%" is the frame UUID)`)
	f.StringVar(&o.Frame.ECInitialization, "ec-content", "", "EC_INITIALIZATION content, raw JSON")
	f.StringVar(&o.Params.Writable, "param-writable", "", "a parameter the server lets change")
	f.StringVar(&o.Params.WritableValue, "param-writable-value", "", "a valid new value for it, raw JSON")
	f.StringVar(&o.Params.Invalid, "param-invalid", "", "a parameter to send an invalid value for")
	f.StringVar(&o.Params.InvalidValue, "param-invalid-value", "", "the invalid value, raw JSON")
	f.StringVar(&o.Params.ReadOnly, "param-readonly", "", "a parameter the server never changes from the network")
	f.StringVar(&o.Params.ReadOnlyValue, "param-readonly-value", "", "a value to try on it, raw JSON")
	return cmd
}

func init() { rootCmd.AddCommand(newConformCmd()) }
