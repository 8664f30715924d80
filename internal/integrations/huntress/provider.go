package huntress

import (
	"slices"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// Attribute keys this integration writes, as Tailscale's Huntress
// integration names them.
const (
	AttrDefenderStatus       = "huntress:defenderStatus"
	AttrDefenderPolicyStatus = "huntress:defenderPolicyStatus"
	AttrFirewallStatus       = "huntress:firewallStatus"
)

// The value sets, in the order of Tailscale's documentation.
var (
	defenderStatus       = newAttrValues(AttrDefenderStatus, "Incompatible", "Unhealthy", "Protected", "Unmanaged")
	defenderPolicyStatus = newAttrValues(AttrDefenderPolicyStatus, "Unknown", "Non Compliant", "Compliant", "Pending", "Gpo Conflict")
	firewallStatus       = newAttrValues(AttrFirewallStatus, "Disabled", "Enabled", "Pending Isolation", "Isolated", "Pending Release")
)

// Provider describes Huntress to the registry.
func Provider() integrations.Provider {
	return integrations.Provider{
		ID:    ID,
		Label: "Huntress",
		CloudID: integrations.Field{
			Label: "API host",
			Hint:  "leave empty for api.huntress.io",
		},
		ClientID: integrations.Field{
			Label:    "API Key",
			Hint:     "the public key of the pair generated under API Credentials",
			Required: true,
		},
		TenantID: integrations.Field{
			Label: "Organization ID",
			Hint:  "12345 (optional; empty lists every organization)",
		},
		Secret: integrations.Field{
			Label:    "API Secret Key",
			Hint:     "the private key, shown once when the pair is generated",
			Required: true,
		},
		DefaultHost: "api.huntress.io",
		Namespaces: []posture.Namespace{{
			Name: "huntress",
			Attrs: []posture.Attr{
				{
					Name: AttrDefenderStatus, Kind: postern.KindString, Values: slices.Clone(defenderStatus.values),
					Doc: "Microsoft Defender's status as Huntress Managed Antivirus reports it; unset on hosts without Defender.",
				},
				{
					Name: AttrDefenderPolicyStatus, Kind: postern.KindString, Values: slices.Clone(defenderPolicyStatus.values),
					Doc: "Whether the host follows the Huntress Managed Antivirus policy for Defender; unset on hosts without Defender.",
				},
				{
					Name: AttrFirewallStatus, Kind: postern.KindString, Values: slices.Clone(firewallStatus.values),
					Doc: "The state of the host's firewall as Huntress manages it, including host isolation.",
				},
			},
		}},
		New: func(cfg integrations.Config) (integrations.Source, error) {
			c, err := New(cfg)
			if err != nil {
				return nil, err // not a typed nil *Client in the interface
			}
			return c, nil
		},
	}
}
