package providers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postern/postern/internal/posture"
)

// vendorFree reports whether the non-test Go code in dir (module
// relative) must not name a vendor: everything but the vendor packages
// under internal/integrations/, their fakes and this registry.
func vendorFree(dir string) bool {
	dir = filepath.ToSlash(dir)
	switch {
	case strings.HasPrefix(dir, "internal/integrations/"),
		dir == "internal/fakes", strings.HasPrefix(dir, "internal/fakes/"),
		dir == "internal/providers":
		return false
	}
	return true
}

// vendorWords are the names that give a provider away: its id, the words
// of its label and its attribute namespaces, lower-cased.
// A built-in namespace's name is Postern's own word, even in a label
// ("Custom feed").
func vendorWords() []string {
	builtin := map[string]bool{}
	for _, ns := range posture.Builtin() {
		builtin[ns.Name] = true
	}
	var words []string
	for _, p := range All() {
		words = append(words, strings.ToLower(p.ID))
		for _, w := range strings.Fields(p.Label) {
			if len(w) > 3 && !builtin[strings.ToLower(w)] {
				words = append(words, strings.ToLower(w))
			}
		}
		for _, ns := range p.Namespaces {
			words = append(words, strings.ToLower(ns.Name))
		}
	}
	return words
}

// TestNothingElseNamesAVendor: adding a provider touches its package and
// one line of All. Outside the vendor packages, their fakes and this
// package, no identifier or string in non-test Go code names a vendor
// (comments may, as examples).
func TestNothingElseNamesAVendor(t *testing.T) {
	root := filepath.Join("..", "..")
	words := vendorWords()
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if name := d.Name(); rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || !vendorFree(rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var text string
			switch n := n.(type) {
			case *ast.Ident:
				text = n.Name
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					text = n.Value
				}
			case *ast.ImportSpec:
				text = n.Path.Value
				return false
			}
			lower := strings.ToLower(text)
			for _, w := range words {
				if strings.Contains(lower, w) {
					t.Errorf("%s: %s names the provider %q; that knowledge belongs in the provider's descriptor", fset.Position(n.Pos()), text, w)
					break
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
