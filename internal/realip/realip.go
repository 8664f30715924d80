// Package realip decides which address a request came from. By default
// that is the TCP peer. When the peer is a configured trusted proxy (a
// TLS-terminating load balancer, Caddy, nginx), the address the proxy
// reports in X-Forwarded-For is used instead; the header is ignored from
// anyone else, so a client cannot choose its own address.
package realip

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver maps a request to its client address. The zero value, and a
// nil *Resolver, trust no proxy.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that believes X-Forwarded-For only from peers
// within trusted.
func New(trusted []netip.Prefix) *Resolver {
	return &Resolver{trusted: trusted}
}

// ParsePrefixes parses a comma-separated list of addresses and CIDR
// prefixes ("10.0.0.5, 192.168.0.0/16"), as the --trusted-proxies flag
// takes it. An empty string is an empty list.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an IP address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Trusted reports whether a is a configured proxy.
func (r *Resolver) Trusted(a netip.Addr) bool {
	if r == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Peer returns the TCP peer's address of req, or the zero Addr when
// RemoteAddr cannot be parsed.
func Peer(req *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(req.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// Addr returns the client address of req: the TCP peer, unless the peer is
// a trusted proxy, in which case the right-most X-Forwarded-For entry that
// is not itself a trusted proxy. Entries to its left were written by the
// client or by untrusted hops and are never believed.
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	peer := Peer(req)
	if !r.Trusted(peer) {
		return peer
	}
	hops := req.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client // a malformed hop: stop at the last one we could read
			}
			client = a.Unmap()
			if !r.Trusted(client) {
				return client
			}
		}
	}
	return client
}
