package policy

import (
	"net/netip"
	"sort"
	"strings"

	"go4.org/netipx"
)

// Tailscale's address space: the CGNAT range minus the block it reserves,
// and its IPv6 ULA prefix.
var (
	cgnat         = netip.MustParsePrefix("100.64.0.0/10")
	cgnatReserved = netip.MustParsePrefix("100.115.92.0/23")
	tailscaleULA  = netip.MustParsePrefix("fd7a:115c:a1e0::/48")
)

// ipSetBuilder accumulates a source or destination address set.
type ipSetBuilder struct{ b netipx.IPSetBuilder }

// strings renders the set the way Tailscale writes SrcIPs: a bare address
// for one address, CIDR for a prefix, "first-last" for other ranges.
func (s *ipSetBuilder) strings() []string {
	set, _ := s.b.IPSet()
	return setStrings(set)
}

func setStrings(set *netipx.IPSet) []string {
	var out []string
	for _, r := range set.Ranges() {
		if p, ok := r.Prefix(); ok {
			if p.IsSingleIP() {
				out = append(out, p.Addr().String())
			} else {
				out = append(out, p.String())
			}
			continue
		}
		out = append(out, r.From().String()+"-"+r.To().String())
	}
	return out
}

// withoutTailnet returns the set minus Tailscale's own address space: what
// stays in a rule's sources whatever the nodes' postures.
func (s *ipSetBuilder) withoutTailnet() *ipSetBuilder {
	out := &ipSetBuilder{}
	set, _ := s.b.IPSet()
	out.b.AddSet(set)
	out.b.RemovePrefix(cgnat)
	out.b.RemovePrefix(tailscaleULA)
	return out
}

// nodesIn returns the nodes with an address in [from, to].
func (c *Compiled) nodesIn(from, to netip.Addr, f func(i int)) {
	k := sort.Search(len(c.addrIdx), func(k int) bool { return !c.addrIdx[k].addr.Less(from) })
	for ; k < len(c.addrIdx) && !to.Less(c.addrIdx[k].addr); k++ {
		f(c.addrIdx[k].node)
	}
}

func (c *Compiled) nodesInPrefix(p netip.Prefix, f func(i int)) {
	r := netipx.RangeOfPrefix(p)
	c.nodesIn(r.From(), r.To(), f)
}

// matchNodes calls f for each node a node-naming selector matches.
// It reports false for selectors that name addresses, not nodes.
func (c *Compiled) matchNodes(s Selector, f func(i int)) bool {
	switch s.Kind {
	case SelAll, SelDangerAll:
		for i := range c.nodes {
			f(i)
		}
	case SelUser:
		for _, i := range c.userNodes[strings.ToLower(s.Name)] {
			f(i)
		}
	case SelGroup:
		for _, m := range c.p.Groups[s.Name] {
			for _, i := range c.userNodes[strings.ToLower(m)] {
				f(i)
			}
		}
	case SelTag:
		for i := range c.nodes {
			for _, t := range c.nodes[i].Tags {
				if t == s.Name {
					f(i)
					break
				}
			}
		}
	case SelTagged:
		for i := range c.nodes {
			if c.nodes[i].tagged() {
				f(i)
			}
		}
	case SelDomain:
		for u, ns := range c.userNodes {
			if strings.HasSuffix(u, "@"+s.Domain) {
				for _, i := range ns {
					f(i)
				}
			}
		}
	case SelNone:
	case SelMember, SelSelf:
		for u, ns := range c.userNodes {
			if _, ok := c.users[u]; ok {
				for _, i := range ns {
					f(i)
				}
			}
		}
	case SelRole:
		for u, ns := range c.userNodes {
			if usr, ok := c.users[u]; ok && string(usr.Role) == s.Role {
				for _, i := range ns {
					f(i)
				}
			}
		}
	default:
		return false
	}
	return true
}

