package fleet

import "strings"

// maxNameLen keeps "fleetPolicy:" + name within the 128 characters an
// attribute key may have.
const maxNameLen = 128 - len("fleetPolicy:")

// PolicyAttributes returns the attribute names a Fleet policy description
// asks for: each "Tailscale: fleetPolicy:{name}" in it yields name. The
// marker is matched without regard to case and with any spaces after the
// colon; name is the run of letters, digits and underscores that follows
// (the characters an attribute key may hold). Names too long for a key
// are skipped.
func PolicyAttributes(description string) []string {
	var names []string
	rest := description
	for {
		i := indexFold(rest, "tailscale:")
		if i < 0 {
			return names
		}
		rest = strings.TrimLeft(rest[i+len("tailscale:"):], " \t")
		if !hasPrefixFold(rest, "fleetpolicy:") {
			continue
		}
		rest = rest[len("fleetpolicy:"):]
		n := 0
		for n < len(rest) && isNameChar(rest[n]) {
			n++
		}
		if n > 0 && n <= maxNameLen {
			names = append(names, rest[:n])
		}
		rest = rest[n:]
	}
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// indexFold is strings.Index ignoring ASCII case; sub must be lower case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if hasPrefixFold(s[i:], sub) {
			return i
		}
	}
	return -1
}

// policyNames caches PolicyAttributes by description.
type policyNames map[string][]string

func (pn policyNames) of(description string) []string {
	names, ok := pn[description]
	if !ok {
		names = PolicyAttributes(description)
		pn[description] = names
	}
	return names
}
