package control

import (
	"context"
	"fmt"
	"strings"

	"github.com/postern/postern/internal/store"
)

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

// freeName picks a device name from hostname not yet used in the tailnet,
// adding "-1", "-2", ... on collision.
func freeName(ctx context.Context, q store.Queries, tailnetID, hostname string) (string, error) {
	devs, err := q.Devices(ctx, tailnetID)
	if err != nil {
		return "", fmt.Errorf("listing device names: %w", err)
	}
	used := map[string]bool{}
	for _, d := range devs {
		used[d.Name] = true
	}
	base := dnsLabel(hostname)
	name := base
	for i := 1; used[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name, nil
}
