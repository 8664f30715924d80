package intune

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
)

// aadError is Entra ID's error body on its token endpoint.
type aadError struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	ErrorURI      string `json:"error_uri"`
}

// AADSTS codes the fake answers with, and their messages (as Entra ID
// words them, less the trace lines it appends).
const (
	CodeBadSecret     = 7000215 // wrong client secret
	CodeExpiredSecret = 7000222 // the secret's expiry date has passed
	CodeUnknownApp    = 700016  // no such application in the tenant
	CodeNoTenant      = 90002   // no such tenant
	CodeBadScope      = 1002012 // scope is not {resource}/.default
	CodeBadGrant      = 70003   // grant_type is not client_credentials
	CodeTransient     = 90033   // a transient error: try again
)

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.core.Count(EndpointToken)
	f := s.core.Faults().ForRequest(EndpointToken)
	if s.core.Faults().Apply(w, r, f, s.writeTokenFault) {
		return
	}
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.writeAADError(w, http.StatusBadRequest, "invalid_request", 900144,
			"AADSTS900144: The request body must contain the following parameter: 'grant_type'.")
		return
	}
	form := r.PostForm
	tenant := r.PathValue("tenant")

	s.mu.Lock()
	s.scopes = append(s.scopes, form.Get("scope"))
	wantTenant, clientID, secret, expired := s.tenant, s.clientID, s.secret, s.secretExpired
	s.mu.Unlock()

	switch {
	case !strings.EqualFold(tenant, wantTenant):
		s.writeAADError(w, http.StatusBadRequest, "invalid_request", CodeNoTenant, fmt.Sprintf(
			"AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
	case form.Get("grant_type") != "client_credentials":
		s.writeAADError(w, http.StatusBadRequest, "unsupported_grant_type", CodeBadGrant,
			"AADSTS70003: The app requested an unsupported grant type.")
	case form.Get("client_id") != clientID:
		s.writeAADError(w, http.StatusBadRequest, "unauthorized_client", CodeUnknownApp, fmt.Sprintf(
			"AADSTS700016: Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
			form.Get("client_id"), tenant))
	case form.Get("client_secret") != secret:
		s.writeAADError(w, http.StatusUnauthorized, "invalid_client", CodeBadSecret, fmt.Sprintf(
			"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID))
	case expired:
		s.writeAADError(w, http.StatusUnauthorized, "invalid_client", CodeExpiredSecret, fmt.Sprintf(
			"AADSTS7000222: The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app.", clientID))
	case form.Get("scope") != GraphScope:
		s.writeAADError(w, http.StatusBadRequest, "invalid_scope", CodeBadScope, fmt.Sprintf(
			"AADSTS1002012: The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", form.Get("scope")))
	default:
		tok := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + randomHex(32)
		ttl := s.grants.Issue(tok)
		secs := int(ttl / time.Second)
		s.writeJSON(w, http.StatusOK, struct {
			TokenType    string `json:"token_type"`
			ExpiresIn    int    `json:"expires_in"`
			ExtExpiresIn int    `json:"ext_expires_in"`
			AccessToken  string `json:"access_token"`
		}{"Bearer", secs, secs, tok}, f)
	}
}

// writeTokenFault answers a token request with an injected status:
// 400/401/403 as a refused client, 429 and 5xx as Entra ID's transient
// error (with Retry-After on 429).
func (s *Server) writeTokenFault(w http.ResponseWriter, f *Fault) {
	switch {
	case f.Status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(f.RetrySeconds()))
		s.writeAADError(w, f.Status, "temporarily_unavailable", CodeTransient, "AADSTS90033: A transient error has occurred. Please try again.")
	case f.Status >= 500:
		s.writeAADError(w, f.Status, "temporarily_unavailable", CodeTransient, "AADSTS90033: A transient error has occurred. Please try again.")
	default:
		s.writeAADError(w, f.Status, "invalid_client", CodeBadSecret,
			"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
	}
}

// writeAADError sends Entra ID's error body; the description ends with
// the trace lines Entra ID appends.
func (s *Server) writeAADError(w http.ResponseWriter, status int, code string, num int, desc string) {
	now := time.Now().UTC()
	trace, corr := guid(), guid()
	s.writeJSON(w, status, aadError{
		Error: code,
		Description: fmt.Sprintf("%s Trace ID: %s Correlation ID: %s Timestamp: %s",
			desc, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		Codes:         []int{num},
		Timestamp:     now.Format("2006-01-02 15:04:05Z"),
		TraceID:       trace,
		CorrelationID: corr,
		ErrorURI:      "https://login.microsoftonline.com/error?code=" + strconv.Itoa(num),
	}, nil)
}

// bearer checks a Graph request's access token. It answers 401 and
// reports false if the token is missing, unknown or expired.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		s.writeGraphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return false
	}
	switch s.grants.Check(tok) {
	case fakehttp.TokenExpired:
		s.writeGraphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
		return false
	case fakehttp.TokenUnknown:
		s.writeGraphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return false
	}
	return true
}
