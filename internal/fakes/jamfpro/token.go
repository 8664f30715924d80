package jamfpro

import (
	"net/http"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
)

// tokenJSON is Jamf Pro's answer to a client credentials grant.
type tokenJSON struct {
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// RFC 6749 error bodies, which Jamf Pro's token endpoint answers with.
const (
	bodyInvalidClient    = `{"error":"invalid_client"}`
	bodyUnsupportedGrant = `{"error":"unsupported_grant_type"}`
	bodyInvalidRequest   = `{"error":"invalid_request"}`
)

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.core.Count(EndpointToken)
	f := s.core.Faults().ForRequest(EndpointToken)
	if s.core.Faults().Apply(w, r, f, writeTokenFault) {
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.ParseForm() != nil {
		writeBody(w, http.StatusBadRequest, bodyInvalidRequest)
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		writeBody(w, http.StatusBadRequest, bodyUnsupportedGrant)
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	s.mu.Lock()
	wantID, wantSecret := s.clientID, s.secret
	s.mu.Unlock()
	if id == "" || id != wantID || secret != wantSecret {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth2/client"`)
		writeBody(w, http.StatusUnauthorized, bodyInvalidClient)
		return
	}
	tok := randomHex(32)
	ttl := s.grants.Issue(tok)
	// Jamf Pro counts expires_in down from the issue time, so it is one
	// second short of the lifetime.
	s.writeJSON(w, tokenJSON{AccessToken: tok, Scope: "api-role:1", TokenType: "Bearer", ExpiresIn: max(int(ttl/time.Second)-1, 0)}, f)
}

// authorized checks the bearer token and the Read Computers privilege,
// answering 401 or 403 with Jamf's error body if either fails.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, isBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	ok := s.grants.Check(tok) == fakehttp.TokenValid
	s.mu.Lock()
	read := s.readComputer
	s.mu.Unlock()
	if !isBearer || !ok {
		writeError(w, http.StatusUnauthorized, "INVALID_TOKEN", "Unauthorized", "")
		return false
	}
	if !read {
		writeError(w, http.StatusForbidden, "INVALID_PRIVILEGE", "Forbidden", "")
		return false
	}
	return true
}
