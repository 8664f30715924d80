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

// CatalogFor returns the catalogue a tailnet's policy is checked against
// when it is saved: Catalog, plus a namespace for each of the tailnet's
// integrations ins whose provider's vendor declares its attributes
// (Declared), named by its tenantId. That namespace is closed, with the
// declared names and types, once a sync has stored a schema, and open
// (any name, any kind) before. A namespace that another already holds is
// left out: the registered providers' and the built-in ones win, as
// creating an integration refuses such a name anyway.
func CatalogFor(ins []postern.Integration) (*posture.Catalog, error) {
	var ns []posture.Namespace
	taken := map[string]bool{}
	for _, n := range posture.Builtin() {
		taken[n.Name] = true
	}
	for _, p := range All() {
		for _, n := range p.Namespaces {
			taken[n.Name] = true
		}
		ns = append(ns, p.Namespaces...)
	}
	for _, in := range ins {
		p, err := Lookup(in.Provider)
		if err != nil || p.Declared == nil || taken[in.TenantID] {
			continue
		}
		n, err := p.Declared(in.TenantID, in.Status.Schema)
		if err != nil {
			return nil, fmt.Errorf("the attribute namespace of integration %s: %w", in.ID, err)
		}
		taken[n.Name] = true
		ns = append(ns, n)
	}
	return posture.NewCatalog(ns...)
}

// CatalogWithOpen returns Catalog plus an open namespace (any name, any
// kind) for each of names: what `postern policy check --namespace`
// declares for a custom feed's namespace, as a server does before the
// feed's first sync. A name Catalog already has is an error.
func CatalogWithOpen(names ...string) (*posture.Catalog, error) {
	var ns []posture.Namespace
	for _, p := range All() {
		ns = append(ns, p.Namespaces...)
	}
	for _, name := range names {
		if NamespaceTaken(name) {
			return nil, fmt.Errorf("namespace %q is already Postern's or a provider's", name)
		}
		if name == "" || strings.ContainsAny(name, ": ") {
			return nil, fmt.Errorf("namespace %q: want a name without a colon, such as acme", name)
		}
		ns = append(ns, posture.Namespace{Name: name, Open: true, Doc: "Declared on the command line."})
	}
	return posture.NewCatalog(ns...)
}

// NamespaceTaken reports whether name is a namespace the built-in
// catalogue or a registered provider already writes, which a provider
// whose vendor declares its attributes may not use.
func NamespaceTaken(name string) bool {
	for _, n := range Catalog().Namespaces() {
		if n.Name == name {
			return true
		}
	}
	return false
}
