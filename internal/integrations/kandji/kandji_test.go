package kandji_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	fakekandji "github.com/postern/postern/internal/fakes/kandji"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/kandji"
)

const token = "kandji-api-token"

var fastRetry = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newClient(t *testing.T, baseURL string, limit int) *kandji.Client {
	t.Helper()
	c, err := kandji.New(integrations.Config{BaseURL: baseURL, Secret: token, Retry: fastRetry})
	if err != nil {
		t.Fatalf("kandji.New: %v", err)
	}
	c.Limit = limit
	return c
}

func startFake(t *testing.T, devices []fakekandji.Device) (*fakekandji.Server, []fakekandji.Device) {
	t.Helper()
	fake := fakekandji.NewServer(token)
	t.Cleanup(fake.Close)
	return fake, fake.SetDevices(devices)
}

func TestNew(t *testing.T) {
	if _, err := kandji.New(integrations.Config{Secret: "x"}); postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("New without BaseURL: got %v, want an EINVALID error", err)
	}
	if _, err := kandji.New(integrations.Config{BaseURL: "https://acme.api.kandji.io"}); postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("New without token: got %v, want an EINVALID error", err)
	}
}

func TestFetchAttributes(t *testing.T) {
	checkIn := time.Date(2024, 7, 23, 14, 11, 37, 150080000, time.UTC)
	fake, stored := startFake(t, []fakekandji.Device{
		{Name: "accuhive's MacBook Air", SerialNumber: "FVHHFKF7Q6L4", LastCheckIn: checkIn, MDMEnabled: true, AgentInstalled: true,
			User: &fakekandji.User{Email: "a@example.com", Name: "A", ID: "5344c996-0000-4000-8000-000000000001"}},
		{Name: "iPad", Platform: "iPad", SerialNumber: "DMPXK1ABCD", MDMEnabled: true, AgentInstalled: false}, // user ""
		{Name: "no serial", MDMEnabled: false, AgentInstalled: false},
	})
	recs, err := newClient(t, fake.URL(), 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 3 {
		t.Fatalf("Fetch: got %d records, want 3", len(recs))
	}
	mac, ipad, bare := recs[0], recs[1], recs[2]

	t.Run("identity", func(t *testing.T) {
		if mac.VendorID != stored[0].ID || mac.Hostname != "accuhive's MacBook Air" {
			t.Errorf("VendorID, Hostname: got %q, %q, want %q, %q", mac.VendorID, mac.Hostname, stored[0].ID, "accuhive's MacBook Air")
		}
		if !slices.Equal(mac.Serials, []string{"FVHHFKF7Q6L4"}) {
			t.Errorf("Serials: got %q, want [FVHHFKF7Q6L4]", mac.Serials)
		}
		if !mac.LastSeen.Equal(checkIn) {
			t.Errorf("LastSeen: got %v, want %v", mac.LastSeen, checkIn)
		}
		if len(bare.Serials) != 0 {
			t.Errorf("device without serial: got Serials %q, want none", bare.Serials)
		}
	})
	t.Run("attributes", func(t *testing.T) {
		for _, tc := range []struct {
			rec        integrations.Record
			mdm, agent bool
		}{{mac, true, true}, {ipad, true, false}, {bare, false, false}} {
			want := map[string]postern.Value{"kandji:mdmEnabled": postern.Bool(tc.mdm), "kandji:agentInstalled": postern.Bool(tc.agent)}
			if len(tc.rec.Attributes) != 2 || tc.rec.Attributes["kandji:mdmEnabled"] != want["kandji:mdmEnabled"] ||
				tc.rec.Attributes["kandji:agentInstalled"] != want["kandji:agentInstalled"] {
				t.Errorf("%s: got attributes %v, want %v", tc.rec.Hostname, tc.rec.Attributes, want)
			}
		}
	})
	t.Run("flip", func(t *testing.T) {
		if !fake.Update(stored[1].ID, func(d *fakekandji.Device) { d.MDMEnabled = false }) {
			t.Fatal("Update: got false, want true")
		}
		recs, err := newClient(t, fake.URL(), 0).Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if v := recs[1].Attributes["kandji:mdmEnabled"]; v != postern.Bool(false) {
			t.Errorf("kandji:mdmEnabled after flip: got %v, want false", v)
		}
	})
}

// TestFetchQuirks serves Kandji bodies the fake does not produce: the
// documented odd shapes, to show the client takes them.
func TestFetchQuirks(t *testing.T) {
	pages := map[string]string{
		"0": `[{"device_id":"d1","serial_number":"S1","user":"","mdm_enabled":true,"agent_installed":null,
		        "last_check_in":"2024-05-13 20:09:27.374451+00:00","first_enrollment":"2024-01-26 16:15:36.087016+00:00"},
		       {"device_id":"d2","serial_number":"S2","user":{"email":"x@example.com","name":"X","id":"u1","is_archived":false},
		        "mdm_enabled":false,"agent_installed":true,"last_check_in":null,"unknown_field":{"nested":[1,2]}}]`,
		"2": `[]`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, pages[r.URL.Query().Get("offset")])
	}))
	defer srv.Close()
	recs, err := newClient(t, srv.URL, 2).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 2 {
		t.Fatalf("Fetch: got %d records, want 2", len(recs))
	}
	if want := time.Date(2024, 5, 13, 20, 9, 27, 374451000, time.UTC); !recs[0].LastSeen.Equal(want) {
		t.Errorf("space-separated last_check_in: got %v, want %v", recs[0].LastSeen, want)
	}
	if _, ok := recs[0].Attributes["kandji:agentInstalled"]; ok {
		t.Errorf("agent_installed null: got kandji:agentInstalled set, want not set")
	}
	if !recs[1].LastSeen.IsZero() {
		t.Errorf("last_check_in null: got LastSeen %v, want zero", recs[1].LastSeen)
	}
}

