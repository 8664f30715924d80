package kandji

import (
	"net/url"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// ID is the API's "provider" value for Kandji.
const ID = "kandji"

// Provider describes Kandji to Postern: its fields, its base URL rule
// (a console URL becomes the API URL) and the attributes it writes.
func Provider() integrations.Provider {
	return integrations.Provider{
		ID:      ID,
		Label:   "Kandji",
		CloudID: integrations.Field{Label: "Kandji console or API URL", Hint: "acme.kandji.io", Required: true},
		Secret:  integrations.Field{Label: "API token", Required: true},
		BaseURL: BaseURL,
		Namespaces: []posture.Namespace{
			{Name: "kandji", Doc: "Written by the Kandji (Iru) integration from Prism device information.", Attrs: []posture.Attr{
				{Name: "kandji:mdmEnabled", Kind: postern.KindBool, Doc: "The device is enrolled in Kandji MDM."},
				{Name: "kandji:agentInstalled", Kind: postern.KindBool, Doc: "The Kandji agent is installed (unset when Kandji does not say)."},
			}},
		},
		New: func(cfg integrations.Config) (integrations.Source, error) { return New(cfg) },
	}
}

// BaseURL resolves a Kandji cloudId: "the URL you use to access the
// Kandji console", as Tailscale's setup asks for (acme.kandji.io, or
// acme.eu.kandji.io in the EU), becomes its API URL
// (https://acme.api.kandji.io, https://acme.api.eu.kandji.io); an API URL
// or any other host passes by the common rule, with /api/v1 cut off.
func BaseURL(cloudID string) (string, error) {
	base, err := integrations.HostURL(cloudID, "/api/v1")
	if err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if api, ok := apiHost(u.Hostname()); ok && u.Port() == "" {
		// A console path (/devices) means nothing to the API.
		return "https://" + api, nil
	}
	return base, nil
}

// apiHost returns the API host of a Kandji console host: sub.kandji.io
// or sub.eu.kandji.io.
func apiHost(host string) (string, bool) {
	sub, ok := strings.CutSuffix(strings.ToLower(host), ".kandji.io")
	if !ok {
		return "", false
	}
	labels := strings.Split(sub, ".")
	switch {
	case len(labels) == 1 && labels[0] != "" && labels[0] != "api":
		return labels[0] + ".api.kandji.io", true
	case len(labels) == 2 && labels[1] == "eu" && labels[0] != "" && labels[0] != "api":
		return labels[0] + ".api.eu.kandji.io", true
	}
	return "", false
}
