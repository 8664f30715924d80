package jamfpro

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postern/postern"
	fakejamf "github.com/postern/postern/internal/fakes/jamfpro"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/posture"
)

const (
	clientID = "5b0a9c3e-6f1d-4c52-9e1a-7d2b3c4d5e6f"
	secret   = "jamf-client-secret-do-not-log"
)

// quick retries keep failure tests fast.
var quick = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newServer(t testing.TB) *fakejamf.Server {
	t.Helper()
	srv := fakejamf.NewServer(clientID, secret)
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a client of srv asking pageSize computers a page
// (zero: the default).
func newClient(t testing.TB, url string, pageSize int) *Client {
	t.Helper()
	c, err := New(integrations.Config{BaseURL: url, ClientID: clientID, Secret: secret, Retry: quick})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.PageSize = pageSize
	return c
}

func fetch(t *testing.T, c *Client) map[string]integrations.Record {
	t.Helper()
	recs, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// What the client writes is what its catalogue declares.
	for _, r := range recs {
		if err := Provider().CheckAttributes(r.Attributes); err != nil {
			t.Errorf("catalogue: %v", err)
		}
	}
	byID := make(map[string]integrations.Record, len(recs))
	for _, r := range recs {
		byID[r.VendorID] = r
	}
	if len(byID) != len(recs) {
		t.Errorf("Fetch: got %d records for %d ids; want one record per computer", len(recs), len(byID))
	}
	return byID
}

func TestFetchAttributes(t *testing.T) {
	srv := newServer(t)
	seen := time.Date(2026, 11, 30, 14, 2, 3, 456000000, time.UTC)
	srv.SetComputers([]fakejamf.Computer{
		{ID: 1, Name: "alice-mbp", SerialNumber: "C02ABC123", RemoteManaged: true, Supervised: true, FirewallEnabled: true,
			FileVaultStatus: "ALL_ENCRYPTED", SIPStatus: "ENABLED", LastContact: seen},
		{ID: 2, Name: "bob-air", SerialNumber: "C02DEF456", FileVaultStatus: "NOT_ENCRYPTED", SIPStatus: "DISABLED"},
		{ID: 3, Name: "new-mac", SerialNumber: "C02NEW789", RemoteManaged: true, NoInventory: true},
		{ID: 4, Name: "vm"}, // no serial
	})
	recs := fetch(t, newClient(t, srv.URL(), 0))

	t.Run("every attribute", func(t *testing.T) {
		r := recs["1"]
		want := map[string]postern.Value{
			AttrRemoteManaged:   postern.Bool(true),
			AttrSupervised:      postern.Bool(true),
			AttrFirewallEnabled: postern.Bool(true),
			AttrFileVaultStatus: postern.String("ALL_ENCRYPTED"),
			AttrSIPEnabled:      postern.String("ENABLED"),
		}
		checkAttrs(t, r, want)
		if !slices.Equal(r.Serials, []string{"C02ABC123"}) || r.MACs != nil {
			t.Errorf("identity: got serials %q MACs %q, want [C02ABC123] and none", r.Serials, r.MACs)
		}
		if !r.LastSeen.Equal(seen) {
			t.Errorf("LastSeen: got %v, want %v", r.LastSeen, seen)
		}
		if r.Hostname != "alice-mbp" {
			t.Errorf("Hostname: got %q, want alice-mbp", r.Hostname)
		}
	})
	t.Run("false values are written", func(t *testing.T) {
		checkAttrs(t, recs["2"], map[string]postern.Value{
			AttrRemoteManaged:   postern.Bool(false),
			AttrSupervised:      postern.Bool(false),
			AttrFirewallEnabled: postern.Bool(false),
			AttrFileVaultStatus: postern.String("NOT_ENCRYPTED"),
			AttrSIPEnabled:      postern.String("DISABLED"),
		})
		if !recs["2"].LastSeen.IsZero() {
			t.Errorf("LastSeen without lastContactTime: got %v, want zero", recs["2"].LastSeen)
		}
	})
	t.Run("values not reported are unset", func(t *testing.T) {
		checkAttrs(t, recs["3"], map[string]postern.Value{
			AttrRemoteManaged: postern.Bool(true),
			AttrSupervised:    postern.Bool(false),
		})
	})
	t.Run("no serial", func(t *testing.T) {
		if r := recs["4"]; r.Serials != nil {
			t.Errorf("serials: got %q, want none", r.Serials)
		}
	})
}

// TestFetchValueSets writes every value Jamf Pro reports for the two
// string attributes, as Jamf sends it.
func TestFetchValueSets(t *testing.T) {
	cat := catalog(t)
	for _, tc := range []struct {
		attr   string
		values []string
		set    func(*fakejamf.Computer, string)
	}{
		{AttrFileVaultStatus, []string{"ALL_ENCRYPTED", "SOME_ENCRYPTED", "BOOT_ENCRYPTED", "NOT_ENCRYPTED", "NOT_APPLICABLE"},
			func(c *fakejamf.Computer, v string) { c.FileVaultStatus = v }},
		{AttrSIPEnabled, []string{"NOT_COLLECTED", "NOT_AVAILABLE", "DISABLED", "ENABLED"},
			func(c *fakejamf.Computer, v string) { c.SIPStatus = v }},
	} {
		if got := cat[tc.attr].Values; !slices.Equal(got, tc.values) {
			t.Errorf("catalogue values of %s: got %q, want %q", tc.attr, got, tc.values)
		}
		for _, v := range tc.values {
			t.Run(tc.attr+"="+v, func(t *testing.T) {
				srv := newServer(t)
				c := fakejamf.Computer{ID: 7, SerialNumber: "C02VAL"}
				tc.set(&c, v)
				srv.SetComputers([]fakejamf.Computer{c})
				got := fetch(t, newClient(t, srv.URL(), 0))["7"].Attributes[tc.attr]
				if want := postern.String(v); got != want {
					t.Errorf("%s: got %v, want %v", tc.attr, got, want)
				}
			})
		}
	}
	for _, attr := range []string{AttrRemoteManaged, AttrSupervised, AttrFirewallEnabled} {
		for _, v := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s=%v", attr, v), func(t *testing.T) {
				srv := newServer(t)
				c := fakejamf.Computer{ID: 9, SerialNumber: "C02BOOL"}
				switch attr {
				case AttrRemoteManaged:
					c.RemoteManaged = v
				case AttrSupervised:
					c.Supervised = v
				case AttrFirewallEnabled:
					c.FirewallEnabled = v
				}
				srv.SetComputers([]fakejamf.Computer{c})
				if got := fetch(t, newClient(t, srv.URL(), 0))["9"].Attributes[attr]; got != postern.Bool(v) {
					t.Errorf("%s: got %v, want %v", attr, got, postern.Bool(v))
				}
			})
		}
	}
}

