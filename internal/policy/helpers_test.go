package policy

import (
	"net/netip"

	"github.com/postern/postern/internal/providers"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// testCatalog is the attribute catalogue the server checks postures
// against: the built-in namespaces and every provider's.
var testCatalog = providers.Catalog()
