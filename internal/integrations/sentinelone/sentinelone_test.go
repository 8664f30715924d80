package sentinelone

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
	s1fake "github.com/postern/postern/internal/fakes/sentinelone"
	"github.com/postern/postern/internal/integrations"
)

const token = "s1-test-token"

// quick retries keep failure tests fast.
var quick = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newClient(t testing.TB, srv *s1fake.Server) *Client {
	t.Helper()
	c, err := New(integrations.Config{BaseURL: srv.URL(), Secret: token, Retry: quick})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// newSmallClient is newClient with pages of 100 agents, so that paging is
// exercised with few agents.
func newSmallClient(t testing.TB, srv *s1fake.Server) *Client {
	c := newClient(t, srv)
	c.pageSize = 100
	return c
}

func newServer(t testing.TB) *s1fake.Server {
	t.Helper()
	srv := s1fake.NewServer(token)
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchAttributes(t *testing.T) {
	srv := newServer(t)
	seen := time.Date(2026, 11, 20, 9, 30, 15, 123456000, time.UTC)
	srv.SetAgents([]s1fake.Agent{
		{
			ID: "1001", ComputerName: "alice-mbp", SerialNumber: "C02XL0GHJGH5",
			IsActive: true, AgentVersion: "24.1.2.6", ActiveThreats: 2, Infected: true,
			FirewallEnabled: true, EncryptedApplications: true, OperationalState: "partially_disabled",
			LastActiveDate: seen,
		},
		{ID: "1002", ComputerName: "linux-vm"}, // no serial, every bool false
	})
	recs, err := newClient(t, srv).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// What the vendor package really writes is what its catalogue declares.
	for _, r := range recs {
		if err := Provider().CheckAttributes(r.Attributes); err != nil {
			t.Errorf("catalogue: %v", err)
		}
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	byID := map[string]integrations.Record{}
	for _, r := range recs {
		byID[r.VendorID] = r
	}

	t.Run("every attribute", func(t *testing.T) {
		r := byID["1001"]
		want := map[string]postern.Value{
			AttrIsActive:              postern.Bool(true),
			AttrAgentVersion:          postern.String("24.1.2.6"),
			AttrActiveThreats:         postern.Number(2),
			AttrInfected:              postern.Bool(true),
			AttrFirewallEnabled:       postern.Bool(true),
			AttrEncryptedApplications: postern.Bool(true),
			AttrOperationalState:      postern.String("partially_disabled"),
		}
		checkAttrs(t, r.Attributes, want)
		if got := strings.Join(r.Serials, ","); got != "C02XL0GHJGH5" {
			t.Errorf("got serials %q, want C02XL0GHJGH5", got)
		}
		if r.Hostname != "alice-mbp" {
			t.Errorf("got hostname %q, want alice-mbp", r.Hostname)
		}
		if !r.LastSeen.Equal(seen) {
			t.Errorf("got LastSeen %v, want %v", r.LastSeen, seen)
		}
		if len(r.MACs) != 0 {
			t.Errorf("got MACs %v, want none", r.MACs)
		}
	})
	t.Run("false values and no serial", func(t *testing.T) {
		r := byID["1002"]
		want := map[string]postern.Value{
			AttrIsActive:              postern.Bool(false),
			AttrAgentVersion:          postern.String("23.4.2.14"),
			AttrActiveThreats:         postern.Number(0),
			AttrInfected:              postern.Bool(false),
			AttrFirewallEnabled:       postern.Bool(false),
			AttrEncryptedApplications: postern.Bool(false),
			AttrOperationalState:      postern.String("na"),
		}
		checkAttrs(t, r.Attributes, want)
		if len(r.Serials) != 0 {
			t.Errorf("got serials %q, want none for a null serialNumber", r.Serials)
		}
	})
}

func checkAttrs(t *testing.T, got, want map[string]postern.Value) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d attributes %v, want %d", len(got), got, len(want))
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s: got %v (%v), want %v (%v)", k, g, g.Kind(), w, w.Kind())
		}
	}
}

