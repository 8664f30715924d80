package jamfpro

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fakejamf "github.com/postern/postern/internal/fakes/jamfpro"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/integrationstest"
)

// TestFetchForbidden: an API client whose role lacks Read Computers is a
// configuration error said plainly, not a credential failure, so the
// sync engine shows it and retries on schedule instead of pausing.
func TestFetchForbidden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fakejamf.Server)
	}{
		{"role without Read Computers", func(f *fakejamf.Server) { f.SetReadComputers(false) }},
		{"403 on page 3", func(f *fakejamf.Server) {
			f.Inject(fakejamf.Fault{Endpoint: fakejamf.EndpointInventory, Page: 3, Status: http.StatusForbidden})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetComputers(make([]fakejamf.Computer, 10))
			tc.setup(srv)
			recs, err := newClient(t, srv.URL(), 3).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Fatalf("Fetch: got %d records, error %v; want an error and no records", len(recs), err)
			}
			integrationstest.PlainError(t, ID, err, msgNeedsRead)
		})
	}
}

func TestFetchFailures(t *testing.T) {
	tok, inv := fakejamf.EndpointToken, fakejamf.EndpointInventory
	for _, tc := range []struct {
		name      string
		fault     fakejamf.Fault
		setup     func(*fakejamf.Server)
		timeout   time.Duration
		wantAuth  bool
		wantInErr string
	}{
		{name: "wrong secret", setup: func(f *fakejamf.Server) { f.SetCredentials(clientID, "rotated") }, wantAuth: true, wantInErr: "invalid_client"},
		{name: "client deleted", setup: func(f *fakejamf.Server) { f.SetCredentials("another-client", secret) }, wantAuth: true, wantInErr: "requesting an access token"},
		{name: "token 403", fault: fakejamf.Fault{Endpoint: tok, Status: http.StatusForbidden}, wantAuth: true, wantInErr: "requesting an access token"},
		{name: "token 400 invalid_client", fault: fakejamf.Fault{Endpoint: tok, Status: http.StatusBadRequest}, wantAuth: true, wantInErr: "invalid_client"},
		{name: "token 500", fault: fakejamf.Fault{Endpoint: tok, Status: http.StatusInternalServerError}, wantInErr: "UNEXPECTED_ERROR"},
		{name: "token truncated", fault: fakejamf.Fault{Endpoint: tok, Truncate: true}, wantInErr: "decoding the access token"},
		{name: "401 to a fresh token", fault: fakejamf.Fault{Endpoint: inv, Status: http.StatusUnauthorized}, wantAuth: true, wantInErr: "INVALID_TOKEN: Unauthorized"},
		{name: "401 on page 2", fault: fakejamf.Fault{Endpoint: inv, Page: 2, Status: http.StatusUnauthorized}, wantAuth: true, wantInErr: "page 1"},
		{name: "500 on page 3", fault: fakejamf.Fault{Endpoint: inv, Page: 3, Status: http.StatusInternalServerError}, wantInErr: "page 2"},
		{name: "429 persists", fault: fakejamf.Fault{Endpoint: inv, Page: 2, Status: http.StatusTooManyRequests}, wantInErr: "TOO_MANY_REQUESTS"},
		{name: "truncated JSON on page 2", fault: fakejamf.Fault{Endpoint: inv, Page: 2, Truncate: true}, wantInErr: "decoding response"},
		{name: "404", fault: fakejamf.Fault{Endpoint: inv, Status: http.StatusNotFound}, wantInErr: "HTTP 404"},
		{name: "400", fault: fakejamf.Fault{Endpoint: inv, Page: 2, Status: http.StatusBadRequest}, wantInErr: "INVALID_FIELD"},
		{name: "timeout on page 2", fault: fakejamf.Fault{Endpoint: inv, Page: 2, Delay: 10 * time.Second}, timeout: 100 * time.Millisecond, wantInErr: "deadline exceeded"},
		{name: "timeout on the token", fault: fakejamf.Fault{Endpoint: tok, Delay: 10 * time.Second}, timeout: 100 * time.Millisecond, wantInErr: "deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetComputers(make([]fakejamf.Computer, 10))
			if tc.setup != nil {
				tc.setup(srv)
			} else {
				srv.Inject(tc.fault)
			}
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			start := time.Now()
			recs, err := newClient(t, srv.URL(), 3).Fetch(ctx)
			if err == nil {
				t.Fatalf("Fetch: got %d records and no error, want an error", len(recs))
			}
			t.Logf("error: %v\nsummary: %s", err, integrations.Summary(ID, err))
			if recs != nil {
				t.Errorf("Fetch: got %d records with the error, want none", len(recs))
			}
			if got := errors.Is(err, integrations.ErrAuth); got != tc.wantAuth {
				t.Errorf("errors.Is(%v, ErrAuth): got %v, want %v", err, got, tc.wantAuth)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q: want it to contain %q", err, tc.wantInErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the client secret", err)
			}
			if tc.timeout > 0 && time.Since(start) > 5*time.Second {
				t.Errorf("Fetch returned after %v, want soon after the %v deadline", time.Since(start), tc.timeout)
			}
		})
	}
}

