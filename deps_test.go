package postern_test

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/postern/postern"

// depRules are the layering rules of docs/architecture.md as a test, in
// the manner of tailscale's tstest/deptest: each package (prefix) may not
// import, directly or through another package of this module, any of the
// listed packages. Standard-library entries forbid the package itself.
var depRules = []struct {
	pkg, why string
	forbid   []string
}{
	{"internal/store", "storage never imports policy or anything above it",
		[]string{"internal/policy", "internal/posture", "internal/tailnet", "internal/netmap", "internal/control", "internal/api", "internal/web", "internal/posturesync", "internal/integrations"}},
	{"internal/policy", "the policy engine is pure: no I/O, no storage",
		[]string{"internal/store", "internal/tailnet", "internal/integrations", "internal/providers", "os", "net", "net/http", "database/sql", "log/slog"}},
	{"internal/posture", "the posture language is pure; the attribute catalogue is handed to it",
		[]string{"internal/store", "internal/policy", "internal/integrations", "internal/providers", "os", "net", "net/http", "database/sql", "log/slog"}},
	{"internal/integrations", "a vendor reports facts; it does not store them",
		[]string{"internal/store", "internal/tailnet", "internal/policy", "internal/control", "internal/posturesync"}},
	{"internal/tailnet", "the single writer sits below the planes that read it",
		[]string{"internal/netmap", "internal/control", "internal/api", "internal/web", "internal/posturesync", "internal/server"}},
	{"internal/", "nothing under internal reaches up to the command or the test-only packages",
		[]string{"cmd/postern", "internal/e2e", "internal/tsclient", "internal/browsertest", "internal/integrations/integrationstest"}},
}

// importsOf returns the non-test imports of the package in dir.
func importsOf(t *testing.T, dir string) []string {
	p, err := build.ImportDir(dir, 0)
	if _, ok := err.(*build.NoGoError); ok {
		return nil
	}
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	return p.Imports
}

func TestDependencyRules(t *testing.T) {
	graph := map[string][]string{} // module-relative package -> imports (module ones relative)
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		var imps []string
		for _, imp := range importsOf(t, path) {
			imps = append(imps, strings.TrimPrefix(strings.TrimPrefix(imp, module), "/"))
		}
		graph[filepath.ToSlash(path)] = imps
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(graph["internal/policy"]) == 0 || len(graph["internal/store"]) == 0 {
		t.Fatalf("the package graph looks empty (%d packages); is the test run from the module root?", len(graph))
	}
	reach := func(pkg string) map[string]bool {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(p string) {
			for _, imp := range graph[p] {
				if seen[imp] {
					continue
				}
				seen[imp] = true
				if _, ours := graph[imp]; ours {
					walk(imp)
				}
			}
		}
		walk(pkg)
		return seen
	}
	for _, r := range depRules {
		for pkg := range graph {
			if pkg != r.pkg && !strings.HasPrefix(pkg, strings.TrimSuffix(r.pkg, "/")+"/") {
				continue
			}
			deps := reach(pkg)
			for dep := range deps {
				for _, f := range r.forbid {
					_, ours := graph[f]
					if dep == f || (ours && strings.HasPrefix(dep, f+"/")) {
						t.Errorf("%s imports %s (directly or indirectly), but %s", pkg, dep, r.why)
					}
				}
			}
		}
	}
}

// TestDependencyRulesCatchViolations makes sure the checker is not vacuous:
// the real graph has edges that a wrong rule would flag.
func TestDependencyRulesCatchViolations(t *testing.T) {
	imps := importsOf(t, "internal/tailnet")
	if !slices.Contains(imps, module+"/internal/store") {
		t.Errorf("internal/tailnet imports %v; want it to import internal/store, the edge this test relies on", imps)
	}
}
