package policy

import (
	"net/netip"
	"strings"

	"github.com/tailscale/hujson"
	"go4.org/netipx"
)

// parseGroups reads "group:x" → member emails. Groups cannot nest.
func parseGroups(d *decoder, p *Policy, v *hujson.Value) {
	ms, ok := d.object(v, "groups")
	if !ok {
		return
	}
	for _, m := range ms {
		if !strings.HasPrefix(m.Key, "group:") || len(m.Key) == len("group:") {
			d.errf(m.Name, "group %q: group names must start with \"group:\"", m.Key)
			continue
		}
		list, _ := d.strList(m.Val, m.Key)
		members := make([]string, 0, len(list))
		for _, e := range list {
			switch {
			case strings.HasPrefix(e.S, "group:"):
				d.errAt(e.Pos, "%s: groups cannot contain other groups: %q", m.Key, e.S)
			case strings.HasPrefix(e.S, "tag:") || strings.HasPrefix(e.S, "autogroup:"):
				d.errAt(e.Pos, "%s: group members must be users: %q", m.Key, e.S)
			case !strings.Contains(e.S, "@"):
				d.errAt(e.Pos, "%s: invalid user %q", m.Key, e.S)
			default:
				members = append(members, e.S)
			}
		}
		p.Groups[m.Key] = members
	}
}

// parseTagOwners reads "tag:x" → owners. Every tag is defined before any
// owner is checked, so tags may own each other in any order.
func parseTagOwners(d *decoder, p *Policy, v *hujson.Value) {
	ms, ok := d.object(v, "tagOwners")
	if !ok {
		return
	}
	for _, m := range ms {
		if !validTagName(m.Key) {
			d.errf(m.Name, "tagOwners: invalid tag name %q", m.Key)
			continue
		}
		p.TagOwners[m.Key] = nil
	}
	for _, m := range ms {
		if _, ok := p.TagOwners[m.Key]; !ok {
			continue
		}
		owners, _ := d.strList(m.Val, m.Key)
		var out []string
		for _, o := range owners {
			if checkOwner(d, p, o, "tagOwners["+m.Key+"]") {
				out = append(out, o.S)
			}
		}
		p.TagOwners[m.Key] = out
	}
}

