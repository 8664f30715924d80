package control

import (
	"context"
	"reflect"
	"testing"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/types/dnstype"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
)

var testAudit = audit.Context{Origin: audit.OriginCLI, Actor: audit.Service("test")}

func TestDNSConfigInMaps(t *testing.T) {
	ts := newTestServer(t)
	a, b := ts.addDevice(t, "a"), ts.addDevice(t, "b")
	recA, first := ts.connect(t, a)
	recB, _ := ts.connect(t, b)
	want := &tailcfg.DNSConfig{Domains: []string{"postern.internal"}, Proxied: true}
	if !reflect.DeepEqual(first.DNSConfig, want) {
		t.Errorf("default DNS config: got %+v, want %+v", first.DNSConfig, want)
	}

	_, err := ts.w.UpdateDNS(context.Background(), testAudit, ts.tn.ID, func(d *postern.DNS) error {
		d.Nameservers = []string{"1.1.1.1", "2606:4700:4700::1111"}
		d.SearchPaths = []string{"corp.example.com"}
		d.SplitDNS = map[string][]string{"internal.example.com": {"10.0.0.53", "10.0.0.54"}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = &tailcfg.DNSConfig{
		Resolvers: []*dnstype.Resolver{{Addr: "1.1.1.1"}, {Addr: "2606:4700:4700::1111"}},
		Routes:    map[string][]*dnstype.Resolver{"internal.example.com": {{Addr: "10.0.0.53"}, {Addr: "10.0.0.54"}}},
		Domains:   []string{"postern.internal", "corp.example.com"},
		Proxied:   true,
	}
	for name, rec := range map[string]*recorder{"a": recA, "b": recB} {
		m := rec.next(t)
		if !reflect.DeepEqual(m.DNSConfig, want) {
			t.Errorf("%s's update: got DNS config %+v, want %+v", name, m.DNSConfig, want)
		}
		if m.Node != nil || len(m.PeersChanged) > 0 || m.PacketFilters != nil {
			t.Errorf("%s's DNS-only update carried more: %+v", name, m)
		}
	}

	// MagicDNS off: no Proxied, and the MagicDNS domain leaves the search
	// domains.
	if _, err := ts.w.UpdateDNS(context.Background(), testAudit, ts.tn.ID, func(d *postern.DNS) error {
		d.MagicDNS = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m := recA.next(t)
	if m.DNSConfig == nil || m.DNSConfig.Proxied || !reflect.DeepEqual(m.DNSConfig.Domains, []string{"corp.example.com"}) {
		t.Errorf("MagicDNS off: got %+v, want Proxied false and only corp.example.com", m.DNSConfig)
	}

	// A refused update sends nothing.
	if _, err := ts.w.UpdateDNS(context.Background(), testAudit, ts.tn.ID, func(d *postern.DNS) error {
		d.Nameservers = []string{"not-an-ip"}
		return nil
	}); postern.ErrorCode(err) != postern.EINVALID {
		t.Fatalf("invalid nameserver: got %v, want EINVALID", err)
	}
	recA.none(t, 100*time.Millisecond)
}
