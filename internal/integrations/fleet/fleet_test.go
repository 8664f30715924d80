package fleet_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	fakefleet "github.com/postern/postern/internal/fakes/fleet"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/fleet"
)

const token = "fleet-api-token"

// fastRetry keeps retry tests quick: three attempts, waits of a few
// milliseconds (a 429's Retry-After is capped by Max).
var fastRetry = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newClient(t *testing.T, fake *fakefleet.Server, perPage int) *fleet.Client {
	t.Helper()
	c, err := fleet.New(integrations.Config{BaseURL: fake.URL(), Secret: token, Retry: fastRetry})
	if err != nil {
		t.Fatalf("fleet.New: %v", err)
	}
	c.PerPage = perPage
	return c
}

func startFake(t *testing.T, hosts []fakefleet.Host) *fakefleet.Server {
	t.Helper()
	fake := fakefleet.NewServer(token)
	t.Cleanup(fake.Close)
	fake.SetHosts(hosts)
	return fake
}

func TestNew(t *testing.T) {
	if _, err := fleet.New(integrations.Config{Secret: "x"}); postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("New without BaseURL: got %v, want an EINVALID error", err)
	}
	if _, err := fleet.New(integrations.Config{BaseURL: "https://fleet.example.com"}); postern.ErrorCode(err) != postern.EINVALID {
		t.Errorf("New without token: got %v, want an EINVALID error", err)
	}
}