// validTagName reports whether s is "tag:" followed by letters, digits and
// dashes, starting with a letter, as Tailscale requires.
func validTagName(s string) bool {
	name, ok := strings.CutPrefix(s, "tag:")
	if !ok || name == "" {
		return false
	}
	for i, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// checkOwner validates a tag, route or exit-node owner: a user, a defined
// group or tag, or an admin autogroup.
func checkOwner(d *decoder, p *Policy, o posString, field string) bool {
	switch {
	case strings.HasPrefix(o.S, "tag:"):
		if _, ok := p.TagOwners[o.S]; !ok {
			d.errAt(o.Pos, "%s=tag not found: %q", field, o.S)
			return false
		}
	case strings.HasPrefix(o.S, "group:"):
		if _, ok := p.Groups[o.S]; !ok {
			d.errAt(o.Pos, "%s=group not found: %q", field, o.S)
			return false
		}
	case strings.HasPrefix(o.S, "autogroup:"):
		switch o.S {
		case "autogroup:admin", "autogroup:owner", "autogroup:network-admin", "autogroup:it-admin", "autogroup:member":
		default:
			d.errAt(o.Pos, "%s=%q: autogroup not allowed here", field, o.S)
			return false
		}
	case !strings.Contains(o.S, "@"):
		d.errAt(o.Pos, "%s=%q: invalid owner", field, o.S)
		return false
	}
	return true
}

// parseHosts reads name → IP or CIDR.
func parseHosts(d *decoder, p *Policy, v *hujson.Value) {
	ms, ok := d.object(v, "hosts")
	if !ok {
		return
	}
	for _, m := range ms {
		if m.Key == "" || strings.ContainsAny(m.Key, "@:") || strings.HasPrefix(m.Key, "autogroup") {
			d.errf(m.Name, "hosts: invalid host name %q", m.Key)
			continue
		}
		s, ok := d.str(m.Val, "hosts["+m.Key+"]")
		if !ok {
			continue
		}
		pfx, err := parsePrefix(s)
		if err != nil {
			d.errf(m.Val, "hosts[%q]: invalid IP address or CIDR %q", m.Key, s)
			continue
		}
		p.Hosts[m.Key] = pfx
	}
}

// parsePrefix reads an IP address (as a single-address prefix) or a CIDR,
// masking host bits.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return pfx.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseIPSets reads "ipset:x" → ["add T", "remove T", "T"], resolving
// references to other ipsets in any order and rejecting cycles.
func parseIPSets(d *decoder, p *Policy, v *hujson.Value) {
	ms, ok := d.object(v, "ipsets")
	if !ok {
		return
	}
	defs := map[string][]posString{}
	for _, m := range ms {
		if !strings.HasPrefix(m.Key, "ipset:") || len(m.Key) == len("ipset:") {
			d.errf(m.Name, "ipsets: %q must start with \"ipset:\"", m.Key)
			continue
		}
		defs[m.Key], _ = d.strList(m.Val, m.Key)
	}
	state := map[string]int{} // 1 = resolving, 2 = done
	var resolve func(name string, at position) *netipx.IPSet
	resolve = func(name string, at position) *netipx.IPSet {
		switch state[name] {
		case 1:
			d.errAt(at, "ipsets: cycle through %q", name)
			return &netipx.IPSet{}
		case 2:
			return p.IPSets[name]
		}
		state[name] = 1
		var b netipx.IPSetBuilder
		for _, e := range defs[name] {
			op, target, found := strings.Cut(e.S, " ")
			if !found {
				op, target = "add", e.S
			}
			target = strings.TrimSpace(target)
			if op != "add" && op != "remove" {
				d.errAt(e.Pos, "%s: invalid entry %q: want \"add TARGET\" or \"remove TARGET\"", name, e.S)
				continue
			}
			var s *netipx.IPSet
			switch {
			case strings.HasPrefix(target, "ipset:"):
				if _, ok := defs[target]; !ok {
					d.errAt(e.Pos, "%s: ipset not found: %q", name, target)
					continue
				}
				s = resolve(target, e.Pos)
			default:
				var err error
				s, err = ipsetTarget(p, target)
				if err != nil {
					d.errAt(e.Pos, "%s: %v", name, err)
					continue
				}
			}
			if op == "add" {
				b.AddSet(s)
			} else {
				b.RemoveSet(s)
			}
		}
		set, _ := b.IPSet()
		p.IPSets[name] = set
		state[name] = 2
		return set
	}
	for _, m := range ms {
		if _, ok := defs[m.Key]; ok {
			resolve(m.Key, d.at(m.Name))
		}
	}
}

// ipsetTarget resolves one non-ipset ipset target.
func ipsetTarget(p *Policy, t string) (*netipx.IPSet, error) {
	var b netipx.IPSetBuilder
	switch {
	case t == "autogroup:internet":
		b.AddSet(internetSet())
	case strings.HasPrefix(t, "host:"):
		pfx, ok := p.Hosts[strings.TrimPrefix(t, "host:")]
		if !ok {
			return nil, errorf("host not found: %q", t)
		}
		b.AddPrefix(pfx)
	case strings.Contains(t, "-") && !strings.Contains(t, "/"):
		r, err := netipx.ParseIPRange(t)
		if err != nil {
			return nil, errorf("invalid IP range %q", t)
		}
		b.AddRange(r)
	default:
		pfx, err := parsePrefix(t)
		if err != nil {
			return nil, errorf("invalid ipset target %q: want an IP, CIDR, range, host:NAME, ipset:NAME or autogroup:internet", t)
		}
		b.AddPrefix(pfx)
	}
	return b.IPSet()
}