func TestFetchPaging(t *testing.T) {
	for _, tc := range []struct {
		name         string
		devices      int
		limit        int
		wantRequests int
	}{
		{"short last page then empty", 7, 3, 4},
		{"full last page then empty", 6, 3, 3},
		{"no devices", 0, 3, 1},
		{"default limit", 301, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, stored := startFake(t, make([]fakekandji.Device, tc.devices))
			recs, err := newClient(t, fake.URL(), tc.limit).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != tc.devices {
				t.Errorf("records: got %d, want %d", len(recs), tc.devices)
			}
			if got := fake.Requests(); got != tc.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tc.wantRequests)
			}
			for i, r := range recs {
				if r.VendorID != stored[i].ID {
					t.Errorf("record %d: got VendorID %q, want %q", i, r.VendorID, stored[i].ID)
					break
				}
			}
		})
	}
}

func TestFetchFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     fakekandji.Fault
		badToken  bool
		wantAuth  bool
		wantInErr string
	}{
		{name: "401", fault: fakekandji.Fault{Status: http.StatusUnauthorized}, wantAuth: true, wantInErr: "Invalid token."},
		{name: "403", fault: fakekandji.Fault{Status: http.StatusForbidden}, wantAuth: true, wantInErr: "You do not have permission to perform this action."},
		{name: "revoked token", badToken: true, wantAuth: true, wantInErr: "Invalid token."},
		{name: "403 on page 3", fault: fakekandji.Fault{Page: 3, Status: http.StatusForbidden}, wantAuth: true, wantInErr: "offset=6"},
		{name: "500 on page 3", fault: fakekandji.Fault{Page: 3, Status: http.StatusInternalServerError}, wantInErr: "Server Error (500)"},
		{name: "429 on page 2", fault: fakekandji.Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: time.Second}, wantInErr: "Request was throttled"},
		{name: "truncated JSON on page 3", fault: fakekandji.Fault{Page: 3, Truncate: true}, wantInErr: "decoding response"},
		{name: "404", fault: fakekandji.Fault{Page: 2, Status: http.StatusNotFound}, wantInErr: "HTTP 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, _ := startFake(t, make([]fakekandji.Device, 10))
			if tc.badToken {
				fake.SetToken("rotated")
			} else {
				fake.Inject(tc.fault)
			}
			recs, err := newClient(t, fake.URL(), 3).Fetch(context.Background())
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
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q contains the API token", err)
			}
		})
	}
}

func TestFetchNonListBodies(t *testing.T) {
	for _, body := range []string{`null`, `{"device_id":"d1"}`, `<html></html>`} {
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
			if want := 5 + tc.fault.Times; fake.Requests() != want {
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
