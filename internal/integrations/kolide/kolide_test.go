package kolide

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/postern/postern"
	fake "github.com/postern/postern/internal/fakes/kolide"
	"github.com/postern/postern/internal/integrations"
)

const token = "k2sk_v1_A2UYhW7OPt2jKKLqmFcaGNK7"

// quick retries keep failure tests fast.
var quick = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newServer(t testing.TB) *fake.Server {
	t.Helper()
	srv := fake.NewServer(token)
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a client of srv with pages of perPage devices (0:
// Kolide's maximum, 100).
func newClient(t testing.TB, baseURL string, perPage int) *Client {
	t.Helper()
	c, err := New(integrations.Config{BaseURL: baseURL, Secret: token, Retry: quick})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if perPage > 0 {
		c.perPage = perPage
	}
	return c
}

func TestProvider(t *testing.T) {
	p := Provider()
	if p.ID != "kolide" || p.Label != "Kolide" || p.DefaultHost != "api.kolide.com" || p.MatchMAC {
		t.Errorf("got ID %q, DefaultHost %q, MatchMAC %v; want kolide, api.kolide.com, false", p.ID, p.DefaultHost, p.MatchMAC)
	}
	if !p.Secret.Required || p.Secret.Label == "" || p.CloudID.Required || p.ClientID.Label != "" || p.TenantID.Label != "" {
		t.Errorf("fields: got %+v; want a required secret, an optional cloudId, no clientId or tenantId", p)
	}
	if len(p.Namespaces) != 1 || p.Namespaces[0].Name != "kolide" || p.Namespaces[0].Open || len(p.Namespaces[0].Attrs) != 1 {
		t.Fatalf("got namespaces %+v, want the closed namespace kolide with one attribute", p.Namespaces)
	}
	a := p.Namespaces[0].Attrs[0]
	want := []string{"Good", "Notified", "Will Block", "Blocked"}
	if a.Name != "kolide:authState" || a.Kind != postern.KindString || a.Version || !slices.Equal(a.Values, want) || a.Doc == "" {
		t.Errorf("got attribute %+v, want kolide:authState, a string of %q", a, want)
	}
	src, err := p.New(integrations.Config{BaseURL: "https://" + DefaultHost, Secret: token})
	if err != nil {
		t.Fatalf("Provider().New: %v", err)
	}
	if _, ok := src.(*Client); !ok {
		t.Errorf("Provider().New: got %T, want *Client", src)
	}
	if src, err := p.New(integrations.Config{BaseURL: "https://" + DefaultHost}); err == nil || src != nil {
		t.Errorf("Provider().New without a key: got %v, %v; want a nil Source and an error", src, err)
	}
}

func TestNew(t *testing.T) {
	for _, cfg := range []integrations.Config{
		{BaseURL: "https://api.kolide.com"},
		{Secret: token},
		{BaseURL: "ftp://api.kolide.com", Secret: token},
	} {
		if _, err := New(cfg); postern.ErrorCode(err) != postern.EINVALID {
			t.Errorf("New(%+v): got %v, want an EINVALID error", cfg, err)
		}
	}
	c, err := New(integrations.Config{BaseURL: "https://api.kolide.com/", Secret: token})
	if err != nil {
		t.Fatal(err)
	}
	if c.devices != "https://api.kolide.com/devices" {
		t.Errorf("got devices URL %q, want https://api.kolide.com/devices", c.devices)
	}
}

// TestFetchAuthStates writes each of Kolide's auth states, verbatim and
// as a string, and leaves the attribute unset when Kolide reports none or
// one Postern does not know.
func TestFetchAuthStates(t *testing.T) {
	seen := time.Date(2026, 11, 30, 8, 15, 2, 123000000, time.UTC)
	tests := []struct {
		state string // "" is sent as null
		want  postern.Value
	}{
		{fake.Good, postern.String("Good")},
		{fake.Notified, postern.String("Notified")},
		{fake.WillBlock, postern.String("Will Block")},
		{fake.Blocked, postern.String("Blocked")},
		{"will_block", postern.String("Will Block")},
		{"", postern.Value{}},
		{"Quarantined", postern.Value{}},
	}
	srv := newServer(t)
	devices := make([]fake.Device, len(tests))
	for i, tt := range tests {
		devices[i] = fake.Device{Name: fmt.Sprintf("host-%d", i), Serial: fmt.Sprintf("C02X%08d", i), AuthState: tt.state, LastSeenAt: seen}
	}
	stored := srv.SetDevices(devices)
	recs, err := newClient(t, srv.URL(), 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	// What the client writes is what its catalogue declares.
	for _, r := range recs {
		if err := Provider().CheckAttributes(r.Attributes); err != nil {
			t.Errorf("catalogue: %v", err)
		}
	}
	if len(recs) != len(tests) {
		t.Fatalf("got %d records, want %d", len(recs), len(tests))
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.state), func(t *testing.T) {
			r := recs[i]
			got, ok := r.Attributes[AttrAuthState]
			if got != tt.want || ok != tt.want.IsSet() || len(r.Attributes) != btoi(tt.want.IsSet()) {
				t.Errorf("got attributes %v, want %s = %v (%v)", r.Attributes, AttrAuthState, tt.want, tt.want.Kind())
			}
			if r.VendorID != stored[i].ID || r.Hostname != devices[i].Name {
				t.Errorf("got VendorID %q, Hostname %q; want %q, %q", r.VendorID, r.Hostname, stored[i].ID, devices[i].Name)
			}
			if !slices.Equal(r.Serials, []string{devices[i].Serial}) || len(r.MACs) != 0 {
				t.Errorf("got Serials %q, MACs %q; want [%s] and no MACs", r.Serials, r.MACs, devices[i].Serial)
			}
			if !r.LastSeen.Equal(seen) {
				t.Errorf("got LastSeen %v, want %v (last_seen_at)", r.LastSeen, seen)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestFetchFlip(t *testing.T) {
	srv := newServer(t)
	d := srv.PutDevice(fake.Device{Serial: "SER1", AuthState: fake.Good})
	c := newClient(t, srv.URL(), 0)
	for _, want := range []string{"Good", "Blocked"} {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if got := recs[0].Attributes[AttrAuthState]; got != postern.String(want) {
			t.Errorf("got %s %v, want %q", AttrAuthState, got, want)
		}
		srv.Update(d.ID, func(d *fake.Device) { d.AuthState = fake.Blocked })
	}
}

// TestFetchNullsAndFallbacks reads the fields Kolide sends as null or
// leaves out: no serial, no last_seen_at (LastSeen then comes from
// last_authenticated_at), nothing at all.
func TestFetchNullsAndFallbacks(t *testing.T) {
	authed := time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)
	srv := newServer(t)
	srv.SetDevices([]fake.Device{
		{AuthState: fake.Good, DeviceType: "iOS"},
		{Serial: "S2", AuthState: fake.Notified, OmitLastSeen: true, LastAuthenticatedAt: authed},
		{Serial: "S3", OmitLastSeen: true},
	})
	recs, err := newClient(t, srv.URL(), 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs[0].Serials) != 0 || recs[0].Attributes[AttrAuthState] != postern.String("Good") {
		t.Errorf("null serial: got Serials %q, attributes %v; want none and Good", recs[0].Serials, recs[0].Attributes)
	}
	if !recs[1].LastSeen.Equal(authed) {
		t.Errorf("no last_seen_at: got LastSeen %v, want last_authenticated_at %v", recs[1].LastSeen, authed)
	}
	if !recs[2].LastSeen.IsZero() || len(recs[2].Attributes) != 0 {
		t.Errorf("nothing reported: got LastSeen %v, attributes %v; want zero and none", recs[2].LastSeen, recs[2].Attributes)
	}
}

func TestFetchPaging(t *testing.T) {
	tests := []struct {
		name         string
		devices      int
		perPage      int
		wantRequests int
	}{
		{"no devices", 0, 0, 1},
		{"one short page", 7, 0, 1},
		{"exactly one full page", 100, 0, 1},
		{"pages of 100", 250, 0, 3},
		{"pages of 10, full last page", 30, 10, 3},
		{"pages of 1", 5, 1, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			stored := srv.SetDevices(benchDevices(tt.devices))
			recs, err := newClient(t, srv.URL(), tt.perPage).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != tt.devices {
				t.Fatalf("got %d records, want %d", len(recs), tt.devices)
			}
			for i, r := range recs {
				if r.VendorID != stored[i].ID {
					t.Fatalf("record %d: got VendorID %q, want %q (each device once, in order)", i, r.VendorID, stored[i].ID)
				}
			}
			if got := srv.Requests(); got != tt.wantRequests {
				t.Errorf("got %d requests, want %d", got, tt.wantRequests)
			}
		})
	}
}

// TestFetchRequests checks the requests themselves: the key as a Bearer
// token, the pinned API version, per_page, and the cursor the previous
// answer carried, verbatim, on the configured host (never pagination.next).
func TestFetchRequests(t *testing.T) {
	type seen struct{ auth, version, query, path string }
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, seen{r.Header.Get("Authorization"), r.Header.Get("X-Kolide-Api-Version"), r.URL.RawQuery, r.URL.Path})
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprint(w, `{"data":[{"id":"1","serial":"A","auth_state":"Good"}],"pagination":{"next":"https://elsewhere.example/devices?cursor=c%2F2%2B%3D","next_cursor":"c/2+=","current_cursor":"","count":1}}`)
		case "c/2+=":
			fmt.Fprint(w, `{"data":[{"id":"2","serial":"B","auth_state":"Blocked"}],"pagination":{"next":"","next_cursor":"","current_cursor":"c/2+=","count":1}}`)
		}
	}))
	defer srv.Close()
	recs, err := newClient(t, srv.URL+"/", 0).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(recs) != 2 || recs[1].VendorID != "2" {
		t.Errorf("got records %+v, want devices 1 and 2", recs)
	}
	want := []seen{
		{"Bearer " + token, "2023-05-26", "per_page=100", "/devices"},
		{"Bearer " + token, "2023-05-26", "cursor=c%2F2%2B%3D&per_page=100", "/devices"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got requests %q, want %q", got, want)
	}
}

// benchDevices returns n devices with distinct serials and the four auth
// states in turn.
func benchDevices(n int) []fake.Device {
	states := []string{fake.Good, fake.Notified, fake.WillBlock, fake.Blocked}
	seen := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	out := make([]fake.Device, n)
	for i := range out {
		out[i] = fake.Device{Serial: benchSerial(i), AuthState: states[i%4], LastSeenAt: seen.Add(time.Duration(i) * time.Second)}
	}
	return out
}

func benchSerial(i int) string { return fmt.Sprintf("C02K%08d", i) }
