package falcon

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/postern/postern/internal/integrations"
)

// newAuth returns the client's token source: Falcon's /oauth2/token
// takes the API client id and secret (and member_cid for an MSSP's child
// tenant), and its tokens last 1799 s. Unlike the other vendors, a 401
// is retried once even on a token fetched for that very call, as this
// client always has (TestToken pins it).
func newAuth(c *Client) *integrations.ClientCredentials {
	form := url.Values{"client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.Secret}}
	if c.cfg.TenantID != "" {
		form.Set("member_cid", c.cfg.TenantID)
	}
	return &integrations.ClientCredentials{
		Do:         c.cfg.Do,
		URL:        c.base + "/oauth2/token",
		Form:       form,
		DefaultTTL: 30 * time.Minute,
		RetryFresh: true,
		Explain:    explain,
		Now:        c.now,
		Log:        c.log,
	}
}

// call sends an authorised request and returns the body of a 2xx answer.
// A 401 (the token was revoked or expired early) drops the token and
// tries once more with a new one. A failed request carries the API's
// own message (explain); a failed token request already does.
func (c *Client) call(ctx context.Context, method, u string, payload []byte) ([]byte, error) {
	body, err := c.auth.Call(ctx, func(ctx context.Context, tok string) ([]byte, error) {
		return c.cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
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
	})
	var te *integrations.TokenError
	if err != nil && !errors.As(err, &te) {
		return nil, explain(err)
	}
	return body, err
}

// newRequest avoids handing http.NewRequest a typed nil reader.
func newRequest(ctx context.Context, method, u string, rd *bytes.Reader) (*http.Request, error) {
	if rd == nil {
		return http.NewRequestWithContext(ctx, method, u, nil)
	}
	return http.NewRequestWithContext(ctx, method, u, rd)
}
