package netmap

import (
	"fmt"
	"slices"
	"strings"

	"github.com/postern/postern"
)

// TagsAllowed implements control.Policy: owner (a login name) may apply
// each tag when the tag is defined in tagOwners and owner is one of its
// owners: directly, through a group, or through an autogroup of their
// role. Admins and owners may apply every defined tag, and a tag whose
// owner list is empty belongs to admins (Tailscale's rules).
func (e *Engine) TagsAllowed(owner string, tags []string) error {
	e.mu.RLock()
	p, roles := e.parsed, e.roles
	e.mu.RUnlock()
	role := roles[owner]
	var bad []string
	for _, tag := range tags {
		owners, ok := p.TagOwners[tag]
		if !ok || !ownsTag(p.Groups, owners, owner, role) {
			bad = append(bad, tag)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("requested tags [%s] are invalid or not permitted", strings.Join(bad, ", "))
	}
	return nil
}

func ownsTag(groups map[string][]string, owners []string, login string, role postern.Role) bool {
	if role == postern.RoleAdmin || role == postern.RoleOwner {
		return true
	}
	for _, o := range owners {
		switch {
		case strings.EqualFold(o, login):
			return true
		case strings.HasPrefix(o, "group:"):
			if slices.ContainsFunc(groups[o], func(m string) bool { return strings.EqualFold(m, login) }) {
				return true
			}
		case o == "autogroup:member":
			if role != "" {
				return true
			}
		case o == "autogroup:auditor":
			if role == postern.RoleAuditor {
				return true
			}
		}
	}
	return false
}
