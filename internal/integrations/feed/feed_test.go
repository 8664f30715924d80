package feed

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	fake "github.com/postern/postern/internal/fakes/feed"
	"github.com/postern/postern/internal/integrations"
)

const token = "feed-token-9f2c41"

// quick retries keep failure tests fast.
var quick = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

// schema is the declaration most tests serve.
var schema = map[string]fake.Attr{
	"diskEncrypted": {Type: "bool"},
	"riskScore":     {Type: "number"},
	"tier":          {Type: "string", Values: []string{"gold", "silver"}},
	"owner":         {Type: "string"},
	"agentVersion":  {Type: "version"},
}

func newServer(t testing.TB) *fake.Server {
	t.Helper()
	srv := fake.NewServer(token)
	srv.SetSchema(schema)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t testing.TB, baseURL string) *Client {
	t.Helper()
	c, err := New(integrations.Config{BaseURL: baseURL, TenantID: "acme", Secret: token, Retry: quick})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// devices returns n devices with a serial each and every attribute set.
func devices(n int) []fake.Device {
	out := make([]fake.Device, n)
	for i := range out {
		out[i] = fake.Device{Serials: []string{fmt.Sprintf("SER%07d", i)}, Attributes: map[string]any{"diskEncrypted": i%2 == 0}}
	}
	return out
}

func TestProvider(t *testing.T) {
	p := Provider()
	if p.ID != "feed" || p.Label != "Custom feed" || !p.MatchMAC || p.DefaultHost != "" || len(p.Namespaces) != 0 || p.Declared == nil {
		t.Errorf("got %+v; want feed, Custom feed, MatchMAC, no default host, no fixed namespaces, Declared set", p)
	}
	if !p.CloudID.Required || p.TenantID.Label != "Attribute namespace" || !p.TenantID.Required ||
		p.Secret.Label != "Bearer token or client certificate and key" || !p.Secret.Required || p.ClientID.Label != "" {
		t.Errorf("fields: got %+v", p)
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  integrations.Config
		want string
	}{
		{"no secret", integrations.Config{BaseURL: "https://feed.example.com", TenantID: "acme"}, "required"},
		{"no namespace", integrations.Config{BaseURL: "https://feed.example.com", Secret: token}, "attribute namespace"},
		{"uppercase namespace", integrations.Config{BaseURL: "https://feed.example.com", TenantID: "Acme", Secret: token}, "attribute namespace"},
		{"namespace with colon", integrations.Config{BaseURL: "https://feed.example.com", TenantID: "ac:me", Secret: token}, "attribute namespace"},
		{"token with space", integrations.Config{BaseURL: "https://feed.example.com", TenantID: "acme", Secret: "a b"}, "one word"},
		{"bad PEM", integrations.Config{BaseURL: "https://feed.example.com", TenantID: "acme", Secret: "-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n"}, "not a client certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an EINVALID error containing %q", err, tt.want)
			}
		})
	}
}

