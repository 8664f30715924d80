package integrations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testSecret = "s3cret-value"

// tokenServer issues tok-1, tok-2, ... at /token with the given answer
// template, and serves /api, which accepts only the newest token.
type tokenServer struct {
	*httptest.Server
	tokens atomic.Int32
	status int    // token endpoint status; 0 means 200
	body   string // token answer; %d is the token number
	mu     sync.Mutex
	form   map[string]string
	revoke atomic.Bool  // /api refuses every token
	forbid atomic.Bool  // /api answers 403 to a good token
	accept atomic.Value // the Accept header /api last got
}

func newTokenServer(t *testing.T, body string) *tokenServer {
	ts := &tokenServer{body: body}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			n := ts.tokens.Add(1)
			if err := r.ParseForm(); err != nil {
				t.Errorf("parsing the token form: %v", err)
			}
			ts.mu.Lock()
			ts.form = map[string]string{}
			for k := range r.PostForm {
				ts.form[k] = r.PostForm.Get(k)
			}
			ts.mu.Unlock()
			if ts.status != 0 {
				w.WriteHeader(ts.status)
			}
			if strings.Contains(ts.body, "%d") {
				fmt.Fprintf(w, ts.body, n)
			} else {
				fmt.Fprint(w, ts.body)
			}
		case "/api":
			ts.accept.Store(r.Header.Get("Accept"))
			if ts.revoke.Load() || r.Header.Get("Authorization") != fmt.Sprintf("Bearer tok-%d", ts.tokens.Load()) {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if ts.forbid.Load() {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			fmt.Fprint(w, "ok")
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) credentials(now func() time.Time) *ClientCredentials {
	cfg := &Config{Retry: RetryPolicy{Attempts: 1}}
	return &ClientCredentials{
		Do:     cfg.Do,
		URL:    ts.URL + "/token",
		Form:   map[string][]string{"grant_type": {"client_credentials"}, "client_id": {"id"}, "client_secret": {testSecret}},
		Issuer: "Test IdP",
		Now:    now,
	}
}

func (ts *tokenServer) call(ctx context.Context, tok string) ([]byte, error) {
	cfg := &Config{Retry: RetryPolicy{Attempts: 1}}
	return cfg.Do(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/api", nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return req, nil
	})
}

func TestClientCredentialsCache(t *testing.T) {
	for _, tc := range []struct {
		name       string
		expiresIn  int
		defaultTTL time.Duration
		margin     time.Duration
		stillGood  time.Duration // a token is still used this long after being fetched
		refetched  time.Duration // and fetched again by this long after
	}{
		{"default margin of a minute", 1799, 0, 0, 28*time.Minute + 58*time.Second, 28*time.Minute + 59*time.Second},
		{"five minute margin", 3599, 0, 5 * time.Minute, 54*time.Minute + 58*time.Second, 54*time.Minute + 59*time.Second},
		{"half-life for short tokens", 60, 0, 5 * time.Minute, 29 * time.Second, 30 * time.Second},
		{"no expires_in: DefaultTTL", 0, time.Hour, 5 * time.Minute, 54 * time.Minute, 55 * time.Minute},
		{"no expires_in, no DefaultTTL: a minute", 0, 0, 0, 29 * time.Second, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTokenServer(t, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":`+fmt.Sprint(tc.expiresIn)+`}`)
			start := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
			var mu sync.Mutex
			now := start
			cc := ts.credentials(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
			cc.DefaultTTL, cc.Margin = tc.defaultTTL, tc.margin
			set := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = start.Add(d) }
			for _, step := range []struct {
				at        time.Duration
				want      string
				wantFresh bool
			}{{0, "tok-1", true}, {tc.stillGood, "tok-1", false}, {tc.refetched, "tok-2", true}} {
				set(step.at)
				tok, fresh, err := cc.Token(context.Background())
				if err != nil {
					t.Fatalf("Token at %v: %v", step.at, err)
				}
				if tok != step.want || fresh != step.wantFresh {
					t.Errorf("at %v: got %q fresh %v, want %q fresh %v", step.at, tok, fresh, step.want, step.wantFresh)
				}
			}
		})
	}
}

func TestClientCredentialsForm(t *testing.T) {
	ts := newTokenServer(t, `{"access_token":"tok-%d","expires_in":60}`)
	cc := ts.credentials(nil)
	cc.Form.Set("scope", "https://graph.example/.default")
	if _, _, err := cc.Token(context.Background()); err != nil {
		t.Fatalf("Token: %v", err)
	}
	want := map[string]string{"grant_type": "client_credentials", "client_id": "id", "client_secret": testSecret, "scope": "https://graph.example/.default"}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if fmt.Sprint(ts.form) != fmt.Sprint(want) {
		t.Errorf("got form %v, want %v", ts.form, want)
	}
}

func TestClientCredentialsCall(t *testing.T) {
	const answer = `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`
	t.Run("cached token revoked: refetched and used", func(t *testing.T) {
		ts := newTokenServer(t, answer)
		cc := ts.credentials(nil)
		if _, err := cc.Call(context.Background(), ts.call); err != nil {
			t.Fatalf("Call: %v", err)
		}
		ts.tokens.Add(1) // the server now wants a token it has not issued: tok-1 is stale
		body, err := cc.Call(context.Background(), ts.call)
		if err != nil || string(body) != "ok" {
			t.Fatalf("got %q, %v; want ok", body, err)
		}
		if got := ts.tokens.Load(); got != 3 {
			t.Errorf("got token counter %d, want 3 (one refetch)", got)
		}
	})
	t.Run("cached token refused, and the new one too: once only", func(t *testing.T) {
		ts := newTokenServer(t, answer)
		cc := ts.credentials(nil)
		if _, _, err := cc.Token(context.Background()); err != nil {
			t.Fatalf("Token: %v", err)
		}
		ts.revoke.Store(true)
		_, err := cc.Call(context.Background(), ts.call)
		if !errors.Is(err, ErrAuth) {
			t.Errorf("got error %v, want ErrAuth", err)
		}
		if got := ts.tokens.Load(); got != 2 {
			t.Errorf("got %d token requests, want 2 (one refetch)", got)
		}
	})
	for _, tc := range []struct {
		name       string
		retryFresh bool
		wantTokens int32
	}{
		{"fresh token refused: ErrAuth at once", false, 1},
		{"fresh token refused with RetryFresh: once more", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTokenServer(t, answer)
			ts.revoke.Store(true)
			cc := ts.credentials(nil)
			cc.RetryFresh = tc.retryFresh
			_, err := cc.Call(context.Background(), ts.call)
			var se *StatusError
			if !errors.Is(err, ErrAuth) || !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
				t.Errorf("got error %v, want ErrAuth with a 401", err)
			}
			var te *TokenError
			if errors.As(err, &te) {
				t.Errorf("got a *TokenError for the API's 401: %v", err)
			}
			if got := ts.tokens.Load(); got != tc.wantTokens {
				t.Errorf("got %d token requests, want %d", got, tc.wantTokens)
			}
		})
	}
}

