package kolide

import (
	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

// ID is the provider's id in the API ("provider": "kolide").
const ID = "kolide"

// DefaultHost is Kolide's one global API.
const DefaultHost = "api.kolide.com"

// AttrAuthState is the one attribute the provider writes: the device's
// authentication state in Kolide.
const AttrAuthState = "kolide:authState"

// The values of kolide:authState, as Kolide reports them and Tailscale
// writes them.
const (
	StateGood      = "Good"
	StateNotified  = "Notified"
	StateWillBlock = "Will Block"
	StateBlocked   = "Blocked"
)

// Provider describes Kolide (1Password Device Trust) to the registry.
func Provider() integrations.Provider {
	return integrations.Provider{
		ID:    ID,
		Label: "Kolide", // now 1Password Device Trust; "Kolide" reads well in status sentences
		// Kolide has one API; cloudId stays empty, except to point at
		// another host (a proxy or a fake).
		CloudID:     integrations.Field{Label: "API URL", Hint: "leave empty for " + DefaultHost},
		Secret:      integrations.Field{Label: "API key", Hint: "k2sk_v1_...", Required: true},
		DefaultHost: DefaultHost,
		Namespaces: []posture.Namespace{{
			Name: "kolide",
			Attrs: []posture.Attr{{
				Name:   AttrAuthState,
				Kind:   postern.KindString,
				Values: []string{StateGood, StateNotified, StateWillBlock, StateBlocked},
				Doc:    "The device's authentication state in Kolide: Good, Notified (failing a check that only notifies), Will Block (failing a check that blocks it after a grace period) or Blocked.",
			}},
		}},
		New: func(cfg integrations.Config) (integrations.Source, error) {
			c, err := New(cfg)
			if err != nil {
				return nil, err // not a nil *Client in a non-nil Source
			}
			return c, nil
		},
	}
}
