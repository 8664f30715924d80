package intune

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	fakeintune "github.com/postern/postern/internal/fakes/intune"
	"github.com/postern/postern/internal/integrations"
)

const (
	tenant   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID = "6731de76-14a6-49ae-97bc-6eba6914391e"
	secret   = "Wq78Q~client-secret-value"
)

// quick retries keep failure tests fast.
var quick = integrations.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Millisecond}

func newServer(t testing.TB) *fakeintune.Server {
	t.Helper()
	srv := fakeintune.NewServer(tenant, clientID, secret)
	t.Cleanup(srv.Close)
	return srv
}

func config(srv *fakeintune.Server) integrations.Config {
	return integrations.Config{BaseURL: srv.URL(), ClientID: clientID, TenantID: tenant, Secret: secret, Retry: quick}
}

func newClient(t testing.TB, cfg integrations.Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func checkAttrs(t *testing.T, got, want map[string]postern.Value) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d attributes %v, want %d %v", len(got), got, len(want), want)
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s: got %v (%v), want %v (%v)", k, g, g.Kind(), w, w.Kind())
		}
	}
}

// TestFetchAttributes: every value of Intune's value sets is written
// under Tailscale's name, with the right JSON type.
func TestFetchAttributes(t *testing.T) {
	seen := time.Date(2026, 11, 20, 9, 30, 15, 0, time.UTC)
	type tc struct {
		name string
		dev  fakeintune.Device
		want map[string]postern.Value
	}
	base := func(d fakeintune.Device) fakeintune.Device {
		d.SerialNumber, d.DeviceName, d.LastSyncDateTime = "C02XL0GHJGH5", "alice-surface", seen
		return d
	}
	attrs := func(compliance, registration, owner string, aad *bool, supervised, encrypted bool) map[string]postern.Value {
		m := map[string]postern.Value{
			AttrComplianceState:         postern.String(compliance),
			AttrDeviceRegistrationState: postern.String(registration),
			AttrManagedDeviceOwnerType:  postern.String(owner),
			AttrIsSupervised:            postern.Bool(supervised),
			AttrIsEncrypted:             postern.Bool(encrypted),
		}
		if aad != nil {
			m[AttrAzureADRegistered] = postern.Bool(*aad)
		}
		return m
	}
	var tests []tc
	for _, v := range []string{"unknown", "compliant", "noncompliant", "conflict", "error", "inGracePeriod", "configManager"} {
		tests = append(tests, tc{"complianceState " + v,
			base(fakeintune.Device{ComplianceState: v, AzureADRegistered: ptr(true), IsEncrypted: true}),
			attrs(v, "registered", "company", ptr(true), false, true)})
	}
	for _, v := range []string{"notRegistered", "registered", "revoked", "keyConflict", "approvalPending", "certificateReset", "notRegisteredPendingEnrollment", "unknown"} {
		tests = append(tests, tc{"deviceRegistrationState " + v,
			base(fakeintune.Device{DeviceRegistrationState: v, AzureADRegistered: ptr(false), IsSupervised: true}),
			attrs("compliant", v, "company", ptr(false), true, false)})
	}
	for _, v := range []string{"unknown", "company", "personal"} {
		tests = append(tests, tc{"managedDeviceOwnerType " + v,
			base(fakeintune.Device{ManagedDeviceOwnerType: v, IsSupervised: true, IsEncrypted: true}),
			attrs("compliant", "registered", v, nil, true, true)})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			stored := srv.SetDevices([]fakeintune.Device{tt.dev})
			recs, err := newClient(t, config(srv)).Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if len(recs) != 1 {
				t.Fatalf("got %d records, want 1", len(recs))
			}
			r := recs[0]
			checkAttrs(t, r.Attributes, tt.want)
			if r.VendorID != stored[0].ID || r.Hostname != "alice-surface" {
				t.Errorf("got id %q hostname %q, want %q alice-surface", r.VendorID, r.Hostname, stored[0].ID)
			}
			if len(r.Serials) != 1 || r.Serials[0] != "C02XL0GHJGH5" || len(r.MACs) != 0 {
				t.Errorf("got serials %q MACs %q, want [C02XL0GHJGH5] and none", r.Serials, r.MACs)
			}
			if !r.LastSeen.Equal(seen) {
				t.Errorf("got LastSeen %v, want %v", r.LastSeen, seen)
			}
		})
	}
}

