package kolide

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fake "github.com/postern/postern/internal/fakes/kolide"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/integrationstest"
)

// TestFetchFailures: every failure returns an error and no records, so a
// sync writes nothing; only a refused key wraps ErrAuth.
func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name     string
		fault    *fake.Fault
		badKey   bool
		timeout  time.Duration
		wantAuth bool
		wantText string
	}{
		{name: "revoked key", badKey: true, wantAuth: true, wantText: `Kolide said "Unauthorized" (HTTP 401)`},
		{name: "401 on page 2", fault: &fake.Fault{Page: 2, Status: http.StatusUnauthorized}, wantAuth: true, wantText: "page 2"},
		{name: "403", fault: &fake.Fault{Status: http.StatusForbidden}, wantText: msgForbidden},
		{name: "403 on page 3", fault: &fake.Fault{Page: 3, Status: http.StatusForbidden}, wantText: msgForbidden},
		{name: "500 on page 3", fault: &fake.Fault{Page: 3, Status: http.StatusInternalServerError}, wantText: `Kolide said "Internal Server Error" (HTTP 500)`},
		{name: "429 on page 2 persists", fault: &fake.Fault{Page: 2, Status: http.StatusTooManyRequests}, wantText: `"Too Many Requests" (HTTP 429)`},
		{name: "404", fault: &fake.Fault{Page: 2, Status: http.StatusNotFound}, wantText: `"Not Found" (HTTP 404)`},
		{name: "truncated JSON on page 3", fault: &fake.Fault{Page: 3, Truncate: true}, wantText: "page 3: decoding response"},
		{name: "timeout on page 2", fault: &fake.Fault{Page: 2, Delay: time.Minute}, timeout: 100 * time.Millisecond, wantText: "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetDevices(benchDevices(25))
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			if tt.badKey {
				srv.SetToken("k2sk_v1_rotated")
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			recs, err := newClient(t, srv.URL(), 10).Fetch(ctx)
			if err == nil {
				t.Fatalf("got %d records and no error, want an error", len(recs))
			}
			if recs != nil {
				t.Errorf("got %d records with the error, want none", len(recs))
			}
			if got := errors.Is(err, integrations.ErrAuth); got != tt.wantAuth {
				t.Errorf("errors.Is(err, ErrAuth) = %v, want %v (err: %v)", got, tt.wantAuth, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("got error %q, want it to contain %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q contains the API key", err)
			}
		})
	}
}

// TestFetchForbiddenIsPlain: a 403 is a permission to fix, said in one
// sentence, not a refused key: no ErrAuth and no *StatusError (either
// would pause the integration for a day).
func TestFetchForbiddenIsPlain(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(benchDevices(5))
	srv.Inject(fake.Fault{Status: http.StatusForbidden})
	_, err := newClient(t, srv.URL(), 0).Fetch(context.Background())
	integrationstest.PlainError(t, ID, err, msgForbidden)
}

func TestFetchRetriesThenSucceeds(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := newServer(t)
			srv.SetDevices(benchDevices(25))
			srv.Inject(fake.Fault{Page: 2, Status: status, Times: 1})
			recs, err := newClient(t, srv.URL(), 10).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != 25 {
				t.Errorf("got %d records, want 25", len(recs))
			}
			if got := srv.Requests(); got != 4 {
				t.Errorf("got %d requests, want 4 (3 pages and one retry)", got)
			}
		})
	}
}

// TestFetchHonoursRetryAfter: after a 429 the client waits as long as
// Kolide's Retry-After says before asking again.
func TestFetchHonoursRetryAfter(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(benchDevices(15))
	srv.Inject(fake.Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	c, err := New(integrations.Config{BaseURL: srv.URL(), Secret: token,
		Retry: integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	c.perPage = 10
	start := time.Now()
	recs, err := c.Fetch(context.Background())
	if err != nil || len(recs) != 15 {
		t.Fatalf("Fetch: got %d records, error %v; want 15 and no error", len(recs), err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("Fetch took %v, want at least the 1s Retry-After", d)
	}
}

func TestFetchRequestTimeout(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(benchDevices(5))
	srv.Inject(fake.Fault{Delay: time.Minute})
	c, err := New(integrations.Config{BaseURL: srv.URL(), Secret: token, Retry: quick, HTTP: &http.Client{Timeout: 50 * time.Millisecond}})
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

// TestFetchOddBodies serves answers the fake does not produce: a body
// without a list of devices, or a cursor that does not move, is an error,
// never an empty or endless listing.
func TestFetchOddBodies(t *testing.T) {
	for _, body := range []string{
		`null`,
		`{}`,
		`[]`,
		`{"data":null,"pagination":{"next_cursor":""}}`,
		`{"data":{"id":"1"},"pagination":{}}`,
		`{"data":[],"pagination":{"next_cursor":7}}`,
		`{"data":[{"id":"1","auth_state":true}],"pagination":{"next_cursor":""}}`,
		`{"data":[{"id":"1"}],"pagination":{"next_cursor":"same"}}`,
		`{"error":"Unauthorized"}`,
		`<html></html>`,
	} {
		t.Run(body, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
			defer srv.Close()
			recs, err := newClient(t, srv.URL, 0).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Errorf("got %d records, error %v; want an error and no records", len(recs), err)
			}
		})
	}
}

// TestFetchVersionHeaderRefused: an answer refusing the version header
// (a 400) is a plain error with Kolide's words, not a credential failure.
func TestFetchVersionHeaderRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"Unsupported API version"}`)
	}))
	defer srv.Close()
	recs, err := newClient(t, srv.URL, 0).Fetch(context.Background())
	if err == nil || recs != nil || errors.Is(err, integrations.ErrAuth) {
		t.Fatalf("got %d records, error %v; want no records and an error other than ErrAuth", len(recs), err)
	}
	if !strings.Contains(err.Error(), `"Unsupported API version" (HTTP 400)`) {
		t.Errorf("got error %q, want Kolide's message and status", err)
	}
}
