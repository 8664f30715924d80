package posture

import (
	"fmt"
	"slices"
	"strings"

	"github.com/postern/postern"
)

// Attr is one attribute of a catalogue: its full name, its type and, for
// a string, the values it takes. The writer of the attribute (a posture
// provider, or the control server for node:*) declares it; the type
// checker, the docs and the console read it.
type Attr struct {
	Name    string       // e.g. "kandji:mdmEnabled"
	Kind    postern.Kind // postern.KindString, KindNumber or KindBool
	Version bool         // a string compared as a version (CompareVersions)
	Values  []string     // the values a string takes; empty means any
	Doc     string       // one sentence for the docs and the console

	// NumericBool lets a bool attribute be compared with the numbers 0
	// and 1 as well (1 is true), for an attribute that Tailscale's docs
	// once typed as a number (sentinelOne:infected).
	NumericBool bool
	// Unavailable, if set, says why no device has this attribute in
	// Postern (e.g. no GeoIP database for ip:country); the checker
	// refuses a condition on it with this reason rather than accept a
	// rule that can never match.
	Unavailable string
}

// Namespace is the attributes under one prefix ("kandji" for
// "kandji:..."), as the one writer of that prefix declares them.
//
// A closed namespace lists every attribute in Attrs, so an unknown name
// in it is a mistake to report. An open one (Open) accepts any name, each
// of kind OpenKind (KindNone: any kind), as fleetPolicy:<name> and
// custom:<name> do.
type Namespace struct {
	Name     string // the prefix, without the colon
	Attrs    []Attr
	Open     bool
	OpenKind postern.Kind

	Doc string // one sentence on who writes the namespace, for the docs
}

// Builtin returns the namespaces posture itself declares: node:, which
// the control server fills from what the client reports; ip:, about the
// client's address; and custom:, which admins set through the API.
func Builtin() []Namespace {
	const (
		str = postern.KindString
		bl  = postern.KindBool
	)
	return []Namespace{
		{Name: "node", Doc: "Reported by the Tailscale client and kept by the control server.", Attrs: []Attr{
			{Name: "node:os", Kind: str, Values: []string{"aix", "android", "dragonfly", "freebsd", "illumos", "ios", "js", "linux", "macos", "netbsd", "openbsd", "plan9", "solaris", "tvos", "wasip1", "windows"}, Doc: "The operating system the client runs on (Go's GOOS, with macos, ios and tvos for Apple's)."},
			{Name: "node:osVersion", Kind: str, Version: true, Doc: "The operating system's version, as the client reports it."},
			{Name: "node:tsReleaseTrack", Kind: str, Values: []string{"stable", "unstable"}, Doc: "The client's release track."},
			{Name: "node:tsVersion", Kind: str, Version: true, Doc: "The Tailscale client's version, e.g. 1.76.1."},
			{Name: "node:tsAutoUpdate", Kind: bl, Doc: "Whether the client updates itself."},
			{Name: "node:tsStateEncrypted", Kind: bl, Doc: "Whether the client keeps its state encrypted (TPM or Keychain)."},
		}},
		{Name: "ip", Doc: "About the client's public address.", Attrs: []Attr{
			{Name: "ip:country", Kind: str, Doc: "The ISO 3166-1 country of the client's public address.",
				Unavailable: "Postern has no GeoIP database to find the country of an address, so no device would ever have it and a rule on it would deny everyone"},
		}},
		{Name: "custom", Open: true, Doc: "Set by admins and scripts through the API; any name, any type."},
	}
}

// Catalog is every attribute Postern knows: the built-in namespaces and
// those of each posture provider. The type checker reads it (Check); a
// nil *Catalog holds the built-in namespaces only.
type Catalog struct {
	spaces  []Namespace
	ns      map[string]*Namespace
	attrs   map[string]*Attr
	lenient bool // see Lenient
}

// NewCatalog returns the catalogue of the built-in namespaces and
// provided. It is an error for two namespaces, or two attributes, to have
// the same name, or for an attribute to sit outside its namespace.
func NewCatalog(provided ...Namespace) (*Catalog, error) {
	c := &Catalog{ns: map[string]*Namespace{}, attrs: map[string]*Attr{}}
	c.spaces = append(Builtin(), provided...)
	for i := range c.spaces {
		n := &c.spaces[i]
		if _, dup := c.ns[n.Name]; dup || n.Name == "" {
			return nil, fmt.Errorf("attribute namespace %q is declared twice or has no name", n.Name)
		}
		c.ns[n.Name] = n
		for j := range n.Attrs {
			a := &n.Attrs[j]
			if !strings.HasPrefix(a.Name, n.Name+":") || len(a.Name) == len(n.Name)+1 {
				return nil, fmt.Errorf("attribute %q is not in its namespace %q", a.Name, n.Name)
			}
			if _, dup := c.attrs[a.Name]; dup {
				return nil, fmt.Errorf("attribute %q is declared twice", a.Name)
			}
			c.attrs[a.Name] = a
		}
	}
	return c, nil
}

// builtin is the catalogue a nil *Catalog stands for.
func builtin() *Catalog {
	c, err := NewCatalog()
	if err != nil {
		panic(err) // Builtin is a constant table; a test covers it
	}
	return c
}

// orBuiltin returns c, or the built-in catalogue if c is nil.
func (c *Catalog) orBuiltin() *Catalog {
	if c == nil {
		return builtin()
	}
	return c
}

// Lenient returns a copy of c for reading a policy saved under older,
// looser rules (the policy in force when the server starts): a name, a
// namespace or a value the catalogue does not know, and an unavailable
// attribute, are accepted untyped, as they were then, so that an upgrade
// never refuses the policy in force. Such a condition never matches a
// device. Saving a policy uses the strict catalogue.
func (c *Catalog) Lenient() *Catalog {
	l := *c.orBuiltin()
	l.lenient = true
	return &l
}

// Namespaces returns every namespace: the built-in ones first, then the
// providers' in the order given to NewCatalog.
func (c *Catalog) Namespaces() []Namespace {
	return slices.Clone(c.orBuiltin().spaces)
}

// Attr returns the attribute named name, for a name declared in a closed
// namespace or any name in an open one (with the namespace's OpenKind).
func (c *Catalog) Attr(name string) (Attr, bool) {
	c = c.orBuiltin()
	if a, ok := c.attrs[name]; ok {
		return *a, true
	}
	ns, rest, _ := strings.Cut(name, ":")
	if n, ok := c.ns[ns]; ok && n.Open && rest != "" {
		return Attr{Name: name, Kind: n.OpenKind}, true
	}
	return Attr{}, false
}

// names returns every declared attribute name, for suggestions.
func (c *Catalog) names() []string {
	out := make([]string, 0, len(c.attrs))
	for _, n := range c.spaces {
		for _, a := range n.Attrs {
			out = append(out, a.Name)
		}
	}
	return out
}

// namespaceNames returns every namespace name in catalogue order.
func (c *Catalog) namespaceNames() []string {
	out := make([]string, 0, len(c.spaces))
	for _, n := range c.spaces {
		out = append(out, n.Name)
	}
	return out
}
