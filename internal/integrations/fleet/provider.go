package fleet

import (
	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// ID is the API's "provider" value for Fleet.
const ID = "fleet"

// Provider describes Fleet to Postern: its fields, its base URL rule and
// the attributes it writes.
func Provider() integrations.Provider {
	return integrations.Provider{
		ID:       ID,
		Label:    "Fleet",
		CloudID:  integrations.Field{Label: "Fleet server URL", Hint: "fleet.example.com", Required: true},
		Secret:   integrations.Field{Label: "API token", Required: true},
		APIPaths: []string{"/api/v1/fleet", "/api/latest/fleet"},
		Namespaces: []posture.Namespace{
			{Name: "fleet", Doc: "Written by the Fleet integration for each host Fleet knows.", Attrs: []posture.Attr{
				{Name: "fleet:present", Kind: postern.KindBool, Doc: "The device is a host in Fleet (always true when set)."},
			}},
			{Name: "fleetPolicy", Open: true, OpenKind: postern.KindBool,
				Doc: "fleetPolicy:{name} is true for each Fleet policy the host passes whose description contains \"Tailscale: fleetPolicy:{name}\"; a failing or not yet run policy leaves it unset."},
		},
		New: func(cfg integrations.Config) (integrations.Source, error) { return New(cfg) },
	}
}
