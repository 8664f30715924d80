package providers_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/tailscale/hujson"

	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/providers"
)

// TestProviderDocExamples checks every example posture in docs/providers.md
// against the catalogue, as saving a policy would: a documented example
// that names an attribute no provider writes, or a value it never takes,
// fails here before a reader copies it.
func TestProviderDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/providers.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```")
	found := 0
	for i := 1; i < len(blocks); i += 2 { // odd pieces are inside fences
		body := blocks[i]
		if nl := strings.IndexByte(body, '\n'); nl >= 0 {
			body = body[nl+1:] // drop the info string ("json", "sh", ...)
		}
		if !strings.Contains(body, `"postures"`) {
			continue
		}
		found++
		std, err := hujson.Standardize([]byte("{" + body + "}"))
		if err != nil {
			t.Errorf("example %d is not a policy fragment: %v\n%s", found, err, body)
			continue
		}
		var frag struct {
			Postures json.RawMessage `json:"postures"`
		}
		if err := json.Unmarshal(std, &frag); err != nil {
			t.Errorf("example %d: %v", found, err)
			continue
		}
		text := `{"postures": ` + string(frag.Postures) + `}`
		if _, err := policy.Parse([]byte(text), providers.Catalog()); err != nil {
			t.Errorf("example %d is refused by the catalogue: %v\n%s", found, err, body)
		}
	}
	if want := len(providers.All()); found < want {
		t.Errorf("found %d example postures in docs/providers.md, want at least one per provider (%d)", found, want)
	}
}
