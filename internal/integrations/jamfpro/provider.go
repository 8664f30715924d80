package jamfpro

import (
	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// Provider describes Jamf Pro to Postern: the fields of an integration,
// the attributes it writes and its constructor.
func Provider() integrations.Provider {
	return integrations.Provider{
		ID:    ID,
		Label: "Jamf Pro",
		CloudID: integrations.Field{
			Label:    "Jamf Pro URL",
			Hint:     "acme.jamfcloud.com",
			Required: true,
		},
		ClientID: integrations.Field{
			Label:    "Client ID",
			Hint:     "5b0a9c3e-6f1d-4c52-9e1a-7d2b3c4d5e6f",
			Required: true,
		},
		Secret: integrations.Field{
			Label:    "Client secret",
			Required: true,
		},
		Namespaces: []posture.Namespace{{
			Name: "jamfPro",
			Attrs: []posture.Attr{
				{Name: AttrRemoteManaged, Kind: postern.KindBool,
					Doc: "Whether Jamf Pro manages the computer (Remote Management > Managed)."},
				{Name: AttrSupervised, Kind: postern.KindBool,
					Doc: "Whether the computer is supervised."},
				{Name: AttrFirewallEnabled, Kind: postern.KindBool,
					Doc: "Whether the macOS firewall is on."},
				{Name: AttrFileVaultStatus, Kind: postern.KindString,
					Values: []string{"ALL_ENCRYPTED", "SOME_ENCRYPTED", "BOOT_ENCRYPTED", "NOT_ENCRYPTED", "NOT_APPLICABLE"},
					Doc:    "How much of the computer's disks FileVault 2 has encrypted."},
				{Name: AttrSIPEnabled, Kind: postern.KindString,
					Values: []string{"NOT_COLLECTED", "NOT_AVAILABLE", "DISABLED", "ENABLED"},
					Doc:    "The state of System Integrity Protection, as Jamf Pro last collected it."},
			},
		}},
		New: func(cfg integrations.Config) (integrations.Source, error) {
			c, err := New(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}
