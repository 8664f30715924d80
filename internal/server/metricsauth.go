package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsOnlyRoutes is the mux of the metrics listener: /metrics and
// nothing else.
func (s *Server) metricsOnlyRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metricsHandler(false))
	return mux
}

// metricsHandler serves the registry. With a token configured every
// scrape must carry it. Without one, the metrics listener serves anyone
// who can reach it, and the main port (mainPort) serves /metrics only in
// a local setup (see metricsMode) and answers 404 otherwise, so that a
// server reachable from the network does not publish its state.
func (s *Server) metricsHandler(mainPort bool) http.Handler {
	h := promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})
	open := !mainPort || s.metricsMode() == "open"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case s.cfg.MetricsToken != "":
			if !bearerMatches(r, s.cfg.MetricsToken) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="postern metrics"`)
				http.Error(w, "metrics need the header Authorization: Bearer <the --metrics-token value>\n", http.StatusUnauthorized)
				return
			}
		case !open:
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// metricsMode says how the main port serves /metrics: "token" (with the
// bearer token), "open" (to anyone: only when no metrics listener or
// token is configured and both the listen address and the server URL are
// loopback), or "off" (404).
func (s *Server) metricsMode() string {
	switch {
	case s.cfg.MetricsToken != "":
		return "token"
	case s.cfg.MetricsListen == "" && isLoopbackAddr(s.ln.Addr()) && isLoopbackURL(s.cfg.ServerURL):
		return "open"
	}
	return "off"
}

// bearerMatches reports whether r carries "Authorization: Bearer token",
// compared in constant time.
func bearerMatches(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	// Hash both, so the comparison takes the same time whatever the
	// lengths.
	a, b := sha256.Sum256([]byte(strings.TrimSpace(got))), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// isLoopbackAddr reports whether a listener's address is a loopback one.
func isLoopbackAddr(a net.Addr) bool {
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().IsLoopback()
}

// isLoopbackURL reports whether u's host is localhost or a loopback
// address: a server URL that only this machine can use.
func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}