// TestFetchUnreported: a property Intune leaves out (or sends as null)
// leaves its attribute unset; an empty serial is no serial; a device
// that never synced has no LastSeen.
func TestFetchUnreported(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices([]fakeintune.Device{{
		NeverSynced: true,
		Omit:        []string{"complianceState", "isEncrypted", "isSupervised", "deviceRegistrationState", "managedDeviceOwnerType"},
	}})
	recs, err := newClient(t, config(srv)).Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	r := recs[0]
	if len(r.Attributes) != 0 {
		t.Errorf("got attributes %v, want none (null azureADRegistered, the rest left out)", r.Attributes)
	}
	if r.Serials != nil || !r.LastSeen.IsZero() {
		t.Errorf("got serials %q LastSeen %v, want none and zero", r.Serials, r.LastSeen)
	}
}

func TestFetchFlippedValue(t *testing.T) {
	srv := newServer(t)
	d := srv.PutDevice(fakeintune.Device{SerialNumber: "SER1", ComplianceState: "compliant"})
	c := newClient(t, config(srv))
	for _, want := range []string{"compliant", "noncompliant"} {
		recs, err := c.Fetch(context.Background())
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if got := recs[0].Attributes[AttrComplianceState]; got != postern.String(want) {
			t.Errorf("got %s %v, want %q", AttrComplianceState, got, want)
		}
		srv.Update(d.ID, func(d *fakeintune.Device) { d.ComplianceState = "noncompliant" })
	}
	if got := srv.Requests(fakeintune.EndpointToken); got != 1 {
		t.Errorf("token requests: got %d, want 1 (the token is cached)", got)
	}
}

func devices(n int) []fakeintune.Device {
	out := make([]fakeintune.Device, n)
	for i := range out {
		out[i] = fakeintune.Device{SerialNumber: fmt.Sprintf("SER%06d", i), IsEncrypted: i%2 == 0}
	}
	return out
}

func TestFetchPaging(t *testing.T) {
	tests := []struct {
		name       string
		devices    int
		top        int // the client's $top
		serverPage int // the fake's own page cap
		wantPages  int
	}{
		{name: "pages of 1000", devices: 2500, top: 1000, serverPage: 1000, wantPages: 3},
		{name: "pages shorter than $top", devices: 250, top: 1000, serverPage: 100, wantPages: 3},
		{name: "exactly full pages", devices: 300, top: 100, serverPage: 1000, wantPages: 3},
		{name: "no devices", devices: 0, top: 1000, serverPage: 1000, wantPages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SetDevices(devices(tt.devices))
			srv.SetPageSize(tt.serverPage)
			c := newClient(t, config(srv))
			c.pageSize = tt.top
			recs, err := c.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			serials := map[string]bool{}
			for _, r := range recs {
				serials[r.Serials[0]] = true
			}
			if recs == nil || len(recs) != tt.devices || len(serials) != tt.devices {
				t.Errorf("got %d records with %d distinct serials, want %d", len(recs), len(serials), tt.devices)
			}
			if got := srv.Requests(fakeintune.EndpointDevices); got != tt.wantPages {
				t.Errorf("got %d requests, want %d pages", got, tt.wantPages)
			}
			if got := srv.Scopes(); len(got) != 1 || got[0] != fakeintune.GraphScope {
				t.Errorf("token requests' scopes: got %q, want one for %s", got, fakeintune.GraphScope)
			}
		})
	}
}

// TestFetchNewTokenAfter401: a token Graph no longer takes is replaced
// once, and the listing goes on.
func TestFetchNewTokenAfter401(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(10))
	c := newClient(t, config(srv))
	if _, err := c.Fetch(context.Background()); err != nil {
		t.Fatalf("first Fetch: %v", err)
	}
	srv.RevokeTokens()
	recs, err := c.Fetch(context.Background())
	if err != nil || len(recs) != 10 {
		t.Fatalf("Fetch after revocation: got %d records, error %v; want 10", len(recs), err)
	}
	if got := srv.Requests(fakeintune.EndpointToken); got != 2 {
		t.Errorf("token requests: got %d, want 2", got)
	}
}

func TestTokenExpiry(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(3))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cfg := config(srv)
	cfg.Now = func() time.Time { return now }
	c := newClient(t, cfg)
	for i, step := range []time.Duration{0, 50 * time.Minute, 5 * time.Minute} {
		now = now.Add(step)
		if _, err := c.Fetch(context.Background()); err != nil {
			t.Fatalf("Fetch %d: %v", i+1, err)
		}
	}
	// The 3599 s token is refreshed five minutes early: reused at +50 min,
	// replaced at +55 min.
	if got := srv.Requests(fakeintune.EndpointToken); got != 2 {
		t.Errorf("token requests: got %d, want 2", got)
	}
}

