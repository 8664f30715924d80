package tailnet

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/store"
)

// Bounds on a DNS configuration, so that one map stays small.
const (
	maxNameservers   = 16  // global, and per split-DNS domain
	maxSearchPaths   = 32  // search domains
	maxSplitDomains  = 256 // split-DNS domains
	maxDomainNameLen = 253 // RFC 1035, without the trailing dot
)

// UpdateDNS applies fn to the tailnet's DNS configuration, validates and
// normalises the result (lower-case domains without a trailing dot) and
// commits it with one audit event. An error from fn or from validation
// changes nothing. Connected clients receive the new configuration.
func (s *Service) UpdateDNS(ctx context.Context, ac audit.Context, tailnetID string, fn func(*postern.DNS) error) (postern.DNS, error) {
	var next postern.DNS
	changed := false
	err := s.store.InTx(ctx, func(q store.Queries) error {
		t, err := q.Tailnet(ctx, tailnetID)
		if err != nil {
			return err
		}
		old := t.DNS
		next = cloneDNS(old)
		if err := fn(&next); err != nil {
			return err
		}
		if next, err = NormalizeDNS(next); err != nil {
			return err
		}
		if reflect.DeepEqual(old, next) {
			return nil
		}
		changed = true
		if err := q.UpdateTailnetDNS(ctx, tailnetID, next); err != nil {
			return err
		}
		ev := ac.Event(s.now(), tailnetID, audit.TailnetTarget(t, "DNS"), "UPDATE", old, next)
		return q.AppendAudit(ctx, &ev)
	})
	if err != nil {
		return next, fmt.Errorf("updating the tailnet's DNS configuration: %w", err)
	}
	if changed {
		s.log.Info("dns configuration updated", "tailnet_id", tailnetID, "nameservers", len(next.Nameservers),
			"split_domains", len(next.SplitDNS), "search_paths", len(next.SearchPaths), "magic_dns", next.MagicDNS)
		s.emit(Change{TailnetID: tailnetID, DNS: true})
	}
	return next, nil
}

func cloneDNS(d postern.DNS) postern.DNS {
	out := postern.DNS{
		Nameservers: slices.Clone(d.Nameservers),
		SearchPaths: slices.Clone(d.SearchPaths),
		SplitDNS:    make(map[string][]string, len(d.SplitDNS)),
		MagicDNS:    d.MagicDNS,
	}
	for k, v := range d.SplitDNS {
		out.SplitDNS[k] = slices.Clone(v)
	}
	return out
}

// NormalizeDNS checks d and returns it in canonical form: nameservers
// are IP addresses (written as netip prints them), domains are valid DNS
// names, lower-case and without a trailing dot, each split-DNS domain has
// at least one nameserver, and nothing repeats. The error is EINVALID and
// names the first offending value.
func NormalizeDNS(d postern.DNS) (postern.DNS, error) {
	out := postern.DNS{MagicDNS: d.MagicDNS, SplitDNS: map[string][]string{}}
	var err error
	if out.Nameservers, err = normalizeNameservers(d.Nameservers, "nameservers"); err != nil {
		return d, err
	}
	if len(d.SearchPaths) > maxSearchPaths {
		return d, postern.Errorf(postern.EINVALID, "at most %d search paths are allowed, got %d", maxSearchPaths, len(d.SearchPaths))
	}
	out.SearchPaths = []string{}
	for _, p := range d.SearchPaths {
		n, err := normalizeDomain(p)
		if err != nil {
			return d, postern.Errorf(postern.EINVALID, "search path %q is not a valid domain name: %s", p, err)
		}
		if !slices.Contains(out.SearchPaths, n) {
			out.SearchPaths = append(out.SearchPaths, n)
		}
	}
	if len(d.SplitDNS) > maxSplitDomains {
		return d, postern.Errorf(postern.EINVALID, "at most %d split DNS domains are allowed, got %d", maxSplitDomains, len(d.SplitDNS))
	}
	for _, dom := range slices.Sorted(maps.Keys(d.SplitDNS)) {
		n, err := normalizeDomain(dom)
		if err != nil {
			return d, postern.Errorf(postern.EINVALID, "split DNS domain %q is not a valid domain name: %s", dom, err)
		}
		if _, dup := out.SplitDNS[n]; dup {
			return d, postern.Errorf(postern.EINVALID, "split DNS domain %q is given twice", n)
		}
		ns, err := normalizeNameservers(d.SplitDNS[dom], fmt.Sprintf("split DNS domain %q", n))
		if err != nil {
			return d, err
		}
		if len(ns) == 0 {
			return d, postern.Errorf(postern.EINVALID, "split DNS domain %q needs at least one nameserver (null removes it)", n)
		}
		out.SplitDNS[n] = ns
	}
	return out, nil
}

func normalizeNameservers(in []string, what string) ([]string, error) {
	if len(in) > maxNameservers {
		return nil, postern.Errorf(postern.EINVALID, "%s: at most %d nameservers are allowed, got %d", what, maxNameservers, len(in))
	}
	out := []string{}
	for _, s := range in {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			return nil, postern.Errorf(postern.EINVALID, "%s: nameserver %q is not an IP address", what, s)
		}
		if a.IsUnspecified() || a.IsMulticast() {
			return nil, postern.Errorf(postern.EINVALID, "%s: nameserver %q cannot answer queries", what, s)
		}
		if v := a.Unmap().String(); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// normalizeDomain lower-cases name and drops one trailing dot, and says
// why a name is not a valid DNS name (RFC 1123 labels).
func normalizeDomain(name string) (string, error) {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if n == "" {
		return "", fmt.Errorf("it is empty")
	}
	if len(n) > maxDomainNameLen {
		return "", fmt.Errorf("it is longer than %d characters", maxDomainNameLen)
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" {
			return "", fmt.Errorf("it has an empty label")
		}
		if len(label) > 63 {
			return "", fmt.Errorf("label %q is longer than 63 characters", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", fmt.Errorf("label %q has the character %q", label, r)
			}
		}
	}
	return n, nil
}