func checkAttrs(t *testing.T, r integrations.Record, want map[string]postern.Value) {
	t.Helper()
	cat := catalog(t)
	for name, got := range r.Attributes {
		a, ok := cat[name]
		if !ok {
			t.Errorf("attribute %s is not in the catalogue", name)
			continue
		}
		if got.Kind() != a.Kind {
			t.Errorf("%s: got kind %v, catalogue says %v", name, got.Kind(), a.Kind)
		}
	}
	if len(r.Attributes) != len(want) {
		t.Errorf("record %s: got %d attributes %v, want %d %v", r.VendorID, len(r.Attributes), r.Attributes, len(want), want)
	}
	for name, w := range want {
		if got, ok := r.Attributes[name]; !ok || got != w {
			t.Errorf("record %s %s: got %v (set %v), want %v", r.VendorID, name, got, ok, w)
		}
	}
}

func catalog(t *testing.T) map[string]posture.Attr {
	t.Helper()
	out := map[string]posture.Attr{}
	for _, ns := range Provider().Namespaces {
		for _, a := range ns.Attrs {
			out[a.Name] = a
		}
	}
	return out
}

func TestFetchPaging(t *testing.T) {
	for _, tc := range []struct {
		computers, pageSize, wantRequests int
	}{
		{0, 5, 1},
		{4, 5, 1},
		{5, 5, 1},
		{12, 5, 3},
		{15, 5, 3},
		{2500, 0, 3}, // the default page size
	} {
		t.Run(fmt.Sprintf("%d by %d", tc.computers, tc.pageSize), func(t *testing.T) {
			srv := newServer(t)
			cs := make([]fakejamf.Computer, tc.computers)
			for i := range cs {
				cs[i].SerialNumber = fmt.Sprintf("C02P%06d", i)
			}
			srv.SetComputers(cs)
			recs, err := newClient(t, srv.URL(), tc.pageSize).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != tc.computers {
				t.Errorf("records: got %d, want %d", len(recs), tc.computers)
			}
			seen := map[string]bool{}
			for _, r := range recs {
				seen[r.Serials[0]] = true
			}
			if len(seen) != tc.computers {
				t.Errorf("distinct serials: got %d, want %d", len(seen), tc.computers)
			}
			if got := srv.Requests(fakejamf.EndpointInventory); got != tc.wantRequests {
				t.Errorf("inventory requests: got %d, want %d", got, tc.wantRequests)
			}
			if got := srv.Requests(fakejamf.EndpointToken); got != 1 {
				t.Errorf("token requests: got %d, want 1", got)
			}
		})
	}
}

