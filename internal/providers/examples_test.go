package providers_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/tailscale/hujson"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/providers"
)

// TestProviderDocExamples checks every example posture in docs/providers.md
// against the catalogue, as saving a policy would: a documented example
// that names an attribute no provider writes, or a value it never takes,
// fails here before a reader copies it. The custom feed's example is
// checked against the schema its documented example page declares, as a
// feed with namespace "acme" that served that page would be.
func TestProviderDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/providers.md")
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	blocks := strings.Split(string(doc), "```")
	for i := 1; i < len(blocks); i += 2 { // odd pieces are inside fences
		body := blocks[i]
		if nl := strings.IndexByte(body, '\n'); nl >= 0 {
			body = body[nl+1:] // drop the info string ("json", "sh", ...)
		}
		bodies = append(bodies, body)
	}
	var feedSchema string
	for _, body := range bodies {
		var page struct {
			Schema json.RawMessage `json:"schema"`
		}
		if json.Unmarshal([]byte(body), &page) == nil && page.Schema != nil {
			feedSchema = string(page.Schema)
		}
	}
	if feedSchema == "" {
		t.Fatal("docs/providers.md shows no example feed page with a schema")
	}
	cat, err := providers.CatalogFor([]postern.Integration{{Provider: "feed", TenantID: "acme", Status: postern.IntegrationStatus{Schema: feedSchema}}})
	if err != nil {
		t.Fatalf("the documented feed schema: %v", err)
	}
	found := 0
	for _, body := range bodies {
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
		if _, err := policy.Parse([]byte(text), cat); err != nil {
			t.Errorf("example %d is refused by the catalogue: %v\n%s", found, err, body)
		}
	}
	if want := len(providers.All()); found < want {
		t.Errorf("found %d example postures in docs/providers.md, want at least one per provider (%d)", found, want)
	}
}
