package intune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
)

// accessToken returns a Graph access token, asking Entra ID for a new one
// when none is cached or the cached one is about to expire, and whether
// it is new. Callers wait while one is fetched, so concurrent syncs
// share one token request.
func (c *Client) accessToken(ctx context.Context) (tok string, fresh bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, false, nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.Secret},
		"scope":         {c.scope},
	}.Encode()
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return "", false, tokenError(err)
	}
	var tr struct {
		TokenType   string `json:"token_type"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", false, fmt.Errorf("decoding the access token response: %w", err)
	}
	if tr.AccessToken == "" {
		return "", false, fmt.Errorf("%w: Microsoft Entra ID's token response holds no access_token", integrations.ErrAuth)
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour // Entra ID's tokens last 60-90 minutes
	}
	// Refresh five minutes early (or at half-life for short-lived tokens),
	// so a token never expires between being handed out and being used.
	c.token, c.expires = tr.AccessToken, c.now().Add(ttl-min(5*time.Minute, ttl/2))
	c.log.DebugContext(ctx, "got access token", "expires_in", ttl)
	return c.token, true, nil
}

// tokenError describes a failed token request. Entra ID refusing the
// client (400, 401, 403: wrong secret, expired secret, unknown app or
// tenant) is a credential failure: ErrAuth, with Entra ID's AADSTS code
// and description for the log. The *StatusError is left out of the chain
// so that the status shown is "refused the credentials", not "answered
// 400".
func tokenError(err error) error {
	var se *integrations.StatusError
	if !errors.As(err, &se) || (se.Status != http.StatusBadRequest && se.Status != http.StatusUnauthorized && se.Status != http.StatusForbidden) {
		return fmt.Errorf("requesting an access token from Microsoft Entra ID: %w", err)
	}
	// Entra ID appends trace ids and a timestamp; the log needs only the
	// sentence.
	desc, _, _ := strings.Cut(stringField(se.Body, "error_description"), " Trace ID:")
	if desc == "" {
		desc = "no description"
	}
	return fmt.Errorf("%w: Microsoft Entra ID refused the token request (HTTP %d, %s): %s",
		integrations.ErrAuth, se.Status, stringField(se.Body, "error"), desc)
}

// call GETs u from Graph with an access token and returns the body of a
// 2xx answer. A 401 with a cached token (revoked, or expired early)
// drops it and tries once more with a new one; a 401 on a fresh token is
// ErrAuth. A 403 is the missing permission, said plainly.
func (c *Client) call(ctx context.Context, u string) ([]byte, error) {
	for {
		tok, fresh, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
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
		if err == nil {
			return body, nil
		}
		var se *integrations.StatusError
		if !errors.As(err, &se) {
			return nil, err
		}
		switch se.Status {
		case http.StatusUnauthorized:
			if !fresh {
				c.log.DebugContext(ctx, "graph refused the access token, fetching a new one", "code", graphCode(se))
				c.dropToken(tok)
				continue
			}
		case http.StatusForbidden:
			return nil, c.needsPermission(ctx, se)
		}
		return nil, withGraphError(err, se)
	}
}

// dropToken forgets tok if it is still the cached token.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// needsPermission turns a 403 into the configuration error it is. Like
// Kandji's, the error carries neither ErrAuth nor the *StatusError: both
// read as refused credentials, which would pause the integration for a
// day and hide the sentence that says what to fix. Graph's own words go
// to the log.
func (c *Client) needsPermission(ctx context.Context, se *integrations.StatusError) error {
	code, msg := graphError(se)
	c.log.WarnContext(ctx, "intune refused the device listing: the app lacks DeviceManagementManagedDevices.Read.All",
		"status", se.Status, "code", code, "message", msg)
	return &postern.Error{
		Code:    postern.EINVALID,
		Message: msgNeedsPermission,
		Err:     fmt.Errorf("%s %s: HTTP %d %s", se.Method, se.URL, se.Status, code),
	}
}

// graphError returns the code and message of Graph's error body
// ({"error":{"code","message","innerError"}}) in a status error; empty
// if the body is not one (or was cut short).
func graphError(se *integrations.StatusError) (code, msg string) {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(se.Body), &e) == nil {
		return e.Error.Code, e.Error.Message
	}
	return stringField(se.Body, "code"), stringField(se.Body, "message")
}

// stringField returns the first string value of key in body, a JSON
// document that StatusError may have cut short, as far as body has it.
func stringField(body, key string) string {
	_, rest, ok := strings.Cut(body, `"`+key+`":"`)
	if !ok {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '"':
			return b.String()
		case c == '\\' && i+1 < len(rest):
			i++
			switch rest[i] {
			case 'n', 'r', 't':
				b.WriteByte(' ')
			default:
				b.WriteByte(rest[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func graphCode(se *integrations.StatusError) string {
	code, _ := graphError(se)
	return code
}

// withGraphError puts Graph's error code and message in front of err,
// keeping the chain (and ErrAuth) intact.
func withGraphError(err error, se *integrations.StatusError) error {
	code, msg := graphError(se)
	if code == "" {
		return err
	}
	return fmt.Errorf("%s: %s (HTTP %d): %w", code, msg, se.Status, err)
}
