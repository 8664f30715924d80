package fakehttp

import (
	"sync"
	"time"
)

// Grants holds the access tokens a fake with an OAuth token endpoint has
// issued, each with its expiry. It is safe for concurrent use.
type Grants struct {
	mu     sync.Mutex
	ttl    time.Duration        // lifetime of tokens issued from now on
	tokens map[string]time.Time // access token -> expiry
}

// NewGrants returns an empty set of grants whose tokens live for ttl.
func NewGrants(ttl time.Duration) *Grants {
	return &Grants{ttl: ttl, tokens: make(map[string]time.Time)}
}

// Issue records tok as issued now and returns the lifetime it was given.
func (g *Grants) Issue(tok string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[tok] = time.Now().Add(g.ttl)
	return g.ttl
}

// TTL returns the lifetime of tokens issued from now on.
func (g *Grants) TTL() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ttl
}

// TokenState is what Check found out about a token.
type TokenState int

// The states of a token.
const (
	TokenUnknown TokenState = iota // never issued, or revoked
	TokenValid
	TokenExpired // issued, but its lifetime is over; Check forgets it
)

// Check reports whether tok was issued and is still valid.
func (g *Grants) Check(tok string) TokenState {
	g.mu.Lock()
	defer g.mu.Unlock()
	exp, ok := g.tokens[tok]
	switch {
	case !ok:
		return TokenUnknown
	case time.Now().After(exp):
		delete(g.tokens, tok)
		return TokenExpired
	}
	return TokenValid
}

// Admin returns the SetTokenTTL and RevokeTokens half of g's API, for a
// fake's Server to embed.
func (g *Grants) Admin() GrantAdmin { return GrantAdmin{g} }

// GrantAdmin is the API of a fake that issues access tokens.
type GrantAdmin struct{ g *Grants }

// SetTokenTTL sets the lifetime of tokens issued from now on.
func (a GrantAdmin) SetTokenTTL(d time.Duration) {
	a.g.mu.Lock()
	defer a.g.mu.Unlock()
	a.g.ttl = d
}

// RevokeTokens invalidates every access token issued so far, so that the
// next API call with one fails with 401, as after the API client is
// disabled.
func (a GrantAdmin) RevokeTokens() {
	a.g.mu.Lock()
	defer a.g.mu.Unlock()
	clear(a.g.tokens)
}
