// Command qosst is the project's toolbox: each subcommand lives in its own
// file of this package and registers itself on the root command in init.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "qosst",
	Short:         "QOSST control protocol tools for CV-QKD stations",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "qosst:", err)
		os.Exit(1)
	}
}
