package falcon

import (
	"bytes"
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

// accessToken returns a bearer token, fetching a new one when none is
// cached or the cached one is about to expire. Callers wait while one is
// fetched, so concurrent requests share one token request.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, nil
	}
	form := url.Values{"client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.Secret}}
	if c.cfg.TenantID != "" {
		form.Set("member_cid", c.cfg.TenantID)
	}
	encoded := form.Encode()
	body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/oauth2/token", strings.NewReader(encoded))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return "", fmt.Errorf("requesting an access token: %w", explain(err))
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", fmt.Errorf("decoding the access token response: %w", err)
	}
	if tr.AccessToken == "" {
		return "", fmt.Errorf("requesting an access token: %w: the response holds no access_token", integrations.ErrAuth)
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 30 * time.Minute // Falcon's tokens last 1799 s
	}
	// Refresh a minute early (or at half-life for short-lived tokens), so a
	// token never expires between being handed out and being used.
	c.token, c.expires = tr.AccessToken, c.now().Add(ttl-min(time.Minute, ttl/2))
	c.log.DebugContext(ctx, "got access token", "expires_in", ttl)
	return c.token, nil
}

// dropToken forgets tok if it is still the cached token.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// call sends an authorised request and returns the body of a 2xx answer.
// A 401 (the token was revoked or expired early) drops the token and
// tries once more with a new one.
func (c *Client) call(ctx context.Context, method, u string, payload []byte) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		body, err := c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
			var rd *bytes.Reader
			if payload != nil {
				rd = bytes.NewReader(payload)
			}
			req, err := newRequest(ctx, method, u, rd)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Accept", "application/json")
			if payload != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req, nil
		})
		var se *integrations.StatusError
		if attempt == 0 && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			c.log.DebugContext(ctx, "bearer token refused, fetching a new one")
			c.dropToken(tok)
			continue
		}
		if err != nil {
			return nil, explain(err)
		}
		return body, nil
	}
}

// newRequest avoids handing http.NewRequest a typed nil reader.
func newRequest(ctx context.Context, method, u string, rd *bytes.Reader) (*http.Request, error) {
	if rd == nil {
		return http.NewRequestWithContext(ctx, method, u, nil)
	}
	return http.NewRequestWithContext(ctx, method, u, rd)
}