func TestFetchRetriesThenSucceeds(t *testing.T) {
	tok, inv := fakejamf.EndpointToken, fakejamf.EndpointInventory
	for _, tc := range []struct {
		fault fakejamf.Fault
		base  int // requests to the fault's endpoint without it
	}{
		{fakejamf.Fault{Endpoint: inv, Page: 2, Status: http.StatusInternalServerError, Times: 1}, 4},
		{fakejamf.Fault{Endpoint: inv, Status: http.StatusBadGateway, Times: 2}, 4},
		{fakejamf.Fault{Endpoint: inv, Page: 3, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1}, 4},
		{fakejamf.Fault{Endpoint: tok, Status: http.StatusTooManyRequests, Times: 1}, 1},
		{fakejamf.Fault{Endpoint: tok, Status: http.StatusServiceUnavailable, Times: 1}, 1},
	} {
		t.Run(fmt.Sprintf("%d on %s page %d", tc.fault.Status, tc.fault.Endpoint, tc.fault.Page), func(t *testing.T) {
			srv := newServer(t)
			srv.SetComputers(make([]fakejamf.Computer, 10))
			srv.Inject(tc.fault)
			recs, err := newClient(t, srv.URL(), 3).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != 10 {
				t.Errorf("records: got %d, want 10", len(recs))
			}
			if got, want := srv.Requests(tc.fault.Endpoint), tc.base+tc.fault.Times; got != want {
				t.Errorf("requests to %s: got %d, want %d", tc.fault.Endpoint, got, want)
			}
		})
	}
}

// TestFetchHonoursRetryAfter: a 429's Retry-After is waited out before
// the page is asked again.
func TestFetchHonoursRetryAfter(t *testing.T) {
	srv := newServer(t)
	srv.SetComputers(make([]fakejamf.Computer, 5))
	srv.Inject(fakejamf.Fault{Endpoint: fakejamf.EndpointInventory, Page: 2, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	c, err := New(integrations.Config{BaseURL: srv.URL(), ClientID: clientID, Secret: secret,
		Retry: integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c.PageSize = 3
	start := time.Now()
	recs, err := c.Fetch(context.Background())
	if err != nil || len(recs) != 5 {
		t.Fatalf("Fetch: got %d records, error %v; want 5 and no error", len(recs), err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("Fetch took %v, want at least the 1s Retry-After", d)
	}
}

func TestFetchNonListBodies(t *testing.T) {
	for _, body := range []string{
		`null`,
		`[]`,
		`{"totalCount":3}`,
		`{"totalCount":3,"results":null}`,
		`{"totalCount":1,"results":{"id":"1"}}`,
		`{"totalCount":"3","results":[]}`,
		`<html></html>`,
	} {
		t.Run(body, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == TokenPath {
					fmt.Fprint(w, `{"access_token":"t","scope":"api-role:1","token_type":"Bearer","expires_in":1799}`)
					return
				}
				fmt.Fprint(w, body)
			}))
			defer srv.Close()
			recs, err := newClient(t, srv.URL, 0).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Errorf("Fetch of %s: got %d records, error %v; want an error and no records", body, len(recs), err)
			}
		})
	}
}

