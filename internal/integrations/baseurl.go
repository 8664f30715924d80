package integrations

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/postern/postern"
)

// BaseURL resolves an integration's cloudId into the base URL of p's
// API, without a trailing slash. An empty cloudId means p.DefaultHost.
// p.BaseURL, if set, resolves it the vendor's own way (Falcon regions, a
// Kandji console URL); otherwise the common rule applies (HostURL).
//
// A host that is link-local (169.254.0.0/16, fe80::/10), a cloud metadata
// service (169.254.169.254, fd00:ec2::254, metadata.google.internal, ...),
// unspecified, multicast or reserved is refused: see addrRefusal. A name
// that resolves to such an address is refused when a sync dials it
// (NewTransport).
//
// Errors have code postern.EINVALID and name the bad value.
func BaseURL(p Provider, cloudID string) (string, error) {
	cloudID = strings.TrimSpace(cloudID)
	if p.ID == "" {
		return "", postern.Errorf(postern.EINVALID, "posture integration provider is required")
	}
	if cloudID == "" && p.DefaultHost != "" {
		cloudID = p.DefaultHost
	}
	if cloudID == "" {
		return "", postern.Errorf(postern.EINVALID, "cloudId is required for %s", p.ID)
	}
	var base string
	var err error
	if p.BaseURL != nil {
		base, err = p.BaseURL(cloudID)
	} else {
		base, err = HostURL(cloudID, p.APIPaths...)
	}
	if err != nil {
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: %v", cloudID, p.ID, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: %v", cloudID, p.ID, err)
	}
	if r := hostRefusal(u.Hostname()); r != "" {
		return "", postern.Errorf(postern.EINVALID, "invalid cloudId %q for %s: %s is %s; Postern does not send vendor secrets there",
			cloudID, p.ID, u.Hostname(), r)
	}
	return base, nil
}

// HostURL is the common rule for a cloudId: a full URL,
// https://host[:port][/path] (http:// only when the host is a loopback
// address: 127.0.0.0/8, ::1, localhost, so tests can run vendor fakes
// locally), with any of apiPaths cut off its path; or a bare host name
// such as fleet.example.com, which becomes https://fleet.example.com.
// Errors say what is wrong with cloudID, without naming it.
func HostURL(cloudID string, apiPaths ...string) (string, error) {
	cloudID = strings.TrimSpace(cloudID)
	if strings.Contains(cloudID, "://") {
		return fullURL(cloudID, apiPaths)
	}
	if !validHostPort(cloudID) {
		return "", errors.New("want a host name such as api.example.com or a full https:// URL")
	}
	if addr, err := netip.ParseAddr(cloudID); err == nil && addr.Is6() {
		return "https://[" + strings.ToLower(cloudID) + "]", nil
	}
	return "https://" + strings.ToLower(cloudID), nil
}

func fullURL(raw string, apiPaths []string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return "", errors.New("the URL has no host")
	case u.User != nil:
		return "", errors.New("credentials do not belong in the URL")
	case u.RawQuery != "" || u.Fragment != "":
		return "", errors.New("the URL must not have a query or fragment")
	case !validHostPort(u.Host):
		return "", fmt.Errorf("bad host %q", u.Host)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", errors.New("http:// is only allowed for loopback addresses; use https://")
		}
	default:
		return "", fmt.Errorf("scheme %q is not https", u.Scheme)
	}
	path := strings.TrimRight(u.Path, "/")
	for _, suffix := range apiPaths {
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