func TestFetchAttributes(t *testing.T) {
	seen := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	fake := startFake(t, []fakefleet.Host{{
		Hostname: "mac-1", HardwareSerial: "C02XL0ABJGH5", SeenTime: seen,
		Policies: []fakefleet.Policy{
			{Name: "Disk encryption", Description: "FileVault on. Tailscale: fleetPolicy:diskEncrypted", Response: "pass"},
			{Name: "Gatekeeper", Description: "tailscale:fleetPolicy:gatekeeper", Response: "fail"},
			{Name: "Firewall", Description: "Tailscale: fleetPolicy:firewall", Response: ""},
			{Name: "Untagged", Description: "Checks if gatekeeper is enabled", Response: "pass"},
			{Name: "Two tags", Description: "Tailscale: fleetPolicy:a_1 and Tailscale: fleetPolicy:b2.", Response: "pass"},
		},
	}, {
		Hostname: "linux-vm", HardwareSerial: "", Platform: "ubuntu",
	}})

	recs, err := newClient(t, fake, 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// What the vendor package really writes is what its catalogue declares.
	for _, r := range recs {
		if err := fleet.Provider().CheckAttributes(r.Attributes); err != nil {
			t.Errorf("catalogue: %v", err)
		}
	}
	if len(recs) != 2 {
		t.Fatalf("Fetch: got %d records, want 2", len(recs))
	}

	mac := recs[0]
	t.Run("identity", func(t *testing.T) {
		if mac.VendorID != "1" || mac.Hostname != "mac-1" {
			t.Errorf("VendorID, Hostname: got %q, %q, want \"1\", \"mac-1\"", mac.VendorID, mac.Hostname)
		}
		if !slices.Equal(mac.Serials, []string{"C02XL0ABJGH5"}) {
			t.Errorf("Serials: got %q, want [C02XL0ABJGH5]", mac.Serials)
		}
		if !mac.LastSeen.Equal(seen) {
			t.Errorf("LastSeen: got %v, want %v", mac.LastSeen, seen)
		}
		if len(recs[1].Serials) != 0 {
			t.Errorf("host without serial: got Serials %q, want none", recs[1].Serials)
		}
	})
	t.Run("attributes", func(t *testing.T) {
		want := map[string]postern.Value{
			"fleet:present":             postern.Bool(true),
			"fleetPolicy:diskEncrypted": postern.Bool(true),
			"fleetPolicy:a_1":           postern.Bool(true),
			"fleetPolicy:b2":            postern.Bool(true),
		}
		assertAttrs(t, mac.Attributes, want)
		assertAttrs(t, recs[1].Attributes, map[string]postern.Value{"fleet:present": postern.Bool(true)})
	})

	t.Run("flip", func(t *testing.T) {
		if !fake.SetPolicyResponse(1, "Gatekeeper", "pass") || !fake.SetPolicyResponse(1, "Disk encryption", "") {
			t.Fatal("SetPolicyResponse: got false, want true")
		}
		recs, err := newClient(t, fake, 0).Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		got := recs[0].Attributes
		if v := got["fleetPolicy:gatekeeper"]; v != postern.Bool(true) {
			t.Errorf("fleetPolicy:gatekeeper after flip: got %v, want true", v)
		}
		if v, ok := got["fleetPolicy:diskEncrypted"]; ok {
			t.Errorf("fleetPolicy:diskEncrypted with response \"\": got %v, want not set", v)
		}
	})
}

func TestFetchFailingPolicyWithholdsTheAttribute(t *testing.T) {
	fake := startFake(t, []fakefleet.Host{
		{HardwareSerial: "S1", Policies: []fakefleet.Policy{
			{Name: "p1", Description: "Tailscale: fleetPolicy:hardened", Response: "fail"},
			{Name: "p2", Description: "Tailscale: fleetPolicy:hardened", Response: "pass"},
		}},
		{HardwareSerial: "S2", Policies: []fakefleet.Policy{
			{Name: "p1", Description: "Tailscale: fleetPolicy:hardened", Response: "pass"},
			{Name: "p2", Description: "Tailscale: fleetPolicy:hardened", Response: "fail"},
		}},
	})
	recs, err := newClient(t, fake, 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for _, r := range recs {
		if v, ok := r.Attributes["fleetPolicy:hardened"]; ok {
			t.Errorf("%s: fleetPolicy:hardened with one of its two policies failing: got %v, want not set", r.Serials, v)
		}
	}
}

func TestFetchPaging(t *testing.T) {
	for _, tc := range []struct {
		name         string
		hosts        int
		wantRequests int
	}{
		{"last page short", 7, 3},
		{"last page empty", 6, 3},
		{"no hosts", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := startFake(t, make([]fakefleet.Host, tc.hosts))
			recs, err := newClient(t, fake, 3).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != tc.hosts {
				t.Errorf("records: got %d, want %d", len(recs), tc.hosts)
			}
			if got := fake.Requests(); got != tc.wantRequests {
				t.Errorf("requests: got %d, want %d", got, tc.wantRequests)
			}
			for i, r := range recs {
				if want := strconv.Itoa(i + 1); r.VendorID != want {
					t.Errorf("record %d: got VendorID %q, want %q", i, r.VendorID, want)
				}
			}
		})
	}
}

func TestFetchFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     fakefleet.Fault
		badToken  bool
		wantAuth  bool
		wantInErr string
	}{
		{name: "401", fault: fakefleet.Fault{Status: http.StatusUnauthorized}, wantAuth: true, wantInErr: "Authentication required"},
		{name: "403", fault: fakefleet.Fault{Status: http.StatusForbidden}, wantAuth: true, wantInErr: "Permission Denied"},
		{name: "wrong token", badToken: true, wantAuth: true, wantInErr: "Authentication required"},
		{name: "401 on page 3", fault: fakefleet.Fault{Page: 3, Status: http.StatusUnauthorized}, wantAuth: true, wantInErr: "page=2"},
		{name: "500 on page 3", fault: fakefleet.Fault{Page: 3, Status: http.StatusInternalServerError}, wantInErr: "status 500"},
		{name: "429 on page 2", fault: fakefleet.Fault{Page: 2, Status: http.StatusTooManyRequests, RetryAfter: time.Second}, wantInErr: "limit exceeded"},
		{name: "truncated JSON on page 3", fault: fakefleet.Fault{Page: 3, Truncate: true}, wantInErr: "decoding response"},
		{name: "400", fault: fakefleet.Fault{Page: 2, Status: http.StatusBadRequest}, wantInErr: "status 400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := startFake(t, make([]fakefleet.Host, 10))
			if tc.badToken {
				fake.SetToken("rotated")
			} else {
				fake.Inject(tc.fault)
			}
			recs, err := newClient(t, fake, 3).Fetch(context.Background())
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

func TestFetchRetriesThenSucceeds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fakefleet.Fault
	}{
		{"500 once on page 2", fakefleet.Fault{Page: 2, Status: http.StatusInternalServerError, Times: 1}},
		{"503 twice", fakefleet.Fault{Status: http.StatusServiceUnavailable, Times: 2}},
		{"429 once", fakefleet.Fault{Page: 3, Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := startFake(t, make([]fakefleet.Host, 10))
			fake.Inject(tc.fault)
			recs, err := newClient(t, fake, 3).Fetch(context.Background())
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
	fake := startFake(t, make([]fakefleet.Host, 10))
	fake.Inject(fakefleet.Fault{Page: 2, Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	recs, err := newClient(t, fake, 3).Fetch(ctx)
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

func TestFetchRequestTimeoutIsRetried(t *testing.T) {
	fake := startFake(t, make([]fakefleet.Host, 4))
	fake.Inject(fakefleet.Fault{Page: 1, Delay: 10 * time.Second, Times: 1})
	c, err := fleet.New(integrations.Config{
		BaseURL: fake.URL(), Secret: token, Retry: fastRetry,
		HTTP: &http.Client{Timeout: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch after one slow answer: %v", err)
	}
	if len(recs) != 4 {
		t.Errorf("records: got %d, want 4", len(recs))
	}
}

func TestPolicyAttributes(t *testing.T) {
	for _, tc := range []struct {
		desc string
		want []string
	}{
		{"Tailscale: fleetPolicy:diskEncrypted", []string{"diskEncrypted"}},
		{"Checks FileVault.\nTailscale:   fleetPolicy:fv_on\n", []string{"fv_on"}},
		{"TAILSCALE: FLEETPOLICY:x", []string{"x"}},
		{"Tailscale: fleetPolicy:", nil},
		{"Tailscale: something else", nil},
		{"fleetPolicy:noMarker", nil},
		{"Tailscale: fleetPolicy:a-b", []string{"a"}},
		{"Tailscale: fleetPolicy:" + strings.Repeat("n", 117), nil},
		{"Tailscale: fleetPolicy:" + strings.Repeat("n", 116), []string{strings.Repeat("n", 116)}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := fleet.PolicyAttributes(tc.desc); !slices.Equal(got, tc.want) {
				t.Errorf("PolicyAttributes(%q): got %q, want %q", tc.desc, got, tc.want)
			}
		})
	}
}

func assertAttrs(t *testing.T, got, want map[string]postern.Value) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("attribute %s: got %v (set %v), want %v", k, g, ok, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("attribute %s: got %v, want not set", k, g)
		}
	}
}

// TestFetchRepeatedHost serves a host twice, as offset paging does when a
// host is added while the client pages; the later copy wins.
func TestFetchRepeatedHost(t *testing.T) {
	pages := []string{
		`{"hosts":[{"id":1,"hardware_serial":"A","seen_time":"2026-11-20T08:00:00Z"},{"id":2,"hardware_serial":"B"}]}`,
		`{"hosts":[{"id":2,"hardware_serial":"B","seen_time":"2026-11-20T09:00:00Z"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.URL.Query().Get("populate_policies") != "true" {
			http.Error(w, `{"message":"Authentication required"}`, http.StatusUnauthorized)
			return
		}
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		w.Write([]byte(pages[min(p, len(pages)-1)]))
	}))
	defer srv.Close()
	c, err := fleet.New(integrations.Config{BaseURL: srv.URL, Secret: token, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	c.PerPage = 2
	recs, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 2 {
		t.Fatalf("records: got %d, want 2", len(recs))
	}
	if want := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC); recs[1].VendorID != "2" || !recs[1].LastSeen.Equal(want) {
		t.Errorf("repeated host: got %q seen %v, want \"2\" seen %v", recs[1].VendorID, recs[1].LastSeen, want)
	}
}

func TestFetchResponseWithoutHosts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) }))
	defer srv.Close()
	c, err := fleet.New(integrations.Config{BaseURL: srv.URL, Secret: token, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	if recs, err := c.Fetch(context.Background()); err == nil || recs != nil {
		t.Errorf("Fetch of {}: got %d records, error %v; want an error and no records", len(recs), err)
	}
}
