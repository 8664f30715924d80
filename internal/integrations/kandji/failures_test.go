package kandji_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fakekandji "github.com/postern/postern/internal/fakes/kandji"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/integrationstest"
	"github.com/postern/postern/internal/integrations/kandji"
)

const needsPrism = "The Kandji API token needs the Prism > Device information permission."

// TestFetchForbidden: a token without Prism > Device information is a
// configuration error said plainly, not a credential failure, so the sync
// engine shows it and retries on schedule instead of pausing for a day.
func TestFetchForbidden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fakekandji.Server)
	}{
		{"token reads the device list only", func(f *fakekandji.Server) { f.SetPermissions(token, fakekandji.DevicesPath) }},
		{"token reads nothing", func(f *fakekandji.Server) { f.SetPermissions(token) }},
		{"403 on page 3", func(f *fakekandji.Server) { f.Inject(fakekandji.Fault{Page: 3, Status: http.StatusForbidden}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, _ := startFake(t, make([]fakekandji.Device, 10))
			tc.setup(fake)
			recs, err := newClient(t, fake.URL(), 3).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Fatalf("Fetch: got %d records, error %v; want an error and no records", len(recs), err)
			}
			integrationstest.PlainError(t, kandji.ID, err, needsPrism)
		})
	}
}

func TestFetchFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     fakekandji.Fault
		badToken  bool
		timeout   time.Duration
		wantAuth  bool
		wantInErr string
	}{
		{name: "401", fault: fakekandji.Fault{Status: http.StatusUnauthorized}, wantAuth: true, wantInErr: "Invalid token."},
		{name: "revoked token", badToken: true, wantAuth: true, wantInErr: "Invalid token."},
		{name: "403", fault: fakekandji.Fault{Status: http.StatusForbidden}, wantInErr: needsPrism},
		{name: "500 on page 3", fault: fakekandji.Fault{Page: 3, Status: http.StatusInternalServerError}, wantInErr: "Server Error (500)"},
		{name: "429 on page 2", fault: fakekandji.Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: time.Second}, wantInErr: "Request was throttled"},
		{name: "truncated JSON on page 3", fault: fakekandji.Fault{Page: 3, Truncate: true}, wantInErr: "decoding response"},
		{name: "404", fault: fakekandji.Fault{Page: 2, Status: http.StatusNotFound}, wantInErr: "HTTP 404"},
		{name: "timeout on page 2", fault: fakekandji.Fault{Page: 2, Delay: 10 * time.Second}, timeout: 100 * time.Millisecond, wantInErr: "deadline exceeded"},
	} {
		for _, cursor := range []bool{true, false} {
			name := tc.name + map[bool]string{true: " (cursor)", false: " (offset)"}[cursor]
			t.Run(name, func(t *testing.T) {
				fake, _ := startFake(t, make([]fakekandji.Device, 10))
				fake.SetCursorPaging(cursor)
				if tc.badToken {
					fake.SetToken("rotated")
				} else {
					fake.Inject(tc.fault)
				}
				ctx := context.Background()
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				recs, err := newClient(t, fake.URL(), 3).Fetch(ctx)
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
				if tc.fault.Page > 1 && !strings.Contains(err.Error(), fmt.Sprintf("page %d", tc.fault.Page)) {
					t.Errorf("error %q: want it to name page %d", err, tc.fault.Page)
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("error %q contains the API token", err)
				}
			})
		}
	}
}

func TestFetchNonListBodies(t *testing.T) {
	for _, body := range []string{
		`null`,
		`[]`,                                 // /api/v1/devices' bare array, not Prism's wrapper
		`{"offset":0,"limit":300,"total":0}`, // no data
		`{"data":null,"cursor":null}`,
		`{"data":{"device_id":"d1"}}`,
		`{"data":[],"cursor":7}`,
		`<html></html>`,
	} {
		t.Run(body, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
			defer srv.Close()
			recs, err := newClient(t, srv.URL, 0).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Errorf("Fetch of %s: got %d records, error %v; want an error and no records", body, len(recs), err)
			}
		})
	}
}

func TestFetchRetriesThenSucceeds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakekandji.Fault
	}{
		{"500 once on page 2", fakekandji.Fault{Page: 2, Status: http.StatusInternalServerError, Times: 1}},
		{"502 twice", fakekandji.Fault{Status: http.StatusBadGateway, Times: 2}},
		{"429 once", fakekandji.Fault{Page: 3, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, _ := startFake(t, make([]fakekandji.Device, 10))
			fake.Inject(tc.fault)
			recs, err := newClient(t, fake.URL(), 3).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != 10 {
				t.Errorf("records: got %d, want 10", len(recs))
			}
			if want := 4 + tc.fault.Times; fake.Requests() != want {
				t.Errorf("requests: got %d, want %d", fake.Requests(), want)
			}
		})
	}
}

func TestFetchHonoursContext(t *testing.T) {
	fake, _ := startFake(t, make([]fakekandji.Device, 10))
	fake.Inject(fakekandji.Fault{Page: 2, Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	recs, err := newClient(t, fake.URL(), 3).Fetch(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fetch: got error %v, want context.DeadlineExceeded", err)
	}
	if recs != nil {
		t.Errorf("Fetch: got %d records, want none", len(recs))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Fetch returned after %v, want soon after the 100ms deadline", d)
	}
}
