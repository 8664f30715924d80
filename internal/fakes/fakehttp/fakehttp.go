// Package fakehttp owns the HTTP plumbing every vendor fake in
// internal/fakes shares: the loopback test server with its URL and
// shutdown, the fault injector the fake's handlers consult, the one API
// token a fake accepts or the access tokens an OAuth fake has issued, how
// many requests reached each endpoint, and writing a complete answer with
// its Content-Type and Content-Length. A fake keeps only its vendor's
// wire format: paths, paging, credentials checks, error bodies.
//
// A fake's Server embeds Server (URL, Close, Inject, ClearFaults); when it
// accepts one static token, Credential (SetToken); when it issues access
// tokens, GrantAdmin (SetTokenTTL, RevokeTokens). Its handlers use the
// *Core that Start returned and the *Grants. Keeping those out of the
// embedding keeps the plumbing out of each fake's exported API.
package fakehttp

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/postern/postern/internal/fakes/fault"
)

// Core is the plumbing a fake's handlers share. It is safe for
// concurrent use.
type Core struct {
	ts     *httptest.Server
	faults fault.Injector
	bufs   sync.Pool // of *bytes.Buffer, for answers

	mu       sync.Mutex
	token    string                 // the accepted API token; "" where the fake checks other credentials
	requests map[fault.Endpoint]int // counted requests per endpoint
}

// Start serves h over plain HTTP on a loopback port, accepting token.
func Start(h http.Handler, token string) (Server, *Core) {
	c := &Core{token: token, requests: make(map[fault.Endpoint]int)}
	c.ts = httptest.NewServer(h)
	return Server{c}, c
}

// StartTLS serves h over HTTPS on a loopback port with the TLS settings
// cfg (e.g. requiring client certificates), accepting token. Refused
// handshakes are not logged: they are what tests of a wrong certificate
// expect.
func StartTLS(h http.Handler, cfg *tls.Config, token string) (Server, *Core) {
	c := &Core{token: token, requests: make(map[fault.Endpoint]int)}
	c.ts = httptest.NewUnstartedServer(h)
	c.ts.TLS = cfg
	c.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	c.ts.StartTLS()
	return Server{c}, c
}

// Client returns an HTTP client that trusts the server's certificate.
func (c *Core) Client() *http.Client { return c.ts.Client() }

// Faults returns the injector the handlers ask which fault a request
// meets.
func (c *Core) Faults() *fault.Injector { return &c.faults }

// Token returns the accepted API token.
func (c *Core) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// Count records a request that reached ep, refused or not.
func (c *Core) Count(ep fault.Endpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests[ep]++
}

// Requests returns how many requests Count recorded for ep.
func (c *Core) Requests(ep fault.Endpoint) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests[ep]
}

// Total returns how many requests Count recorded for every endpoint
// together.
func (c *Core) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.requests {
		n += k
	}
	return n
}

// Server is the part of a fake's API every fake shares; a fake's Server
// embeds it.
type Server struct{ c *Core }

// URL is the server's base URL, e.g. "http://127.0.0.1:41234".
func (s Server) URL() string { return s.c.ts.URL }

// Close stops the server, cutting short any injected delay.
func (s Server) Close() {
	s.c.faults.Close()
	s.c.ts.Close()
}

// Inject adds f. Faults are tried in the order they were injected; the
// first one matching a request applies.
func (s Server) Inject(f fault.Fault) { s.c.faults.Inject(f) }

// ClearFaults removes every injected fault.
func (s Server) ClearFaults() { s.c.faults.Clear() }

// Credential is the API of a fake that accepts one static token; such a
// fake's Server embeds it.
type Credential struct{ c *Core }

// Credential returns the SetToken half of c's API, for embedding.
func (c *Core) Credential() Credential { return Credential{c} }

// SetToken replaces the accepted API token; requests with the old one
// then fail with 401, as after a token rotation.
func (t Credential) SetToken(token string) {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.c.token = token
}
