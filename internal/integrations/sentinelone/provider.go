package sentinelone

import (
	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// ID is the API's "provider" value for SentinelOne.
const ID = "sentinelone"

// operationalStates are the values of an agent's operationalState
// (SentinelOne's operationalStates filter); "na" is the healthy one.
var operationalStates = []string{"na", "fully_disabled", "partially_disabled", "disabled_error", "db_corruption", "auto_fully_disabled", "auto_partially_disabled"}

// Provider describes SentinelOne to Postern: its fields and the
// attributes it writes.
func Provider() integrations.Provider {
	const bl = postern.KindBool
	return integrations.Provider{
		ID:       ID,
		Label:    "SentinelOne",
		CloudID:  integrations.Field{Label: "Management console URL", Hint: "example.sentinelone.net", Required: true},
		Secret:   integrations.Field{Label: "API token", Required: true},
		APIPaths: []string{apiPrefix},
		Namespaces: []posture.Namespace{
			{Name: "sentinelOne", Doc: "Written by the SentinelOne integration from each agent the console lists.", Attrs: []posture.Attr{
				{Name: AttrOperationalState, Kind: postern.KindString, Values: operationalStates, Doc: "The agent's operational state; 'na' means not disabled, the expected state."},
				{Name: AttrActiveThreats, Kind: postern.KindNumber, Doc: "How many active threats the agent reports."},
				{Name: AttrAgentVersion, Kind: postern.KindString, Version: true, Doc: "The agent's version, compared as a version."},
				{Name: AttrEncryptedApplications, Kind: bl, Doc: "The disk is encrypted."},
				{Name: AttrFirewallEnabled, Kind: bl, Doc: "The firewall is on."},
				{Name: AttrInfected, Kind: bl, NumericBool: true, Doc: "The agent reports an infection; 1 and 0 are accepted for true and false."},
				{Name: AttrIsActive, Kind: bl, Doc: "The agent was active recently (SentinelOne's isActive)."},
			}},
		},
		New: func(cfg integrations.Config) (integrations.Source, error) { return New(cfg) },
	}
}
