package jamfpro

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postern/postern/internal/integrations"
)

// accessToken returns a bearer token and whether it was fetched just
// now, fetching one when none is cached or the cached one is about to
// expire. Callers wait while one is fetched.
func (c *Client) accessToken(ctx context.Context) (tok string, fresh bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, false, nil
	}
	form := url.Values{
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.Secret},
		"grant_type":    {"client_credentials"},
	}.Encode()
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+TokenPath, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		var se *integrations.StatusError
		if errors.As(err, &se) && se.Status == http.StatusBadRequest && refusedClient(se.Body) {
			// RFC 6749 allows 400 for a client it does not know.
			err = fmt.Errorf("%w: %w", integrations.ErrAuth, err)
		}
		return "", false, fmt.Errorf("requesting an access token: %w", withDetail(err))
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", false, fmt.Errorf("decoding the access token response: %w", err)
	}
	if tr.AccessToken == "" {
		return "", false, fmt.Errorf("requesting an access token: %w: the response holds no access_token", integrations.ErrAuth)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer") {
		return "", false, fmt.Errorf("requesting an access token: token type %q, want Bearer", tr.TokenType)
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Minute
	}
	// Stop using a token a minute early (at half-life for short-lived
	// ones, such as the 60-second tokens Jamf Pro can be set to issue),
	// so that it never expires between being handed out and being used.
	c.token, c.expires = tr.AccessToken, c.now().Add(ttl-min(time.Minute, ttl/2))
	c.log.DebugContext(ctx, "got access token", "expires_in", ttl)
	return c.token, true, nil
}

// dropToken forgets tok if it is still the cached token.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// tokenError is a failure to get an access token, kept apart from the
// API's answers: a 403 from the token endpoint refuses the client, one
// from the inventory names a missing privilege.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// call GETs u with a bearer token and returns the body of a 2xx answer.
// A 401 to a cached token (revoked, or expired early) drops it and tries
// once more with a new one; a 401 to a token fetched for this very call
// is a credential failure (ErrAuth, from Config.Do). A failure to get a
// token is a *tokenError.
func (c *Client) call(ctx context.Context, u string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		tok, fresh, err := c.accessToken(ctx)
		if err != nil {
			return nil, &tokenError{err}
		}
		body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Accept", "application/json")
			return req, nil
		})
		var se *integrations.StatusError
		if !fresh && attempt == 0 && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			c.log.DebugContext(ctx, "access token refused, fetching a new one")
			c.dropToken(tok)
			continue
		}
		return body, err
	}
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