// TestFetchTokenBodies: a token answer Postern cannot use fails the sync.
func TestFetchTokenBodies(t *testing.T) {
	for _, tc := range []struct {
		body     string
		wantAuth bool
	}{
		{`{"scope":"api-role:1","token_type":"Bearer","expires_in":1799}`, true},
		{`{"access_token":"t","token_type":"MAC","expires_in":1799}`, false},
		{`not json`, false},
	} {
		t.Run(tc.body, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tc.body) }))
			defer srv.Close()
			recs, err := newClient(t, srv.URL, 0).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Fatalf("got %d records, error %v; want an error and no records", len(recs), err)
			}
			if got := errors.Is(err, integrations.ErrAuth); got != tc.wantAuth {
				t.Errorf("errors.Is(%v, ErrAuth): got %v, want %v", err, got, tc.wantAuth)
			}
		})
	}
}

// TestRequests checks the token request is the client credentials
// grant Jamf Pro documents, and the inventory request asks for the
// sections, order and paging the client relies on.
func TestRequests(t *testing.T) {
	var form, query map[string][]string
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case TokenPath:
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				t.Errorf("token request: %s with Content-Type %q, want a POSTed form", r.Method, r.Header.Get("Content-Type"))
			}
			r.ParseForm()
			form = r.PostForm
			fmt.Fprint(w, `{"access_token":"tok-1","scope":"api-role:1","token_type":"Bearer","expires_in":1799}`)
		case InventoryPath:
			query, auth = r.URL.Query(), r.Header.Get("Authorization")
			fmt.Fprint(w, `{"totalCount":0,"results":[]}`)
		default:
			t.Errorf("unexpected request to %s", r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	if _, err := newClient(t, srv.URL+"/api/", 250).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"client_id": clientID, "client_secret": secret, "grant_type": "client_credentials"} {
		if got := strings.Join(form[k], ","); got != want {
			t.Errorf("token form %s: got %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]string{"section": "GENERAL,HARDWARE,OPERATING_SYSTEM,SECURITY", "page": "0", "page-size": "250", "sort": "id:asc"} {
		if got := strings.Join(query[k], ","); got != want {
			t.Errorf("inventory query %s: got %q, want %q", k, got, want)
		}
	}
	if auth != "Bearer tok-1" {
		t.Errorf("Authorization: got %q, want %q", auth, "Bearer tok-1")
	}
}

// TestCachedTokenThenRefused: after a rotation, the cached token is
// refused and so is the request for a new one: a credential failure.
// A fresh token refused as well is one too, after one new token only.
func TestCachedTokenThenRefused(t *testing.T) {
	t.Run("secret rotated", func(t *testing.T) {
		srv := newServer(t)
		srv.SetComputers(make([]fakejamf.Computer, 3))
		c := newClient(t, srv.URL(), 0)
		fetch(t, c)
		srv.SetCredentials(clientID, "rotated")
		srv.RevokeTokens()
		recs, err := c.Fetch(context.Background())
		if !errors.Is(err, integrations.ErrAuth) || recs != nil {
			t.Errorf("Fetch: got %d records, error %v; want ErrAuth and no records", len(recs), err)
		}
	})
	t.Run("every token refused", func(t *testing.T) {
		srv := newServer(t)
		srv.SetComputers(make([]fakejamf.Computer, 3))
		c := newClient(t, srv.URL(), 0)
		fetch(t, c)
		srv.Inject(fakejamf.Fault{Endpoint: fakejamf.EndpointInventory, Status: http.StatusUnauthorized})
		recs, err := c.Fetch(context.Background())
		if !errors.Is(err, integrations.ErrAuth) || recs != nil {
			t.Errorf("Fetch: got %d records, error %v; want ErrAuth and no records", len(recs), err)
		}
		if got := srv.Requests(fakejamf.EndpointToken); got != 2 {
			t.Errorf("token requests: got %d, want 2 (one new token, not a loop)", got)
		}
	})
}