func TestClientCredentialsTokenFailures(t *testing.T) {
	refused := errors.New("refused by the test IdP")
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		explain  func(error) error
		wantAuth bool
		wantText string
	}{
		{"no access_token", 200, `{"token_type":"Bearer","expires_in":60}`, nil, true, "requesting an access token from Test IdP: " + ErrAuth.Error() + ": the response holds no access_token"},
		{"wrong token type", 200, `{"access_token":"tok-%d","token_type":"MAC"}`, nil, false, `token type "MAC", want Bearer`},
		{"not JSON", 200, `not json`, nil, false, "decoding the access token response"},
		{"401 from Do", 401, `{"error":"invalid_client","n":%d}`, nil, true, "invalid_client"},
		{"400 explained", 400, `{"error":"invalid_client","n":%d}`, func(err error) error { return fmt.Errorf("%w: %w", refused, err) }, false, "requesting an access token from Test IdP: refused by the test IdP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTokenServer(t, tc.body)
			ts.status = tc.status
			cc := ts.credentials(nil)
			cc.Explain = tc.explain
			var sent atomic.Bool
			_, err := cc.Call(context.Background(), func(ctx context.Context, tok string) ([]byte, error) {
				sent.Store(true)
				return nil, nil
			})
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("got error %v, want a *TokenError", err)
			}
			if sent.Load() {
				t.Errorf("send ran without a token")
			}
			if got := errors.Is(err, ErrAuth); got != tc.wantAuth {
				t.Errorf("errors.Is(%v, ErrAuth): got %v, want %v", err, got, tc.wantAuth)
			}
			if tc.explain != nil && !errors.Is(err, refused) {
				t.Errorf("got error %v, want Explain's", err)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("got error %q, want it to contain %q", err, tc.wantText)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error %q holds the client secret", err)
			}
			// A failure caches nothing: the next call asks again.
			cc.Call(context.Background(), func(context.Context, string) ([]byte, error) { return nil, nil })
			if got := ts.tokens.Load(); got != 2 {
				t.Errorf("got %d token requests after two failed calls, want 2", got)
			}
		})
	}
}

func TestClientCredentialsGet(t *testing.T) {
	ts := newTokenServer(t, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`)
	cc := ts.credentials(nil)
	if _, err := cc.Get(context.Background(), ts.URL+"/api"); err != nil {
		t.Fatalf("Get: %v", err)
	}
	ts.tokens.Add(1) // tok-1 is stale now
	body, err := cc.Get(context.Background(), ts.URL+"/api")
	if err != nil || string(body) != "ok" {
		t.Fatalf("got %q, %v; want ok after one refetch", body, err)
	}
	if got := ts.tokens.Load(); got != 3 {
		t.Errorf("got token counter %d, want 3 (one refetch)", got)
	}
	if got := ts.accept.Load(); got != "application/json" {
		t.Errorf("got Accept %q, want application/json", got)
	}
	ts.forbid.Store(true)
	_, err = cc.Get(context.Background(), ts.URL+"/api")
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusForbidden {
		t.Errorf("got error %v, want the 403", err)
	}
	if got := ts.tokens.Load(); got != 3 {
		t.Errorf("got token counter %d after a 403, want 3 (no refetch)", got)
	}
}