// TestFetchAttributes writes each declared type with its exact name
// under the namespace and JSON type; null and absent leave it unset.
func TestFetchAttributes(t *testing.T) {
	seen := time.Date(2026, 11, 30, 8, 15, 2, 0, time.UTC)
	tests := []struct {
		name string
		val  any
		want postern.Value // zero: unset
	}{
		{"diskEncrypted", true, postern.Bool(true)},
		{"diskEncrypted", false, postern.Bool(false)},
		{"diskEncrypted", nil, postern.Value{}},
		{"riskScore", 42.5, postern.Number(42.5)},
		{"riskScore", 0, postern.Number(0)},
		{"tier", "gold", postern.String("gold")},
		{"tier", "silver", postern.String("silver")},
		{"owner", "Ada Lovelace", postern.String("Ada Lovelace")},
		{"agentVersion", "1.76.1", postern.String("1.76.1")},
	}
	srv := newServer(t)
	devs := make([]fake.Device, len(tests))
	for i, tt := range tests {
		devs[i] = fake.Device{ID: fmt.Sprintf("d%02d", i), Serials: []string{fmt.Sprintf("C02X%04d", i)},
			MACs: []string{fmt.Sprintf("aa:bb:cc:00:00:%02x", i)}, LastSeen: seen, Attributes: map[string]any{tt.name: tt.val}}
	}
	srv.SetDevices(devs)
	c := newClient(t, srv.URL())
	recs, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != len(tests) {
		t.Fatalf("got %d records, want %d", len(recs), len(tests))
	}
	cat, err := Declared("acme", c.Schema())
	if err != nil {
		t.Fatal(err)
	}
	p := Provider()
	p.Namespaces = append(p.Namespaces, cat)
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s=%v", tt.name, tt.val), func(t *testing.T) {
			r := recs[i]
			got, ok := r.Attributes["acme:"+tt.name]
			wantLen := 0
			if tt.want.IsSet() {
				wantLen = 1
			}
			if got != tt.want || ok != tt.want.IsSet() || len(r.Attributes) != wantLen {
				t.Errorf("got attributes %v, want only acme:%s = %v (%v)", r.Attributes, tt.name, tt.want, tt.want.Kind())
			}
			if r.VendorID != devs[i].ID || !slices.Equal(r.Serials, devs[i].Serials) || !slices.Equal(r.MACs, devs[i].MACs) || !r.LastSeen.Equal(seen) {
				t.Errorf("got record %+v, want id %s, serials %v, macs %v, lastSeen %v", r, devs[i].ID, devs[i].Serials, devs[i].MACs, seen)
			}
			if err := p.CheckAttributes(r.Attributes); err != nil {
				t.Errorf("against the declared catalogue: %v", err)
			}
		})
	}
}

func TestDeclared(t *testing.T) {
	open, err := Declared("acme", "")
	if err != nil || !open.Open || open.Name != "acme" || len(open.Attrs) != 0 {
		t.Errorf("before a sync: got %+v, %v; want the open namespace acme", open, err)
	}
	srv := newServer(t)
	srv.SetDevices(devices(1))
	c := newClient(t, srv.URL())
	if _, err := c.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	ns, err := Declared("acme", c.Schema())
	if err != nil || ns.Open {
		t.Fatalf("got %+v, %v; want a closed namespace", ns, err)
	}
	want := map[string]string{"acme:agentVersion": "string version", "acme:diskEncrypted": "bool", "acme:owner": "string",
		"acme:riskScore": "number", "acme:tier": "string [gold silver]"}
	got := map[string]string{}
	for _, a := range ns.Attrs {
		s := a.Kind.String()
		if a.Version {
			s += " version"
		}
		if len(a.Values) > 0 {
			s += fmt.Sprint(" ", a.Values)
		}
		got[a.Name] = s
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestFetchPaging(t *testing.T) {
	srv := newServer(t)
	srv.SetPageSize(10)
	srv.SetDevices(devices(95))
	recs, err := newClient(t, srv.URL()).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 95 || srv.Requests() != 10 {
		t.Errorf("got %d records in %d requests, want 95 in 10", len(recs), srv.Requests())
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.VendorID] {
			t.Errorf("device %s listed twice", r.VendorID)
		}
		seen[r.VendorID] = true
	}
}

// TestFetchMatchesByMAC: a device the feed knows only by MAC is matched.
func TestFetchMatchesByMAC(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices([]fake.Device{{MACs: []string{"AA-BB-CC-DD-EE-01"}, Attributes: map[string]any{"diskEncrypted": true}}})
	recs, err := newClient(t, srv.URL()).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res := integrations.Match([]integrations.Identity{{DeviceID: 7, MACs: []string{"aa:bb:cc:dd:ee:01"}}}, recs, Provider().MatchMAC)
	if res.MatchedCount != 1 {
		t.Errorf("got %d matched, want 1", res.MatchedCount)
	}
}
