package huntress

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	fakehuntress "github.com/postern/postern/internal/fakes/huntress"
	"github.com/postern/postern/internal/integrations"
)

const pub, priv = "hk_public_test", "hs_private_test"

// quick retries keep failure tests fast.
var quick = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newServer(t testing.TB) *fakehuntress.Server {
	t.Helper()
	srv := fakehuntress.NewServer(pub, priv)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t testing.TB, base, org string, limit int) *Client {
	t.Helper()
	c, err := New(integrations.Config{BaseURL: base, ClientID: pub, Secret: priv, TenantID: org, Retry: quick})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if limit > 0 {
		c.limit = limit
	}
	return c
}

func agents(n int) []fakehuntress.Agent {
	out := make([]fakehuntress.Agent, n)
	for i := range out {
		out[i] = fakehuntress.Agent{SerialNumber: fmt.Sprintf("SER%06d", i), DefenderStatus: "Protected", FirewallStatus: "Enabled"}
	}
	return out
}

func TestFetchAttributes(t *testing.T) {
	srv := newServer(t)
	seen := time.Date(2026, 11, 20, 9, 30, 15, 0, time.UTC)
	stored := srv.SetAgents([]fakehuntress.Agent{
		{
			Hostname: "acct-laptop", SerialNumber: "PF3ABCDE", DefenderStatus: "Protected",
			DefenderPolicyStatus: "Compliant", DefenderSubstatus: "Up to date", FirewallStatus: "Enabled",
			LastCallbackAt: seen, MACAddresses: []string{"7c:a7:b0:16:2f:78"},
		},
		{Hostname: "mac-mini", Platform: "darwin", SerialNumber: "C02XL0GHJGH5", FirewallStatus: "Pending Isolation"},
		{Hostname: "linux-vm", Platform: "linux"}, // no serial, no Defender, no firewall status
	})
	recs, err := newClient(t, srv.URL(), "", 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// What the client writes is what its catalogue declares.
	for _, r := range recs {
		if err := Provider().CheckAttributes(r.Attributes); err != nil {
			t.Errorf("catalogue: %v", err)
		}
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	byID := map[string]integrations.Record{}
	for _, r := range recs {
		byID[r.VendorID] = r
	}
	t.Run("every attribute", func(t *testing.T) {
		r := byID[fmt.Sprint(stored[0].ID)]
		checkAttrs(t, r.Attributes, map[string]postern.Value{
			AttrDefenderStatus:       postern.String("Protected"),
			AttrDefenderPolicyStatus: postern.String("Compliant"),
			AttrFirewallStatus:       postern.String("Enabled"),
		})
		if got := strings.Join(r.Serials, ","); got != "PF3ABCDE" {
			t.Errorf("got serials %q, want PF3ABCDE", got)
		}
		if len(r.MACs) != 0 {
			t.Errorf("got MACs %v, want none (Huntress matches by serial only)", r.MACs)
		}
		if r.Hostname != "acct-laptop" {
			t.Errorf("got hostname %q, want acct-laptop", r.Hostname)
		}
		if !r.LastSeen.Equal(seen) {
			t.Errorf("got LastSeen %v, want %v (last_callback_at)", r.LastSeen, seen)
		}
	})
	t.Run("no Defender", func(t *testing.T) {
		r := byID[fmt.Sprint(stored[1].ID)]
		checkAttrs(t, r.Attributes, map[string]postern.Value{AttrFirewallStatus: postern.String("Pending Isolation")})
	})
	t.Run("nothing reported", func(t *testing.T) {
		r := byID[fmt.Sprint(stored[2].ID)]
		checkAttrs(t, r.Attributes, map[string]postern.Value{})
		if r.Serials != nil {
			t.Errorf("got serials %q, want none for a null serial_number", r.Serials)
		}
	})
}

func checkAttrs(t *testing.T, got, want map[string]postern.Value) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d attributes %v, want %d %v", len(got), got, len(want), want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w || g.Kind() != postern.KindString {
			t.Errorf("%s: got %v (%v), want %v (%v)", k, g, g.Kind(), w, w.Kind())
		}
	}
}

