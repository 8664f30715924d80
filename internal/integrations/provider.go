package integrations

import (
	"fmt"
	"slices"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/posture"
)

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

	// Declared, if set, marks a provider whose attributes are declared by
	// the vendor at each sync rather than fixed (the custom feed): they go
	// under the namespace the integration's tenantId names, which must
	// not be another's. Declared returns that namespace's catalogue from
	// the tenantId and the schema stored after the last successful sync
	// (IntegrationStatus.Schema, from Declarer); "" means none yet.
	Declared func(tenantID, schema string) (posture.Namespace, error)
	// Validate, if set, checks an integration's configuration when it is
	// created or updated, beyond the required fields (BaseURL is already
	// resolved). Its errors are EINVALID.
	Validate func(Config) error

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

// CheckAttributes returns an error naming the first of attrs that p's
// catalogue does not declare: a name outside its namespaces or not
// listed in a closed one, a value of another type, or a string outside
// the declared values. Vendor tests run it on what a sync really writes,
// so the catalogue cannot drift from the code.
func (p Provider) CheckAttributes(attrs map[string]postern.Value) error {
	for name, v := range attrs {
		a, ok := p.attr(name)
		switch {
		case !ok:
			return fmt.Errorf("%s writes %s, which its catalogue does not declare", p.ID, name)
		case a.Kind != postern.KindNone && v.Kind() != a.Kind:
			return fmt.Errorf("%s writes %s as a %s; its catalogue says %s", p.ID, name, v.Kind(), a.Kind)
		case len(a.Values) > 0 && !slices.Contains(a.Values, v.Str()):
			return fmt.Errorf("%s writes %s = %s, outside its catalogue's values %v", p.ID, name, v, a.Values)
		}
	}
	return nil
}

// attr finds name among p's namespaces.
func (p Provider) attr(name string) (posture.Attr, bool) {
	prefix, rest, _ := strings.Cut(name, ":")
	for _, ns := range p.Namespaces {
		if ns.Name != prefix {
			continue
		}
		for _, a := range ns.Attrs {
			if a.Name == name {
				return a, true
			}
		}
		if ns.Open && rest != "" {
			return posture.Attr{Name: name, Kind: ns.OpenKind}, true
		}
	}
	return posture.Attr{}, false
}
