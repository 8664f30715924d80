package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/keys"
	"github.com/postern/postern/internal/tailnet"
)

// knownScopes are the OAuth scopes Postern grants. A write scope
// implies its :read form.
var knownScopes = []string{
	ScopeAll, "all:read",
	ScopeDevicesCore, read(ScopeDevicesCore),
	ScopeDevicesPosture, read(ScopeDevicesPosture),
	ScopePolicyFile, read(ScopePolicyFile),
	ScopeFeatureSettings, read(ScopeFeatureSettings),
	ScopeAuthKeys, read(ScopeAuthKeys),
	ScopeUsers, read(ScopeUsers),
	ScopeDNS, read(ScopeDNS),
	read(ScopeLogsConfiguration),
}

// validateScopes rejects unknown scope names.
func validateScopes(scopes []string) error {
	if len(scopes) == 0 {
		return badf("an OAuth client needs at least one scope")
	}
	for _, s := range scopes {
		if !slices.Contains(knownScopes, s) {
			return badf("unknown scope %q", s)
		}
	}
	return nil
}

// oauthError answers in RFC 6749's error shape, which OAuth libraries read.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// oauthToken is POST /api/v2/oauth/token: the client credentials grant.
// The client authenticates with HTTP Basic or form fields; the token gets
// the requested scopes, which must be within the client's, or all of the
// client's when none are requested.
func (a *API) oauthToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	client, err := keys.Authenticate(r.Context(), a.st, secret, postern.KeyTypeClient, a.svc.Now())
	if err != nil || client.ID != id {
		// Like the API: valid credentials always pass; failures count
		// per address and per client id.
		if a.limiter.fail(a.clientAddr(r), id) {
			w.Header().Set("Retry-After", retryAfter)
			oauthError(w, http.StatusTooManyRequests, "slow_down", "too many failed authentication attempts from this address or for this client; try again in a minute")
			return
		}
		oauthError(w, http.StatusUnauthorized, "invalid_client", "invalid client id or secret")
		return
	}
	owner, err := a.st.User(r.Context(), client.UserID)
	if err != nil {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "the OAuth client's user no longer exists")
		return
	}
	scopes := client.Scopes
	if s := strings.Fields(r.PostForm.Get("scope")); len(s) > 0 {
		granted := &principal{Scopes: client.Scopes}
		for _, want := range s {
			if !granted.can(want) {
				oauthError(w, http.StatusBadRequest, "invalid_scope", "the client does not have scope "+want)
				return
			}
		}
		scopes = s
	}
	for _, s := range scopes {
		if !roleMayGrant(owner.Role, s) {
			oauthError(w, http.StatusBadRequest, "invalid_scope", "the client's user (now "+string(owner.Role)+") may no longer grant scope "+s)
			return
		}
	}
	text, k, err := a.svc.IssueAccessToken(r.Context(), client, scopes)
	if err != nil {
		a.log.Error("issuing an OAuth access token", "client_id", client.ID, "err", err)
		oauthError(w, http.StatusInternalServerError, "server_error", "could not issue a token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": text,
		"token_type":   "Bearer",
		"expires_in":   int(tailnet.AccessTokenLifetime.Seconds()),
		"scope":        strings.Join(k.Scopes, " "),
	})
}
