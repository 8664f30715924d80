package intune

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	fakeintune "github.com/postern/postern/internal/fakes/intune"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/integrationstest"
)

const needsPermission = "The Microsoft Entra app needs the Microsoft Graph application permission DeviceManagementManagedDevices.Read.All, with admin consent granted."

// TestFetchNeedsPermission: an app without DeviceManagementManagedDevices.Read.All
// is a configuration error said plainly, not a credential failure, so the
// sync engine shows it and retries on schedule instead of pausing.
func TestFetchNeedsPermission(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fakeintune.Server)
	}{
		{"app has no Graph permission", func(f *fakeintune.Server) { f.SetPermissions() }},
		{"app has another permission", func(f *fakeintune.Server) {
			f.SetPermissions("User.Read.All", "DeviceManagementConfiguration.Read.All")
		}},
		{"403 on page 3", func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 3, Status: http.StatusForbidden})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetDevices(devices(250))
			srv.SetPageSize(100)
			tc.setup(srv)
			recs, err := newClient(t, config(srv)).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Fatalf("Fetch: got %d records, error %v; want an error and no records", len(recs), err)
			}
			integrationstest.PlainError(t, ID, err, needsPermission)
		})
	}
}

func TestFetchFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(*fakeintune.Server)
		timeout   time.Duration
		wantAuth  bool
		wantInErr string
		wantPage  int
	}{
		{name: "wrong client secret", setup: func(f *fakeintune.Server) { f.SetSecret("rotated") },
			wantAuth: true, wantInErr: "AADSTS7000215: Invalid client secret provided."},
		{name: "expired client secret", setup: func(f *fakeintune.Server) { f.ExpireSecret() },
			wantAuth: true, wantInErr: "AADSTS7000222"},
		{name: "token refused with 400", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointToken, Status: http.StatusBadRequest})
		}, wantAuth: true, wantInErr: "HTTP 400, invalid_client"},
		{name: "token endpoint down", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointToken, Status: http.StatusServiceUnavailable})
		}, wantInErr: "requesting an access token from Microsoft Entra ID: giving up after 3 attempts"},
		{name: "401 on page 2 with a fresh token", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 2, Status: http.StatusUnauthorized})
		}, wantAuth: true, wantInErr: "InvalidAuthenticationToken", wantPage: 2},
		{name: "500 on page 3", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 3, Status: http.StatusInternalServerError})
		}, wantInErr: "InternalServerError: An internal server error occurred. (HTTP 500)", wantPage: 3},
		{name: "429 on page 2 persists", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 2, Status: http.StatusTooManyRequests})
		}, wantInErr: "TooManyRequests", wantPage: 2},
		{name: "truncated JSON on page 3", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 3, Truncate: true})
		}, wantInErr: "decoding managed devices", wantPage: 3},
		{name: "truncated token response", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointToken, Truncate: true})
		}, wantInErr: "decoding the access token response"},
		{name: "404", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 2, Status: http.StatusNotFound})
		}, wantInErr: "ResourceNotFound", wantPage: 2},
		{name: "400", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Status: http.StatusBadRequest})
		}, wantInErr: "BadRequest: Invalid request. (HTTP 400)"},
		{name: "next link to another host", setup: func(f *fakeintune.Server) { f.SetNextLinkBase("https://graph.example.net") },
			wantInErr: "Microsoft Graph sent a next-page link to another address or path; Postern does not send its access token there.", wantPage: 1},
		{name: "next link to plain http on another port", setup: func(f *fakeintune.Server) { f.SetNextLinkBase("http://127.0.0.1:1") },
			wantInErr: "Microsoft Graph sent a next-page link to another address or path; Postern does not send its access token there.", wantPage: 1},
		{name: "timeout on page 2", setup: func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 2, Delay: 10 * time.Second})
		}, timeout: 100 * time.Millisecond, wantInErr: "deadline exceeded", wantPage: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetDevices(devices(250))
			srv.SetPageSize(100)
			tc.setup(srv)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			recs, err := newClient(t, config(srv)).Fetch(ctx)
			if err == nil {
				t.Fatalf("Fetch: got %d records and no error, want an error", len(recs))
			}
			if recs != nil {
				t.Errorf("Fetch: got %d records with the error, want none", len(recs))
			}
			if got := errors.Is(err, integrations.ErrAuth); got != tc.wantAuth {
				t.Errorf("errors.Is(%v, ErrAuth): got %v, want %v", err, got, tc.wantAuth)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("error %q: want it to contain %q", err, tc.wantInErr)
			}
			if tc.wantPage > 0 && !strings.Contains(err.Error(), fmt.Sprintf("page %d", tc.wantPage)) {
				t.Errorf("error %q: want it to name page %d", err, tc.wantPage)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the client secret", err)
			}
			if testing.Verbose() {
				t.Logf("error: %v\nsummary: %s", err, integrations.Summary(ID, err))
			}
		})
	}
}

