package policy

import (
	"net/netip"
	"slices"
	"strings"
)

// AutoApprove returns which of node n's advertised routes the policy's
// autoApprovers approve: a subnet route when a listed prefix covers it and
// n matches one of that prefix's approvers; an exit route (0.0.0.0/0 or
// ::/0) only through autoApprovers.exitNode, as Tailscale does.
func (p *Policy) AutoApprove(users []User, n Node) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range n.AdvertisedRoutes {
		if r.Bits() == 0 {
			if p.approverMatches(p.AutoApprovers.ExitNode, users, &n) {
				out = append(out, r)
			}
			continue
		}
		for pfx, approvers := range p.AutoApprovers.Routes {
			if pfx.Bits() <= r.Bits() && pfx.Contains(r.Addr()) && p.approverMatches(approvers, users, &n) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// approverMatches reports whether node n is selected by one of approvers:
// a tag it carries, its owner, a group of its owner, or a role autogroup.
func (p *Policy) approverMatches(approvers []string, users []User, n *Node) bool {
	owner := strings.ToLower(n.User)
	role := ""
	isUser := false
	for _, u := range users {
		if strings.EqualFold(u.LoginName, n.User) {
			role, isUser = string(u.Role), true
		}
	}
	for _, a := range approvers {
		switch {
		case strings.HasPrefix(a, "tag:"):
			if slices.Contains(n.Tags, a) {
				return true
			}
		case n.tagged():
		case strings.HasPrefix(a, "group:"):
			if slices.ContainsFunc(p.Groups[a], func(m string) bool { return strings.EqualFold(m, owner) }) {
				return true
			}
		case a == "autogroup:member":
			if isUser {
				return true
			}
		case strings.HasPrefix(a, "autogroup:"):
			if r, ok := roleAutogroups[a]; ok && r == role {
				return true
			}
		case strings.EqualFold(a, owner):
			return true
		}
	}
	return false
}
