package feed

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
	fake "github.com/postern/postern/internal/fakes/feed"
	"github.com/postern/postern/internal/integrations"
)

// TestFetchFailures: every failure returns an error and no records, so a
// sync writes nothing; only a refused token wraps ErrAuth.
func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name     string
		fault    *fake.Fault
		badToken bool
		timeout  time.Duration
		wantAuth bool
		wantText string
	}{
		{name: "revoked token", badToken: true, wantAuth: true, wantText: "unexpected status 401"},
		{name: "401 on page 2", fault: &fake.Fault{Page: 2, Status: http.StatusUnauthorized}, wantAuth: true, wantText: "page 2"},
		{name: "403", fault: &fake.Fault{Status: http.StatusForbidden}, wantText: msgForbidden},
		{name: "404", fault: &fake.Fault{Status: http.StatusNotFound}, wantText: "unexpected status 404"},
		{name: "500 on page 3", fault: &fake.Fault{Page: 3, Status: http.StatusInternalServerError}, wantText: "unexpected status 500"},
		{name: "429 on page 2 persists", fault: &fake.Fault{Page: 2, Status: http.StatusTooManyRequests}, wantText: "unexpected status 429"},
		{name: "truncated JSON on page 3", fault: &fake.Fault{Page: 3, Truncate: true}, wantText: "page 3: decoding response"},
		{name: "timeout on page 2", fault: &fake.Fault{Page: 2, Delay: time.Minute}, timeout: 100 * time.Millisecond, wantText: "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetPageSize(10)
			srv.SetDevices(devices(25))
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			if tt.badToken {
				srv.SetToken("rotated")
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			c := newClient(t, srv.URL())
			recs, err := c.Fetch(ctx)
			checkFailed(t, recs, err, tt.wantText)
			if got := errors.Is(err, integrations.ErrAuth); got != tt.wantAuth {
				t.Errorf("errors.Is(err, ErrAuth) = %v, want %v (err: %v)", got, tt.wantAuth, err)
			}
			if c.Schema() != "" {
				t.Errorf("a failed listing left the schema %q, want none", c.Schema())
			}
		})
	}
}

func checkFailed(t *testing.T, recs []integrations.Record, err error, wantText string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got %d records and no error, want an error", len(recs))
	}
	if recs != nil {
		t.Errorf("got %d records with the error, want none", len(recs))
	}
	if !strings.Contains(err.Error(), wantText) {
		t.Errorf("got error %q, want it to contain %q", err, wantText)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error %q contains the token", err)
	}
}