// inventoryHook serves srv's API through a proxy that calls before(page)
// ahead of each inventory request, to change the inventory between pages.
func inventoryHook(t *testing.T, srv *fakejamf.Server, before func(page string)) string {
	t.Helper()
	target, _ := url.Parse(srv.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == fakejamf.InventoryPath {
			before(r.URL.Query().Get("page"))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestFetchInventoryChangesDuringPaging: a computer deleted after its page
// was read would shift the next one onto that page and out of the
// listing; the changed totalCount makes the client start again.
func TestFetchInventoryChangesDuringPaging(t *testing.T) {
	t.Run("deleted once", func(t *testing.T) {
		srv := newServer(t)
		srv.SetComputers(make([]fakejamf.Computer, 10))
		var once sync.Once
		u := inventoryHook(t, srv, func(page string) {
			if page == "1" {
				once.Do(func() { srv.RemoveComputer(2) })
			}
		})
		recs := fetch(t, newClient(t, u, 4))
		if len(recs) != 9 {
			t.Errorf("records: got %d, want 9", len(recs))
		}
		for _, id := range []string{"1", "3", "4", "5", "6", "7", "8", "9", "10"} {
			if _, ok := recs[id]; !ok {
				t.Errorf("computer %s missing from the listing", id)
			}
		}
		// Pages 0, 1 (changed), then 0, 1, 2 again.
		if got := srv.Requests(fakejamf.EndpointInventory); got != 5 {
			t.Errorf("inventory requests: got %d, want 5", got)
		}
	})
	t.Run("keeps changing", func(t *testing.T) {
		srv := newServer(t)
		srv.SetComputers(make([]fakejamf.Computer, 10))
		u := inventoryHook(t, srv, func(page string) {
			if page == "1" {
				srv.PutComputer(fakejamf.Computer{})
			}
		})
		recs, err := newClient(t, u, 4).Fetch(context.Background())
		if err == nil || recs != nil {
			t.Fatalf("Fetch: got %d records, error %v; want an error and no records", len(recs), err)
		}
		if !strings.Contains(err.Error(), "changed while it was being read") {
			t.Errorf("error %q: want it to say the inventory changed", err)
		}
	})
}

func TestTokenReusedAcrossFetches(t *testing.T) {
	srv := newServer(t)
	srv.SetComputers(make([]fakejamf.Computer, 3))
	c := newClient(t, srv.URL(), 0)
	fetch(t, c)
	fetch(t, c)
	if got := srv.Requests(fakejamf.EndpointToken); got != 1 {
		t.Errorf("token requests for two fetches: got %d, want 1 (the token is cached until it expires)", got)
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	srv := newServer(t)
	srv.SetComputers(make([]fakejamf.Computer, 3))
	srv.SetTokenTTL(61 * time.Second) // expires_in 60
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c, err := New(integrations.Config{BaseURL: srv.URL(), ClientID: clientID, Secret: secret, Retry: quick, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	fetch(t, c)
	now = now.Add(29 * time.Second)
	fetch(t, c)
	if got := srv.Requests(fakejamf.EndpointToken); got != 1 {
		t.Errorf("token requests within half the lifetime: got %d, want 1", got)
	}
	now = now.Add(2 * time.Second)
	fetch(t, c)
	if got := srv.Requests(fakejamf.EndpointToken); got != 2 {
		t.Errorf("token requests past half the lifetime: got %d, want 2", got)
	}
}

// TestRevokedTokenRefetched: a cached token Jamf no longer accepts is
// replaced once, without failing the sync.
func TestRevokedTokenRefetched(t *testing.T) {
	srv := newServer(t)
	srv.SetComputers(make([]fakejamf.Computer, 3))
	c := newClient(t, srv.URL(), 0)
	fetch(t, c)
	srv.RevokeTokens()
	if recs := fetch(t, c); len(recs) != 3 {
		t.Errorf("records after a revoked token: got %d, want 3", len(recs))
	}
	if got := srv.Requests(fakejamf.EndpointToken); got != 2 {
		t.Errorf("token requests: got %d, want 2", got)
	}
}

func TestNew(t *testing.T) {
	for _, cfg := range []integrations.Config{
		{BaseURL: "https://acme.jamfcloud.com", Secret: "s"},
		{BaseURL: "https://acme.jamfcloud.com", ClientID: "id"},
		{BaseURL: "acme.jamfcloud.com", ClientID: "id", Secret: "s"},
		{ClientID: "id", Secret: "s"},
	} {
		if _, err := New(cfg); postern.ErrorCode(err) != postern.EINVALID {
			t.Errorf("New(%+v): got error %v, want an EINVALID error", cfg, err)
		}
	}
	for _, base := range []string{"https://acme.jamfcloud.com", "https://acme.jamfcloud.com/", "https://acme.jamfcloud.com/api", "https://acme.jamfcloud.com/api/"} {
		c, err := New(integrations.Config{BaseURL: base, ClientID: "id", Secret: "s"})
		if err != nil {
			t.Fatalf("New(%q): %v", base, err)
		}
		if c.base != "https://acme.jamfcloud.com" {
			t.Errorf("New(%q): base %q, want https://acme.jamfcloud.com", base, c.base)
		}
	}
}

func TestProvider(t *testing.T) {
	p := Provider()
	if p.ID != "jamfpro" || p.Label != "Jamf Pro" {
		t.Errorf("ID, Label: got %q, %q, want jamfpro, Jamf Pro", p.ID, p.Label)
	}
	if !p.CloudID.Required || !p.ClientID.Required || !p.Secret.Required || p.TenantID.Label != "" {
		t.Errorf("fields: got %+v %+v %+v %+v; want cloudId, client id and secret required, no tenant", p.CloudID, p.ClientID, p.Secret, p.TenantID)
	}
	if p.DefaultHost != "" || p.BaseURL != nil || p.MatchMAC {
		t.Errorf("got DefaultHost %q, BaseURL set %v, MatchMAC %v; want none (an instance URL, matched by serial)", p.DefaultHost, p.BaseURL != nil, p.MatchMAC)
	}
	if len(p.Namespaces) != 1 || p.Namespaces[0].Name != "jamfPro" || p.Namespaces[0].Open {
		t.Fatalf("namespaces: got %+v, want one closed namespace jamfPro", p.Namespaces)
	}
	want := map[string]postern.Kind{
		"jamfPro:remoteManaged":   postern.KindBool,
		"jamfPro:supervised":      postern.KindBool,
		"jamfPro:firewallEnabled": postern.KindBool,
		"jamfPro:fileVaultStatus": postern.KindString,
		"jamfPro:SIPEnabled":      postern.KindString,
	}
	cat := catalog(t)
	if len(cat) != len(want) {
		t.Errorf("catalogue: got %d attributes, want %d", len(cat), len(want))
	}
	for name, kind := range want {
		if a, ok := cat[name]; !ok || a.Kind != kind || a.Doc == "" {
			t.Errorf("%s: got %+v (present %v), want kind %v with a doc", name, a, ok, kind)
		}
	}
	src, err := p.New(integrations.Config{BaseURL: "https://acme.jamfcloud.com", ClientID: "id", Secret: "s"})
	if err != nil || src == nil {
		t.Errorf("p.New: got %v, %v; want a source", src, err)
	}
	if src, err := p.New(integrations.Config{}); err == nil || src != nil {
		t.Errorf("p.New of an empty config: got %v, %v; want a nil source and an error", src, err)
	}
}
