package falcon

import (
	"net/http"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
)

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.core.Count(EndpointToken)
	f := s.core.Faults().ForRequest(EndpointToken)
	if s.applyFault(w, r, EndpointToken, f) {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.writeError(w, EndpointToken, http.StatusBadRequest, "invalid form body")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")

	s.mu.Lock()
	wantID, wantSecret, region := s.clientID, s.secret, s.region
	s.mu.Unlock()
	if id == "" || id != wantID || secret != wantSecret {
		s.writeError(w, EndpointToken, http.StatusForbidden, msgTokenRefused)
		return
	}
	tok := randomHex(32)
	ttl := s.grants.Issue(tok)

	w.Header().Set("X-Cs-Region", region)
	w.Header().Set("X-Ratelimit-Limit", "300")
	w.Header().Set("X-Ratelimit-Remaining", "299")
	s.writeJSON(w, http.StatusCreated, tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: int(ttl / time.Second)}, f != nil && f.Truncate)
}

// authed wraps an API handler with request counting and the bearer check.
func (s *Server) authed(ep Endpoint, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.core.Count(ep)
		if s.grants.Check(tok) != fakehttp.TokenValid {
			s.writeError(w, ep, http.StatusUnauthorized, msgBadBearer)
			return
		}
		w.Header().Set("X-Ratelimit-Limit", "6000")
		w.Header().Set("X-Ratelimit-Remaining", "5999")
		h(w, r)
	}
}
