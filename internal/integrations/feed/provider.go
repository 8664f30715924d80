package feed

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// ID is the provider's id in the API ("provider": "feed").
const ID = "feed"

// namespaceRE is what a feed's attribute namespace (its tenantId) may be.
var namespaceRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9]{1,31}$`)

// Provider describes the custom feed to the registry. Its attributes are
// not fixed: Namespaces is empty, and Declared turns the schema a feed
// declared into the catalogue of the integration's namespace.
func Provider() integrations.Provider {
	return integrations.Provider{
		ID:      ID,
		Label:   "Custom feed",
		CloudID: integrations.Field{Label: "Feed URL", Hint: "https://inventory.example.com/posture", Required: true},
		TenantID: integrations.Field{Label: "Attribute namespace", Hint: "acme (attributes are written as acme:<name>)",
			Required: true},
		Secret: integrations.Field{Label: "Bearer token or client certificate and key",
			Hint: "a token, or a PEM certificate followed by its PEM private key", Required: true},
		MatchMAC: true,
		Declared: Declared,
		Validate: func(cfg integrations.Config) error {
			_, err := New(cfg)
			return err
		},
		New: func(cfg integrations.Config) (integrations.Source, error) {
			c, err := New(cfg)
			if err != nil {
				return nil, err // not a nil *Client in a non-nil Source
			}
			return c, nil
		},
	}
}

// CheckNamespace returns an EINVALID error unless ns is a valid
// attribute namespace for a feed.
func CheckNamespace(ns string) error {
	if !namespaceRE.MatchString(ns) {
		return postern.Errorf(postern.EINVALID, "the attribute namespace (tenantId) %q must be 2 to 32 letters and digits starting with a lowercase letter", ns)
	}
	return nil
}

// Declared returns the catalogue of the namespace ns from schema, the
// declaration Client.Schema returned after the feed's last successful
// sync: closed, with the declared names and types. An empty schema (no
// successful sync yet) gives an open namespace of any name and kind.
func Declared(ns, schema string) (posture.Namespace, error) {
	n := posture.Namespace{Name: ns, Doc: "Declared by the custom feed."}
	if schema == "" {
		n.Open = true
		return n, nil
	}
	var s wireSchema
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		return n, fmt.Errorf("decoding the stored schema of feed namespace %s: %w", ns, err)
	}
	if err := s.check(); err != nil {
		return n, fmt.Errorf("the stored schema of feed namespace %s: %w", ns, err)
	}
	names := make([]string, 0, len(s.Attributes))
	for name := range s.Attributes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		d := s.Attributes[name]
		a := posture.Attr{Name: ns + ":" + name, Kind: d.kind(), Version: d.Type == typeVersion, Values: d.Values}
		n.Attrs = append(n.Attrs, a)
	}
	return n, nil
}
