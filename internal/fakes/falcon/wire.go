package falcon

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/postern/postern/internal/fakes/fakehttp"
)

// meta is the "meta" object of every response.
type meta struct {
	QueryTime  float64 `json:"query_time"`
	Pagination any     `json:"pagination,omitempty"`
	PoweredBy  string  `json:"powered_by"`
	TraceID    string  `json:"trace_id"`
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Error messages, verbatim from real responses (provider-apis.md §4).
const (
	msgTokenRefused = "Failed to issue access token - Not Authorized"
	msgBadBearer    = "access denied, invalid bearer token"
	msgForbidden    = "access denied, authorization failed"
	msgRateLimited  = "API rate limit exceeded."
)

func newMeta(poweredBy string) meta {
	return meta{QueryTime: 0.004512, PoweredBy: poweredBy, TraceID: traceID()}
}

func traceID() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// writeJSON sends v with status and its Content-Length, cutting the body
// in half if truncate.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any, truncate bool) {
	w.Header().Set("X-Cs-Traceid", traceID())
	if err := s.core.WriteJSON(w, status, fakehttp.JSON, v, &Fault{Truncate: truncate}); err != nil {
		fakehttp.WriteString(w, http.StatusInternalServerError, fakehttp.JSON, fmt.Sprintf(`{"errors":[{"code":500,"message":%q}]}`, err.Error()))
	}
}

// writeError sends the vendor's error envelope for status.
func (s *Server) writeError(w http.ResponseWriter, ep Endpoint, status int, msg string) {
	poweredBy := "crowdstrike-api-gateway"
	if ep == EndpointToken {
		poweredBy = "csam"
	}
	if msg == "" {
		msg = errorMessage(ep, status)
	}
	s.writeJSON(w, status, struct {
		Meta   meta       `json:"meta"`
		Errors []apiError `json:"errors"`
	}{newMeta(poweredBy), []apiError{{Code: status, Message: msg}}}, false)
}

func errorMessage(ep Endpoint, status int) string {
	switch {
	case ep == EndpointToken && (status == http.StatusUnauthorized || status == http.StatusForbidden):
		return msgTokenRefused
	case status == http.StatusUnauthorized:
		return msgBadBearer
	case status == http.StatusForbidden:
		return msgForbidden
	case status == http.StatusTooManyRequests:
		return msgRateLimited
	}
	return http.StatusText(status)
}

// applyFault delays and, for a status fault, answers the request. It
// reports whether the request was answered (or abandoned).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, ep Endpoint, f *Fault) bool {
	if f == nil {
		return false
	}
	return s.core.Faults().Apply(w, r, f, func(w http.ResponseWriter, f *Fault) {
		if f.Status == http.StatusTooManyRequests {
			w.Header().Set("X-Ratelimit-Limit", "6000")
			w.Header().Set("X-Ratelimit-Remaining", "0")
			w.Header().Set("X-RateLimit-RetryAfter", strconv.FormatInt(time.Now().Add(f.RetryWait()).Unix(), 10))
		}
		s.writeError(w, ep, f.Status, "")
	})
}
