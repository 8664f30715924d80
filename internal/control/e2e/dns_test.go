package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postern/postern"
	"github.com/postern/postern/internal/audit"
	"github.com/postern/postern/internal/tsclient"
)

// TestDNSReachesRealClient: a DNS change an admin makes reaches a joined
// client at once, and "tailscale dns status" shows the nameservers, the
// split-DNS route, the search path and MagicDNS.
func TestDNSReachesRealClient(t *testing.T) {
	e := newEnv(t, postern.DefaultTailnetSettings())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := e.node("alpha", tsclient.NodeOptions{})
	if out, err := a.Up(ctx, e.url, e.authKey(postern.Key{})); err != nil {
		t.Fatalf("tailscale up: %v: %s", err, out)
	}
	e.device("alpha")

	ac := audit.Context{Origin: audit.OriginAPI, Actor: audit.Service("test")}
	if _, err := e.w.UpdateDNS(ctx, ac, e.tn.ID, func(d *postern.DNS) error {
		d.Nameservers = []string{"9.9.9.9"}
		d.SearchPaths = []string{"corp.example.com"}
		d.SplitDNS = map[string][]string{"internal.example.com": {"10.0.0.53"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var out string
	waitFor(t, 30*time.Second, "tailscale dns status to show the nameserver", func() bool {
		out, _ = a.CLI(ctx, "dns", "status")
		return strings.Contains(out, "9.9.9.9")
	})
	t.Logf("tailscale dns status:\n%s", out)
	for _, want := range []string{"internal.example.com", "10.0.0.53", "corp.example.com", "example.postern.internal"} {
		if !strings.Contains(out, want) {
			t.Errorf("tailscale dns status lacks %q:\n%s", want, out)
		}
	}
	cfg, err := a.Local.DNSConfig(ctx)
	must(t, err)
	if !cfg.Proxied || len(cfg.Resolvers) != 1 || cfg.Resolvers[0].Addr != "9.9.9.9" || len(cfg.Routes["internal.example.com"]) != 1 {
		t.Errorf("client's DNS config: got %+v, want MagicDNS, 9.9.9.9 and the split route", cfg)
	}

	// MagicDNS off reaches the client too.
	if _, err := e.w.UpdateDNS(ctx, ac, e.tn.ID, func(d *postern.DNS) error { d.MagicDNS = false; return nil }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "MagicDNS off in the client's DNS config", func() bool {
		cfg, err := a.Local.DNSConfig(ctx)
		return err == nil && !cfg.Proxied
	})
}
