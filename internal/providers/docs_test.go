package providers

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/attributes.md from the catalogue")

// TestAttributesDoc keeps docs/attributes.md what the catalogue says; run
// with -update after changing a provider's attributes.
func TestAttributesDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "attributes.md")
	got := AttributesMarkdown()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v (run go test ./internal/providers -update)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the catalogue; run go test ./internal/providers -update and commit it", path)
	}
}
