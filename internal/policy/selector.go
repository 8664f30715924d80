package policy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// roleAutogroups maps the role autogroups to the user role they select.
var roleAutogroups = map[string]string{
	"autogroup:admin":         "admin",
	"autogroup:owner":         "owner",
	"autogroup:it-admin":      "it-admin",
	"autogroup:network-admin": "network-admin",
	"autogroup:billing-admin": "billing-admin",
	"autogroup:auditor":       "auditor",
}

// side is where a selector appears; Tailscale allows some only on one side.
type side int

const (
	srcSide side = iota
	dstSide
)

// errNotFound marks a selector naming an undefined tag, group, host or
// ipset; the message keeps Tailscale's "src=tag not found" shape.
type notFoundError struct{ kind, name string }

func (e *notFoundError) Error() string { return fmt.Sprintf("%s not found: %q", e.kind, e.name) }

// parseSelector parses a src element or a dst host (ports removed).
func parseSelector(p *Policy, s string, sd side) (Selector, error) {
	switch {
	case s == "*":
		return Selector{Kind: SelAll, Name: s}, nil
	case strings.HasPrefix(s, "autogroup:"):
		return parseAutogroup(s, sd)
	case strings.HasPrefix(s, "group:"):
		if _, ok := p.Groups[s]; !ok {
			return Selector{}, &notFoundError{"group", s}
		}
		return Selector{Kind: SelGroup, Name: s}, nil
	case strings.HasPrefix(s, "tag:"):
		if _, ok := p.TagOwners[s]; !ok {
			return Selector{}, &notFoundError{"tag", s}
		}
		return Selector{Kind: SelTag, Name: s}, nil
	case strings.HasPrefix(s, "ipset:"):
		if _, ok := p.IPSets[s]; !ok {
			return Selector{}, &notFoundError{"ipset", s}
		}
		return Selector{Kind: SelIPSet, Name: s}, nil
	case strings.HasPrefix(s, "user:"):
		domain, ok := strings.CutPrefix(s, "user:*@")
		if !ok || domain == "" || strings.Contains(domain, "@") {
			return Selector{}, errorf("invalid user selector %q: want user:*@DOMAIN", s)
		}
		return Selector{Kind: SelDomain, Name: s, Domain: strings.ToLower(domain)}, nil
	case strings.Contains(s, "@"):
		if strings.HasPrefix(s, "@") || strings.HasSuffix(s, "@") {
			return Selector{}, errorf("invalid user %q", s)
		}
		return Selector{Kind: SelUser, Name: s}, nil
	}
	if pfx, ok := p.Hosts[s]; ok {
		return Selector{Kind: SelPrefix, Name: s, Prefix: pfx}, nil
	}
	if pfx, err := parsePrefix(s); err == nil {
		return Selector{Kind: SelPrefix, Name: s, Prefix: pfx}, nil
	}
	if strings.Contains(s, "/") || strings.Count(s, ".") == 3 {
		return Selector{}, errorf("invalid IP address or CIDR %q", s)
	}
	return Selector{}, &notFoundError{"host", s}
}

var errSelfOnSrc = errors.New(`"autogroup:self" not valid on the src side of a rule`)

func parseAutogroup(s string, sd side) (Selector, error) {
	if role, ok := roleAutogroups[s]; ok {
		return Selector{Kind: SelRole, Name: s, Role: role}, nil
	}
	switch s {
	case "autogroup:member", "autogroup:members":
		return Selector{Kind: SelMember, Name: s}, nil
	case "autogroup:tagged":
		return Selector{Kind: SelTagged, Name: s}, nil
	case "autogroup:self":
		if sd == srcSide {
			return Selector{}, errSelfOnSrc
		}
		return Selector{Kind: SelSelf, Name: s}, nil
	case "autogroup:internet":
		if sd == srcSide {
			return Selector{}, errorf("%q not valid on the src side of a rule", s)
		}
		return Selector{Kind: SelInternet, Name: s}, nil
	case "autogroup:shared":
		if sd == dstSide {
			return Selector{}, errorf("%q not valid on the dst side of a rule", s)
		}
		return Selector{Kind: SelNone, Name: s}, nil
	case "autogroup:nonroot":
		return Selector{}, errorf("%q is only valid in ssh users", s)
	case "autogroup:danger-all":
		if sd == dstSide {
			return Selector{}, errorf("%q not valid on the dst side of a rule", s)
		}
		return Selector{Kind: SelDangerAll, Name: s}, nil
	}
	return Selector{}, errorf("autogroup not found: %q", s)
}

// selfCompatible reports whether a source may be paired with an
// autogroup:self destination: only users, groups and user autogroups.
func selfCompatible(s Selector) bool {
	switch s.Kind {
	case SelAll, SelUser, SelGroup, SelMember, SelRole, SelDomain:
		return true
	}
	return false
}

// splitHostPort splits a dst "host:ports" at the last colon; "[v6]:ports"
// keeps the brackets off.
func splitHostPort(s string) (host, ports string, ok bool) {
	if strings.HasPrefix(s, "[") {
		if i := strings.Index(s, "]:"); i > 0 {
			return s[1:i], s[i+2:], true
		}
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// internetPrefixes are what autogroup:internet stands for: the public
// address space without private, CGNAT and link-local ranges.
func internetPrefixes() []netip.Prefix {
	s := internetSet()
	return s.Prefixes()
}
