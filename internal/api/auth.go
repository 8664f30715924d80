package api

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/keys"
)

// Scopes, as Tailscale names them. A write scope implies its read scope.
const (
	ScopeDevicesCore       = "devices:core"
	ScopeDevicesPosture    = "devices:posture_attributes"
	ScopePolicyFile        = "policy_file"
	ScopeFeatureSettings   = "feature_settings"
	ScopeAuthKeys          = "auth_keys"
	ScopeUsers             = "users"
	ScopeLogsConfiguration = "logs:configuration"
	ScopeAll               = "all"
)

// read returns the read-only form of a scope.
func read(scope string) string { return scope + ":read" }

// principal is who is calling.
type principal struct {
	User   postern.User
	KeyID  string
	Scopes []string // ScopeAll or specific scopes
	// ClientID is the OAuth client the caller's token came from (or that
	// minted the caller's key); keys the caller creates carry it, so
	// they die with the client. "" for a user's own key.
	ClientID string
}

// can reports whether p holds scope (a write scope satisfies its read).
func (p *principal) can(scope string) bool {
	for _, s := range p.Scopes {
		if s == ScopeAll || s == scope || (strings.HasSuffix(scope, ":read") && s+":read" == scope) {
			return true
		}
		if s == "all:read" && strings.HasSuffix(scope, ":read") {
			return true
		}
	}
	return false
}

// auditContext is the audit identity of p's API writes.
func (p *principal) auditContext() audit.Context {
	return audit.Context{Origin: audit.OriginAPI, Actor: audit.User(p.User)}
}

type principalKey struct{}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

// credential extracts the key from HTTP Basic (key as user name) or
// Bearer authorization.
func credential(r *http.Request) string {
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(tok)
	}
	return ""
}

// authenticate resolves the request's credential to a principal.
func (a *API) authenticate(r *http.Request) (*principal, error) {
	cred := credential(r)
	if cred == "" {
		return nil, postern.Errorf(postern.EUNAUTHORIZED, "API token required: use HTTP Basic with the key as user name, or Authorization: Bearer")
	}
	k, err := keys.Authenticate(r.Context(), a.st, cred, postern.KeyTypeAPI, a.svc.Now())
	if err != nil {
		return nil, err
	}
	u, err := a.st.User(r.Context(), k.UserID)
	if err != nil {
		return nil, postern.Errorf(postern.EUNAUTHORIZED, "the key's user no longer exists")
	}
	var scopes []string
	switch {
	case k.AccessToken: // exactly its scopes, while its client and user may grant them
		if err := a.checkTokenClient(r, k, u); err != nil {
			return nil, err
		}
		scopes = k.Scopes
	case u.Role == postern.RoleOwner || u.Role == postern.RoleAdmin:
		scopes = []string{ScopeAll}
	default:
		scopes = []string{"all:read"}
	}
	return &principal{User: u, KeyID: k.ID, Scopes: scopes, ClientID: k.ClientID}, nil
}

// checkTokenClient refuses an OAuth access token whose client was deleted
// or revoked, or whose client's user no longer holds a role that may
// grant the token's scopes.
func (a *API) checkTokenClient(r *http.Request, token postern.Key, u postern.User) error {
	c, err := a.st.Key(r.Context(), token.ClientID)
	if postern.IsNotFound(err) || (err == nil && (c.Type != postern.KeyTypeClient || !c.Valid(a.svc.Now()))) {
		return postern.Errorf(postern.EUNAUTHORIZED, "the OAuth client that issued this token no longer exists")
	}
	if err != nil {
		return err
	}
	for _, s := range token.Scopes {
		if !roleMayGrant(u.Role, s) {
			return postern.Errorf(postern.EUNAUTHORIZED, "the OAuth client's user (now %s) may no longer grant the %q scope", u.Role, s)
		}
	}
	return nil
}

// roleMayGrant reports whether a user of role may hold scope, directly or
// through an OAuth client: owners and admins any, other roles only read
// scopes.
func roleMayGrant(role postern.Role, scope string) bool {
	if role == postern.RoleOwner || role == postern.RoleAdmin {
		return true
	}
	return strings.HasSuffix(scope, ":read")
}

// handler is an API endpoint for an authenticated caller. An error it
// returns is answered by writeError, so handlers only write successes.
type handler func(w http.ResponseWriter, r *http.Request, p *principal) error

// authed wraps a handler that needs scope.
func (a *API) authed(scope string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		if !a.limiter.allow(ip) {
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusTooManyRequests, errorBody{Message: "too many failed authentication attempts; try again later"})
			return
		}
		p, err := a.authenticate(r)
		if err != nil {
			if postern.ErrorCode(err) == postern.EUNAUTHORIZED {
				a.limiter.fail(ip)
			}
			a.writeError(w, r, err)
			return
		}
		if !p.can(scope) {
			a.writeError(w, r, postern.Errorf(postern.EFORBIDDEN, "the caller lacks the %q scope", scope))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if err := h(w, r, p); err != nil {
			a.writeError(w, r, err)
		}
	}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// failLimiter slows down repeated failed authentication from one address:
// after failBurst failures within failWindow, the address is refused until
// the window passes.
type failLimiter struct {
	now func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time // guarded by mu; per address, failures within the window
}

const (
	failBurst  = 10
	failWindow = time.Minute
	maxTracked = 10000
)

func newFailLimiter(now func() time.Time) *failLimiter {
	return &failLimiter{now: now, fails: map[string][]time.Time{}}
}

func (l *failLimiter) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recentLocked(ip)) < failBurst
}

func (l *failLimiter) fail(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= maxTracked {
		clear(l.fails) // under a flood, forget rather than grow without bound
	}
	l.fails[ip] = append(l.recentLocked(ip), l.now())
}

func (l *failLimiter) recentLocked(ip string) []time.Time {
	cutoff := l.now().Add(-failWindow)
	ts := l.fails[ip]
	i := slices.IndexFunc(ts, func(t time.Time) bool { return t.After(cutoff) })
	if i < 0 {
		delete(l.fails, ip)
		return nil
	}
	ts = ts[i:]
	l.fails[ip] = ts
	return ts
}
