package jamfpro

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/postern/postern/internal/integrations"
)

// newAuth returns the client's token source: Jamf Pro's TokenPath takes
// the API client's id and secret. Jamf Pro can be set to issue tokens
// that last only 60 seconds, which the half-life margin allows for.
func newAuth(c *Client) *integrations.ClientCredentials {
	return &integrations.ClientCredentials{
		Do:  c.cfg.Do,
		URL: c.base + TokenPath,
		Form: url.Values{
			"client_id":     {c.cfg.ClientID},
			"client_secret": {c.cfg.Secret},
			"grant_type":    {"client_credentials"},
		},
		Explain: tokenRefused,
		Now:     c.now,
		Log:     c.log,
	}
}

// tokenRefused adds Jamf's own words to a failed token request, and
// ErrAuth to a 400 that refuses the client: RFC 6749 allows 400 for a
// client the server does not know.
func tokenRefused(err error) error {
	var se *integrations.StatusError
	if errors.As(err, &se) && se.Status == http.StatusBadRequest && refusedClient(se.Body) {
		err = fmt.Errorf("%w: %w", integrations.ErrAuth, err)
	}
	return withDetail(err)
}

// call GETs u with a bearer token and returns the body of a 2xx answer.
// A 401 to a cached token (revoked, or expired early) drops it and tries
// once more with a new one; a 401 to a token fetched for this very call
// is a credential failure (ErrAuth, from Config.Do). A failure to get a
// token is an *integrations.TokenError.
func (c *Client) call(ctx context.Context, u string) ([]byte, error) {
	return c.auth.Get(ctx, u)
}

// errorBody is what Jamf Pro answers errors with: its own
// {"httpStatus", "errors": [...]} on the API, RFC 6749's {"error"} on
// the token endpoint.
type errorBody struct {
	Errors []struct {
		Code        string  `json:"code"`
		Description string  `json:"description"`
		Field       *string `json:"field"`
	} `json:"errors"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// detail returns Jamf's own words in an error body ("INVALID_TOKEN:
// Unauthorized", "invalid_client"), or "".
func detail(body string) string {
	var e errorBody
	if json.Unmarshal([]byte(body), &e) != nil {
		return ""
	}
	if e.Error != "" {
		if e.ErrorDescription != "" {
			return e.Error + ": " + e.ErrorDescription
		}
		return e.Error
	}
	var parts []string
	for _, item := range e.Errors {
		s := item.Code
		if item.Description != "" {
			s += ": " + item.Description
		}
		if item.Field != nil && *item.Field != "" {
			s += " (" + *item.Field + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// refusedClient reports whether a token endpoint's error body refuses
// the client or its credentials.
func refusedClient(body string) bool {
	var e errorBody
	if json.Unmarshal([]byte(body), &e) != nil {
		return false
	}
	switch e.Error {
	case "invalid_client", "invalid_grant", "unauthorized_client":
		return true
	}
	return false
}

// withDetail puts Jamf's own words in front of a status error, keeping
// the chain (and ErrAuth) intact.
func withDetail(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) {
		return err
	}
	d := detail(se.Body)
	if d == "" {
		return fmt.Errorf("HTTP %d: %w", se.Status, err)
	}
	return fmt.Errorf("%s (HTTP %d): %w", d, se.Status, err)
}
