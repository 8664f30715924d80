// Package providers is the list of posture providers: one registration
// line per provider package, and the attribute catalogue they make
// together with the built-in namespaces.
package providers

import (
	"fmt"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/falcon"
	"github.com/postern/postern/internal/integrations/feed"
	"github.com/postern/postern/internal/integrations/fleet"
	"github.com/postern/postern/internal/integrations/huntress"
	"github.com/postern/postern/internal/integrations/intune"
	"github.com/postern/postern/internal/integrations/jamfpro"
	"github.com/postern/postern/internal/integrations/kandji"
	"github.com/postern/postern/internal/integrations/kolide"
	"github.com/postern/postern/internal/integrations/sentinelone"
	"github.com/postern/postern/internal/posture"
)

// All returns every provider, in the order the console and the docs show
// them. Adding a provider is one line here.
func All() []integrations.Provider {
	return []integrations.Provider{
		fleet.Provider(),
		kandji.Provider(),
		sentinelone.Provider(),
		falcon.Provider(),
		intune.Provider(),
		jamfpro.Provider(),
		kolide.Provider(),
		huntress.Provider(),
		feed.Provider(),
	}
}

// Lookup returns the provider whose ID is id. An unknown id is an
// EINVALID error naming the known ones.
func Lookup(id string) (integrations.Provider, error) {
	all := All()
	ids := make([]string, 0, len(all))
	for _, p := range all {
		if p.ID == id {
			return p, nil
		}
		ids = append(ids, p.ID)
	}
	return integrations.Provider{}, postern.Errorf(postern.EINVALID, "unknown posture integration provider %q (want one of %s)", id, strings.Join(ids, ", "))
}

// Catalog returns the full attribute catalogue: the built-in node:, ip:
// and custom: namespaces and every provider's.
func Catalog() *posture.Catalog {
	var ns []posture.Namespace
	for _, p := range All() {
		ns = append(ns, p.Namespaces...)
	}
	c, err := posture.NewCatalog(ns...)
	if err != nil {
		// The providers' tables are constants; TestCatalog catches a clash.
		panic(fmt.Sprintf("providers: %v", err))
	}
	return c
}
