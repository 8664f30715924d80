package integrations

import (
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/postern/postern"
)

// falconHost returns the API host of a CrowdStrike cloud name. "us-gov"
// is how Tailscale's console names us-gov-1.
func falconHost(region string) (string, bool) {
	switch strings.ToLower(region) {
	case "us-1":
		return "api.crowdstrike.com", true
	case "us-2":
		return "api.us-2.crowdstrike.com", true
	case "us-3":
		return "api.us-3.crowdstrike.com", true
	case "eu-1":
		return "api.eu-1.crowdstrike.com", true
	case "us-gov", "us-gov-1":
		return "api.laggar.gcw.crowdstrike.com", true
	case "us-gov-2":
		return "api.us-gov-2.crowdstrike.mil", true
	}
	return "", false
}

// apiSuffixes returns the API path prefixes a user may paste along with
// the host; the vendor clients add them themselves, so they are cut off.
func apiSuffixes(provider string) []string {
	switch provider {
	case postern.ProviderFleet:
		return []string{"/api/v1/fleet", "/api/latest/fleet"}
	case postern.ProviderKandji:
		return []string{"/api/v1"}
	case postern.ProviderSentinelOne:
		return []string{"/web/api/v2.1"}
	}
	return nil
}

// BaseURL resolves an integration's cloudId into the base URL of the
// vendor's API, without a trailing slash. cloudId may be:
//
//   - a full URL: https://host[:port][/path], or http:// when the host is a
//     loopback address (127.0.0.0/8, ::1, localhost), so tests can run
//     vendor fakes locally;
//   - a bare host name such as fleet.example.com, which becomes
//     https://fleet.example.com;
//   - for Falcon, a region: us-1, us-2, us-3, eu-1, us-gov (or us-gov-1),
//     us-gov-2.
//
// A host that is link-local (169.254.0.0/16, fe80::/10), a cloud metadata
// service (169.254.169.254, fd00:ec2::254, metadata.google.internal, ...),
// unspecified, multicast or reserved is refused: see addrRefusal. A name
// that resolves to such an address is refused when a sync dials it
// (NewTransport).
//
// Errors have code postern.EINVALID and name the bad value.
func BaseURL(provider, cloudID string) (string, error) {
	base, err := baseURL(provider, cloudID)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: %v", cloudID, provider, err)
	}
	if r := hostRefusal(u.Hostname()); r != "" {
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: %s is %s; Postern does not send vendor secrets there",
			strings.TrimSpace(cloudID), provider, u.Hostname(), r)
	}
	return base, nil
}

func baseURL(provider, cloudID string) (string, error) {
	provider = strings.TrimSpace(provider)
	cloudID = strings.TrimSpace(cloudID)
	if provider == "" {
		return "", postern.Errorf(postern.EINVALID, "posture integration provider is required")
	}
	if cloudID == "" {
		return "", postern.Errorf(postern.EINVALID, "cloudId is required for %s", provider)
	}
	if provider == postern.ProviderFalcon {
		if host, ok := falconHost(cloudID); ok {
			return "https://" + host, nil
		}
	}
	if strings.Contains(cloudID, "://") {
		return fullURL(provider, cloudID)
	}
	if !validHostPort(cloudID) {
		hint := "a host name such as api.example.com or a full https:// URL"
		if provider == postern.ProviderFalcon {
			hint = "a region (us-1, us-2, us-3, eu-1, us-gov, us-gov-2), an API host name or a full https:// URL"
		}
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: want %s", cloudID, provider, hint)
	}
	if addr, err := netip.ParseAddr(cloudID); err == nil && addr.Is6() {
		return "https://[" + strings.ToLower(cloudID) + "]", nil
	}
	return "https://" + strings.ToLower(cloudID), nil
}

func fullURL(provider, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: %v", raw, provider, err)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: the URL has no host", raw, provider)
	case u.User != nil:
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: credentials do not belong in the URL", raw, provider)
	case u.RawQuery != "" || u.Fragment != "":
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: the URL must not have a query or fragment", raw, provider)
	case !validHostPort(u.Host):
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: bad host %q", raw, provider, u.Host)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: http:// is only allowed for loopback addresses; use https://", raw, provider)
		}
	default:
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: scheme %q is not https", raw, provider, u.Scheme)
	}
	path := strings.TrimRight(u.Path, "/")
	for _, suffix := range apiSuffixes(provider) {
		path = strings.TrimSuffix(path, suffix)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + path, nil
}

// validHostPort reports whether s is a host name or IP address with an
// optional port. A bare name needs a dot, so that a typo or a region name
// given to the wrong provider ("us-1") is caught rather than dialled.
func validHostPort(s string) bool {
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1] // an IPv6 address in a URL without a port
	}
	if port != "" && !validPort(port) {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if !strings.Contains(host, ".") || len(host) > 253 || numericTLD(host) {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(host, "."), ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

// numericTLD reports whether the last label of host is a number (169.254.169.254.
// with a trailing dot, or a hex or octal form such as 0xa9.0xfe.0xa9.0xfe): no
// top-level domain is, and resolvers read such names as IPv4 addresses,
// around the address checks.
func numericTLD(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if strings.HasPrefix(last, "0x") {
		return true
	}
	for _, c := range last {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n > 0 && n < 65536
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range l {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// isLoopback reports whether host (without port or brackets) is a
// loopback address or "localhost".
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}
