package policy

import (
	"net/netip"

	"go4.org/netipx"

	"github.com/postern/postern/internal/posture"
)

// Policy is a parsed and validated tailnet policy file. It holds no tailnet
// state; Compile joins it with users and nodes.
type Policy struct {
	Groups    map[string][]string // "group:x" → member emails
	TagOwners map[string][]string // "tag:x" → owners
	Hosts     map[string]netip.Prefix
	IPSets    map[string]*netipx.IPSet // "ipset:x" → addresses

	// Rules are the acls entries then the grants entries, normalised.
	Rules []*Rule
	// Postures are the postures section by name ("posture:x").
	Postures map[string]*posture.Posture
	// DefaultSrcPosture applies to rules without their own srcPosture.
	DefaultSrcPosture []string

	Tests         []*Test
	SSH           []*SSHRule
	AutoApprovers AutoApprovers
}

// Rule is one acls or grants entry: traffic from Src to each leg's
// destination is accepted when the source passes the rule's postures.
type Rule struct {
	Section    string // "acls" or "grants"
	Index      int    // position in its section, from 0
	Line, Col  int    // where the entry starts
	Src        []Selector
	Legs       []Leg
	SrcPosture []string // the entry's own srcPosture; empty means the default applies
	App        bool     // a grant with an app section (capabilities are not packet filters)
}

// Leg is one destination of a rule with the protocols and ports it opens.
type Leg struct {
	Dst    Selector
	Protos []int       // IANA protocol numbers; nil means TCP, UDP and ICMP
	Ports  []PortRange // inclusive ranges
}

// PortRange is an inclusive range of ports; 0-65535 means any.
type PortRange struct{ First, Last uint16 }

// SelKind is what a selector names.
type SelKind int

// The selector kinds.
const (
	SelAll       SelKind = iota // "*"
	SelUser                     // a login email
	SelGroup                    // "group:x"
	SelTag                      // "tag:x"
	SelPrefix                   // an IP, CIDR or hosts alias
	SelIPSet                    // "ipset:x"
	SelMember                   // autogroup:member
	SelTagged                   // autogroup:tagged
	SelSelf                     // autogroup:self
	SelInternet                 // autogroup:internet
	SelRole                     // autogroup:admin, autogroup:owner, ...: users with that role
	SelDangerAll                // autogroup:danger-all
	SelDomain                   // user:*@domain: every user of that email domain
	SelNone                     // autogroup:shared: devices shared in from other tailnets (none here)
)

// Selector is one parsed src or dst element.
type Selector struct {
	Kind   SelKind
	Name   string       // as written (host part for destinations)
	Prefix netip.Prefix // SelPrefix
	Role   string       // SelRole: "admin", "owner", ...
	Domain string       // SelDomain: "example.com"
}

// Test is one entry of the tests block.
type Test struct {
	Line, Col int
	Src       string
	Proto     string
	Accept    []string
	Deny      []string
	Attrs     posture.Map // srcPostureAttrs
	bad       string      // a malformed entry fails when run, as Tailscale's do
}

// SSHRule is one entry of the ssh section, validated but not enforced by
// the packet filter.
type SSHRule struct {
	Line, Col   int
	Action      string
	Src, Dst    []string
	Users       []string
	CheckPeriod string
	SrcPosture  []string
}

// AutoApprovers is the autoApprovers section.
type AutoApprovers struct {
	Routes   map[netip.Prefix][]string
	ExitNode []string
}
