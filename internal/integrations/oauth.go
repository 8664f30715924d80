package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ClientCredentials fetches an OAuth2 client-credentials access token
// (RFC 6749 section 4.4) and caches it until shortly before it expires.
// Callers wait while one is fetched, so concurrent requests share one
// token request. What differs between vendors (where to ask, which form
// fields, how the vendor says "refused") is in its fields; set them
// before first use. It is safe for concurrent use.
type ClientCredentials struct {
	// Do sends the token request (and Get's requests) and returns the
	// body of a 2xx answer; normally a Config's Do.
	Do func(ctx context.Context, newReq func(ctx context.Context) (*http.Request, error)) ([]byte, error)
	// URL is the token endpoint.
	URL string
	// Form is the form posted to URL: client id, secret, grant type and
	// whatever else the vendor asks for.
	Form url.Values
	// Issuer names who issues the tokens in error messages ("Microsoft
	// Entra ID"); empty leaves it out.
	Issuer string
	// DefaultTTL is how long a token lasts when the answer has no
	// expires_in; zero means a minute.
	DefaultTTL time.Duration
	// Margin is how long before its expiry a token stops being used, at
	// most half its lifetime, so that it never expires between being
	// handed out and being used; zero means a minute.
	Margin time.Duration
	// RetryFresh makes Call also retry once when the token refused was
	// fetched for that very call; by default only a cached token is.
	RetryFresh bool
	// Explain turns the error of a failed token request into the one to
	// return: the vendor's rules for "refused" (ErrAuth) and its own
	// words. Nil returns the error as Do gave it.
	Explain func(err error) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives debug lines about tokens (never the token); nil
	// discards them.
	Log *slog.Logger

	mu      sync.Mutex // guards token and expires; held while fetching one
	token   string
	expires time.Time // when to stop using token
}

// TokenError is a failure to get an access token, as Call returns it:
// it keeps the token endpoint's answers apart from the API's, whose 403
// may mean something else. Its message is its cause's.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

// Token returns an access token and whether it was fetched just now,
// fetching one when none is cached or the cached one is about to
// expire.
func (cc *ClientCredentials) Token(ctx context.Context) (tok string, fresh bool, err error) {
	now := cc.Now
	if now == nil {
		now = time.Now
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.token != "" && now().Before(cc.expires) {
		return cc.token, false, nil
	}
	tok, ttl, err := cc.fetch(ctx)
	if err != nil {
		what := "requesting an access token"
		if cc.Issuer != "" {
			what += " from " + cc.Issuer
		}
		return "", false, fmt.Errorf("%s: %w", what, err)
	}
	margin := cc.Margin
	if margin <= 0 {
		margin = time.Minute
	}
	cc.token, cc.expires = tok, now().Add(ttl-min(margin, ttl/2))
	if cc.Log != nil {
		cc.Log.DebugContext(ctx, "got access token", "expires_in", ttl)
	}
	return tok, true, nil
}

// fetch asks the token endpoint for a token and returns it with its
// lifetime.
func (cc *ClientCredentials) fetch(ctx context.Context) (string, time.Duration, error) {
	form := cc.Form.Encode()
	body, err := cc.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, cc.URL, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		if cc.Explain != nil {
			err = cc.Explain(err)
		}
		return "", 0, err
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", 0, fmt.Errorf("decoding the access token response: %w", err)
	}
	if tr.AccessToken == "" {
		return "", 0, fmt.Errorf("%w: the response holds no access_token", ErrAuth)
	}
	// The token is sent as "Bearer"; any other kind would be refused.
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer") {
		return "", 0, fmt.Errorf("token type %q, want Bearer", tr.TokenType)
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = cc.DefaultTTL
	}
	if ttl <= 0 {
		ttl = time.Minute
	}
	return tr.AccessToken, ttl, nil
}

// Drop forgets tok if it is still the cached token.
func (cc *ClientCredentials) Drop(tok string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.token == tok {
		cc.token = ""
	}
}

// Call runs send with an access token and returns what it returns. A
// 401 (a *StatusError) to a cached token (revoked, or expired early)
// drops it and runs send once more with a new one; a 401 to a token
// fetched for this very call is returned, unless RetryFresh. A failure
// to get a token is a *TokenError.
func (cc *ClientCredentials) Call(ctx context.Context, send func(ctx context.Context, token string) ([]byte, error)) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		tok, fresh, err := cc.Token(ctx)
		if err != nil {
			return nil, &TokenError{err}
		}
		body, err := send(ctx, tok)
		var se *StatusError
		if attempt == 0 && (!fresh || cc.RetryFresh) && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			if cc.Log != nil {
				cc.Log.DebugContext(ctx, "access token refused, fetching a new one")
			}
			cc.Drop(tok)
			continue
		}
		return body, err
	}
}

// Get GETs u with an access token, asking for JSON, through Call: a
// refused cached token is replaced once. It returns the body of a 2xx
// answer.
func (cc *ClientCredentials) Get(ctx context.Context, u string) ([]byte, error) {
	return cc.Call(ctx, func(ctx context.Context, tok string) ([]byte, error) {
		return cc.Do(ctx, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Accept", "application/json")
			return req, nil
		})
	})
}
