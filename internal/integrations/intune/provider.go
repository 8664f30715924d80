package intune

import (
	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// Provider describes Microsoft Intune to Postern: an Entra app's client
// credentials for a tenant, Graph at graph.microsoft.com unless cloudId
// names a national cloud's Graph host (or, in tests, a fake's URL), and
// the intune:* attributes matched by serial number.
func Provider() integrations.Provider {
	return integrations.Provider{
		ID:    ID,
		Label: "Microsoft Intune",
		CloudID: integrations.Field{
			Label: "Graph endpoint",
			Hint:  "empty for the global cloud; graph.microsoft.us for US Government",
		},
		ClientID: integrations.Field{
			Label:    "Application (client) ID",
			Hint:     "6731de76-14a6-49ae-97bc-6eba6914391e",
			Required: true,
		},
		TenantID: integrations.Field{
			Label:    "Directory (tenant) ID",
			Hint:     "72f988bf-86f1-41af-91ab-2d7cd011db47",
			Required: true,
		},
		Secret: integrations.Field{
			Label:    "Client secret value",
			Hint:     "the secret's Value, not its Secret ID",
			Required: true,
		},
		DefaultHost: "graph.microsoft.com",
		Namespaces:  []posture.Namespace{Namespace()},
		New: func(cfg integrations.Config) (integrations.Source, error) {
			c, err := New(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}

// Namespace is the intune:* attribute catalogue, with Tailscale's names
// and Intune's value sets (Graph's complianceState,
// deviceRegistrationState and managedDeviceOwnerType enums).
func Namespace() posture.Namespace {
	return posture.Namespace{Name: "intune", Attrs: []posture.Attr{
		{
			Name: AttrComplianceState, Kind: postern.KindString,
			Values: []string{"unknown", "compliant", "noncompliant", "conflict", "error", "inGracePeriod", "configManager"},
			Doc:    "The device's compliance with the Intune compliance policies assigned to it.",
		},
		{
			Name: AttrAzureADRegistered, Kind: postern.KindBool,
			Doc: "Whether the device is registered in Microsoft Entra ID; not set when Intune does not know.",
		},
		{
			Name: AttrDeviceRegistrationState, Kind: postern.KindString,
			Values: []string{"notRegistered", "registered", "revoked", "keyConflict", "approvalPending",
				"certificateReset", "notRegisteredPendingEnrollment", "unknown"},
			Doc: "The device's registration state in Intune.",
		},
		{
			Name: AttrIsSupervised, Kind: postern.KindBool,
			Doc: "Whether the Apple device is supervised.",
		},
		{
			Name: AttrIsEncrypted, Kind: postern.KindBool,
			Doc: "Whether the device's storage is encrypted.",
		},
		{
			Name: AttrManagedDeviceOwnerType, Kind: postern.KindString,
			Values: []string{"unknown", "company", "personal"},
			Doc:    "Whether the device is owned by the company or by a person.",
		},
	}}
}
