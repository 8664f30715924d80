package server

import (
	"net/http"
	"time"
)

// routes is the one mux of the listener.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.metricsHandler(true))
	mux.Handle("/api/v2/", s.api.Handler())
	mux.Handle("/admin/", s.console.Handler())
	ctl := s.control.Handler()
	// The Noise upgrade hijacks the connection and serves the map
	// long-poll inside it; the DERP relay streams for as long as a client
	// is connected. Neither may be cut off by the server's read and write
	// timeouts, which protect every other route.
	mux.Handle("/ts2021", longLived(ctl))
	mux.Handle("/derp", longLived(ctl))
	mux.Handle("/", ctl)
	return mux
}

// longLived clears the connection's read and write deadlines before h
// runs, for handlers that keep the connection far longer than a request.
// net/http also clears them when a handler hijacks the connection; this
// covers the time before the hijack and does not depend on it.
func longLived(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		// An error means the connection has no deadlines to clear (for
		// instance an HTTP/2 stream, which cannot be hijacked either).
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		h.ServeHTTP(w, r)
	})
}

// healthz answers 200 when the database answers.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := s.store.Tailnet(r.Context(), s.tailnet.ID); err != nil {
		s.log.Warn("health check failed", "err", err)
		http.Error(w, "database unavailable\n", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}
