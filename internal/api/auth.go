package api

import (
	"context"
	"net/http"
	"strings"

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
	ScopeDNS               = "dns"
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

// authed wraps a handler that needs scope. Valid credentials are always
// served; an invalid one counts against its address and its key id, and
// once either has failed too often the answer is 429 rather than 401.
func (a *API) authed(scope string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := a.authenticate(r)
		if err != nil {
			if postern.ErrorCode(err) == postern.EUNAUTHORIZED && a.limiter.fail(a.clientAddr(r), credentialKeyID(credential(r))) {
				w.Header().Set("Retry-After", retryAfter)
				writeJSON(w, http.StatusTooManyRequests, errorBody{Message: "too many failed authentication attempts from this address or for this key; try again in a minute"})
				return
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

// clientAddr is the address failures are counted against: the client's,
// as the trusted proxies report it.
func (a *API) clientAddr(r *http.Request) string {
	return a.proxies.Addr(r).String()
}
