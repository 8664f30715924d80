package integrations

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// maxRedirects bounds a chain of same-origin redirects.
const maxRedirects = 5

// NewTransport returns the transport vendor calls go through. It dials
// only addresses a vendor API may live at: each address a host name
// resolves to is checked just before the connection is made (so a name
// that resolves, or re-resolves, to a link-local, metadata, reserved or
// loopback address is refused), and loopback is reached only when the
// URL names 127.0.0.1, ::1 or localhost itself. It connects directly:
// through an HTTP proxy Postern could not check the address it reaches,
// so HTTP_PROXY and HTTPS_PROXY are not used.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = (&dialer{}).dial
	// Vendor clients run a few requests to one host at once (Falcon's
	// workers); the default of two idle connections would keep opening
	// new ones.
	t.MaxIdleConnsPerHost = 8
	return t
}

// NewClient returns an HTTP client for vendor calls: NewTransport,
// DefaultTimeout, and redirects followed only within the same origin
// (see CheckRedirect).
func NewClient() *http.Client {
	return &http.Client{Transport: NewTransport(), Timeout: DefaultTimeout, CheckRedirect: CheckRedirect}
}

// dialer dials vendor APIs, refusing what addrRefusal refuses.
type dialer struct {
	resolver *net.Resolver // nil means the system's; tests give their own
}

// dial dials address like net.Dialer. The check runs in the dialer's
// Control hook, on each address actually connected to, after name
// resolution, so no later answer of the resolver can slip past it.
func (dl *dialer) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", address, err)
	}
	if r := hostRefusal(host); r != "" {
		return nil, &AddressError{Host: host, Reason: r}
	}
	allowLoopback := isLoopback(host)
	d := net.Dialer{
		Resolver:  dl.resolver,
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(_, resolved string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(resolved)
			if err != nil {
				return fmt.Errorf("dialling %s: unexpected address %q: %w", host, resolved, err)
			}
			if r := addrRefusal(ap.Addr(), allowLoopback); r != "" {
				return &AddressError{Host: host, Addr: ap.Addr().Unmap().WithZone(""), Reason: r}
			}
			return nil
		},
	}
	return d.DialContext(ctx, network, address)
}

// RedirectError is a redirect Postern refused to follow. Its message
// names only the origins, never the vendor's response.
type RedirectError struct {
	From, To string // origins: scheme://host[:port]
	TooMany  bool   // the chain was longer than Postern follows
}

func (e *RedirectError) Error() string {
	if e.TooMany {
		return fmt.Sprintf("%s redirected more than %d times", e.From, maxRedirects)
	}
	return fmt.Sprintf("%s redirected to %s; Postern follows redirects only within the same scheme, host and port", e.From, e.To)
}

// CheckRedirect is an http.Client CheckRedirect that follows a redirect
// only when it stays on the scheme, host and port of the request that
// began the chain, at most maxRedirects times. A redirect elsewhere
// could carry the vendor secret to another host, or to plain http, and
// would bypass the checks cloudId passed when it was saved.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if Origin(req.URL) != Origin(first) {
		return &RedirectError{From: Origin(first), To: Origin(req.URL)}
	}
	if len(via) > maxRedirects {
		return &RedirectError{From: Origin(first), TooMany: true}
	}
	return nil
}

// Origin returns u's scheme, host and port as scheme://host:port, lower
// case, with the scheme's default port made explicit, so that two URLs
// reach the same server exactly when their origins are equal.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if addr, err := netip.ParseAddr(host); err == nil {
		host = addr.Unmap().String()
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