// TestFetch401WithFreshToken: Graph refusing a token just issued is a
// credential failure at once, without asking for another.
func TestFetch401WithFreshToken(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(5))
	srv.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Status: http.StatusUnauthorized})
	recs, err := newClient(t, config(srv)).Fetch(context.Background())
	if recs != nil || !errors.Is(err, integrations.ErrAuth) {
		t.Fatalf("got %d records, error %v; want ErrAuth and no records", len(recs), err)
	}
	if got := srv.Requests(fakeintune.EndpointToken); got != 1 {
		t.Errorf("token requests: got %d, want 1", got)
	}
	if got := srv.Requests(fakeintune.EndpointDevices); got != 1 {
		t.Errorf("listing requests: got %d, want 1 (a 401 is not retried)", got)
	}
}

// TestFetchRefusedTokenSummary: a refused token request reads as refused
// credentials, not as "answered 400".
func TestFetchRefusedTokenSummary(t *testing.T) {
	for _, setup := range []func(*fakeintune.Server){
		func(f *fakeintune.Server) { f.SetSecret("rotated") },
		func(f *fakeintune.Server) {
			f.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointToken, Status: http.StatusBadRequest})
		},
	} {
		srv := newServer(t)
		setup(srv)
		_, err := newClient(t, config(srv)).Fetch(context.Background())
		// The provider's name in the sentence is the registry's to choose.
		if got := integrations.Summary(ID, err); !strings.HasSuffix(got, " refused the credentials.") {
			t.Errorf("Summary(%v): got %q, want \"<provider> refused the credentials.\"", err, got)
		}
	}
}

// TestFetchWrongTenantOrApp: an unknown tenant or app id is refused by
// Entra ID with 400, and is a credential failure.
func TestFetchWrongTenantOrApp(t *testing.T) {
	srv := newServer(t)
	for _, tc := range []struct {
		name, wantInErr string
		change          func(*integrations.Config)
	}{
		{"unknown tenant", "AADSTS90002", func(c *integrations.Config) { c.TenantID = "fabrikam.onmicrosoft.com" }},
		{"unknown app", "AADSTS700016", func(c *integrations.Config) { c.ClientID = "00000000-0000-0000-0000-000000000001" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(srv)
			tc.change(&cfg)
			recs, err := newClient(t, cfg).Fetch(context.Background())
			if recs != nil || !errors.Is(err, integrations.ErrAuth) || !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("got %d records, error %v; want ErrAuth mentioning %s", len(recs), err, tc.wantInErr)
			}
		})
	}
}

func TestFetchRetriesThenSucceeds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fault    fakeintune.Fault
		wantReqs int // listing requests
	}{
		{"429 with Retry-After once on page 2", fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 2, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1}, 4},
		{"503 with Retry-After once", fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 1, Status: http.StatusServiceUnavailable, Times: 1}, 4},
		{"500 twice on page 3", fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Page: 3, Status: http.StatusInternalServerError, Times: 2}, 5},
		{"token 429 once", fakeintune.Fault{Endpoint: fakeintune.EndpointToken, Status: http.StatusTooManyRequests, Times: 1}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetDevices(devices(250))
			srv.SetPageSize(100)
			srv.Inject(tc.fault)
			recs, err := newClient(t, config(srv)).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != 250 {
				t.Errorf("records: got %d, want 250", len(recs))
			}
			if got := srv.Requests(fakeintune.EndpointDevices); got != tc.wantReqs {
				t.Errorf("listing requests: got %d, want %d", got, tc.wantReqs)
			}
		})
	}
}

// TestFetchHonoursRetryAfter: with a retry policy that allows it, the
// client waits as long as a 429's Retry-After says.
func TestFetchHonoursRetryAfter(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(5))
	srv.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	cfg := config(srv)
	cfg.Retry = integrations.RetryPolicy{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Second}
	start := time.Now()
	if _, err := newClient(t, cfg).Fetch(context.Background()); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("Fetch took %v, want at least the 1 s Retry-After", d)
	}
}