func TestFetchFlippedValue(t *testing.T) {
	srv := newServer(t)
	a := srv.PutAgent(s1fake.Agent{SerialNumber: "SER1", FirewallEnabled: true})
	c := newClient(t, srv)
	for _, want := range []bool{true, false} {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if got := recs[0].Attributes[AttrFirewallEnabled]; got != postern.Bool(want) {
			t.Errorf("got %s %v, want %v", AttrFirewallEnabled, got, want)
		}
		srv.Update(a.ID, func(a *s1fake.Agent) { a.FirewallEnabled = false })
	}
}

func agents(n int) []s1fake.Agent {
	out := make([]s1fake.Agent, n)
	for i := range out {
		out[i] = s1fake.Agent{SerialNumber: fmt.Sprintf("SER%06d", i), IsActive: i%2 == 0, ActiveThreats: i % 3}
	}
	return out
}

func TestFetchPaging(t *testing.T) {
	tests := []struct {
		name        string
		small       bool // pages of 100 instead of 1000
		emptyCursor bool
		agents      int
		wantPages   int
	}{
		{name: "pages of 1000, null final cursor", agents: 2500, wantPages: 3},
		{name: "pages of 100, empty final cursor", small: true, emptyCursor: true, agents: 250, wantPages: 3},
		{name: "exactly full pages", small: true, agents: 300, wantPages: 3},
		{name: "no agents", agents: 0, wantPages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetFinalCursorEmpty(tt.emptyCursor)
			srv.SetAgents(agents(tt.agents))
			c := newClient(t, srv)
			if tt.small {
				c = newSmallClient(t, srv)
			}
			recs, err := c.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			serials := map[string]bool{}
			for _, r := range recs {
				serials[r.Serials[0]] = true
			}
			if len(recs) != tt.agents || len(serials) != tt.agents {
				t.Errorf("got %d records with %d distinct serials, want %d", len(recs), len(serials), tt.agents)
			}
			if got := srv.Requests(); got != tt.wantPages {
				t.Errorf("got %d requests, want %d pages", got, tt.wantPages)
			}
		})
	}
}

func TestFetchSkipsDecommissioned(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents([]s1fake.Agent{
		{ID: "1", SerialNumber: "KEEP", IsActive: true},
		{ID: "2", SerialNumber: "OLD", IsDecommissioned: true},
		{ID: "3", SerialNumber: "GONE", IsUninstalled: true},
	})
	recs, err := newClient(t, srv).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 1 || recs[0].VendorID != "1" {
		t.Errorf("got %d records %+v, want only agent 1", len(recs), recs)
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name     string
		fault    *s1fake.Fault
		badToken bool
		wantAuth bool
		wantText string
	}{
		{name: "bad token", badToken: true, wantAuth: true, wantText: "Authentication Failed"},
		{name: "401 on page 2", fault: &s1fake.Fault{Page: 2, Status: http.StatusUnauthorized}, wantAuth: true, wantText: "Authentication Failed"},
		{name: "403", fault: &s1fake.Fault{Page: 1, Status: http.StatusForbidden}, wantAuth: true, wantText: "Forbidden"},
		{name: "500 on page 3", fault: &s1fake.Fault{Page: 3, Status: http.StatusInternalServerError}, wantText: "Internal server error: Server could not process the request."},
		{name: "429 on page 2 persists", fault: &s1fake.Fault{Page: 2, Status: http.StatusTooManyRequests}, wantText: "429"},
		{name: "truncated JSON on page 3", fault: &s1fake.Fault{Page: 3, Truncate: true}, wantText: "decoding agents"},
		{name: "400", fault: &s1fake.Fault{Page: 1, Status: http.StatusBadRequest}, wantText: "400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetAgents(agents(350))
			if tt.fault != nil {
				srv.Inject(*tt.fault)
			}
			if tt.badToken {
				srv.SetToken("rotated")
			}
			recs, err := newSmallClient(t, srv).Fetch(context.Background())
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
				t.Errorf("got error %q, want it to mention %q", err, tt.wantText)
			}
			if testing.Verbose() {
				t.Logf("error: %v", err)
			}
		})
	}
}

