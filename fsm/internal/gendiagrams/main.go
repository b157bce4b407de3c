// Command gendiagrams writes the state diagrams generated from the protocol
// table into docs/diagrams and refreshes the diagrams embedded in
// docs/protocol.md. It runs through go generate at the module root.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/qosst/qosst-go/fsm"
)

func main() {
	dir := flag.String("out", "docs/diagrams", "directory for the diagram files")
	doc := flag.String("doc", "docs/protocol.md", "Markdown file whose marked diagram blocks are refreshed (skipped if absent)")
	flag.Parse()
	if err := run(*dir, *doc); err != nil {
		fmt.Fprintln(os.Stderr, "gendiagrams:", err)
		os.Exit(1)
	}
}

func run(dir, doc string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d := fsm.Diagrams()
	names := make([]string, 0, len(d))
	for n := range d {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(d[n]), 0o644); err != nil {
			return err
		}
	}
	old, err := os.ReadFile(doc)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	updated, err := fsm.EmbedDiagrams(old)
	if err != nil {
		return fmt.Errorf("%s: %w", doc, err)
	}
	return os.WriteFile(doc, updated, 0o644)
}
