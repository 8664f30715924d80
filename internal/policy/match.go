package policy

import (
	"net/netip"
	"slices"
	"strings"
)

// selMatchesNode reports whether selector s names node i.
func (c *Compiled) selMatchesNode(s Selector, i int) bool {
	n := &c.nodes[i]
	user := strings.ToLower(n.User)
	switch s.Kind {
	case SelAll, SelDangerAll:
		return true
	case SelUser:
		return !n.tagged() && strings.EqualFold(n.User, s.Name)
	case SelGroup:
		return !n.tagged() && slices.ContainsFunc(c.p.Groups[s.Name], func(m string) bool { return strings.EqualFold(m, user) })
	case SelTag:
		return slices.Contains(n.Tags, s.Name)
	case SelTagged:
		return n.tagged()
	case SelMember:
		_, ok := c.users[user]
		return !n.tagged() && ok
	case SelRole:
		u, ok := c.users[user]
		return !n.tagged() && ok && string(u.Role) == s.Role
	case SelDomain:
		return !n.tagged() && strings.HasSuffix(user, "@"+s.Domain)
	case SelPrefix:
		return slices.ContainsFunc(n.addrs(), s.Prefix.Contains)
	case SelIPSet:
		return slices.ContainsFunc(n.addrs(), c.p.IPSets[s.Name].Contains)
	}
	return false
}

// srcMatchesPrincipal reports whether a rule source selects a test source.
func (c *Compiled) srcMatchesPrincipal(s Selector, pr principal) bool {
	if s.Kind == SelAll || s.Kind == SelDangerAll {
		return true
	}
	switch {
	case pr.user != "":
		switch s.Kind {
		case SelUser:
			return strings.EqualFold(s.Name, pr.user)
		case SelGroup:
			return slices.ContainsFunc(c.p.Groups[s.Name], func(m string) bool { return strings.EqualFold(m, pr.user) })
		case SelMember:
			_, ok := c.users[pr.user]
			return ok
		case SelRole:
			u, ok := c.users[pr.user]
			return ok && string(u.Role) == s.Role
		case SelDomain:
			return strings.HasSuffix(pr.user, "@"+s.Domain)
		case SelPrefix, SelIPSet:
			return slices.ContainsFunc(c.userNodes[pr.user], func(i int) bool { return c.selMatchesNode(s, i) })
		}
	case pr.tag != "":
		switch s.Kind {
		case SelTag:
			return s.Name == pr.tag
		case SelTagged:
			return true
		case SelPrefix, SelIPSet:
			for i := range c.nodes {
				if slices.Contains(c.nodes[i].Tags, pr.tag) && c.selMatchesNode(s, i) {
					return true
				}
			}
		}
	default:
		switch s.Kind {
		case SelPrefix:
			return s.Prefix.Contains(pr.ip)
		case SelIPSet:
			return c.p.IPSets[s.Name].Contains(pr.ip)
		}
		if i, ok := c.byAddr[pr.ip]; ok {
			return c.selMatchesNode(s, i)
		}
	}
	return false
}

// dstContains reports whether a leg destination covers address a for a
// test source pr (autogroup:self needs pr's identity).
func (c *Compiled) dstContains(s Selector, a netip.Addr, pr principal) bool {
	switch s.Kind {
	case SelAll:
		return true
	case SelPrefix:
		return s.Prefix.Contains(a)
	case SelIPSet:
		return c.p.IPSets[s.Name].Contains(a)
	case SelInternet:
		return internetSet().Contains(a)
	}
	i, ok := c.byAddr[a]
	if !ok {
		return false
	}
	if s.Kind == SelSelf {
		n := &c.nodes[i]
		return pr.user != "" && !n.tagged() && strings.EqualFold(n.User, pr.user)
	}
	return c.selMatchesNode(s, i)
}
