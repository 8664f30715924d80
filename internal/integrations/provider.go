package integrations

import "github.com/postern/postern/internal/posture"

// Provider describes one posture provider. Everything Postern knows
// about a vendor lives in its package, which returns this value from a
// function named Provider; the list of providers names each package once.
type Provider struct {
	ID    string // the API's "provider" value, e.g. "jamfpro"
	Label string // how people name it, e.g. "Jamf Pro"

	// The integration fields the provider takes, with the names its own
	// console uses. A Field with an empty Label is not used.
	CloudID, ClientID, TenantID, Secret Field

	// DefaultHost is the vendor API's host when cloudId is empty (a
	// provider with one global API, e.g. "api.kolide.com"); empty means
	// cloudId is required.
	DefaultHost string
	// BaseURL, if set, resolves cloudId into the API's base URL in a way
	// of the vendor's own (Falcon regions); nil means the common rule: an
	// FQDN or a full https URL (http only for loopback).
	BaseURL func(cloudID string) (string, error)
	// APIPaths are the API path prefixes a user may paste along with the
	// host ("/api/v1"); the vendor client adds them itself, so the common
	// rule cuts them off.
	APIPaths []string

	MatchMAC bool // vendor records are matched by MAC address as well as serial

	// Namespaces is the attribute catalogue: every attribute the
	// provider writes, with its type and values.
	Namespaces []posture.Namespace

	// New returns the vendor client for an integration's configuration.
	New func(Config) (Source, error)
}

// Field is one configuration field of a provider, as its console shows it.
type Field struct {
	Label    string // e.g. "Tenant ID"; empty if the provider does not take it
	Hint     string // an example value
	Required bool
	// Choices are values the console offers to pick from (Falcon's
	// regions); other values are accepted too.
	Choices []string
}
