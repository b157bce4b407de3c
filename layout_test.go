package qosst

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// layers is the README's layout table, top to bottom: a package may import
// the module's packages of its own row or of rows above it, never below.
var layers = [][]string{
	{"messages"},
	{"transport", "transport/auth"},
	{"states"},
	{""}, // package qosst: the table
	{"fsm"},
	{"quantum"},
	{"hardware", "hardware/sim", "hardware/real/scpi"},
	{"postprocessing"},
	{"config", "keystore", "logging"},
	{"station"},
	{"kme"},
	{"alice", "bob"},
	{"conform"},
	{"monitor"},
	{"cmd/qosst-alice", "cmd/qosst-bob", "cmd/qosst", "fsm/internal/gendiagrams"},
	{"property_test"},
}

// rank returns the row of the module-relative package path p: the row of
// its longest listed prefix (alice/alicetest is in alice's row).
func rank(p string) (int, bool) {
	best, row := -1, 0
	for i, l := range layers {
		for _, q := range l {
			if (p == q || q == "" && p == "" || q != "" && strings.HasPrefix(p, q+"/")) && len(q) > best {
				best, row = len(q), i
			}
		}
	}
	return row, best >= 0
}

func TestNoPackageImportsUpward(t *testing.T) {
	const module = "github.com/qosst/qosst-go"
	err := filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); dir != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "docs") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			return nil // no Go files here
		}
		from := filepath.ToSlash(dir)
		if from == "." {
			from = ""
		}
		rf, ok := rank(from)
		if !ok {
			t.Errorf("package %q is in no row of the layout table", from)
			return nil
		}
		for _, imp := range pkg.Imports {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if rt, _ := rank(to); rt > rf {
				t.Errorf("%q imports %q, which is below it in the layout table", from, to)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
