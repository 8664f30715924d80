package falcon

import (
	"fmt"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// ID is the API's "provider" value for CrowdStrike Falcon.
const ID = "falcon"

// Region is a CrowdStrike cloud and its API host.
type Region struct {
	Name, Host string
}

// Regions lists CrowdStrike's clouds in the order the console offers
// them. "us-gov" is how Tailscale's console names us-gov-1.
func Regions() []Region {
	return []Region{
		{"us-1", "api.crowdstrike.com"},
		{"us-2", "api.us-2.crowdstrike.com"},
		{"us-3", "api.us-3.crowdstrike.com"},
		{"eu-1", "api.eu-1.crowdstrike.com"},
		{"us-gov", "api.laggar.gcw.crowdstrike.com"},
		{"us-gov-1", "api.laggar.gcw.crowdstrike.com"},
		{"us-gov-2", "api.us-gov-2.crowdstrike.mil"},
	}
}

// Provider describes CrowdStrike Falcon to Postern: its fields, its
// regions, MAC matching and the attribute it writes.
func Provider() integrations.Provider {
	return integrations.Provider{
		ID:       ID,
		Label:    "CrowdStrike Falcon",
		CloudID:  integrations.Field{Label: "Cloud region or API URL", Hint: "us-1, us-2, eu-1, us-gov", Required: true, Choices: regionNames()},
		ClientID: integrations.Field{Label: "API client ID", Required: true},
		Secret:   integrations.Field{Label: "API client secret", Required: true},
		BaseURL:  BaseURL,
		MatchMAC: true,
		Namespaces: []posture.Namespace{
			{Name: "falcon", Doc: "Written by the CrowdStrike Falcon integration from Zero Trust Assessment.", Attrs: []posture.Attr{
				{Name: AttrZTAScore, Kind: postern.KindNumber, Doc: "The device's overall Zero Trust Assessment score, 0 to 100."},
			}},
		},
		New: func(cfg integrations.Config) (integrations.Source, error) { return New(cfg) },
	}
}

// BaseURL resolves a Falcon cloudId: a region name (Regions) or, by the
// common rule, an API host name or full URL.
func BaseURL(cloudID string) (string, error) {
	for _, r := range Regions() {
		if strings.EqualFold(cloudID, r.Name) {
			return "https://" + r.Host, nil
		}
	}
	base, err := integrations.HostURL(cloudID)
	if err != nil {
		return "", fmt.Errorf("want a region (%s), an API host name or a full https:// URL", strings.Join(regionNames(), ", "))
	}
	return base, nil
}

// regionNames lists the regions by the names the console offers (us-gov
// for us-gov-1).
func regionNames() []string {
	var names []string
	for _, r := range Regions() {
		if r.Name != "us-gov-1" {
			names = append(names, r.Name)
		}
	}
	return names
}
