package fsm

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	qosst "github.com/qosst/qosst-go"
	"github.com/qosst/qosst-go/states"
)

// TestDiagramsUpToDate fails when docs/diagrams or the diagrams embedded in
// docs/protocol.md differ from what the table generates: run go generate ./...
func TestDiagramsUpToDate(t *testing.T) {
	dir := filepath.Join("..", "docs", "diagrams")
	for name, want := range Diagrams() {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./...)", name, err)
			continue
		}
		if string(got) != want {
			t.Errorf("docs/diagrams/%s is stale: run go generate ./...", name)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := Diagrams()[e.Name()]; !ok {
			t.Errorf("docs/diagrams/%s is not generated any more: delete it", e.Name())
		}
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "protocol.md"))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := EmbedDiagrams(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(embedded, doc) {
		t.Error("docs/protocol.md embeds stale diagrams: run go generate ./...")
	}
}

func TestDiagramsShowEveryPhaseRow(t *testing.T) {
	m, dot := Mermaid(), DOT()
	for _, tr := range qosst.Transitions() {
		if tr.Kind != qosst.KindRow {
			continue
		}
		label := tr.Request.String() + " / "
		for _, d := range []string{m, dot} {
			if !strings.Contains(d, label) || !strings.Contains(d, tr.Response.String()) {
				t.Errorf("diagram lacks %s%s", label, tr.Response)
			}
		}
	}
	for _, s := range states.All() {
		if !strings.Contains(m, "    "+string(s)+" : ") || !strings.Contains(dot, `"`+string(s)+`"`) {
			t.Errorf("diagram lacks state %s", s)
		}
	}
	if !strings.HasPrefix(m, "stateDiagram-v2\n    %% Code generated") || !strings.HasPrefix(dot, "// Code generated") {
		t.Error("generated header missing")
	}
}

func TestEmbedDiagrams(t *testing.T) {
	in := []byte("# x\n<!-- BEGIN GENERATED DIAGRAM pe -->\nold\n<!-- END GENERATED DIAGRAM -->\ntail\n")
	out, err := EmbedDiagrams(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "```mermaid\n"+MermaidPhase("pe")+"```") || !strings.HasSuffix(string(out), "tail\n") || strings.Contains(string(out), "old") {
		t.Fatalf("embed:\n%s", out)
	}
	again, _ := EmbedDiagrams(out)
	if !bytes.Equal(again, out) {
		t.Fatal("embedding is not idempotent")
	}
	if _, err := EmbedDiagrams([]byte("<!-- BEGIN GENERATED DIAGRAM nope -->\n<!-- END GENERATED DIAGRAM -->")); err == nil {
		t.Fatal("unknown diagram accepted")
	}
	if _, err := EmbedDiagrams([]byte("<!-- BEGIN GENERATED DIAGRAM pe -->\n")); err == nil {
		t.Fatal("unterminated block accepted")
	}
}
