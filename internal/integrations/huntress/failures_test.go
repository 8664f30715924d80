package huntress

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postern/postern"
	fakehuntress "github.com/postern/postern/internal/fakes/huntress"
	"github.com/postern/postern/internal/integrations"
)

func TestFetchFailures(t *testing.T) {
	noOrg := fmt.Sprintf(msgNoOrg, "99")
	tests := []struct {
		name      string
		fault     *fakehuntress.Fault
		setup     func(*fakehuntress.Server)
		org       string
		timeout   time.Duration
		wantAuth  bool
		wantPlain string // the whole message of a configuration error
		wantText  string
	}{
		{name: "wrong private key", setup: func(s *fakehuntress.Server) { s.SetKeys(pub, "regenerated") }, wantAuth: true, wantText: "Unauthorized (HTTP 401)"},
		{name: "wrong API key", setup: func(s *fakehuntress.Server) { s.SetKeys("other", priv) }, wantAuth: true, wantText: "Unauthorized (HTTP 401)"},
		{name: "401 on page 2", fault: &fakehuntress.Fault{Page: 2, Status: http.StatusUnauthorized}, wantAuth: true, wantText: "page 2"},
		{name: "no API access (403)", setup: func(s *fakehuntress.Server) { s.SetAPIAccess(false) }, wantPlain: msgNoAPIAccess},
		{name: "403 on page 3", fault: &fakehuntress.Fault{Page: 3, Status: http.StatusForbidden}, wantPlain: msgNoAPIAccess},
		{name: "unknown organization (404)", org: "99", wantPlain: noOrg},
		{name: "404 without an organization", fault: &fakehuntress.Fault{Page: 2, Status: http.StatusNotFound}, wantText: "Not Found (HTTP 404)"},
		{name: "500 on page 3", fault: &fakehuntress.Fault{Page: 3, Status: http.StatusInternalServerError}, wantText: "Internal Server Error (HTTP 500)"},
		{name: "429 on page 2 persists", fault: &fakehuntress.Fault{Page: 2, Status: http.StatusTooManyRequests}, wantText: "Too Many Requests"},
		{name: "truncated JSON on page 3", fault: &fakehuntress.Fault{Page: 3, Truncate: true}, wantText: "decoding response"},
		{name: "400", fault: &fakehuntress.Fault{Page: 1, Status: http.StatusBadRequest}, wantText: "HTTP 400"},
		{name: "timeout on page 2", fault: &fakehuntress.Fault{Page: 2, Delay: time.Minute}, timeout: 100 * time.Millisecond, wantText: "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetAgents(agents(350))
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			if tt.setup != nil {
				tt.setup(srv)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			recs, err := newClient(t, srv.URL(), tt.org, 100).Fetch(ctx)
			if err == nil {
				t.Fatalf("got %d records and no error, want an error", len(recs))
			}
			if recs != nil {
				t.Errorf("got %d records with the error, want none", len(recs))
			}
			if got := errors.Is(err, integrations.ErrAuth); got != tt.wantAuth {
				t.Errorf("errors.Is(err, ErrAuth) = %v, want %v (err: %v)", got, tt.wantAuth, err)
			}
			if tt.wantPlain != "" {
				if err.Error() != tt.wantPlain || postern.ErrorMessage(err) != tt.wantPlain {
					t.Errorf("got error %q (message %q), want %q", err, postern.ErrorMessage(err), tt.wantPlain)
				}
				var se *integrations.StatusError
				if errors.As(err, &se) {
					t.Errorf("error %v carries a *StatusError, which reads as a credential failure; want the sentence alone", err)
				}
				if got := integrations.Summary(ID, err); got != tt.wantPlain {
					t.Errorf("Summary: got %q, want %q", got, tt.wantPlain)
				}
			} else if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("got error %q, want it to mention %q", err, tt.wantText)
			}
			for _, secret := range []string{priv, "regenerated"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains the private key", err)
				}
			}
		})
	}
}

func TestFetchRetriesThenSucceeds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakehuntress.Fault
	}{
		{"500 once on page 2", fakehuntress.Fault{Page: 2, Status: http.StatusInternalServerError, Times: 1}},
		{"502 once on page 1", fakehuntress.Fault{Page: 1, Status: http.StatusBadGateway, Times: 1}},
		{"429 once on page 3", fakehuntress.Fault{Page: 3, Status: http.StatusTooManyRequests, Times: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetAgents(agents(250))
			srv.Inject(tc.fault)
			recs, err := newClient(t, srv.URL(), "", 100).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != 250 {
				t.Errorf("got %d records, want 250", len(recs))
			}
			if got := srv.Requests(); got != 4 {
				t.Errorf("got %d requests, want 4 (3 pages and one retry)", got)
			}
		})
	}
}

// TestFetchHonoursRetryAfter: a 429 waits the Retry-After Huntress sends
// (one second here) before asking again, then completes the listing.
func TestFetchHonoursRetryAfter(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents(agents(150))
	srv.Inject(fakehuntress.Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	c, err := New(integrations.Config{BaseURL: srv.URL(), ClientID: pub, Secret: priv,
		Retry: integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c.limit = 100
	start := time.Now()
	recs, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 150 {
		t.Errorf("got %d records, want 150", len(recs))
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("Fetch took %v, want at least the 1s Retry-After", d)
	}
}

func TestFetchRequestTimeout(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents(agents(10))
	srv.Inject(fakehuntress.Fault{Delay: time.Minute})
	c, err := New(integrations.Config{
		BaseURL: srv.URL(), ClientID: pub, Secret: priv, Retry: quick,
		HTTP: &http.Client{Timeout: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Fetch(context.Background())
	if err == nil || recs != nil {
		t.Fatalf("got %d records, error %v; want no records and a timeout error", len(recs), err)
	}
	if got := srv.Requests(); got != quick.Attempts {
		t.Errorf("got %d requests, want %d (each attempt timed out)", got, quick.Attempts)
	}
}

// TestFetchErrorBodies: Huntress's own words are put in front of the
// error whichever shape the body has.
func TestFetchErrorBodies(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"limit does not have a valid value"}`:         "limit does not have a valid value (HTTP 400)",
		`{"errors":["bad page_token","bad limit"]}`:             "bad page_token; bad limit (HTTP 400)",
		`{"errors":[{"message":"organization_id is invalid"}]}`: "organization_id is invalid (HTTP 400)",
		`<html>Bad Request</html>`:                              "unexpected status 400",
	} {
		t.Run(body, func(t *testing.T) {
			var n atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, body)
			}))
			defer ts.Close()
			recs, err := newClient(t, ts.URL, "", 0).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Fatalf("got %d records, error %v; want an error and no records", len(recs), err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got error %q, want it to contain %q", err, want)
			}
			if n.Load() != 1 {
				t.Errorf("got %d requests, want 1 (a 400 is not retried)", n.Load())
			}
		})
	}
}

// TestFetchAcrossRateLimit: Huntress's sliding-window rate limit (here 2
// requests a second) answers 429 with Retry-After in the middle of a
// listing; the client waits and completes it.
func TestFetchAcrossRateLimit(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents(agents(250))
	srv.SetRateLimit(2, time.Second)
	c, err := New(integrations.Config{BaseURL: srv.URL(), ClientID: pub, Secret: priv,
		Retry: integrations.RetryPolicy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c.limit = 100
	recs, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 250 {
		t.Errorf("got %d records, want 250", len(recs))
	}
	if got := srv.Requests(); got < 4 {
		t.Errorf("got %d requests, want at least 4 (3 pages and a refused one)", got)
	}
}