func TestFetchRequestTimeout(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(10))
	srv.Inject(fakeintune.Fault{Endpoint: fakeintune.EndpointDevices, Delay: time.Minute})
	cfg := config(srv)
	cfg.HTTP = &http.Client{Timeout: 50 * time.Millisecond}
	recs, err := newClient(t, cfg).Fetch(context.Background())
	if err == nil || recs != nil {
		t.Fatalf("got %d records, error %v; want no records and a timeout error", len(recs), err)
	}
	if got := srv.Requests(fakeintune.EndpointDevices); got != quick.Attempts {
		t.Errorf("got %d requests, want %d (each attempt timed out)", got, quick.Attempts)
	}
	if got := integrations.Summary(ID, err); !strings.Contains(got, "did not answer in time") {
		t.Errorf("Summary: got %q, want a timeout", got)
	}
}

// TestFetchOddBodies: answers that are not a page of devices fail the
// listing.
func TestFetchOddBodies(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"null", `null`},
		{"array", `[]`},
		{"no value", `{"@odata.context":"x"}`},
		{"null value", `{"value":null}`},
		{"value not a list", `{"value":{"id":"1"}}`},
		{"html", `<html></html>`},
		{"relative next link", `{"value":[],"@odata.nextLink":"/v1.0/deviceManagement/managedDevices?$skiptoken=x"}`},
		{"next link to another path", `{"value":[],"@odata.nextLink":"BASE/v1.0/users?$skiptoken=x"}`},
		{"next link with credentials", `{"value":[],"@odata.nextLink":"http://u:p@HOST/v1.0/deviceManagement/managedDevices"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ts *httptest.Server
			ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/token") {
					fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"t"}`)
					return
				}
				body := strings.ReplaceAll(tc.body, "BASE", ts.URL)
				fmt.Fprint(w, strings.ReplaceAll(body, "HOST", strings.TrimPrefix(ts.URL, "http://")))
			}))
			defer ts.Close()
			cfg := integrations.Config{BaseURL: ts.URL, ClientID: clientID, TenantID: tenant, Secret: secret, Retry: quick}
			recs, err := newClient(t, cfg).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Errorf("Fetch of %s: got %d records, error %v; want an error and no records", tc.body, len(recs), err)
			}
		})
	}
}

func TestFetchSameNextLink(t *testing.T) {
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"t"}`)
			return
		}
		fmt.Fprintf(w, `{"value":[{"id":"1"}],"@odata.nextLink":"%s%s?$skiptoken=same"}`, ts.URL, DevicesPath)
	}))
	defer ts.Close()
	cfg := integrations.Config{BaseURL: ts.URL, ClientID: clientID, TenantID: tenant, Secret: secret, Retry: quick}
	recs, err := newClient(t, cfg).Fetch(context.Background())
	if err == nil || recs != nil || !strings.Contains(err.Error(), "same next link") {
		t.Fatalf("got %d records, error %v; want an error naming the repeated link", len(recs), err)
	}
}

func TestNewErrorsAreInvalid(t *testing.T) {
	_, err := New(integrations.Config{TenantID: tenant, Secret: secret})
	if postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("got %v, want EINVALID", err)
	}
}

// TestForeignNextLinkSummary: the status names the refused next link
// plainly, without the address Graph sent.
func TestForeignNextLinkSummary(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(3))
	srv.SetPageSize(1)
	srv.SetNextLinkBase("https://graph.example.net")
	recs, err := newClient(t, config(srv)).Fetch(context.Background())
	if recs != nil || err == nil {
		t.Fatalf("got %d records, error %v; want an error and no records", len(recs), err)
	}
	if got := integrations.Summary(ID, err); got != msgForeignNextLink {
		t.Errorf("Summary: got %q, want %q", got, msgForeignNextLink)
	}
	if got := srv.Requests(fakeintune.EndpointDevices); got != 1 {
		t.Errorf("listing requests: got %d, want 1 (the foreign link is not followed)", got)
	}
}

// TestFetchRequestDenied: Graph's directory form of the 403
// (Authorization_RequestDenied) is the same missing permission.
func TestFetchRequestDenied(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"t"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2026-12-01T10:00:00","request-id":"1","client-request-id":"1"}}}`)
	}))
	defer ts.Close()
	cfg := integrations.Config{BaseURL: ts.URL, ClientID: clientID, TenantID: tenant, Secret: secret, Retry: quick}
	recs, err := newClient(t, cfg).Fetch(context.Background())
	if recs != nil || err == nil || err.Error() != needsPermission || errors.Is(err, integrations.ErrAuth) {
		t.Errorf("got %d records, error %v; want no records and %q without ErrAuth", len(recs), err, needsPermission)
	}
}