// TestNoSecretsLogged runs a sync and a failed one with debug logs on.
func TestNoSecretsLogged(t *testing.T) {
	srv := newServer(t)
	srv.SetDevices(devices(5))
	var buf bytes.Buffer
	cfg := config(srv)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, cfg)
	if _, err := c.Fetch(context.Background()); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	srv.SetPermissions()
	_, err := c.Fetch(context.Background())
	if err == nil {
		t.Fatal("Fetch without the permission: got no error")
	}
	for _, s := range []string{buf.String(), err.Error()} {
		if strings.Contains(s, secret) || strings.Contains(s, "eyJ0eX") {
			t.Errorf("logs or error hold the secret or a token: %s", s)
		}
	}
	if !strings.Contains(buf.String(), "provider=intune") {
		t.Errorf("logs: got %s, want provider=intune", buf.String())
	}
}

func TestNew(t *testing.T) {
	ok := integrations.Config{ClientID: clientID, TenantID: tenant, Secret: secret}
	with := func(change func(*integrations.Config)) integrations.Config {
		c := ok
		change(&c)
		return c
	}
	tests := []struct {
		name                          string
		cfg                           integrations.Config
		wantErr                       string
		wantToken, wantScope, wantDev string
	}{
		{name: "public cloud by default", cfg: ok,
			wantToken: "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token",
			wantScope: "https://graph.microsoft.com/.default",
			wantDev:   "https://graph.microsoft.com/v1.0/deviceManagement/managedDevices"},
		{name: "pasted with /v1.0", cfg: with(func(c *integrations.Config) { c.BaseURL = "https://graph.microsoft.com/v1.0/" }),
			wantToken: "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token",
			wantScope: "https://graph.microsoft.com/.default",
			wantDev:   "https://graph.microsoft.com/v1.0/deviceManagement/managedDevices"},
		{name: "US Government", cfg: with(func(c *integrations.Config) { c.BaseURL = "https://graph.microsoft.us" }),
			wantToken: "https://login.microsoftonline.us/" + tenant + "/oauth2/v2.0/token",
			wantScope: "https://graph.microsoft.us/.default",
			wantDev:   "https://graph.microsoft.us/v1.0/deviceManagement/managedDevices"},
		{name: "China", cfg: with(func(c *integrations.Config) {
			c.BaseURL, c.TenantID = "https://microsoftgraph.chinacloudapi.cn", "contoso.partner.onmschina.cn"
		}),
			wantToken: "https://login.chinacloudapi.cn/contoso.partner.onmschina.cn/oauth2/v2.0/token",
			wantScope: "https://microsoftgraph.chinacloudapi.cn/.default",
			wantDev:   "https://microsoftgraph.chinacloudapi.cn/v1.0/deviceManagement/managedDevices"},
		{name: "one server for both", cfg: with(func(c *integrations.Config) { c.BaseURL = "http://127.0.0.1:8080" }),
			wantToken: "http://127.0.0.1:8080/" + tenant + "/oauth2/v2.0/token",
			wantScope: "https://graph.microsoft.com/.default",
			wantDev:   "http://127.0.0.1:8080/v1.0/deviceManagement/managedDevices"},
		{name: "no client id", cfg: with(func(c *integrations.Config) { c.ClientID = "" }), wantErr: "intune: the Application (client) ID is required"},
		{name: "no tenant", cfg: with(func(c *integrations.Config) { c.TenantID = "" }), wantErr: "intune: the Directory (tenant) ID is required"},
		{name: "tenant with a slash", cfg: with(func(c *integrations.Config) { c.TenantID = "common/../x" }), wantErr: "invalid Directory (tenant) ID"},
		{name: "no secret", cfg: with(func(c *integrations.Config) { c.Secret = "" }), wantErr: "a client secret is required"},
		{name: "bad scheme", cfg: with(func(c *integrations.Config) { c.BaseURL = "ftp://graph.microsoft.com" }), wantErr: "invalid Graph URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr != "" {
				if postern.ErrorCode(err) != postern.EINVALID || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got error %v, want an EINVALID error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.tokenURL != tt.wantToken || c.scope != tt.wantScope || c.devices.String() != tt.wantDev {
				t.Errorf("got token %q scope %q devices %q, want %q %q %q", c.tokenURL, c.scope, c.devices, tt.wantToken, tt.wantScope, tt.wantDev)
			}
		})
	}
}

// TestFetchStatusCodeCounts: the fake counts one request per page and
// the client asks Graph with $select and $top.
func TestFetchAsksWithSelect(t *testing.T) {
	var got string
	srv := newServer(t)
	srv.SetDevices(devices(1))
	cfg := config(srv)
	cfg.HTTP = &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, DevicesPath) {
			got = r.URL.RawQuery
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	if _, err := newClient(t, cfg).Fetch(context.Background()); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if want := "$select=" + selectFields + "&$top=1000"; got != want {
		t.Errorf("query: got %q, want %q", got, want)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