func TestFetchRetriesThenSucceeds(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusTooManyRequests, http.StatusBadGateway} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := newServer(t)
			srv.SetAgents(agents(250))
			srv.Inject(s1fake.Fault{Page: 2, Status: status, Times: 1})
			recs, err := newSmallClient(t, srv).Fetch(context.Background())
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

func TestFetchContextTimeout(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents(agents(150))
	srv.Inject(s1fake.Fault{Page: 2, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	recs, err := newSmallClient(t, srv).Fetch(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v, want context.DeadlineExceeded", err)
	}
	if recs != nil {
		t.Errorf("got %d records, want none", len(recs))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Fetch took %v, want it to stop at the deadline", d)
	}
}

func TestFetchRequestTimeout(t *testing.T) {
	srv := newServer(t)
	srv.SetAgents(agents(10))
	srv.Inject(s1fake.Fault{Delay: time.Minute})
	c, err := New(integrations.Config{
		BaseURL: srv.URL(), Secret: token, Retry: quick,
		HTTP: &http.Client{Timeout: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	recs, err := c.Fetch(context.Background())
	if err == nil || recs != nil {
		t.Fatalf("got %d records, error %v; want no records and a timeout error", len(recs), err)
	}
	if got := srv.Requests(); got != quick.Attempts {
		t.Errorf("got %d requests, want %d (each attempt timed out)", got, quick.Attempts)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     integrations.Config
		wantErr bool
		wantURL string
	}{
		{name: "no token", cfg: integrations.Config{BaseURL: "https://x.sentinelone.net"}, wantErr: true},
		{name: "no URL", cfg: integrations.Config{Secret: "t"}, wantErr: true},
		{name: "bad scheme", cfg: integrations.Config{BaseURL: "ftp://x", Secret: "t"}, wantErr: true},
		{name: "host", cfg: integrations.Config{BaseURL: "https://x.sentinelone.net/", Secret: "t"}, wantURL: "https://x.sentinelone.net/web/api/v2.1/agents"},
		{name: "with prefix", cfg: integrations.Config{BaseURL: "https://x.sentinelone.net/web/api/v2.1", Secret: "t"}, wantURL: "https://x.sentinelone.net/web/api/v2.1/agents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr {
				if postern.ErrorCode(err) != postern.EINVALID {
					t.Errorf("got error %v, want an EINVALID error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.agents != tt.wantURL {
				t.Errorf("got URL %q, want %q", c.agents, tt.wantURL)
			}
		})
	}
}

func TestErrorsInSuccessfulResponse(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[],"pagination":{"nextCursor":null},"errors":[{"code":4000010,"detail":"bad filter","title":"Validation Error"}]}`)
	}))
	defer ts.Close()
	c, err := New(integrations.Config{BaseURL: ts.URL, Secret: token, Retry: quick})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Fetch(context.Background())
	if err == nil || recs != nil {
		t.Fatalf("got %d records, error %v; want an error and no records", len(recs), err)
	}
	if !strings.Contains(err.Error(), "Validation Error: bad filter") {
		t.Errorf("got error %q, want the console's title and detail", err)
	}
}

func TestFetchCursorNotAdvancing(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[{"id":"1","isActive":true}],"pagination":{"nextCursor":"c2FtZQ=="}}`)
	}))
	defer ts.Close()
	c, err := New(integrations.Config{BaseURL: ts.URL, Secret: token, Retry: quick})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Fetch(context.Background())
	if err == nil || recs != nil {
		t.Fatalf("got %d records, error %v; want an error and no records", len(recs), err)
	}
	if !strings.Contains(err.Error(), "same cursor") {
		t.Errorf("got error %q, want it to name the repeated cursor", err)
	}
}
