package control

import "strings"

// dnsLabel turns a hostname into a MagicDNS label: lower case letters,
// digits and inner hyphens, at most 63 characters, "node" if nothing is
// left.
func dnsLabel(hostname string) string {
	first, _, _ := strings.Cut(strings.ToLower(hostname), ".")
	var b strings.Builder
	for _, r := range first {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == '_' || r == ' ':
			b.WriteByte('-')
		}
	}
	l := strings.Trim(b.String(), "-")
	if len(l) > 63 {
		l = strings.TrimRight(l[:63], "-")
	}
	if l == "" {
		return "node"
	}
	return l
}
