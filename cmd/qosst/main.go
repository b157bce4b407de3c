// Command qosst is the project's toolbox: each subcommand lives in its own
// file of this package and registers itself on the root command in init.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:   "qosst",
	Short: "QOSST control protocol tools for CV-QKD stations",
	Long: `qosst gathers the tools around the QOSST/0.2 control protocol for CV-QKD:
a demo of a whole link on the simulated optical channel, the secret key rate
calculator, key generation for the authenticators and a conformance checker
for any QOSST server. The stations themselves are the qosst-alice and
qosst-bob commands.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "qosst:", err)
		os.Exit(1)
	}
}