// TestFetchValueSets writes every value of every attribute, in the
// spelling Huntress sends and in the snake_case and lower-case
// spellings of its enums, and leaves values outside the set unset.
func TestFetchValueSets(t *testing.T) {
	type field int
	const (
		defender field = iota
		policy
		firewall
	)
	attr := map[field]string{defender: AttrDefenderStatus, policy: AttrDefenderPolicyStatus, firewall: AttrFirewallStatus}
	tests := []struct {
		f         field
		wire      string
		want      string // "" means unset
		wantWarns bool
	}{
		{defender, "Incompatible", "Incompatible", false},
		{defender, "Unhealthy", "Unhealthy", false},
		{defender, "Protected", "Protected", false},
		{defender, "Unmanaged", "Unmanaged", false},
		{defender, "protected", "Protected", false},
		{defender, "Healthy", "", true}, // Huntress's own doc example, not one of the values
		{policy, "Unknown", "Unknown", false},
		{policy, "Non Compliant", "Non Compliant", false},
		{policy, "non_compliant", "Non Compliant", false},
		{policy, "Compliant", "Compliant", false},
		{policy, "Pending", "Pending", false},
		{policy, "Gpo Conflict", "Gpo Conflict", false},
		{policy, "GPO_CONFLICT", "Gpo Conflict", false},
		{firewall, "Disabled", "Disabled", false},
		{firewall, "Enabled", "Enabled", false},
		{firewall, "Pending Isolation", "Pending Isolation", false},
		{firewall, "pending_isolation", "Pending Isolation", false},
		{firewall, "Isolated", "Isolated", false},
		{firewall, "Pending Release", "Pending Release", false},
		{firewall, "pending-release", "Pending Release", false},
		{firewall, "Off", "", true},
	}
	for _, tt := range tests {
		t.Run(attr[tt.f]+"="+tt.wire, func(t *testing.T) {
			srv := newServer(t)
			a := fakehuntress.Agent{SerialNumber: "S1"}
			switch tt.f {
			case defender:
				a.DefenderStatus = tt.wire
			case policy:
				a.DefenderPolicyStatus = tt.wire
			case firewall:
				a.FirewallStatus = tt.wire
			}
			srv.PutAgent(a)
			var logs bytes.Buffer
			c, err := New(integrations.Config{BaseURL: srv.URL(), ClientID: pub, Secret: priv, Retry: quick,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			recs, err := c.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			want := map[string]postern.Value{}
			if tt.want != "" {
				want[attr[tt.f]] = postern.String(tt.want)
			}
			checkAttrs(t, recs[0].Attributes, want)
			if got := strings.Contains(logs.String(), "outside the attribute's catalogue"); got != tt.wantWarns {
				t.Errorf("warned about an unknown value: got %v, want %v (log: %s)", got, tt.wantWarns, logs.String())
			}
		})
	}
}

// TestCatalogueMatchesValues: the descriptor declares exactly the values
// the client writes.
func TestCatalogueMatchesValues(t *testing.T) {
	p := Provider()
	if p.ID != "huntress" || p.DefaultHost != "api.huntress.io" || p.MatchMAC {
		t.Errorf("got ID %q, DefaultHost %q, MatchMAC %v; want huntress, api.huntress.io, false", p.ID, p.DefaultHost, p.MatchMAC)
	}
	if len(p.Namespaces) != 1 || p.Namespaces[0].Name != "huntress" || p.Namespaces[0].Open {
		t.Fatalf("got namespaces %+v, want one closed namespace huntress", p.Namespaces)
	}
	want := map[string]string{
		AttrDefenderStatus:       "Incompatible,Unhealthy,Protected,Unmanaged",
		AttrDefenderPolicyStatus: "Unknown,Non Compliant,Compliant,Pending,Gpo Conflict",
		AttrFirewallStatus:       "Disabled,Enabled,Pending Isolation,Isolated,Pending Release",
	}
	attrs := p.Namespaces[0].Attrs
	if len(attrs) != len(want) {
		t.Errorf("got %d attributes, want %d", len(attrs), len(want))
	}
	for _, a := range attrs {
		if got := strings.Join(a.Values, ","); got != want[a.Name] || a.Kind != postern.KindString || a.Version || a.Doc == "" {
			t.Errorf("%s: got kind %v, values %q, doc %q; want a documented string with %q", a.Name, a.Kind, got, a.Doc, want[a.Name])
		}
	}
	attrs[0].Values[0] = "changed"
	if got := Provider().Namespaces[0].Attrs[0].Values[0]; got != "Incompatible" {
		t.Errorf("a caller changing the catalogue changed the next one: got %q", got)
	}
	if !p.ClientID.Required || !p.Secret.Required || p.TenantID.Required || p.CloudID.Required {
		t.Errorf("got required clientId %v, secret %v, tenantId %v, cloudId %v; want true, true, false, false",
			p.ClientID.Required, p.Secret.Required, p.TenantID.Required, p.CloudID.Required)
	}
	src, err := p.New(integrations.Config{BaseURL: "https://api.huntress.io", ClientID: pub, Secret: priv})
	if err != nil || src == nil {
		t.Errorf("Provider().New: got %v, %v; want a client", src, err)
	}
	if src, err := p.New(integrations.Config{BaseURL: "https://api.huntress.io"}); err == nil || src != nil {
		t.Errorf("Provider().New without keys: got %v, %v; want no client and an error", src, err)
	}
}

func TestFetchFlippedValue(t *testing.T) {
	srv := newServer(t)
	a := srv.PutAgent(fakehuntress.Agent{SerialNumber: "SER1", FirewallStatus: "Enabled"})
	c := newClient(t, srv.URL(), "", 0)
	for _, want := range []string{"Enabled", "Isolated"} {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if got := recs[0].Attributes[AttrFirewallStatus]; got != postern.String(want) {
			t.Errorf("got %s %v, want %v", AttrFirewallStatus, got, want)
		}
		srv.Update(a.ID, func(a *fakehuntress.Agent) { a.FirewallStatus = "Isolated" })
	}
}

func TestFetchPaging(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		final     fakehuntress.FinalPagination
		agents    int
		wantPages int
	}{
		{name: "pages of 500, pagination {} at the end", agents: 1200, wantPages: 3},
		{name: "pages of 100, null token at the end", limit: 100, final: fakehuntress.FinalNull, agents: 250, wantPages: 3},
		{name: "pages of 100, empty token at the end", limit: 100, final: fakehuntress.FinalEmpty, agents: 250, wantPages: 3},
		{name: "exactly full pages", limit: 100, agents: 300, wantPages: 3},
		{name: "no agents", agents: 0, wantPages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetFinalPagination(tt.final)
			srv.SetAgents(agents(tt.agents))
			recs, err := newClient(t, srv.URL(), "", tt.limit).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if recs == nil {
				t.Fatal("got nil records, want an empty listing to be a non-nil slice")
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

// TestFetchOrganization: the Organization ID is sent as organization_id
// on every page (next_page_url would drop it) and lists only that
// organization's agents.
func TestFetchOrganization(t *testing.T) {
	srv := newServer(t)
	all := agents(250)
	for i := range all {
		all[i].OrganizationID = int64(7 + i%2)
	}
	srv.SetAgents(all)
	recs, err := newClient(t, srv.URL(), " 7 ", 50).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 125 {
		t.Errorf("got %d records, want organization 7's 125", len(recs))
	}
	qs := srv.Queries()
	if len(qs) != 3 {
		t.Errorf("got %d requests, want 3", len(qs))
	}
	for i, q := range qs {
		if !strings.Contains(q, "organization_id=7") || !strings.Contains(q, "limit=50") {
			t.Errorf("request %d: query %q, want organization_id=7 and limit=50", i+1, q)
		}
		if (i > 0) != strings.Contains(q, "page_token=") {
			t.Errorf("request %d: query %q, want a page_token on every page but the first", i+1, q)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		cfg      integrations.Config
		wantErr  string
		wantURL  string
		wantAuth string
	}{
		{name: "no private key", cfg: integrations.Config{BaseURL: "https://api.huntress.io", ClientID: "k"}, wantErr: "private key is required"},
		{name: "no API key", cfg: integrations.Config{BaseURL: "https://api.huntress.io", Secret: "s"}, wantErr: "API key (the public key of the pair) is required"},
		{name: "colon in API key", cfg: integrations.Config{BaseURL: "https://api.huntress.io", ClientID: "a:b", Secret: "s"}, wantErr: "colon"},
		{name: "no URL", cfg: integrations.Config{ClientID: "k", Secret: "s"}, wantErr: "API host is required"},
		{name: "organization not a number", cfg: integrations.Config{BaseURL: "https://api.huntress.io", ClientID: "k", Secret: "s", TenantID: "acme"}, wantErr: "Organization ID must be the number"},
		{name: "organization zero", cfg: integrations.Config{BaseURL: "https://api.huntress.io", ClientID: "k", Secret: "s", TenantID: "0"}, wantErr: "Organization ID"},
		{name: "host", cfg: integrations.Config{BaseURL: "https://api.huntress.io/", ClientID: "k", Secret: "s"}, wantURL: "https://api.huntress.io/v1/agents", wantAuth: "Basic azpz"},
		{name: "with /v1", cfg: integrations.Config{BaseURL: "https://api.huntress.io/v1", ClientID: " k ", Secret: "s"}, wantURL: "https://api.huntress.io/v1/agents", wantAuth: "Basic azpz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr != "" {
				if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %v, want an EINVALID error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.agents != tt.wantURL || c.auth != tt.wantAuth {
				t.Errorf("got URL %q, auth %q; want %q, %q", c.agents, c.auth, tt.wantURL, tt.wantAuth)
			}
		})
	}
}

func TestFetchNonListBodies(t *testing.T) {
	for _, body := range []string{
		`null`,
		`[]`,
		`{"pagination":{}}`,
		`{"agents":null,"pagination":{}}`,
		`{"agents":{"id":1},"pagination":{}}`,
		`{"agents":[],"pagination":{"next_page_token":7}}`,
		`<html></html>`,
	} {
		t.Run(body, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
			defer ts.Close()
			recs, err := newClient(t, ts.URL, "", 0).Fetch(context.Background())
			if err == nil || recs != nil {
				t.Errorf("Fetch of %s: got %d records, error %v; want an error and no records", body, len(recs), err)
			}
		})
	}
}

func TestFetchTokenNotAdvancing(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"agents":[{"id":1}],"pagination":{"next_page_token":"c2FtZQ","next_page_url":"x"}}`)
	}))
	defer ts.Close()
	recs, err := newClient(t, ts.URL, "", 0).Fetch(context.Background())
	if err == nil || recs != nil {
		t.Fatalf("got %d records, error %v; want an error and no records", len(recs), err)
	}
	if !strings.Contains(err.Error(), "same page token") {
		t.Errorf("got error %q, want it to name the repeated page token", err)
	}
}

// TestFetchRepeatedAgent: an agent that comes on two pages is listed
// once, with the later copy's values.
func TestFetchRepeatedAgent(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page_token") == "" {
			fmt.Fprint(w, `{"agents":[{"id":2,"serial_number":"B","firewall_status":"Enabled"},{"id":1,"serial_number":"A"}],"pagination":{"next_page_token":"MQ","next_page_url":"x"}}`)
			return
		}
		fmt.Fprint(w, `{"agents":[{"id":2,"serial_number":"B","firewall_status":"Isolated"}],"pagination":{}}`)
	}))
	defer ts.Close()
	recs, err := newClient(t, ts.URL, "", 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 2 || recs[0].VendorID != "2" || recs[0].Attributes[AttrFirewallStatus] != postern.String("Isolated") {
		t.Errorf("got %+v, want agents 2 (Isolated) and 1", recs)
	}
}
