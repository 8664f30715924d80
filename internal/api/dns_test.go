package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	tsclient "tailscale.com/client/tailscale/v2"

	"github.com/postern/postern"
)

func (e *env) storedDNS(t *testing.T) postern.DNS {
	t.Helper()
	tn, err := e.srv.Service().Store().Tailnet(context.Background(), e.srv.Tailnet().ID)
	if err != nil {
		t.Fatal(err)
	}
	return tn.DNS
}

func TestDNSWithOfficialClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dns := e.client.DNS()

	if ns, err := dns.Nameservers(ctx); err != nil || len(ns) != 0 {
		t.Errorf("Nameservers of a new tailnet: got %v, %v; want none", ns, err)
	}
	if p, err := dns.Preferences(ctx); err != nil || !p.MagicDNS {
		t.Errorf("Preferences of a new tailnet: got %+v, %v; want MagicDNS on", p, err)
	}

	if err := dns.SetNameservers(ctx, []string{"1.1.1.1", "2606:4700:4700::1111"}); err != nil {
		t.Fatalf("SetNameservers: %v", err)
	}
	if ns, err := dns.Nameservers(ctx); err != nil || !slices.Equal(ns, []string{"1.1.1.1", "2606:4700:4700::1111"}) {
		t.Errorf("Nameservers: got %v, %v", ns, err)
	}
	if err := dns.SetSearchPaths(ctx, []string{"Corp.Example.com."}); err != nil {
		t.Fatalf("SetSearchPaths: %v", err)
	}
	if sp, err := dns.SearchPaths(ctx); err != nil || !slices.Equal(sp, []string{"corp.example.com"}) {
		t.Errorf("SearchPaths: got %v, %v; want [corp.example.com]", sp, err)
	}
	if err := dns.SetPreferences(ctx, tsclient.DNSPreferences{MagicDNS: false}); err != nil {
		t.Fatalf("SetPreferences: %v", err)
	}
	if p, err := dns.Preferences(ctx); err != nil || p.MagicDNS {
		t.Errorf("Preferences: got %+v, %v; want MagicDNS off", p, err)
	}

	// Split DNS: PATCH adds and removes (null) domains, PUT replaces.
	got, err := dns.UpdateSplitDNS(ctx, tsclient.SplitDNSRequest{"a.example": {"10.0.0.1"}, "b.example": {"10.0.0.2", "10.0.0.3"}})
	want := tsclient.SplitDNSResponse{"a.example": {"10.0.0.1"}, "b.example": {"10.0.0.2", "10.0.0.3"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("UpdateSplitDNS: got %v, %v; want %v", got, err, want)
	}
	got, err = dns.UpdateSplitDNS(ctx, tsclient.SplitDNSRequest{"a.example": nil, "c.example": {"10.0.0.4"}})
	want = tsclient.SplitDNSResponse{"b.example": {"10.0.0.2", "10.0.0.3"}, "c.example": {"10.0.0.4"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("UpdateSplitDNS with null: got %v, %v; want %v", got, err, want)
	}
	if err := dns.SetSplitDNS(ctx, tsclient.SplitDNSRequest{"d.example": {"10.0.0.5"}}); err != nil {
		t.Fatalf("SetSplitDNS: %v", err)
	}
	want = tsclient.SplitDNSResponse{"d.example": {"10.0.0.5"}}
	if got, err := dns.SplitDNS(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("SplitDNS after PUT: got %v, %v; want %v", got, err, want)
	}

	wantStored := postern.DNS{
		Nameservers: []string{"1.1.1.1", "2606:4700:4700::1111"},
		SearchPaths: []string{"corp.example.com"},
		SplitDNS:    map[string][]string{"d.example": {"10.0.0.5"}},
	}
	if s := e.storedDNS(t); !reflect.DeepEqual(s, wantStored) {
		t.Errorf("stored: got %+v, want %+v", s, wantStored)
	}
	code, body := e.raw(t, "GET", "/api/v2/tailnet/-/logging/configuration?start=2000-01-01T00:00:00Z&end=2100-01-01T00:00:00Z&event=TAILNET.UPDATE.DNS", "")
	var logs struct{ Logs []json.RawMessage }
	json.Unmarshal([]byte(body), &logs)
	if code != 200 || len(logs.Logs) != 6 {
		t.Errorf("audit log: got %d with %d DNS events, want 200 with 6", code, len(logs.Logs))
	}
}

func TestDNSRefusesInvalidBodies(t *testing.T) {
	e := newEnv(t)
	if err := e.client.DNS().SetNameservers(context.Background(), []string{"9.9.9.9"}); err != nil {
		t.Fatal(err)
	}
	before := e.storedDNS(t)
	for _, tc := range []struct {
		method, path, body string
		msg                string
	}{
		{"POST", "nameservers", `{"dns": ["dns.google"]}`, `nameservers: nameserver "dns.google" is not an IP address`},
		{"POST", "nameservers", `{"dns": ["1.1.1.1"], "magicDNS": true}`, `unknown field "magicDNS"`},
		{"POST", "nameservers", `{}`, `the body needs "dns"`},
		{"POST", "nameservers", `{"dns": "1.1.1.1"}`, "invalid JSON body"},
		{"POST", "preferences", `{}`, `the body needs "magicDNS"`},
		{"POST", "preferences", `{"magicDNS": "yes"}`, "invalid JSON body"},
		{"POST", "preferences", `{"magic": true}`, `unknown field "magic"`},
		{"POST", "searchpaths", `{"searchPaths": ["bad domain"]}`, `search path "bad domain" is not a valid domain name`},
		{"POST", "searchpaths", `{"searchPaths": ["a..b"]}`, "is not a valid domain name"},
		{"POST", "searchpaths", `{"paths": []}`, `unknown field "paths"`},
		{"PATCH", "split-dns", `{"x_.example!": ["10.0.0.1"]}`, "is not a valid domain name"},
		{"PATCH", "split-dns", `{"x.example": ["ns.x.example"]}`, `split DNS domain "x.example": nameserver "ns.x.example" is not an IP address`},
		{"PATCH", "split-dns", `{"x.example": []}`, "needs at least one nameserver"},
		{"PUT", "split-dns", `{"x.example": ["300.1.1.1"]}`, "is not an IP address"},
		{"PUT", "split-dns", `null`, "must be an object"},
		{"PUT", "split-dns", `["x.example"]`, "invalid JSON body"},
	} {
		t.Run(tc.method+" "+tc.path+" "+tc.body, func(t *testing.T) {
			code, body := e.raw(t, tc.method, "/api/v2/tailnet/-/dns/"+tc.path, tc.body)
			var msg struct{ Message string }
			json.Unmarshal([]byte(body), &msg)
			if code != 400 || !strings.Contains(msg.Message, tc.msg) {
				t.Errorf("got %d %s, want 400 with a message containing %q", code, body, tc.msg)
			}
			if after := e.storedDNS(t); !reflect.DeepEqual(after, before) {
				t.Errorf("stored DNS changed: got %+v, want %+v", after, before)
			}
		})
	}
}

func TestDNSScopes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, secret := createClient(t, e, "dns:read")
	base, _ := url.Parse(e.srv.URL())
	c := &tsclient.Client{BaseURL: base, Tailnet: "-", Auth: &tsclient.OAuth{ClientID: id, ClientSecret: secret}}
	if _, err := c.DNS().Nameservers(ctx); err != nil {
		t.Errorf("read nameservers with dns:read: %v", err)
	}
	before := e.storedDNS(t)
	if err := c.DNS().SetNameservers(ctx, []string{"1.1.1.1"}); apiStatus(err) != 403 {
		t.Errorf("set nameservers with dns:read: got %v, want 403", err)
	}
	if _, err := c.DNS().UpdateSplitDNS(ctx, tsclient.SplitDNSRequest{"x.example": {"10.0.0.1"}}); apiStatus(err) != 403 {
		t.Errorf("patch split DNS with dns:read: got %v, want 403", err)
	}
	if after := e.storedDNS(t); !reflect.DeepEqual(after, before) {
		t.Errorf("stored DNS changed: got %+v, want %+v", after, before)
	}
	id, secret = createClient(t, e, "devices:core")
	other := &tsclient.Client{BaseURL: base, Tailnet: "-", Auth: &tsclient.OAuth{ClientID: id, ClientSecret: secret}}
	if _, err := other.DNS().SplitDNS(ctx); apiStatus(err) != 403 {
		t.Errorf("read split DNS without a dns scope: got %v, want 403", err)
	}
}
