package policy

import (
	"net/netip"
	"strconv"
	"strings"
)

// PreviewMatch is one rule a preview finds, in the shape of Tailscale's
// ACL preview (UserRuleMatch).
type PreviewMatch struct {
	Users      []string `json:"users"`              // the rule's sources, as written
	Ports      []string `json:"ports"`              // the rule's destinations, host:ports
	LineNumber int      `json:"lineNumber"`         // where the rule starts
	Postures   []string `json:"postures,omitempty"` // the srcPosture that applies, if any
}

// PreviewUser lists, in file order, the rules whose sources include the
// user with login name login.
func (c *Compiled) PreviewUser(login string) []PreviewMatch {
	pr := principal{user: strings.ToLower(login)}
	var out []PreviewMatch
	for _, cr := range c.rules {
		for _, s := range cr.r.Src {
			if c.srcMatchesPrincipal(s, pr) {
				out = append(out, c.previewMatch(cr))
				break
			}
		}
	}
	return out
}

// PreviewIPPort lists, in file order, the rules that open TCP port on
// address ip to some source.
func (c *Compiled) PreviewIPPort(ip netip.Addr, port uint16) []PreviewMatch {
	var out []PreviewMatch
	for _, cr := range c.rules {
		for _, leg := range cr.r.Legs {
			// autogroup:self depends on the source; any user of the
			// destination's owner qualifies, so test with that owner.
			pr := principal{}
			if i, ok := c.byAddr[ip]; ok && !c.nodes[i].tagged() {
				pr.user = strings.ToLower(c.nodes[i].User)
			}
			if legAllows(leg, 6, port) && c.dstContains(leg.Dst, ip, pr) {
				out = append(out, c.previewMatch(cr))
				break
			}
		}
	}
	return out
}

func (c *Compiled) previewMatch(cr *crule) PreviewMatch {
	m := PreviewMatch{LineNumber: cr.r.Line}
	for _, s := range cr.r.Src {
		m.Users = append(m.Users, s.Name)
	}
	for _, leg := range cr.r.Legs {
		m.Ports = append(m.Ports, leg.Dst.Name+":"+portsText(leg.Ports))
	}
	for _, pi := range cr.postures {
		m.Postures = append(m.Postures, c.postures[pi].Name)
	}
	return m
}

// portsText writes port ranges the way the policy file does.
func portsText(rs []PortRange) string {
	var parts []string
	for _, r := range rs {
		switch {
		case r.First == 0 && r.Last == 65535:
			parts = append(parts, "*")
		case r.First == r.Last:
			parts = append(parts, strconv.Itoa(int(r.First)))
		default:
			parts = append(parts, strconv.Itoa(int(r.First))+"-"+strconv.Itoa(int(r.Last)))
		}
	}
	return strings.Join(parts, ",")
}