func TestFetchRetryAfterThenSuccess(t *testing.T) {
	srv := newServer(t)
	srv.SetPageSize(10)
	srv.SetDevices(devices(15))
	srv.Inject(fake.Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	c, err := New(integrations.Config{BaseURL: srv.URL(), TenantID: "acme", Secret: token,
		Retry: integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	recs, err := c.Fetch(context.Background())
	if err != nil || len(recs) != 15 {
		t.Fatalf("Fetch: got %d records, error %v; want 15 and no error", len(recs), err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("Fetch took %v, want at least the 1s Retry-After", d)
	}
	if got := srv.Requests(); got != 3 {
		t.Errorf("got %d requests, want 3 (2 pages and one retry)", got)
	}
}

// TestFetchForbiddenIsPlain: a 403 is the feed's configuration to fix,
// one sentence, and no credential failure (which would pause the sync).
func TestFetchForbiddenIsPlain(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(3))
	srv.Inject(fake.Fault{Status: http.StatusForbidden})
	_, err := newClient(t, srv.URL()).Fetch(context.Background())
	if postern.ErrorCode(err) != postern.EINVALID || postern.ErrorMessage(err) != msgForbidden || errors.Is(err, integrations.ErrAuth) {
		t.Fatalf("got %v, want EINVALID %q without ErrAuth", err, msgForbidden)
	}
	if got := integrations.Summary("Custom feed", err); got != msgForbidden {
		t.Errorf("Summary: got %q, want %q", got, msgForbidden)
	}
}

// TestFetchSchemaViolations: a page that breaks the declared schema fails
// the whole listing with one sentence a status can show.
func TestFetchSchemaViolations(t *testing.T) {
	many := map[string]fake.Attr{}
	for i := range 65 {
		many[fmt.Sprintf("a%d", i)] = fake.Attr{Type: "bool"}
	}
	tests := []struct {
		name    string
		schema  map[string]fake.Attr
		page2   map[string]fake.Attr // schema of page 2, if it differs
		devices []fake.Device
		want    string
	}{
		{name: "undeclared attribute", devices: []fake.Device{{Serials: []string{"S1"}, Attributes: map[string]any{"firewall": true}}},
			want: `has attribute "firewall", which the schema does not declare`},
		{name: "bool as string", devices: []fake.Device{{Serials: []string{"S1"}, Attributes: map[string]any{"diskEncrypted": "true"}}},
			want: "not a bool"},
		{name: "number as bool", devices: []fake.Device{{Serials: []string{"S1"}, Attributes: map[string]any{"riskScore": true}}},
			want: "not a number"},
		{name: "string as number", devices: []fake.Device{{Serials: []string{"S1"}, Attributes: map[string]any{"owner": 3}}},
			want: "not a string"},
		{name: "value outside declared", devices: []fake.Device{{Serials: []string{"S1"}, Attributes: map[string]any{"tier": "bronze"}}},
			want: `"bronze", which is not one of the values`},
		{name: "bad name", schema: map[string]fake.Attr{"disk-encrypted": {Type: "bool"}}, want: "not a valid attribute name"},
		{name: "name too long", schema: map[string]fake.Attr{"a" + strings.Repeat("b", 64): {Type: "bool"}}, want: "not a valid attribute name"},
		{name: "unknown type", schema: map[string]fake.Attr{"x": {Type: "date"}}, want: `type "date"`},
		{name: "values on a bool", schema: map[string]fake.Attr{"x": {Type: "bool", Values: []string{"a"}}}, want: "only a string takes values"},
		{name: "65 attributes", schema: many, want: "declares 65 attributes, more than the 64 allowed"},
		{name: "no serials nor macs", devices: []fake.Device{{Attributes: map[string]any{"diskEncrypted": true}}},
			want: "has neither serials nor macs"},
		{name: "schema changes on page 2", page2: map[string]fake.Attr{"diskEncrypted": {Type: "number"}}, want: "page 2 is invalid: the schema differs"},
		{name: "long string", devices: []fake.Device{{Serials: []string{"S1"}, Attributes: map[string]any{"owner": strings.Repeat("x", 257)}}},
			want: "longer than 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetPageSize(10)
			if tt.schema != nil {
				srv.SetSchema(tt.schema)
			}
			if tt.page2 != nil {
				srv.SetPageSchema(2, tt.page2)
			}
			srv.SetDevices(append(devices(15), tt.devices...))
			c := newClient(t, srv.URL())
			recs, err := c.Fetch(context.Background())
			checkFailed(t, recs, err, tt.want)
			if postern.ErrorCode(err) != postern.EINVALID || errors.Is(err, integrations.ErrAuth) {
				t.Errorf("got code %q (ErrAuth %v), want EINVALID without ErrAuth", postern.ErrorCode(err), errors.Is(err, integrations.ErrAuth))
			}
			if msg := postern.ErrorMessage(err); !strings.HasPrefix(msg, "The feed's page ") || !strings.HasSuffix(msg, ".") || strings.Count(msg, ":") > 1 {
				t.Errorf("got message %q, want one sentence", msg)
			}
			if c.Schema() != "" {
				t.Errorf("a failed listing left the schema %q", c.Schema())
			}
		})
	}
}

// TestFetchOddBodies serves answers the fake does not produce.
func TestFetchOddBodies(t *testing.T) {
	okSchema := `"schema":{"attributes":{"x":{"type":"bool"}}}`
	for _, body := range []string{
		`null`,
		`{}`,
		`[]`,
		`{"devices":[],"nextCursor":null}`,
		`{` + okSchema + `,"nextCursor":null}`,
		`{` + okSchema + `,"devices":null,"nextCursor":null}`,
		`{"schema":{},"devices":[],"nextCursor":null}`,
		`{` + okSchema + `,"devices":[],"nextCursor":""}`,
		`{` + okSchema + `,"devices":[],"nextCursor":7}`,
		`{` + okSchema + `,"devices":[{"id":"1","serials":["S"],"attributes":{}}],"nextCursor":"same"}`,
		`{` + okSchema + `,"devices":[{"id":"","serials":["S"],"attributes":{}}],"nextCursor":null}`,
		`{` + okSchema + `,"devices":[{"id":"1","serials":["S"],"lastSeen":"yesterday","attributes":{}}],"nextCursor":null}`,
		`{` + okSchema + `,"devices":[{"id":"1","serials":[""],"attributes":{}}],"nextCursor":null}`,
		`{"error":"Unauthorized"}`,
		`<html></html>`,
	} {
		t.Run(body, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
			defer srv.Close()
			recs, err := newClient(t, srv.URL).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Errorf("got %d records, error %v; want an error and no records", len(recs), err)
			}
		})
	}
}

func TestFetchRequestTimeout(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(5))
	srv.Inject(fake.Fault{Delay: time.Minute})
	c, err := New(integrations.Config{BaseURL: srv.URL(), TenantID: "acme", Secret: token, Retry: quick, HTTP: &http.Client{Timeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Fetch(context.Background())
	if err == nil || recs != nil {
		t.Fatalf("got %d records, error %v; want no records and a timeout error", len(recs), err)
	}
}