// resolveSrc returns the nodes a rule's sources match and their address set.
func (c *Compiled) resolveSrc(sels []Selector) (bitset, *ipSetBuilder) {
	nodes := newBitset(len(c.nodes))
	set := &ipSetBuilder{}
	for _, s := range sels {
		switch s.Kind {
		case SelAll:
			set.b.AddPrefix(cgnat)
			set.b.RemovePrefix(cgnatReserved)
			set.b.AddPrefix(tailscaleULA)
			for _, i := range c.routers {
				for _, r := range c.nodes[i].ApprovedRoutes {
					set.b.AddPrefix(r)
				}
			}
			c.matchNodes(s, nodes.set)
		case SelDangerAll:
			set.b.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"))
			set.b.AddPrefix(netip.MustParsePrefix("::/0"))
			c.matchNodes(s, nodes.set)
		case SelPrefix:
			set.b.AddPrefix(s.Prefix)
			c.nodesInPrefix(s.Prefix, nodes.set)
		case SelIPSet:
			ips := c.p.IPSets[s.Name]
			set.b.AddSet(ips)
			for _, r := range ips.Ranges() {
				c.nodesIn(r.From(), r.To(), nodes.set)
			}
		default:
			c.matchNodes(s, func(i int) {
				nodes.set(i)
				for _, a := range c.nodes[i].addrs() {
					set.b.Add(a)
				}
			})
		}
	}
	return nodes, set
}

// coverLeg records which nodes a leg's destination covers and with which
// destination IPs: a node's own addresses for node selectors; the prefix as
// written for addresses, for every node holding an address in it or routing
// a subnet that overlaps it.
func (c *Compiled) coverLeg(cr *crule, ri, li int, leg Leg) {
	add := func(i int, ips []string) {
		c.nodeLegs[i] = append(c.nodeLegs[i], legRef{rule: int32(ri), leg: int32(li), ips: ips})
	}
	switch leg.Dst.Kind {
	case SelAll:
		c.globalLegs = append(c.globalLegs, legRef{rule: int32(ri), leg: int32(li), ips: []string{"*"}})
		for i := range c.nodes {
			cr.dstNodes.set(i)
		}
	case SelSelf:
		cr.self = true
		c.matchNodes(leg.Dst, func(i int) {
			for _, j := range c.userNodes[strings.ToLower(c.nodes[i].User)] {
				if cr.srcAll.has(j) {
					add(i, c.addrStrs[i])
					return
				}
			}
		})
	case SelPrefix:
		c.coverPrefixes(cr, []netip.Prefix{leg.Dst.Prefix}, add)
	case SelIPSet:
		c.coverPrefixes(cr, c.p.IPSets[leg.Dst.Name].Prefixes(), add)
	case SelInternet:
		var ips []string
		for _, p := range internetPrefixes() {
			ips = append(ips, p.String())
		}
		for _, i := range c.routers {
			for _, r := range c.nodes[i].ApprovedRoutes {
				if r.Bits() == 0 {
					add(i, ips)
					cr.dstNodes.set(i)
					break
				}
			}
		}
	default:
		seen := newBitset(len(c.nodes))
		c.matchNodes(leg.Dst, func(i int) {
			if !seen.has(i) {
				seen.set(i)
				add(i, c.addrStrs[i])
				cr.dstNodes.set(i)
			}
		})
	}
}

// coverPrefixes covers, for each node, the prefixes that contain one of its
// addresses or overlap one of its approved routes.
func (c *Compiled) coverPrefixes(cr *crule, pfxs []netip.Prefix, add func(int, []string)) {
	per := map[int][]string{}
	var order []int
	note := func(i int, s string) {
		l, ok := per[i]
		if !ok {
			order = append(order, i)
		}
		if len(l) == 0 || l[len(l)-1] != s {
			per[i] = append(l, s)
		}
	}
	for _, p := range pfxs {
		s := p.String()
		if p.IsSingleIP() {
			s = p.Addr().String()
		}
		c.nodesInPrefix(p, func(i int) { note(i, s) })
		for _, i := range c.routers {
			for _, r := range c.nodes[i].ApprovedRoutes {
				if r.Bits() > 0 && r.Overlaps(p) {
					note(i, s)
					break
				}
			}
		}
	}
	for _, i := range order {
		add(i, per[i])
		cr.dstNodes.set(i)
	}
}
